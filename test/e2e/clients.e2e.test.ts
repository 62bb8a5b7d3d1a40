import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type MetaPeer, metaError, startMetaPeer } from '../peers/meta-graph.ts';
import { launchBrowser, SCREENSHOT_DIR, screenshot } from './support/browser';
import { OWNER, startServer, type TestServer } from './support/server';

/**
 * The Clients screens end to end, as a front-desk person uses them: the list with search, the "Add client"
 * form with the server's validation shown inline, the client drawer (tags, notes, timeline, consent) and the
 * custom-field settings. Steps share one page and run in order.
 */
describe('clients', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let workspaceId = '';
  let meta: MetaPeer;
  /** José Pérez Núñez: consent for every channel, phone +34600100100. */
  let joseId = '';

  const navLink = (name: string) => page.getByRole('navigation').getByRole('link', { name, exact: true });
  const drawer = () => page.getByRole('dialog').filter({ has: page.getByRole('tab', { name: 'Timeline' }) });

  /** A call to the API as the logged-in user (same cookies as the page). */
  async function api<T>(method: 'GET' | 'POST' | 'PATCH' | 'PUT', path: string, body?: unknown): Promise<T> {
    const response = await page.request.fetch(`${server.url}${path}`, {
      method,
      headers: { 'X-Workspace-Id': workspaceId, Origin: server.url, 'Content-Type': 'application/json' },
      data: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok()) throw new Error(`${method} ${path} → ${response.status()}: ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  /**
   * What is on screen, without the notifications: the drawer and dialogs are fixed to the viewport, so a
   * full-page capture would show the list running on below them.
   */
  async function screenshotView(name: string) {
    await dismissNotifications();
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
  }

  async function dismissNotifications() {
    for (const close of await page.locator('.mantine-Notification-root .mantine-CloseButton-root').all()) {
      await close.click().catch(() => undefined);
    }
    await page.waitForTimeout(450);
  }

  beforeAll(async () => {
    server = await startServer();
    meta = await startMetaPeer();
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
      await screenshot(page, `failed-clients-${task.name.replace(/\W+/g, '-').slice(0, 50)}`).catch(
        () => undefined,
      );
    }
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
    await meta?.close();
  });

  it('logs in', async () => {
    await page.goto('/login');
    await page.getByLabel(/^Email/).fill(OWNER.email);
    await page.getByLabel(/^Password/).fill(OWNER.password);
    await page.getByLabel(/^Password/).press('Enter');
    await page.waitForURL((url) => url.pathname === '/');
    const me = await page.request.get(`${server.url}/api/v1/me`);
    workspaceId = ((await me.json()) as { workspace: { id: string } }).workspace.id;
    // The dashboard and our API calls work in the same workspace.
    await page.evaluate((id) => window.localStorage.setItem('clientela.workspaceId', id), workspaceId);
  });

  it('fills the workspace through the API', async () => {
    await api('POST', '/api/v1/custom-fields', {
      key: 'shoe_size',
      label: 'Shoe size',
      type: 'number',
      section: 'Equipment',
      position: 1,
    });
    await api('POST', '/api/v1/custom-fields', {
      key: 'skill_level',
      label: 'Skill level',
      type: 'select',
      options: ['beginner', 'intermediate', 'advanced'],
      section: 'Equipment',
      position: 2,
    });
    await api('POST', '/api/v1/custom-fields', {
      key: 'medical_notes',
      label: 'Medical notes',
      type: 'text',
      section: 'Health',
      position: 1,
      visible_min_role: 'admin',
      editable_min_role: 'admin',
    });
    for (const [name, color] of [
      ['VIP', 'yellow'],
      ['Newsletter', 'blue'],
      ['Kayak', 'cyan'],
      ['Paddle surf', 'teal'],
      ['Family', 'grape'],
    ] as const) {
      await api('POST', '/api/v1/tags', { name, color });
    }
    const people: Array<[string, string, string, string[]]> = [
      ['José', 'Pérez Núñez', 'ES', ['VIP', 'Kayak']],
      ['Élodie', 'Garnier', 'FR', ['Newsletter']],
      ['María', 'Gómez', 'ES', ['Family', 'Paddle surf']],
      ['Zoë', 'Martin', 'GB', ['Kayak']],
      ['Iñaki', 'Etxeberria', 'ES', []],
      ['Chloé', 'Dubois', 'FR', ['Newsletter', 'VIP', 'Kayak']],
      ['Lucas', 'Moreau', 'FR', ['Paddle surf']],
      ['Sofía', 'Ramírez', 'ES', ['Family']],
      ['Noah', 'Smith', 'GB', []],
      ['Carmen', 'Ruiz', 'ES', ['Newsletter']],
      ['Hugo', 'Lefèvre', 'FR', ['Kayak']],
      ['Lucía', 'Navarro', 'ES', ['VIP']],
    ];
    const ids: string[] = [];
    for (const [index, [first, last, country, tags]] of people.entries()) {
      const ascii = `${first}.${last}`
        .normalize('NFD')
        .replace(/\p{M}/gu, '')
        .replace(/\s+/g, '')
        .toLowerCase();
      const client = await api<{ id: string }>('POST', '/api/v1/clients', {
        first_name: first,
        last_name: last,
        email: `${ascii}@example.com`,
        phone: `+34 600 1${String(index).padStart(2, '0')} ${String(100 + index * 7).slice(-3)}`,
        country,
        city: country === 'ES' ? 'Valencia' : country === 'FR' ? 'Biarritz' : 'Brighton',
        label: ['customer', 'prospect', 'affiliate'][index % 3],
        tags,
        custom: {
          shoe_size: 36 + (index % 9),
          skill_level: ['beginner', 'intermediate', 'advanced'][index % 3],
        },
        consent: { email: index % 3 !== 1, sms: index % 4 === 0, whatsapp: index % 2 === 0 },
        consent_evidence: 'Paper form signed at the desk',
      });
      ids.push(client.id);
    }
    // Bookings and payments: lifetime value, booking counts and churn risk get real values.
    const events = ids.slice(0, 9).flatMap((clientId, index) =>
      [0, 1, 2].flatMap((visit) => {
        const day = new Date(Date.now() - (30 + index * 40 + visit * (20 + index * 10)) * 86_400_000);
        return [
          {
            client_id: clientId,
            type: 'booking',
            occurred_at: day.toISOString(),
            reference_id: `b-${index}-${visit}`,
          },
          {
            client_id: clientId,
            type: 'payment',
            occurred_at: day.toISOString(),
            amount: 35 + index * 12.5 + visit * 10,
            currency: 'EUR',
            reference_id: `p-${index}-${visit}`,
          },
        ];
      }),
    );
    const result = await api<{ accepted: number }>('POST', '/api/v1/events', { events });
    expect(result.accepted).toBe(events.length);
    joseId = ids[0]!;
  });

  it('shows the client list with its columns', async () => {
    await navLink('Clients').click();
    await page.getByText('12 clients', { exact: true }).waitFor();
    const table = page.getByRole('table', { name: 'Clients' });
    await table.getByRole('link', { name: 'José Pérez Núñez' }).waitFor();
    await table.getByRole('columnheader', { name: /Lifetime value/ }).waitFor();
    await expect(table.getByRole('img', { name: 'Email: agreed' }).count()).resolves.toBeGreaterThan(0);

    // Highest lifetime value first, sorted by the server.
    await table.getByRole('button', { name: 'Lifetime value' }).click();
    await expect
      .poll(() => table.getByRole('columnheader', { name: /Lifetime value/ }).getAttribute('aria-sort'))
      .toBe('descending');
    await screenshot(page, 'clients-list');
  });

  it('finds an accented name typed without accents', async () => {
    const search = page.getByRole('searchbox', { name: 'Search clients' });
    await search.fill('jose perez');
    await page.getByText('1 client matches', { exact: true }).waitFor();
    const table = page.getByRole('table', { name: 'Clients' });
    await table.getByRole('link', { name: 'José Pérez Núñez' }).waitFor();
    await expect(table.getByRole('row').count()).resolves.toBe(2);
    await search.fill('elodie');
    await table.getByRole('link', { name: 'Élodie Garnier' }).waitFor();
    await search.fill('');
    await page.getByText('12 clients', { exact: true }).waitFor();
  });

  it('selects a page, then all matching clients', async () => {
    await page.getByRole('checkbox', { name: 'Select the clients shown' }).check();
    await page.getByTestId('selection-bar').getByText('12 clients selected').waitFor();
    await page.getByRole('button', { name: 'Clear selection' }).click();
    await expect(page.getByTestId('selection-bar').count()).resolves.toBe(0);
  });

  it('shows the server validation errors inline in the Add client form', async () => {
    await page.getByRole('button', { name: 'Add client' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a client' });
    await dialog.getByRole('textbox', { name: 'First name' }).fill('Lucía');
    await dialog.getByRole('textbox', { name: 'Last name' }).fill('Fernández Ortega');
    const email = dialog.getByRole('textbox', { name: 'Email' });
    await email.fill('lucia.fernandez@');
    await email.press('Enter');
    // The message comes from the server (400, details[].path = /email) and sits under the input.
    await dialog.getByText('Enter a valid email address, like name@example.com.').waitFor();
    await expect(email.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect.poll(() => email.evaluate((input) => input === document.activeElement)).toBe(true);
    await screenshotView('clients-form-errors');

    await email.fill('lucia.fernandez@example.com');
    await dialog.getByRole('textbox', { name: /^Phone/ }).fill('+34 612 34 56 78');
    await dialog.getByRole('textbox', { name: 'Shoe size' }).fill('38');
    await dialog.getByRole('button', { name: 'Add client' }).click();
    await page.getByText('Lucía Fernández Ortega was added.').waitFor();
    await drawer().getByRole('heading', { name: 'Lucía Fernández Ortega' }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/clients\/[0-9a-f-]{36}$/);
  });

  it('adds a tag and a note in the drawer and sees both on the timeline', async () => {
    const panel = drawer();
    await panel.getByRole('button', { name: 'Add tag' }).click();
    const tagInput = panel.getByLabel('New tag');
    await tagInput.fill('Early bird');
    await tagInput.press('Enter');
    await page.getByText('Tag Early bird added.').waitFor();
    await panel.getByRole('button', { name: 'Remove tag Early bird' }).waitFor();

    await panel.getByRole('tab', { name: 'Notes' }).click();
    await panel
      .getByRole('textbox', { name: 'Note' })
      .fill('Prefers morning lessons; allergic to latex gloves.');
    await panel
      .locator('label')
      .filter({ hasText: /^Warning$/ })
      .click();
    await expect(panel.getByRole('radio', { name: 'Warning' }).isChecked()).resolves.toBe(true);
    await panel.getByRole('button', { name: 'Add note' }).click();
    await page.getByText('Note added.').waitFor();
    const note = panel.getByTestId('note').first();
    await note.getByText('Prefers morning lessons; allergic to latex gloves.').waitFor();
    await note.getByText('Warning', { exact: true }).waitFor();
    await screenshotView('clients-notes');

    await panel.getByRole('tab', { name: 'Timeline' }).click();
    const items = panel.getByTestId('timeline-item');
    await items.filter({ hasText: 'Prefers morning lessons' }).first().waitFor();
    await items.filter({ hasText: 'Tagged Early bird' }).first().waitFor();
    await items.filter({ hasText: 'Client added' }).first().waitFor();

    // The kind toggles filter on the server: notes only.
    await panel
      .locator('label')
      .filter({ hasText: /^Changes$/ })
      .click();
    await panel
      .locator('label')
      .filter({ hasText: /^Consent$/ })
      .click();
    await expect.poll(() => items.filter({ hasText: 'Tagged Early bird' }).count()).toBe(0);
    await items.filter({ hasText: 'Prefers morning lessons' }).first().waitFor();
    await panel
      .locator('label')
      .filter({ hasText: /^Changes$/ })
      .click();
    await panel
      .locator('label')
      .filter({ hasText: /^Consent$/ })
      .click();
    await items.filter({ hasText: 'Tagged Early bird' }).first().waitFor();
    await screenshotView('clients-drawer-timeline');
  });

  it('grants a consent with evidence, then withdraws it after a confirmation', async () => {
    const panel = drawer();
    await panel.getByRole('tab', { name: 'Consent' }).click();
    const whatsapp = panel.getByRole('switch', { name: 'Consent for WhatsApp' });
    await expect(whatsapp.isChecked()).resolves.toBe(false);

    // Keyboard: Space on the focused switch; Escape closes only the dialog, not the drawer behind it.
    await whatsapp.focus();
    await page.keyboard.press('Space');
    await page.getByRole('dialog', { name: 'Record consent for WhatsApp' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: 'Record consent for WhatsApp' }).waitFor({ state: 'hidden' });
    await expect(panel.isVisible()).resolves.toBe(true);
    await expect(whatsapp.isChecked()).resolves.toBe(false);
    await expect.poll(() => whatsapp.evaluate((input) => input === document.activeElement)).toBe(true);
    await page.keyboard.press('Space');
    const grant = page.getByRole('dialog', { name: 'Record consent for WhatsApp' });
    await grant.getByRole('button', { name: 'Record consent' }).click();
    await grant.getByText('Say how the client agreed.').waitFor();
    await grant.getByLabel(/How did they agree/).fill('Said yes at the desk, 22 Nov');
    await grant.getByRole('button', { name: 'Record consent' }).click();
    await page.getByText('Lucía Fernández Ortega now receives WhatsApp.').waitFor();
    await grant.waitFor({ state: 'hidden' });
    await expect.poll(() => whatsapp.isChecked()).toBe(true);

    await whatsapp.focus();
    await page.keyboard.press('Space');
    const withdraw = page.getByRole('dialog', { name: 'Withdraw consent for WhatsApp?' });
    await withdraw.getByText('will receive no more messages by WhatsApp').waitFor();
    await withdraw.getByRole('button', { name: 'Withdraw consent' }).click();
    await page.getByText('Lucía Fernández Ortega will no longer receive WhatsApp.').waitFor();
    await withdraw.waitFor({ state: 'hidden' });
    await expect.poll(() => whatsapp.isChecked()).toBe(false);

    const history = panel.getByTestId('consent-history');
    const rows = history.getByRole('row');
    await expect.poll(() => rows.count()).toBe(3);
    const newest = rows.nth(1);
    await expect(newest.innerText()).resolves.toMatch(/WhatsApp\s+Withdrawn\s+Dashboard\s+ana@example\.com/i);
    await expect(rows.nth(2).innerText()).resolves.toContain('Said yes at the desk, 22 Nov');
    await screenshotView('clients-consent');

    // The timeline has both changes too.
    await panel.getByRole('tab', { name: 'Timeline' }).click();
    await panel.getByTestId('timeline-item').filter({ hasText: 'Consent withdrawn for WhatsApp' }).waitFor();
  });

  it("shows every status of the client's campaign messages on the timeline, newest first", async () => {
    // A WhatsApp account at the fake Graph API, which posts its delivery webhooks back to the server.
    const channel = await api<{ id: string }>('POST', '/api/v1/channels', {
      provider: 'meta_whatsapp',
      name: 'WhatsApp',
      settings: meta.channelSettings(),
      rate_per_second: 20,
      daily_cap: null,
    });
    const webhook = `${server.url}/webhooks/meta`;
    // WhatsApp goes out now whatever the hour this test runs at.
    await api('PUT', '/api/v1/campaign-settings', { quiet_hours: null });
    const sendCampaign = async (
      name: string,
      options: { email?: boolean; exclude?: boolean; at?: string } = {},
    ) => {
      const campaign = await api<{ id: string }>('POST', '/api/v1/campaigns', {
        name,
        ...(options.email
          ? {
              channel: 'email',
              content: { subject: 'Hola {{ client.first_name }}', body: '<p>Novedades</p>' },
            }
          : {
              channel: 'whatsapp',
              channel_id: channel.id,
              content: { body: 'Hola', whatsapp_template: { name: 'spring_promo', language: 'es' } },
            }),
        audience: { client_ids: [joseId] },
      });
      if (options.exclude)
        await api('POST', `/api/v1/campaigns/${campaign.id}/exclusions`, { client_ids: [joseId] });
      await api('POST', `/api/v1/campaigns/${campaign.id}/send`, options.at ? { at: options.at } : {});
      const done = options.at ? ['scheduled'] : ['sent', 'paused', 'failed'];
      await expect
        .poll(async () => (await api<{ status: string }>('GET', `/api/v1/campaigns/${campaign.id}`)).status, {
          timeout: 30_000,
        })
        .toSatisfy((status: string) => done.includes(status));
      return campaign.id;
    };
    const lastWamid = () => meta.sent.filter((m) => String(m.body.to).includes('34600100100')).at(-1)!.id;

    await sendCampaign('Newsletter', { email: true });
    await sendCampaign('VIP preview', { exclude: true });
    meta.inject(metaError(131026, 'Message undeliverable'));
    await sendCampaign('Kayak week');
    meta.inject(metaError(2, 'Service temporarily unavailable', 503));
    await sendCampaign('Flash offer');
    const autumn = await sendCampaign('Autumn', { at: new Date(Date.now() + 7 * 86_400_000).toISOString() });
    await api('POST', `/api/v1/campaigns/${autumn}/cancel`, {});
    const spring = await sendCampaign('Spring sale');
    const wamid = lastWamid();
    expect((await meta.sendStatus(webhook, wamid, 'delivered')).status).toBe(200);
    expect((await meta.sendStatus(webhook, wamid, 'read')).status).toBe(200);

    await page.goto(`/clients/${joseId}`);
    const panel = drawer();
    await panel.getByRole('heading', { name: 'José Pérez Núñez' }).waitFor();
    await panel.getByRole('tab', { name: 'Timeline' }).click();
    const items = panel.getByTestId('timeline-item');
    await items.filter({ hasText: 'WhatsApp message read' }).first().waitFor();
    const texts = (await items.allInnerTexts())
      .slice(0, 12)
      .map((text) => text.split('\n')[0]!.replace(/\s*·.*$/, ''));
    expect(texts).toEqual([
      'WhatsApp message read',
      'WhatsApp message delivered',
      'WhatsApp message sent',
      'WhatsApp message queued',
      'WhatsApp message cancelled',
      'WhatsApp message queued',
      'WhatsApp message: no answer from the provider',
      'WhatsApp message queued',
      'WhatsApp message failed',
      'WhatsApp message queued',
      'WhatsApp message not sent',
      'Email message sent',
    ]);
    const failed = items.filter({ hasText: 'WhatsApp message failed' });
    await failed.getByText('Reason: 131026 — Message undeliverable').waitFor();
    await items.filter({ hasText: 'WhatsApp message not sent' }).getByText('Excluded by hand').waitFor();
    await items
      .filter({ hasText: 'no answer from the provider' })
      .getByText(/check the campaign and reconcile/)
      .waitFor();
    await screenshotView('clients-timeline-messages');
    // The older half: failure, skip and the email.
    await items.nth(13).scrollIntoViewIfNeeded();
    await screenshotView('clients-timeline-messages-failures');

    // The campaign's name is a link to it, reached with the keyboard.
    const link = items.first().getByRole('link', { name: 'Campaign: Spring sale' });
    await link.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === `/campaigns/${spring}`);
    await page.goBack();
    await drawer().getByRole('tab', { name: 'Timeline' }).click();

    // "Messages" alone: only the message items (the bookings and payments leave).
    const only = drawer();
    for (const kind of ['Activity', 'Notes', 'Consent', 'Changes'])
      await only
        .locator('label')
        .filter({ hasText: new RegExp(`^${kind}$`) })
        .click();
    await expect.poll(() => only.getByTestId('timeline-item').filter({ hasText: 'Payment' }).count()).toBe(0);
    await expect.poll(() => only.getByTestId('timeline-item').count()).toBe(13);
    for (const kind of ['Activity', 'Notes', 'Consent', 'Changes'])
      await only
        .locator('label')
        .filter({ hasText: new RegExp(`^${kind}$`) })
        .click();
  });

  it('closes the drawer with Escape and returns to the list', async () => {
    await page.keyboard.press('Escape');
    await page.waitForURL((url) => url.pathname === '/clients');
    await page.getByText('13 clients', { exact: true }).waitFor();
  });

  it('shows the list in Spanish', async () => {
    await page.getByRole('button', { name: /^Language/ }).click();
    await page.getByRole('menuitem', { name: 'Español' }).click();
    await page.getByRole('button', { name: 'Añadir cliente' }).waitFor();
    await page.getByText('13 clientes', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Filtros' }).click();
    await page.getByLabel('Etiqueta', { exact: true }).first().click();
    await page.getByRole('option', { name: 'VIP' }).click();
    await page.getByText('3 clientes coinciden', { exact: true }).waitFor();
    await page.getByText('Etiqueta: VIP').waitFor();
    await dismissNotifications();
    await screenshot(page, 'clients-list-es');

    await page.getByRole('button', { name: 'Quitar todos los filtros' }).click();
    await page.getByText('13 clientes', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Filtros' }).click();
    await page.getByRole('button', { name: /^Idioma/ }).click();
    await page.getByRole('menuitem', { name: 'English' }).click();
    await page.getByRole('button', { name: 'Add client' }).waitFor();
  });

  it('orders custom fields in Settings', async () => {
    const group = page.getByRole('navigation').getByRole('button', { name: 'Settings' });
    if ((await group.getAttribute('aria-expanded')) !== 'true') await group.click();
    await navLink('Custom fields').click();
    await page.getByRole('heading', { name: 'Custom fields', level: 1 }).waitFor();
    const rows = page.getByTestId('custom-field-row');
    await expect.poll(() => rows.first().innerText()).toContain('Shoe size');
    await page.getByRole('button', { name: 'Move Shoe size down' }).click();
    await expect.poll(() => rows.first().innerText()).toContain('Skill level');
    // The keyboard follows the moved field (now last, so onto its "up" button).
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
      .toBe('Move Shoe size up');
    await page.mouse.move(0, 0);
    await rows.filter({ hasText: 'Medical notes' }).getByText('Admin').first().waitFor();
    await screenshot(page, 'clients-custom-fields-settings');
  });

  it('fits a tablet: list and drawer', async () => {
    await page.setViewportSize({ width: 820, height: 1180 });
    await page.goto('/clients');
    await page.getByText('13 clients', { exact: true }).waitFor();
    await screenshot(page, 'clients-list-tablet');
    await page.getByRole('link', { name: 'José Pérez Núñez' }).click();
    await drawer().getByRole('heading', { name: 'José Pérez Núñez' }).waitFor();
    await drawer().getByTestId('timeline-item').first().waitFor();
    await screenshotView('clients-drawer-tablet');
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
