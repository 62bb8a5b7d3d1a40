import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { launchBrowser, screenshot } from './browser';
import { OWNER, startServer, type TestServer } from './server';

/** What a suite's steps share; the fields are set once its beforeAll has run. */
export interface BrowserSession {
  server: TestServer;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** The owner's workspace ("Clínica Sol"), known after logIn. */
  workspaceId: string;
}

/**
 * Registers, in the calling describe block, the start of a server and of a desktop-sized page in
 * light mode and English, their teardown, and a screenshot of any step that fails (named after `suite`).
 */
export function useBrowserSession(suite: string): BrowserSession {
  const session = { workspaceId: '' } as BrowserSession;

  beforeAll(async () => {
    session.server = await startServer();
    session.browser = await launchBrowser();
    session.context = await session.browser.newContext({
      baseURL: session.server.url,
      viewport: { width: 1280, height: 900 },
      locale: 'en-US',
      timezoneId: 'Europe/Madrid',
      colorScheme: 'light',
    });
    session.page = await session.context.newPage();
  });

  afterEach(async ({ task }) => {
    if (task.result?.state === 'fail' && session.page) {
      const name = `failed-${suite}-${task.name.replace(/\W+/g, '-').slice(0, 50)}`;
      await screenshot(session.page, name).catch(() => undefined);
    }
  });

  afterAll(async () => {
    await session.context?.close();
    await session.browser?.close();
    await session.server?.stop();
  });

  return session;
}

/** Logs the seeded owner in through the form and pins the dashboard to the owner's workspace. */
export async function logIn(session: BrowserSession): Promise<void> {
  const { page, server } = session;
  await page.goto('/login');
  await page.getByLabel(/^Email/).fill(OWNER.email);
  await page.getByLabel(/^Password/).fill(OWNER.password);
  await page.getByLabel(/^Password/).press('Enter');
  await page.waitForURL((url) => url.pathname === '/');
  const me = await page.request.get(`${server.url}/api/v1/me`);
  session.workspaceId = ((await me.json()) as { workspace: { id: string } }).workspace.id;
  // The dashboard and the API calls of the test work in the same workspace.
  await page.evaluate((id) => window.localStorage.setItem('clientela.workspaceId', id), session.workspaceId);
}

/** A call to the API as the logged-in user (the page's cookies), in the session's workspace. */
export async function callApi<T>(
  session: BrowserSession,
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body?: unknown,
): Promise<T> {
  const { page, server } = session;
  const response = await page.request.fetch(`${server.url}${path}`, {
    method,
    headers: {
      'X-Workspace-Id': session.workspaceId,
      Origin: server.url,
      'Content-Type': 'application/json',
    },
    data: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok()) throw new Error(`${method} ${path} → ${response.status()}: ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** Closes the notifications so they do not cover what a screenshot is for. */
export async function dismissNotifications(page: Page): Promise<void> {
  for (const close of await page.locator('.mantine-Notification-root .mantine-CloseButton-root').all()) {
    await close.click().catch(() => undefined);
  }
  await page.waitForTimeout(450);
}

/** Opens a Settings sub-page through the navbar, expanding the Settings group when needed. */
export async function openSettings(page: Page, item: string, path: string): Promise<void> {
  const group = page.getByRole('navigation').getByRole('button', { name: 'Settings' });
  if ((await group.getAttribute('aria-expanded')) !== 'true') await group.click();
  const link = page.getByRole('navigation').getByRole('link', { name: item, exact: true });
  // Once in CI a click made while the group was still opening went nowhere (the screenshot showed
  // the group open on Home and 30 s gone): click again rather than wait for a navigation that
  // will not come.
  for (let attempt = 1; ; attempt++) {
    await link.click();
    try {
      await page.waitForURL((url) => url.pathname === path, { timeout: 5_000 });
      return;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}
