import { describe, expect, it } from 'vitest';
import { screenshot } from './support/browser';
import { callApi, logIn, useBrowserSession } from './support/session';

/**
 * What a viewer sees in the segment manager: the actions their role cannot use are there, disabled,
 * with the reason (the API answers 403 to them: segments.test.ts), instead of missing or failing.
 */
describe('segment manager by role', () => {
  const session = useBrowserSession('segments-roles');
  const VIEWER = { name: 'Vera', email: 'vera@example.com', password: 'viewer-horse-battery' };

  it('a viewer finds copy and archive disabled, with why', async () => {
    await logIn(session);
    const { browser, server } = session;
    await callApi(session, 'POST', '/api/v1/segments', {
      name: 'Madrid',
      definition: { field: 'city', op: 'eq', value: 'Madrid' },
    });
    const invitation = await callApi<{ token: string }>(session, 'POST', '/api/v1/invitations', {
      role: 'viewer',
      email: VIEWER.email,
    });

    const context = await browser.newContext({
      baseURL: server.url,
      viewport: { width: 1280, height: 900 },
      locale: 'en-US',
      colorScheme: 'light',
    });
    try {
      const page = await context.newPage();
      const accepted = await page.request.fetch(
        `${server.url}/api/v1/invitations/by-token/${invitation.token}/accept`,
        {
          method: 'POST',
          headers: { Origin: server.url, 'Content-Type': 'application/json' },
          data: JSON.stringify(VIEWER),
        },
      );
      expect(accepted.status(), await accepted.text()).toBe(200);
      await page.goto('/login');
      await page.getByLabel(/^Email/).fill(VIEWER.email);
      await page.getByLabel(/^Password/).fill(VIEWER.password);
      await page.getByLabel(/^Password/).press('Enter');
      await page.waitForURL((url) => url.pathname === '/');
      await page.evaluate(
        (id) => window.localStorage.setItem('clientela.workspaceId', id),
        session.workspaceId,
      );

      await page.goto('/segments');
      await page.getByRole('link', { name: 'Madrid', exact: true }).waitFor({ timeout: 15_000 });
      expect(await page.getByRole('button', { name: 'New segment' }).count()).toBe(0);
      await page.getByRole('button', { name: 'Actions for Madrid' }).click();
      const archive = page.getByRole('menuitem', { name: 'Archive' });
      const duplicate = page.getByRole('menuitem', { name: 'Duplicate' });
      await archive.waitFor();
      expect(await archive.isDisabled()).toBe(true);
      expect(await duplicate.isDisabled()).toBe(true);
      expect(await page.getByRole('menuitem', { name: 'Open' }).isDisabled()).toBe(false);
      await page
        .getByRole('menu')
        .getByText('Copying, archiving and restoring segments needs the marketer role or higher.')
        .waitFor();
      await archive.hover({ force: true });
      await page.getByRole('tooltip').first().waitFor({ timeout: 5_000 });
      await screenshot(page, 'segments-roles-viewer-menu');
    } finally {
      await context.close();
    }
  });
});
