import { describe, expect, it } from 'vitest';
import { screenshot } from './support/browser';
import { callApi, dismissNotifications, logIn, useBrowserSession } from './support/session';

/** The client list's search box takes a one-line segment query, and points at a mistake's column. */
describe('client search with a segment query', () => {
  const session = useBrowserSession('clients-query');

  it('filters by tag:vip city:Madrid and shows a mistake under the box', async () => {
    await logIn(session);
    const { page } = session;
    for (const [first_name, city, tags] of [
      ['Marta', 'Madrid', ['VIP']],
      ['Mario', 'Madrid', []],
      ['Vera', 'Valencia', ['vip']],
    ] as const)
      await callApi(session, 'POST', '/api/v1/clients', { first_name, last_name: 'Query', city, tags });
    await page.goto('/clients');
    const search = page.getByRole('searchbox', { name: 'Search clients' });
    await search.fill('tag:vip city:Madrid');
    const rows = page.getByRole('row').filter({ hasText: 'Query' });
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => rows.first().textContent()).toContain('Marta');
    await expect.poll(() => page.getByText('Filtering by a segment query').count()).toBe(1);
    await dismissNotifications(page);
    await screenshot(page, 'clients-query');

    await search.fill('tag:vip ltv>>5');
    await expect.poll(() => page.getByText(/^Column 13:/).count(), { timeout: 15_000 }).toBe(1);
    await screenshot(page, 'clients-query-mistake');
  });
});
