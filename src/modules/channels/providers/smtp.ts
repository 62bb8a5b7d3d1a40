import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { ChannelProvider, ProviderRuntime, SendResult } from '../channel-types.ts';
import { listHeaders } from './email-headers.ts';
import { buildEmail, type MimeSender, mimeSender } from './email-mime.ts';
import { SmtpPool } from './smtp-client.ts';

type Pool = ReturnType<typeof nodemailer.createTransport<SMTPPool.SentMessageInfo>>;

/** One pooled transport per channel, rebuilt when its settings change. */
const pools = new Map<string, { key: string; transport: Pool }>();

function transportFor(runtime: ProviderRuntime): Pool {
  const s = runtime.settings;
  const timeoutMs = runtime.timeoutMs ?? 30_000;
  const key = JSON.stringify([s, timeoutMs]);
  const existing = pools.get(runtime.channelId);
  if (existing?.key === key) return existing.transport;
  existing?.transport.close();
  const options: SMTPPool.Options = {
    pool: true,
    maxConnections: 5,
    host: String(s.host),
    port: Number(s.port ?? 587),
    secure: Boolean(s.secure),
    connectionTimeout: Math.min(timeoutMs, 15_000),
    greetingTimeout: Math.min(timeoutMs, 15_000),
    socketTimeout: timeoutMs,
    ...(s.user ? { auth: { user: String(s.user), pass: String(s.password ?? '') } } : {}),
    ...(s.dkim_private_key && s.dkim_domain && s.dkim_selector
      ? {
          dkim: {
            domainName: String(s.dkim_domain),
            keySelector: String(s.dkim_selector),
            privateKey: String(s.dkim_private_key),
          },
        }
      : {}),
  };
  const transport = nodemailer.createTransport(options);
  pools.set(runtime.channelId, { key, transport });
  return transport;
}

/** One pool of our own SMTP client per channel (smtp-client.ts), rebuilt when its settings change. */
const clients = new Map<string, { key: string; pool: SmtpPool }>();

/**
 * The channel's pool of smtp-client.ts for prebuilt messages, or null when nodemailer must send:
 * DKIM signing is nodemailer's.
 */
function clientFor(runtime: ProviderRuntime): SmtpPool | null {
  const s = runtime.settings;
  if (s.dkim_private_key && s.dkim_domain && s.dkim_selector) return null;
  const timeoutMs = runtime.timeoutMs ?? 30_000;
  const key = JSON.stringify([s, timeoutMs]);
  const existing = clients.get(runtime.channelId);
  if (existing?.key === key) return existing.pool;
  existing?.pool.close();
  const pool = new SmtpPool({
    host: String(s.host),
    port: Number(s.port ?? 587),
    secure: Boolean(s.secure),
    ...(s.user ? { user: String(s.user), password: String(s.password ?? '') } : {}),
    connectionTimeoutMs: Math.min(timeoutMs, 15_000),
    socketTimeoutMs: timeoutMs,
    maxConnections: 5,
  });
  clients.set(runtime.channelId, { key, pool });
  return pool;
}

/** Envelope addresses our client can write as they are (non-ASCII ones need SMTPUTF8: nodemailer). */
const ASCII_ADDRESS = /^[\x21-\x7e]+$/;

/** The encoded From and Reply-To of one channel, built once per settings. */
const senders = new Map<string, { key: string; sender: MimeSender }>();

function senderFor(runtime: ProviderRuntime): MimeSender {
  const s = runtime.settings;
  const key = JSON.stringify([s.from_email, s.from_name, s.reply_to]);
  const existing = senders.get(runtime.channelId);
  if (existing?.key === key) return existing.sender;
  const sender = mimeSender(
    { name: s.from_name ? String(s.from_name) : undefined, address: String(s.from_email) },
    s.reply_to ? String(s.reply_to) : undefined,
  );
  senders.set(runtime.channelId, { key, sender });
  return sender;
}

/** nodemailer errors: SMTP reply codes (4xx temporary, 5xx permanent) or socket errors. */
function classify(error: unknown): SendResult {
  const e = error as { responseCode?: number; code?: string; command?: string; message?: string };
  const message = e.message ?? String(error);
  // Before the reply code: a refused login carries one (535) but blocks every message of the account.
  if (e.code === 'EAUTH')
    return { status: 'failed', retryable: false, code: 'SMTP_AUTH', message, accountBlocked: true };
  if (typeof e.responseCode === 'number') {
    const code = `SMTP_${e.responseCode}`;
    if (e.responseCode >= 400 && e.responseCode < 500)
      return { status: 'failed', retryable: true, code, message, retryAfterMs: 60_000 };
    return { status: 'failed', retryable: false, code, message };
  }
  // Refused or unreachable before any command: nothing was handed over, safe to retry.
  if (e.code === 'ECONNECTION' || e.code === 'EDNS' || e.code === 'ECONNREFUSED')
    return { status: 'failed', retryable: true, code: 'SMTP_CONNECTION', message, retryAfterMs: 30_000 };
  // A timeout or dropped socket mid-conversation: the relay may already have the message.
  return { status: 'unknown', message };
}

export const smtpProvider: ChannelProvider = {
  id: 'smtp',
  label: 'Email (SMTP)',
  kinds: ['email'],
  fields: [
    { name: 'host', type: 'string', required: true, description: 'SMTP server host' },
    { name: 'port', type: 'integer', default: 587, description: '587 (STARTTLS), 465 (TLS) or 25' },
    { name: 'secure', type: 'boolean', default: false, description: 'TLS from the first byte (port 465)' },
    { name: 'user', type: 'string', description: 'SMTP user name' },
    { name: 'password', type: 'string', secret: true, description: 'SMTP password or API key' },
    { name: 'from_email', type: 'string', required: true, description: 'Sender address' },
    { name: 'from_name', type: 'string', description: 'Sender name' },
    { name: 'reply_to', type: 'string', description: 'Reply-To address' },
    { name: 'dkim_domain', type: 'string', description: 'DKIM signing domain (optional)' },
    { name: 'dkim_selector', type: 'string', description: 'DKIM selector (optional)' },
    {
      name: 'dkim_private_key',
      type: 'string',
      secret: true,
      description: 'DKIM private key, PEM (optional)',
    },
    {
      name: 'sendgrid_webhook_public_key',
      type: 'string',
      description: 'SendGrid Event Webhook verification key (base64), when the relay is SendGrid',
    },
    {
      name: 'ses_topic_arn',
      type: 'string',
      description: 'Amazon SNS topic ARN of SES notifications, when the relay is Amazon SES',
    },
  ],
  // No standard for a generic relay: 10/s suits most; Amazon SES sandbox documents 1/s and 200/day.
  limits: { ratePerSecond: 10, dailyCap: null, source: 'generic SMTP relay; lower it to your plan' },
  async send(runtime, message) {
    const s = runtime.settings;
    const fromEmail = String(s.from_email);
    try {
      // The usual message as prebuilt bytes (email-mime.ts: the same headers and parts nodemailer
      // would build, without its per-message streams), sent by our own client when it can; the
      // rest through nodemailer's composer.
      const built = buildEmail(senderFor(runtime), {
        to: message.to,
        subject: message.subject ?? '',
        text: message.text,
        html: message.html,
        headers: listHeaders(message, fromEmail),
      });
      const client =
        ASCII_ADDRESS.test(fromEmail) && ASCII_ADDRESS.test(message.to) ? clientFor(runtime) : null;
      if (built && client) {
        await client.send(fromEmail, message.to, built.raw);
        return { status: 'sent', providerMessageId: built.messageId };
      }
      const transport = transportFor(runtime);
      if (built) {
        await transport.sendMail({ envelope: { from: fromEmail, to: [message.to] }, raw: built.raw });
        return { status: 'sent', providerMessageId: built.messageId };
      }
      const info = await transport.sendMail({
        from: s.from_name ? { name: String(s.from_name), address: fromEmail } : fromEmail,
        to: message.to,
        ...(s.reply_to ? { replyTo: String(s.reply_to) } : {}),
        subject: message.subject ?? '',
        text: message.text,
        ...(message.html ? { html: message.html } : {}),
        headers: listHeaders(message, fromEmail),
      });
      return { status: 'sent', providerMessageId: info.messageId };
    } catch (error) {
      return classify(error);
    }
  },
  release(channelId) {
    pools.get(channelId)?.transport.close();
    pools.delete(channelId);
    clients.get(channelId)?.pool.close();
    clients.delete(channelId);
    senders.delete(channelId);
  },
};
