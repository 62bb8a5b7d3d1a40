import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCREENSHOT_DIR, screenshot } from './support/browser';
import { callApi, dismissNotifications, logIn, openSettings, useBrowserSession } from './support/session';

const DAY = 86_400_000;

/**
 * The Data retention settings page end to end, as the owner of a clinic uses it: reads what retention
 * does, previews who a setting would erase, saves it after confirming, sees who the next nightly run
 * would erase, and erases now after typing the count. Steps share one page and run in order.
 */
describe('data retention', () => {
  const session = useBrowserSession('retention');
  const page = () => session.page;
  const api = <T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown) =>
    callApi<T>(session, method, path, body);

  it('logs in', () => logIn(session));

  it('seeds three clients last seen years ago and two recent ones', async () => {
    // Last activity is the latest event: bookings 3 to 4 years back make a client inactive for 24 months.
    const people: Array<[string, string, number | null]> = [
      ['Rosa', 'Bermúdez', 4 * 365],
      ['Étienne', 'Lacroix', 3 * 365 + 40],
      ['Marta', 'Oliver', 3 * 365],
      ['Pablo', 'Iglesias Ruiz', 20],
      ['Inés', 'Caballero', null],
    ];
    const events = [];
    for (const [index, [first, last, daysAgo]] of people.entries()) {
      const client = await api<{ id: string }>('POST', '/api/v1/clients', {
        first_name: first,
        last_name: last,
        email: `client${index}@example.com`,
      });
      if (daysAgo !== null) {
        events.push({
          client_id: client.id,
          type: 'booking',
          occurred_at: new Date(Date.now() - daysAgo * DAY).toISOString(),
          reference_id: `r-${index}`,
        });
      }
    }
    const result = await api<{ accepted: number }>('POST', '/api/v1/events', { events });
    expect(result.accepted).toBe(events.length);
    const preview = await api<{ total: number }>('POST', '/api/v1/clients/retention/preview', {
      inactive_months: 24,
    });
    expect(preview.total).toBe(3);
  });

  it('explains retention and shows it off', async () => {
    await openSettings(page(), 'Data retention', '/settings/retention');
    await page().getByRole('heading', { name: 'Data retention', level: 1 }).waitFor();
    await page().getByText('Erasing cannot be undone.', { exact: false }).waitFor();
    const current = page().getByTestId('retention-current');
    await current.getByText('Off', { exact: true }).waitFor();
    await current.getByText('Clients are kept until someone erases them.').waitFor();
    // Nothing to save until something changes.
    await expect(page().getByRole('button', { name: 'Save changes' }).isDisabled()).resolves.toBe(true);
  });

  it('previews a setting, and Escape leaves it unsaved', async () => {
    await page()
      .getByRole('switch', { name: /Erase inactive clients automatically/ })
      .check({ force: true });
    const months = page()
      .getByRole('textbox', { name: /Months without activity/ })
      .first();
    await expect(months.inputValue()).resolves.toBe('24');
    await page().getByRole('button', { name: 'Review and save' }).click();
    const review = page().getByRole('dialog', { name: 'Erase clients after 24 months without activity?' });
    await review.getByText(/^3 clients would be erased now: no activity since/).waitFor();
    const rows = review.getByRole('table', { name: 'Clients who would be erased' }).getByRole('row');
    await expect.poll(() => rows.count()).toBe(4);
    // Least recently active first.
    await expect(rows.nth(1).innerText()).resolves.toContain('Rosa Bermúdez');
    await expect(review.getByText('Pablo Iglesias Ruiz').count()).resolves.toBe(0);
    await page().mouse.move(0, 0);
    await screenshot(page(), 'retention-review');

    await page().keyboard.press('Escape');
    await review.waitFor({ state: 'hidden' });
    const workspace = await api<{ retention_inactive_months: number | null }>('GET', '/api/v1/workspace');
    expect(workspace.retention_inactive_months).toBeNull();
  });

  it('saves the setting after confirming and shows the next nightly run', async () => {
    await page().getByRole('button', { name: 'Review and save' }).click();
    const review = page().getByRole('dialog', { name: 'Erase clients after 24 months without activity?' });
    await review.getByRole('button', { name: 'Save and erase 3 clients' }).click();
    await page().getByText('Retention saved: clients are erased after 24 months without activity.').waitFor();
    await review.waitFor({ state: 'hidden' });

    const current = page().getByTestId('retention-current');
    await current.getByText('On', { exact: true }).waitFor();
    await current.getByText('Clients with no activity for 24 months are erased every night.').waitFor();
    await page()
      .getByTestId('retention-next-run')
      .getByText(/^The next nightly run would erase 3 clients, inactive since/)
      .waitFor();
    const workspace = await api<{ retention_inactive_months: number | null }>('GET', '/api/v1/workspace');
    expect(workspace.retention_inactive_months).toBe(24);

    await page().getByRole('button', { name: 'Show who' }).click();
    await page()
      .getByRole('table', { name: 'Clients who would be erased' })
      .getByText('Marta Oliver')
      .waitFor();
    await dismissNotifications(page());
    await page().mouse.move(0, 0);
    await screenshot(page(), 'retention');
  });

  it('shows the page in Spanish', async () => {
    await page()
      .getByRole('button', { name: /^Language/ })
      .click();
    await page().getByRole('menuitem', { name: 'Español' }).click();
    await page().getByRole('heading', { name: 'Conservación de datos', level: 1 }).waitFor();
    await page()
      .getByTestId('retention-next-run')
      .getByText(/^La próxima ejecución nocturna borraría a 3 clientes/)
      .waitFor();
    await page().mouse.move(0, 0);
    await screenshot(page(), 'retention-es');
    await page()
      .getByRole('button', { name: /^Idioma/ })
      .click();
    await page().getByRole('menuitem', { name: 'English' }).click();
    await page().getByRole('heading', { name: 'Data retention', level: 1 }).waitFor();
  });

  it('shows an empty state when nobody would be erased', async () => {
    const months = page()
      .getByRole('textbox', { name: /Months without activity/ })
      .last();
    await months.fill('120');
    await page().getByRole('button', { name: 'Erase now…' }).click();
    const dialog = page().getByRole('dialog', { name: 'Erase the clients inactive for 120 months?' });
    await dialog.getByRole('heading', { name: 'Nobody would be erased' }).waitFor();
    await expect(dialog.getByRole('button', { name: /^Erase \d/ }).count()).resolves.toBe(0);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('erases now once the count is typed, and says the job was queued', async () => {
    const months = page()
      .getByRole('textbox', { name: /Months without activity/ })
      .last();
    await months.fill('24');
    await page().getByRole('button', { name: 'Erase now…' }).click();
    const dialog = page().getByRole('dialog', { name: 'Erase the clients inactive for 24 months?' });
    await dialog.getByText(/^3 clients would be erased now/).waitFor();
    const submit = dialog.getByRole('button', { name: 'Erase 3 clients' });
    const typed = dialog.getByRole('textbox', { name: 'Type 3 to confirm' });
    await expect.poll(() => typed.evaluate((input) => input === document.activeElement)).toBe(true);
    await typed.fill('2');
    await expect(submit.isDisabled()).resolves.toBe(true);
    await typed.fill('3');
    await expect(submit.isDisabled()).resolves.toBe(false);
    await typed.press('Enter');
    await dialog.waitFor({ state: 'hidden' });
    const queued = page().getByTestId('retention-queued');
    await queued.getByText('Erasure queued').waitFor();
    await queued
      .getByText(/^3 clients inactive since .+ are being erased in the background \(job \d+\)/)
      .waitFor();
    await dismissNotifications(page());
    // What is on screen: a full-page capture of a scrolled page repeats the sticky header.
    await queued.scrollIntoViewIfNeeded();
    await page().evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page().screenshot({ path: join(SCREENSHOT_DIR, 'retention-queued.png') });

    // The worker of the test server runs the job: afterwards nobody is inactive for 24 months.
    await expect
      .poll(
        async () =>
          (await api<{ total: number }>('POST', '/api/v1/clients/retention/preview', { inactive_months: 24 }))
            .total,
        { timeout: 60_000, interval: 1000 },
      )
      .toBe(0);
  });

  it('lets an admin preview but not erase now', async () => {
    // Ana is an admin, not the owner, of the second workspace.
    await page().evaluate(
      (id) => window.localStorage.setItem('clientela.workspaceId', id),
      session.server.rentals.id,
    );
    await page().goto('/settings/retention');
    await page().getByTestId('retention-current').getByText('Off', { exact: true }).waitFor();
    await page().getByText('Only owners of the workspace can erase clients now.').waitFor();
    await expect(page().getByRole('button', { name: 'Erase now…' }).isDisabled()).resolves.toBe(true);
    await expect(page().getByRole('button', { name: 'Save changes' }).count()).resolves.toBe(1);
  });
});
