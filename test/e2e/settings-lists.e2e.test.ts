import { describe, expect, it } from 'vitest';
import { screenshot } from './support/browser';
import { logIn, openSettings as openSettingsPage, useBrowserSession } from './support/session';

/**
 * The settings lists that share one table and one create/edit dialog (labels, tags, locations):
 * add from the empty state and the header, validation, edit, reorder with the keyboard, delete and
 * archive after a confirmation, Escape leaving things as they were. Steps share one page().
 */
describe('settings lists', () => {
  const session = useBrowserSession('settings');
  const page = () => session.page;
  const focusedLabel = () => page().evaluate(() => document.activeElement?.getAttribute('aria-label'));

  async function openSettings(item: string, path: string) {
    await openSettingsPage(page(), item, path);
    await page().getByRole('heading', { name: item, level: 1 }).waitFor();
  }

  it('logs in', () => logIn(session));

  it('adds, reorders, edits and deletes a label', async () => {
    await openSettings('Labels', '/settings/labels');
    const table = page().getByRole('table', { name: 'Labels' });
    await table.getByText('prospect', { exact: true }).waitFor();

    await page().getByRole('button', { name: 'Add label' }).click();
    const add = page().getByRole('dialog', { name: 'Add a label' });
    const name = add.getByRole('textbox', { name: /^Name/ });
    await expect.poll(() => name.evaluate((input) => input === document.activeElement)).toBe(true);
    await name.press('Enter');
    await add.getByText('This field is required.').waitFor();
    await name.fill('Partner école');
    // The key follows the name, without accents.
    await expect(add.getByRole('textbox', { name: 'Key' }).inputValue()).resolves.toBe('partner_ecole');
    await name.press('Enter');
    await page().getByText('Label Partner école added.').waitFor();
    await add.waitFor({ state: 'hidden' });
    const rows = table.getByRole('row');
    await expect.poll(async () => (await rows.last().innerText()).includes('Partner école')).toBe(true);

    // Last row: "up" moves it, and the keyboard stays on it.
    await page().getByRole('button', { name: 'Move Partner école up' }).click();
    await expect.poll(async () => (await rows.nth(-2).innerText()).includes('Partner école')).toBe(true);
    await expect.poll(focusedLabel).toBe('Move Partner école up');

    await page().getByRole('button', { name: 'Edit Partner école' }).click();
    const edit = page().getByRole('dialog', { name: 'Edit label' });
    await expect(edit.getByRole('textbox', { name: 'Key' }).getAttribute('readonly')).resolves.not.toBeNull();
    await edit.getByRole('textbox', { name: /^Name/ }).fill('Partner');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await page().getByText('Label Partner saved.').waitFor();
    await edit.waitFor({ state: 'hidden' });
    await page().mouse.move(0, 0);
    await screenshot(page(), 'settings-labels');

    await page().getByRole('button', { name: 'Delete Partner' }).click();
    const confirm = page().getByRole('dialog', { name: 'Delete this label?' });
    await confirm.getByRole('button', { name: 'Delete label' }).click();
    await page().getByText('Label Partner deleted.').waitFor();
    await expect.poll(() => table.getByText('Partner', { exact: true }).count()).toBe(0);
  });

  it('adds a tag from the empty state; Escape keeps it unchanged', async () => {
    await openSettings('Tags', '/settings/tags');
    await page().getByRole('heading', { name: 'No tags yet' }).waitFor();
    await page().getByRole('button', { name: 'Add tag' }).click();
    const add = page().getByRole('dialog', { name: 'Add a tag' });
    await add.getByRole('textbox', { name: /^Name/ }).fill('VIP');
    await add.getByRole('textbox', { name: 'Description' }).fill('Spends the most');
    await add.getByRole('button', { name: 'Add tag' }).click();
    await page().getByText('Tag VIP added.').waitFor();
    const table = page().getByRole('table', { name: 'Tags' });
    await table.getByText('Spends the most').waitFor();

    await page().getByRole('button', { name: 'Edit VIP' }).click();
    const edit = page().getByRole('dialog', { name: 'Edit tag' });
    await edit.getByRole('textbox', { name: /^Name/ }).fill('Not saved');
    await page().keyboard.press('Escape');
    await edit.waitFor({ state: 'hidden' });
    await table.getByText('VIP', { exact: true }).waitFor();

    await page().getByRole('button', { name: 'Delete VIP' }).click();
    const confirm = page().getByRole('dialog', { name: 'Delete this tag?' });
    await confirm.getByText('VIP will be removed from 0 clients.', { exact: false }).waitFor();
    await confirm.getByRole('button', { name: 'Delete tag' }).click();
    await page().getByText('Tag VIP deleted.').waitFor();
    await page().getByRole('heading', { name: 'No tags yet' }).waitFor();
  });

  it('archives a location, which then shows only with the archived ones', async () => {
    await openSettings('Locations', '/settings/locations');
    await page().getByRole('heading', { name: 'No locations yet' }).waitFor();
    await page().getByRole('button', { name: 'Add location' }).click();
    const add = page().getByRole('dialog', { name: 'Add a location' });
    await add.getByRole('textbox', { name: /^Name/ }).fill('Valencia — Malvarrosa');
    await add.getByRole('button', { name: 'Add location' }).click();
    await page().getByText('Location Valencia — Malvarrosa added.').waitFor();
    const table = page().getByRole('table', { name: 'Locations' });
    await table.getByText('Valencia — Malvarrosa').waitFor();

    await page().getByRole('button', { name: 'Archive Valencia — Malvarrosa' }).click();
    const confirm = page().getByRole('dialog', { name: 'Archive this location?' });
    await confirm.getByRole('button', { name: 'Archive location' }).click();
    await page().getByText('Location Valencia — Malvarrosa archived.').waitFor();
    await page().getByRole('heading', { name: 'No locations yet' }).waitFor();

    // The confirmation's overlay fades out first; until then it takes the click.
    await confirm.waitFor({ state: 'hidden' });
    await page().getByRole('switch', { name: 'Show archived' }).check({ force: true });
    await table.getByText('Archived', { exact: true }).waitFor();
    // An archived location has no edit or archive buttons.
    await expect(page().getByRole('button', { name: 'Edit Valencia — Malvarrosa' }).count()).resolves.toBe(0);
    await expect(page().getByRole('button', { name: 'Archive Valencia — Malvarrosa' }).count()).resolves.toBe(
      0,
    );
  });
});
