import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { SCREENSHOT_DIR } from './support/browser';
import { callApi, dismissNotifications, logIn, useBrowserSession } from './support/session';

/** Modals are fixed to the viewport: a capture of the viewport shows them over the page. */
async function shot(page: Page, name: string) {
  await dismissNotifications(page);
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
}

/**
 * Bulk actions from the client list (rows ticked after a query) and from a segment page: each
 * dialog shows the server's exact count, runs, and says what it did; then the coupons it issued on
 * the coupons page and in the client drawer.
 */
describe('bulk actions', () => {
  const session = useBrowserSession('bulk');

  /** Ticks the rows shown once there are `rows` of them: the count can arrive before the list, and ticking then took the previous page. */
  async function tickShown(rows: number) {
    const { page } = session;
    await expect.poll(() => page.locator('tbody tr').count(), { timeout: 15_000 }).toBe(rows);
    await page.getByLabel('Select the clients shown').check();
  }

  async function selectBilbao() {
    const { page } = session;
    await page.goto('/clients');
    await page.getByLabel('Search clients').fill('city:Bilbao');
    await expect.poll(() => page.getByText('4 clients match').count(), { timeout: 15_000 }).toBe(1);
    await tickShown(4);
    await expect.poll(() => page.getByTestId('selection-bar').textContent()).toContain('4 clients selected');
  }

  async function openAction(name: string) {
    const { page } = session;
    await page.getByTestId('bulk-actions').first().click();
    await page.getByRole('menuitem', { name }).click();
    return page.getByRole('dialog', { name });
  }

  it('tags the ticked rows, with the exact count before and the result after', async () => {
    await logIn(session);
    const { page } = session;
    for (const [first, city] of [
      ['Iker', 'Bilbao'],
      ['Miren', 'Bilbao'],
      ['Ane', 'Bilbao'],
      ['Jon', 'Bilbao'],
      ['Lucía', 'Sevilla'],
    ])
      await callApi(session, 'POST', '/api/v1/clients', {
        first_name: first,
        city,
        email: `${first.toLowerCase()}@example.com`,
        consent: { email: true },
      });
    await selectBilbao();
    const dialog = await openAction('Add tags');
    await expect
      .poll(() => dialog.getByTestId('bulk-count').textContent())
      .toContain('4 clients will get these tags');
    await dialog.getByLabel('Tags').fill('north');
    await dialog.getByLabel('Tags').press('Enter');
    await shot(page, 'bulk-tag-dialog');
    await dialog.getByRole('button', { name: 'Tag 4 clients' }).click();
    await expect
      .poll(() => dialog.getByTestId('bulk-result').textContent(), { timeout: 15_000 })
      .toContain('4 clients tagged.');
    await shot(page, 'bulk-tag-result');
    await dialog.getByRole('button', { name: 'Done' }).click();
    const tagged = await callApi<{ total: number }>(session, 'GET', '/api/v1/clients?tag=north&limit=1');
    expect(tagged.total).toBe(4);
  });

  it('issues a personal coupon to each, shown on the coupons page and in the client drawer', async () => {
    const { page } = session;
    await selectBilbao();
    const dialog = await openAction('Issue coupons');
    await expect
      .poll(() => dialog.getByTestId('bulk-count').textContent())
      .toContain('4 clients will each get');
    await dialog.getByLabel('Code prefix').fill('vip');
    await dialog.getByLabel('Reason').fill('Spring in Bilbao');
    await shot(page, 'bulk-coupons-dialog');
    await dialog.getByRole('button', { name: 'Issue 4 coupons' }).click();
    await expect
      .poll(() => dialog.getByTestId('bulk-result').textContent(), { timeout: 15_000 })
      .toContain('4 coupons issued.');
    await dialog.getByRole('link', { name: 'See the coupons' }).click();
    await page.waitForURL((url) => url.pathname === '/coupons');
    await expect.poll(() => page.getByTestId('coupon-row').count(), { timeout: 15_000 }).toBe(4);
    expect(await page.getByTestId('coupon-batch').first().textContent()).toContain('Spring in Bilbao');
    const code = (await page.getByTestId('coupon-row').first().locator('td').first().textContent())!.trim();
    expect(code).toMatch(/^VIP-[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$/);
    // The shop redeems one through the API; the page shows it used.
    await callApi(session, 'POST', `/api/v1/coupons/${code}/redeem`, {
      order_reference: 'web-1',
      amount: 42,
    });
    await page.reload();
    await expect
      .poll(() => page.getByTestId('coupon-batch').first().textContent(), { timeout: 10_000 })
      .toContain('1 (25%)');
    await shot(page, 'coupons-page');

    await page.getByTestId('coupon-row').first().getByRole('link').click();
    await page.getByRole('tab', { name: 'Coupons' }).click();
    await expect
      .poll(() => page.getByTestId('client-coupons').textContent(), { timeout: 10_000 })
      .toContain(code);
    await shot(page, 'client-drawer-coupons');
  });

  it('exports a segment from its page, and deletes only after the count is typed', async () => {
    const { page } = session;
    const segment = await callApi<{ id: string }>(session, 'POST', '/api/v1/segments', {
      name: 'Bilbao',
      definition: { field: 'city', op: 'eq', value: 'Bilbao' },
    });
    await page.goto(`/segments/${segment.id}`);
    await page.getByTestId('bulk-actions').first().click();
    await page.getByRole('menuitem', { name: 'Issue coupons' }).waitFor();
    await shot(page, 'bulk-segment-actions');
    await page.keyboard.press('Escape');
    const exportDialog = await openAction('Export');
    await expect
      .poll(() => exportDialog.getByTestId('bulk-count').textContent(), { timeout: 15_000 })
      .toContain('4 clients will be exported');
    await exportDialog.getByRole('button', { name: 'Export 4 clients' }).click();
    await expect
      .poll(() => exportDialog.getByRole('link', { name: 'Download the file' }).count(), { timeout: 30_000 })
      .toBe(1);
    await shot(page, 'bulk-segment-export');
    await exportDialog.getByRole('button', { name: 'Done' }).click();

    await selectBilbao();
    const dialog = await openAction('Delete clients');
    const confirm = dialog.getByRole('button', { name: 'Delete 4 clients' });
    await expect
      .poll(() => dialog.getByTestId('bulk-count').textContent())
      .toContain('4 clients will be deleted');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type 4 to confirm').fill('3');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type 4 to confirm').fill('4');
    await shot(page, 'bulk-delete-dialog');
    await confirm.click();
    await expect
      .poll(() => dialog.getByTestId('bulk-result').textContent(), { timeout: 15_000 })
      .toContain('4 clients deleted.');
    const left = await callApi<{ total: number }>(
      session,
      'GET',
      '/api/v1/clients?filter=city%3ABilbao&limit=1',
    );
    expect(left.total).toBe(0);
  });

  it('sends a template to the selection as a campaign, previewed for one of them', async () => {
    const { page } = session;
    await callApi(session, 'POST', '/api/v1/clients', {
      first_name: 'Nerea',
      city: 'Gasteiz',
      email: 'nerea@example.com',
      consent: { email: true },
    });
    await callApi(session, 'POST', '/api/v1/clients', { first_name: 'Unai', city: 'Gasteiz' });
    await callApi(session, 'POST', '/api/v1/templates', {
      name: 'Spring offer',
      channel: 'email',
      subject: 'Hola {{ client.first_name }}',
      body: '<p>Spring is here, {{ client.first_name }}.</p>',
    });
    await page.goto('/clients');
    await page.getByLabel('Search clients').fill('city:Gasteiz');
    await expect.poll(() => page.getByText('2 clients match').count(), { timeout: 15_000 }).toBe(1);
    await tickShown(2);
    const dialog = await openAction('Send a message');
    await dialog.getByLabel('Template').click();
    await page.getByRole('option', { name: 'Spring offer' }).click();
    await expect
      .poll(() => dialog.getByTestId('bulk-message-preview').textContent(), { timeout: 15_000 })
      .toMatch(/Hola (Nerea|Unai)/);
    await dialog.getByLabel('Campaign name').fill('Gasteiz spring');
    await shot(page, 'bulk-send-dialog');
    await dialog.getByRole('button', { name: 'Send to 2 clients' }).click();
    await expect
      .poll(() => dialog.getByTestId('bulk-result').textContent(), { timeout: 15_000 })
      .toContain('Campaign started for 2 clients.');
    await dialog.getByRole('link', { name: 'Open the campaign' }).click();
    await page.waitForURL((url) => /^\/campaigns\/[0-9a-f-]{36}$/.test(url.pathname), { timeout: 15_000 });
    const id = new URL(page.url()).pathname.split('/').pop();
    await expect
      .poll(
        async () => (await callApi<{ status: string }>(session, 'GET', `/api/v1/campaigns/${id}`)).status,
        {
          timeout: 30_000,
        },
      )
      .toBe('sent');
    const { recipients } = await callApi<{
      recipients: Array<{ client_name: string; status: string; skip_reason: string | null }>;
    }>(session, 'GET', `/api/v1/campaigns/${id}/recipients?limit=10`);
    expect(recipients.map((r) => [r.client_name, r.status, r.skip_reason]).sort()).toEqual([
      ['Nerea', 'sent', null],
      ['Unai', 'skipped', 'no_address'],
    ]);
  });

  it('runs "all 1,200 matching" as a job with progress, then says what it did', async () => {
    const { page } = session;
    const names = Array.from({ length: 1200 }, (_, i) => `Donostia ${i}`);
    for (let i = 0; i < names.length; i += 40)
      await Promise.all(
        names
          .slice(i, i + 40)
          .map((first_name) => callApi(session, 'POST', '/api/v1/clients', { first_name, city: 'Donostia' })),
      );
    await page.goto('/clients');
    await page.getByLabel('Search clients').fill('city:Donostia');
    await expect.poll(() => page.getByText('1,200 clients match').count(), { timeout: 20_000 }).toBe(1);
    await page.getByLabel('Select the clients shown').check();
    await page.getByRole('button', { name: 'Select all 1,200 matching clients' }).click();
    await expect
      .poll(() => page.getByTestId('selection-bar').textContent())
      .toContain('All 1,200 matching clients');
    const dialog = await openAction('Add tags');
    await expect
      .poll(() => dialog.getByTestId('bulk-count').textContent())
      .toContain('1,200 clients will get');
    await dialog.getByLabel('Tags').fill('coast');
    await dialog.getByLabel('Tags').press('Enter');
    // Close the list of existing tags, which covers the button.
    await dialog.getByTestId('bulk-count').click();
    await dialog.getByRole('button', { name: 'Tag 1,200 clients' }).click();
    await dialog.getByTestId('bulk-progress').waitFor();
    await shot(page, 'bulk-job-progress');
    await expect
      .poll(() => dialog.getByTestId('bulk-result').textContent(), { timeout: 60_000 })
      .toContain('1,200 clients tagged.');
    await shot(page, 'bulk-job-result');
    const actions = await callApi<{ actions: Array<{ action: string; total: number; status: string }> }>(
      session,
      'GET',
      '/api/v1/bulk/actions?limit=1',
    );
    expect(actions.actions[0]).toMatchObject({ action: 'add_tags', total: 1200, status: 'completed' });
  }, 240_000);

  it('archives the ticked rows, shows them in the Archived view and the drawer, and restores them', async () => {
    // Logged in by the first test, or on its own (vitest -t).
    if (!session.workspaceId) await logIn(session);
    const { page } = session;
    for (const first_name of ['Aitor', 'Leire', 'Mikel'])
      await callApi(session, 'POST', '/api/v1/clients', { first_name, city: 'Getxo' });
    await page.goto('/clients');
    await page.getByLabel('Search clients').fill('city:Getxo');
    await expect.poll(() => page.getByText('3 clients match').count(), { timeout: 15_000 }).toBe(1);
    await tickShown(3);
    const dialog = await openAction('Archive clients');
    const confirm = dialog.getByRole('button', { name: 'Archive 3 clients' });
    await expect
      .poll(() => dialog.getByTestId('bulk-count').textContent())
      .toContain('3 clients will be archived');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type 3 to confirm').fill('3');
    await shot(page, 'archive-bulk-dialog');
    await confirm.click();
    await expect
      .poll(() => dialog.getByTestId('bulk-result').textContent(), { timeout: 15_000 })
      .toContain('3 clients archived.');
    await dialog.getByRole('button', { name: 'Done' }).click();
    // Gone from the active list; all three in the Archived view.
    await expect
      .poll(() => page.getByText('No client matches').count(), { timeout: 15_000 })
      .toBeGreaterThan(0);
    await page.getByTestId('client-status').getByText('Archived', { exact: true }).click();
    await expect.poll(() => page.getByText('3 clients match').count(), { timeout: 15_000 }).toBe(1);
    await shot(page, 'archive-list-archived');

    // One restored from its drawer, which says it is archived.
    await page.getByRole('link', { name: 'Aitor' }).click();
    await page.getByTestId('archived-badge').waitFor();
    await shot(page, 'archive-drawer-badge');
    await page.getByRole('button', { name: 'More actions' }).click();
    await page.getByRole('menuitem', { name: 'Restore from the archive' }).click();
    await expect.poll(() => page.getByTestId('archived-badge').count(), { timeout: 10_000 }).toBe(0);
    await page.goBack();
    await page.locator('.mantine-Drawer-overlay').waitFor({ state: 'detached' });
    await expect.poll(() => page.getByText('2 clients match').count(), { timeout: 15_000 }).toBe(1);

    // The other two by the bulk restore of the Archived view.
    await tickShown(2);
    const restore = await openAction('Restore clients');
    await expect
      .poll(() => restore.getByTestId('bulk-count').textContent())
      .toContain('2 archived clients will be restored');
    await restore.getByLabel('Type 2 to confirm').fill('2');
    await restore.getByRole('button', { name: 'Restore 2 clients' }).click();
    await expect
      .poll(() => restore.getByTestId('bulk-result').textContent(), { timeout: 15_000 })
      .toContain('2 clients restored.');
    await shot(page, 'archive-bulk-restored');
    await restore.getByRole('button', { name: 'Done' }).click();
    await page.getByTestId('client-status').getByText('Active', { exact: true }).click();
    await expect.poll(() => page.getByText('3 clients match').count(), { timeout: 15_000 }).toBe(1);
    const timeline = await callApi<{ items: Array<{ type: string }> }>(
      session,
      'GET',
      `/api/v1/clients/${(await callApi<{ clients: Array<{ id: string }> }>(session, 'GET', '/api/v1/clients?q=Aitor')).clients[0]!.id}/timeline`,
    );
    expect(JSON.stringify(timeline)).toContain('unarchived');
  });
});
