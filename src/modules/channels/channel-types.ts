/**
 * The contract between channels and whoever sends (the campaign engine's workers, the test
 * button): one message in, one classified result out. Pure types, no database.
 */
export type ChannelKind = 'email' | 'sms' | 'whatsapp';

export type WhatsappTemplateRef =
  | {
      name: string;
      language: string;
      bodyParameters: string[];
      headerParameters?: string[];
      buttonParameters?: string[];
    }
  | { contentSid: string; variables: Record<string, string> };

export interface OutgoingMessage {
  channel: ChannelKind;
  /** Email address or E.164 phone. */
  to: string;
  subject?: string;
  html?: string;
  /** The SMS/WhatsApp body, or the email's text part. */
  text: string;
  whatsappTemplate?: WhatsappTemplateRef;
  marketing: boolean;
  unsubscribeUrl?: string;
  listId?: string;
  workspaceId: string;
  clientId?: string;
  campaignId?: string;
  deliveryId?: string;
}

export type SendResult =
  | { status: 'sent'; providerMessageId: string }
  | {
      status: 'failed';
      retryable: boolean;
      code: string;
      message: string;
      consentWithdrawn?: boolean;
      retryAfterMs?: number;
      /**
       * The provider refused the account itself (credentials rejected, account locked, suspended or
       * blocked for a policy): no message of it can go until someone fixes the account, so a
       * campaign pauses at once and says why, and the message waits in the queue.
       */
      accountBlocked?: boolean;
    }
  | { status: 'unknown'; message: string };

export type ProviderId = 'outbox' | 'smtp' | 'meta_whatsapp' | 'twilio' | 'evolution';

export interface SettingField {
  name: string;
  type: 'string' | 'integer' | 'boolean';
  /** Sealed at rest, never returned (masked). */
  secret?: boolean;
  required?: boolean;
  default?: string | number | boolean;
  description: string;
}

/** What a provider gets for one send: its settings with secrets opened, and where webhooks go. */
export interface ProviderRuntime {
  channelId: string;
  settings: Record<string, unknown>;
  /** Absolute base of this server as providers reach it (PUBLIC_URL), for callbacks; null = none. */
  publicUrl: string | null;
  /** WhatsApp free text is allowed only inside the 24-hour window; the service tells the provider. */
  whatsappWindowOpen?: boolean;
  /** Longest wait for the provider's answer (default 15 s); past it the outcome is unknown. */
  timeoutMs?: number;
}

export interface ChannelProvider {
  id: ProviderId;
  label: string;
  kinds: ChannelKind[];
  fields: SettingField[];
  /** The provider's documented default throughput (messages/s) and daily cap (null = none). */
  limits: { ratePerSecond: number; dailyCap: number | null; source: string };
  send(runtime: ProviderRuntime, message: OutgoingMessage): Promise<SendResult>;
  /** Releases pooled connections of one channel (settings changed or channel deleted). */
  release?(channelId: string): void;
}

/** A fetch with a deadline; a timeout after the request was written means "unknown", never "failed". */
export async function timedFetch(url: string, init: RequestInit, timeoutMs = 15_000): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}

/** Socket errors raised before a connection exists: no byte of the request was written. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Network failures before any answer. Refused or unresolvable before connecting: nothing reached
 * the provider, so it is retried like a 429. Otherwise (a timeout, a reset) the provider may have
 * the message: unknown.
 */
export function unknownOutcome(error: unknown): SendResult {
  const message = error instanceof Error ? error.message : String(error);
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string' && NOT_CONNECTED.has(cause.code))
    return {
      status: 'failed',
      retryable: true,
      code: cause.code,
      message: `The provider could not be reached: ${String(cause.message ?? message)}`,
      retryAfterMs: 30_000,
    };
  return { status: 'unknown', message: `No answer from the provider: ${message}` };
}

export function providerFailure(
  code: string,
  message: string,
  extra: Partial<Extract<SendResult, { status: 'failed' }>> = {},
): SendResult {
  return { status: 'failed', retryable: false, code, message, ...extra };
}

/** Retry-After in seconds (or an HTTP date) → milliseconds. */
export function retryAfterMs(header: string | null, fallbackMs = 60_000): number {
  if (!header) return fallbackMs;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? fallbackMs : Math.max(0, at - Date.now());
}
