import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';
import { timelineWindowSql } from '../clients/client-data.ts';
import { consentEvents } from './consent.schema.ts';

export type ConsentEventRow = typeof consentEvents.$inferSelect;
export type NewConsentEvent = Omit<typeof consentEvents.$inferInsert, 'id' | 'occurredAt'> & {
  occurredAt?: Date;
};

/** Rows get the database clock (not the transaction start), so several changes in one transaction stay ordered. */
export async function insertConsentEvents(db: DbOrTx, rows: NewConsentEvent[]): Promise<ConsentEventRow[]> {
  if (!rows.length) return [];
  return db
    .insert(consentEvents)
    .values(rows.map((r) => ({ ...r, occurredAt: r.occurredAt ?? sql`clock_timestamp()` })))
    .returning();
}

/** Serializes consent changes of one client (two concurrent PATCHes must not both "change" the same state). */
export async function lockClientConsent(db: DbOrTx, clientId: string): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`consent:${clientId}`}, 0))`);
}

export async function listConsentEventRows(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
): Promise<ConsentEventRow[]> {
  return db
    .select()
    .from(consentEvents)
    .where(and(eq(consentEvents.workspaceId, workspaceId), eq(consentEvents.clientId, clientId)))
    .orderBy(desc(consentEvents.occurredAt), desc(consentEvents.id));
}

/** The most recent event of each channel that has any. */
export async function latestConsentPerChannel(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
): Promise<{ channel: string; granted: boolean; source: string }[]> {
  const result = await db.execute<{ channel: string; granted: boolean; source: string }>(sql`
    select distinct on (channel) channel, granted, source
    from consent_events
    where workspace_id = ${workspaceId} and client_id = ${clientId}
    order by channel, occurred_at desc, id desc`);
  return result.rows;
}

export async function moveConsentEventRows(
  db: DbOrTx,
  workspaceId: string,
  fromClientId: string,
  toClientId: string,
): Promise<void> {
  await db
    .update(consentEvents)
    .set({ clientId: toClientId })
    .where(and(eq(consentEvents.workspaceId, workspaceId), eq(consentEvents.clientId, fromClientId)));
}

/** Erase: what stays is channel, granted, source, actor and time — the proof of consent or withdrawal. */
export async function stripConsentEvidence(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
): Promise<number> {
  const rows = await db
    .update(consentEvents)
    .set({ evidence: null, ip: null, userAgent: null })
    .where(and(eq(consentEvents.workspaceId, workspaceId), eq(consentEvents.clientId, clientId)))
    .returning({ id: consentEvents.id });
  return rows.length;
}

export async function timelineConsentRows(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
  window: {
    before: { at: string; id: string } | null;
    from: string | null;
    to: string | null;
    limit: number;
  },
): Promise<ConsentEventRow[]> {
  const where: (SQL | undefined)[] = [
    eq(consentEvents.workspaceId, workspaceId),
    eq(consentEvents.clientId, clientId),
  ];
  where.push(...timelineWindowSql(consentEvents.occurredAt, consentEvents.id, window));
  return db
    .select()
    .from(consentEvents)
    .where(and(...where))
    .orderBy(desc(consentEvents.occurredAt), desc(consentEvents.id))
    .limit(window.limit);
}

/**
 * Of these clients, which withdrew which of `channels` at some point (a granted=false event):
 * imports read it for matched clients whose channel is off now, so a file never subscribes those
 * people again ("never asked" has no withdrawal and is not "unsubscribed"). One probe of the
 * (client_id, occurred_at) index per client.
 */
export async function withdrawalsOf(
  db: DbOrTx,
  workspaceId: string,
  clientIds: string[],
  channels: string[],
): Promise<Array<{ client_id: string; channel: string }>> {
  if (!clientIds.length || !channels.length) return [];
  const found = await db.execute<{ client_id: string; channel: string }>(sql`
    select distinct e.client_id, e.channel
    from unnest(${sql.param(clientIds)}::uuid[]) as k(id),
      lateral (select client_id, channel from consent_events
        where client_id = k.id and workspace_id = ${workspaceId} and granted = false
          and channel = any(${sql.param(channels)}::text[])) e`);
  return found.rows;
}
