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

  async function selectBilbao() {
    const { page } = session;
    await page.goto('/clients');
    await page.getByLabel('Search clients').fill('city:Bilbao');
    await expect.poll(() => page.getByText('4 clients match').count(), { timeout: 15_000 }).toBe(1);
    await page.getByLabel('Select the clients shown').check();
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
});
