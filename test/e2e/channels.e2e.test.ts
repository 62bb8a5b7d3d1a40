import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MetaPeer, startMetaPeer } from '../peers/meta-graph.ts';
import { type SmtpSink, startSmtpSink } from '../peers/smtp-sink.ts';
import { screenshot } from './support/browser';
import { callApi, dismissNotifications, logIn, openSettings, useBrowserSession } from './support/session';

/**
 * Settings › Channels and the Outbox in real Chromium: the Outbox is there from the start, a test
 * message through it shows up in the Outbox as the recipient would see it (SMS with its segment
 * count, WhatsApp bubble, email), an SMTP channel is added against a local SMTP server (bad input
 * named under the field, secret masked afterwards), tested, and its health shown.
 */
describe('channels and outbox', () => {
  const session = useBrowserSession('channels');
  const page = () => session.page;
  let smtp: SmtpSink;
  let meta: MetaPeer;

  beforeAll(async () => {
    [smtp, meta] = await Promise.all([startSmtpSink(), startMetaPeer()]);
  });
  afterAll(async () => {
    await Promise.all([smtp?.close(), meta?.close()]);
  });

  it('logs in', () => logIn(session));

  it('shows the Outbox as the only channel, and sends test messages into it', async () => {
    await openSettings(page(), 'Channels', '/settings/channels');
    await page().getByText('Messages stay in the Outbox').waitFor();
    const outbox = page().getByRole('region', { name: 'Outbox' });
    await outbox.getByText('Default').waitFor();

    await outbox.getByRole('button', { name: 'Send test' }).click();
    const dialog = page().getByRole('dialog', { name: 'Send a test with Outbox' });
    await dialog.getByRole('textbox', { name: /^Email address/ }).fill('ana@example.com');
    await dialog.getByRole('button', { name: 'Send test' }).click();
    await dialog.getByRole('status').getByText('Sent').waitFor();

    await dialog.getByLabel('Send as').click();
    await page().getByRole('option', { name: 'SMS' }).click();
    await dialog.getByRole('textbox', { name: /^Phone number/ }).fill('+34600111222');
    const text = dialog.getByRole('textbox', { name: 'Message' });
    await text.fill('Hola Ana 😊 te esperamos el lunes a las 10:00 en Clínica Sol.');
    await expect.poll(() => dialog.getByTestId('sms-counter').innerText()).toMatch(/1 SMS segment · UCS-2/);
    await text.fill('Hola Ana, te esperamos el lunes a las 10:00. '.repeat(4));
    await expect.poll(() => dialog.getByTestId('sms-counter').innerText()).toMatch(/2 SMS segments · GSM-7/);
    await screenshot(page(), 'channels-test-sms');
    await dialog.getByRole('button', { name: 'Send test' }).click();
    await dialog.getByRole('status').getByText('Sent').waitFor();

    await dialog.getByLabel('Send as').click();
    await page().getByRole('option', { name: 'WhatsApp' }).click();
    await text.fill('¡Hola Ana! Tu cita es mañana a las 10:00.');
    await dialog.getByRole('button', { name: 'Send test' }).click();
    await dialog.getByRole('status').getByText('Sent').waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    await outbox.getByText('Last 24 h: 3 sent, 0 failed').waitFor();
  });

  it('adds an SMTP channel: errors under the fields, secret masked, test reaches the server', async () => {
    await page().getByRole('button', { name: 'Add channel' }).first().click();
    const add = page().getByRole('dialog', { name: 'Add a channel' });
    await add.getByLabel(/^Provider/).click();
    await page().getByRole('option', { name: 'Email (SMTP)' }).click();
    await add.getByRole('textbox', { name: /^Name/ }).fill('Clinic mail');
    await add.getByRole('textbox', { name: /^SMTP host/ }).fill('127.0.0.1');
    await add.getByRole('textbox', { name: /^Port/ }).fill(String(smtp.port));
    await add.getByRole('textbox', { name: /^From address/ }).fill('not-an-email');
    await add.getByLabel(/^Password/).fill('s3cret-pass');
    await add.getByRole('button', { name: 'Add channel' }).click();
    await add.getByText('is not an email address').waitFor();
    await add.getByText('is not an email address').scrollIntoViewIfNeeded();
    await screenshot(page(), 'channels-add-smtp-error');
    await add.getByRole('textbox', { name: /^From address/ }).fill('hola@clinica-sol.example');
    await add.getByRole('textbox', { name: /^From name/ }).fill('Clínica Sol');
    await add.getByRole('button', { name: 'Add channel' }).click();
    await page().getByText('Clinic mail was added.').waitFor();
    await add.waitFor({ state: 'hidden' });

    const card = page().getByRole('region', { name: 'Clinic mail' });
    await card.getByText('Not tested yet', { exact: false }).waitFor();
    await card.getByRole('button', { name: 'Send test' }).click();
    const test = page().getByRole('dialog', { name: 'Send a test with Clinic mail' });
    await test.getByRole('textbox', { name: /^Email address/ }).fill('desk@clinica-sol.example');
    await test.getByRole('button', { name: 'Send test' }).click();
    await test.getByRole('status').getByText('Sent').waitFor();
    await test.getByRole('button', { name: 'Done' }).click();
    const [mail] = await smtp.waitFor(1);
    expect(mail!.to).toEqual(['desk@clinica-sol.example']);
    expect(mail!.headers.from).toContain('hola@clinica-sol.example');
    await card.getByText('Last test sent').waitFor();

    await card.getByRole('button', { name: 'Edit' }).click();
    const edit = page().getByRole('dialog', { name: 'Edit Clinic mail' });
    await expect(edit.getByLabel(/^Password/).inputValue()).resolves.toBe('');
    await expect(edit.getByLabel(/^Password/).getAttribute('placeholder')).resolves.toContain('Saved');
    await page().keyboard.press('Escape');
    await edit.waitFor({ state: 'hidden' });
    await card.getByText('Webhook addresses for the provider').click();
    await card.getByText(/\/webhooks\/sendgrid\//).waitFor();
    await dismissNotifications(page());
    await page().mouse.move(0, 0);
    await screenshot(page(), 'channels-settings');
  });

  it('syncs WhatsApp templates and offers only the approved ones', async () => {
    await callApi(session, 'POST', '/api/v1/channels', {
      provider: 'meta_whatsapp',
      name: 'WhatsApp Clínica',
      settings: meta.channelSettings({ verify_token: 'clinic-verify' }),
    });
    await page().reload();
    const card = page().getByRole('region', { name: 'WhatsApp Clínica' });
    await card.getByText('No approved templates yet', { exact: false }).waitFor();
    // Editing straight after a reload: the form waits for the provider's fields and shows the values.
    await card.getByRole('button', { name: 'Edit' }).click();
    const edit = page().getByRole('dialog', { name: 'Edit WhatsApp Clínica' });
    await expect
      .poll(() => edit.getByRole('textbox', { name: /^Phone number ID/ }).inputValue())
      .toBe(meta.phoneNumberId);
    await page().keyboard.press('Escape');
    await edit.waitFor({ state: 'hidden' });
    await card.getByRole('button', { name: 'Sync templates' }).click();
    await page().getByText('2 approved templates available.').waitFor();
    const approved = card.getByRole('group', { name: 'Approved templates' });
    await approved.getByText('appointment_reminder · es').waitFor();
    await approved.getByText('welcome · en_US').waitFor();
    await expect(approved.getByText(/spring_promo|old_offer/).count()).resolves.toBe(0);
    await card.getByText('Webhook addresses for the provider').click();
    await card.getByText(/\/webhooks\/meta$/).waitFor();
    await dismissNotifications(page());
    await page().mouse.move(0, 0);
    await screenshot(page(), 'channels-whatsapp');
  });

  it('shows each stored message as its recipient would see it', async () => {
    await page().getByRole('navigation').getByRole('link', { name: 'Outbox' }).click();
    await page().waitForURL((url) => url.pathname === '/outbox');
    const messages = page().getByTestId('outbox-message');
    await expect.poll(() => messages.count()).toBe(3);
    const whatsapp = page().getByRole('article', { name: 'Message to +34600111222' }).first();
    await whatsapp.getByText('¡Hola Ana! Tu cita es mañana a las 10:00.').waitFor();
    await page()
      .getByText(/2 segments · GSM-7/)
      .waitFor();
    const email = page().getByRole('article', { name: 'Message to ana@example.com' });
    const frame = email.locator('iframe');
    await expect(frame.getAttribute('sandbox')).resolves.toBe('');
    await expect.poll(() => frame.contentFrame().locator('p').innerText()).toContain('this channel works');
    await email.getByText('Plain text').click();
    await email.getByText('Test message from Clientela: this channel works.').waitFor();
    await page().mouse.move(0, 0);
    await screenshot(page(), 'outbox');

    // A link from a client narrows the list; "Show all messages" lifts the filter.
    await page().goto('/outbox?client_id=00000000-0000-4000-8000-000000000000');
    await page().getByText('No stored message matches this filter.').waitFor();
    await page().getByRole('button', { name: 'Show all messages' }).click();
    await expect.poll(() => messages.count()).toBe(3);
  });

  it('will not delete a channel a scheduled campaign sends through: names the campaign; cancelled, the channel goes', async () => {
    const { channels } = await callApi<{ channels: Array<{ id: string; name: string }> }>(
      session,
      'GET',
      '/api/v1/channels',
    );
    const mail = channels.find((c) => c.name === 'Clinic mail')!;
    const client = await callApi<{ id: string }>(session, 'POST', '/api/v1/clients', {
      first_name: 'Ana',
      email: 'ana.channels@example.com',
      consent: { email: true },
    });
    const campaign = await callApi<{ id: string }>(session, 'POST', '/api/v1/campaigns', {
      name: 'Spring reminder',
      channel: 'email',
      channel_id: mail.id,
      content: { subject: 'Hola', body: '<p>Hola</p>' },
      audience: { client_ids: [client.id] },
    });
    const at = new Date(Date.now() + 86_400_000).toISOString();
    await callApi(session, 'POST', `/api/v1/campaigns/${campaign.id}/send`, { at });

    await page().goto('/settings/channels');
    const card = page().getByRole('region', { name: 'Clinic mail' });
    await card.getByTestId('channel-used-by').getByRole('link', { name: 'Spring reminder' }).waitFor();
    await card.getByRole('button', { name: 'Delete' }).click();
    const blocked = page().getByRole('dialog', { name: 'Clinic mail cannot be deleted yet' });
    await blocked.getByText('This campaign will still send through the channel.', { exact: false }).waitFor();
    await blocked.getByRole('link', { name: 'Spring reminder' }).waitFor();
    await blocked.getByText('Scheduled').waitFor();
    await screenshot(page(), 'channels-delete-blocked');
    await blocked.getByRole('button', { name: 'Done' }).click();
    await blocked.waitFor({ state: 'hidden' });
    await card.waitFor();

    await callApi(session, 'POST', `/api/v1/campaigns/${campaign.id}/cancel`, {});
    await page().reload();
    await card.getByRole('button', { name: 'Delete' }).click();
    const confirm = page().getByRole('dialog', { name: 'Delete this channel?' });
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await page().getByText('Clinic mail was deleted.').waitFor();
    await card.waitFor({ state: 'detached' });
  });
});
