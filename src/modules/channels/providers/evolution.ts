import {
  type ChannelProvider,
  providerFailure,
  retryAfterMs,
  timedFetch,
  unknownOutcome,
} from '../channel-types.ts';

/** Self-hosted Evolution API (WhatsApp Web): free text to any number, no Meta templates. */
export const evolutionProvider: ChannelProvider = {
  id: 'evolution',
  label: 'WhatsApp (Evolution API)',
  kinds: ['whatsapp'],
  fields: [
    { name: 'base_url', type: 'string', required: true, description: 'Your Evolution API server URL' },
    {
      name: 'api_key',
      type: 'string',
      secret: true,
      required: true,
      description: 'Evolution API key (apikey header)',
    },
    { name: 'instance', type: 'string', required: true, description: 'Instance name' },
  ],
  // WhatsApp Web accounts get banned when they burst: one message a second, 1,000 a day keeps a number healthy.
  limits: { ratePerSecond: 1, dailyCap: 1000, source: 'conservative pace for a WhatsApp Web number' },
  async send(runtime, message) {
    const s = runtime.settings;
    if (message.whatsappTemplate && !message.text)
      return providerFailure('TEMPLATE_NOT_SUPPORTED', 'Evolution sends free text only');
    const base = String(s.base_url).replace(/\/+$/, '');
    let response: Response;
    try {
      response = await timedFetch(
        `${base}/message/sendText/${encodeURIComponent(String(s.instance))}`,
        {
          method: 'POST',
          headers: { apikey: String(s.api_key), 'content-type': 'application/json' },
          body: JSON.stringify({ number: message.to.replace(/^\+/, ''), text: message.text }),
        },
        runtime.timeoutMs,
      );
    } catch (error) {
      return unknownOutcome(error);
    }
    const body = (await response.json().catch(() => ({}))) as {
      key?: { id?: string };
      response?: { message?: unknown };
      message?: string;
    };
    if (response.ok && body.key?.id) return { status: 'sent', providerMessageId: body.key.id };
    const message_ = JSON.stringify(body.response?.message ?? body.message ?? `HTTP ${response.status}`);
    if (response.status === 429)
      return {
        status: 'failed',
        retryable: true,
        code: '429',
        message: message_,
        retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
      };
    if (response.status >= 500)
      return { status: 'unknown', message: `Evolution answered ${response.status}: ${message_}` };
    if (response.status === 401 || response.status === 403)
      return providerFailure(String(response.status), `The Evolution instance refused the key: ${message_}`, {
        accountBlocked: true,
      });
    return providerFailure(String(response.status), message_);
  },
};
