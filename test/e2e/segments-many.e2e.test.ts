import { describe, expect, it } from 'vitest';
import { screenshot } from './support/browser';
import { callApi, dismissNotifications, logIn, useBrowserSession } from './support/session';

/**
 * A workspace with 250 saved segments: the manager reaches the oldest with "Load more" and finds it
 * by name through the server, and the campaign wizard's segment picker finds it by typing and reads
 * further pages as its list is scrolled. Before, both loaded the newest 200 and no more.
 */
describe('250 segments', () => {
  const session = useBrowserSession('segments-many');
  const name = (i: number) => `Audience ${String(i).padStart(3, '0')}`;

  it('fills the workspace with 250 segments', async () => {
    await logIn(session);
    // The presets come first (the first list makes them), so the 250 are the newest.
    await callApi(session, 'GET', '/api/v1/segments');
    for (let i = 1; i <= 250; i++)
      await callApi(session, 'POST', '/api/v1/segments', {
        name: name(i),
        definition: { field: 'city', op: 'eq', value: `City ${i}` },
      });
  });

  it('the manager reaches the 250th with Load more, and finds it by name', async () => {
    const { page } = session;
    await page.goto('/segments');
    const rows = page.getByTestId('segment-row');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(50);
    const oldest = page.getByRole('link', { name: name(1), exact: true });
    for (let pages = 1; pages < 10 && !(await oldest.isVisible()); pages++) {
      await page.getByRole('button', { name: 'Load more' }).click();
      await expect.poll(() => rows.count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(50 * (pages + 1));
    }
    await oldest.scrollIntoViewIfNeeded();
    expect(await oldest.isVisible()).toBe(true);
    expect(await rows.count()).toBeGreaterThanOrEqual(250);

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.getByRole('searchbox', { name: 'Search segments' }).fill('audience 001');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(1);
    await oldest.waitFor();
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    await dismissNotifications(page);
    await screenshot(page, 'segments-many-manager-search');
  });

  it("the wizard's picker finds the 250th by typing, and scrolling its list reads the next page", async () => {
    const { page } = session;
    await page.goto('/campaigns/new');
    await page.getByLabel('Campaign name').fill('Reach the oldest');
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.waitForURL(/\/campaigns\/[0-9a-f-]+\/edit$/);
    await page.getByRole('radio', { name: 'A saved segment' }).check();

    const picker = page.getByRole('combobox', { name: 'Segment', exact: true });
    await picker.click();
    const options = page.getByRole('option');
    await expect.poll(() => options.count(), { timeout: 15_000 }).toBe(50);
    // The end of the list reads the next page.
    await options.last().scrollIntoViewIfNeeded();
    await expect.poll(() => options.count(), { timeout: 15_000 }).toBe(100);

    await picker.fill('001');
    await expect.poll(() => options.allInnerTexts(), { timeout: 15_000 }).toEqual([name(1)]);
    await screenshot(page, 'segments-many-wizard-picker-search');
    await page.getByRole('option', { name: name(1), exact: true }).click();
    expect(await picker.inputValue()).toBe(name(1));
    await page.getByTestId('audience-count').waitFor({ timeout: 15_000 });
    await dismissNotifications(page);
    await screenshot(page, 'segments-many-wizard-picker');

    // Saved: the campaign's audience is that segment; reopened, the picker names it though it is
    // on no page loaded yet (the newest 50 do not hold it).
    const campaignId = page.url().split('/').at(-2) ?? '';
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.getByLabel('Subject').waitFor();
    const campaign = await callApi<{ audience: { segment_id?: string } }>(
      session,
      'GET',
      `/api/v1/campaigns/${campaignId}`,
    );
    const segment = await callApi<{ name: string }>(
      session,
      'GET',
      `/api/v1/segments/${campaign.audience.segment_id}`,
    );
    expect(segment.name).toBe(name(1));
    await page.goto(`/campaigns/${campaignId}/edit`);
    await expect.poll(() => picker.inputValue(), { timeout: 15_000 }).toBe(name(1));
  });
});
