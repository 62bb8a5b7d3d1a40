import { and, desc, eq, gte, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';
import type { Cursor } from '../../platform/pagination.ts';
import {
  channelMessageEvents,
  channelMessages,
  channels,
  type StatusHistoryEntry,
  whatsappTemplates,
  whatsappWindows,
} from './channels.schema.ts';

export type ChannelRow = typeof channels.$inferSelect;
export type ChannelMessageRow = typeof channelMessages.$inferSelect;
export type WhatsappTemplateRow = typeof whatsappTemplates.$inferSelect;

/** Channels not deleted: every lookup but the history's (deleteChannelRow keeps the row). */
const live = isNull(channels.deletedAt);

export async function insertChannel(db: DbOrTx, values: typeof channels.$inferInsert): Promise<ChannelRow> {
  const [row] = await db.insert(channels).values(values).returning();
  return row!;
}

/** The workspace's Outbox, created on first need (two racing requests create one). */
export async function ensureOutboxRow(db: DbOrTx, workspaceId: string, ratePerSecond: number): Promise<void> {
  const hasDefault = await db
    .select({ id: channels.id })
    .from(channels)
    .where(and(eq(channels.workspaceId, workspaceId), eq(channels.isDefault, true), live));
  await db
    .insert(channels)
    .values({
      workspaceId,
      provider: 'outbox',
      name: 'Outbox',
      ratePerSecond,
      isDefault: hasDefault.length === 0,
    })
    .onConflictDoNothing();
}

/**
 * `lock`: 'update' while it is being deleted; 'share' while a campaign is sent through it, so a
 * delete and a Send on the same channel go one after the other and each sees what the other did.
 */
export async function findChannel(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  lock?: 'update' | 'share',
): Promise<ChannelRow | null> {
  const query = db
    .select()
    .from(channels)
    .where(and(eq(channels.workspaceId, workspaceId), eq(channels.id, id), live));
  const [row] = lock ? await query.for(lock) : await query;
  return row ?? null;
}

/** `lock: 'share'`: for a Send, which may go through any of them (named, or a kind's default). */
export async function listChannelRows(
  db: DbOrTx,
  workspaceId: string,
  lock?: 'share',
): Promise<ChannelRow[]> {
  const query = db
    .select()
    .from(channels)
    .where(and(eq(channels.workspaceId, workspaceId), live))
    .orderBy(channels.createdAt, channels.id);
  return lock ? query.for(lock) : query;
}

export async function updateChannelRow(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  patch: Partial<typeof channels.$inferInsert>,
): Promise<ChannelRow> {
  const [row] = await db
    .update(channels)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(channels.workspaceId, workspaceId), eq(channels.id, id), live))
    .returning();
  return row!;
}

export async function clearDefaultChannel(db: DbOrTx, workspaceId: string): Promise<void> {
  await db
    .update(channels)
    .set({ isDefault: false })
    .where(and(eq(channels.workspaceId, workspaceId), eq(channels.isDefault, true)));
}

/**
 * Deletes a channel for everything but the history: the row stays (its messages, their statuses
 * and its WhatsApp templates point to it), its secrets and settings are wiped, and it is no longer
 * the default.
 */
export async function deleteChannelRow(db: DbOrTx, workspaceId: string, id: string): Promise<void> {
  await db
    .update(channels)
    .set({
      deletedAt: new Date(),
      updatedAt: new Date(),
      isDefault: false,
      sealedSecrets: null,
      settings: {},
    })
    .where(and(eq(channels.workspaceId, workspaceId), eq(channels.id, id), live));
}

/**
 * Webhook entry points know a channel id from the URL (or a phone number id) but not the
 * workspace yet: these two lookups are the only ones not scoped by a workspace, and the caller
 * proves the request with the channel's own secret before anything is touched.
 */
export async function findChannelForWebhook(db: DbOrTx, id: string): Promise<ChannelRow | null> {
  const [row] = await db
    .select()
    .from(channels)
    .where(and(eq(channels.id, id), live));
  return row ?? null;
}

export async function findChannelsByProvider(db: DbOrTx, provider: string): Promise<ChannelRow[]> {
  return db
    .select()
    .from(channels)
    .where(and(eq(channels.provider, provider), live));
}

/** Messages counted against today's cap (UTC day), failed ones excluded. */
export async function countSentToday(db: DbOrTx, workspaceId: string, channelId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(channelMessages)
    .where(
      and(
        eq(channelMessages.workspaceId, workspaceId),
        eq(channelMessages.channelId, channelId),
        gte(channelMessages.createdAt, sql`date_trunc('day', now() at time zone 'utc') at time zone 'utc'`),
        sql`${channelMessages.status} <> 'failed'`,
      ),
    );
  return row?.n ?? 0;
}

export async function channelHealthRows(db: DbOrTx, workspaceId: string) {
  return db
    .select({
      channelId: channelMessages.channelId,
      sent: sql<number>`count(*) filter (where ${channelMessages.status} <> 'failed')::int`,
      failed: sql<number>`count(*) filter (where ${channelMessages.status} = 'failed')::int`,
    })
    .from(channelMessages)
    .where(
      and(
        eq(channelMessages.workspaceId, workspaceId),
        gte(channelMessages.createdAt, sql`now() - interval '24 hours'`),
      ),
    )
    .groupBy(channelMessages.channelId);
}

export async function insertChannelMessage(
  db: DbOrTx,
  values: typeof channelMessages.$inferInsert,
): Promise<ChannelMessageRow> {
  const [row] = await db.insert(channelMessages).values(values).returning();
  return row!;
}

/** A batch of messages (a campaign's claimed batch) in one statement. */
/**
 * A campaign batch's rows in one statement with one parameter (a JSON array read by
 * jsonb_to_recordset): building a 100-row, 20-column INSERT through the query builder cost more
 * CPU per message than the rest of the bookkeeping together.
 */
export async function insertChannelMessages(
  db: DbOrTx,
  values: Array<typeof channelMessages.$inferInsert>,
): Promise<void> {
  if (!values.length) return;
  const rows = values.map((v) => ({
    workspace_id: v.workspaceId,
    channel_id: v.channelId,
    provider: v.provider,
    kind: v.kind,
    provider_message_id: v.providerMessageId ?? null,
    recipient: v.recipient,
    client_id: v.clientId ?? null,
    campaign_id: v.campaignId ?? null,
    delivery_id: v.deliveryId ?? null,
    marketing: v.marketing ?? false,
    is_test: v.isTest ?? false,
    status: v.status,
    status_history: v.statusHistory ?? [],
    error_code: v.errorCode ?? null,
    error_message: v.errorMessage ?? null,
    subject: v.subject ?? null,
    html: v.html ?? null,
    body: v.body ?? null,
    headers: v.headers ?? null,
    whatsapp_template: v.whatsappTemplate ?? null,
  }));
  await db.execute(sql`
    insert into channel_messages (workspace_id, channel_id, provider, kind, provider_message_id, recipient,
      client_id, campaign_id, delivery_id, marketing, is_test, status, status_history, error_code,
      error_message, subject, html, body, headers, whatsapp_template)
    select workspace_id, channel_id, provider, kind, provider_message_id, recipient, client_id, campaign_id,
      delivery_id, marketing, is_test, status, status_history, error_code, error_message, subject, html, body,
      headers, whatsapp_template
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(workspace_id uuid, channel_id uuid,
      provider text, kind text, provider_message_id text, recipient text, client_id uuid, campaign_id uuid,
      delivery_id uuid, marketing boolean, is_test boolean, status text, status_history jsonb, error_code text,
      error_message text, subject text, html text, body text, headers jsonb, whatsapp_template jsonb)`);
}

export async function findMessageByProviderId(
  db: DbOrTx,
  workspaceId: string,
  channelId: string,
  providerMessageId: string,
): Promise<ChannelMessageRow | null> {
  const [row] = await db
    .select()
    .from(channelMessages)
    .where(
      and(
        eq(channelMessages.workspaceId, workspaceId),
        eq(channelMessages.channelId, channelId),
        eq(channelMessages.providerMessageId, providerMessageId),
      ),
    )
    .for('update');
  return row ?? null;
}

export async function setMessageStatus(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  status: string,
  history: StatusHistoryEntry[],
  error: { code: string | null; message: string | null } | null,
): Promise<void> {
  await db
    .update(channelMessages)
    .set({
      status,
      statusHistory: history,
      updatedAt: new Date(),
      ...(error ? { errorCode: error.code, errorMessage: error.message } : {}),
    })
    .where(and(eq(channelMessages.workspaceId, workspaceId), eq(channelMessages.id, id)));
}

/** True the first time (channel, provider message id, status) is seen; false for a duplicate. */
export async function recordMessageEvent(
  db: DbOrTx,
  channelId: string,
  providerMessageId: string,
  status: string,
): Promise<boolean> {
  const inserted = await db
    .insert(channelMessageEvents)
    .values({ channelId, providerMessageId, status })
    .onConflictDoNothing()
    .returning({ status: channelMessageEvents.status });
  return inserted.length > 0;
}

export interface OutboxFilter {
  campaignId?: string;
  clientId?: string;
  channelId?: string;
}

export async function listMessageRows(
  db: DbOrTx,
  workspaceId: string,
  filter: OutboxFilter & { provider?: string },
  cursor: Cursor | null,
  limit: number,
): Promise<ChannelMessageRow[]> {
  const where: (SQL | undefined)[] = [eq(channelMessages.workspaceId, workspaceId)];
  if (filter.provider) where.push(eq(channelMessages.provider, filter.provider));
  if (filter.campaignId) where.push(eq(channelMessages.campaignId, filter.campaignId));
  if (filter.clientId) where.push(eq(channelMessages.clientId, filter.clientId));
  if (filter.channelId) where.push(eq(channelMessages.channelId, filter.channelId));
  if (cursor)
    where.push(
      sql`(${channelMessages.createdAt}, ${channelMessages.id}) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)`,
    );
  return db
    .select()
    .from(channelMessages)
    .where(and(...where))
    .orderBy(desc(channelMessages.createdAt), desc(channelMessages.id))
    .limit(limit + 1);
}

export async function openWhatsappWindow(db: DbOrTx, workspaceId: string, phone: string, at: Date) {
  await db
    .insert(whatsappWindows)
    .values({ workspaceId, phone, lastInboundAt: at })
    .onConflictDoUpdate({
      target: [whatsappWindows.workspaceId, whatsappWindows.phone],
      set: { lastInboundAt: sql`greatest(${whatsappWindows.lastInboundAt}, excluded.last_inbound_at)` },
    });
}

export async function lastInboundAt(db: DbOrTx, workspaceId: string, phone: string): Promise<Date | null> {
  const [row] = await db
    .select({ at: whatsappWindows.lastInboundAt })
    .from(whatsappWindows)
    .where(and(eq(whatsappWindows.workspaceId, workspaceId), eq(whatsappWindows.phone, phone)));
  return row?.at ?? null;
}

/** The last inbound message time of each of these phones that has one. */
export async function lastInboundTimes(
  db: DbOrTx,
  workspaceId: string,
  phones: readonly string[],
): Promise<Map<string, Date>> {
  if (!phones.length) return new Map();
  const rows = await db
    .select({ phone: whatsappWindows.phone, at: whatsappWindows.lastInboundAt })
    .from(whatsappWindows)
    .where(and(eq(whatsappWindows.workspaceId, workspaceId), inArray(whatsappWindows.phone, [...phones])));
  return new Map(rows.map((r) => [r.phone, r.at]));
}

export async function replaceWhatsappTemplates(
  db: DbOrTx,
  workspaceId: string,
  channelId: string,
  rows: Omit<typeof whatsappTemplates.$inferInsert, 'workspaceId' | 'channelId'>[],
): Promise<void> {
  await db
    .delete(whatsappTemplates)
    .where(and(eq(whatsappTemplates.workspaceId, workspaceId), eq(whatsappTemplates.channelId, channelId)));
  if (rows.length)
    await db.insert(whatsappTemplates).values(rows.map((r) => ({ ...r, workspaceId, channelId })));
}

export async function listWhatsappTemplateRows(
  db: DbOrTx,
  workspaceId: string,
  channelId: string,
  statuses: string[] | null,
): Promise<WhatsappTemplateRow[]> {
  return db
    .select()
    .from(whatsappTemplates)
    .where(
      and(
        eq(whatsappTemplates.workspaceId, workspaceId),
        eq(whatsappTemplates.channelId, channelId),
        statuses ? inArray(whatsappTemplates.status, statuses) : undefined,
      ),
    )
    .orderBy(whatsappTemplates.name, whatsappTemplates.language);
}

export async function moveMessageRows(
  db: DbOrTx,
  workspaceId: string,
  fromClientId: string,
  toClientId: string,
) {
  await db
    .update(channelMessages)
    .set({ clientId: toClientId })
    .where(and(eq(channelMessages.workspaceId, workspaceId), eq(channelMessages.clientId, fromClientId)));
}

export async function messageRowsOfClient(db: DbOrTx, workspaceId: string, clientId: string) {
  return db
    .select()
    .from(channelMessages)
    .where(and(eq(channelMessages.workspaceId, workspaceId), eq(channelMessages.clientId, clientId)))
    .orderBy(desc(channelMessages.createdAt), desc(channelMessages.id));
}

/** Erasure: the address and what was said go; the fact that a message was sent (and its status) stays. */
export async function scrubMessageRowsOfClient(db: DbOrTx, workspaceId: string, clientId: string) {
  await db
    .update(channelMessages)
    .set({
      recipient: 'erased',
      subject: null,
      html: null,
      body: null,
      headers: null,
      whatsappTemplate: null,
    })
    .where(and(eq(channelMessages.workspaceId, workspaceId), eq(channelMessages.clientId, clientId)));
}

export async function deleteWhatsappWindow(db: DbOrTx, workspaceId: string, phone: string) {
  await db
    .delete(whatsappWindows)
    .where(and(eq(whatsappWindows.workspaceId, workspaceId), eq(whatsappWindows.phone, phone)));
}

export async function hasMessageEvent(
  db: DbOrTx,
  channelId: string,
  providerMessageId: string,
  status: string,
): Promise<boolean> {
  const rows = await db
    .select({ status: channelMessageEvents.status })
    .from(channelMessageEvents)
    .where(
      and(
        eq(channelMessageEvents.channelId, channelId),
        eq(channelMessageEvents.providerMessageId, providerMessageId),
        eq(channelMessageEvents.status, status),
      ),
    );
  return rows.length > 0;
}
