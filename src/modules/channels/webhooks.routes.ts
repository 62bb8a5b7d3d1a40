import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import type { Database } from '../../platform/db/db.ts';
import { UUID } from '../../platform/db/ids.ts';
import { expectedOrigin } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { sendError } from '../../platform/http/app.ts';
import type { SuppressionList } from '../consent/suppressions.service.ts';
import { type ChannelRow, findChannelForWebhook, findChannelsByProvider } from './channels.repo.ts';
import { type ChannelService, sendgridPublicKey } from './channels.service.ts';
import {
  constantTimeEqual,
  fetchSnsCertificate,
  type SnsMessage,
  verifyMetaSignature,
  verifySendgridSignature,
  verifySnsMessage,
  verifyTwilioSignature,
} from './webhook-signatures.ts';
import {
  applyProviderStatus,
  handleEmailFeedback,
  handleInbound,
  type ProviderStatus,
} from './webhooks.service.ts';

export interface WebhookDeps {
  db: Database;
  config: Config;
  channels: ChannelService;
  suppressions: SuppressionList;
  /** Downloads an SNS signing certificate (tests pass their own). */
  fetchSnsCertificate?: (url: string) => Promise<string>;
}

function unauthorized(reply: FastifyReply, what: string) {
  return sendError(reply, 401, 'UNAUTHENTICATED', `Missing or wrong ${what} signature`);
}

function formParams(raw: Buffer): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(raw.toString('utf8'))) {
    const existing = params[key];
    params[key] =
      existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return params;
}

function first(value: string | string[] | undefined): string {
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

function parseJson<T>(raw: Buffer): T | null {
  try {
    return JSON.parse(raw.toString('utf8')) as T;
  } catch {
    return null;
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The URL Twilio signed: PUBLIC_URL + path when set (behind a proxy), else what the request says. */
function signedUrl(config: Config, request: FastifyRequest): string {
  return `${expectedOrigin(config, request)}${request.url}`;
}

function toPhone(raw: string): string {
  const value = raw
    .replace(/^whatsapp:/, '')
    .replace(/@.*$/, '')
    .trim();
  return value.startsWith('+') ? value : `+${value.replace(/\D/g, '')}`;
}

const TWILIO_STATUS: Record<string, ProviderStatus> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  undelivered: 'failed',
  failed: 'failed',
};

const META_STATUS: Record<string, ProviderStatus> = {
  sent: 'sent',
  delivered: 'delivered',
  read: 'read',
  failed: 'failed',
};

const EVOLUTION_STATUS: Record<string, ProviderStatus> = {
  SERVER_ACK: 'sent',
  DELIVERY_ACK: 'delivered',
  READ: 'read',
  PLAYED: 'read',
  ERROR: 'failed',
};

/**
 * Provider webhooks, outside /api/v1 (no session or key: each proves itself with the provider's
 * signature over the raw body). A wrong or missing signature answers 401 before anything is read
 * into the database.
 */
export function registerWebhookRoutes(app: HttpApp, deps: WebhookDeps) {
  const { db, config, channels, suppressions } = deps;
  const fetchCertificate = deps.fetchSnsCertificate ?? fetchSnsCertificate;

  async function channelFromUrl(request: FastifyRequest, reply: FastifyReply, provider: string[]) {
    const id = (request.params as { channel_id: string }).channel_id;
    const channel = UUID.test(id) ? await findChannelForWebhook(db, id) : null;
    if (!channel || !provider.includes(channel.provider)) {
      sendError(reply, 404, 'NOT_FOUND', 'Channel not found');
      return null;
    }
    return channel;
  }

  const settingsOf = (channel: ChannelRow) => channels.runtimeSettings(channel);

  /** The Twilio channel of the URL and the form Twilio posted, once its signature is proven (else answered). */
  async function signedTwilioForm(request: FastifyRequest, reply: FastifyReply) {
    const channel = await channelFromUrl(request, reply, ['twilio']);
    if (!channel) return null;
    const params = formParams((request.body as Buffer | undefined) ?? Buffer.alloc(0));
    const token = String(settingsOf(channel).auth_token ?? '');
    const signature = header(request, 'x-twilio-signature');
    if (!verifyTwilioSignature(token, signedUrl(config, request), params, signature)) {
      unauthorized(reply, 'X-Twilio-Signature');
      return null;
    }
    return { channel, params };
  }

  app.register(async (scope) => {
    // Signatures cover the exact bytes received, so every body stays a Buffer here.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    scope.get('/webhooks/meta', { schema: { hide: true } }, async (request, reply) => {
      const query = request.query as Record<string, string | undefined>;
      const token = query['hub.verify_token'];
      if (query['hub.mode'] === 'subscribe' && token) {
        for (const channel of await findChannelsByProvider(db, 'meta_whatsapp')) {
          const expected = String(settingsOf(channel).verify_token ?? '');
          if (expected && constantTimeEqual(expected, token))
            return reply.type('text/plain').send(query['hub.challenge'] ?? '');
        }
      }
      return sendError(reply, 403, 'FORBIDDEN', 'The verify token does not match any WhatsApp channel');
    });

    scope.post('/webhooks/meta', { schema: { hide: true } }, async (request, reply) => {
      const raw = (request.body as Buffer | undefined) ?? Buffer.alloc(0);
      const signature = header(request, 'x-hub-signature-256');
      // One Meta app may serve several numbers: the channels whose app secret signed this body.
      const signedBy = (await findChannelsByProvider(db, 'meta_whatsapp')).filter((channel) =>
        verifyMetaSignature(String(settingsOf(channel).app_secret ?? ''), raw, signature),
      );
      if (!signedBy.length) return unauthorized(reply, 'X-Hub-Signature-256');
      const payload = parseJson<MetaPayload>(raw);
      if (!payload) return sendError(reply, 400, 'BAD_REQUEST', 'The body is not JSON');
      // The same number may be configured in more than one workspace: each gets what is its own.
      const byNumber = new Map<string, ChannelRow[]>();
      for (const c of signedBy) {
        const key = String(c.settings.phone_number_id);
        byNumber.set(key, [...(byNumber.get(key) ?? []), c]);
      }
      const outcomes: string[] = [];
      for (const entry of payload.entry ?? [])
        for (const change of entry.changes ?? []) {
          const value = change.value;
          if (!value) continue;
          for (const channel of byNumber.get(String(value.metadata?.phone_number_id)) ?? []) {
            for (const status of value.statuses ?? []) {
              const mapped = META_STATUS[status.status];
              if (!mapped) continue;
              const error = status.errors?.[0];
              outcomes.push(
                await applyProviderStatus(db, channel, {
                  providerMessageId: status.id,
                  status: mapped,
                  at: new Date(Number(status.timestamp) * 1000 || Date.now()),
                  code: error?.code !== undefined ? String(error.code) : null,
                  message: error ? (error.error_data?.details ?? error.title ?? error.message ?? null) : null,
                  withdrawConsent: error?.code === 131050 ? 'whatsapp' : null,
                  label: 'Meta',
                }),
              );
            }
            for (const message of value.messages ?? []) {
              const text =
                message.text?.body ?? message.button?.text ?? message.interactive?.button_reply?.title ?? '';
              await handleInbound(db, channel, {
                kind: 'whatsapp',
                from: toPhone(message.from),
                text,
                at: new Date(Number(message.timestamp) * 1000 || Date.now()),
                providerMessageId: message.id,
                label: 'Meta',
              });
              outcomes.push('inbound');
            }
          }
        }
      return { received: outcomes.length };
    });

    scope.post('/webhooks/twilio/:channel_id/status', { schema: { hide: true } }, async (request, reply) => {
      const signed = await signedTwilioForm(request, reply);
      if (!signed) return reply;
      const { channel, params } = signed;
      const status = TWILIO_STATUS[first(params.MessageStatus)];
      const sid = first(params.MessageSid) || first(params.SmsSid);
      if (!status || !sid) return { outcome: 'ignored' };
      const code = first(params.ErrorCode) || null;
      const outcome = await applyProviderStatus(db, channel, {
        providerMessageId: sid,
        status,
        at: new Date(),
        code,
        message: code ? `Twilio error ${code}` : null,
        withdrawConsent:
          code === '21610' ? (first(params.From).startsWith('whatsapp:') ? 'whatsapp' : 'sms') : null,
        label: 'Twilio',
      });
      return { outcome };
    });

    scope.post('/webhooks/twilio/:channel_id/inbound', { schema: { hide: true } }, async (request, reply) => {
      const signed = await signedTwilioForm(request, reply);
      if (!signed) return reply;
      const { channel, params } = signed;
      const from = first(params.From);
      const sid = first(params.MessageSid) || first(params.SmsSid);
      if (from && sid)
        await handleInbound(db, channel, {
          kind: from.startsWith('whatsapp:') ? 'whatsapp' : 'sms',
          from: toPhone(from),
          text: first(params.Body),
          at: new Date(),
          providerMessageId: sid,
          label: 'Twilio',
        });
      // An empty TwiML answer: no automatic reply from us (Twilio's own opt-out reply still applies).
      return reply.type('text/xml').send('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    });

    scope.post('/webhooks/sendgrid/:channel_id', { schema: { hide: true } }, async (request, reply) => {
      const channel = await channelFromUrl(request, reply, ['smtp']);
      if (!channel) return reply;
      const raw = (request.body as Buffer | undefined) ?? Buffer.alloc(0);
      const keyText = channel.settings.sendgrid_webhook_public_key;
      const valid =
        typeof keyText === 'string' &&
        verifySendgridSignature(
          sendgridPublicKey(keyText),
          raw,
          header(request, 'x-twilio-email-event-webhook-signature'),
          header(request, 'x-twilio-email-event-webhook-timestamp'),
        );
      if (!valid) return unauthorized(reply, 'SendGrid event webhook');
      const events = parseJson<SendgridEvent[]>(raw);
      if (!Array.isArray(events)) return sendError(reply, 400, 'BAD_REQUEST', 'The body is not a JSON array');
      let handled = 0;
      for (const event of events) {
        const messageId = event['smtp-id'] ?? null;
        const at = new Date((event.timestamp ?? Date.now() / 1000) * 1000);
        const status: ProviderStatus | null =
          event.event === 'delivered'
            ? 'delivered'
            : event.event === 'open' || event.event === 'click'
              ? 'read'
              : event.event === 'bounce' || event.event === 'dropped'
                ? 'failed'
                : null;
        if (status && messageId)
          await applyProviderStatus(db, channel, {
            providerMessageId: messageId,
            status,
            at,
            code: status === 'failed' ? event.event : null,
            message: status === 'failed' ? (event.reason ?? null) : null,
            label: 'SendGrid',
          });
        const reason =
          event.event === 'bounce' || event.event === 'dropped'
            ? 'bounce'
            : event.event === 'spamreport'
              ? 'complaint'
              : event.event === 'unsubscribe' || event.event === 'group_unsubscribe'
                ? 'unsubscribe'
                : null;
        if (reason && event.email)
          await handleEmailFeedback(db, suppressions, channel, {
            email: event.email,
            reason,
            detail: `${event.event} ${event.reason ?? ''}`.trim(),
            label: 'SendGrid',
          });
        handled++;
      }
      return { received: handled };
    });

    scope.post('/webhooks/ses/:channel_id', { schema: { hide: true } }, async (request, reply) => {
      const channel = await channelFromUrl(request, reply, ['smtp']);
      if (!channel) return reply;
      const message = parseJson<SnsMessage>((request.body as Buffer | undefined) ?? Buffer.alloc(0));
      if (!message || !(await verifySnsMessage(message, fetchCertificate))) return unauthorized(reply, 'SNS');
      const topic = channel.settings.ses_topic_arn;
      if (typeof topic === 'string' && topic && topic !== message.TopicArn)
        return sendError(reply, 403, 'FORBIDDEN', 'The SNS topic is not the one of this channel');
      if (message.Type === 'SubscriptionConfirmation' && message.SubscribeURL) {
        const url = new URL(message.SubscribeURL);
        if (url.protocol === 'https:' && /\.amazonaws\.com(\.cn)?$/.test(url.hostname))
          await fetch(url, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
        return { outcome: 'subscription_confirmed' };
      }
      if (message.Type !== 'Notification') return { outcome: 'ignored' };
      const notification = parseJson<SesNotification>(Buffer.from(message.Message, 'utf8'));
      if (!notification) return { outcome: 'ignored' };
      const type = notification.notificationType ?? notification.eventType;
      const messageId = notification.mail?.commonHeaders?.messageId;
      const at = new Date(message.Timestamp);
      if (type === 'Delivery' && messageId) {
        await applyProviderStatus(db, channel, {
          providerMessageId: messageId,
          status: 'delivered',
          at,
          label: 'Amazon SES',
        });
        return { outcome: 'delivered' };
      }
      const permanentBounce = type === 'Bounce' && notification.bounce?.bounceType === 'Permanent';
      const recipients = permanentBounce
        ? (notification.bounce?.bouncedRecipients ?? [])
        : type === 'Complaint'
          ? (notification.complaint?.complainedRecipients ?? [])
          : [];
      if (permanentBounce && messageId)
        await applyProviderStatus(db, channel, {
          providerMessageId: messageId,
          status: 'failed',
          at,
          code: 'bounce',
          message: notification.bounce?.bounceSubType ?? null,
          label: 'Amazon SES',
        });
      for (const recipient of recipients)
        await handleEmailFeedback(db, suppressions, channel, {
          email: recipient.emailAddress,
          reason: permanentBounce ? 'bounce' : 'complaint',
          detail: permanentBounce
            ? (notification.bounce?.bounceSubType ?? '')
            : (notification.complaint?.complaintFeedbackType ?? ''),
          label: 'Amazon SES',
        });
      return { outcome: recipients.length ? 'suppressed' : 'ignored' };
    });

    scope.post('/webhooks/evolution/:channel_id', { schema: { hide: true } }, async (request, reply) => {
      const channel = await channelFromUrl(request, reply, ['evolution']);
      if (!channel) return reply;
      const expected = String(settingsOf(channel).api_key ?? '');
      const given = header(request, 'apikey');
      if (!expected || !given || !constantTimeEqual(expected, given)) return unauthorized(reply, 'apikey');
      const payload = parseJson<EvolutionPayload>((request.body as Buffer | undefined) ?? Buffer.alloc(0));
      if (!payload) return sendError(reply, 400, 'BAD_REQUEST', 'The body is not JSON');
      const event = String(payload.event ?? '')
        .toLowerCase()
        .replace(/_/g, '.');
      const items = Array.isArray(payload.data) ? payload.data : payload.data ? [payload.data] : [];
      for (const data of items) {
        if (event === 'messages.update') {
          const status = EVOLUTION_STATUS[String(data.status ?? '')];
          const id = data.keyId ?? data.key?.id;
          if (status && id)
            await applyProviderStatus(db, channel, {
              providerMessageId: id,
              status,
              at: new Date(),
              label: 'Evolution',
            });
        } else if (
          event === 'messages.upsert' &&
          data.key &&
          !data.key.fromMe &&
          data.key.remoteJid?.endsWith('@s.whatsapp.net')
        ) {
          const text = data.message?.conversation ?? data.message?.extendedTextMessage?.text ?? '';
          await handleInbound(db, channel, {
            kind: 'whatsapp',
            from: toPhone(data.key.remoteJid),
            text,
            at: new Date(Number(data.messageTimestamp) * 1000 || Date.now()),
            providerMessageId: data.key.id ?? '',
            label: 'Evolution',
          });
        }
      }
      return { received: items.length };
    });
  });
}

interface MetaPayload {
  entry?: Array<{
    changes?: Array<{
      value?: {
        metadata?: { phone_number_id?: string };
        statuses?: Array<{
          id: string;
          status: string;
          timestamp?: string;
          errors?: Array<{
            code?: number;
            title?: string;
            message?: string;
            error_data?: { details?: string };
          }>;
        }>;
        messages?: Array<{
          id: string;
          from: string;
          timestamp?: string;
          text?: { body?: string };
          button?: { text?: string };
          interactive?: { button_reply?: { title?: string } };
        }>;
      };
    }>;
  }>;
}

interface SendgridEvent {
  email?: string;
  event?: string;
  timestamp?: number;
  reason?: string;
  'smtp-id'?: string;
  sg_event_id?: string;
}

interface SesNotification {
  notificationType?: string;
  eventType?: string;
  mail?: { commonHeaders?: { messageId?: string } };
  bounce?: {
    bounceType?: string;
    bounceSubType?: string;
    bouncedRecipients?: Array<{ emailAddress: string }>;
  };
  complaint?: { complaintFeedbackType?: string; complainedRecipients?: Array<{ emailAddress: string }> };
}

interface EvolutionPayload {
  event?: string;
  data?: EvolutionData | EvolutionData[];
}

interface EvolutionData {
  keyId?: string;
  status?: string;
  key?: { id?: string; remoteJid?: string; fromMe?: boolean };
  message?: { conversation?: string; extendedTextMessage?: { text?: string } };
  messageTimestamp?: number | string;
}
