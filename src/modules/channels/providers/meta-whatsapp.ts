import {
  type ChannelProvider,
  type OutgoingMessage,
  providerFailure,
  retryAfterMs,
  type SendResult,
  timedFetch,
  unknownOutcome,
} from '../channel-types.ts';

export const META_GRAPH_URL = 'https://graph.facebook.com/v21.0';

function baseUrl(settings: Record<string, unknown>): string {
  return String(settings.base_url || META_GRAPH_URL).replace(/\/+$/, '');
}

function textParameters(values: string[] | undefined) {
  return (values ?? []).map((text) => ({ type: 'text', text }));
}

/** Cloud API body: a template (any time) or free text (inside the 24-hour window only). */
export function metaMessageBody(message: OutgoingMessage) {
  const to = message.to.replace(/^\+/, '');
  const template = message.whatsappTemplate;
  if (template && 'name' in template) {
    const components: unknown[] = [];
    if (template.headerParameters?.length)
      components.push({ type: 'header', parameters: textParameters(template.headerParameters) });
    if (template.bodyParameters.length)
      components.push({ type: 'body', parameters: textParameters(template.bodyParameters) });
    (template.buttonParameters ?? []).forEach((text, index) => {
      components.push({
        type: 'button',
        sub_type: 'url',
        index: String(index),
        parameters: [{ type: 'text', text }],
      });
    });
    return {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to,
      type: 'template',
      template: { name: template.name, language: { code: template.language }, components },
    };
  }
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    type: 'text',
    text: { preview_url: true, body: message.text },
  };
}

interface GraphError {
  error?: { message?: string; code?: number; error_data?: { details?: string } };
}

/**
 * Cloud API codes about the account, not the message: 190 access token invalid or expired, 368
 * temporarily blocked for policy violations, 131031 business account locked, 131042 payment issue.
 */
const META_ACCOUNT_BLOCKED = new Set([190, 368, 131031, 131042]);

/** Cloud API error codes → what the sender should do. */
export function classifyMetaError(status: number, body: GraphError, retryAfter: string | null): SendResult {
  const code = body.error?.code;
  const detail = body.error?.error_data?.details;
  const message = [body.error?.message, detail].filter(Boolean).join(': ') || `HTTP ${status}`;
  if (code === 131047)
    return providerFailure('131047', `Outside the 24-hour window, a template is needed: ${message}`);
  if (code === 131050)
    return providerFailure('131050', `The client stopped marketing messages: ${message}`, {
      consentWithdrawn: true,
    });
  if (code === 130429 || code === 131056 || code === 80007 || status === 429)
    return {
      status: 'failed',
      retryable: true,
      code: String(code ?? 429),
      message,
      retryAfterMs: retryAfterMs(retryAfter),
    };
  if (status >= 500) return { status: 'unknown', message: `Meta answered ${status}: ${message}` };
  if ((code !== undefined && META_ACCOUNT_BLOCKED.has(code)) || status === 401 || status === 403)
    return providerFailure(String(code ?? status), `The WhatsApp account was refused: ${message}`, {
      accountBlocked: true,
    });
  return providerFailure(String(code ?? status), message);
}

export const metaWhatsappProvider: ChannelProvider = {
  id: 'meta_whatsapp',
  label: 'WhatsApp (Meta Cloud API)',
  kinds: ['whatsapp'],
  fields: [
    {
      name: 'base_url',
      type: 'string',
      default: META_GRAPH_URL,
      description: 'Graph API base URL with version',
    },
    { name: 'phone_number_id', type: 'string', required: true, description: 'WhatsApp phone number id' },
    {
      name: 'business_account_id',
      type: 'string',
      required: true,
      description: 'WhatsApp Business account id',
    },
    {
      name: 'access_token',
      type: 'string',
      secret: true,
      required: true,
      description: 'System user access token',
    },
    {
      name: 'app_secret',
      type: 'string',
      secret: true,
      required: true,
      description: 'App secret (webhook signatures)',
    },
    {
      name: 'verify_token',
      type: 'string',
      secret: true,
      required: true,
      description: 'Webhook verify token you choose',
    },
  ],
  // Cloud API: 80 messages/s per number by default; a new number starts at 250 business-initiated conversations a day.
  limits: {
    ratePerSecond: 80,
    dailyCap: 250,
    source: 'Meta Cloud API throughput and starting messaging limit',
  },
  async send(runtime, message) {
    const template = message.whatsappTemplate;
    if (template && 'contentSid' in template)
      return providerFailure(
        'TEMPLATE_NOT_SUPPORTED',
        'Content SIDs are Twilio templates; give a template name',
      );
    if (!template && !runtime.whatsappWindowOpen)
      return providerFailure(
        '131047',
        'More than 24 hours since the client last wrote: only an approved template can be sent',
      );
    const s = runtime.settings;
    let response: Response;
    try {
      response = await timedFetch(
        `${baseUrl(s)}/${s.phone_number_id}/messages`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${s.access_token}`, 'content-type': 'application/json' },
          body: JSON.stringify(metaMessageBody(message)),
        },
        runtime.timeoutMs,
      );
    } catch (error) {
      return unknownOutcome(error);
    }
    const body = (await response.json().catch(() => ({}))) as GraphError & { messages?: { id: string }[] };
    if (response.ok && body.messages?.[0]?.id)
      return { status: 'sent', providerMessageId: body.messages[0].id };
    return classifyMetaError(response.status, body, response.headers.get('retry-after'));
  },
};

export interface MetaTemplate {
  name: string;
  language: string;
  status: string;
  category: string | null;
  components: unknown[];
}

/** Every template of the business account, following Graph API paging. */
export async function fetchMetaTemplates(settings: Record<string, unknown>): Promise<MetaTemplate[]> {
  const found: MetaTemplate[] = [];
  let url: string | null =
    `${baseUrl(settings)}/${settings.business_account_id}/message_templates?fields=name,language,status,category,components&limit=100`;
  for (let pages = 0; url && pages < 50; pages++) {
    const response = await timedFetch(url, { headers: { authorization: `Bearer ${settings.access_token}` } });
    const body = (await response.json().catch(() => ({}))) as GraphError & {
      data?: Array<{
        name: string;
        language: string;
        status: string;
        category?: string;
        components?: unknown[];
      }>;
      paging?: { next?: string };
    };
    if (!response.ok) throw new Error(body.error?.message ?? `Meta answered ${response.status}`);
    for (const t of body.data ?? [])
      found.push({
        name: t.name,
        language: t.language,
        status: t.status,
        category: t.category ?? null,
        components: t.components ?? [],
      });
    url = body.paging?.next ?? null;
  }
  return found;
}
