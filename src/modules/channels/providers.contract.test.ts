import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EvolutionPeer, evolutionError, startEvolutionPeer } from '../../../test/peers/evolution.ts';
import { type MetaPeer, metaError, startMetaPeer } from '../../../test/peers/meta-graph.ts';
import { type SmtpSink, startSmtpSink } from '../../../test/peers/smtp-sink.ts';
import { startTwilioPeer, type TwilioPeer, twilioError } from '../../../test/peers/twilio.ts';
import type {
  ChannelKind,
  ChannelProvider,
  OutgoingMessage,
  ProviderRuntime,
  SendResult,
} from './channel-types.ts';
import { PROVIDERS } from './providers/index.ts';

/**
 * One contract, every provider: each is driven against its local peer (a real SMTP server, fake
 * Graph/Twilio/Evolution HTTP APIs) and must classify outcomes the same way: sent with the
 * provider's message id; rate limits retryable with a delay; permanent errors not retryable;
 * a timeout or 5xx after the request was written "unknown", never "failed".
 */
interface Harness {
  provider: ChannelProvider;
  kind: ChannelKind;
  to: string;
  runtime: (overrides?: Record<string, unknown>) => ProviderRuntime;
  received: () => number;
  rateLimited: () => void;
  serverError: () => void;
  hang: () => void;
  permanent: () => void;
  badCredentials: Record<string, unknown>;
}

const WORKSPACE = '00000000-0000-4000-8000-000000000001';
let smtp: SmtpSink;
let meta: MetaPeer;
let twilio: TwilioPeer;
let evolution: EvolutionPeer;

beforeAll(async () => {
  [smtp, meta, twilio, evolution] = await Promise.all([
    startSmtpSink(),
    startMetaPeer(),
    startTwilioPeer(),
    startEvolutionPeer(),
  ]);
});
afterAll(async () => {
  PROVIDERS.smtp.release?.('contract-smtp');
  await Promise.all([smtp.close(), meta.close(), twilio.close(), evolution.close()]);
});

function runtimeOf(
  channelId: string,
  settings: () => Record<string, unknown>,
  extra: Partial<ProviderRuntime> = {},
) {
  return (overrides: Record<string, unknown> = {}): ProviderRuntime => ({
    channelId,
    settings: { ...settings(), ...overrides },
    publicUrl: 'https://clientela.example',
    timeoutMs: 500,
    ...extra,
  });
}

const harnesses: Record<string, () => Harness> = {
  smtp: () => ({
    provider: PROVIDERS.smtp,
    kind: 'email',
    to: 'ana@example.com',
    runtime: runtimeOf('contract-smtp', () => ({
      host: smtp.host,
      port: smtp.port,
      secure: false,
      from_email: 'hola@clinic.example',
      from_name: 'Clinic',
    })),
    received: () => smtp.messages.length,
    rateLimited: () => smtp.failNext(451, '4.7.1 Rate limited, try again later'),
    serverError: () => smtp.failNext(554, 'Transaction failed'),
    hang: () => smtp.hangNext(),
    permanent: () => smtp.failNext(550, 'No such user here'),
    badCredentials: { port: 1 },
  }),
  meta_whatsapp: () => ({
    provider: PROVIDERS.meta_whatsapp,
    kind: 'whatsapp',
    to: '+34600111222',
    runtime: runtimeOf(
      'contract-meta',
      () => ({
        base_url: meta.baseUrl,
        phone_number_id: meta.phoneNumberId,
        business_account_id: meta.businessAccountId,
        access_token: meta.accessToken,
      }),
      { whatsappWindowOpen: true },
    ),
    received: () => meta.sent.length,
    rateLimited: () => meta.inject(metaError(130429, 'Rate limit hit', 400)),
    serverError: () =>
      meta.inject({ status: 500, body: { error: { message: 'Service temporarily unavailable', code: 2 } } }),
    hang: () => meta.inject({ hang: true }),
    permanent: () => meta.inject(metaError(131026, 'Message undeliverable')),
    badCredentials: { access_token: 'wrong' },
  }),
  twilio: () => ({
    provider: PROVIDERS.twilio,
    kind: 'sms',
    to: '+34600111222',
    runtime: runtimeOf('contract-twilio', () => ({
      base_url: twilio.url,
      account_sid: twilio.accountSid,
      auth_token: twilio.authToken,
      from: '+15005550006',
    })),
    received: () => twilio.sent.length,
    rateLimited: () => twilio.inject(twilioError(20429, 'Too Many Requests', 429)),
    serverError: () =>
      twilio.inject({ status: 503, body: { code: 20500, message: 'Internal Server Error', status: 503 } }),
    hang: () => twilio.inject({ hang: true }),
    permanent: () => twilio.inject(twilioError(21211, "The 'To' number is not a valid phone number.")),
    badCredentials: { auth_token: 'wrong' },
  }),
  evolution: () => ({
    provider: PROVIDERS.evolution,
    kind: 'whatsapp',
    to: '+34600111222',
    runtime: runtimeOf('contract-evolution', () => ({
      base_url: evolution.url,
      api_key: evolution.apiKey,
      instance: evolution.instance,
    })),
    received: () => evolution.sent.length,
    rateLimited: () =>
      evolution.inject({
        status: 429,
        body: { status: 429, error: 'Too Many Requests' },
        headers: { 'retry-after': '7' },
      }),
    serverError: () => evolution.inject(evolutionError(500, 'Connection Closed')),
    hang: () => evolution.inject({ hang: true }),
    permanent: () => evolution.inject(evolutionError(400, 'exists: false')),
    badCredentials: { api_key: 'wrong' },
  }),
};

function messageFor(h: Harness, overrides: Partial<OutgoingMessage> = {}): OutgoingMessage {
  return {
    channel: h.kind,
    to: h.to,
    subject: h.kind === 'email' ? 'Your appointment' : undefined,
    html: h.kind === 'email' ? '<p>Hola <b>Ana</b></p>' : undefined,
    text: 'Hola Ana, te esperamos el lunes.',
    marketing: false,
    workspaceId: WORKSPACE,
    ...overrides,
  };
}

function expectFailed(result: SendResult) {
  expect(result.status, JSON.stringify(result)).toBe('failed');
  return result as Extract<SendResult, { status: 'failed' }>;
}

for (const [name, make] of Object.entries(harnesses)) {
  describe(`channel provider contract: ${name}`, () => {
    it('sends, and the provider received it, with its message id kept', async () => {
      const h = make();
      const before = h.received();
      const result = await h.provider.send(h.runtime(), messageFor(h));
      expect(result.status, JSON.stringify(result)).toBe('sent');
      expect((result as { providerMessageId: string }).providerMessageId).toMatch(/\S{6,}/);
      expect(h.received()).toBe(before + 1);
    });

    it('classifies a rate limit as retryable later', async () => {
      const h = make();
      h.rateLimited();
      const failed = expectFailed(await h.provider.send(h.runtime(), messageFor(h)));
      expect(failed.retryable).toBe(true);
      expect(failed.retryAfterMs).toBeGreaterThan(0);
    });

    it('classifies a permanent refusal as failed, not retried', async () => {
      const h = make();
      h.permanent();
      const failed = expectFailed(await h.provider.send(h.runtime(), messageFor(h)));
      expect(failed.retryable).toBe(false);
      expect(failed.message.length).toBeGreaterThan(3);
    });

    it('refuses wrong credentials without retrying', async () => {
      const h = make();
      const result = await h.provider.send(h.runtime(h.badCredentials), messageFor(h));
      expect(result.status).not.toBe('sent');
      if (result.status === 'failed' && name !== 'smtp') expect(result.retryable).toBe(false);
    });

    it('calls a 5xx or a timeout after the request "unknown", never "failed"', async () => {
      const h = make();
      h.serverError();
      // SMTP answers before DATA: a 5xx reply there is a refusal, so it is a permanent failure.
      expect((await h.provider.send(h.runtime(), messageFor(h))).status).toBe(
        name === 'smtp' ? 'failed' : 'unknown',
      );
      h.hang();
      const started = Date.now();
      const timedOut = await h.provider.send(h.runtime(), messageFor(h));
      expect(timedOut.status).toBe('unknown');
      expect(Date.now() - started).toBeLessThan(3000);
    });
  });
}

describe('smtp', () => {
  it('a login the relay refuses blocks the account (the campaign pauses), not only this message', async () => {
    const relay = await startSmtpSink({ requireAuth: { user: 'desk', pass: 'right' } });
    try {
      const result = await PROVIDERS.smtp.send(
        {
          channelId: 'contract-smtp-auth',
          settings: {
            host: relay.host,
            port: relay.port,
            user: 'desk',
            password: 'wrong',
            from_email: 'hola@clinic.example',
          },
          publicUrl: 'https://clientela.example',
          timeoutMs: 5000,
        },
        messageFor(harnesses.smtp!()),
      );
      expect(result).toMatchObject({
        status: 'failed',
        code: 'SMTP_AUTH',
        retryable: false,
        accountBlocked: true,
      });
    } finally {
      PROVIDERS.smtp.release?.('contract-smtp-auth');
      await relay.close();
    }
  });

  it('sends HTML with a text alternative and the one-click unsubscribe headers on marketing email', async () => {
    const h = harnesses.smtp!();
    const before = smtp.messages.length;
    const result = await h.provider.send(
      h.runtime({ reply_to: 'desk@clinic.example' }),
      messageFor(h, {
        marketing: true,
        unsubscribeUrl: 'https://clinic.example/u/tok123',
        campaignId: '11111111-1111-4111-8111-111111111111',
      }),
    );
    expect(result.status).toBe('sent');
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    expect(mail!.headers['list-unsubscribe']).toBe('<https://clinic.example/u/tok123>');
    expect(mail!.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    expect(mail!.headers['list-id']).toBe(
      `<11111111-1111-4111-8111-111111111111.${WORKSPACE}.clinic.example>`,
    );
    expect(mail!.headers['reply-to']).toBe('desk@clinic.example');
    expect(mail!.headers['content-type']).toMatch(/multipart\/alternative/);
    expect(mail!.raw).toContain('text/plain');
    expect(mail!.raw).toContain('text/html');
    expect(mail!.headers['message-id']).toBe((result as { providerMessageId: string }).providerMessageId);
  });

  it('leaves list headers off transactional email and signs with DKIM when a key is set', async () => {
    const h = harnesses.smtp!();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const before = smtp.messages.length;
    const result = await h.provider.send(
      h.runtime({
        dkim_domain: 'clinic.example',
        dkim_selector: 's1',
        dkim_private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      }),
      messageFor(h),
    );
    expect(result.status).toBe('sent');
    const [mail] = (await smtp.waitFor(before + 1)).slice(before);
    expect(mail!.headers['list-unsubscribe']).toBeUndefined();
    expect(mail!.headers['dkim-signature']).toMatch(/d=clinic\.example; .*s=s1/);
  });

  it('a temporary SMTP reply (4xx) is retryable, a permanent one (5xx) is not', async () => {
    const h = harnesses.smtp!();
    smtp.failNext(450, 'Mailbox busy');
    expect(expectFailed(await h.provider.send(h.runtime(), messageFor(h))).code).toBe('SMTP_450');
    smtp.failNext(550, 'No such user');
    const failed = expectFailed(await h.provider.send(h.runtime(), messageFor(h)));
    expect([failed.code, failed.retryable]).toEqual(['SMTP_550', false]);
  });
});

describe('meta_whatsapp', () => {
  it('maps a template with header, body and button parameters', async () => {
    const h = harnesses.meta_whatsapp!();
    const result = await h.provider.send(
      h.runtime(),
      messageFor(h, {
        whatsappTemplate: {
          name: 'appointment_reminder',
          language: 'es',
          bodyParameters: ['Ana', 'lunes'],
          headerParameters: ['Clínica'],
          buttonParameters: ['abc123'],
        },
      }),
    );
    expect(result.status).toBe('sent');
    expect(meta.sent.at(-1)!.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '34600111222',
      type: 'template',
      template: {
        name: 'appointment_reminder',
        language: { code: 'es' },
        components: [
          { type: 'header', parameters: [{ type: 'text', text: 'Clínica' }] },
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Ana' },
              { type: 'text', text: 'lunes' },
            ],
          },
          { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'abc123' }] },
        ],
      },
    });
  });

  it('refuses free text outside the 24-hour window without calling Meta', async () => {
    const h = harnesses.meta_whatsapp!();
    const before = meta.requests.length;
    const failed = expectFailed(
      await h.provider.send({ ...h.runtime(), whatsappWindowOpen: false }, messageFor(h)),
    );
    expect([failed.code, failed.retryable]).toEqual(['131047', false]);
    expect(meta.requests.length).toBe(before);
  });

  it('classifies 131047 (needs a template), 131050 (stopped marketing) and 131056 (pair rate)', async () => {
    const h = harnesses.meta_whatsapp!();
    meta.inject(metaError(131047, 'Re-engagement message'));
    expect(expectFailed(await h.provider.send(h.runtime(), messageFor(h)))).toMatchObject({
      code: '131047',
      retryable: false,
    });
    meta.inject(metaError(131050, 'User has stopped marketing messages'));
    expect(expectFailed(await h.provider.send(h.runtime(), messageFor(h)))).toMatchObject({
      code: '131050',
      retryable: false,
      consentWithdrawn: true,
    });
    meta.inject(metaError(131056, 'Pair rate limit hit'));
    expect(expectFailed(await h.provider.send(h.runtime(), messageFor(h)))).toMatchObject({
      code: '131056',
      retryable: true,
    });
  });
});

describe('twilio', () => {
  it('posts form-encoded with basic auth and the StatusCallback of the channel', async () => {
    const h = harnesses.twilio!();
    const result = await h.provider.send(h.runtime(), messageFor(h));
    expect(result.status).toBe('sent');
    expect(twilio.sent.at(-1)!.params).toMatchObject({
      To: '+34600111222',
      From: '+15005550006',
      Body: 'Hola Ana, te esperamos el lunes.',
      StatusCallback: 'https://clientela.example/webhooks/twilio/contract-twilio/status',
    });
  });

  it('sends WhatsApp templates by Content SID from the whatsapp_from number', async () => {
    const h = harnesses.twilio!();
    const result = await h.provider.send(
      h.runtime({ whatsapp_from: '+14155238886' }),
      messageFor(h, {
        channel: 'whatsapp',
        whatsappTemplate: { contentSid: 'HX0123456789abcdef', variables: { '1': 'Ana' } },
      }),
    );
    expect(result.status).toBe('sent');
    expect(twilio.sent.at(-1)!.params).toMatchObject({
      To: 'whatsapp:+34600111222',
      From: 'whatsapp:+14155238886',
      ContentSid: 'HX0123456789abcdef',
      ContentVariables: '{"1":"Ana"}',
    });
  });

  it('classifies 21610 (opted out: consent withdrawn), 21211, 63016 (WhatsApp window) and 30003-30006', async () => {
    const h = harnesses.twilio!();
    twilio.inject(twilioError(21610, 'Attempt to send to unsubscribed recipient'));
    expect(expectFailed(await h.provider.send(h.runtime(), messageFor(h)))).toMatchObject({
      code: '21610',
      retryable: false,
      consentWithdrawn: true,
    });
    twilio.inject(twilioError(21211, 'Invalid To number'));
    expect(expectFailed(await h.provider.send(h.runtime(), messageFor(h)))).toMatchObject({
      code: '21211',
      retryable: false,
    });
    twilio.inject(
      twilioError(63016, 'Failed to send freeform message because you are outside the allowed window'),
    );
    expect(expectFailed(await h.provider.send(h.runtime(), messageFor(h)))).toMatchObject({
      code: '63016',
      retryable: false,
    });
    twilio.inject(twilioError(30005, 'Unknown destination handset'));
    expect(expectFailed(await h.provider.send(h.runtime(), messageFor(h)))).toMatchObject({
      code: '30005',
      retryable: false,
    });
  });
});

describe('outbox', () => {
  it('sends nothing anywhere and answers sent with its own id', async () => {
    const result = await PROVIDERS.outbox.send(
      { channelId: 'x', settings: {}, publicUrl: null },
      { channel: 'sms', to: '+34600111222', text: 'Hola', marketing: false, workspaceId: WORKSPACE },
    );
    expect(result).toMatchObject({ status: 'sent', providerMessageId: expect.stringMatching(/^outbox-/) });
  });
});
