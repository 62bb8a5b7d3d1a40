import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';
import type { Cursor } from '../../platform/pagination.ts';
import { timelineWindowSql } from '../clients/client-data.ts';
import { events } from './events.schema.ts';

export type EventRow = typeof events.$inferSelect;

/**
 * Every statement of an ingestion transaction is a keyed lookup (clients by id, events by client
 * or by reference). Right after a bulk load, before autovacuum has analyzed the table, the planner
 * believes `events` is tiny and picks a sequential scan inside each per-client loop — a thousand
 * scans per batch. Steering it to the indexes for this transaction only keeps the cost flat.
 */
export async function preferIndexes(db: DbOrTx): Promise<void> {
  await db.execute(sql`set local enable_seqscan = off`);
}

/** One row to write; `clientId` already resolved inside the workspace. */
export interface EventWrite {
  clientId: string;
  type: string;
  occurredAt: Date;
  amount: number | null;
  currency: string | null;
  locationId: string | null;
  referenceId: string | null;
  properties: Record<string, string | number | boolean>;
}

/**
 * Clients that currently own the events of these (type, reference_id) pairs. Called for the rows
 * an upsert skipped, whose events the upsert has already locked.
 */
export async function ownersOfReferences(
  db: DbOrTx,
  workspaceId: string,
  refs: Array<{ type: string; referenceId: string }>,
): Promise<string[]> {
  if (!refs.length) return [];
  // LATERAL … LIMIT 1 keeps it to one unique-index probe per reference, whatever the table's size
  // (without the LIMIT the planner flattens it into a hash join over the workspace's events).
  const rows = await db.execute<{ client_id: string }>(sql`
    select e.client_id
    from unnest(${sql.param(refs.map((r) => r.type))}::text[], ${sql.param(refs.map((r) => r.referenceId))}::text[])
      as r(type, reference_id)
    cross join lateral (
      select e.id, e.client_id from events e
      where e.workspace_id = ${workspaceId} and e.type = r.type and e.reference_id = r.reference_id
        and e.reference_id is not null
      limit 1
    ) e`);
  return [...new Set(rows.rows.map((r) => r.client_id))];
}

/**
 * One statement for the whole batch: the rows travel as eight arrays (unnest), and a row whose
 * (type, reference_id) already exists updates that event instead of adding a second one — the
 * unique index is the arbiter, so no lookup precedes the write. With `sameClientOnly`, a row whose
 * existing event belongs to ANOTHER client is left alone and reported in `skipped`: the caller
 * must lock that client before moving the event (its scores change too). The caller removes
 * in-batch duplicates of a reference first (Postgres refuses to update one row twice).
 */
export async function upsertEvents(
  db: DbOrTx,
  workspaceId: string,
  rows: EventWrite[],
  options: { sameClientOnly?: boolean } = {},
): Promise<{ inserted: number; updated: number; skipped: EventWrite[] }> {
  if (!rows.length) return { inserted: 0, updated: 0, skipped: [] };
  const col = <T>(pick: (r: EventWrite) => T) => sql.param(rows.map(pick));
  const result = await db.execute<{ inserted: boolean; type: string; reference_id: string | null }>(sql`
    insert into events (workspace_id, client_id, type, occurred_at, amount, currency, location_id, reference_id, properties)
    select ${workspaceId}::uuid, r.client_id, r.type, r.occurred_at, r.amount, r.currency, r.location_id,
           r.reference_id, r.properties::jsonb
    from unnest(
      ${col((r) => r.clientId)}::uuid[],
      ${col((r) => r.type)}::text[],
      ${col((r) => r.occurredAt.toISOString())}::timestamptz[],
      ${col((r) => r.amount)}::numeric[],
      ${col((r) => r.currency)}::text[],
      ${col((r) => r.locationId)}::uuid[],
      ${col((r) => r.referenceId)}::text[],
      ${col((r) => JSON.stringify(r.properties))}::text[]
    ) as r(client_id, type, occurred_at, amount, currency, location_id, reference_id, properties)
    on conflict (workspace_id, type, reference_id) where reference_id is not null do update set
      client_id = excluded.client_id,
      occurred_at = excluded.occurred_at,
      amount = excluded.amount,
      currency = excluded.currency,
      location_id = excluded.location_id,
      properties = excluded.properties,
      updated_at = now()
    ${options.sameClientOnly ? sql`where events.client_id = excluded.client_id` : sql``}
    returning (xmax = 0) as inserted, type, reference_id`);
  const inserted = result.rows.filter((r) => r.inserted).length;
  let skipped: EventWrite[] = [];
  if (result.rows.length < rows.length) {
    const written = new Set(result.rows.map((r) => JSON.stringify([r.type, r.reference_id])));
    skipped = rows.filter((r) => r.referenceId && !written.has(JSON.stringify([r.type, r.referenceId])));
  }
  return { inserted, updated: result.rows.length - inserted, skipped };
}

export interface ActivityAggregate {
  clientId: string;
  lifetimeValue: number;
  bookingCount: number;
  visitFrequencyDays: number | null;
  lastBookingAt: Date | null;
  lastActivityAt: Date | null;
}

/**
 * The activity scores of the given clients, recomputed from all their events in one statement:
 * lifetime value = sum of `payment` amounts, booking count, median days between consecutive
 * bookings (null below two bookings), last booking, last activity of any type. Clients without
 * events come back with zeros and nulls.
 */
export async function aggregateActivity(
  db: DbOrTx,
  workspaceId: string,
  clientIds: string[],
): Promise<ActivityAggregate[]> {
  if (!clientIds.length) return [];
  const ids = sql.param([...new Set(clientIds)]);
  // Per client, through the (client_id, type, occurred_at) index: LATERAL keeps the planner from
  // hashing the whole events table, so the cost follows the touched clients, not the workspace.
  // The workspace check compares text on purpose: a plain `workspace_id = $1` tempts the planner
  // onto the (workspace_id, type, occurred_at) index before the table has statistics, which scans
  // the whole workspace once per client.
  const result = await db.execute<{
    client_id: string;
    ltv: number;
    bookings: number;
    median_days: number | null;
    last_booking_at: string | null;
    last_activity_at: string | null;
  }>(sql`
    select ids.client_id,
           a.ltv::float8 as ltv,
           b.bookings,
           round(b.median_days::numeric, 2)::float8 as median_days,
           to_char(b.last_booking_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_booking_at,
           to_char(a.last_activity_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_activity_at
    from unnest(${ids}::uuid[]) as ids(client_id)
    cross join lateral (
      select coalesce(sum(e.amount) filter (where e.type = 'payment'), 0) as ltv, max(e.occurred_at) as last_activity_at
      from events e
      where e.client_id = ids.client_id and e.workspace_id::text = ${workspaceId}
    ) a
    cross join lateral (
      select count(*)::int as bookings, max(g.occurred_at) as last_booking_at,
             percentile_cont(0.5) within group (order by g.gap_days) as median_days
      from (
        select e.occurred_at,
               extract(epoch from e.occurred_at - lag(e.occurred_at) over (order by e.occurred_at)) / 86400 as gap_days
        from events e
        where e.client_id = ids.client_id and e.type = 'booking' and e.workspace_id::text = ${workspaceId}
      ) g
    ) b`);
  return result.rows.map((r) => ({
    clientId: r.client_id,
    lifetimeValue: Number(r.ltv),
    bookingCount: Number(r.bookings),
    visitFrequencyDays: r.median_days === null ? null : Number(r.median_days),
    lastBookingAt: r.last_booking_at ? new Date(r.last_booking_at) : null,
    lastActivityAt: r.last_activity_at ? new Date(r.last_activity_at) : null,
  }));
}

export interface EventFilter {
  clientId?: string;
  type?: string;
  from?: string;
  to?: string;
}

export async function listEventRows(
  db: DbOrTx,
  workspaceId: string,
  filter: EventFilter,
  cursor: Cursor | null,
  limit: number,
): Promise<EventRow[]> {
  return db
    .select()
    .from(events)
    .where(
      and(
        eq(events.workspaceId, workspaceId),
        filter.clientId ? eq(events.clientId, filter.clientId) : undefined,
        filter.type ? eq(events.type, filter.type) : undefined,
        filter.from ? sql`${events.occurredAt} >= ${filter.from}::timestamptz` : undefined,
        filter.to ? sql`${events.occurredAt} < ${filter.to}::timestamptz` : undefined,
        cursor
          ? sql`(${events.occurredAt}, ${events.id}) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(sql`${events.occurredAt} desc, ${events.id} desc`)
    .limit(limit);
}

export async function findEvent(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  lock = false,
): Promise<EventRow | null> {
  const query = db
    .select()
    .from(events)
    .where(and(eq(events.workspaceId, workspaceId), eq(events.id, id)));
  const [row] = lock ? await query.for('update') : await query;
  return row ?? null;
}

export async function deleteEventRow(db: DbOrTx, workspaceId: string, id: string): Promise<void> {
  await db.delete(events).where(and(eq(events.workspaceId, workspaceId), eq(events.id, id)));
}

export async function moveEvents(db: DbOrTx, workspaceId: string, fromClientId: string, toClientId: string) {
  const result = await db
    .update(events)
    .set({ clientId: toClientId, updatedAt: new Date() })
    .where(and(eq(events.workspaceId, workspaceId), eq(events.clientId, fromClientId)));
  return result.rowCount ?? 0;
}

export async function allEventsOfClient(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
): Promise<EventRow[]> {
  return db
    .select()
    .from(events)
    .where(and(eq(events.workspaceId, workspaceId), eq(events.clientId, clientId)))
    .orderBy(sql`${events.occurredAt} desc, ${events.id} desc`);
}

/** GDPR erase: free-form properties and the outside reference go; type, date and amount stay for totals. */
export async function scrubEventsOfClient(db: DbOrTx, workspaceId: string, clientId: string) {
  await db
    .update(events)
    .set({ properties: {}, referenceId: null, updatedAt: new Date() })
    .where(and(eq(events.workspaceId, workspaceId), eq(events.clientId, clientId)));
}

/**
 * A client's events for the timeline, newest first, strictly before the keyset position.
 * `types` narrows to event types unless it names the whole `event` kind.
 */
export async function eventTimelinePage(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
  window: {
    before: Cursor | null;
    from: string | null;
    to: string | null;
    limit: number;
    types?: string[] | null;
  },
): Promise<EventRow[]> {
  const types = window.types?.length && !window.types.includes('event') ? window.types : null;
  return db
    .select()
    .from(events)
    .where(
      and(
        eq(events.workspaceId, workspaceId),
        eq(events.clientId, clientId),
        types ? sql`${events.type} = any(${sql.param(types)}::text[])` : undefined,
        ...timelineWindowSql(events.occurredAt, events.id, window),
      ),
    )
    .orderBy(sql`${events.occurredAt} desc, ${events.id} desc`)
    .limit(window.limit);
}

/**
 * For campaign figures (a reply to a message): true when the client (`clientId`, an SQL expression)
 * sent an inbound WhatsApp or SMS message (recorded by the channels module as `whatsapp_inbound` /
 * `sms_inbound` events) within `hours` after `after` (an SQL timestamp expression).
 */
export function inboundReplyWithin(workspaceId: string, clientId: SQL, after: SQL, hours: number): SQL {
  return sql`exists (select 1 from events ev
    where ev.client_id = ${clientId} and ev.workspace_id = ${workspaceId}
      and ev.type in ('whatsapp_inbound', 'sms_inbound')
      and ev.occurred_at >= ${after} and ev.occurred_at < ${after} + make_interval(hours => ${hours}))`;
}

/** For the home page: per week (Monday, in `timeZone`) since `since`, the clients with any event. */
export async function activeClientsPerWeek(db: DbOrTx, workspaceId: string, timeZone: string, since: Date) {
  const result = await db.execute<{ week: string; n: number }>(sql`
    select to_char(date_trunc('week', occurred_at at time zone ${timeZone}), 'YYYY-MM-DD') as week,
      count(distinct client_id)::int as n
    from events where workspace_id = ${workspaceId} and occurred_at >= ${since.toISOString()}::timestamptz
      and occurred_at <= now()
    group by 1`);
  return new Map(result.rows.map((r) => [r.week, r.n]));
}
