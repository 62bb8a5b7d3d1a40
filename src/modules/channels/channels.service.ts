import { createPublicKey } from 'node:crypto';
import type { WorkspaceContext } from '../../platform/auth/context.ts';
import type { SecretBox } from '../../platform/crypto.ts';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { AppError, type ErrorDetail } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { decodeCursor, page } from '../../platform/pagination.ts';
import { type Changes, recordAudit } from '../audit/audit.service.ts';
import type { ClientDataParticipant } from '../clients/client-data.ts';
import { getClientRow } from '../clients/clients.service.ts';
import { untrackedHtml } from '../tracking/tracking.links.ts';
import type {
  ChannelKind,
  ChannelProvider,
  OutgoingMessage,
  ProviderId,
  SendResult,
} from './channel-types.ts';
import { type ChannelOfUse, type ChannelUse, channelUses } from './channels.registry.ts';
import {
  type ChannelMessageRow,
  type ChannelRow,
  channelHealthRows,
  clearDefaultChannel,
  countSentToday,
  deleteChannelRow,
  deleteWhatsappWindow,
  ensureOutboxRow,
  findChannel,
  insertChannel,
  insertChannelMessage,
  insertChannelMessages,
  lastInboundAt,
  lastInboundTimes,
  listChannelRows,
  listMessageRows,
  listWhatsappTemplateRows,
  messageRowsOfClient,
  moveMessageRows,
  type OutboxFilter,
  replaceWhatsappTemplates,
  scrubMessageRowsOfClient,
  updateChannelRow,
  type WhatsappTemplateRow,
} from './channels.repo.ts';
import type { channelMessages, StatusHistoryEntry } from './channels.schema.ts';
import { listHeaders, unsubscribeUrlProblem } from './providers/email-headers.ts';
import { PROVIDERS } from './providers/index.ts';
import { fetchMetaTemplates } from './providers/meta-whatsapp.ts';
import { smsLength } from './sms-length.ts';

export type { ChannelKind, OutgoingMessage, SendResult };
export const PROVIDER_IDS = Object.keys(PROVIDERS) as ProviderId[];
export const MASK = '••••••••';
export const WHATSAPP_WINDOW_MS = 24 * 60 * 60 * 1000;
const NAME_MAX = 100;
const SETTING_MAX = 20_000;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const E164 = /^\+[1-9]\d{6,14}$/;

export function providerOf(id: string): ChannelProvider {
  const provider = PROVIDERS[id as ProviderId];
  if (!provider)
    throw AppError.validation([{ path: '/provider', message: `must be one of ${PROVIDER_IDS.join(', ')}` }]);
  return provider;
}

/** The providers' setting forms and default limits, for the dashboard and the docs. */
export function describeProviders() {
  return PROVIDER_IDS.filter((id) => id !== 'outbox').map((id) => {
    const p = PROVIDERS[id];
    return {
      provider: id,
      label: p.label,
      kinds: p.kinds,
      fields: p.fields.map((f) => ({
        name: f.name,
        type: f.type,
        secret: f.secret ?? false,
        required: f.required ?? false,
        default: f.default ?? null,
        description: f.description,
      })),
      limits: {
        rate_per_second: p.limits.ratePerSecond,
        daily_cap: p.limits.dailyCap,
        source: p.limits.source,
      },
    };
  });
}

export interface ChannelsDeps {
  secrets: SecretBox;
  /** PUBLIC_URL: where providers reach our webhooks (Twilio's StatusCallback); null = not sent. */
  publicUrl: string | null;
}

function openSecrets(deps: ChannelsDeps, row: ChannelRow): Record<string, string> {
  if (!row.sealedSecrets) return {};
  return JSON.parse(deps.secrets.decrypt(row.sealedSecrets)) as Record<string, string>;
}

/** Plain settings plus opened secrets: what a provider needs to send. */
export function runtimeSettings(deps: ChannelsDeps, row: ChannelRow): Record<string, unknown> {
  const provider = providerOf(row.provider);
  const merged: Record<string, unknown> = {};
  for (const field of provider.fields) if (field.default !== undefined) merged[field.name] = field.default;
  return { ...merged, ...row.settings, ...openSecrets(deps, row) };
}

type SettingsInput = Record<string, unknown>;

/**
 * Checks settings against the provider's fields (unknown, wrong type, required, format) and
 * splits them into plain settings and secrets. `previous` are the stored values on PATCH: an
 * omitted or masked secret keeps its value, null clears it.
 */
function checkSettings(
  provider: ChannelProvider,
  input: SettingsInput,
  previous: { settings: Record<string, unknown>; secrets: Record<string, string> } | null,
): { settings: Record<string, unknown>; secrets: Record<string, string> } {
  const problems: ErrorDetail[] = [];
  const known = new Map(provider.fields.map((f) => [f.name, f]));
  for (const key of Object.keys(input))
    if (!known.has(key))
      problems.push({ path: `/settings/${key}`, message: `is not a setting of ${provider.id}` });
  const settings: Record<string, unknown> = { ...(previous?.settings ?? {}) };
  const secrets: Record<string, string> = { ...(previous?.secrets ?? {}) };
  for (const field of provider.fields) {
    const path = `/settings/${field.name}`;
    if (!(field.name in input)) continue;
    let value = input[field.name];
    if (field.secret && value === MASK) continue;
    if (value === null || value === '') {
      delete settings[field.name];
      delete secrets[field.name];
      continue;
    }
    if (field.type === 'string') {
      if (typeof value !== 'string') {
        problems.push({ path, message: 'must be a string' });
        continue;
      }
      value = value.trim();
      if ((value as string).length > SETTING_MAX)
        problems.push({ path, message: `must be at most ${SETTING_MAX} characters` });
    } else if (
      field.type === 'integer' &&
      (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 65535)
    )
      problems.push({ path, message: 'must be an integer between 0 and 65535' });
    else if (field.type === 'boolean' && typeof value !== 'boolean')
      problems.push({ path, message: 'must be true or false' });
    if (field.secret) secrets[field.name] = value as string;
    else settings[field.name] = value;
  }
  const all = { ...settings, ...secrets };
  for (const field of provider.fields)
    if (field.required && (all[field.name] === undefined || all[field.name] === ''))
      problems.push({ path: `/settings/${field.name}`, message: 'is required' });
  for (const name of ['base_url']) {
    const value = all[name];
    if (typeof value === 'string' && !/^https?:\/\/[^\s/]+/.test(value))
      problems.push({ path: `/settings/${name}`, message: 'must be an http(s) URL' });
  }
  for (const name of ['from_email', 'reply_to']) {
    const value = all[name];
    if (typeof value === 'string' && !EMAIL.test(value))
      problems.push({ path: `/settings/${name}`, message: 'is not an email address' });
  }
  for (const name of ['from', 'whatsapp_from']) {
    const value = all[name];
    if (typeof value === 'string' && !E164.test(value))
      problems.push({ path: `/settings/${name}`, message: 'must be a phone number in E.164 (+34600111222)' });
  }
  if (provider.id === 'twilio' && !all.from && !all.messaging_service_sid && !all.whatsapp_from)
    problems.push({ path: '/settings/from', message: 'give from, messaging_service_sid or whatsapp_from' });
  const key = all.sendgrid_webhook_public_key;
  if (typeof key === 'string') {
    try {
      sendgridPublicKey(key);
    } catch {
      problems.push({
        path: '/settings/sendgrid_webhook_public_key',
        message: 'is not a base64 ECDSA public key',
      });
    }
  }
  if (problems.length) throw AppError.validation(problems);
  return { settings, secrets };
}

/** SendGrid shows its verification key as base64 DER (SPKI); PEM is accepted too. */
export function sendgridPublicKey(value: string) {
  const pem = value.includes('BEGIN PUBLIC KEY')
    ? value
    : `-----BEGIN PUBLIC KEY-----\n${value.replace(/\s+/g, '')}\n-----END PUBLIC KEY-----`;
  return createPublicKey(pem);
}

function checkLimits(rate: number | undefined, cap: number | null | undefined) {
  const problems: ErrorDetail[] = [];
  if (rate !== undefined && (!Number.isInteger(rate) || rate < 1 || rate > 10_000))
    problems.push({ path: '/rate_per_second', message: 'must be an integer between 1 and 10000' });
  if (cap !== undefined && cap !== null && (!Number.isInteger(cap) || cap < 1))
    problems.push({ path: '/daily_cap', message: 'must be a positive integer or null (no cap)' });
  if (problems.length) throw AppError.validation(problems);
}

function checkName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > NAME_MAX)
    throw AppError.validation([{ path: '/name', message: `must be 1 to ${NAME_MAX} characters` }]);
  return trimmed;
}

export function toChannelJson(
  row: ChannelRow,
  secretNames: string[],
  health?: { sent: number; failed: number },
  uses: ChannelUse[] = [],
) {
  const provider = providerOf(row.provider);
  const settings: Record<string, unknown> = { ...row.settings };
  for (const name of secretNames) settings[name] = MASK;
  return {
    id: row.id,
    provider: row.provider as ProviderId,
    name: row.name,
    kinds: provider.kinds,
    settings,
    secrets_set: secretNames,
    rate_per_second: row.ratePerSecond,
    daily_cap: row.dailyCap,
    is_default: row.isDefault,
    health: {
      last_test_at: iso(row.lastTestAt),
      last_test_ok: row.lastTestOk,
      last_test_error: row.lastTestError,
      sent_24h: health?.sent ?? 0,
      failed_24h: health?.failed ?? 0,
    },
    used_by: uses,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

export type ChannelJson = ReturnType<typeof toChannelJson>;

/** Audit rows name changed setting keys; secret values never appear, only that they changed. */
function settingsChanges(
  before: { settings: Record<string, unknown>; secrets: Record<string, string> },
  after: { settings: Record<string, unknown>; secrets: Record<string, string> },
): Changes {
  const changes: Changes = {};
  for (const key of new Set([...Object.keys(before.settings), ...Object.keys(after.settings)]))
    if (JSON.stringify(before.settings[key]) !== JSON.stringify(after.settings[key]))
      changes[`settings.${key}`] = {
        before: before.settings[key] ?? null,
        after: after.settings[key] ?? null,
      };
  for (const key of new Set([...Object.keys(before.secrets), ...Object.keys(after.secrets)]))
    if (before.secrets[key] !== after.secrets[key])
      changes[`settings.${key}`] = {
        before: key in before.secrets ? MASK : null,
        after: key in after.secrets ? MASK : null,
      };
  return changes;
}

export interface ChannelInput {
  provider?: string;
  name?: string;
  settings?: SettingsInput;
  rate_per_second?: number;
  daily_cap?: number | null;
  is_default?: boolean;
}

export interface OutboxQuery extends OutboxFilter {
  cursor?: string;
  limit: number;
}

/** In-process pacing per channel: the next free slot at rate_per_second. */
const nextSlot = new Map<string, number>();
async function pace(channelId: string, ratePerSecond: number) {
  const now = Date.now();
  const slot = Math.max(now, nextSlot.get(channelId) ?? 0);
  nextSlot.set(channelId, slot + 1000 / ratePerSecond);
  if (slot > now) await new Promise((resolve) => setTimeout(resolve, slot - now));
}

function msUntilNextUtcDay(now = new Date()): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return next - now.getTime();
}

function checkMessage(message: OutgoingMessage): string | null {
  if (message.channel === 'email') {
    if (!EMAIL.test(message.to)) return 'The recipient is not an email address';
    return unsubscribeUrlProblem(message);
  }
  if (!E164.test(message.to)) return 'The recipient must be a phone number in E.164 (+34600111222)';
  if (!message.text && !message.whatsappTemplate) return 'The message has no text';
  return null;
}

export function toMessageJson(row: ChannelMessageRow) {
  return {
    id: row.id,
    channel_id: row.channelId,
    provider: row.provider,
    kind: row.kind as ChannelKind,
    to: row.recipient,
    provider_message_id: row.providerMessageId,
    client_id: row.clientId,
    campaign_id: row.campaignId,
    delivery_id: row.deliveryId,
    marketing: row.marketing,
    test: row.isTest,
    status: row.status,
    status_history: row.statusHistory,
    error: row.errorCode ? { code: row.errorCode, message: row.errorMessage ?? '' } : null,
    subject: row.subject,
    html: row.html,
    text: row.body,
    headers: row.headers ?? {},
    whatsapp_template: row.whatsappTemplate,
    sms: row.kind === 'sms' && row.body !== null ? smsInfo(row.body) : null,
    created_at: iso(row.createdAt),
  };
}

function smsInfo(text: string) {
  const length = smsLength(text);
  return { encoding: length.encoding, segments: length.segments, units: length.units };
}

function toTemplateJson(row: WhatsappTemplateRow) {
  return {
    id: row.id,
    name: row.name,
    language: row.language,
    status: row.status,
    category: row.category,
    components: row.components,
    synced_at: iso(row.syncedAt),
  };
}

/** The channel a send that names none gets for a kind: the default if it carries it, else the first that does, else the Outbox. */
function chosenForKind(rows: ChannelRow[], kind: ChannelKind): ChannelRow | undefined {
  const carries = (row: ChannelRow) => providerOf(row.provider).kinds.includes(kind);
  return (
    rows.find((row) => row.isDefault && carries(row)) ??
    rows.find((row) => row.provider !== 'outbox' && carries(row)) ??
    rows.find((row) => row.provider === 'outbox')
  );
}

/** The workspace's channels as the usage registry wants them: each with the kinds it is chosen for. */
function ofUse(rows: ChannelRow[]): ChannelOfUse[] {
  const kinds: ChannelKind[] = ['email', 'sms', 'whatsapp'];
  return rows.map((row) => ({
    id: row.id,
    defaultFor: kinds.filter((kind) => chosenForKind(rows, kind)?.id === row.id),
  }));
}

/**
 * A channel whose campaigns will still send through it cannot be deleted (409 naming them): each
 * would fail when it next tried to send, scheduled for tonight or paused for a minute.
 */
async function refuseDeleteWhileUsed(tx: DbOrTx, row: ChannelRow) {
  const all = await listChannelRows(tx, row.workspaceId);
  const uses = (await channelUses(tx, row.workspaceId, ofUse(all))).get(row.id) ?? [];
  if (!uses.length) return;
  throw new AppError(
    'CONFLICT',
    `"${row.name}" cannot be deleted yet: ${uses.length === 1 ? 'a campaign still sends' : `${uses.length} campaigns still send`} through it`,
    uses.map((use, i) => ({
      path: `/used_by/${i}`,
      message: `campaign "${use.name}" (${use.id}) is ${use.status}: ${use.status === 'sending' ? 'pause and cancel it, or wait until it is sent' : 'cancel it, or change its channel'} first`,
    })),
  );
}

/**
 * For a Send: the workspace's channels, share-locked until the Send commits, so a delete of the
 * channel it names or of the default it gets for a kind waits for it (and then sees the campaign
 * among the channel's uses). A named channel deleted meanwhile is a 409 on `/channel_id` instead of
 * a campaign that fails later.
 */
export async function lockChannelsForSend(tx: DbOrTx, workspaceId: string, channelId: string | null) {
  const rows = await listChannelRows(tx, workspaceId, 'share');
  if (channelId && !rows.some((row) => row.id === channelId))
    throw new AppError('CONFLICT', 'The campaign’s channel was deleted; pick another channel first', [
      { path: '/channel_id', message: 'this channel was deleted' },
    ]);
}

/** The kinds of message a channel of the workspace carries, with its name; null when it has no such channel. */
export async function channelKindsOf(
  db: DbOrTx,
  workspaceId: string,
  channelId: string,
): Promise<{ name: string; kinds: ChannelKind[] } | null> {
  const row = await findChannel(db, workspaceId, channelId);
  return row ? { name: row.name, kinds: providerOf(row.provider).kinds } : null;
}

/**
 * The status (APPROVED, PENDING, REJECTED, PAUSED…) of each WhatsApp template of a channel as last
 * synced from its business account, keyed `name:language`; null when the channel's list was never
 * synced (only Meta channels sync), so nobody can say whether a template is approved.
 */
export async function syncedWhatsappTemplateStatuses(
  db: DbOrTx,
  workspaceId: string,
  channelId: string,
): Promise<Map<string, string> | null> {
  const rows = await listWhatsappTemplateRows(db, workspaceId, channelId, null);
  if (!rows.length) return null;
  return new Map(rows.map((row) => [`${row.name}:${row.language}`, row.status]));
}

/**
 * The channels module's services, built once by the composition root with the secret box (for
 * provider secrets) and PUBLIC_URL (for provider callbacks).
 */
export function createChannelService(deps: ChannelsDeps) {
  function secretsOf(row: ChannelRow) {
    return openSecrets(deps, row);
  }

  async function ensureOutbox(db: DbOrTx, workspaceId: string) {
    await ensureOutboxRow(db, workspaceId, PROVIDERS.outbox.limits.ratePerSecond);
  }

  async function getRow(db: DbOrTx, workspaceId: string, id: string, lock?: 'update') {
    const row = await findChannel(db, workspaceId, id, lock);
    if (!row) throw AppError.notFound('Channel');
    return row;
  }

  function json(row: ChannelRow, health?: { sent: number; failed: number }, uses: ChannelUse[] = []) {
    return toChannelJson(row, Object.keys(secretsOf(row)), health, uses);
  }

  async function listChannels(db: Database, workspaceId: string) {
    await ensureOutbox(db, workspaceId);
    const rows = await listChannelRows(db, workspaceId);
    const health = new Map((await channelHealthRows(db, workspaceId)).map((h) => [h.channelId, h]));
    const uses = await channelUses(db, workspaceId, ofUse(rows));
    return { channels: rows.map((row) => json(row, health.get(row.id), uses.get(row.id))) };
  }

  async function getChannel(db: DbOrTx, workspaceId: string, id: string) {
    const row = await getRow(db, workspaceId, id);
    const health = (await channelHealthRows(db, workspaceId)).find((h) => h.channelId === id);
    const uses = await channelUses(db, workspaceId, ofUse(await listChannelRows(db, workspaceId)));
    return json(row, health, uses.get(id));
  }

  async function createChannel(db: Database, ctx: WorkspaceContext, input: ChannelInput) {
    const provider = providerOf(input.provider ?? '');
    if (provider.id === 'outbox')
      throw AppError.validation([
        { path: '/provider', message: 'every workspace already has its one Outbox' },
      ]);
    const name = checkName(input.name) ?? provider.label;
    const { settings, secrets } = checkSettings(provider, input.settings ?? {}, null);
    checkLimits(input.rate_per_second, input.daily_cap);
    return db.transaction(async (tx) => {
      await ensureOutbox(tx, ctx.workspaceId);
      if (input.is_default) await clearDefaultChannel(tx, ctx.workspaceId);
      const row = await insertChannel(tx, {
        workspaceId: ctx.workspaceId,
        provider: provider.id,
        name,
        settings,
        sealedSecrets: Object.keys(secrets).length ? deps.secrets.encrypt(JSON.stringify(secrets)) : null,
        ratePerSecond: input.rate_per_second ?? provider.limits.ratePerSecond,
        dailyCap: input.daily_cap === undefined ? provider.limits.dailyCap : input.daily_cap,
        isDefault: input.is_default ?? false,
      });
      await recordAudit(tx, ctx, {
        action: 'channel.created',
        entityType: 'channel',
        entityId: row.id,
        changes: {
          provider: { before: null, after: provider.id },
          name: { before: null, after: name },
          ...settingsChanges({ settings: {}, secrets: {} }, { settings, secrets }),
        },
      });
      return json(row);
    });
  }

  async function updateChannel(db: Database, ctx: WorkspaceContext, id: string, input: ChannelInput) {
    const name = checkName(input.name);
    checkLimits(input.rate_per_second, input.daily_cap);
    const result = await db.transaction(async (tx) => {
      const before = await getRow(tx, ctx.workspaceId, id);
      if (input.provider !== undefined && input.provider !== before.provider)
        throw AppError.validation([
          { path: '/provider', message: 'cannot change; add a new channel instead' },
        ]);
      const provider = providerOf(before.provider);
      const previous = { settings: before.settings, secrets: secretsOf(before) };
      const next = input.settings ? checkSettings(provider, input.settings, previous) : previous;
      if (input.is_default === false && before.isDefault)
        throw AppError.validation([
          { path: '/is_default', message: 'make another channel the default instead' },
        ]);
      const changes: Changes = settingsChanges(previous, next);
      if (name !== undefined && name !== before.name) changes.name = { before: before.name, after: name };
      if (input.rate_per_second !== undefined && input.rate_per_second !== before.ratePerSecond)
        changes.rate_per_second = { before: before.ratePerSecond, after: input.rate_per_second };
      if (input.daily_cap !== undefined && input.daily_cap !== before.dailyCap)
        changes.daily_cap = { before: before.dailyCap, after: input.daily_cap };
      if (input.is_default === true && !before.isDefault) changes.is_default = { before: false, after: true };
      if (!Object.keys(changes).length) return { row: before, changed: false };
      if (changes.is_default) await clearDefaultChannel(tx, ctx.workspaceId);
      const row = await updateChannelRow(tx, ctx.workspaceId, id, {
        name: name ?? before.name,
        settings: next.settings,
        sealedSecrets: Object.keys(next.secrets).length
          ? deps.secrets.encrypt(JSON.stringify(next.secrets))
          : null,
        ratePerSecond: input.rate_per_second ?? before.ratePerSecond,
        dailyCap: input.daily_cap === undefined ? before.dailyCap : input.daily_cap,
        isDefault: changes.is_default ? true : before.isDefault,
      });
      await recordAudit(tx, ctx, { action: 'channel.updated', entityType: 'channel', entityId: id, changes });
      return { row, changed: true };
    });
    if (result.changed) providerOf(result.row.provider).release?.(id);
    return getChannel(db, ctx.workspaceId, id);
  }

  async function deleteChannel(db: Database, ctx: WorkspaceContext, id: string) {
    const row = await db.transaction(async (tx) => {
      // Locked: a Send through this channel (lockChannelForSend) commits before or waits until after.
      const before = await getRow(tx, ctx.workspaceId, id, 'update');
      if (before.provider === 'outbox') throw new AppError('NOT_ALLOWED_NOW', 'The Outbox cannot be deleted');
      await refuseDeleteWhileUsed(tx, before);
      await deleteChannelRow(tx, ctx.workspaceId, id);
      // The Outbox takes over as default when the default channel goes.
      if (before.isDefault) {
        const outbox = (await listChannelRows(tx, ctx.workspaceId)).find((c) => c.provider === 'outbox');
        if (outbox) await updateChannelRow(tx, ctx.workspaceId, outbox.id, { isDefault: true });
      }
      await recordAudit(tx, ctx, {
        action: 'channel.deleted',
        entityType: 'channel',
        entityId: id,
        changes: {
          provider: { before: before.provider, after: null },
          name: { before: before.name, after: null },
        },
      });
      return before;
    });
    providerOf(row.provider).release?.(id);
  }

  /**
   * Sends one message through a channel and records it in channel_messages. Never throws for a
   * provider problem: the result says sent, failed (retryable or not, consent withdrawn) or
   * unknown (the provider may have it — do not blindly resend). Throws NOT_FOUND for a channel
   * that is not the workspace's.
   */
  type ChannelRowOf = Awaited<ReturnType<typeof getRow>>;

  function refusal(
    code: string,
    text: string,
    extra: Partial<Extract<SendResult, { status: 'failed' }>> = {},
  ) {
    return { status: 'failed', retryable: false, code, message: text, ...extra } as const;
  }

  /** What stops a message before any provider call (the daily cap aside). */
  function refusalOf(row: ChannelRowOf, ctx: WorkspaceContext, message: OutgoingMessage) {
    if (message.workspaceId !== ctx.workspaceId)
      return refusal('WRONG_WORKSPACE', 'The message belongs to another workspace');
    if (!providerOf(row.provider).kinds.includes(message.channel))
      return refusal('CHANNEL_KIND_MISMATCH', `${row.name} cannot send ${message.channel}`);
    const problem = checkMessage(message);
    if (problem) return refusal('INVALID_MESSAGE', problem);
    return null;
  }

  const dailyCapReached = (row: ChannelRowOf) =>
    refusal('DAILY_CAP', `The channel's daily cap of ${row.dailyCap} messages is reached`, {
      retryable: true,
      retryAfterMs: msUntilNextUtcDay(),
    });

  /** The `channel_messages` row of a message the provider was given. */
  function messageRow(
    row: ChannelRowOf,
    ctx: WorkspaceContext,
    message: OutgoingMessage,
    result: SendResult,
    settings: Record<string, unknown>,
    test: boolean,
  ): typeof channelMessages.$inferInsert {
    const provider = providerOf(row.provider);
    const now = new Date().toISOString();
    const status = result.status;
    const history: StatusHistoryEntry[] = [
      status === 'failed'
        ? { status, at: now, code: result.code, message: result.message }
        : { status, at: now, ...(status === 'unknown' ? { message: result.message } : {}) },
    ];
    const keepContent = provider.id === 'outbox' || test;
    return {
      workspaceId: ctx.workspaceId,
      channelId: row.id,
      provider: provider.id,
      kind: message.channel,
      providerMessageId: result.status === 'sent' ? result.providerMessageId : null,
      recipient: message.to,
      clientId: message.clientId ?? null,
      campaignId: message.campaignId ?? null,
      deliveryId: message.deliveryId ?? null,
      marketing: message.marketing,
      isTest: test,
      status,
      statusHistory: history,
      errorCode: result.status === 'failed' ? result.code : null,
      errorMessage:
        result.status === 'failed' ? result.message : result.status === 'unknown' ? result.message : null,
      subject: keepContent ? (message.subject ?? null) : null,
      html: keepContent ? (message.html ?? null) : null,
      body: keepContent ? message.text : null,
      headers:
        message.channel === 'email'
          ? listHeaders(message, String(settings.from_email ?? `outbox@${ctx.workspaceId}.invalid`))
          : null,
      whatsappTemplate: message.whatsappTemplate ? { ...message.whatsappTemplate } : null,
    };
  }

  async function sendThroughChannel(
    db: Database,
    ctx: WorkspaceContext,
    channelId: string,
    message: OutgoingMessage,
    /** `paced: false`: the caller already waited for its slot (the campaign engine's limiter, shared by every worker). */
    options: { test?: boolean; paced?: boolean } = {},
  ): Promise<SendResult & { channelMessageId: string | null }> {
    const row = await getRow(db, ctx.workspaceId, channelId);
    const provider = providerOf(row.provider);
    const refused = refusalOf(row, ctx, message);
    if (refused) return { ...refused, channelMessageId: null };
    if (row.dailyCap !== null && (await countSentToday(db, ctx.workspaceId, channelId)) >= row.dailyCap)
      return { ...dailyCapReached(row), channelMessageId: null };
    let windowOpen = false;
    if (message.channel === 'whatsapp') {
      const last = await lastInboundAt(db, ctx.workspaceId, message.to);
      windowOpen = last !== null && Date.now() - last.getTime() < WHATSAPP_WINDOW_MS;
    }
    if (options.paced !== false) await pace(channelId, row.ratePerSecond);
    const settings = runtimeSettings(deps, row);
    const result = await provider.send(
      { channelId, settings, publicUrl: deps.publicUrl, whatsappWindowOpen: windowOpen },
      message,
    );
    const stored = await insertChannelMessage(
      db,
      messageRow(row, ctx, message, result, settings, options.test ?? false),
    );
    return { ...result, channelMessageId: stored.id };
  }

  /**
   * Many messages through one channel, as `sendThroughChannel` sends one (same checks, same
   * records), for a campaign's claimed batch: the channel is read and the daily cap counted once,
   * the WhatsApp windows of `recipients` read in one query, and `flush` writes the batch's
   * `channel_messages` rows in one statement. The caller paces the sends (its shared rate slots).
   */
  async function openSendBatch(
    db: Database,
    ctx: WorkspaceContext,
    channelId: string,
    recipients: { whatsapp?: readonly string[] } = {},
  ) {
    const row = await getRow(db, ctx.workspaceId, channelId);
    const provider = providerOf(row.provider);
    const settings = runtimeSettings(deps, row);
    let sentToday = row.dailyCap !== null ? await countSentToday(db, ctx.workspaceId, channelId) : 0;
    const windows = recipients.whatsapp?.length
      ? await lastInboundTimes(db, ctx.workspaceId, recipients.whatsapp)
      : new Map<string, Date>();
    const rows: Array<typeof channelMessages.$inferInsert> = [];
    return {
      async send(message: OutgoingMessage): Promise<SendResult> {
        const refused = refusalOf(row, ctx, message);
        if (refused) return refused;
        if (row.dailyCap !== null && sentToday >= row.dailyCap) return dailyCapReached(row);
        sentToday++;
        const last = message.channel === 'whatsapp' ? windows.get(message.to) : undefined;
        const windowOpen = last !== undefined && Date.now() - last.getTime() < WHATSAPP_WINDOW_MS;
        const result = await provider.send(
          { channelId, settings, publicUrl: deps.publicUrl, whatsappWindowOpen: windowOpen },
          message,
        );
        if (result.status === 'failed') sentToday--;
        rows.push(messageRow(row, ctx, message, result, settings, false));
        return result;
      },
      /** The rows of the messages sent since the last flush, in one statement (in `tx` when given). */
      async flush(tx: DbOrTx = db) {
        const pending = rows.splice(0);
        await insertChannelMessages(tx, pending);
      },
    };
  }

  /** POST /channels/{id}/test: a real message to the address you give; the outcome is the channel's health. */
  async function testChannel(
    db: Database,
    ctx: WorkspaceContext,
    id: string,
    input: { to: string; kind?: ChannelKind; text?: string },
  ) {
    const row = await getRow(db, ctx.workspaceId, id);
    const provider = providerOf(row.provider);
    const kind = input.kind ?? provider.kinds[0]!;
    if (!provider.kinds.includes(kind))
      throw AppError.validation([{ path: '/kind', message: `must be one of ${provider.kinds.join(', ')}` }]);
    const text = input.text?.trim() || 'Test message from Clientela: this channel works.';
    const result = await sendThroughChannel(
      db,
      ctx,
      id,
      {
        channel: kind,
        to: input.to.trim(),
        subject: kind === 'email' ? 'Clientela test message' : undefined,
        html:
          kind === 'email' ? `<p>${text.replace(/[<>&]/g, (c) => `&#${c.charCodeAt(0)};`)}</p>` : undefined,
        text,
        marketing: false,
        workspaceId: ctx.workspaceId,
      },
      { test: true },
    );
    if (result.status === 'failed' && result.code === 'INVALID_MESSAGE')
      throw AppError.validation([{ path: '/to', message: result.message }]);
    const ok = result.status === 'sent';
    const error = result.status === 'sent' ? null : result.message;
    await db.transaction(async (tx) => {
      await updateChannelRow(tx, ctx.workspaceId, id, {
        lastTestAt: new Date(),
        lastTestOk: ok,
        lastTestError: error,
      });
      await recordAudit(tx, ctx, {
        action: 'channel.tested',
        entityType: 'channel',
        entityId: id,
        changes: { result: { before: null, after: result.status } },
      });
    });
    return {
      status: result.status,
      provider_message_id: result.status === 'sent' ? result.providerMessageId : null,
      error:
        result.status === 'failed'
          ? { code: result.code, message: result.message, retryable: result.retryable }
          : result.status === 'unknown'
            ? { code: 'UNKNOWN', message: result.message, retryable: false }
            : null,
      message_id: result.channelMessageId,
    };
  }

  async function listOutbox(db: Database, workspaceId: string, query: OutboxQuery) {
    await ensureOutbox(db, workspaceId);
    const rows = await listMessageRows(
      db,
      workspaceId,
      { provider: 'outbox', campaignId: query.campaignId, clientId: query.clientId },
      decodeCursor(query.cursor),
      query.limit,
    );
    const { items, nextCursor } = page(rows, query.limit, (r) => [r.createdAt, r.id]);
    const messages = items.map((row) => ({
      ...toMessageJson(row),
      html_preview: row.html === null ? null : untrackedHtml(deps.secrets, row.html),
    }));
    return { messages, next_cursor: nextCursor };
  }

  async function whatsappChannel(db: DbOrTx, workspaceId: string, id: string) {
    const row = await getRow(db, workspaceId, id);
    if (row.provider !== 'meta_whatsapp')
      throw new AppError('NOT_ALLOWED_NOW', 'Templates are synced from a Meta WhatsApp channel');
    return row;
  }

  /** Pulls every template of the business account; only APPROVED ones are offered for sending. */
  async function syncWhatsappTemplates(db: Database, ctx: WorkspaceContext, id: string) {
    const row = await whatsappChannel(db, ctx.workspaceId, id);
    let templates: Awaited<ReturnType<typeof fetchMetaTemplates>>;
    try {
      templates = await fetchMetaTemplates(runtimeSettings(deps, row));
    } catch (error) {
      throw new AppError('UNAVAILABLE', `Meta did not return the templates: ${(error as Error).message}`);
    }
    await db.transaction(async (tx) => {
      await replaceWhatsappTemplates(tx, ctx.workspaceId, id, templates);
      await recordAudit(tx, ctx, {
        action: 'channel.templates_synced',
        entityType: 'channel',
        entityId: id,
        changes: { templates: { before: null, after: templates.length } },
      });
    });
    return listWhatsappTemplates(db, ctx.workspaceId, id, false);
  }

  async function listWhatsappTemplates(db: DbOrTx, workspaceId: string, id: string, all: boolean) {
    await whatsappChannel(db, workspaceId, id);
    const rows = await listWhatsappTemplateRows(db, workspaceId, id, all ? null : ['APPROVED']);
    return { templates: rows.map(toTemplateJson) };
  }

  /**
   * The channel a message of this kind goes through when none is chosen: the workspace's default
   * if it carries the kind, else the oldest channel that does, else the Outbox (which carries all).
   */
  async function channelForKind(db: Database, workspaceId: string, kind: ChannelKind) {
    await ensureOutbox(db, workspaceId);
    return json(chosenForKind(await listChannelRows(db, workspaceId), kind)!);
  }

  return {
    channelForKind,
    listChannels,
    getChannel,
    createChannel,
    updateChannel,
    deleteChannel,
    sendThroughChannel,
    openSendBatch,
    testChannel,
    listOutbox,
    syncWhatsappTemplates,
    listWhatsappTemplates,
    runtimeSettings: (row: ChannelRow) => runtimeSettings(deps, row),
  };
}

export type ChannelService = ReturnType<typeof createChannelService>;

/**
 * Messages join the client's lifecycle: moved on merge, in the GDPR export, and on erasure their
 * address and content are scrubbed (status and dates stay for the campaign's figures). Outbound
 * messages reach the timeline through the deliveries ledger, so none are listed here.
 */
export const channelMessagesParticipant: ClientDataParticipant = {
  name: 'channel_messages',
  timelineKinds: [],
  async move(tx, workspaceId, fromClientId, toClientId) {
    await moveMessageRows(tx, workspaceId, fromClientId, toClientId);
  },
  async exportFor(db, workspaceId, clientId) {
    return (await messageRowsOfClient(db, workspaceId, clientId)).map(toMessageJson);
  },
  async erase(tx, workspaceId, clientId) {
    await scrubMessageRowsOfClient(tx, workspaceId, clientId);
    // Runs before the client row is anonymised: its phone still names the WhatsApp window to forget.
    const client = await getClientRow(tx, workspaceId, clientId);
    if (client.phone) await deleteWhatsappWindow(tx, workspaceId, client.phone);
  },
  async timeline() {
    return [];
  },
};
