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
 * Who withdrew consent and has not given it again: for the clients of the workspace with one of
 * these external ids, emails or phones, each channel among `channels` whose current state is off
 * and whose history holds a withdrawal ("never asked" is not "unsubscribed"). Imports read it so a
 * file never subscribes those people again.
 */
export async function withdrawnChannelsOf(
  db: DbOrTx,
  workspaceId: string,
  channels: string[],
  identities: { externalIds: string[]; emails: string[]; phones: string[] },
): Promise<
  Array<{ external_id: string | null; email: string | null; phone: string | null; channel: string }>
> {
  const { externalIds, emails, phones } = identities;
  if (!channels.length || !(externalIds.length + emails.length + phones.length)) return [];
  const found = await db.execute<{
    external_id: string | null;
    email: string | null;
    phone: string | null;
    channel: string;
  }>(sql`
    select c.external_id, c.email, c.phone, e.channel
    from clients c
    join consent_events e on e.client_id = c.id and e.workspace_id = c.workspace_id
    where c.workspace_id = ${workspaceId} and c.erased_at is null
      and (c.external_id = any(${sql.param(externalIds)}::text[])
        or c.email = any(${sql.param(emails)}::text[])
        or c.phone = any(${sql.param(phones)}::text[]))
      and e.granted = false and e.channel = any(${sql.param(channels)}::text[])
      and case e.channel
        when 'email' then not c.consent_email
        when 'sms' then not c.consent_sms
        when 'whatsapp' then not c.consent_whatsapp
        when 'push' then not c.consent_push
      end
    group by 1, 2, 3, 4`);
  return found.rows;
}
