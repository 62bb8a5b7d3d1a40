import { describe, expect, it } from 'vitest';
import { screenshot } from './support/browser';
import { callApi, logIn, useBrowserSession } from './support/session';

/** A static segment from a pasted list: what matched, what did not, then the segment. */
describe('segment from a list', () => {
  const session = useBrowserSession('segment-from-list');

  it('finds the listed clients and saves them as a static segment', async () => {
    await logIn(session);
    const { page } = session;
    for (const email of ['fair1@example.com', 'fair2@example.com'])
      await callApi(session, 'POST', '/api/v1/clients', { first_name: 'Fair', email });
    await page.goto('/segments');
    await page.getByRole('button', { name: 'From a list' }).click();
    const dialog = page.getByRole('dialog', { name: 'New segment from a list' });
    await dialog.getByLabel('Segment name').fill('Met at the fair');
    await dialog
      .getByLabel('Emails, phones or ids')
      .fill('email\nFAIR1@example.com\nfair2@example.com\nstranger@example.com');
    await expect.poll(() => dialog.getByText('3 values').count()).toBe(1);
    await dialog.getByRole('button', { name: 'Find these clients' }).click();
    const result = dialog.getByTestId('list-result');
    await expect.poll(() => result.textContent(), { timeout: 15_000 }).toContain('2 clients found');
    expect(await result.textContent()).toContain('stranger@example.com');
    await screenshot(page, 'segment-from-list');
    await dialog.getByRole('button', { name: 'Create segment with 2 clients' }).click();
    await page.waitForURL((url) => /^\/segments\/[0-9a-f-]{36}$/.test(url.pathname), { timeout: 15_000 });
    const id = new URL(page.url()).pathname.split('/').pop();
    const segment = await callApi<{ kind: string; last_count: number }>(
      session,
      'GET',
      `/api/v1/segments/${id}`,
    );
    expect(segment).toMatchObject({ kind: 'static', last_count: 2 });
  });
});
