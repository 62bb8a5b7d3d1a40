import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from './support/browser';
import { OWNER, startServer, type TestServer } from './support/server';

/**
 * The dashboard shell end to end: the real server (embedded PostgreSQL), the built web app and Debian's
 * Chromium. Steps share one browser page and run in order, like a person going through the product.
 */
describe('dashboard shell', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let invitationUrl = '';

  const navLink = (name: string) => page.getByRole('navigation').getByRole('link', { name, exact: true });
  const workspaceButton = () => page.getByTestId('workspace-switcher');

  async function openSettings(item: string) {
    const settingsItem = navLink(item);
    if (!(await settingsItem.isVisible())) {
      await page.getByRole('navigation').getByRole('button', { name: 'Settings' }).click();
    }
    await settingsItem.click();
  }

  beforeAll(async () => {
    server = await startServer();
    browser = await launchBrowser();
    context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1280, height: 800 },
      locale: 'en-US',
      timezoneId: 'Europe/Madrid',
      colorScheme: 'light',
    });
    page = await context.newPage();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
  });

  it('sends a signed-out visitor to the login page and explains a wrong password', async () => {
    await page.goto('/settings/members');
    await page.waitForURL(/\/login\?next=/);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.getByRole('button', { name: /^Language/ }).waitFor();

    await page.getByLabel(/^Email/).fill(OWNER.email);
    await page.getByLabel(/^Password/).fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: "don't match" }).waitFor();
    await screenshot(page, 'login');
  });

  it('logs in and comes back to the page asked for', async () => {
    await page.getByLabel(/^Password/).fill(OWNER.password);
    await page.getByLabel(/^Password/).press('Enter');
    await page.waitForURL(/\/settings\/members$/);
    await page.getByRole('heading', { name: 'Members & roles' }).waitFor();
    await page.getByRole('cell', { name: OWNER.email }).or(page.getByText(OWNER.email)).first().waitFor();
  });

  it('shows Home with the workspace and the role', async () => {
    await navLink('Home').click();
    await page.getByRole('heading', { name: `Hello, ${OWNER.name}` }).waitFor();
    await page.getByText('Getting started').waitFor();
    const current = await page.getByTestId('home-workspace-name').innerText();
    expect([server.clinic.name, server.rentals.name]).toContain(current);
    await expect(workspaceButton().innerText()).resolves.toContain(current);
    await screenshot(page, 'home-en');
  });

  it('switches the language to Spanish and French', async () => {
    await page.getByRole('button', { name: /^Language/ }).click();
    await page.getByRole('menuitem', { name: 'Español' }).click();
    await navLink('Clientes').waitFor();
    for (const label of ['Inicio', 'Segmentos', 'Campañas', 'Plantillas', 'Cupones', 'Bandeja de salida']) {
      await expect(navLink(label).isVisible()).resolves.toBe(true);
    }
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('es');
    await page.getByText('Primeros pasos').waitFor();
    await screenshot(page, 'home-es');

    await page.getByRole('button', { name: /^Idioma/ }).click();
    await page.getByRole('menuitem', { name: 'Français' }).click();
    await navLink('Campagnes').waitFor();
    for (const label of ['Accueil', 'Clients', 'Modèles', 'Imports et exports', "Boîte d'envoi"]) {
      await expect(navLink(label).isVisible()).resolves.toBe(true);
    }
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('fr');
    await screenshot(page, 'home-fr');

    // The choice survives a reload, then we go back to English for the rest of the run.
    await page.reload();
    await navLink('Campagnes').waitFor();
    await page.getByRole('button', { name: /^Langue/ }).click();
    await page.getByRole('menuitem', { name: 'English' }).click();
    await navLink('Campaigns').waitFor();
  });

  it('switches to the other workspace', async () => {
    const before = await page.getByTestId('home-workspace-name').innerText();
    const other = before === server.clinic.name ? server.rentals.name : server.clinic.name;
    await workspaceButton().click();
    await page.getByRole('menuitem', { name: new RegExp(other) }).click();
    await expect.poll(() => workspaceButton().innerText()).toContain(other);
    await expect.poll(() => page.getByTestId('home-workspace-name').innerText()).toBe(other);

    // Survives a reload: the choice is remembered.
    await page.reload();
    await expect.poll(() => workspaceButton().innerText()).toContain(other);
  });

  it('creates an API key, shows it once, and lists it', async () => {
    await openSettings('API keys');
    await page.getByRole('heading', { name: 'API keys', level: 1 }).waitFor();
    await page.getByText('No API keys yet').waitFor();
    await screenshot(page, 'api-keys-empty');

    await page.getByRole('button', { name: 'Create API key' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel(/^Name/).fill('Booking system');
    await dialog.getByLabel(/^Name/).press('Enter');
    await dialog.getByText('you will only see it once').waitFor();
    const key = await dialog.locator('code').first().innerText();
    expect(key.length).toBeGreaterThan(20);
    await screenshot(page, 'api-key-created');

    const check = await fetch(`${server.url}/api/v1/me`, { headers: { Authorization: `Bearer ${key}` } });
    expect(check.status).toBe(200);

    await dialog.getByRole('button', { name: 'I have copied the key' }).click();
    await page.getByRole('cell', { name: 'Booking system', exact: true }).waitFor();
    await page.getByText('Active', { exact: true }).waitFor();
    await screenshot(page, 'api-keys');
  });

  it('shows the api_key.created entry in the audit log', async () => {
    await openSettings('Audit log');
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await page.getByText('api_key.created', { exact: true }).first().waitFor();
    await page.getByText('API key created', { exact: true }).first().waitFor();

    await page.getByLabel(/^Action/).fill('api_key');
    await page.getByText('api_key.created', { exact: true }).first().waitFor();
    await screenshot(page, 'audit-log');
    await page.getByRole('button', { name: 'Clear filters' }).click();
  });

  it('invites a member from Members & roles', async () => {
    await openSettings('Members & roles');
    await page.getByRole('heading', { name: 'What each role can do' }).waitFor();
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Create invitation link' }).click();
    const link = dialog.locator('code').first();
    await link.waitFor();
    invitationUrl = await link.innerText();
    expect(invitationUrl).toContain('/invite/');
    await screenshot(page, 'invite-link');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.getByText('Anyone with the link').waitFor();
    await screenshot(page, 'members');
  });

  it('shows the workspace settings and a not-found page', async () => {
    await openSettings('Workspace');
    await page.getByRole('heading', { name: 'Workspace', level: 1 }).waitFor();
    await page.getByRole('textbox', { name: /^Default time zone/ }).waitFor();
    await screenshot(page, 'workspace-settings');

    await page.goto('/no-such-page');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await screenshot(page, 'not-found');
  });

  it('toggles dark mode and keeps it', async () => {
    await navLink('Home').click();
    await page.getByRole('button', { name: 'Switch to dark mode' }).click();
    await expect.poll(() => page.locator('html').getAttribute('data-mantine-color-scheme')).toBe('dark');
    await screenshot(page, 'dark');
    await openSettings('Audit log');
    await page.getByText('api_key.created', { exact: true }).first().waitFor();
    await screenshot(page, 'audit-log-dark');
    await page.reload();
    await expect.poll(() => page.locator('html').getAttribute('data-mantine-color-scheme')).toBe('dark');
    await page.getByRole('button', { name: 'Switch to light mode' }).click();
  });

  it('fits a tablet: the navbar hides behind a burger', async () => {
    await navLink('Home').click();
    await page.setViewportSize({ width: 820, height: 1180 });
    const burger = page.getByRole('button', { name: 'Open navigation' });
    await burger.waitFor();
    await expect(navLink('Clients').isVisible()).resolves.toBe(false);
    await screenshot(page, 'tablet');
    await burger.click();
    await navLink('Clients').waitFor();
    await screenshot(page, 'tablet-nav');
    await navLink('Clients').click();
    await page.getByRole('heading', { name: 'No clients yet' }).waitFor();
    await expect(navLink('Clients').isVisible()).resolves.toBe(false);
    await screenshot(page, 'clients-tablet');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('logs out', async () => {
    await page.getByRole('button', { name: 'Account menu' }).click();
    await page.getByRole('menuitem', { name: 'Log out' }).click();
    await page.waitForURL(/\/login/);
    await page.goto('/');
    await page.waitForURL(/\/login/);
  });

  it('lets a new person join through the invitation link', async () => {
    await page.goto(invitationUrl);
    await page.getByRole('heading', { name: /^Join / }).waitFor();
    await screenshot(page, 'invite');
    await page.getByLabel(/^Your name/).fill('Bruno');
    await page.getByLabel(/^Email/).fill('bruno@example.com');
    await page.getByLabel(/^Password/).fill('another-long-password');
    await page.getByRole('button', { name: 'Create account and join' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    await page.getByRole('heading', { name: 'Hello, Bruno' }).waitFor();
    await page.getByText('Agent', { exact: true }).first().waitFor();
    await screenshot(page, 'home-new-member');
  });
});
