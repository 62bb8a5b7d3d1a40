import { createHmac, randomBytes } from 'node:crypto';
import { type Fault, type HttpPeer, postWebhook, startHttpPeer } from './http-peer.ts';

/**
 * A fake WhatsApp Cloud API (Graph API): sends messages, lists message templates with paging,
 * and posts webhooks signed with X-Hub-Signature-256 like Meta does.
 * https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages
 */
export interface MetaPeer extends HttpPeer {
  /** Base URL with the Graph version, as a channel's base_url. */
  baseUrl: string;
  phoneNumberId: string;
  businessAccountId: string;
  accessToken: string;
  appSecret: string;
  /** A `meta_whatsapp` channel's settings pointing at this peer (`overrides` win). */
  channelSettings(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** `at`: when the request arrived (ms since the epoch, sub-millisecond). */
  sent: Array<{ id: string; body: Record<string, unknown>; at: number }>;
  templates: Array<{
    name: string;
    language: string;
    status: string;
    category: string;
    components: unknown[];
  }>;
  sendStatus(
    webhookUrl: string,
    messageId: string,
    status: string,
    error?: { code: number; title: string },
  ): Promise<{ status: number; text: string }>;
  sendInbound(
    webhookUrl: string,
    from: string,
    text: string,
    id?: string,
  ): Promise<{ status: number; text: string }>;
  /** Posts any payload with the signature Meta would put (or `signature` to forge one). */
  post(
    webhookUrl: string,
    payload: unknown,
    signature?: string | null,
  ): Promise<{ status: number; text: string }>;
}

/** The error body the Graph API answers, for `inject`. */
export function metaError(code: number, message: string, httpStatus = 400): Fault {
  return {
    status: httpStatus,
    body: {
      error: {
        message,
        type: 'OAuthException',
        code,
        error_data: { messaging_product: 'whatsapp', details: message },
        fbtrace_id: 'A1b2C3',
      },
    },
  };
}

export async function startMetaPeer(
  options: {
    appSecret?: string;
    accessToken?: string;
    phoneNumberId?: string;
    businessAccountId?: string;
  } = {},
): Promise<MetaPeer> {
  const accessToken = options.accessToken ?? 'EAAG-test-token';
  const appSecret = options.appSecret ?? 'meta-app-secret';
  const phoneNumberId = options.phoneNumberId ?? '106540352242922';
  const businessAccountId = options.businessAccountId ?? '102290129340398';
  const sent: MetaPeer['sent'] = [];
  const templates: MetaPeer['templates'] = [
    {
      name: 'appointment_reminder',
      language: 'es',
      status: 'APPROVED',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hola {{1}}, tu cita es el {{2}}.' }],
    },
    {
      name: 'spring_promo',
      language: 'es',
      status: 'PENDING',
      category: 'MARKETING',
      components: [{ type: 'BODY', text: '¡{{1}}% de descuento!' }],
    },
    {
      name: 'welcome',
      language: 'en_US',
      status: 'APPROVED',
      category: 'MARKETING',
      components: [{ type: 'BODY', text: 'Welcome {{1}}' }],
    },
    { name: 'old_offer', language: 'en_US', status: 'REJECTED', category: 'MARKETING', components: [] },
  ];
  let base = '';
  const peer = await startHttpPeer((request) => {
    if (request.headers.authorization !== `Bearer ${accessToken}`)
      return metaError(190, 'Invalid OAuth access token.', 401) as { status: number; body: unknown };
    const messages = /^\/v\d+\.\d+\/(\w+)\/messages$/.exec(request.path);
    if (request.method === 'POST' && messages) {
      if (messages[1] !== phoneNumberId)
        return metaError(100, 'Unsupported post request. Object does not exist.') as {
          status: number;
          body: unknown;
        };
      const body = JSON.parse(request.raw.toString('utf8')) as Record<string, unknown>;
      const id = `wamid.${randomBytes(24).toString('base64url')}`;
      sent.push({ id, body, at: performance.timeOrigin + performance.now() });
      return {
        status: 200,
        body: {
          messaging_product: 'whatsapp',
          contacts: [{ input: body.to, wa_id: body.to }],
          messages: [{ id }],
        },
      };
    }
    const list = /^\/v\d+\.\d+\/(\w+)\/message_templates$/.exec(request.path);
    if (request.method === 'GET' && list && list[1] === businessAccountId) {
      // Two per page, so a client must follow paging.next.
      const after = Number(request.query.get('after') ?? 0);
      const data = templates.slice(after, after + 2);
      const next =
        after + 2 < templates.length
          ? `${base}/${businessAccountId}/message_templates?after=${after + 2}`
          : undefined;
      return {
        status: 200,
        body: {
          data,
          paging: { cursors: { before: String(after), after: String(after + 2) }, ...(next ? { next } : {}) },
        },
      };
    }
    return metaError(100, `Unknown path ${request.path}`, 404) as { status: number; body: unknown };
  });
  base = `${peer.url}/v21.0`;
  const sign = (raw: string) => `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`;
  const envelope = (value: Record<string, unknown>) => ({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: businessAccountId,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550001111', phone_number_id: phoneNumberId },
              ...value,
            },
          },
        ],
      },
    ],
  });
  const post = (url: string, payload: unknown, signature?: string | null) => {
    const raw = JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const value = signature === undefined ? sign(raw) : signature;
    if (value !== null) headers['x-hub-signature-256'] = value;
    return postWebhook(url, raw, headers);
  };
  return {
    ...peer,
    baseUrl: base,
    phoneNumberId,
    businessAccountId,
    accessToken,
    appSecret,
    channelSettings: (overrides = {}) => ({
      base_url: base,
      phone_number_id: phoneNumberId,
      business_account_id: businessAccountId,
      access_token: accessToken,
      app_secret: appSecret,
      verify_token: 'v',
      ...overrides,
    }),
    sent,
    templates,
    post,
    sendStatus: (url, messageId, status, error) =>
      post(
        url,
        envelope({
          statuses: [
            {
              id: messageId,
              status,
              timestamp: String(Math.floor(Date.now() / 1000)),
              recipient_id: '34600111222',
              ...(error
                ? {
                    errors: [
                      {
                        code: error.code,
                        title: error.title,
                        message: error.title,
                        error_data: { details: error.title },
                      },
                    ],
                  }
                : {}),
            },
          ],
        }),
      ),
    sendInbound: (url, from, text, id) =>
      post(
        url,
        envelope({
          contacts: [{ profile: { name: 'Client' }, wa_id: from.replace(/^\+/, '') }],
          messages: [
            {
              from: from.replace(/^\+/, ''),
              id: id ?? `wamid.${randomBytes(16).toString('base64url')}`,
              timestamp: String(Math.floor(Date.now() / 1000)),
              type: 'text',
              text: { body: text },
            },
          ],
        }),
      ),
  };
}
