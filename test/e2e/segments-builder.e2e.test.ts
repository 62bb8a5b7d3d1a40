import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, SCREENSHOT_DIR, screenshot } from './support/browser';
import { OWNER, startServer, type TestServer } from './support/server';

/**
 * The builder beyond the basics: nested groups and NOT, event conditions, the depth limit shown as a
 * disabled button with its reason, a server validation message on its row, unsaved changes kept from an
 * accidental click away, freezing into a static segment, a query mistake worded in Spanish, and the
 * builder at tablet width in dark mode.
 */
describe('segment builder', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let workspaceId = '';

  const conditions = () => page.getByTestId('segment-condition');
  const count = () => page.getByTestId('segment-count');
  const sentence = () => page.getByTestId('segment-sentence');
  const query = () => page.getByTestId('segment-query');

  async function api<T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> {
    const response = await page.request.fetch(`${server.url}${path}`, {
      method,
      headers: { 'X-Workspace-Id': workspaceId, Origin: server.url, 'Content-Type': 'application/json' },
      data: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok()) throw new Error(`${method} ${path} → ${response.status()}: ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  async function screenshotView(name: string) {
    for (const close of await page.locator('.mantine-Notification-root .mantine-CloseButton-root').all()) {
      await close.click().catch(() => undefined);
    }
    await page.mouse.move(0, 0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(450);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  }

  async function pickField(row: Locator, label: string) {
    const picker = row.getByLabel('Field', { exact: true });
    await picker.click();
    await picker.fill(label);
    await page.getByRole('option', { name: label, exact: true }).click();
  }

  /** Types a value; Escape closes the suggestions a tag or text box may open. */
  async function fillValue(row: Locator, text: string) {
    await row.getByLabel('Value', { exact: true }).fill(text);
    await page.keyboard.press('Escape');
  }

  async function pickOption(row: Locator, control: string, option: string) {
    await row.getByLabel(control, { exact: true }).click();
    await page.getByRole('option', { name: option, exact: true }).click();
  }

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1280, height: 900 },
      locale: 'en-US',
      timezoneId: 'Europe/Madrid',
      colorScheme: 'light',
    });
    page = await context.newPage();
  });

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail' && page) {
      await screenshot(page, `failed-segment-builder-${task.name.replace(/\W+/g, '-').slice(0, 50)}`).catch(
        () => undefined,
      );
    }
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  it('logs in and fills the workspace', async () => {
    await page.goto('/login');
    await page.getByLabel(/^Email/).fill(OWNER.email);
    await page.getByLabel(/^Password/).fill(OWNER.password);
    await page.getByLabel(/^Password/).press('Enter');
    await page.waitForURL((url) => url.pathname === '/');
    const me = await page.request.get(`${server.url}/api/v1/me`);
    workspaceId = ((await me.json()) as { workspace: { id: string } }).workspace.id;
    await page.evaluate((id) => window.localStorage.setItem('clientela.workspaceId', id), workspaceId);

    await api('POST', '/api/v1/tags', { name: 'VIP', color: 'yellow' });
    await api('POST', '/api/v1/tags', { name: 'Blocked', color: 'red' });
    // Bookings: Ana 4, Bea 2, Carla 1, Dani 0, Eva 3 (one of them long ago).
    const people: Array<[string, string, string[], number]> = [
      ['Ana', 'Madrid', ['VIP'], 4],
      ['Bea', 'Madrid', [], 2],
      ['Carla', 'Valencia', ['VIP', 'Blocked'], 1],
      ['Dani', 'Valencia', [], 0],
      ['Eva', 'Sevilla', ['VIP'], 3],
    ];
    const events: unknown[] = [];
    for (const [index, [name, city, tags, bookings]] of people.entries()) {
      const client = await api<{ id: string }>('POST', '/api/v1/clients', {
        first_name: name,
        last_name: 'Test',
        email: `${name.toLowerCase()}@example.com`,
        city,
        tags,
        consent: { email: true },
        consent_evidence: 'Signed at the desk',
      });
      for (let n = 0; n < bookings; n++)
        events.push({
          client_id: client.id,
          type: 'booking',
          occurred_at: new Date(
            Date.now() - (name === 'Eva' && n === 0 ? 400 : 5 + n) * 86_400_000,
          ).toISOString(),
          reference_id: `b-${index}-${n}`,
        });
    }
    const result = await api<{ accepted: number }>('POST', '/api/v1/events', { events });
    expect(result.accepted).toBe(events.length);
  });

  it('aborts a preview request that a newer edit supersedes', async () => {
    await page.goto('/segments/new');
    await expect.poll(() => count().innerText()).toBe('5');
    // Slow previews down so a second edit lands while the first request is still running.
    await page.route('**/api/v1/segments/evaluate', async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await route.continue().catch(() => undefined);
    });
    const aborted: string[] = [];
    const onFailed = (request: { url: () => string; failure: () => { errorText: string } | null }) => {
      if (request.url().endsWith('/api/v1/segments/evaluate'))
        aborted.push(request.failure()?.errorText ?? '');
    };
    page.on('requestfailed', onFailed);
    await page.getByRole('button', { name: 'Add condition' }).click();
    await pickField(conditions().nth(0), 'City');
    await fillValue(conditions().nth(0), 'Sevilla');
    await page.waitForTimeout(700);
    await fillValue(conditions().nth(0), 'Madrid');
    await expect.poll(() => count().innerText(), { timeout: 10_000 }).toBe('2');
    // Sevilla's answer (1) never showed: its request was cancelled when Madrid replaced it.
    expect(aborted.length).toBeGreaterThan(0);
    page.off('requestfailed', onFailed);
    await page.unroute('**/api/v1/segments/evaluate');
    await conditions().nth(0).getByRole('button', { name: 'Remove condition' }).click();
  });

  it('nests groups, negates a group and counts events, by keyboard where it matters', async () => {
    await expect.poll(() => count().innerText()).toBe('5');

    // Bookings: at least 2 in the last 180 days → Ana, Bea, Eva (her third is 400 days old, two are recent).
    await page.getByRole('button', { name: 'Add condition' }).click();
    await page.keyboard.type('Bookings');
    await page.keyboard.press('Enter');
    const booking = conditions().nth(0);
    await booking.getByLabel('Value', { exact: true }).fill('2');
    await pickOption(booking, 'When', 'In the last 180 days');
    await expect.poll(() => count().innerText()).toBe('3');

    // A group "none of: tag blocked, city Sevilla" → Ana, Bea.
    await page.getByRole('button', { name: 'Add group' }).first().click();
    await page.keyboard.press('Escape');
    const group = page.getByTestId('segment-group');
    await pickOption(group, 'How these conditions combine', 'none of these conditions');
    await pickField(group.getByTestId('segment-condition').nth(0), 'Tags');
    await fillValue(group.getByTestId('segment-condition').nth(0), 'blocked');
    await group.getByRole('button', { name: 'Add condition' }).click();
    await pickField(group.getByTestId('segment-condition').nth(1), 'City');
    await fillValue(group.getByTestId('segment-condition').nth(1), 'Sevilla');
    await expect.poll(() => count().innerText()).toBe('2');
    await expect
      .poll(() => sentence().innerText())
      .toBe(
        'Clients with at least 2 bookings in the last 180 days, except those tagged blocked or in Sevilla.',
      );
    await expect.poll(() => query().inputValue()).toMatch(/^booking\.count\(180d\)>=2 /);
    await screenshotView('segments-builder-nested-en');
  });

  it('shows the depth limit as a disabled button with its reason', async () => {
    // The "none of" group is a NOT around an "any": levels 2 and 3. Two more groups inside reach level 5,
    // where a condition still fits (level 6) and a group no longer does.
    for (let level = 0; level < 2; level++) {
      await page
        .getByTestId('segment-group')
        .last()
        .getByRole('button', { name: 'Add group' })
        .last()
        .click();
      await page.keyboard.press('Escape');
    }
    const deepest = page.getByTestId('segment-group').last();
    const addGroup = deepest.getByRole('button', { name: 'Add group' }).last();
    await expect(addGroup.getAttribute('aria-disabled')).resolves.toBe('true');
    await addGroup.focus();
    await page
      .getByRole('tooltip')
      .filter({ hasText: 'Groups can be nested 6 levels deep at most.' })
      .waitFor();
    await expect(
      deepest.getByRole('button', { name: 'Add condition' }).last().getAttribute('aria-disabled'),
    ).resolves.toBeNull();
    // A query replaces the whole tree, unfinished conditions included.
    await query().fill('booking.count(180d)>=2 -tag:blocked -city:Sevilla');
    await query().press('Enter');
    await expect.poll(() => conditions().count()).toBe(3);
    await expect.poll(() => count().innerText()).toBe('2');
  });

  it('puts a server validation message on its row', async () => {
    await query().fill('label:nobody_has_this');
    await query().press('Enter');
    await expect.poll(() => conditions().count()).toBe(1);
    const row = conditions().nth(0);
    await row.getByText(/unknown label/i).waitFor();
    await expect(row.getAttribute('data-invalid')).resolves.toBe('true');
    await page.getByText('Some conditions need fixing: see the messages in red.').waitFor();
  });

  it('keeps unsaved changes from an accidental click away', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Clients', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Leave without saving?' });
    await dialog.getByRole('button', { name: 'Keep editing' }).click();
    await expect(page.url()).toMatch(/\/segments\/new$/);
  });

  it('saves, then freezes it into a static segment', async () => {
    await query().fill('tag:vip');
    await query().press('Enter');
    await expect.poll(() => count().innerText()).toBe('3');
    await page.keyboard.press('Control+s');
    const dialog = page.getByRole('dialog', { name: 'Save segment' });
    await dialog.getByLabel(/^Name/).fill('All VIPs');
    await dialog.getByRole('button', { name: 'Save segment' }).click();
    await page.getByRole('heading', { name: 'All VIPs' }).waitFor();

    await page.getByRole('button', { name: 'More' }).click();
    await page.getByRole('menuitem', { name: 'Freeze as static segment' }).click();
    await page
      .getByRole('dialog', { name: 'Freeze as a static segment?' })
      .getByRole('button', { name: 'Freeze' })
      .click();
    await page.getByText('Static', { exact: true }).first().waitFor();
    await expect.poll(() => count().innerText()).toBe('3');
    await page.getByRole('table', { name: 'Members' }).getByText('Eva Test').waitFor();
    await screenshotView('segments-static-en');
  });

  it('archives a segment from the manager and restores it from the archived ones', async () => {
    await page.getByRole('link', { name: 'All segments' }).click();
    const table = page.getByRole('table', { name: 'Segments' });
    const row = table
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: 'All VIPs', exact: true }) });
    await row.getByRole('button', { name: 'Actions for All VIPs' }).click();
    await page.getByRole('menuitem', { name: 'Archive' }).click();
    await page
      .getByRole('dialog', { name: 'Archive this segment?' })
      .getByRole('button', { name: 'Archive' })
      .click();
    await expect.poll(() => row.count()).toBe(0);

    await page.getByText('Archived', { exact: true }).click();
    await row.waitFor();
    await screenshotView('segments-manager-archived-en');
    await row.getByRole('button', { name: 'Actions for All VIPs' }).click();
    await page.getByRole('menuitem', { name: 'Restore' }).click();
    await expect.poll(() => row.count()).toBe(0);
    await page.getByText('Active', { exact: true }).click();
    await row.waitFor();
  });

  it('will not archive a segment a scheduled campaign still needs, and says which', async () => {
    const { segments } = await api<{ segments: Array<{ id: string; name: string }> }>(
      'GET',
      '/api/v1/segments',
    );
    const segment = segments.find((s) => s.name === 'All VIPs')!;
    const campaign = await api<{ id: string }>('POST', '/api/v1/campaigns', {
      name: 'VIP weekend',
      channel: 'email',
      content: { subject: 'Hola', body: '<p>Hola</p>' },
      audience: { segment_id: segment.id },
    });
    await api('POST', `/api/v1/campaigns/${campaign.id}/send`, {
      at: new Date(Date.now() + 86_400_000).toISOString(),
      determine_recipients: 'at_send',
    });
    // The segment's page says who uses it, the campaign still to read it marked pending.
    await page.goto(`/segments/${segment.id}`);
    await page
      .getByTestId('segment-used-by')
      .getByText('Used by VIP weekend (pending)', { exact: true })
      .waitFor();
    await screenshotView('segments-used-by-en');
    await page.goto('/segments');
    const row = page
      .getByRole('table', { name: 'Segments' })
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: 'All VIPs', exact: true }) });
    await row.getByText('1 campaign or action').waitFor();
    await row.getByRole('button', { name: 'Actions for All VIPs' }).click();
    await page.getByRole('menuitem', { name: 'Archive' }).click();
    const dialog = page.getByRole('dialog', { name: "This segment can't be archived yet" });
    await dialog.getByText('These still need “All VIPs”', { exact: false }).waitFor();
    await dialog.getByRole('link', { name: 'VIP weekend' }).waitFor();
    await screenshotView('segments-archive-blocked-en');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await row.waitFor();
    await api('POST', `/api/v1/campaigns/${campaign.id}/cancel`, {});
  });

  it('pages through every matching client with Load more', async () => {
    for (let i = 0; i < 21; i += 1)
      await api('POST', '/api/v1/clients', { first_name: `Walker ${i}`, city: 'Bilbao' });
    await page.goto('/segments/new');
    await query().fill('city:Bilbao');
    await query().press('Enter');
    await expect.poll(() => count().innerText()).toBe('21');
    const rows = page.getByTestId('segment-preview-row');
    await expect.poll(() => rows.count()).toBe(20);
    await page.getByText('The first 20 of 21').waitFor();
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => rows.count()).toBe(21);
    await expect.poll(() => page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    await page.getByRole('link', { name: 'All segments' }).click();
    await page
      .getByRole('dialog', { name: 'Leave without saving?' })
      .getByRole('button', { name: 'Leave' })
      .click();
    await page.getByRole('heading', { name: 'Segments' }).waitFor();
  });

  it('words a query mistake in Spanish, at its column', async () => {
    await page.goto('/segments/new');
    await page.getByRole('button', { name: /^Language/ }).click();
    await page.getByRole('menuitem', { name: 'Español' }).click();
    await page.getByRole('button', { name: 'Añadir condición' }).first().waitFor();
    await query().fill('tag:vip citi:Madrid');
    await query().press('Enter');
    const error = page.getByTestId('segment-query-error');
    await error
      .getByText('Columna 9: No existe el campo «citi». ¿Querías decir city?', { exact: true })
      .waitFor();
    expect(await error.getByText(/unknown field/).count()).toBe(0);
    await screenshotView('segments-query-error-es');
    // Escape gives back the builder's (empty) text, so nothing is left unsaved; then back to English.
    await query().press('Escape');
    await expect.poll(() => error.count()).toBe(0);
    await page.getByRole('button', { name: /^Idioma/ }).click();
    await page.getByRole('menuitem', { name: 'English' }).click();
    await page.getByRole('button', { name: 'Add condition' }).first().waitFor();
  });

  it('works at tablet width in dark mode', async () => {
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.getByRole('button', { name: 'Switch to dark mode' }).click();
    await page.goto('/segments/new?preset=notContacted30');
    await expect.poll(() => conditions().count()).toBe(1);
    await page.getByRole('button', { name: 'Add condition' }).first().click();
    await page.keyboard.type('Payments');
    await page.keyboard.press('Enter');
    await pickOption(conditions().nth(1), 'Measure', 'Total amount');
    await conditions().nth(1).getByLabel('Value', { exact: true }).fill('100');
    await pickOption(conditions().nth(1), 'When', 'In the last … days');
    await conditions().nth(1).getByLabel('Number of days', { exact: true }).fill('45');
    await sentence().filter({ hasText: 'payments totalling at least 100 in the last 45 days' }).waitFor();
    await screenshotView('segments-builder-tablet-dark');
    // On a shorter screen the count panel below the builder is out of sight: a floating pill keeps the count.
    await page.setViewportSize({ width: 820, height: 600 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.getByText('0 clients match', { exact: true }).waitFor();
  });
});
