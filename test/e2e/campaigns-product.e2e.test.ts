import { describe, expect, it } from 'vitest';
import { screenshot } from './support/browser';
import { callApi, dismissNotifications, logIn, openSettings, useBrowserSession } from './support/session';

/**
 * The campaign product around the engine: the home page before and after, prices in Settings →
 * Sending, a wizard with fallback channels, chosen clients, an A/B test of two variants, a review
 * with its cost estimate, warnings and a client excluded by hand; then the campaign page with the
 * A/B results, a winner chosen by hand, the funnel, the chart and the actual cost.
 */
describe('campaign product', () => {
  const session = useBrowserSession('campaigns-product');
  const page = () => session.page;
  const api = <T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown) =>
    callApi<T>(session, method, path, body);
  let campaignId = '';
  /** The quiet hours set in Settings › Sending (hours ahead of now, so nothing sent here waits). */
  let quiet = { start: 21, end: 9 };
  const clients: Record<string, string> = {};

  it('logs in; the home page says what to do while there is nothing to show', async () => {
    await logIn(session);
    await page().getByTestId('home-dashboard').waitFor();
    await page().getByTestId('home-campaigns').getByText('No campaign yet').waitFor();
    await page().getByTestId('home-messages').getByText('No messages sent in the last 12 weeks').waitFor();
    await page().getByTestId('home-segments').getByText('No segment count moved in 7 days').waitFor();
    await screenshot(page(), 'campaigns-product-home-empty');
  });

  it('adds six clients and sets prices in Settings → Sending', async () => {
    for (const [first_name, email, phone] of [
      ['Ana', 'ana@example.com', '+34600000001'],
      ['Bruno', 'bruno@example.com', '+34600000002'],
      ['Carla', 'carla@example.com', '+34600000003'],
      ['Diego', 'diego@example.com', '+34600000004'],
      ['Elena', 'elena@example.com', '+34600000005'],
      ['Fran', null, '+34600000006'],
    ] as const) {
      const created = await api<{ id: string }>('POST', '/api/v1/clients', {
        first_name,
        ...(email ? { email } : {}),
        phone,
        consent: { email: true, sms: true },
      });
      clients[first_name] = created.id;
    }
    await openSettings(page(), 'Sending', '/settings/sending');
    await page().getByRole('switch', { name: 'Estimate costs' }).check({ force: true });
    await page().getByRole('textbox', { name: 'Per email' }).fill('0.002');
    await page().getByRole('textbox', { name: 'Per SMS segment' }).fill('0.05');
    // Quiet hours: on by default (21:00–09:00). The business sets its own, chosen 3 to 5 hours ahead
    // of the workspace's clock so that the SMS sent below goes at once whatever hour the suite runs.
    expect(await page().getByRole('switch', { name: 'Hold SMS and WhatsApp at night' }).isChecked()).toBe(
      true,
    );
    const { default_timezone } = await api<{ default_timezone: string }>('GET', '/api/v1/workspace');
    const hourNow = Number(
      new Intl.DateTimeFormat('en-GB', {
        hour: '2-digit',
        hourCycle: 'h23',
        timeZone: default_timezone,
      }).format(new Date()),
    );
    quiet = { start: (hourNow + 3) % 24, end: (hourNow + 5) % 24 };
    const label = (hour: number) => `${String(hour).padStart(2, '0')}:00`;
    const pickHour = async (name: string, hour: number) => {
      await page().getByRole('combobox', { name }).click();
      await page()
        .getByRole('option', { name: label(hour), exact: true })
        .click();
    };
    await pickHour('Until', quiet.start);
    await pickHour('From', quiet.start);
    // The same hour twice is refused before anything is sent.
    await page().getByText('Pick two different hours.').waitFor();
    expect(await page().getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await pickHour('Until', quiet.end);
    await screenshot(page(), 'campaigns-product-settings-sending');
    await page().getByRole('button', { name: 'Save' }).click();
    await page().getByText('Sending settings saved').waitFor();
    const settings = await api<{
      prices: { email: number; sms_segment: number };
      quiet_hours: { start: number; end: number } | null;
    }>('GET', '/api/v1/campaign-settings');
    expect(settings.prices).toMatchObject({ currency: 'EUR', email: 0.002, sms_segment: 0.05 });
    expect(settings.quiet_hours).toEqual(quiet);
  });

  it('wizard basics: the provider account and an SMS fallback', async () => {
    await page().goto('/campaigns/new');
    await page().getByLabel('Campaign name').fill('Summer A/B');
    await page().getByRole('combobox', { name: 'Provider account' }).click();
    await page().waitForTimeout(300);
    await page().keyboard.press('Escape');
    await page().getByRole('combobox', { name: 'Fallback channels' }).click({ force: true });
    await page().getByRole('option', { name: 'SMS' }).click();
    await page().keyboard.press('Escape');
    await screenshot(page(), 'campaigns-product-wizard-basics');
    await page().getByRole('button', { name: 'Save and continue' }).click();
    await page().waitForURL(/\/campaigns\/[0-9a-f-]+\/edit$/);
    campaignId = page().url().split('/').at(-2) ?? '';
    const saved = await api<{ fallback_channels: string[] }>('GET', `/api/v1/campaigns/${campaignId}`);
    expect(saved.fallback_channels).toEqual(['sms']);
  });

  it('audience: the condition builder with its live count, then chosen clients', async () => {
    await page().getByRole('radio', { name: 'Conditions' }).check();
    await page().getByTestId('audience-builder').waitFor();
    await page().getByRole('button', { name: 'Add a condition' }).first().click();
    await page().waitForTimeout(600);
    await screenshot(page(), 'campaigns-product-wizard-conditions');

    await page().getByRole('radio', { name: 'Chosen clients' }).check();
    for (const name of ['Ana', 'Bruno', 'Carla', 'Diego', 'Elena', 'Fran']) {
      await page().getByRole('combobox', { name: 'Clients', exact: true }).fill(name);
      await page()
        .getByRole('option', { name: new RegExp(name) })
        .click();
    }
    await page().getByTestId('audience-count').getByText('6 clients in this audience right now').waitFor();
    await screenshot(page(), 'campaigns-product-wizard-clients');
    await page().getByRole('button', { name: 'Save and continue' }).click();
    await page().getByRole('switch', { name: 'A/B test' }).waitFor();
    const saved = await api<{ audience: { client_ids: string[] } }>('GET', `/api/v1/campaigns/${campaignId}`);
    expect(saved.audience.client_ids.sort()).toEqual(Object.values(clients).sort());
  });

  it('content: two variants of an A/B test with its share, criterion and wait', async () => {
    await page().getByRole('switch', { name: 'A/B test' }).check({ force: true });
    await page().getByTestId('ab-settings').waitFor();
    await page().getByRole('textbox', { name: 'Test share' }).fill('50');
    await page().getByRole('textbox', { name: 'Subject' }).fill('A: {{ client.first_name }}, summer is here');
    await page().getByRole('textbox', { name: 'Message' }).fill('Variant A for {{ client.first_name }}');
    await page().getByRole('tab', { name: 'Variant B' }).click();
    await page()
      .getByRole('textbox', { name: 'Subject' })
      .fill('B: {{ client.first_name }}, 20 % off this summer');
    await page().getByRole('textbox', { name: 'Message' }).fill('Variant B for {{ client.first_name }}');
    await screenshot(page(), 'campaigns-product-wizard-ab');
    await page().getByRole('button', { name: 'Save and continue' }).click();
    await page().getByRole('radio', { name: 'Now', exact: true }).waitFor();
    const saved = await api<{ content: { variants: Array<{ subject: string }> }; ab_test: unknown }>(
      'GET',
      `/api/v1/campaigns/${campaignId}`,
    );
    expect(saved.content.variants.map((v) => v.subject)).toEqual([
      'A: {{ client.first_name }}, summer is here',
      'B: {{ client.first_name }}, 20 % off this summer',
    ]);
    expect(saved.ab_test).toEqual({ test_share_percent: 50, criterion: 'opened', wait_hours: 4 });
  });

  it('schedule: at a time, with the choice of when recipients are decided and the quiet-hours note', async () => {
    await page().getByRole('radio', { name: 'At a date and time' }).check();
    await page().getByTestId('determine').waitFor();
    // The note says the workspace's own quiet hours, set in Settings › Sending above.
    const hours = [quiet.start, quiet.end].map((h) => `${String(h).padStart(2, '0')}:00`);
    await page().getByTestId('quiet-hours').getByText(`between ${hours[0]} and ${hours[1]}`).waitFor();
    await dismissNotifications(page());
    await screenshot(page(), 'campaigns-product-wizard-schedule');
    await page().getByRole('radio', { name: 'Now', exact: true }).check();
    await page().getByRole('button', { name: 'Save and continue' }).click();
  });

  it('review: the cost estimate, warnings, and a client excluded by hand', async () => {
    await page().getByTestId('review-eligible').getByText('6 of 6 will receive it').waitFor();
    // Five emails and Fran's SMS (the fallback): 5 × 0.002 + 1 × 0.05.
    await page().getByTestId('cost-estimate').getByText('€0.06').waitFor();
    await page()
      .getByTestId('review-warnings')
      .getByText(/A\/B test: 3 get one of the 2 variants first/)
      .waitFor();

    await page().getByRole('combobox', { name: 'Clients to exclude' }).fill('Elena');
    await page().getByRole('option', { name: /Elena/ }).click();
    await page().getByRole('button', { name: 'Exclude', exact: true }).click();
    await page().getByTestId('exclusions-list').getByText('Elena', { exact: true }).waitFor();
    await page().getByTestId('review-eligible').getByText('5 of 6 will receive it').waitFor();
    await page().getByTestId('review-skipped').getByText('1 excluded by hand').waitFor();
    await dismissNotifications(page());
    await screenshot(page(), 'campaigns-product-wizard-review');
  });

  it('sends: the test share goes first, the rest waits; the winner chosen by hand goes to the rest', async () => {
    await page().getByRole('button', { name: 'Send now' }).click();
    await page().getByRole('button', { name: 'Yes, send' }).click();
    await page().waitForURL((url) => url.pathname === `/campaigns/${campaignId}`);
    const ab = page().getByTestId('ab-test');
    await ab.getByText(/2 recipients wait for the winner/).waitFor({ timeout: 30_000 });
    // 50 % of 5 eligible: 3 in the test (2 get A, 1 gets B), 2 held.
    await page().getByTestId('variant-0').getByText('2 sent', { exact: false }).waitFor();
    await page().getByTestId('variant-1').getByText('1 sent', { exact: false }).waitFor();
    await page().getByTestId('count-held').getByText('2').waitFor();
    await dismissNotifications(page());
    await screenshot(page(), 'campaigns-product-page-ab-waiting');

    await page().getByTestId('variant-1').getByRole('button', { name: 'Choose this one now' }).click();
    await page().getByRole('dialog').getByRole('button', { name: 'Choose and send' }).click();
    await ab.getByText('Variant B was chosen by hand and went to the rest of the audience.').waitFor();
    await page().getByTestId('campaign-status').getByText('Sent').waitFor({ timeout: 30_000 });
    await page().getByTestId('variant-1').getByText('Winner').waitFor();
    await page().getByTestId('funnel-audience').getByText('6').waitFor();
    await page().getByTestId('funnel-sent').getByText('5').waitFor();
    // Four emails and Fran's SMS: 4 × 0.002 + 0.05.
    await page().getByTestId('cost-actual').getByText('€0.058').waitFor();
    await page().locator('.recharts-bar-rectangle').first().waitFor();
    await dismissNotifications(page());
    await screenshot(page(), 'campaigns-product-page-sent');

    const outbox = await api<{ messages: Array<{ subject: string | null }> }>(
      'GET',
      `/api/v1/outbox?campaign_id=${campaignId}&limit=100`,
    );
    // B went to its test recipient and the two held, A to its two; Fran got the SMS fallback of their variant.
    expect(outbox.messages).toHaveLength(5);
    const emails = outbox.messages.filter((m) => m.subject);
    expect(emails.filter((m) => m.subject?.startsWith('B:')).length).toBeGreaterThanOrEqual(2);
  });

  it('the home page shows the clients, the messages with their rates and the campaign', async () => {
    await page().getByRole('navigation').getByRole('link', { name: 'Home' }).click();
    await page().getByTestId('home-campaigns').getByRole('link', { name: 'Summer A/B' }).waitFor();
    await page().getByTestId('home-clients').locator('.recharts-line').first().waitFor();
    await page().getByTestId('home-rates').getByText('Email').waitFor();
    await page().getByTestId('home-clients').scrollIntoViewIfNeeded();
    await page().waitForTimeout(500);
    await screenshot(page(), 'campaigns-product-home');
  });
});
