import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import type { Database, DbOrTx } from '../../platform/db/db.ts';

/**
 * Kept event windows: per (workspace, event type, n days; 0 = all time), each client's count and
 * sum of those events as of T0 (`event_windows.computed_at`), in `event_window_aggregates`.
 *
 * Why: "≥ 3 bookings in 180 days" over a million clients otherwise aggregates every one of the
 * millions of bookings in the window, 2–3 s however it is written (bench/segments.ts); kept, it is
 * an index range of the clients whose kept count passes.
 *
 * Exact at any later instant t, without a refresh. For a client whose events did not change since
 * T0, its value over [t − n, t] is the kept value over [T0 − n, T0], minus its events in
 * [T0 − n, t − n) (slid out), plus those in (T0, t] (slid in, future-dated at T0); all time
 * has no bounds (future-dated events count, as the compiler counts them) and slides nothing. So every client
 * with an event in either slice, and every client marked in `event_aggregate_changes` (the
 * statement triggers of migration 0017 mark any client whose events of the type were inserted,
 * updated, deleted or moved since T0) is "changed" and evaluated from its own events; the others
 * read the kept row. With an hourly refresh the slices hold an hour of events each.
 *
 * Live clients: the kept rows are of clients live at T0; one erased since is excluded by the
 * caller (the compiled query reads `clients c … erased_at is null`, the count fast path anti-joins
 * the few erased clients).
 */

const DAY_MS = 86_400_000;
/** A window unused this long is dropped with its rows. */
const UNUSED_DAYS = 7;

export const windowKey = (type: string, days: number) => `${days}:${type}`;

/** The workspace's built windows as one json array of [type, days, T0] (a scalar subquery). */
export function keptEventWindowsJsonSql(workspaceId: SQLWrapper): SQL {
  return sql`(select coalesce(json_agg(json_build_array(w.type, w.window_days, w.computed_at)), '[]'::json)
    from event_windows w where w.workspace_id = ${workspaceId} and w.computed_at is not null)`;
}

export function keptEventWindowsFromJson(json: unknown): Map<string, Date> {
  return new Map(
    (json as [string, number, string][]).map(([type, days, t0]) => [windowKey(type, days), new Date(t0)]),
  );
}

/** The workspace's built windows: key → T0. */
export async function keptEventWindows(db: DbOrTx, workspaceId: string): Promise<Map<string, Date>> {
  const result = await db.execute<{ windows: unknown }>(
    sql`select ${keptEventWindowsJsonSql(sql`${workspaceId}::uuid`)} as windows`,
  );
  return keptEventWindowsFromJson(result.rows[0]!.windows);
}

export interface WantedWindow {
  type: string;
  days: number;
}

/**
 * A tree used these windows: new ones are recorded and a build is queued; known ones have their
 * last use touched (at most once an hour, so evaluations rarely write).
 */
export async function requestEventWindows(db: DbOrTx, workspaceId: string, wanted: WantedWindow[]) {
  const unique = [...new Map(wanted.map((w) => [windowKey(w.type, w.days), w])).values()];
  if (!unique.length) return;
  const result = await db.execute<{ built: boolean }>(sql`
    insert into event_windows (workspace_id, type, window_days)
    select ${workspaceId}::uuid, w.type, w.days from jsonb_to_recordset(${JSON.stringify(unique)}::jsonb) as w(type text, days int)
    on conflict (workspace_id, type, window_days) do update set last_used_at = now()
      where event_windows.last_used_at < now() - interval '1 hour'
    returning computed_at is not null as built`);
  if (result.rows.some((r) => !r.built)) await queueWindowBuild(db, workspaceId);
}

export const EVENT_WINDOWS_TASK = 'segments.event_windows';

async function queueWindowBuild(db: DbOrTx, workspaceId: string) {
  await db.execute(sql`select graphile_worker.add_job(${EVENT_WINDOWS_TASK},
    json_build_object('workspace_id', ${workspaceId}::text),
    job_key => ${`${EVENT_WINDOWS_TASK}:${workspaceId}`}, max_attempts => 5)`);
}

/**
 * Drops windows unused for a week, then rebuilds every event type of the workspace that has a
 * window never built or older than `maxAgeMs` (all windows of a type together, under the type's
 * lock). Called by the build job and by the hourly count job before it counts.
 */
export async function refreshEventWindows(
  db: Database,
  workspaceId: string,
  options: {
    maxAgeMs: number;
    /** Tests: the instant T0 to compute the windows for (default: the database's clock). */
    asOf?: Date;
  },
): Promise<{ types: string[]; dropped: number }> {
  const dropped = await db.execute<{ type: string; window_days: number }>(sql`
    delete from event_windows where workspace_id = ${workspaceId}
      and last_used_at < now() - make_interval(days => ${UNUSED_DAYS})
    returning type, window_days`);
  for (const row of dropped.rows)
    await db.execute(sql`delete from event_window_aggregates where workspace_id = ${workspaceId}
      and type = ${row.type} and window_days = ${row.window_days}`);
  const stale = await db.execute<{ type: string }>(sql`
    select type from event_windows where workspace_id = ${workspaceId} group by type
    having bool_or(computed_at is null or computed_at < now() - make_interval(secs => ${options.maxAgeMs / 1000}))`);
  const types = stale.rows.map((r) => r.type);
  for (const type of types) await rebuildType(db, workspaceId, type, options.asOf);
  return { types, dropped: dropped.rowCount ?? 0 };
}

/**
 * Rebuilds one type's windows at T0 = now. The exclusive lock waits for every transaction that
 * wrote events of the type (the triggers hold it shared until commit) and keeps new ones waiting
 * until this commits; so each statement below sees all and only the committed events, and a
 * change mark it clears belongs to an event it counted.
 */
async function rebuildType(db: Database, workspaceId: string, type: string, asOf?: Date) {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(event_window_lock_key(${workspaceId}::uuid, ${type}))`);
    const windows = await tx.execute<{ window_days: number }>(sql`
      select window_days from event_windows where workspace_id = ${workspaceId} and type = ${type} for update`);
    const days = windows.rows.map((r) => r.window_days);
    if (!days.length) return;
    // Milliseconds, as computed_at and occurred_at keep them.
    const t0 =
      asOf ??
      new Date(
        (await tx.execute<{ t0: string }>(sql`select date_trunc('milliseconds', clock_timestamp()) as t0`))
          .rows[0]!.t0,
      );
    const at = sql`${t0.toISOString()}::timestamptz`;
    await tx.execute(
      sql`delete from event_window_aggregates where workspace_id = ${workspaceId} and type = ${type}`,
    );
    await tx.execute(sql`
      insert into event_window_aggregates (workspace_id, type, window_days, client_id, events, amount)
      select ${workspaceId}::uuid, ${type}, w.days, e.client_id, count(*)::int, coalesce(sum(e.amount), 0)
      from events e cross join unnest(${sql.param(days)}::int[]) as w(days)
      where e.workspace_id = ${workspaceId} and e.type = ${type}
        and (w.days = 0 or (e.occurred_at <= ${at}
          and e.occurred_at >= ${at} - w.days * interval '${sql.raw(String(DAY_MS))} milliseconds'))
        and not exists (select 1 from clients x where x.workspace_id = ${workspaceId}
          and x.erased_at is not null and x.id = e.client_id)
      group by w.days, e.client_id`);
    await tx.execute(
      sql`delete from event_aggregate_changes where workspace_id = ${workspaceId} and type = ${type}`,
    );
    await tx.execute(sql`update event_windows set computed_at = ${at}
      where workspace_id = ${workspaceId} and type = ${type}`);
  });
}

export interface KeptEventCondition {
  workspaceId: string;
  type: string;
  days: number;
  /** T0 of the window's kept rows. */
  computedAt: Date;
  now: Date;
  measure: 'count' | 'sum';
  /** The comparison on a client's value (an integer column for counts, numeric for sums). */
  compare: (value: SQL) => SQL;
}

/**
 * The clients (of the workspace, each once; erased ones not removed) with at least one event of
 * the type in the window at `now` whose value passes `compare` — exact, from the kept rows and the
 * changed clients' own events (see the header). A client with no such event is never in it.
 */
export function keptEventClients(q: KeptEventCondition): SQL {
  const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;
  const since = new Date(q.now.getTime() - q.days * DAY_MS);
  const keptSince = new Date(q.computedAt.getTime() - q.days * DAY_MS);
  // All time (0 days) has no bounds, future-dated events included, so nothing slides.
  const slid =
    q.days > 0
      ? sql` union select ev.client_id from events ev where ev.workspace_id = ${q.workspaceId} and ev.type = ${q.type}
        and ((ev.occurred_at >= ${ts(keptSince)} and ev.occurred_at < ${ts(since)})
          or (ev.occurred_at > ${ts(q.computedAt)} and ev.occurred_at <= ${ts(q.now)}))`
      : sql``;
  const inWindow =
    q.days > 0 ? sql` and ev.occurred_at >= ${ts(since)} and ev.occurred_at <= ${ts(q.now)}` : sql``;
  const measure = q.measure === 'sum' ? sql`coalesce(sum(ev.amount), 0)` : sql`count(*)`;
  const kept = q.measure === 'sum' ? sql`k.amount` : sql`k.events`;
  // The changed clients, written out twice rather than as a CTE: a CTE read twice is materialized,
  // and a plan reading one may not run in parallel (bench/segments.ts: 1.6× slower).
  const changed = sql`select d.client_id from event_aggregate_changes d
    where d.workspace_id = ${q.workspaceId} and d.type = ${q.type}${slid}`;
  return sql`select k.client_id from event_window_aggregates k
    where k.workspace_id = ${q.workspaceId} and k.type = ${q.type} and k.window_days = ${q.days}
      and ${q.compare(kept)} and not exists (select 1 from (${changed}) a where a.client_id = k.client_id)
    union all
    select a.client_id from (${changed}) a
    where ${q.compare(sql`(select ${measure} from events ev where ev.workspace_id = ${q.workspaceId}
      and ev.type = ${q.type} and ev.client_id = a.client_id${inWindow})`)}`;
}
