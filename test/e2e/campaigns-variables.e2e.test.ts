import { describe, expect, it } from 'vitest';
import { screenshot } from './support/browser';
import { callApi, logIn, useBrowserSession } from './support/session';

/**
 * The content step's variable picker: the variables come from the server (the workspace's own
 * custom field among them), the picker opens from the message with Ctrl+Space, typing filters,
 * arrows and Enter insert at the caret, and the live preview renders the client's value. Then the
 * home page's client chart with its at-risk line, which has no history on a new workspace yet.
 */
describe('campaign content variables', () => {
  const session = useBrowserSession('campaigns-variables');
  const page = () => session.page;
  const api = <T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown) =>
    callApi<T>(session, method, path, body);
  let lucia = { id: '' };

  it('logs in; a custom field and a client with a value for it', async () => {
    await logIn(session);
    await api('POST', '/api/v1/custom-fields', { key: 'vip_level', label: 'VIP level', type: 'text' });
    lucia = await api<{ id: string }>('POST', '/api/v1/clients', {
      first_name: 'Lucía',
      email: 'lucia@example.com',
      consent: { email: true },
      custom: { vip_level: 'Gold' },
    });
    // At risk by hand: the home page's at-risk point of this week is 1.
    await api('POST', `/api/v1/clients/${lucia.id}/risk-override`, {
      score: 85,
      reason: 'Missed two visits',
    });
  });

  it('inserts the custom field with the keyboard where the caret is, and the preview renders it', async () => {
    await page().getByRole('navigation').getByRole('link', { name: 'Campaigns' }).click();
    await page().getByRole('link', { name: 'New campaign' }).first().click();
    await page().getByLabel('Campaign name').fill('Gold members');
    await page().getByRole('button', { name: 'Save and continue' }).click();
    await page().waitForURL(/\/campaigns\/[0-9a-f-]+\/edit$/);
    await page().getByTestId('audience-count').waitFor();
    await page().getByRole('button', { name: 'Save and continue' }).click();

    await page().getByLabel('Subject').fill('News for you');
    const message = page().getByRole('textbox', { name: 'Message' });
    await message.fill('Hello {{ client.first_name }}, your level:  — see you soon.');
    // The caret after "level: " (before the second space).
    await message.evaluate((el: HTMLTextAreaElement) => {
      const at = el.value.indexOf(':  ') + 2;
      el.setSelectionRange(at, at);
    });
    await message.press('Control+Space');
    const search = page().getByRole('searchbox', { name: 'Search variables' });
    await expect.poll(() => search.evaluate((el) => el === document.activeElement)).toBe(true);
    await page().keyboard.type('vip');
    const picker = page().getByTestId('variable-picker');
    // Typing filters: the workspace's custom field, by its label, under its group.
    await picker.getByText('Custom fields').waitFor();
    await picker.getByText('VIP level').waitFor();
    await expect.poll(() => picker.locator('[data-variable]').count()).toBe(1);
    await screenshot(page(), 'campaigns-variables-picker');
    await page().keyboard.press('ArrowDown');
    await page().keyboard.press('Enter');
    await picker.waitFor({ state: 'hidden' });
    await expect
      .poll(() => message.inputValue())
      .toBe('Hello {{ client.first_name }}, your level: {{ client.custom.vip_level }} — see you soon.');
    // The caret stays right after the inserted variable, in the message.
    await page().keyboard.type('!');
    await expect
      .poll(() => message.inputValue())
      .toBe('Hello {{ client.first_name }}, your level: {{ client.custom.vip_level }}! — see you soon.');

    await page().getByRole('combobox', { name: 'Preview for' }).fill('Lucía');
    await page().getByRole('option', { name: /Lucía/ }).click();
    await page().frameLocator('iframe').getByText('Hello Lucía, your level: Gold! — see you soon.').waitFor();
    await screenshot(page(), 'campaigns-variables-preview');
  });

  it('a WhatsApp template parameter takes the variable picked for it', async () => {
    const campaign = await api<{ id: string }>('POST', '/api/v1/campaigns', {
      name: 'Gold on WhatsApp',
      channel: 'whatsapp',
      content: {
        body: 'Hola {{ client.first_name }}',
        whatsapp_template: { name: 'gold_news', language: 'es', parameters: ['client.first_name'] },
      },
      audience: { client_ids: [lucia.id] },
    });
    // A saved draft opens at its audience.
    await page().goto(new URL(`/campaigns/${campaign.id}/edit`, page().url()).toString());
    await page().getByTestId('audience-count').waitFor();
    await page().getByRole('button', { name: 'Save and continue' }).click();
    const parameter = page().getByRole('textbox', { name: 'Parameter 1' });
    await expect.poll(() => parameter.inputValue()).toBe('client.first_name');
    await page().getByRole('button', { name: 'Pick a variable for parameter 1' }).click();
    const search = page().getByRole('searchbox', { name: 'Search variables' });
    await expect.poll(() => search.evaluate((el) => el === document.activeElement)).toBe(true);
    await page().keyboard.type('vip');
    await page().keyboard.press('ArrowDown');
    await page().keyboard.press('Enter');
    await expect.poll(() => parameter.inputValue()).toBe('client.custom.vip_level');
    await page().getByTestId('whatsapp-template').scrollIntoViewIfNeeded();
    await screenshot(page(), 'campaigns-variables-whatsapp-parameter');
    await page().getByRole('button', { name: 'Save and continue' }).click();
    await page().getByRole('radio', { name: 'Now', exact: true }).waitFor();
    const saved = await api<{ content: { whatsapp_template: { parameters: string[] } } }>(
      'GET',
      `/api/v1/campaigns/${campaign.id}`,
    );
    expect(saved.content.whatsapp_template.parameters).toEqual(['client.custom.vip_level']);
  });

  it('the home page draws the at-risk line and says its history starts now', async () => {
    await page().getByRole('navigation').getByRole('link', { name: 'Home' }).click();
    // The figures loaded at sign-in (no client yet) are still cached: read them again.
    await page().reload();
    await page().getByTestId('home-clients').locator('.recharts-line').first().waitFor();
    await page()
      .getByTestId('home-risk-no-history')
      .getByText('The at-risk line starts with the first daily reading')
      .waitFor();
    await page().getByTestId('home-clients').getByText('At risk', { exact: true }).waitFor();
    await page().getByText('1 client is at risk of not coming back.').waitFor();
    await page().getByTestId('home-clients').scrollIntoViewIfNeeded();
    await screenshot(page(), 'home-clients-at-risk');
  });
});
