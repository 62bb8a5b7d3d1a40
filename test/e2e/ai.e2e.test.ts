import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAiPeer, startOpenAiPeer } from '../peers/openai.ts';
import { screenshot } from './support/browser';
import { callApi, dismissNotifications, logIn, openSettings, useBrowserSession } from './support/session';

/**
 * The AI writing assistant in real Chromium against a local OpenAI-compatible server: hidden until
 * an admin sets a provider in Settings › AI (key masked afterwards), then "Write with AI" in the
 * template editor streams variants side by side, one replaces the draft, a forbidden claim is
 * highlighted, a provider 429 ends in a clear message, the session keeps its history, and the
 * campaign composer has the same panel.
 */
describe('AI writing assistant', () => {
  const session = useBrowserSession('ai');
  const page = () => session.page;
  const api = <T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown) =>
    callApi<T>(session, method, path, body);
  const panel = () => page().getByRole('region', { name: 'Write with AI' });
  /**
   * Picks an option of an open Mantine select. A DOM click on the option: in Debian's Chromium the
   * list can open where the page's sticky header takes a pointer click at the option's position.
   */
  async function pickOption(name: { name: string }) {
    const option = page().getByRole('option', name);
    await option.waitFor();
    await option.evaluate((element) => (element as HTMLElement).click());
  }
  const KEY = 'sk-e2e-secret-key-42';
  let peer: OpenAiPeer;
  const clientIds: string[] = [];

  beforeAll(async () => {
    peer = await startOpenAiPeer({ apiKey: KEY });
    // Slow enough to see the answer arrive piece by piece.
    peer.chunkDelayMs = 60;
  });
  afterAll(async () => {
    await peer?.close();
  });

  it('logs in and prepares clients and a segment', async () => {
    await logIn(session);
    for (let i = 0; i < 6; i++) {
      const created = await api<{ id: string }>('POST', '/api/v1/clients', {
        first_name: ['Lucía', 'Marta', 'Javier', 'Carmen', 'Pablo', 'Irene'][i],
        last_name: 'Serrano',
        email: `client${i}@example.com`,
        city: 'Valencia',
        locale: 'es',
      });
      clientIds.push(created.id);
    }
    await api('POST', '/api/v1/segments', { name: 'Valencia clients', definition: { all: [] } });
  });

  it('hides the assistant until a provider is set', async () => {
    await page().getByRole('navigation').getByRole('link', { name: 'Templates' }).click();
    await page().getByRole('button', { name: 'New template' }).first().click();
    await page().getByLabel('Name').waitFor();
    expect(await page().getByText('Write with AI').count()).toBe(0);
  });

  it('sets the provider, the forbidden claims and shows the key masked', async () => {
    await openSettings(page(), 'AI assistant', '/settings/ai');
    await page().getByText('Not set up').waitFor();
    await page().getByLabel('Endpoint (base URL)').fill(peer.url);
    await page().getByLabel('Model').fill('fake-model');
    await page().getByLabel('API key').fill(KEY);
    const claims = page().getByPlaceholder('Type a phrase and press Enter');
    await claims.fill('cures');
    await claims.press('Enter');
    await claims.fill('guaranteed results');
    await claims.press('Enter');
    await page().getByRole('button', { name: 'Save' }).click();
    await page().getByText('On · fake-model').waitFor();
    await page().getByText('A key is stored (encrypted)').waitFor();
    expect(await page().getByLabel('API key').inputValue()).toBe('••••••••');
    await dismissNotifications(page());
    await screenshot(page(), 'ai-settings');
    const stored = await api<{ api_key: string }>('GET', '/api/v1/ai/settings');
    expect(stored.api_key).toBe('••••••••');
  });

  it('writes variants in the template editor, streaming, and replaces the draft with one', async () => {
    await page().getByRole('navigation').getByRole('link', { name: 'Templates' }).click();
    await page().getByRole('button', { name: 'New template' }).first().click();
    await page().getByLabel('Name').fill('Win back');
    await panel().getByRole('button', { name: 'Write with AI' }).click();
    await panel().getByLabel('Objective').fill('Bring back clients who have not booked in three months');
    await panel().getByRole('combobox', { name: 'Language' }).click();
    await pickOption({ name: 'Spanish' });
    await panel().getByRole('combobox', { name: 'Written for' }).click();
    await pickOption({ name: 'Valencia clients' });
    await panel()
      .getByText(/aggregated facts/)
      .waitFor();
    await panel().getByRole('button', { name: 'Write variants' }).click();
    await panel()
      .getByRole('status')
      .getByText(/Writing… \d+ characters/)
      .waitFor();
    await screenshot(page(), 'ai-streaming');
    await panel().getByRole('article', { name: 'Variant 3' }).waitFor();
    await panel().getByText('Sent: aggregated facts of 6 clients, no names.', { exact: false }).waitFor();
    await screenshot(page(), 'ai-variants');

    // What was sent named nobody.
    const sent = peer.requests.at(-1)!.text;
    expect(sent).toContain('"count":6');
    expect(sent).not.toMatch(/Serrano|client\d@example\.com/);

    await panel()
      .getByRole('article', { name: 'Variant 2' })
      .getByRole('button', { name: 'Replace' })
      .click();
    expect(await page().getByLabel('Subject').inputValue()).toBe(
      'Vuelve esta semana, {{ client.first_name }}',
    );
    await page().locator('.ProseMirror').getByText('Vuelve esta semana.', { exact: false }).waitFor();
  });

  it('highlights a forbidden claim and keeps the session history', async () => {
    peer.inject({
      content: JSON.stringify({
        variants: [
          {
            subject: 'Feel better, {{ client.first_name }}',
            body: '<p>Hola {{ client.first_name }}.</p><p>Our massage cures back pain for good. Book today!</p>',
          },
        ],
      }),
    });
    await panel().locator('label.mantine-SegmentedControl-label', { hasText: 'Rewrite this text' }).click();
    await panel().getByRole('textbox', { name: 'Variants' }).fill('1');
    await panel().getByRole('button', { name: 'Rewrite', exact: true }).click();
    const variant = panel().getByRole('article', { name: 'Variant 1' });
    await variant.locator('mark[data-claim="cures"]').waitFor();
    expect(await variant.locator('mark').textContent()).toBe('Our massage cures back pain for good.');
    await variant.getByText('1 forbidden claim').waitFor();
    await panel().getByText('This session').waitFor();
    expect(await panel().getByRole('listitem').count()).toBe(2);
    await screenshot(page(), 'ai-forbidden-claim');
  });

  it("ends a provider's 429 in a clear message", async () => {
    peer.inject({ status: 429, headers: { 'retry-after': '20' } });
    await panel().getByRole('button', { name: 'Regenerate' }).click();
    const alert = panel().getByRole('alert');
    await alert.getByText('The AI could not write this').waitFor();
    await alert.getByText(/refusing more requests for now \(429.*try again in 20 s/).waitFor();
    await screenshot(page(), 'ai-error');
  });

  it('shows the usage in Settings › AI', async () => {
    await openSettings(page(), 'AI assistant', '/settings/ai');
    await page()
      .getByText(/3 requests this month, 1 failed/)
      .waitFor();
    await screenshot(page(), 'ai-settings-usage');
  });

  it("sends one client's notes only once Settings › AI allows it, and shows exactly what left", async () => {
    await api('POST', `/api/v1/clients/${clientIds[0]}/notes`, { body: 'Prefers mornings, sensitive skin' });
    await page().getByRole('switch', { name: "Allow sending a client's notes and history" }).check();
    await page().getByRole('button', { name: 'Save' }).click();
    await page().getByText('AI settings saved').waitFor();
    await dismissNotifications(page());

    await page().getByRole('navigation').getByRole('link', { name: 'Templates' }).click();
    await page().getByRole('button', { name: 'New template' }).first().click();
    await panel().getByRole('button', { name: 'Write with AI' }).click();
    await panel().getByLabel('Objective').fill('Invite her to a skin check-up');
    // The editor's own "Preview for" picker lists the same clients (hidden): pick from the visible list.
    const picker = panel().getByRole('combobox', { name: 'Or for one client' });
    await picker.pressSequentially('Lucía', { delay: 40 });
    // This picker's own list (the editor's "Preview for" lists the same clients); the list may be
    // mid-animation while the debounced search refetches, so the option is clicked as an event.
    const listId = await picker.getAttribute('aria-controls');
    const option = page().locator(`#${listId} [role="option"]`, { hasText: 'Lucía Serrano' });
    await option.waitFor({ state: 'attached' });
    await option.dispatchEvent('click');
    expect(await picker.inputValue()).toContain('Lucía Serrano');
    await panel()
      .getByText(/latest 5 notes and 10 history events \(allowed in Settings › AI\)/)
      .waitFor();
    await panel().getByRole('button', { name: 'Write variants' }).click();
    await panel().getByRole('article', { name: 'Variant 3' }).waitFor();
    await panel().getByRole('button', { name: 'Show exactly what was sent' }).click();
    const sentBlock = panel().getByLabel('Show exactly what was sent');
    await sentBlock.getByText(/sensitive skin/).waitFor();
    expect(await sentBlock.textContent()).not.toMatch(/client0@example\.com|Serrano/);
    const sent = peer.requests.at(-1)!.text;
    expect(sent).toContain('sensitive skin');
    expect(sent).not.toMatch(/client0@example\.com|Serrano/);
    await screenshot(page(), 'ai-client-details');
  });

  it('adapts the email into an SMS within one part and switches the editor to SMS', async () => {
    await panel()
      .getByRole('article', { name: 'Variant 1' })
      .getByRole('button', { name: 'Replace' })
      .click();
    await panel().locator('label.mantine-SegmentedControl-label', { hasText: 'Rewrite this text' }).click();
    await panel().getByRole('combobox', { name: 'Rewrite' }).click();
    await pickOption({ name: 'Adapt to an SMS' });
    await panel().getByRole('textbox', { name: 'Variants' }).fill('2');
    await panel().getByRole('button', { name: 'Rewrite', exact: true }).click();
    const variant = panel().getByRole('article', { name: 'Variant 2' });
    await variant.getByText('1 SMS part').waitFor();
    expect(peer.requests.at(-1)!.text).toContain('Channel: SMS');
    await screenshot(page(), 'ai-adapt-sms');
    await variant.getByRole('button', { name: 'Use as SMS' }).click();
    await page().getByRole('textbox', { name: 'Message' }).waitFor();
    expect(await page().getByRole('textbox', { name: 'Message' }).inputValue()).toMatch(
      /^Come back this week \{\{ client\.first_name \}\}: book at/,
    );
    expect(await page().getByRole('radio', { name: 'SMS' }).isChecked()).toBe(true);
  });

  it('offers the same panel in the campaign composer', async () => {
    await page().getByRole('navigation').getByRole('link', { name: 'Campaigns' }).click();
    await page().getByRole('link', { name: 'New campaign' }).first().click();
    await page().getByLabel('Campaign name').fill('AI spring');
    await page().getByRole('button', { name: 'Save and continue' }).click();
    await page().waitForURL(/\/campaigns\/[0-9a-f-]+\/edit$/);
    await page().getByRole('button', { name: 'Save and continue' }).click();
    await panel().getByRole('button', { name: 'Write with AI' }).click();
    await panel().locator('label.mantine-SegmentedControl-label', { hasText: 'Write new' }).click();
    await panel().getByLabel('Objective').fill('Spring offer: 10% off a check-up');
    await panel().getByRole('button', { name: 'Write variants' }).click();
    await panel().getByRole('article', { name: 'Variant 3' }).waitFor();
    await panel()
      .getByRole('article', { name: 'Variant 1' })
      .getByRole('button', { name: 'Replace' })
      .click();
    expect(await page().getByLabel('Subject').inputValue()).toContain('{{ client.first_name }}');
    expect(await page().getByRole('textbox', { name: 'Message' }).inputValue()).toContain('<p>');
    await screenshot(page(), 'ai-campaign-composer');
  });
});
