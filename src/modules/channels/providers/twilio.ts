import {
  type ChannelProvider,
  providerFailure,
  retryAfterMs,
  type SendResult,
  timedFetch,
  unknownOutcome,
} from '../channel-types.ts';

export const TWILIO_API_URL = 'https://api.twilio.com';

/** Codes about the account, not the message: 20003 authentication, 10001/20005 account not active, 30002 suspended. */
const TWILIO_ACCOUNT_BLOCKED = new Set([10001, 20003, 20005, 30002]);

/** Twilio error codes (https://www.twilio.com/docs/api/errors) → what the sender should do. */
export function classifyTwilioError(
  httpStatus: number,
  body: { code?: number; message?: string },
  retryAfter: string | null,
): SendResult {
  const code = body.code;
  const message = body.message ?? `HTTP ${httpStatus}`;
  if (code === 20429 || httpStatus === 429)
    return {
      status: 'failed',
      retryable: true,
      code: String(code ?? 20429),
      message,
      retryAfterMs: retryAfterMs(retryAfter),
    };
  if (code === 21610)
    return providerFailure('21610', `The recipient replied STOP: ${message}`, { consentWithdrawn: true });
  if (code === 21211) return providerFailure('21211', `Invalid phone number: ${message}`);
  // WhatsApp through Twilio keeps Meta's 24-hour rule: outside it only a Content template goes.
  if (code === 63016)
    return providerFailure('63016', `Outside the 24-hour window, a template is needed: ${message}`);
  if (code !== undefined && code >= 30003 && code <= 30006)
    return providerFailure(String(code), `Undeliverable: ${message}`);
  if (httpStatus >= 500) return { status: 'unknown', message: `Twilio answered ${httpStatus}: ${message}` };
  if ((code !== undefined && TWILIO_ACCOUNT_BLOCKED.has(code)) || httpStatus === 401 || httpStatus === 403)
    return providerFailure(String(code ?? httpStatus), `The Twilio account was refused: ${message}`, {
      accountBlocked: true,
    });
  return providerFailure(String(code ?? httpStatus), message);
}

export const twilioProvider: ChannelProvider = {
  id: 'twilio',
  label: 'SMS and WhatsApp (Twilio)',
  kinds: ['sms', 'whatsapp'],
  fields: [
    { name: 'base_url', type: 'string', default: TWILIO_API_URL, description: 'Twilio REST API base URL' },
    { name: 'account_sid', type: 'string', required: true, description: 'Account SID (AC…)' },
    {
      name: 'auth_token',
      type: 'string',
      secret: true,
      required: true,
      description: 'Auth token (also signs webhooks)',
    },
    { name: 'from', type: 'string', description: 'Sender number in E.164 (or give a messaging service)' },
    { name: 'messaging_service_sid', type: 'string', description: 'Messaging Service SID (MG…)' },
    { name: 'whatsapp_from', type: 'string', description: 'WhatsApp sender number in E.164' },
  ],
  // A long code sends 1 segment/s (Twilio's documented default); Twilio sets no daily cap of its own.
  limits: { ratePerSecond: 1, dailyCap: null, source: 'Twilio long code: 1 message segment per second' },
  async send(runtime, message) {
    const s = runtime.settings;
    const whatsapp = message.channel === 'whatsapp';
    const form = new URLSearchParams();
    form.set('To', whatsapp ? `whatsapp:${message.to}` : message.to);
    if (whatsapp) {
      if (!s.whatsapp_from)
        return providerFailure('NO_SENDER', 'Set whatsapp_from to send WhatsApp through Twilio');
      form.set('From', `whatsapp:${s.whatsapp_from}`);
    } else if (s.messaging_service_sid) form.set('MessagingServiceSid', String(s.messaging_service_sid));
    else form.set('From', String(s.from));
    const template = message.whatsappTemplate;
    if (template && 'contentSid' in template) {
      form.set('ContentSid', template.contentSid);
      form.set('ContentVariables', JSON.stringify(template.variables));
    } else if (template) {
      return providerFailure('TEMPLATE_NOT_SUPPORTED', 'Twilio sends WhatsApp templates by Content SID');
    } else form.set('Body', message.text);
    if (runtime.publicUrl)
      form.set('StatusCallback', `${runtime.publicUrl}/webhooks/twilio/${runtime.channelId}/status`);
    const base = String(s.base_url || TWILIO_API_URL).replace(/\/+$/, '');
    let response: Response;
    try {
      response = await timedFetch(
        `${base}/2010-04-01/Accounts/${s.account_sid}/Messages.json`,
        {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${s.account_sid}:${s.auth_token}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: form.toString(),
        },
        runtime.timeoutMs,
      );
    } catch (error) {
      return unknownOutcome(error);
    }
    const body = (await response.json().catch(() => ({}))) as {
      sid?: string;
      code?: number;
      message?: string;
    };
    if (response.ok && body.sid) return { status: 'sent', providerMessageId: body.sid };
    return classifyTwilioError(response.status, body, response.headers.get('retry-after'));
  },
};
