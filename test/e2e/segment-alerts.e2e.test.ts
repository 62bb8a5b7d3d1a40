import { describe, expect, it } from 'vitest';
import { screenshot } from './support/browser';
import { OWNER } from './support/server';
import { callApi, dismissNotifications, logIn, useBrowserSession } from './support/session';

/**
 * A saved segment's alert from the builder: turn it on, choose who is told, save; it is kept
 * (reload) and the API sees it. The bell in the header shows an empty state until alerts fire.
 */
describe('segment alerts', () => {
  const session = useBrowserSession('segment-alerts');

  it('sets an alert on a saved segment from the builder', async () => {
    await logIn(session);
    const { page } = session;
    const segment = await callApi<{ id: string }>(session, 'POST', '/api/v1/segments', {
      name: 'Big spenders',
      definition: { field: 'lifetime_value', op: 'gt', value: 1000 },
    });
    await page.goto(`/segments/${segment.id}`);
    const panel = page.getByTestId('segment-alert');
    await panel.getByRole('switch', { name: 'Notify when clients enter' }).check();
    const who = panel.getByLabel('Who is notified');
    await who.click();
    await page.getByRole('option').first().click();
    await page.keyboard.press('Escape');
    await panel.getByRole('checkbox', { name: 'Also when clients leave' }).check();
    await panel.getByRole('button', { name: 'Save alert' }).click();
    await expect.poll(() => page.getByText('Alert saved').count(), { timeout: 15_000 }).toBeGreaterThan(0);

    const alert = await callApi<{ user_ids: string[]; on_exit: boolean; email: boolean }>(
      session,
      'GET',
      `/api/v1/segments/${segment.id}/alert`,
    );
    expect(alert).toMatchObject({ on_exit: true, email: false });
    const me = await callApi<{ user: { email: string; id: string } }>(session, 'GET', '/api/v1/me');
    expect(me.user.email).toBe(OWNER.email);
    expect(alert.user_ids).toEqual([me.user.id]);

    await page.reload();
    await expect.poll(() => page.getByTestId('segment-alert').getByRole('switch').isChecked()).toBe(true);
    await dismissNotifications(page);
    await page.getByTestId('segment-alert').scrollIntoViewIfNeeded();
    await screenshot(page, 'segment-alert');

    // This server has no SMTP_URL: asking for email too says it cannot leave.
    const alertPanel = page.getByTestId('segment-alert');
    await alertPanel.getByRole('checkbox', { name: 'Also by email' }).check();
    await alertPanel.getByRole('button', { name: 'Save alert' }).click();
    await alertPanel.getByTestId('segment-alert-no-mail').waitFor();
    await alertPanel
      .getByText('This server can’t send email (SMTP_URL isn’t set)', { exact: false })
      .waitFor();
    await dismissNotifications(page);
    await alertPanel.scrollIntoViewIfNeeded();
    await screenshot(page, 'segment-alert-no-mail');

    await page.getByRole('button', { name: 'Notifications' }).click();
    await expect
      .poll(() => page.getByText('Nothing new.', { exact: false }).count(), { timeout: 15_000 })
      .toBeGreaterThan(0);
    await screenshot(page, 'notifications-empty');
  });
});
