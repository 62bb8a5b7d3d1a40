import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { screenshot } from './support/browser';
import { REPO_ROOT } from './support/server';
import { callApi, dismissNotifications, logIn, useBrowserSession } from './support/session';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'imports');

/**
 * The import wizard end to end in Chromium: a Spanish Windows-1252 sheet dropped on the page, its
 * columns proposed and one sent to a new custom field, consent refused without evidence, the dry
 * run's counts and preview, the live progress to "Completed", the list of past imports, and Undo.
 */
describe('import wizard', () => {
  const session = useBrowserSession('imports');
  const page = () => session.page;

  it('logs in', () => logIn(session));

  it('shows an empty state that says what to do', async () => {
    await page().goto('/imports');
    await page().getByRole('heading', { name: 'No imports yet' }).waitFor();
    await screenshot(page(), 'imports-empty');
  });

  it('imports a dropped Spanish sheet: mapping, options, dry run, progress, result', async () => {
    await page().getByRole('link', { name: 'New import' }).first().click();
    await page().getByRole('heading', { name: 'Import clients' }).waitFor();
    const bytes = [...readFileSync(join(FIXTURES, 'spanish-excel.csv'))];
    const dataTransfer = await page().evaluateHandle((content) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(content)], 'clientes.csv', { type: 'text/csv' }));
      return transfer;
    }, bytes);
    await page().getByTestId('import-dropzone').dispatchEvent('drop', { dataTransfer });

    const table = page().getByRole('table', { name: 'Columns of the file' });
    await table.waitFor();
    await expect(
      page().getByRole('combobox', { name: 'Where the column Correo electrónico goes' }).inputValue(),
    ).resolves.toBe('Email');
    await expect(
      page().getByRole('combobox', { name: 'Where the column Móvil goes' }).inputValue(),
    ).resolves.toBe('Phone');
    await table.getByText('jose.nunez@example.es').waitFor();
    await page().getByRole('combobox', { name: 'Where the column Gasto goes' }).click();
    await page().getByRole('option', { name: 'New custom field "gasto"' }).click();
    await page().mouse.move(0, 0);
    await screenshot(page(), 'imports-mapping');
    await page().getByRole('button', { name: 'Next' }).click();

    await page().getByRole('radio', { name: 'Fill in their empty fields' }).check();
    await page().getByRole('checkbox', { name: 'Email' }).check();
    await page().getByText('Say how they consented, or untick the channels.').waitFor();
    await expect(page().getByRole('button', { name: 'Check the file' }).isDisabled()).resolves.toBe(true);
    await page()
      .getByRole('textbox', { name: /How did these people consent/ })
      .fill('Signed form at the front desk');
    const tags = page().getByLabel('Tags to add', { exact: true }).first();
    await tags.fill('spring-fair');
    await tags.press('Enter');
    await screenshot(page(), 'imports-options');
    await page().getByRole('button', { name: 'Check the file' }).click();

    await page().getByText('3 rows read. Nothing has been written yet.').waitFor();
    await expect(page().getByTestId('count-created').innerText()).resolves.toMatch(/3$/);
    const preview = page().getByRole('table', { name: 'The first rows as they would be stored' });
    await preview.getByText('José Núñez Peña · jose.nunez@example.es · +34912345678').waitFor();
    // The other values as they would be stored: 03/04 read day first, 1.234,56 as a number.
    const jose = preview.getByTestId('preview-row').first();
    await jose.getByText('Birthday: 1985-04-03').waitFor();
    await jose.getByText('City: Madrid').waitFor();
    await jose.getByText('Tags: vip, fidelizado, spring-fair').waitFor();
    await jose.getByText('Gasto: 1234.56').waitFor();
    await screenshot(page(), 'imports-dry-run');
    await page().getByRole('button', { name: 'Import 3 rows' }).click();

    await page().waitForURL(/\/imports\/[0-9a-f-]{36}$/);
    await expect
      .poll(() => page().getByTestId('import-status').textContent(), { timeout: 30_000 })
      .toBe('Completed');
    await page().getByText('3 of 3 rows').waitFor();
    await expect(page().getByTestId('count-created').innerText()).resolves.toMatch(/3$/);
    await page().getByRole('button', { name: 'Undo import' }).waitFor();
    await screenshot(page(), 'imports-completed');

    const clients = await page().request.get(
      `${session.server.url}/api/v1/clients?tag=spring-fair&limit=10`,
      {
        headers: { 'X-Workspace-Id': session.workspaceId },
      },
    );
    const body = (await clients.json()) as {
      clients: Array<{ email: string; consent: { email: boolean }; custom: Record<string, unknown> }>;
    };
    expect(body.clients).toHaveLength(3);
    expect(body.clients.every((c) => c.consent.email)).toBe(true);
    expect(body.clients.find((c) => c.email === 'jose.nunez@example.es')?.custom).toEqual({
      gasto: 1234.56,
    });
  });

  it('lists the import and undoes it after a confirmation', async () => {
    await page().getByRole('link', { name: 'All imports' }).click();
    const row = page().getByTestId('import-row').first();
    await row.getByText('clientes.csv').waitFor();
    await row.getByText('Completed').waitFor();
    await screenshot(page(), 'imports-list');
    await row.getByRole('link', { name: 'clientes.csv' }).click();
    await page().getByRole('button', { name: 'Undo import' }).click();
    const dialog = page().getByRole('dialog', { name: 'Undo this import?' });
    await dialog.getByRole('button', { name: 'Undo import' }).click();
    await page().getByText('Import undone.').waitFor();
    await expect.poll(() => page().getByTestId('import-status').textContent()).toBe('Undone');
    const clients = await page().request.get(
      `${session.server.url}/api/v1/clients?tag=spring-fair&limit=10`,
      {
        headers: { 'X-Workspace-Id': session.workspaceId },
      },
    );
    expect(((await clients.json()) as { clients: unknown[] }).clients).toHaveLength(0);
  });

  it('exports the filtered client list as CSV for Excel, and lists the export with its link', async () => {
    for (const [first, city] of [
      ['Marta', 'Madrid'],
      ['Luis', 'Madrid'],
      ['=cmd', 'Bilbao'],
    ])
      await callApi(session, 'POST', '/api/v1/clients', { first_name: first, last_name: 'Export', city });
    await page().goto('/clients');
    await page().getByRole('button', { name: 'Export' }).click();
    const dialog = page().getByRole('dialog', { name: 'Export clients' });
    await dialog.getByText('3 clients will be exported.').waitFor();
    await dialog.getByText('Semicolon (;)').click();
    await screenshot(page(), 'exports-dialog');
    await dialog.getByRole('button', { name: 'Export', exact: true }).click();
    await dialog.getByText('3 clients exported. The link works for 24 hours.').waitFor({ timeout: 30_000 });
    const href = await dialog.getByRole('link', { name: 'Download' }).getAttribute('href');
    const file = await page().request.get(`${session.server.url}${href}`);
    const text = await file.text();
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text).toContain('id;first_name;last_name;email;phone;city');
    expect(text).toContain("'=cmd;Export;");
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dismissNotifications(page());
    await page().goto('/imports');
    const row = page().getByTestId('export-row').first();
    await row.getByText('Filtered list').waitFor();
    await row.getByRole('link', { name: 'Download' }).waitFor();
    await screenshot(page(), 'imports-and-exports-list');
  });

  it('schedules a weekly export from the client list, lists it, and stops it', async () => {
    await page().goto('/clients');
    await page().getByRole('button', { name: 'Export' }).click();
    const dialog = page().getByRole('dialog', { name: 'Export clients' });
    await dialog.getByText('Every week').click();
    await dialog.getByRole('textbox', { name: /Name of the scheduled export/ }).fill('Monday list');
    await dialog.getByText('Excel', { exact: true }).click();
    await screenshot(page(), 'exports-schedule-dialog');
    await dialog.getByRole('button', { name: 'Schedule' }).click();
    await dialog.getByText('Scheduled. First file:').waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page().goto('/imports');
    const row = page().getByTestId('schedule-row').first();
    await row.getByText('Monday list').waitFor();
    await row.getByText('Every Monday at 07:00').waitFor();
    await screenshot(page(), 'exports-schedules-list');
    await row.getByRole('button', { name: 'Stop Monday list' }).click();
    await page()
      .getByRole('dialog', { name: 'Stop this scheduled export?' })
      .getByRole('button', { name: 'Stop it' })
      .click();
    await page().getByText('Scheduled export stopped.').waitFor();
    await page().getByText('No scheduled exports.', { exact: false }).waitFor();
  });
});
