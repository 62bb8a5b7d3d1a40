import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, SCREENSHOT_DIR, screenshot } from './support/browser';
import { OWNER, startServer, type TestServer } from './support/server';

/**
 * The segment builder and manager end to end, as a front-desk person uses them: build "city is Madrid and
 * tag vip" with the pickers, watch the live count and the sentence, rewrite it as a one-line query, save
 * it, find it in the manager with its count, duplicate it. Steps share one page and run in order.
 */
describe('segments', () => {
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

  /** Picks an entry of the condition's field picker (a searchable select). */
  async function pickField(row: ReturnType<Page['locator']>, label: string) {
    const picker = row.getByLabel('Field', { exact: true });
    await picker.click();
    await picker.fill(label);
    await page.getByRole('option', { name: label, exact: true }).click();
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
      await screenshot(page, `failed-segments-${task.name.replace(/\W+/g, '-').slice(0, 50)}`).catch(
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

    for (const [name, color] of [
      ['VIP', 'yellow'],
      ['Newsletter', 'blue'],
    ] as const) {
      await api('POST', '/api/v1/tags', { name, color });
    }
    // Madrid and VIP: Ana, Luis, Pablo and Sara (her city typed in lower case: comparisons ignore case).
    const people: Array<[string, string, string, string[], number]> = [
      ['Ana', 'García', 'Madrid', ['VIP'], 150],
      ['Luis', 'Martín', 'Madrid', ['VIP', 'Newsletter'], 50],
      ['Marta', 'López', 'Madrid', [], 400],
      ['Pablo', 'Sanz', 'Madrid', ['VIP'], 320],
      ['Elena', 'Ruiz', 'Valencia', ['VIP'], 900],
      ['Jorge', 'Díaz', 'Valencia', [], 0],
      ['Lucía', 'Moreno', 'Sevilla', ['VIP', 'Newsletter'], 75],
      ['Sara', 'Gil', 'madrid', ['VIP'], 0],
    ];
    const events: unknown[] = [];
    for (const [index, [first, last, city, tags, spent]] of people.entries()) {
      const client = await api<{ id: string }>('POST', '/api/v1/clients', {
        first_name: first,
        last_name: last,
        email: `${first.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '')}@example.com`,
        phone: `+34 600 200 ${String(100 + index)}`,
        country: 'ES',
        city,
        tags,
        consent: { email: true, whatsapp: index % 2 === 0 },
        consent_evidence: 'Signed at the desk',
      });
      if (spent)
        events.push({
          client_id: client.id,
          type: 'payment',
          occurred_at: new Date(Date.now() - (index + 2) * 86_400_000).toISOString(),
          amount: spent,
          currency: 'EUR',
          reference_id: `p-${index}`,
        });
    }
    const result = await api<{ accepted: number }>('POST', '/api/v1/events', { events });
    expect(result.accepted).toBe(events.length);
  });

  it('shows the segment manager with the workspace presets', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Segments', exact: true }).click();
    await page.waitForURL((url) => url.pathname === '/segments');
    const table = page.getByRole('table', { name: 'Segments' });
    await table.getByRole('link', { name: 'Sin contactar en 30 días' }).waitFor();
    await expect(
      table.getByRole('link', { name: 'En riesgo', exact: false }).count(),
    ).resolves.toBeGreaterThan(0);
  });

  it('builds "city is Madrid and tag vip" and counts it live', async () => {
    await page.getByRole('link', { name: 'New segment' }).click();
    await page.waitForURL((url) => url.pathname === '/segments/new');
    await sentence().filter({ hasText: 'All clients.' }).waitFor();
    await expect.poll(() => count().innerText()).toBe('8');

    await page.getByRole('button', { name: 'Add condition' }).click();
    // The new condition's field picker has the focus: a keyboard user goes on typing.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
      .toBe('Field');
    await page.getByRole('option', { name: 'City', exact: true }).waitFor();
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'segments-field-picker-en.png') });
    await pickField(conditions().nth(0), 'City');
    await conditions().nth(0).getByLabel('Value', { exact: true }).fill('Madrid');
    await expect.poll(() => count().innerText()).toBe('5');

    await page.getByRole('button', { name: 'Add condition' }).click();
    await pickField(conditions().nth(1), 'Tags');
    await conditions().nth(1).getByLabel('Value', { exact: true }).fill('vip');
    await expect.poll(() => count().innerText()).toBe('4');
    await expect.poll(() => sentence().innerText()).toBe('Clients in Madrid and tagged vip.');
    await expect.poll(() => query().inputValue()).toBe('city:Madrid tag:vip');
    await page.keyboard.press('Escape');

    // The preview lists the four of them.
    const preview = page.getByRole('table', { name: 'First matching clients' });
    await expect.poll(() => preview.getByRole('row').count()).toBe(5);
    for (const name of ['Ana García', 'Luis Martín', 'Pablo Sanz', 'Sara Gil'])
      await preview.getByText(name, { exact: true }).waitFor();
    await screenshotView('segments-builder-en');
  });

  it('rewrites the tree from the one-line query, with the error column shown', async () => {
    await query().fill('city:Madrid tag:vip ltv>>100');
    await query().press('Enter');
    const error = page.getByTestId('segment-query-error');
    await error.waitFor();
    await expect(error.innerText()).resolves.toMatch(/\^/);
    await expect(error.innerText()).resolves.toMatch(/Column \d+/);
    // Conditions are untouched until a query reads well.
    await expect(conditions().count()).resolves.toBe(2);

    await query().fill('city:Madrid tag:vip ltv>100');
    await query().press('Enter');
    await expect.poll(() => conditions().count()).toBe(3);
    await expect.poll(() => count().innerText()).toBe('2');
    await expect
      .poll(() => sentence().innerText())
      .toBe('Clients in Madrid, tagged vip, and whose lifetime value is more than 100.');
  });

  it('saves the segment', async () => {
    await page.getByRole('button', { name: 'Save segment' }).click();
    const dialog = page.getByRole('dialog', { name: 'Save segment' });
    await dialog.getByLabel(/^Name/).fill('Madrid VIPs');
    await dialog.getByRole('button', { name: 'Use the sentence as description' }).click();
    await dialog.getByRole('button', { name: 'Save segment' }).click();
    await page.waitForURL((url) => /^\/segments\/[0-9a-f-]{36}$/.test(url.pathname));
    await page.getByRole('heading', { name: 'Madrid VIPs' }).waitFor();
    await expect(page.getByRole('button', { name: 'Saved' }).isDisabled()).resolves.toBe(true);
    await expect.poll(() => count().innerText()).toBe('2');
    await screenshotView('segments-saved-en');
  });

  it('finds it in the manager with its count, and duplicates it', async () => {
    await page.getByRole('link', { name: 'All segments' }).click();
    await page.waitForURL((url) => url.pathname === '/segments');
    const table = page.getByRole('table', { name: 'Segments' });
    const row = table
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: 'Madrid VIPs', exact: true }) });
    await expect.poll(() => row.getByTestId('segment-row-count').innerText()).toBe('2');
    await expect(row.getByText('Dynamic').count()).resolves.toBe(1);

    await row.getByRole('button', { name: 'Actions for Madrid VIPs' }).click();
    await page.getByRole('menuitem', { name: 'Duplicate' }).click();
    const copy = table
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: 'Madrid VIPs (copy)', exact: true }) });
    await expect.poll(() => copy.getByTestId('segment-row-count').innerText()).toBe('2');
  });

  it('shows the manager in Spanish, dark', async () => {
    await page.getByRole('button', { name: /^Language/ }).click();
    await page.getByRole('menuitem', { name: 'Español' }).click();
    await page.getByRole('button', { name: 'Pasar al modo oscuro' }).click();
    await page
      .getByRole('table', { name: 'Segmentos' })
      .getByRole('link', { name: 'Madrid VIPs', exact: true })
      .waitFor();
    await expect.poll(() => page.locator('html').getAttribute('data-mantine-color-scheme')).toBe('dark');
    // A copy is named in the user's language.
    const spanish = page.getByRole('table', { name: 'Segmentos' });
    await spanish
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: 'Madrid VIPs', exact: true }) })
      .getByRole('button', { name: 'Acciones de Madrid VIPs' })
      .click();
    await page.getByRole('menuitem', { name: 'Duplicar' }).click();
    await spanish.getByRole('link', { name: 'Madrid VIPs (copia)', exact: true }).waitFor();
    await screenshotView('segments-manager-es-dark');

    // The builder speaks Spanish too, the sentence included.
    await page.getByRole('link', { name: 'Madrid VIPs', exact: true }).click();
    await expect
      .poll(() => sentence().innerText())
      .toBe('Clientes de Madrid, con la etiqueta vip y cuyo valor total es mayor que 100.');
    await screenshotView('segments-builder-es-dark');
  });
});
