/**
 * Benchmark dataset: N clients and M events in one workspace, with realistic distributions, written
 * set-based (INSERT … SELECT from generate_series with deterministic pseudo-random expressions) in
 * chunks on two connections, with progress on stderr.
 *
 *   node bin/run-ts.mjs bench/data-generator.ts --clients 1000000 --events 10000000 --database-url postgres://…
 *
 * What it writes (all deterministic for a given --seed, except uuids of events, tags and the like):
 * - a workspace (or the one given), 5 locations, 3 custom fields (number, select, date), 10 tags;
 * - clients: Spanish (60 %), French (25 %) and English (15 %) names with accents, ~85 % with an email,
 *   ~90 % with an E.164 mobile, city, country, locale, time zone, source, label, external id (70 %),
 *   home location, birthday, custom values, consent columns (with their history in consent_events),
 *   created over the last 3 years (more of them recently), 0.2 % erased (anonymised);
 * - `clients.search_text` exactly as the product computes it (searchTextOf/foldText in
 *   clients.service.ts), checked on a sample against those functions at the end;
 * - tags: 10, membership probability 0.35 / rank;
 * - events: heavy-tailed per client (40 % of clients have 0–3, a long tail has 100+), booking 36 %,
 *   payment 30 % (amounts, log-normal), visit 24 %, support 10 %, over the last 2 years, written in
 *   time order (month by month) like a live system writes them, locations, reference ids and
 *   properties such as {"category":"kayak"};
 * - the score columns (lifetime_value, booking_count, visit_frequency_days, last_booking_at,
 *   last_activity_at) computed from the events by the same aggregate as the product's
 *   `aggregateActivity`, in one set-based statement per half of the clients, and risk_score by the
 *   formula of src/modules/events/risk.ts as of the generation time;
 * - ANALYZE at the end.
 *
 * Speed: on an empty database the secondary indexes (and the primary keys nobody references) of the
 * four big tables are dropped before the load and rebuilt after it (their definitions are kept in
 * `bench_gen_dropped_indexes` until then, so an interrupted run is repaired by the next one), and
 * foreign-key triggers are skipped (session_replication_role = replica, superuser only; the data is
 * consistent by construction). As a non-superuser on an empty database the foreign keys are dropped
 * and re-added instead, which validates them.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { foldText, searchTextOf } from '../src/modules/clients/clients.service.ts';
import { createCustomField, listCustomFields } from '../src/modules/custom-fields/custom-fields.service.ts';
import { riskScore } from '../src/modules/events/risk.ts';
import { createLocation, listLocations } from '../src/modules/locations/locations.service.ts';
import { ensureTags } from '../src/modules/tags/tags.service.ts';
import { createWorkspace } from '../src/modules/workspaces/workspaces.service.ts';
import { systemContext } from '../src/platform/auth/context.ts';
import { createDb } from '../src/platform/db/db.ts';
import {
  BOOKING_CHANNELS,
  CITIES,
  COUNTRY,
  CURRENCY,
  EMAIL_DOMAINS,
  EVENT_CATEGORIES,
  emailSlug,
  FIRST_NAMES,
  LANGS,
  LAST_NAMES,
  LOCATIONS,
  PAYMENT_METHODS,
  SKILL_LEVELS,
  SOURCES,
  SUPPORT_TOPICS,
  TAGS,
  TIMEZONE,
} from './lib/clients-names.ts';
import { CLK_TCK, isMain, machineTicks, procStat } from './lib/proc.ts';

/** Bump when the generated data changes shape, so cached benchmark clusters are rebuilt. */
export const GENERATOR_VERSION = 4;

export interface GenerateOptions {
  clients: number;
  events: number;
  /** An existing workspace without clients; a new "Bench dataset" workspace when absent. */
  workspaceId?: string;
  seed?: number;
  /** Progress lines; stderr by default. */
  log?: (line: string) => void;
  /** Time-ordered insert passes over the 2 years of events. Default 8 (three months each). */
  eventMonths?: number;
}

export interface DatasetStats {
  clients: number;
  events: number;
  erased: number;
  withEmail: number;
  withPhone: number;
  withExternalId: number;
  clientTags: number;
  consentEvents: number;
  eventsByType: Record<string, number>;
  eventsPerClient: {
    zero: number;
    oneToThree: number;
    fourTo99: number;
    hundredPlus: number;
    max: number;
    p50: number;
    p90: number;
    p99: number;
  };
  payments: { sum: number; p50: number; p99: number };
}

export interface GenerateResult {
  workspaceId: string;
  locationIds: string[];
  seed: number;
  ms: number;
  phases: Array<{ name: string; ms: number; backendCpuS: number | null; machineBusyPct: number }>;
  fastPath: { droppedIndexes: number; replicationRoleReplica: boolean; droppedForeignKeys: number };
  stats: DatasetStats;
  check: { sampled: number; searchTextMismatches: number; riskMismatches: number; ms: number };
  generatedAt: string;
}

const BIG_TABLES = ['clients', 'events', 'client_tags', 'consent_events'] as const;
const DAY_S = 86_400;

/** Deterministic uniform [0, 1) from an integer expression and a stream number (inlined SQL). */
function uniform(seed: number) {
  return (n: string, k: number) =>
    `((hashint8extended((${n})::bigint, ${seed * 1000 + k}) & 2147483647)::float8 / 2147483648.0)`;
}

function lit(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function textArray(values: readonly string[]): string {
  return `array[${values.map(lit).join(',')}]::text[]`;
}

/** Zipf-ish pick from a per-language slice of a flat 1-based array: offsets and lengths by lang. */
function flat(lists: Record<string, readonly string[]>, map: (s: string) => string = (s) => s) {
  const all: string[] = [];
  const offsets: number[] = [];
  const lengths: number[] = [];
  for (const lang of LANGS) {
    offsets.push(all.length);
    lengths.push(lists[lang]!.length);
    all.push(...lists[lang]!.map(map));
  }
  return { all, offsets, lengths };
}

function pickExpr(arr: string, offsets: number[], lengths: number[], lang: string, u: string, power = 1) {
  const off = `(array[${offsets.join(',')}])[${lang} + 1]`;
  const len = `(array[${lengths.join(',')}])[${lang} + 1]`;
  const skew = power === 1 ? u : `power(${u}, ${power})`;
  return `(${arr})[${off} + 1 + floor(${len} * ${skew})::int]`;
}

type Log = (line: string) => void;

/** Wall time per phase, with the CPU our PostgreSQL backends used and how busy the whole machine was. */
class Phases {
  readonly list: Array<{ name: string; ms: number; backendCpuS: number | null; machineBusyPct: number }> = [];
  private readonly started = performance.now();
  /** Backend pids of our connections (when the server runs on this machine). */
  pids: number[] = [];
  constructor(private readonly log: Log) {}
  private backendTicks(): number | null {
    if (!this.pids.length) return null;
    let sum = 0;
    for (const pid of this.pids) {
      const stat = procStat(pid);
      if (!stat) return null;
      sum += stat.cpuTicks;
    }
    return sum;
  }
  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const ticks0 = this.backendTicks();
    const m0 = machineTicks();
    const out = await fn();
    const ms = performance.now() - t0;
    const ticks1 = this.backendTicks();
    const m1 = machineTicks();
    const total = m1.busy + m1.idle + m1.steal - (m0.busy + m0.idle + m0.steal);
    const machineBusyPct = total > 0 ? ((m1.busy - m0.busy) / total) * 100 : 0;
    const backendCpuS = ticks0 !== null && ticks1 !== null ? (ticks1 - ticks0) / CLK_TCK : null;
    this.list.push({ name, ms, backendCpuS, machineBusyPct });
    const cpu = backendCpuS === null ? '' : `, backends ${backendCpuS.toFixed(1)} CPU-s`;
    this.log(
      `${name}: ${(ms / 1000).toFixed(1)} s (total ${this.elapsed()}${cpu}, machine ${machineBusyPct.toFixed(0)} % busy)`,
    );
    return out;
  }
  elapsed(): string {
    return `${((performance.now() - this.started) / 1000).toFixed(1)} s`;
  }
}

/** A syntax error in generated SQL says where: the statement text around the error position. */
function withContext(client: pg.Client): pg.Client {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as unknown as { query: unknown }).query = async (...args: unknown[]) => {
    try {
      return await query(...args);
    } catch (error) {
      const position = Number((error as { position?: string }).position);
      if (typeof args[0] === 'string' && position > 0 && error instanceof Error)
        error.message += ` — at: …${args[0].slice(Math.max(0, position - 120), position + 40)}…`;
      throw error;
    }
  };
  return client;
}

async function connect(url: string, replica: boolean): Promise<pg.Client> {
  const client = withContext(
    new pg.Client({ connectionString: url, application_name: 'clientela-bench-generator' }),
  );
  client.on('error', () => undefined);
  await client.connect();
  await client.query(`set synchronous_commit = off`);
  await client.query(`set work_mem = '256MB'`);
  await client.query(`set maintenance_work_mem = '2GB'`);
  // We run two builds at a time on two connections ourselves; PostgreSQL helpers would oversubscribe 2 cores.
  await client.query(`set max_parallel_maintenance_workers = 0`);
  await client.query(`set statement_timeout = '30min'`);
  if (replica) await client.query(`set session_replication_role = replica`);
  return client;
}

/** Runs the tasks on the given connections, each connection taking the next task when it is free. */
async function onWorkers<T>(
  workers: pg.Client[],
  tasks: T[],
  run: (worker: pg.Client, task: T) => Promise<void>,
) {
  let next = 0;
  await Promise.all(
    workers.map(async (worker) => {
      while (next < tasks.length) {
        const task = tasks[next++]!;
        await run(worker, task);
      }
    }),
  );
}

interface DroppedIndex {
  tbl: string;
  name: string;
  def: string;
  isConstraint: boolean;
  kind: 'index' | 'fk' | 'reloption';
}

async function ensureDroppedTable(db: pg.Client) {
  await db.query(`create table if not exists bench_gen_dropped_indexes (
    tbl text not null, name text primary key, def text not null, is_constraint boolean not null, kind text not null)`);
}

/** Re-creates whatever an earlier (or this) run dropped and has not put back yet. */
export async function restoreDroppedIndexes(url: string, log: Log = () => undefined, workers?: pg.Client[]) {
  const own = workers ?? [await connect(url, false)];
  try {
    const db = own[0]!;
    const exists = await db.query(`select to_regclass('bench_gen_dropped_indexes') is not null as e`);
    if (!exists.rows[0].e) return 0;
    const rows = (
      await db.query<{ tbl: string; name: string; def: string; is_constraint: boolean; kind: string }>(
        `select * from bench_gen_dropped_indexes order by kind desc, tbl, name`,
      )
    ).rows;
    // Indexes first (biggest tables first, so the two connections finish together), foreign keys after.
    const order = (t: string) => ({ events: 0, clients: 1, consent_events: 2, client_tags: 3 })[t] ?? 4;
    const indexes = rows.filter((r) => r.kind === 'index').sort((a, b) => order(a.tbl) - order(b.tbl));
    const trgm = indexes.filter((r) => r.def.includes('gin_trgm_ops'));
    const rest = indexes.filter((r) => !r.def.includes('gin_trgm_ops'));
    const queue = [...trgm, ...rest];
    await onWorkers(own, queue, async (worker, r) => {
      const t0 = performance.now();
      const present = await worker.query(`select to_regclass($1) is not null as e`, [r.name]);
      if (!present.rows[0].e) {
        await worker.query(
          r.is_constraint ? `alter table ${r.tbl} add constraint ${r.name} ${r.def}` : r.def,
        );
      }
      await worker.query(`delete from bench_gen_dropped_indexes where name = $1`, [r.name]);
      log(`  index ${r.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    });
    for (const r of rows.filter((x) => x.kind === 'fk')) {
      const t0 = performance.now();
      const present = await db.query(`select 1 from pg_constraint where conname = $1`, [r.name]);
      if (!present.rowCount) await db.query(`alter table ${r.tbl} add constraint ${r.name} ${r.def}`);
      await db.query(`delete from bench_gen_dropped_indexes where name = $1`, [r.name]);
      log(`  foreign key ${r.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    // Autovacuum back on, as the table had it (name = "<table>.autovacuum_enabled", def = the old value or '').
    for (const r of rows.filter((x) => x.kind === 'reloption')) {
      await db.query(
        r.def
          ? `alter table ${r.tbl} set (autovacuum_enabled = ${r.def === 'false' ? 'false' : 'true'})`
          : `alter table ${r.tbl} reset (autovacuum_enabled)`,
      );
      await db.query(`delete from bench_gen_dropped_indexes where name = $1`, [r.name]);
    }
    await db.query(`drop table if exists bench_gen_dropped_indexes`);
    return rows.filter((x) => x.kind !== 'reloption').length;
  } finally {
    if (!workers) for (const w of own) await w.end().catch(() => undefined);
  }
}

/** Drops the secondary indexes (and unreferenced primary keys) of the big tables; they must be empty. */
async function dropIndexes(db: pg.Client, dropForeignKeys: boolean): Promise<DroppedIndex[]> {
  await ensureDroppedTable(db);
  const dropped: DroppedIndex[] = [];
  const found = await db.query<{
    tbl: string;
    name: string;
    idxdef: string;
    conname: string | null;
    condef: string | null;
    referenced: boolean;
  }>(
    `select c.relname as tbl, ic.relname as name, pg_get_indexdef(i.indexrelid) as idxdef,
            con.conname, pg_get_constraintdef(con.oid) as condef,
            exists (select 1 from pg_constraint f where f.contype = 'f' and f.conindid = i.indexrelid) as referenced
     from pg_index i
     join pg_class c on c.oid = i.indrelid
     join pg_class ic on ic.oid = i.indexrelid
     join pg_namespace ns on ns.oid = c.relnamespace and ns.nspname = current_schema()
     left join pg_constraint con on con.conindid = i.indexrelid and con.contype in ('p', 'u') and con.conrelid = c.oid
     where c.relname = any($1::text[])`,
    [BIG_TABLES],
  );
  const fks = dropForeignKeys
    ? (
        await db.query<{ tbl: string; name: string; def: string }>(
          `select c.relname as tbl, con.conname as name, pg_get_constraintdef(con.oid) as def
           from pg_constraint con join pg_class c on c.oid = con.conrelid
           join pg_namespace ns on ns.oid = c.relnamespace and ns.nspname = current_schema()
           where con.contype = 'f' and c.relname = any($1::text[])`,
          [BIG_TABLES],
        )
      ).rows
    : [];
  const options = (
    await db.query<{ tbl: string; value: string | null }>(
      `select c.relname as tbl,
              (select split_part(o, '=', 2) from unnest(c.reloptions) o where o like 'autovacuum_enabled=%') as value
       from pg_class c join pg_namespace ns on ns.oid = c.relnamespace and ns.nspname = current_schema()
       where c.relname = any($1::text[]) and c.relkind = 'r'`,
      [BIG_TABLES],
    )
  ).rows;
  await db.query('begin');
  try {
    // No autovacuum while the tables fill up: it would vacuum and analyze them again and again,
    // competing for the two cores. It is switched back on with the indexes.
    for (const o of options) {
      const name = `${o.tbl}.autovacuum_enabled`;
      await db.query(
        `insert into bench_gen_dropped_indexes values ($1, $2, $3, false, 'reloption') on conflict do nothing`,
        [o.tbl, name, o.value ?? ''],
      );
      await db.query(`alter table ${o.tbl} set (autovacuum_enabled = false)`);
      dropped.push({ tbl: o.tbl, name, def: o.value ?? '', isConstraint: false, kind: 'reloption' });
    }
    for (const fk of fks) {
      await db.query(
        `insert into bench_gen_dropped_indexes values ($1, $2, $3, true, 'fk') on conflict do nothing`,
        [fk.tbl, fk.name, fk.def],
      );
      await db.query(`alter table ${fk.tbl} drop constraint ${fk.name}`);
      dropped.push({ tbl: fk.tbl, name: fk.name, def: fk.def, isConstraint: true, kind: 'fk' });
    }
    for (const r of found.rows) {
      if (r.referenced) continue; // clients_pkey: the foreign keys of every other table need it
      const isConstraint = r.conname !== null;
      const def = isConstraint ? r.condef! : r.idxdef;
      await db.query(
        `insert into bench_gen_dropped_indexes values ($1, $2, $3, $4, 'index') on conflict do nothing`,
        [r.tbl, r.name, def, isConstraint],
      );
      await db.query(
        isConstraint ? `alter table ${r.tbl} drop constraint ${r.name}` : `drop index ${r.name}`,
      );
      dropped.push({ tbl: r.tbl, name: r.name, def, isConstraint, kind: 'index' });
    }
    await db.query('commit');
  } catch (error) {
    await db.query('rollback');
    throw error;
  }
  return dropped;
}

/**
 * risk_score as src/modules/events/risk.ts computes it (Math.round = floor(x + 0.5) for x ≥ 0), from
 * the score columns of relation alias `s` (ltv, bookings, median_days, last_booking_at, last_activity_at).
 */
export function riskSql(s: string, createdAt: string, nowS: number): string {
  const own = `(coalesce(${s}.bookings, 0) >= 2 and ${s}.median_days is not null)`;
  const interval = `greatest(1, case when ${own} then ${s}.median_days::float8 else 90 end)`;
  const reference = `coalesce(case when coalesce(${s}.bookings, 0) > 0 then ${s}.last_booking_at end, ${s}.last_activity_at, ${createdAt})`;
  const overdue = `(greatest(0, extract(epoch from (to_timestamp(${nowS}) - ${reference}))::float8 / 86400) / ${interval})`;
  const base = `(100 / (1 + exp(least(700, -2.5 * (${overdue} - 1.5)))))`;
  const f = `least(1, ln((1 + greatest(0, coalesce(${s}.bookings, 0)))::float8) / ln(21::float8))`;
  const m = `least(1, log((1 + greatest(0, coalesce(${s}.ltv, 0)))::float8) / 4)`;
  return `least(100, greatest(0, floor(${base} * (1 - 0.15 * ${f} - 0.1 * ${m}) + 0.5)))::smallint`;
}

/** The product's aggregateActivity (events.repo.ts) for the clients in `ids` ($2::uuid[], distinct) of workspace $1. */
export const ACTIVITY_AGGREGATE_SQL = `
  with ids as (select unnest($2::uuid[]) as client_id),
  all_events as (
    select e.client_id, coalesce(sum(e.amount) filter (where e.type = 'payment'), 0) as ltv,
           max(e.occurred_at) as last_activity_at
    from events e join ids using (client_id)
    where e.workspace_id = $1
    group by e.client_id
  ),
  gaps as (
    select e.client_id, e.occurred_at,
           extract(epoch from e.occurred_at - lag(e.occurred_at) over (partition by e.client_id order by e.occurred_at)) / 86400 as gap_days
    from events e join ids using (client_id)
    where e.workspace_id = $1 and e.type = 'booking'
  ),
  bookings as (
    select client_id, count(*)::int as bookings, max(occurred_at) as last_booking_at,
           percentile_cont(0.5) within group (order by gap_days) as median_days
    from gaps group by client_id
  )
  select ids.client_id, coalesce(a.ltv, 0) as ltv, coalesce(b.bookings, 0) as bookings,
         round(b.median_days::numeric, 2) as median_days, b.last_booking_at, a.last_activity_at
  from ids left join all_events a using (client_id) left join bookings b using (client_id)`;

/**
 * Puts the score columns (and risk, as of now) of these clients back in line with their events, the
 * way the generator wrote them: used by the benchmark to restore a cached dataset after ingesting.
 */
export async function rescoreClients(
  db: pg.Pool | pg.Client,
  workspaceId: string,
  ids: string[],
): Promise<number> {
  if (!ids.length) return 0;
  const nowS = Math.floor(Date.now() / 1000);
  const r = await db.query(
    `with s as (${ACTIVITY_AGGREGATE_SQL})
     update clients c set lifetime_value = s.ltv, booking_count = s.bookings, visit_frequency_days = s.median_days,
            last_booking_at = s.last_booking_at, last_activity_at = s.last_activity_at,
            risk_score = ${riskSql('s', 'c.created_at', nowS)},
            updated_at = greatest(c.created_at, s.last_activity_at)
     from s where c.id = s.client_id and c.workspace_id = $1`,
    [workspaceId, ids],
  );
  return r.rowCount ?? 0;
}

function percentileOf(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export async function generateDataset(url: string, options: GenerateOptions): Promise<GenerateResult> {
  const N = Math.floor(options.clients);
  const E = Math.floor(options.events);
  if (!(N >= 1) || !(E >= 0)) throw new Error('clients must be ≥ 1 and events ≥ 0');
  if (N >= 10_000_000)
    throw new Error('at most 9,999,999 clients (phone numbers are unique by construction below that)');
  const seed = options.seed ?? 20261122;
  const log: Log = options.log ?? ((line) => process.stderr.write(`[generator] ${line}\n`));
  const months = options.eventMonths ?? 8;
  const phases = new Phases(log);
  const U = uniform(seed);
  const t0 = performance.now();
  const now = new Date();
  const nowS = Math.floor(now.getTime() / 1000);

  const handle = createDb(url, { max: 2, applicationName: 'clientela-bench-generator' });
  const admin = await connect(url, false);
  const superuser =
    (await admin.query(`select rolsuper from pg_roles where rolname = current_user`)).rows[0]?.rolsuper ===
    true;
  const workers: pg.Client[] = [];
  let dropped: DroppedIndex[] = [];
  try {
    // An interrupted earlier run may have left indexes dropped: put them back first.
    const repaired = await restoreDroppedIndexes(url, log, [admin]);
    if (repaired) log(`restored ${repaired} indexes an interrupted run had dropped`);

    // ---- workspace, locations, custom fields, tags (through the product's services) -------------
    const setup = await phases.run('workspace, locations, custom fields, tags', async () => {
      const db = handle.db;
      const workspace = options.workspaceId
        ? { id: options.workspaceId }
        : await createWorkspace(db, { name: 'Bench dataset' });
      const ctx = systemContext(workspace.id, 'bench data generator');
      const existing = await admin.query(`select count(*)::int as n from clients where workspace_id = $1`, [
        workspace.id,
      ]);
      if (existing.rows[0].n > 0)
        throw new Error(`workspace ${workspace.id} already has clients; generate into a new one`);
      let locations = await listLocations(db, workspace.id);
      if (!locations.length) {
        for (const l of LOCATIONS) await createLocation(db, ctx, { name: l.name, timezone: l.timezone });
        locations = await listLocations(db, workspace.id);
      }
      const fields = new Set((await listCustomFields(db, workspace.id, true)).map((f) => f.key));
      if (!fields.has('shoe_size'))
        await createCustomField(db, ctx, {
          key: 'shoe_size',
          label: 'Shoe size',
          type: 'number',
          section: 'Equipment',
          position: 1,
        });
      if (!fields.has('skill_level'))
        await createCustomField(db, ctx, {
          key: 'skill_level',
          label: 'Skill level',
          type: 'select',
          options: [...SKILL_LEVELS],
          section: 'Equipment',
          position: 2,
        });
      if (!fields.has('membership_expires'))
        await createCustomField(db, ctx, {
          key: 'membership_expires',
          label: 'Membership expires',
          type: 'date',
          section: 'Membership',
          position: 3,
        });
      const tags = await ensureTags(db, workspace.id, [...TAGS]);
      return {
        workspaceId: workspace.id,
        locationIds: locations.map((l) => l.id),
        tagIds: tags.map((t) => t.id),
      };
    });
    const ws = setup.workspaceId;

    // ---- fast path: drop indexes of empty tables, skip foreign-key triggers ----------------------
    const empty = (
      await admin.query(
        `select not exists (select 1 from clients) and not exists (select 1 from events)
            and not exists (select 1 from client_tags) and not exists (select 1 from consent_events) as e`,
      )
    ).rows[0].e as boolean;
    if (!superuser && !empty)
      throw new Error(
        'generating into a database that already has clients or events needs a superuser (to skip foreign-key triggers)',
      );
    if (empty)
      dropped = await phases.run('drop indexes of the empty tables', () => dropIndexes(admin, !superuser));
    workers.push(await connect(url, superuser), await connect(url, superuser));
    for (const c of [admin, ...workers])
      phases.pids.push((await c.query(`select pg_backend_pid() as pid`)).rows[0].pid);

    // ---- the plan: one row per client with its language, dates and number of events -------------
    const T0 = nowS - months * 30 * DAY_S; // events happen in [T0, now - 1 h]
    const evTo = nowS - 3600;
    const created0 = nowS - 3 * 365 * DAY_S;
    const locCount = setup.locationIds.length;
    await phases.run('plan (events per client, heavy-tailed)', async () => {
      await admin.query(`drop table if exists bench_gen_plan, bench_gen_scores`);
      // 40 % of clients have 0–3 events; the others share the rest by a Pareto(1.5) weight (capped),
      // with exact totals: cnt = floor(cw·R/W) − floor(cw_prev·R/W) over the cumulative weight cw.
      await admin.query(`
        create unlogged table bench_gen_plan as
        with base as (
          select n,
                 md5(${lit(ws)} || ':' || n)::uuid as id,
                 case when ${U('n', 1)} < 0.6 then 0 when ${U('n', 1)} < 0.85 then 1 else 2 end as lang,
                 -- more clients recently: density grows linearly over the 3 years, in n order
                 ${created0} + floor(${3 * 365 * DAY_S} * sqrt((n - 1 + ${U('n', 2)}) / ${N}::float8))::bigint as created_s,
                 ${U('n', 20)} < 0.4 as low,
                 floor(${U('n', 21)} * 4)::int as low_cnt,
                 least(300.0, power(greatest(${U('n', 22)}, 1e-9), -1 / 1.5)) as w,
                 ${U('n', 3)} < 0.002 as erased,
                 case when ${U('n', 23)} < 0.85 then 1 + floor(${U('n', 24)} * ${locCount})::int end as loc
          from generate_series(1, ${N}) n
        ),
        cum as (
          select *, sum(case when low then 0 else w end) over (order by n) as cw,
                 sum(case when low then 0 else w end) over () as wt,
                 greatest(0, ${E} - sum(case when low then low_cnt else 0 end) over ()) as rest
          from base
        ),
        counts as (
          select *, case when low then low_cnt
                    else (floor(cw * rest / nullif(wt, 0)) - floor(coalesce(lag(cw) over (order by n), 0) * rest / nullif(wt, 0)))::int
                    end as cnt
          from cum
        )
        select n, id, lang, created_s, erased, loc, cnt,
               (sum(cnt) over (order by n) - cnt)::bigint as ev_start,
               greatest(created_s, ${T0})::float8 as from_s,
               greatest(60, ${evTo} - greatest(created_s, ${T0}))::float8 as span_s
        from counts`);
      await admin.query(`alter table bench_gen_plan add primary key (n)`);
      await admin.query(`analyze bench_gen_plan`);
    });

    // ---- events, month by month (time order), two halves of the clients in parallel -------------
    const eventsTotal = Number(
      (await admin.query(`select coalesce(sum(cnt), 0)::bigint as e from bench_gen_plan`)).rows[0].e,
    );
    const sliceS = (nowS - T0) / months;
    const half = Math.ceil(N / 2);
    const ranges: Array<[number, number]> =
      N > 1
        ? [
            [1, half],
            [half + 1, N],
          ]
        : [[1, N]];
    const iAt = (t: string) =>
      `greatest(0, least(p.cnt, ceil(p.cnt * ((${t})::float8 - p.from_s) / p.span_s)))::int`;
    const e = '(p.ev_start + i)';
    const type = `case when ${U(e, 31)} < 0.36 then 'booking' when ${U(e, 31)} < 0.66 then 'payment'
                       when ${U(e, 31)} < 0.90 then 'visit' else 'support' end`;
    const nCat = EVENT_CATEGORIES.length;
    const nChan = BOOKING_CHANNELS.length;
    const nPay = PAYMENT_METHODS.length;
    const nTopic = SUPPORT_TOPICS.length;
    const nBooking = nCat * nChan * 6;
    const properties = [
      ...EVENT_CATEGORIES.flatMap((category) =>
        BOOKING_CHANNELS.flatMap((channel) =>
          [1, 2, 3, 4, 5, 6].map((party_size) => ({ category, channel, party_size })),
        ),
      ),
      ...PAYMENT_METHODS.map((method) => ({ method })),
      ...EVENT_CATEGORIES.map((category) => ({ category })),
      ...SUPPORT_TOPICS.flatMap((topic) => [false, true].map((resolved) => ({ topic, resolved }))),
    ].map((p) => JSON.stringify(p));
    const eventSql = `
      insert into events (id, workspace_id, client_id, type, occurred_at, amount, currency, location_id,
                          reference_id, properties, created_at, updated_at)
      select md5(int8send(g.e) || uuid_send(${lit(ws)}::uuid))::uuid, ${lit(ws)}::uuid, g.client_id, g.type, g.occ,
             case when g.type = 'payment' then
               least(2500, round(exp(3.3 + 0.85 * sqrt(-2 * ln(greatest(${U('g.e', 32)}, 1e-12))) * cos(2 * pi() * ${U('g.e', 33)}))::numeric, 2))
             end,
             case when g.type = 'payment' then (${textArray(LANGS.map((l) => CURRENCY[l]))})[g.lang + 1] end,
             case when (g.type in ('booking', 'visit') and ${U('g.e', 34)} < 0.75) or (g.type = 'payment' and ${U('g.e', 34)} < 0.3)
                  then ($1::uuid[])[case when g.loc is not null and ${U('g.e', 35)} < 0.8 then g.loc
                                         else 1 + floor(${U('g.e', 36)} * ${locCount})::int end]
             end,
             case when g.erased then null
                  when g.type = 'booking' and ${U('g.e', 37)} < 0.9 then 'BKG-' || g.e
                  when g.type = 'payment' and ${U('g.e', 37)} < 0.9 then 'PAY-' || g.e end,
             -- Properties come from a precomputed list of every combination (jsonb_build_object per
             -- row costs more than the rest of the row): [booking 8×6×6][payment 7][visit 8][support 6×2].
             case when g.erased then '{}'::jsonb
                  when g.type = 'booking' then ($6::jsonb[])[1 + floor(power(${U('g.e', 38)}, 1.6) * ${nCat})::int * ${nChan * 6}
                                                     + floor(${U('g.e', 39)} * ${nChan})::int * 6 + floor(power(${U('g.e', 40)}, 2) * 6)::int]
                  when g.type = 'payment' then ($6::jsonb[])[${1 + nBooking} + floor(${U('g.e', 39)} * ${nPay})::int]
                  when g.type = 'visit' then ($6::jsonb[])[${1 + nBooking + nPay} + floor(power(${U('g.e', 38)}, 1.6) * ${nCat})::int]
                  else ($6::jsonb[])[${1 + nBooking + nPay + nCat} + floor(${U('g.e', 39)} * ${nTopic})::int * 2 + (${U('g.e', 40)} < 0.85)::int]
             end,
             g.occ + make_interval(secs => 2 + floor(${U('g.e', 41)} * 600)),
             g.occ + make_interval(secs => 2 + floor(${U('g.e', 41)} * 600))
      from (
        select p.id as client_id, p.lang, p.loc, p.erased, ${e} as e, ${type} as type,
               to_timestamp(p.from_s + p.span_s * (i + ${U(e, 30)}) / p.cnt) as occ
        from (
          -- generate_series in the select list streams (ProjectSet); in FROM it would build a
          -- tuplestore per client and pass.
          select p.*, generate_series(${iAt('$2')}, ${iAt('$3')} - 1) as i
          from bench_gen_plan p
          where p.n between $4 and $5 and p.cnt > 0
            and p.from_s + p.span_s > $2 and p.from_s < $3
        ) p
      ) g`;
    let written = 0;
    await phases.run(
      `events (${eventsTotal.toLocaleString('en')} in ${months} time-ordered passes)`,
      async () => {
        for (let s = 0; s < months; s++) {
          const from = T0 + s * sliceS;
          const to = s === months - 1 ? nowS + DAY_S : T0 + (s + 1) * sliceS;
          await onWorkers(workers, ranges, async (worker, [a, b]) => {
            const r = await worker.query(eventSql, [setup.locationIds, from, to, a, b, properties]);
            written += r.rowCount ?? 0;
          });
          log(
            `  events: month ${s + 1}/${months}, ${written.toLocaleString('en')} written (${phases.elapsed()})`,
          );
        }
      },
    );
    if (written !== eventsTotal) throw new Error(`wrote ${written} events, planned ${eventsTotal}`);

    // ---- scores: the product's aggregateActivity, set-based, one statement per half ---------------
    await phases.run('scores from the events (one aggregate per half of the clients)', async () => {
      // Fresh statistics first: without them the planner may nest-loop the two aggregates.
      await admin.query(`analyze events`);
      await admin.query(`create unlogged table bench_gen_scores (client_id uuid primary key, ltv numeric, bookings int,
        median_days numeric, last_booking_at timestamptz, last_activity_at timestamptz)`);
      // [lo, hi): md5-based ids are uniform, so the halves are even.
      const halves: Array<[string, string | null]> = [
        ['00000000-0000-0000-0000-000000000000', '80000000-0000-0000-0000-000000000000'],
        ['80000000-0000-0000-0000-000000000000', null],
      ];
      await onWorkers(workers, halves, async (worker, [lo, hi]) => {
        await worker.query(`set enable_nestloop = off`);
        await worker.query(
          `insert into bench_gen_scores
           with all_events as (
             select client_id, coalesce(sum(amount) filter (where type = 'payment'), 0) as ltv,
                    max(occurred_at) as last_activity_at
             from events where workspace_id = $1 and client_id >= $2::uuid and ($3::uuid is null or client_id < $3::uuid)
             group by client_id
           ),
           gaps as (
             select client_id, occurred_at,
                    extract(epoch from occurred_at - lag(occurred_at) over (partition by client_id order by occurred_at)) / 86400 as gap_days
             from events where workspace_id = $1 and type = 'booking' and client_id >= $2::uuid and ($3::uuid is null or client_id < $3::uuid)
           ),
           bookings as (
             select client_id, count(*)::int as bookings, max(occurred_at) as last_booking_at,
                    percentile_cont(0.5) within group (order by gap_days) as median_days
             from gaps group by client_id
           )
           select a.client_id, a.ltv, coalesce(b.bookings, 0), round(b.median_days::numeric, 2),
                  b.last_booking_at, a.last_activity_at
           from all_events a left join bookings b using (client_id)`,
          [ws, lo, hi],
        );
        await worker.query(`reset enable_nestloop`);
      });
    });

    // ---- clients, in creation order, with their scores and search text ----------------------------
    const first = flat(FIRST_NAMES);
    const last = flat(LAST_NAMES);
    const cities = flat(CITIES);
    const domains = flat(EMAIL_DOMAINS);
    const pn =
      (k: number, power = 1) =>
      (arr: string, f: ReturnType<typeof flat>) =>
        pickExpr(arr, f.offsets, f.lengths, 'p.lang', U('p.n', k), power);
    const hasEmail = `(not p.erased and ${U('p.n', 7)} < 0.85)`;
    const hasPhone = `(not p.erased and ${U('p.n', 10)} < 0.9)`;
    const phoneExpr = `case p.lang
        when 0 then '+346' || lpad(((p.n::bigint * 48271 + 7) % 100000000)::text, 8, '0')
        when 1 then case when ${U('p.n', 11)} < 0.7 then '+336' || lpad(((p.n::bigint * 48271 + 11) % 100000000)::text, 8, '0')
                         else '+337' || (3 + floor(${U('p.n', 12)} * 7)::int) || lpad(((p.n::bigint * 48271 + 11) % 10000000)::text, 7, '0') end
        else '+447' || (array[4, 5, 7, 8, 9])[1 + floor(${U('p.n', 12)} * 5)::int] || lpad(((p.n::bigint * 48271 + 13) % 100000000)::text, 8, '0')
      end`;
    const emailExpr = `case when ${U('p.n', 8)} < 0.45 then x.fs || '.' || x.ls || p.n
                            when ${U('p.n', 8)} < 0.65 then x.fs || x.ls || p.n
                            when ${U('p.n', 8)} < 0.85 then left(x.fs, 1) || x.ls || p.n
                            else x.fs || '_' || x.ls || p.n end
                       || '@' || ${pn(9)('$4::text[]', domains)}`;
    const clientSql = `
      insert into clients (id, workspace_id, first_name, last_name, email, phone, city, country, locale, timezone,
                           source, label, external_id, location_id, preferred_contact_method, birthday, custom,
                           consent_email, consent_sms, consent_whatsapp, consent_push,
                           lifetime_value, booking_count, visit_frequency_days, last_booking_at, last_activity_at,
                           risk_score, search_text, erased_at, created_at, updated_at)
      select y.id, ${lit(ws)}::uuid, y.first_name, y.last_name, y.email, y.phone, y.city, y.country, y.locale, y.timezone,
             y.source, y.label, y.external_id, y.location_id, y.contact, y.birthday, y.custom,
             y.c_email, y.c_sms, y.c_whatsapp, y.c_push,
             y.ltv, y.bookings, y.median_days, y.last_booking_at, y.last_activity_at, y.risk,
             case when y.erased then ''
                  else concat_ws(' ', y.ff, y.lf, y.email, lower(y.external_id), substr(y.phone, 2),
                                 case when y.phone is null then null when y.lang = 0 then substr(y.phone, 4) else '0' || substr(y.phone, 4) end)
             end,
             case when y.erased then y.updated_at end,
             y.created_at, y.updated_at
      from (
        select p.n, p.id, p.lang, p.erased,
               case when not p.erased then x.first_name end as first_name,
               case when not p.erased then x.last_name end as last_name,
               x.ff, x.lf,
               case when ${hasEmail} then ${emailExpr} end as email,
               case when ${hasPhone} then ${phoneExpr} end as phone,
               case when not p.erased then ${pn(13, 1.4)('$5::text[]', cities)} end as city,
               (${textArray(LANGS.map((l) => COUNTRY[l]))})[p.lang + 1] as country,
               (${textArray([...LANGS])})[p.lang + 1] as locale,
               (${textArray(LANGS.map((l) => TIMEZONE[l]))})[p.lang + 1] as timezone,
               (${textArray(SOURCES)})[1 + floor(${U('p.n', 14)} * ${SOURCES.length})::int] as source,
               case when p.cnt = 0 then case when ${U('p.n', 15)} < 0.85 then 'prospect' else 'customer' end
                    else case when ${U('p.n', 15)} < 0.9 then 'customer' else 'affiliate' end end as label,
               case when not p.erased and ${U('p.n', 16)} < 0.7 then 'BK-' || (100000 + p.n) end as external_id,
               ($6::uuid[])[p.loc] as location_id,
               case when ${U('p.n', 17)} < 0.35 then null
                    when ${hasEmail} and ${U('p.n', 18)} < 0.5 then 'email'
                    when ${hasPhone} then (array['whatsapp', 'whatsapp', 'sms', 'phone'])[1 + floor(${U('p.n', 18)} * 4)::int]
               end as contact,
               case when not p.erased and ${U('p.n', 19)} < 0.6 then date '1950-01-01' + floor(${U('p.n', 25)} * 20000)::int end as birthday,
               case when p.erased then '{}'::jsonb else jsonb_strip_nulls(jsonb_build_object(
                 'shoe_size', case when ${U('p.n', 26)} < 0.8 then 35 + floor(${U('p.n', 27)} * 13)::int end,
                 'skill_level', case when ${U('p.n', 28)} < 0.7 then (${textArray(SKILL_LEVELS)})[1 + floor(power(${U('p.n', 29)}, 1.5) * 4)::int] end,
                 'membership_expires', case when ${U('p.n', 30)} < 0.3 then to_char(to_timestamp(${nowS}) + make_interval(days => floor(${U('p.n', 31)} * 730)::int - 365), 'YYYY-MM-DD') end
               )) end as custom,
               ${hasEmail} and ${U('p.n', 32)} < 0.65 as c_email,
               ${hasPhone} and ${U('p.n', 33)} < 0.40 as c_sms,
               ${hasPhone} and ${U('p.n', 34)} < 0.35 as c_whatsapp,
               not p.erased and ${U('p.n', 35)} < 0.10 as c_push,
               coalesce(s.ltv, 0) as ltv, coalesce(s.bookings, 0) as bookings, s.median_days, s.last_booking_at, s.last_activity_at,
               ${riskSql('s', 'to_timestamp(p.created_s)', nowS)} as risk,
               to_timestamp(p.created_s) as created_at,
               greatest(to_timestamp(p.created_s), s.last_activity_at) as updated_at
        from bench_gen_plan p
        cross join lateral (
          select ${pn(4, 1.5)('$1::text[]', first)} as first_name,
                 ${pn(4, 1.5)('$2::text[]', first)} as ff,
                 ${pn(4, 1.5)('$3::text[]', first)} as fs,
                 case when p.lang = 0 then ${pn(5, 1.6)('$7::text[]', last)} || ' ' || ${pn(6, 1.6)('$7::text[]', last)}
                      else ${pn(5, 1.6)('$7::text[]', last)} end as last_name,
                 case when p.lang = 0 then ${pn(5, 1.6)('$8::text[]', last)} || ' ' || ${pn(6, 1.6)('$8::text[]', last)}
                      else ${pn(5, 1.6)('$8::text[]', last)} end as lf,
                 ${pn(5, 1.6)('$9::text[]', last)} as ls
        ) x
        left join bench_gen_scores s on s.client_id = p.id
        where p.n between $10 and $11
      ) y
      order by y.n`;
    const clientParams = [
      first.all,
      first.all.map(foldText),
      first.all.map(emailSlug),
      domains.all,
      cities.all,
      setup.locationIds,
      last.all,
      last.all.map(foldText),
      last.all.map(emailSlug),
    ];
    // Chunks in creation order on two connections: the table fills up (nearly) in created_at order,
    // as a live one does.
    const clientChunk = 25_000;
    const chunks: Array<[number, number]> = [];
    for (let a = 1; a <= N; a += clientChunk) chunks.push([a, Math.min(N, a + clientChunk - 1)]);
    let clientsWritten = 0;
    let reported = 0;
    await phases.run(`clients (${N.toLocaleString('en')})`, async () => {
      // Scores by primary-key lookups: a hash join would read the whole scores table for every chunk.
      for (const w of workers) await w.query(`set enable_hashjoin = off; set enable_mergejoin = off`);
      await onWorkers(workers, chunks, async (worker, [a, b]) => {
        const r = await worker.query(clientSql, [...clientParams, a, b]);
        clientsWritten += r.rowCount ?? 0;
        if (clientsWritten - reported >= 200_000 || clientsWritten === N) {
          reported = clientsWritten;
          log(`  clients: ${clientsWritten.toLocaleString('en')} (${phases.elapsed()})`);
        }
      });
      for (const w of workers) await w.query(`reset enable_hashjoin; reset enable_mergejoin`);
    });

    // ---- tags (Zipf-ish) and consent history -------------------------------------------------------
    await phases.run('client tags and consent history', async () => {
      await onWorkers(workers, ['tags', 'consent'] as const, async (worker, what) => {
        if (what === 'tags') {
          await worker.query(
            `insert into client_tags (client_id, tag_id, workspace_id, created_at)
             select p.id, t.id, $2::uuid, to_timestamp(p.created_s) + make_interval(days => floor(${U('p.n * 16 + t.k', 50)} * 30)::int)
             from bench_gen_plan p
             cross join unnest($1::uuid[]) with ordinality as t(id, k)
             where not p.erased and ${U('p.n * 16 + t.k', 51)} < 0.35 / t.k`,
            [setup.tagIds, ws],
          );
        } else {
          await worker.query(
            `insert into consent_events (id, workspace_id, client_id, channel, granted, source, actor_type, actor_label,
                                         evidence, wording_version, occurred_at)
             select md5(c.id::text || v.channel)::uuid, c.workspace_id, c.id, v.channel, true, 'import', 'system', 'bench data generator',
                    'Imported from the booking system with the consent it recorded', 'v1', c.created_at
             from clients c
             cross join lateral (values ('email', c.consent_email), ('sms', c.consent_sms),
                                        ('whatsapp', c.consent_whatsapp), ('push', c.consent_push)) as v(channel, granted)
             where c.workspace_id = $1 and v.granted`,
            [ws],
          );
        }
      });
    });

    // ---- indexes back, then ANALYZE ------------------------------------------------------------------
    if (dropped.length)
      await phases.run(
        `rebuild ${dropped.filter((d) => d.kind === 'index').length} indexes${dropped.some((d) => d.kind === 'fk') ? ' and foreign keys' : ''}`,
        () => restoreDroppedIndexes(url, log, workers),
      );
    await phases.run('analyze', async () => {
      await onWorkers(
        workers,
        ['events', 'clients', 'client_tags', 'consent_events'],
        async (worker, table) => {
          await worker.query(`analyze ${table}`);
        },
      );
    });
    const ms = performance.now() - t0;

    // ---- statistics of what was written (not counted in the time; the plan is still there) -------------------------------------
    const stats = await (async () => {
      const counts = (
        await admin.query(
          `select count(*)::int as clients, count(*) filter (where erased_at is not null)::int as erased,
                  count(email)::int as with_email, count(phone)::int as with_phone, count(external_id)::int as with_ext
           from clients where workspace_id = $1`,
          [ws],
        )
      ).rows[0];
      const dist = (
        await admin.query<{ cnt: number }>(`select cnt from bench_gen_plan order by cnt`)
      ).rows.map((r) => r.cnt);
      const byType = (
        await admin.query<{ type: string; n: number }>(
          `select type, count(*)::int as n from events where workspace_id = $1 group by type order by type`,
          [ws],
        )
      ).rows;
      const pay = (
        await admin.query(
          `select coalesce(sum(amount), 0)::float8 as sum,
                  percentile_cont(0.5) within group (order by amount)::float8 as p50,
                  percentile_cont(0.99) within group (order by amount)::float8 as p99
           from events where workspace_id = $1 and type = 'payment'`,
          [ws],
        )
      ).rows[0];
      const tagsN = (
        await admin.query(`select count(*)::int as n from client_tags where workspace_id = $1`, [ws])
      ).rows[0].n;
      const consentN = (
        await admin.query(`select count(*)::int as n from consent_events where workspace_id = $1`, [ws])
      ).rows[0].n;
      const s: DatasetStats = {
        clients: counts.clients,
        events: byType.reduce((a, r) => a + r.n, 0),
        erased: counts.erased,
        withEmail: counts.with_email,
        withPhone: counts.with_phone,
        withExternalId: counts.with_ext,
        clientTags: tagsN,
        consentEvents: consentN,
        eventsByType: Object.fromEntries(byType.map((r) => [r.type, r.n])),
        eventsPerClient: {
          zero: dist.filter((c) => c === 0).length,
          oneToThree: dist.filter((c) => c >= 1 && c <= 3).length,
          fourTo99: dist.filter((c) => c >= 4 && c <= 99).length,
          hundredPlus: dist.filter((c) => c >= 100).length,
          max: dist.at(-1) ?? 0,
          p50: percentileOf(dist, 50),
          p90: percentileOf(dist, 90),
          p99: percentileOf(dist, 99),
        },
        payments: { sum: Number(pay.sum), p50: Number(pay.p50 ?? 0), p99: Number(pay.p99 ?? 0) },
      };
      return s;
    })();
    await admin.query(`drop table if exists bench_gen_plan, bench_gen_scores`);

    log(
      `generated ${stats.clients.toLocaleString('en')} clients and ${stats.events.toLocaleString('en')} events in ${(ms / 1000).toFixed(1)} s`,
    );

    // ---- check a sample against the product's own functions (not counted in the time) -------------
    const check = await sampleCheck(admin, ws, now, log);
    return {
      workspaceId: ws,
      locationIds: setup.locationIds,
      seed,
      ms,
      phases: phases.list,
      fastPath: {
        droppedIndexes: dropped.filter((d) => d.kind === 'index').length,
        replicationRoleReplica: superuser,
        droppedForeignKeys: dropped.filter((d) => d.kind === 'fk').length,
      },
      stats,
      check,
      generatedAt: now.toISOString(),
    };
  } finally {
    // Whatever happened, put dropped indexes back (no-op when already done) and close everything.
    if (dropped.length) {
      await restoreDroppedIndexes(url, log, workers.length ? workers : [admin]).catch((error) =>
        log(`could not restore dropped indexes: ${String(error)} (the next run restores them)`),
      );
    }
    await admin.query(`drop table if exists bench_gen_plan, bench_gen_scores`).catch(() => undefined);
    for (const w of workers) await w.end().catch(() => undefined);
    await admin.end().catch(() => undefined);
    await handle.close().catch(() => undefined);
  }
}

/** 2,000 random clients: search_text vs searchTextOf(), risk_score vs riskScore(), scores vs events. */
async function sampleCheck(db: pg.Client, ws: string, now: Date, log: Log) {
  const t0 = performance.now();
  const rows = (
    await db.query(
      `select id, first_name, last_name, email, phone, external_id, search_text, erased_at, created_at,
              booking_count, lifetime_value::float8 as ltv, visit_frequency_days::float8 as freq,
              last_booking_at, last_activity_at, risk_score
       from clients tablesample system (1) where workspace_id = $1 limit 2000`,
      [ws],
    )
  ).rows;
  let searchTextMismatches = 0;
  let riskMismatches = 0;
  for (const r of rows) {
    const expected = r.erased_at
      ? ''
      : searchTextOf({
          firstName: r.first_name,
          lastName: r.last_name,
          email: r.email,
          phone: r.phone,
          externalId: r.external_id,
        });
    if (expected !== r.search_text) {
      if (searchTextMismatches < 3)
        log(`search_text mismatch: ${JSON.stringify(r.search_text)} ≠ ${JSON.stringify(expected)}`);
      searchTextMismatches++;
    }
    const risk = riskScore(
      {
        createdAt: new Date(r.created_at),
        bookingCount: Number(r.booking_count),
        lifetimeValue: Number(r.ltv),
        visitFrequencyDays: r.freq === null ? null : Number(r.freq),
        lastBookingAt: r.last_booking_at ? new Date(r.last_booking_at) : null,
        lastActivityAt: r.last_activity_at ? new Date(r.last_activity_at) : null,
      },
      now,
    );
    // The SQL reads timestamps at microsecond precision; allow ±1 at a rounding edge.
    if (Math.abs(risk - Number(r.risk_score)) > 1) {
      if (riskMismatches < 3) log(`risk mismatch for ${r.id}: ${r.risk_score} ≠ ${risk}`);
      riskMismatches++;
    }
  }
  const ids = rows.slice(0, 300).map((r) => r.id);
  const scoreDiff = (
    await db.query(
      `select count(*)::int as n from clients c
       left join lateral (
         select coalesce(sum(amount) filter (where type = 'payment'), 0) as ltv,
                count(*) filter (where type = 'booking')::int as bookings, max(occurred_at) as last_activity
         from events e where e.client_id = c.id and e.workspace_id = c.workspace_id) a on true
       where c.id = any($1::uuid[])
         and (c.lifetime_value <> a.ltv or c.booking_count <> a.bookings or c.last_activity_at is distinct from a.last_activity)`,
      [ids],
    )
  ).rows[0].n;
  if (searchTextMismatches || riskMismatches || scoreDiff)
    throw new Error(
      `sample check failed: ${searchTextMismatches} search_text, ${riskMismatches} risk and ${scoreDiff} score mismatches in ${rows.length} clients`,
    );
  const ms = performance.now() - t0;
  log(
    `sample check: ${rows.length} clients, search_text, risk and scores match the product's functions (${(ms / 1000).toFixed(1)} s)`,
  );
  return { sampled: rows.length, searchTextMismatches, riskMismatches, ms };
}

// ---- CLI -------------------------------------------------------------------------------------------

async function main() {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '1000000' },
      events: { type: 'string', default: '10000000' },
      'database-url': { type: 'string' },
      'workspace-id': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const url = values['database-url'] ?? process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write(
      'usage: node bin/run-ts.mjs bench/data-generator.ts --clients 1000000 --events 10000000 --database-url postgres://… [--workspace-id <uuid>] [--seed n] [--json]\n',
    );
    process.exit(2);
  }
  const result = await generateDataset(url, {
    clients: Number(values.clients!.replaceAll('_', '')),
    events: Number(values.events!.replaceAll('_', '')),
    workspaceId: values['workspace-id'],
    seed: values.seed ? Number(values.seed) : undefined,
  });
  process.stdout.write(
    values.json
      ? `${JSON.stringify(result)}\n`
      : `workspace ${result.workspaceId}: ${result.stats.clients} clients, ${result.stats.events} events in ${(result.ms / 1000).toFixed(1)} s\n`,
  );
}

if (isMain(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
