import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';
import type { Cursor } from '../../platform/pagination.ts';
import { events } from './events.schema.ts';

export type EventRow = typeof events.$inferSelect;

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
 * Clients that currently own the events these (type, reference_id) pairs would update. With
 * `lock`, those events are locked (in id order) and their owners read after any concurrent change.
 */
export async function ownersOfReferences(
  db: DbOrTx,
  workspaceId: string,
  refs: Array<{ type: string; referenceId: string }>,
  lock = false,
): Promise<string[]> {
  if (!refs.length) return [];
  const rows = await db.execute<{ client_id: string }>(sql`
    select e.client_id
    from unnest(${sql.param(refs.map((r) => r.type))}::text[], ${sql.param(refs.map((r) => r.referenceId))}::text[])
      as r(type, reference_id)
    join events e on e.workspace_id = ${workspaceId} and e.type = r.type and e.reference_id = r.reference_id
    ${lock ? sql`order by e.id for update of e` : sql``}`);
  return [...new Set(rows.rows.map((r) => r.client_id))];
}

/**
 * One statement for the whole batch: the rows travel as nine arrays (unnest), and a row whose
 * (type, reference_id) already exists updates that event instead of adding a second one.
 * The caller removes in-batch duplicates of a reference first (Postgres refuses to update one
 * row twice in a statement). Returns how many rows were inserted and how many updated.
 */
export async function upsertEvents(
  db: DbOrTx,
  workspaceId: string,
  rows: EventWrite[],
): Promise<{ inserted: number; updated: number }> {
  if (!rows.length) return { inserted: 0, updated: 0 };
  const col = <T>(pick: (r: EventWrite) => T) => sql.param(rows.map(pick));
  const result = await db.execute<{ inserted: boolean }>(sql`
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
    returning (xmax = 0) as inserted`);
  const inserted = result.rows.filter((r) => r.inserted).length;
  return { inserted, updated: result.rows.length - inserted };
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
  const result = await db.execute<{
    client_id: string;
    ltv: number;
    bookings: number;
    median_days: number | null;
    last_booking_at: string | null;
    last_activity_at: string | null;
  }>(sql`
    with ids as (select unnest(${ids}::uuid[]) as client_id),
    all_events as (
      select e.client_id,
             coalesce(sum(e.amount) filter (where e.type = 'payment'), 0) as ltv,
             max(e.occurred_at) as last_activity_at
      from events e join ids using (client_id)
      where e.workspace_id = ${workspaceId}
      group by e.client_id
    ),
    gaps as (
      select e.client_id, e.occurred_at,
             extract(epoch from e.occurred_at - lag(e.occurred_at) over (partition by e.client_id order by e.occurred_at))
               / 86400 as gap_days
      from events e join ids using (client_id)
      where e.workspace_id = ${workspaceId} and e.type = 'booking'
    ),
    bookings as (
      select client_id, count(*)::int as bookings, max(occurred_at) as last_booking_at,
             percentile_cont(0.5) within group (order by gap_days) as median_days
      from gaps group by client_id
    )
    select ids.client_id,
           coalesce(a.ltv, 0)::float8 as ltv,
           coalesce(b.bookings, 0) as bookings,
           round(b.median_days::numeric, 2)::float8 as median_days,
           to_char(b.last_booking_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_booking_at,
           to_char(a.last_activity_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as last_activity_at
    from ids left join all_events a using (client_id) left join bookings b using (client_id)`);
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
        window.from ? sql`${events.occurredAt} >= ${window.from}::timestamptz` : undefined,
        window.to ? sql`${events.occurredAt} < ${window.to}::timestamptz` : undefined,
        window.before
          ? sql`(${events.occurredAt}, ${events.id}) < (${window.before.at}::timestamptz, ${window.before.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(sql`${events.occurredAt} desc, ${events.id} desc`)
    .limit(window.limit);
}
