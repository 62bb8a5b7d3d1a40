import { createSign, sign as ecSign, generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EvolutionPeer, startEvolutionPeer } from '../../../test/peers/evolution.ts';
import { postWebhook } from '../../../test/peers/http-peer.ts';
import { type MetaPeer, startMetaPeer } from '../../../test/peers/meta-graph.ts';
import { startTwilioPeer, type TwilioPeer } from '../../../test/peers/twilio.ts';
import { newApiKey, newWorkspace, setupTestApp, withKey } from '../../../test/support/app.ts';
import { systemContext } from '../../platform/auth/context.ts';
import type { OutgoingMessage } from './channel-types.ts';
import {
  rememberSnsCertificate,
  type SnsMessage,
  snsStringToSign,
  twilioSignature,
  verifySnsMessage,
  verifyTwilioSignature,
} from './webhook-signatures.ts';

const WELCOME = { whatsappTemplate: { name: 'welcome', language: 'en_US', bodyParameters: ['Ana'] } };

/** The app listens on a real port so the peers can post webhooks to it, and PUBLIC_URL names it. */
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
const port = await freePort();
const PUBLIC_URL = `http://127.0.0.1:${port}`;
const t = setupTestApp({ PUBLIC_URL });

let meta: MetaPeer;
let twilio: TwilioPeer;
let evolution: EvolutionPeer;
beforeAll(async () => {
  await t.app.http.listen({ port, host: '127.0.0.1' });
  [meta, twilio, evolution] = await Promise.all([startMetaPeer(), startTwilioPeer(), startEvolutionPeer()]);
});
afterAll(async () => {
  await Promise.all([meta?.close(), twilio?.close(), evolution?.close()]);
});

async function world(phone = '+34600111222') {
  const workspace = await newWorkspace(t);
  const key = await newApiKey(t, workspace.id);
  const api = withKey(t, key);
  const client = await api('POST', '/api/v1/clients', {
    first_name: 'Ana',
    phone,
    email: `ana-${workspace.id.slice(0, 8)}@example.com`,
    consent: { whatsapp: true, sms: true, email: true },
  });
  expect(client.statusCode, client.body).toBe(201);
  const ctx = systemContext(workspace.id, 'test');
  async function channel(provider: string, settings: Record<string, unknown>) {
    const response = await api('POST', '/api/v1/channels', { provider, name: provider, settings });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id as string;
  }
  async function consent() {
    return (await api('GET', `/api/v1/clients/${client.json().id}/consent`)).json().consent as Record<
      string,
      boolean
    >;
  }
  async function message(id: string) {
    const [row] = (
      await t.app.dbHandle.pool.query('select status, status_history from channel_messages where id = $1', [
        id,
      ])
    ).rows;
    return row as { status: string; status_history: Array<{ status: string }> };
  }
  /** Sends through the channel as the campaign engine will: to this client's phone unless told otherwise. */
  async function send(channelId: string, message: Partial<OutgoingMessage>) {
    return t.app.channels.sendThroughChannel(t.app.dbHandle.db, ctx, channelId, {
      channel: 'whatsapp',
      to: phone,
      text: '',
      marketing: false,
      workspaceId: workspace.id,
      clientId: client.json().id,
      ...message,
    });
  }
  return {
    workspace,
    api,
    clientId: client.json().id as string,
    ctx,
    channel,
    consent,
    message,
    phone,
    send,
  };
}

describe('signatures', () => {
  it("matches Twilio's published test vector", () => {
    // https://www.twilio.com/docs/usage/security (TwilioDevEd/api-snippets signature_validation)
    const params = {
      CallSid: 'CA1234567890ABCDE',
      Caller: '+14158675309',
      Digits: '1234',
      From: '+14158675309',
      To: '+18005551212',
    };
    const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
    expect(twilioSignature('12345', url, params)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    expect(verifyTwilioSignature('12345', url, params, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=')).toBe(true);
    expect(
      verifyTwilioSignature('12345', url, { ...params, Digits: '1235' }, 'RSOYDt4T1cUTdK1PDd93/VVr8B8='),
    ).toBe(false);
    expect(verifyTwilioSignature('12346', url, params, 'RSOYDt4T1cUTdK1PDd93/VVr8B8=')).toBe(false);
  });

  it('verifies SNS messages with the certificate of an SNS host only', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const message: SnsMessage = {
      Type: 'Notification',
      MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
      TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ses-events',
      Message: '{"notificationType":"Complaint"}',
      Timestamp: '2026-11-22T10:00:00.000Z',
      SignatureVersion: '2',
      Signature: '',
      SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-abc.pem',
    };
    const signer = createSign('RSA-SHA256');
    signer.update(snsStringToSign(message));
    message.Signature = signer.sign(privateKey, 'base64');
    expect(await verifySnsMessage(message, async () => pem)).toBe(true);
    expect(
      await verifySnsMessage({ ...message, Message: '{"notificationType":"Bounce"}' }, async () => pem),
    ).toBe(false);
    expect(
      await verifySnsMessage(
        { ...message, SigningCertURL: 'https://evil.example/SimpleNotificationService-abc.pem' },
        async () => pem,
      ),
    ).toBe(false);
  });
});

describe('Meta WhatsApp webhooks', () => {
  async function metaWorld() {
    const w = await world(`+3460${Math.floor(1_000_000 + Math.random() * 8_999_999)}`);
    const channelId = await w.channel(
      'meta_whatsapp',
      meta.channelSettings({ verify_token: `verify-${w.workspace.id}` }),
    );
    return { ...w, channelId };
  }

  it('echoes hub.challenge for the right verify token, 403 otherwise', async () => {
    const w = await metaWorld();
    const ok = await t.inject({
      method: 'GET',
      url: `/webhooks/meta?hub.mode=subscribe&hub.verify_token=verify-${w.workspace.id}&hub.challenge=1158201444`,
    });
    expect([ok.statusCode, ok.body]).toEqual([200, '1158201444']);
    const bad = await t.inject({
      method: 'GET',
      url: '/webhooks/meta?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1',
    });
    expect(bad.statusCode).toBe(403);
  });

  it('moves statuses forward only, ignores duplicates, and refuses a wrong signature', async () => {
    const w = await metaWorld();
    const sent = await w.send(w.channelId, { ...WELCOME, marketing: true });
    expect(sent.status).toBe('sent');
    const wamid = (sent as { providerMessageId: string }).providerMessageId;
    const url = `${PUBLIC_URL}/webhooks/meta`;
    const forged = await meta.post(url, { entry: [] }, 'sha256=0000');
    expect(forged.status).toBe(401);
    const unsigned = await meta.post(url, { entry: [] }, null);
    expect(unsigned.status).toBe(401);

    expect((await meta.sendStatus(url, wamid, 'delivered')).status).toBe(200);
    expect((await meta.sendStatus(url, wamid, 'read')).status).toBe(200);
    expect((await meta.sendStatus(url, wamid, 'delivered')).status).toBe(200); // late: changes nothing
    expect((await meta.sendStatus(url, wamid, 'read')).status).toBe(200); // duplicate
    const row = await w.message(sent.channelMessageId!);
    expect(row.status).toBe('read');
    expect(row.status_history.map((h) => h.status)).toEqual(['sent', 'delivered', 'read']);
  });

  it('a tampered body with a stale signature stores nothing', async () => {
    const w = await metaWorld();
    const sent = await w.send(w.channelId, {
      text: '',
      whatsappTemplate: { name: 'welcome', language: 'en_US', bodyParameters: ['Ana'] },
    });
    const wamid = (sent as { providerMessageId: string }).providerMessageId;
    const payload = JSON.stringify({
      entry: [
        {
          changes: [
            {
              value: {
                metadata: { phone_number_id: meta.phoneNumberId },
                statuses: [{ id: wamid, status: 'read' }],
              },
            },
          ],
        },
      ],
    });
    const { metaSignature } = await import('./webhook-signatures.ts');
    const signature = metaSignature(meta.appSecret, Buffer.from(payload.replace('read', 'sent')));
    const response = await postWebhook(`${PUBLIC_URL}/webhooks/meta`, payload, {
      'content-type': 'application/json',
      'x-hub-signature-256': signature,
    });
    expect(response.status).toBe(401);
    expect((await w.message(sent.channelMessageId!)).status).toBe('sent');
  });

  it('inbound messages open the 24-hour window, reach the timeline, and STOP withdraws WhatsApp consent', async () => {
    const w = await metaWorld();
    const freeText = () =>
      w.send(w.channelId, {
        channel: 'whatsapp',
        to: w.phone,
        text: 'Claro, te esperamos.',
      });
    const closed = await freeText();
    expect(closed).toMatchObject({ status: 'failed', code: '131047', retryable: false });
    const url = `${PUBLIC_URL}/webhooks/meta`;
    expect((await meta.sendInbound(url, w.phone, '¿Tenéis hueco el lunes?', 'wamid.inbound-1')).status).toBe(
      200,
    );
    expect((await freeText()).status).toBe('sent');
    const timeline = await w.api('GET', `/api/v1/clients/${w.clientId}/timeline`);
    const inbound = timeline.json().items.find((i: { type: string }) => i.type === 'whatsapp_inbound');
    expect(inbound?.data).toMatchObject({ properties: { text: '¿Tenéis hueco el lunes?' } });
    expect((await w.consent()).whatsapp).toBe(true);
    await meta.sendInbound(url, w.phone, 'STOP');
    expect((await w.consent()).whatsapp).toBe(false);
    const history = (await w.api('GET', `/api/v1/clients/${w.clientId}/consent`)).json().history;
    expect(history[0]).toMatchObject({ channel: 'whatsapp', granted: false, source: 'provider_webhook' });
  });

  it('a failed status with 131050 withdraws WhatsApp consent and is final', async () => {
    const w = await metaWorld();
    const sent = await w.send(w.channelId, { ...WELCOME, marketing: true });
    const wamid = (sent as { providerMessageId: string }).providerMessageId;
    const url = `${PUBLIC_URL}/webhooks/meta`;
    await meta.sendStatus(url, wamid, 'failed', {
      code: 131050,
      title: 'User has stopped marketing messages',
    });
    await meta.sendStatus(url, wamid, 'delivered');
    expect((await w.message(sent.channelMessageId!)).status).toBe('failed');
    expect((await w.consent()).whatsapp).toBe(false);
  });
});

describe('Twilio webhooks', () => {
  async function twilioWorld() {
    const w = await world(`+3461${Math.floor(1_000_000 + Math.random() * 8_999_999)}`);
    const channelId = await w.channel('twilio', {
      base_url: twilio.url,
      account_sid: twilio.accountSid,
      auth_token: twilio.authToken,
      from: '+15005550006',
    });
    return { ...w, channelId };
  }

  it('status callbacks signed by Twilio move the message; a bad signature is 401', async () => {
    const w = await twilioWorld();
    const sent = await w.send(w.channelId, {
      channel: 'sms',
      to: w.phone,
      text: 'Recordatorio: cita mañana 10:00',
    });
    const sid = (sent as { providerMessageId: string }).providerMessageId;
    expect(twilio.sent.at(-1)!.params.StatusCallback).toBe(
      `${PUBLIC_URL}/webhooks/twilio/${w.channelId}/status`,
    );
    const forged = await twilio.post(
      `${PUBLIC_URL}/webhooks/twilio/${w.channelId}/status`,
      { MessageSid: sid, MessageStatus: 'delivered' },
      'AAAA',
    );
    expect(forged.status).toBe(401);
    expect((await w.message(sent.channelMessageId!)).status).toBe('sent');
    expect((await twilio.sendStatus(sid, 'delivered')).status).toBe(200);
    expect((await twilio.sendStatus(sid, 'sent')).status).toBe(200);
    expect((await w.message(sent.channelMessageId!)).status).toBe('delivered');
  });

  it('an undelivered callback with 21610 withdraws SMS consent', async () => {
    const w = await twilioWorld();
    const sent = await w.send(w.channelId, {
      channel: 'sms',
      to: w.phone,
      text: 'Oferta',
      marketing: true,
    });
    await twilio.sendStatus(
      (sent as { providerMessageId: string }).providerMessageId,
      'undelivered',
      '21610',
    );
    expect((await w.message(sent.channelMessageId!)).status).toBe('failed');
    expect((await w.consent()).sms).toBe(false);
  });

  it('inbound STOP opts out, START opts back in; a wrong signature changes nothing', async () => {
    const w = await twilioWorld();
    const url = `${PUBLIC_URL}/webhooks/twilio/${w.channelId}/inbound`;
    const forged = await twilio.post(url, { From: w.phone, Body: 'STOP', MessageSid: 'SMforged' }, 'bad');
    expect(forged.status).toBe(401);
    expect((await w.consent()).sms).toBe(true);
    const stop = await twilio.sendInbound(url, w.phone, 'stop');
    expect(stop.status).toBe(200);
    expect(stop.text).toContain('<Response>');
    expect((await w.consent()).sms).toBe(false);
    const history = (await w.api('GET', `/api/v1/clients/${w.clientId}/consent`)).json().history;
    expect(history[0]).toMatchObject({ channel: 'sms', granted: false, source: 'sms_keyword' });
    await twilio.sendInbound(url, w.phone, 'START');
    expect((await w.consent()).sms).toBe(true);
  });
});

describe('replies concern every client with the number', () => {
  it('STOP withdraws SMS consent of both clients sharing a phone, once', async () => {
    const w = await world(`+3463${Math.floor(1_000_000 + Math.random() * 8_999_999)}`);
    const twin = await w.api('POST', '/api/v1/clients', {
      first_name: 'Ana (twin)',
      phone: w.phone,
      allow_duplicate: true,
      consent: { sms: true },
    });
    expect(twin.statusCode, twin.body).toBe(201);
    const channelId = await w.channel('twilio', {
      base_url: twilio.url,
      account_sid: twilio.accountSid,
      auth_token: twilio.authToken,
      from: '+15005550006',
    });
    const url = `${PUBLIC_URL}/webhooks/twilio/${channelId}/inbound`;
    expect((await twilio.sendInbound(url, w.phone, 'STOP', 'SMtwinstop')).status).toBe(200);
    expect((await twilio.sendInbound(url, w.phone, 'STOP', 'SMtwinstop')).status).toBe(200);
    const consentOf = async (id: string) =>
      (await w.api('GET', `/api/v1/clients/${id}/consent`)).json() as {
        consent: Record<string, boolean>;
        history: Array<{ channel: string; granted: boolean }>;
      };
    for (const id of [w.clientId, twin.json().id]) {
      const { consent, history } = await consentOf(id);
      expect(consent.sms).toBe(false);
      expect(history.filter((h) => h.channel === 'sms' && !h.granted)).toHaveLength(1);
      const timeline = (await w.api('GET', `/api/v1/clients/${id}/timeline`)).json().items;
      expect(timeline.filter((i: { type: string }) => i.type === 'sms_inbound')).toHaveLength(1);
    }
  });
});

describe('SendGrid and SES webhooks', () => {
  it('a signed SendGrid bounce suppresses the address and withdraws email consent; a bad signature is 401', async () => {
    const w = await world();
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const channelId = await w.channel('smtp', {
      host: '127.0.0.1',
      port: 2525,
      from_email: 'hola@clinic.example',
      sendgrid_webhook_public_key: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    });
    const email = `ana-${w.workspace.id.slice(0, 8)}@example.com`;
    const body = JSON.stringify([
      {
        email,
        event: 'bounce',
        reason: '550 5.1.1 User unknown',
        timestamp: 1700000000,
        'smtp-id': '<x@clinic.example>',
        sg_event_id: 'e1',
      },
    ]);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = ecSign('sha256', Buffer.from(timestamp + body), privateKey).toString('base64');
    const url = `${PUBLIC_URL}/webhooks/sendgrid/${channelId}`;
    const bad = await postWebhook(url, body, {
      'content-type': 'application/json',
      'x-twilio-email-event-webhook-signature': signature,
      'x-twilio-email-event-webhook-timestamp': String(Number(timestamp) + 1),
    });
    expect(bad.status).toBe(401);
    expect((await w.consent()).email).toBe(true);
    const ok = await postWebhook(url, body, {
      'content-type': 'application/json',
      'x-twilio-email-event-webhook-signature': signature,
      'x-twilio-email-event-webhook-timestamp': timestamp,
    });
    expect(ok.status, ok.text).toBe(200);
    expect((await w.consent()).email).toBe(false);
    const check = await w.api('POST', '/api/v1/suppressions/check', { email });
    expect(check.json()).toEqual({ suppressed: true });
  });

  it('a signed SES permanent bounce suppresses and withdraws; the same message altered is 401', async () => {
    const w = await world();
    const channelId = await w.channel('smtp', {
      host: '127.0.0.1',
      port: 2525,
      from_email: 'hola@clinic.example',
      ses_topic_arn: 'arn:aws:sns:eu-west-1:123456789012:ses-events',
    });
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const certUrl = 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem';
    rememberSnsCertificate(certUrl, publicKey.export({ type: 'spki', format: 'pem' }).toString());
    const email = `ana-${w.workspace.id.slice(0, 8)}@example.com`;
    const message: SnsMessage = {
      Type: 'Notification',
      MessageId: 'b1f3c1a0-0000-4000-8000-000000000001',
      TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ses-events',
      Message: JSON.stringify({
        notificationType: 'Bounce',
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: 'General',
          bouncedRecipients: [{ emailAddress: email }],
        },
        mail: { commonHeaders: { messageId: '<nope@clinic.example>' } },
      }),
      Timestamp: new Date().toISOString(),
      SignatureVersion: '2',
      Signature: '',
      SigningCertURL: certUrl,
    };
    const signer = createSign('RSA-SHA256');
    signer.update(snsStringToSign(message));
    message.Signature = signer.sign(privateKey, 'base64');
    const url = `${PUBLIC_URL}/webhooks/ses/${channelId}`;
    const headers = { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' };
    const altered = await postWebhook(
      url,
      JSON.stringify({ ...message, Message: message.Message.replace('Permanent', 'Transient') }),
      headers,
    );
    expect(altered.status).toBe(401);
    expect((await w.consent()).email).toBe(true);
    const ok = await postWebhook(url, JSON.stringify(message), headers);
    expect(ok.status, ok.text).toBe(200);
    expect((await w.consent()).email).toBe(false);
    expect((await w.api('POST', '/api/v1/suppressions/check', { email })).json()).toEqual({
      suppressed: true,
    });
  });

  it('an SES notification whose certificate is not from SNS is 401', async () => {
    const w = await world();
    const channelId = await w.channel('smtp', {
      host: '127.0.0.1',
      port: 2525,
      from_email: 'hola@clinic.example',
    });
    const response = await postWebhook(
      `${PUBLIC_URL}/webhooks/ses/${channelId}`,
      JSON.stringify({
        Type: 'Notification',
        Message: '{}',
        MessageId: '1',
        TopicArn: 'a',
        Timestamp: 'x',
        SignatureVersion: '1',
        Signature: 'AAAA',
        SigningCertURL: 'https://evil.example/c.pem',
      }),
      { 'content-type': 'text/plain; charset=UTF-8' },
    );
    expect(response.status).toBe(401);
  });
});

describe('Evolution webhooks', () => {
  it('needs the api key header; statuses and inbound messages are applied', async () => {
    const w = await world(`+3462${Math.floor(1_000_000 + Math.random() * 8_999_999)}`);
    const channelId = await w.channel('evolution', {
      base_url: evolution.url,
      api_key: evolution.apiKey,
      instance: evolution.instance,
    });
    const sent = await w.send(channelId, {
      text: 'Hola',
    });
    const id = (sent as { providerMessageId: string }).providerMessageId;
    const url = `${PUBLIC_URL}/webhooks/evolution/${channelId}`;
    expect((await evolution.sendStatus(url, id, 'READ', 'wrong-key')).status).toBe(401);
    expect((await w.message(sent.channelMessageId!)).status).toBe('sent');
    expect((await evolution.sendStatus(url, id, 'DELIVERY_ACK')).status).toBe(200);
    expect((await w.message(sent.channelMessageId!)).status).toBe('delivered');
    await evolution.sendInbound(url, w.phone, 'BAJA');
    expect((await w.consent()).whatsapp).toBe(false);
  });

  it('an unknown channel id is 404', async () => {
    const response = await postWebhook(
      `${PUBLIC_URL}/webhooks/evolution/00000000-0000-4000-8000-000000000000`,
      '{}',
      {
        'content-type': 'application/json',
        apikey: 'x',
      },
    );
    expect(response.status).toBe(404);
  });
});
