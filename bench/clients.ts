/**
 * Clients 360 at size: search, the LTV-sorted list and event ingestion on 1,000,000 clients and
 * 10,000,000 events, each next to the same work in hand-written SQL, measured in the same run.
 *
 *   node bin/run-ts.mjs bench/clients.ts [--clients 1000000] [--events 10000000] [--queries 200]
 *        [--batches 50] [--batch-size 1000] [--no-cache] [--no-write] [--timeout-min 120]
 *        [--pg-setting name=value …] [--render]
 *
 * 1. An embedded PostgreSQL 17 (startEmbeddedPostgres, migrateDatabase) on bench/.data/clients-<N>-<M>/
 *    (git-ignored): the dataset is generated once (bench/data-generator.ts), then VACUUM (ANALYZE) settles
 *    it, and later runs reuse it when dataset.json says the same generator version and sizes.
 *    --no-cache uses a temp dir instead, removed afterwards.
 * 2. The product in-process (createClientela, as `serve` builds it, logger off) on its own pool,
 *    requests through app.http.inject with an owner API key. The baseline is a plain pg Pool of the
 *    same size on the same database running the SQL the product's code path boils down to.
 * 3. Product and baseline alternate query by query (which goes first alternates too), so the noise of
 *    this shared 2-core machine lands on both; CPU of Node, PostgreSQL and the rest is recorded per scenario.
 *    Before measuring it waits for a quiet machine (BENCH_QUIET_SECONDS quiet seconds in a row, default 3,
 *    at most BENCH_QUIET_WAIT seconds, default 120: see waitForQuiet in bench/lib/proc.ts).
 * 4. Ingested events are deleted afterwards and the touched clients rescored, so the cached dataset
 *    stays as generated.
 * 5. A PostgreSQL already running on the data dir (started by someone else) is attached to and left
 *    running; one this run started is stopped at the end.
 * Writes the `<!-- bench:clients:start -->` … `<!-- bench:clients:end -->` block of bench/RESULTS.md.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import pg from 'pg';
import type { Clientela } from '../src/app.ts';
import { TOTAL_CAP } from '../src/modules/clients/clients.list.ts';
import { foldText } from '../src/modules/clients/clients.service.ts';
import { migrateDatabase } from '../src/platform/db/db.ts';
import { type EmbeddedHandle, startEmbeddedPostgres } from '../src/platform/db/embedded.ts';
import {
  ACTIVITY_AGGREGATE_SQL,
  GENERATOR_VERSION,
  type GenerateResult,
  generateDataset,
  rescoreClients,
  riskSql,
} from './data-generator.ts';
import { startPostgresWithSettings } from './lib/clients-pg.ts';
import {
  alternate,
  type CpuUse,
  CpuWindow,
  cpuLine,
  describePostgres,
  int,
  type Latency,
  latency,
  ms1,
  ratio,
  type StatementTime,
  StatementTimer,
  startBenchProduct,
  writeSection,
} from './lib/clients-util.ts';
import {
  exitAfterCleanup,
  installSignalCleanup,
  isMain,
  machineInfo,
  machineLine,
  makeTempDir,
  ok,
  Scope,
  stopLeftoverPostgres,
  utcNow,
  waitForQuiet,
  withTimeout,
} from './lib/proc.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const RESULTS = path.join(BENCH_DIR, 'RESULTS.md');
const DATABASE = 'clientela_bench';
const QUERY_TIMEOUT_MS = 120_000;
const TARGETS = { searchP95Ms: 50, listP95Ms: 100, eventsPerSecond: 20_000, generationS: 300 };
/** The name term of the exact-count row: a common one, whose list says "1,000+". */
const COUNT_TERM = 'mart';

export interface ClientsBenchOptions {
  clients: number;
  events: number;
  queries: number;
  batches: number;
  batchSize: number;
  cache: boolean;
  /** Extra PostgreSQL settings (`name=value`) for a configuration experiment; needs the cached dataset. */
  pgSettings: string[];
  log: (line: string) => void;
}

interface DatasetFile {
  version: number;
  clients: number;
  events: number;
  result: GenerateResult;
  settle: { vacuumMs: number; checkpointMs: number };
}

interface Pair {
  name: string;
  detail: string;
  product: Latency;
  baseline: Latency;
  cpu: CpuUse;
  /** Matches per query (the `total` the product returned, checked against the baseline's count). */
  totals: Latency | null;
  totalMismatches: number;
  target: number | null;
}

interface Breakdown {
  name: string;
  /** Baseline SQL split: the page query alone and the count alone, run one after the other. */
  pageOnly: Latency;
  countOnly: Latency;
  /** The item whose page query alone took longest (its plan is in the plans section). */
  slowestPage: { label: string; ms: number };
}

interface IngestRun {
  name: string;
  detail: string;
  batches: number;
  batchSize: number;
  product: { batchMs: Latency; eventsPerSecond: number; totalMs: number; rejected: number };
  baseline: { batchMs: Latency; eventsPerSecond: number; totalMs: number };
  /** The baseline's INSERT alone, no locking or rescoring: the ceiling of this machine. */
  rawInsert: { batchMs: Latency; eventsPerSecond: number; totalMs: number };
  /** Events/s with two senders at once. */
  concurrent: { product: number; baseline: number };
  cpu: CpuUse;
  meanEventsPerTouchedClient: number;
  touchedClients: number;
  updatesPerBatch: number;
  check: { product: ScoreCheck; baseline: ScoreCheck; sample: string };
}

interface ScoreCheck {
  clients: number;
  mismatches: number;
}

interface Diagnostic {
  name: string;
  requests: number;
  statements: StatementTime[];
  perRequestMs: number;
}

interface Plan {
  name: string;
  sql: string;
  text: string;
  executionMs: number;
}

export interface ClientsBenchResult {
  date: string;
  machine: string;
  postgresVersion: string;
  settings: string;
  dataDir: string;
  poolMax: number;
  cached: boolean;
  dataset: DatasetFile;
  sizes: Array<{ relation: string; size: string }>;
  quiet: string;
  options: Omit<ClientsBenchOptions, 'log'>;
  /** Set on a configuration experiment: the extra settings it ran with. */
  pgSettings: string[];
  search: Pair[];
  namedTerms: Pair[];
  list: Pair[];
  /** GET /api/v1/clients/count: exact counts, no cap. */
  counts: Pair[];
  breakdowns: Breakdown[];
  ingest: IngestRun[];
  diagnostics: Diagnostic[];
  plans: Plan[];
  countAll: Latency;
  cleanup: { deletedEvents: number; rescored: number; ms: number };
  totalMs: number;
}

// ---- SQL the product's code paths boil down to (clients.list.ts, clients.repo.ts, events.repo.ts) ------

function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** clients.list.ts WHOLE_EMAIL: a whole email address is matched exactly, not by trigrams. */
const WHOLE_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * clients.list.ts searchCondition, as the parameters after $1 (the workspace): a whole email
 * address is `email = lower(q)`; a phone-like q searches its digits; anything else every folded word.
 */
type SearchTerm = { kind: 'email'; params: [string] } | { kind: 'like'; params: string[] };

function searchPatterns(q: string): SearchTerm {
  const trimmed = q.trim();
  if (WHOLE_EMAIL.test(trimmed)) return { kind: 'email', params: [trimmed.toLowerCase()] };
  const digits = trimmed.replace(/\D/g, '');
  if (/^[\d\s()+.-]+$/.test(trimmed) && digits.length >= 3)
    return { kind: 'like', params: [likePattern(digits)] };
  return {
    kind: 'like',
    params: foldText(trimmed).split(/\s+/).filter(Boolean).slice(0, 8).map(likePattern),
  };
}

/** clients.list.ts filterConditions with only `q`: the workspace's live clients, then the search. */
function searchWhere(term: SearchTerm): string {
  return [
    'workspace_id = $1',
    'erased_at is null',
    ...(term.kind === 'email' ? ['email = $2'] : term.params.map((_, i) => `search_text like $${i + 2}`)),
  ].join(' and ');
}

/** clients.list.ts ORDER BY: `<expr> desc nulls last, id desc nulls last`, the order of the indexes. */
const CREATED_ORDER = 'created_at desc nulls last, id desc nulls last';
const LTV_ORDER = 'lifetime_value desc nulls last, id desc nulls last';

/** clients.repo.ts selectClientPage: every column, limit + 1 to know whether a next page exists. */
const pageSql = (where: string, order: string, limit: number) =>
  `select * from clients where ${where} order by ${order} limit ${limit}`;
/** clients.repo.ts countClients for the list: matches counted up to TOTAL_CAP + 1, `total` = min(n, TOTAL_CAP). */
const countSql = (where: string) =>
  `select count(*)::int as n from (select 1 from clients where ${where} limit ${TOTAL_CAP + 1}) matched`;
/** clients.repo.ts countClients for GET /clients/count (cap null): every match. */
const exactCountSql = (where: string) => `select count(*)::int as n from clients where ${where}`;

/** The product's cursor: base64url(JSON [sort value as text, id]). */
function encodeCursor(value: string, id: string): string {
  return Buffer.from(JSON.stringify([value, id])).toString('base64url');
}

// ---- helpers ------------------------------------------------------------------------------------------

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function shuffle<T>(items: T[], seed = 7): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** "612 34" from +34612345678: the national format cut after its 5th digit, as someone types it. */
function phoneFragment(e164: string): string | null {
  const national = parsePhoneNumberFromString(e164)?.formatNational();
  if (!national) return null;
  let digits = 0;
  let out = '';
  for (const ch of national) {
    if (/\d/.test(ch)) digits++;
    out += ch;
    if (digits === 5) break;
  }
  return out.trim();
}

/** Each runner once per item, in an order that rotates from item to item; times per runner. */
async function rotate<T>(items: T[], runners: Array<(item: T) => Promise<void>>): Promise<number[][]> {
  const times = runners.map(() => [] as number[]);
  for (let i = 0; i < items.length; i++) {
    for (let j = 0; j < runners.length; j++) {
      const r = (i + j) % runners.length;
      const t0 = performance.now();
      await withTimeout(runners[r]!(items[i]!), QUERY_TIMEOUT_MS, 'measured call');
      times[r]!.push(performance.now() - t0);
    }
  }
  return times;
}

interface Pick {
  id: string;
  external_id: string | null;
}

interface Ev {
  clientId: string;
  externalId: string | null;
  byExternal: boolean;
  type: string;
  occurredAt: string;
  amount: number | null;
  currency: string | null;
  locationId: string | null;
  referenceId: string | null;
  properties: Record<string, string | number | boolean>;
  /** Sends the type + reference of an earlier event again. */
  repeat?: boolean;
}

let locationIds: string[] = [];

/**
 * Batches of events for these clients (in order, wrapping around): half by external_id when the
 * client has one, booking 36 % / payment 30 % / visit 24 % / support 10 % in the last 30 days,
 * references on bookings and payments, and from the third batch on `repeats` rows that send the
 * type + reference of an event two or more batches earlier again (an update). Same seed, same rows.
 */
function makeSeries(prefix: string, picks: Pick[], count: number, size: number, repeats: number): Ev[][] {
  let seed = 12345;
  const rnd = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const out: Ev[][] = [];
  const withRef: Ev[] = [];
  let pending: Ev[] | null = null;
  let pick = 0;
  const fresh = (k: number, j: number): Ev => {
    const client = picks[pick++ % picks.length]!;
    const u = rnd();
    const type = u < 0.36 ? 'booking' : u < 0.66 ? 'payment' : u < 0.9 ? 'visit' : 'support';
    return {
      clientId: client.id,
      externalId: client.external_id,
      byExternal: client.external_id !== null && rnd() < 0.5,
      type,
      occurredAt: new Date(Date.now() - rnd() * 30 * 86_400_000).toISOString(),
      amount: type === 'payment' ? Math.round(rnd() * 20000) / 100 : null,
      currency: type === 'payment' ? 'EUR' : null,
      locationId:
        rnd() < 0.5 && locationIds.length ? locationIds[Math.floor(rnd() * locationIds.length)]! : null,
      referenceId: type === 'booking' || type === 'payment' ? `${prefix}-${k}-${j}` : null,
      properties:
        type === 'payment'
          ? { method: 'card' }
          : type === 'support'
            ? { topic: 'question', resolved: true }
            : { category: 'kayak', channel: 'web' },
    };
  };
  for (let k = 0; k < count; k++) {
    const batch: Ev[] = [];
    const seen = new Set<string>();
    const reuse = repeats;
    for (let j = 0; j < size; j++) {
      if (j < reuse && withRef.length) {
        // The same type + reference_id again: an update of that event (same client, new time and amount).
        const old = withRef[Math.floor(rnd() * withRef.length)]!;
        const key = `${old.type}|${old.referenceId}`;
        if (!seen.has(key)) {
          seen.add(key);
          batch.push({
            ...old,
            repeat: true,
            occurredAt: new Date(Date.now() - rnd() * 30 * 86_400_000).toISOString(),
            amount: old.type === 'payment' ? Math.round(rnd() * 20000) / 100 : null,
          });
          continue;
        }
      }
      batch.push(fresh(k, j));
    }
    // This batch's references become eligible for repeats two batches later: with two senders
    // at once, the batch just before may still be in flight.
    if (pending) withRef.push(...pending);
    pending = batch.filter((e) => e.referenceId && !e.repeat);
    out.push(batch);
  }
  return out;
}

function toPayload(batch: Ev[]): string {
  return JSON.stringify({
    events: batch.map((e) => ({
      ...(e.byExternal ? { external_id: e.externalId } : { client_id: e.clientId }),
      type: e.type,
      occurred_at: e.occurredAt,
      ...(e.amount !== null ? { amount: e.amount, currency: e.currency } : {}),
      ...(e.locationId ? { location_id: e.locationId } : {}),
      ...(e.referenceId ? { reference_id: e.referenceId } : {}),
      properties: e.properties,
    })),
  });
}

// ---- the run --------------------------------------------------------------------------------------------

export async function runClientsBench(options: ClientsBenchOptions): Promise<ClientsBenchResult> {
  const log = options.log;
  const started = performance.now();
  const _started = performance.now();
  const scope = new Scope();
  let app: Clientela | null = null;
  try {
    // ---- PostgreSQL and the dataset -------------------------------------------------------------------
    const dataDir = options.cache
      ? path.join(BENCH_DIR, '.data', `clients-${options.clients}-${options.events}`)
      : await makeTempDir(scope, 'clientela-bench-clients-');
    mkdirSync(dataDir, { recursive: true });
    // A PostgreSQL someone else started on this data dir is attached to and left running; one
    // started here (below, or by startEmbeddedPostgres) is stopped, also after a failure.
    let startedHere = false;
    scope.defer('make sure no PostgreSQL of this run is left', async () => {
      if (startedHere) await stopLeftoverPostgres(dataDir);
    });
    if (options.pgSettings.length) {
      // Configuration experiment: start the cluster ourselves with the extra settings; the product's
      // start-up below attaches to it.
      await stopLeftoverPostgres(dataDir);
      startedHere = true;
      await startPostgresWithSettings(dataDir, options.pgSettings);
      log(`PostgreSQL started with ${options.pgSettings.join(', ')}`);
    }
    const handle: EmbeddedHandle = await startEmbeddedPostgres({
      dataDir,
      log: (m) => log(m),
      database: DATABASE,
    });
    if (handle.owned) startedHere = true;
    else if (!startedHere)
      log('attached to the PostgreSQL already running on this data dir; it stays running');
    scope.defer('stop PostgreSQL', async () => {
      if (handle.owned) await handle.stop();
      else if (startedHere) await stopLeftoverPostgres(dataDir);
    });
    const url = handle.url;
    const datasetFile = path.join(dataDir, 'dataset.json');
    let dataset: DatasetFile | null = existsSync(datasetFile)
      ? (JSON.parse(readFileSync(datasetFile, 'utf8')) as DatasetFile)
      : null;
    const admin = new pg.Pool({ connectionString: url, max: 2 });
    admin.on('error', () => undefined);
    scope.defer('close the admin pool', () => admin.end());
    if (dataset) {
      const ok =
        dataset.version === GENERATOR_VERSION &&
        dataset.clients === options.clients &&
        dataset.events === options.events &&
        (
          await admin
            .query(`select 1 from workspaces where id = $1`, [dataset.result.workspaceId])
            .catch(() => ({ rowCount: 0 }))
        ).rowCount === 1;
      if (!ok) dataset = null;
    }
    const cached = dataset !== null;
    if (!dataset) {
      log('no cached dataset of this size: generating it (fresh database)');
      const server = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
      await server.connect();
      await server.query(`drop database if exists ${DATABASE} with (force)`);
      await server.query(`create database ${DATABASE}`);
      await server.end();
      await migrateDatabase(url);
      const result = await withTimeout(
        generateDataset(url, {
          clients: options.clients,
          events: options.events,
          log: (l) => log(`[generator] ${l}`),
        }),
        40 * 60_000,
        'dataset generation',
      );
      log('settling: VACUUM (ANALYZE) of the loaded tables, then CHECKPOINT (what autovacuum would do next)');
      let t0 = performance.now();
      await admin.query(`vacuum (analyze) clients, events, client_tags, consent_events`);
      const vacuumMs = performance.now() - t0;
      t0 = performance.now();
      await admin.query(`checkpoint`);
      const checkpointMs = performance.now() - t0;
      dataset = {
        version: GENERATOR_VERSION,
        clients: options.clients,
        events: options.events,
        result,
        settle: { vacuumMs, checkpointMs },
      };
      if (options.cache) writeFileSync(datasetFile, `${JSON.stringify(dataset, null, 2)}\n`);
    } else {
      log(`reusing the cached dataset in ${dataDir} (generated ${dataset.result.generatedAt})`);
      await migrateDatabase(url);
    }
    const ws = dataset.result.workspaceId;
    const { pgVersion, settings, sizes } = await describePostgres(admin, [
      'clients',
      'events',
      'client_tags',
      'consent_events',
    ]);

    // ---- the product, the baseline pool, the key ----------------------------------------------------------
    const bench = await startBenchProduct({
      dataDir,
      url,
      workspaceId: ws,
      keyName: 'bench clients',
      scope,
    });
    app = bench.app;
    const { key, pool, config } = bench;
    const product = app;
    const headers = { authorization: `Bearer ${key}` };

    const get = async (urlPath: string) => {
      const res = await product.http.inject({ method: 'GET', url: urlPath, headers });
      if (res.statusCode !== 200)
        throw new Error(`GET ${urlPath}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      return res;
    };

    // ---- terms sampled from the data ---------------------------------------------------------------------
    const Q = options.queries;
    const people = (
      await admin.query<{
        first_name: string;
        last_name: string;
        email: string | null;
        phone: string | null;
      }>(
        `select first_name, last_name, email, phone from clients
         where workspace_id = $1 and erased_at is null order by md5(id::text || 'terms') limit $2`,
        [ws, Q * 4],
      )
    ).rows;
    const namePrefixes = people.slice(0, Q).map((p, i) => {
      const word = foldText(i % 2 === 0 ? p.first_name : p.last_name.split(' ')[0]!).replace(/[^a-z]/g, '');
      return word.slice(0, Math.max(3, Math.min(4, word.length)));
    });
    const emails = people
      .filter((p) => p.email)
      .slice(0, Q)
      .map((p) => p.email!);
    const phones = people
      .filter((p) => p.phone)
      .slice(0, Q)
      .map((p) => phoneFragment(p.phone!))
      .filter((f): f is string => Boolean(f));

    // ---- warm-up (not measured): the first queries after a start read from disk ---------------------------
    log('warm-up');
    for (const q of [
      'garc',
      'jose',
      ...namePrefixes.slice(0, 10),
      ...emails.slice(0, 10),
      ...phones.slice(0, 10),
    ]) {
      await get(`/api/v1/clients?q=${encodeURIComponent(q)}`);
      const term = searchPatterns(q);
      await pool.query(countSql(searchWhere(term)), [ws, ...term.params]);
    }
    await get('/api/v1/clients?sort=-lifetime_value&limit=50');
    await admin.query(`select count(*) from clients where workspace_id = $1 and erased_at is null`, [ws]);
    await get('/api/v1/clients/count');
    await get(`/api/v1/clients/count?q=${COUNT_TERM}`);

    const quiet = await waitForQuiet((m) => log(m));
    const machineAtStart = machineInfo(pgVersion.split(' on ')[0]);
    const startedAt = utcNow();

    // ---- search ------------------------------------------------------------------------------------------
    const searchPair = async (name: string, detail: string, terms: string[]): Promise<Pair> => {
      const totals: number[] = [];
      let mismatches = 0;
      const cpu = new CpuWindow(dataDir).start();
      const times = await alternate(
        terms,
        (q) => get(`/api/v1/clients?q=${encodeURIComponent(q)}`),
        async (q) => {
          const term = searchPatterns(q);
          const where = searchWhere(term);
          const [, count] = await Promise.all([
            pool.query(pageSql(where, CREATED_ORDER, 51), [ws, ...term.params]),
            pool.query(countSql(where), [ws, ...term.params]),
          ]);
          return count.rows[0].n as number;
        },
        (_q, res, n) => {
          const total = (res.json() as { total: number }).total;
          totals.push(total);
          if (total !== Math.min(n, TOTAL_CAP)) mismatches++;
        },
      );
      const use = cpu.stop();
      const pair: Pair = {
        name,
        detail,
        product: latency(times.product),
        baseline: latency(times.baseline),
        cpu: use,
        totals: latency(totals),
        totalMismatches: mismatches,
        target: TARGETS.searchP95Ms,
      };
      log(
        `${name}: product p50 ${ms1(pair.product.p50)} / p95 ${ms1(pair.product.p95)} ms, baseline p50 ${ms1(pair.baseline.p50)} / p95 ${ms1(pair.baseline.p95)} ms, median matches ${pair.totals!.p50}`,
      );
      return pair;
    };
    log(`search: ${Q} queries per kind`);
    const search = [
      await searchPair(
        'Name prefix',
        '4 letters of a first or last name (folded) of a random client, e.g. `garc`, `jose`, `mart`',
        namePrefixes,
      ),
      await searchPair(
        'Email',
        'a whole existing email address (matched exactly: `email = lower(q)`)',
        emails,
      ),
      await searchPair(
        'Phone fragment',
        'the first 5 digits of an existing number in national format, e.g. `612 34`, `06 12 3`, `07911`',
        phones,
      ),
    ];
    const namedTerms: Pair[] = [];
    for (const term of ['garc', 'jose', 'mart']) {
      namedTerms.push(
        await searchPair(
          `q=${term}`,
          'the same term 30 times',
          Array.from({ length: 30 }, () => term),
        ),
      );
    }

    // ---- list sorted by LTV: first page and deep pages ---------------------------------------------------
    const allWhere = 'workspace_id = $1 and erased_at is null';
    const ltvOrder = LTV_ORDER;
    const total = Number(
      (await admin.query(`select count(*) from clients where ${allWhere}`, [ws])).rows[0].count,
    );
    const ranks = shuffle(
      Array.from(
        { length: Q },
        (_, i) => 1000 + Math.floor(((i + 0.5) / Q) * Math.max(1, Math.min(total, 900_000) - 1000)),
      ),
    );
    const rankRows = (
      await admin.query<{ rn: string; v: string; id: string }>(
        `select rn, v, id from (
           select row_number() over (order by ${ltvOrder}) as rn, lifetime_value::text as v, id
           from clients where ${allWhere}) s
         where rn = any($2::bigint[]) or rn = 50`,
        [ws, [...ranks]],
      )
    ).rows;
    const byRank = new Map(rankRows.map((r) => [Number(r.rn), r]));
    const firstPage = (await get('/api/v1/clients?sort=-lifetime_value&limit=50')).json() as {
      next_cursor: string;
    };
    const row50 = byRank.get(50)!;
    const cursorCheck = firstPage.next_cursor === encodeCursor(row50.v, row50.id);
    if (!cursorCheck)
      throw new Error(
        'the cursor the product returned after 50 rows is not the one this benchmark builds: update encodeCursor',
      );
    const listPair = async (
      name: string,
      detail: string,
      items: Array<{ v: string; id: string } | null>,
    ): Promise<Pair> => {
      const cpu = new CpuWindow(dataDir).start();
      let mismatches = 0;
      const totals: number[] = [];
      const times = await alternate(
        items,
        (c) =>
          get(
            `/api/v1/clients?sort=-lifetime_value&limit=50${c ? `&cursor=${encodeCursor(c.v, c.id)}` : ''}`,
          ),
        async (c) => {
          const where = c ? `${allWhere} and (lifetime_value, id) < ($2::numeric, $3::uuid)` : allWhere;
          const [page, count] = await Promise.all([
            pool.query(pageSql(where, ltvOrder, 51), c ? [ws, c.v, c.id] : [ws]),
            pool.query(countSql(allWhere), [ws]),
          ]);
          return { n: count.rows[0].n as number, first: page.rows[0]?.id as string | undefined };
        },
        (_c, res, b) => {
          const body = res.json() as { total: number; clients: Array<{ id: string }> };
          totals.push(body.total);
          if (body.total !== Math.min(b.n, TOTAL_CAP) || body.clients[0]?.id !== b.first) mismatches++;
        },
      );
      const pair: Pair = {
        name,
        detail,
        product: latency(times.product),
        baseline: latency(times.baseline),
        cpu: cpu.stop(),
        totals: latency(totals),
        totalMismatches: mismatches,
        target: TARGETS.listP95Ms,
      };
      log(
        `${name}: product p50 ${ms1(pair.product.p50)} / p95 ${ms1(pair.product.p95)} ms, baseline p50 ${ms1(pair.baseline.p50)} / p95 ${ms1(pair.baseline.p95)} ms`,
      );
      return pair;
    };
    log('list sorted by -lifetime_value');
    const list = [
      await listPair(
        'First page',
        '`sort=-lifetime_value&limit=50`, no cursor',
        Array.from({ length: Q }, () => null),
      ),
      await listPair(
        'Deep page',
        `the page after a cursor at a random rank between 1,000 and ${int(Math.min(total, 900_000))} (built like the product's, checked against its own after row 50)`,
        ranks
          .map((r) => byRank.get(r) ?? null)
          .filter((c): c is { rn: string; v: string; id: string } => c !== null),
      ),
    ];

    // ---- exact count GET /api/v1/clients/count (what the dashboard asks when the list says 1,000+) ------
    const countPair = async (name: string, detail: string, q: string | null): Promise<Pair> => {
      const term = q === null ? null : searchPatterns(q);
      const where = term ? searchWhere(term) : allWhere;
      const params = term ? [ws, ...term.params] : [ws];
      const totals: number[] = [];
      let mismatches = 0;
      const cpu = new CpuWindow(dataDir).start();
      const times = await alternate(
        Array.from({ length: Math.max(20, Math.floor(Q / 4)) }, () => q),
        () => get(`/api/v1/clients/count${q === null ? '' : `?q=${encodeURIComponent(q)}`}`),
        async () => (await pool.query(exactCountSql(where), params)).rows[0].n as number,
        (_q, res, n) => {
          const counted = (res.json() as { total: number }).total;
          totals.push(counted);
          if (counted !== n) mismatches++;
        },
      );
      const pair: Pair = {
        name,
        detail,
        product: latency(times.product),
        baseline: latency(times.baseline),
        cpu: cpu.stop(),
        totals: latency(totals),
        totalMismatches: mismatches,
        target: null,
      };
      log(
        `count ${name}: product p50 ${ms1(pair.product.p50)} / p95 ${ms1(pair.product.p95)} ms, baseline p50 ${ms1(pair.baseline.p50)} / p95 ${ms1(pair.baseline.p95)} ms, total ${pair.totals!.p50}`,
      );
      return pair;
    };
    log('exact counts GET /api/v1/clients/count');
    const counts = [
      await countPair('Whole workspace', '`GET /api/v1/clients/count`, no filter', null),
      await countPair(
        `Name term \`${COUNT_TERM}\``,
        `\`GET /api/v1/clients/count?q=${COUNT_TERM}\``,
        COUNT_TERM,
      ),
    ];

    // ---- where the baseline time goes: page alone vs count alone ------------------------------------------
    type BreakdownItem = {
      label: string;
      where: string;
      order: string;
      params: unknown[];
      countWhere: string;
      countParams: unknown[];
    };
    const slowestItems = new Map<string, BreakdownItem>();
    const breakdown = async (name: string, items: BreakdownItem[]) => {
      const page: number[] = [];
      const count: number[] = [];
      let slowest = 0;
      for (const [i, it] of items.entries()) {
        let t0 = performance.now();
        await pool.query(pageSql(it.where, it.order, 51), it.params);
        page.push(performance.now() - t0);
        if (page[i]! > page[slowest]!) slowest = i;
        t0 = performance.now();
        await pool.query(countSql(it.countWhere), it.countParams);
        count.push(performance.now() - t0);
      }
      slowestItems.set(name, items[slowest]!);
      const b: Breakdown = {
        name,
        pageOnly: latency(page),
        countOnly: latency(count),
        slowestPage: { label: items[slowest]!.label, ms: page[slowest]! },
      };
      log(
        `breakdown ${name}: page p95 ${ms1(b.pageOnly.p95)} ms (slowest ${b.slowestPage.label} ${ms1(b.slowestPage.ms)} ms), count p95 ${ms1(b.countOnly.p95)} ms`,
      );
      return b;
    };
    const searchItem = (q: string): BreakdownItem => {
      const term = searchPatterns(q);
      const where = searchWhere(term);
      return {
        label: `\`${q}\``,
        where,
        order: CREATED_ORDER,
        params: [ws, ...term.params],
        countWhere: where,
        countParams: [ws, ...term.params],
      };
    };
    const half = Math.max(20, Math.floor(Q / 2));
    const breakdowns = [
      await breakdown('Name prefix', namePrefixes.slice(0, half).map(searchItem)),
      await breakdown('Email', emails.slice(0, half).map(searchItem)),
      await breakdown('Phone fragment', phones.slice(0, half).map(searchItem)),
      await breakdown(
        'LTV first page',
        Array.from({ length: half }, (_, i) => ({
          label: `request ${i + 1}`,
          where: allWhere,
          order: ltvOrder,
          params: [ws],
          countWhere: allWhere,
          countParams: [ws],
        })),
      ),
      await breakdown(
        'LTV deep page',
        ranks.slice(0, half).map((r) => {
          const c = byRank.get(r)!;
          return {
            label: `after rank ${int(r)}`,
            where: `${allWhere} and (lifetime_value, id) < ($2::numeric, $3::uuid)`,
            order: ltvOrder,
            params: [ws, c.v, c.id],
            countWhere: allWhere,
            countParams: [ws],
          };
        }),
      ),
    ];
    const countAll = breakdowns[3]!.countOnly;

    // ---- event ingestion -----------------------------------------------------------------------------------
    locationIds = dataset.result.locationIds;
    const runTag = `bench-${Date.now().toString(36)}`;
    const ingestStart = new Date((await admin.query(`select now() as t`)).rows[0].t);
    const touchedAll = new Set<string>();
    const ingestRun = async (name: string, detail: string, pickSql: string): Promise<IngestRun> => {
      const batches = options.batches;
      const size = options.batchSize;
      const warmup = 3;
      const repeats = Math.round(size * 0.1);
      const needed = (batches + warmup) * size;
      const picks = (await admin.query<Pick>(pickSql, [ws, needed])).rows;
      if (picks.length < size) throw new Error(`only ${picks.length} clients to ingest events for`);
      // The raw-insert ceiling writes events without rescoring: on other clients, so the checks below hold.
      const taken = new Set(picks.map((p) => p.id));
      const rawPicks = (
        await admin.query<Pick>(
          `select id, external_id from clients where workspace_id = $1 and erased_at is null order by md5(id::text || 'raw') limit $2`,
          [ws, needed + taken.size],
        )
      ).rows.filter((p) => !taken.has(p.id));
      const series = {
        product: makeSeries(`${runTag}-p-${name}`, picks, batches + warmup, size, repeats),
        baseline: makeSeries(`${runTag}-b-${name}`, picks, batches + warmup, size, repeats),
        raw: makeSeries(`${runTag}-r-${name}`, rawPicks, batches + warmup, size, repeats),
        product2: makeSeries(`${runTag}-p2-${name}`, picks, batches, size, repeats),
        baseline2: makeSeries(`${runTag}-b2-${name}`, picks, batches, size, repeats),
      };
      const payloads = { product: series.product.map(toPayload), product2: series.product2.map(toPayload) };
      const productTouched = new Set<string>();
      const baselineTouched = new Set<string>();
      const rawTouched = new Set<string>();
      let rejected = 0;
      const postProduct = async (payload: string) => {
        const res = await product.http.inject({
          method: 'POST',
          url: '/api/v1/events',
          headers: { ...headers, 'content-type': 'application/json' },
          payload,
        });
        if (res.statusCode !== 200)
          throw new Error(`POST /api/v1/events: ${res.statusCode} ${res.body.slice(0, 300)}`);
        const body = res.json() as { accepted: number; rejected: unknown[] };
        rejected += body.rejected.length + (size - body.accepted);
      };
      /**
       * The hand-written equivalent: lock the clients (as the product does, so concurrent batches
       * score one after the other), one multi-row INSERT … ON CONFLICT, one set-based UPDATE of the
       * scores and risk from the product's aggregate. `scores: false` is the raw-insert ceiling.
       */
      const insertBaseline = async (batch: Ev[], scores: boolean) => {
        const values: unknown[] = [ws];
        const rows = batch.map((e, i) => {
          const b = 2 + i * 9;
          values.push(
            e.byExternal ? null : e.clientId,
            e.byExternal ? e.externalId : null,
            e.type,
            e.occurredAt,
            e.amount,
            e.currency,
            e.locationId,
            e.referenceId,
            JSON.stringify(e.properties),
          );
          return `($${b}::uuid, $${b + 1}::text, $${b + 2}::text, $${b + 3}::timestamptz, $${b + 4}::numeric, $${b + 5}::text, $${b + 6}::uuid, $${b + 7}::text, $${b + 8}::jsonb)`;
        });
        const client = await pool.connect();
        try {
          await client.query('begin');
          if (scores) {
            await client.query(
              `select id from clients where workspace_id = $1 and (id = any($2::uuid[]) or external_id = any($3::text[]))
               order by id for no key update`,
              [
                ws,
                batch.filter((e) => !e.byExternal).map((e) => e.clientId),
                batch.filter((e) => e.byExternal).map((e) => e.externalId),
              ],
            );
          }
          const inserted = await client.query<{ client_id: string }>(
            `insert into events (workspace_id, client_id, type, occurred_at, amount, currency, location_id, reference_id, properties)
             select $1::uuid, coalesce(v.client_id, c.id), v.type, v.occurred_at, v.amount, v.currency, v.location_id, v.reference_id, v.properties
             from (values ${rows.join(', ')}) as v(client_id, external_id, type, occurred_at, amount, currency, location_id, reference_id, properties)
             left join clients c on v.client_id is null and c.workspace_id = $1 and c.external_id = v.external_id and c.erased_at is null
             on conflict (workspace_id, type, reference_id) where reference_id is not null do update set
               client_id = excluded.client_id, occurred_at = excluded.occurred_at, amount = excluded.amount,
               currency = excluded.currency, location_id = excluded.location_id, properties = excluded.properties, updated_at = now()
             returning client_id`,
            values,
          );
          const ids = [...new Set(inserted.rows.map((r) => r.client_id))];
          if (scores) {
            // `c.id = any($2)` lets the planner fetch the 1,000 clients by primary key.
            await client.query(
              `with s as (${ACTIVITY_AGGREGATE_SQL})
               update clients c set lifetime_value = s.ltv, booking_count = s.bookings, visit_frequency_days = s.median_days,
                      last_booking_at = s.last_booking_at, last_activity_at = s.last_activity_at,
                      risk_score = ${riskSql('s', 'c.created_at', Math.floor(Date.now() / 1000))}, updated_at = now()
               from s where c.id = any($2::uuid[]) and c.id = s.client_id and c.workspace_id = $1`,
              [ws, ids],
            );
          }
          await client.query('commit');
          return ids;
        } catch (error) {
          await client.query('rollback').catch(() => undefined);
          throw error;
        } finally {
          client.release();
        }
      };
      // Warm-up batches (not measured; they also give the first measured batch earlier references to update).
      for (let k = 0; k < warmup; k++) {
        await postProduct(payloads.product[k]!);
        for (const id of await insertBaseline(series.baseline[k]!, true)) baselineTouched.add(id);
        for (const id of await insertBaseline(series.raw[k]!, false)) rawTouched.add(id);
        for (const e of series.product[k]!) productTouched.add(e.clientId);
      }
      // Measured: the three, one batch each in turn, the order rotating.
      const cpu = new CpuWindow(dataDir).start();
      const ks = Array.from({ length: batches }, (_, i) => warmup + i);
      const times = await rotate(ks, [
        async (k) => {
          await postProduct(payloads.product[k]!);
          for (const e of series.product[k]!) productTouched.add(e.clientId);
        },
        async (k) => {
          for (const id of await insertBaseline(series.baseline[k]!, true)) baselineTouched.add(id);
        },
        async (k) => {
          for (const id of await insertBaseline(series.raw[k]!, false)) rawTouched.add(id);
        },
      ]);
      const use = cpu.stop();
      // Two senders at once (a busy integration), product then baseline.
      const concurrently = async (fn: (k: number) => Promise<void>) => {
        let next = 0;
        const t0 = performance.now();
        await Promise.all(
          [0, 1].map(async () => {
            while (next < batches) await withTimeout(fn(next++), QUERY_TIMEOUT_MS, 'concurrent batch');
          }),
        );
        return performance.now() - t0;
      };
      const product2Ms = await concurrently(async (k) => {
        await postProduct(payloads.product2[k]!);
        for (const e of series.product2[k]!) productTouched.add(e.clientId);
      });
      const baseline2Ms = await concurrently(async (k) => {
        for (const id of await insertBaseline(series.baseline2[k]!, true)) baselineTouched.add(id);
      });
      for (const id of [...productTouched, ...baselineTouched, ...rawTouched]) touchedAll.add(id);
      // Scores right? Every touched client's columns against a fresh aggregate of its events.
      const check = async (ids: string[]): Promise<ScoreCheck> => {
        const r = await admin.query(
          `with s as (${ACTIVITY_AGGREGATE_SQL})
           select count(*)::int as clients,
                  count(*) filter (where c.lifetime_value <> s.ltv or c.booking_count <> s.bookings
                    or c.visit_frequency_days is distinct from s.median_days
                    or c.last_booking_at is distinct from s.last_booking_at
                    or c.last_activity_at is distinct from s.last_activity_at)::int as mismatches
           from s join clients c on c.id = s.client_id`,
          [ws, ids],
        );
        return r.rows[0] as ScoreCheck;
      };
      const productCheck = await check([...productTouched]);
      const baselineCheck = await check([...baselineTouched]);
      const sampleRow = (
        await admin.query(
          `select c.id, c.lifetime_value::text as ltv,
                  (select coalesce(sum(amount), 0)::text from events e where e.client_id = c.id and e.workspace_id = c.workspace_id and e.type = 'payment') as sum,
                  (select count(*) from events e where e.client_id = c.id and e.type = 'payment' and e.created_at >= $3) as new_payments
           from clients c where c.workspace_id = $1 and c.id = any($2::uuid[])
           order by new_payments desc, c.id limit 1`,
          [ws, [...productTouched], ingestStart],
        )
      ).rows[0];
      const sample = `client ${sampleRow.id}: lifetime_value ${sampleRow.ltv} = SQL sum of its payment amounts ${sampleRow.sum} (${sampleRow.new_payments} of them posted in this run) ${ok(sampleRow.ltv === sampleRow.sum)}`;
      const density = (
        await admin.query(
          `select avg(n)::float8 as mean from (select count(*) as n from events where client_id = any($1::uuid[]) group by client_id) s`,
          [[...productTouched]],
        )
      ).rows[0].mean as number;
      const stat = (ms: number[]) => {
        const total = ms.reduce((a, b) => a + b, 0);
        return { batchMs: latency(ms), totalMs: total, eventsPerSecond: (batches * size) / (total / 1000) };
      };
      const run: IngestRun = {
        name,
        detail,
        batches,
        batchSize: size,
        product: { ...stat(times[0]!), rejected },
        baseline: stat(times[1]!),
        rawInsert: stat(times[2]!),
        concurrent: {
          product: (batches * size) / (product2Ms / 1000),
          baseline: (batches * size) / (baseline2Ms / 1000),
        },
        cpu: use,
        meanEventsPerTouchedClient: density,
        touchedClients: productTouched.size,
        updatesPerBatch: repeats,
        check: { product: productCheck, baseline: baselineCheck, sample },
      };
      log(
        `ingestion ${name}: product ${int(run.product.eventsPerSecond)} events/s (batch p50 ${ms1(run.product.batchMs.p50)} ms), baseline ${int(run.baseline.eventsPerSecond)}, raw insert ${int(run.rawInsert.eventsPerSecond)}; 2 senders: product ${int(run.concurrent.product)}, baseline ${int(run.concurrent.baseline)}; score mismatches ${productCheck.mismatches}/${productCheck.clients} and ${baselineCheck.mismatches}/${baselineCheck.clients}`,
      );
      return run;
    };
    log(`ingestion: ${options.batches} batches of ${options.batchSize}`);
    const ingest = [
      await ingestRun(
        'uniform',
        'each event for a client drawn uniformly among all live clients',
        `select id, external_id from clients where workspace_id = $1 and erased_at is null order by md5(id::text || 'uniform') limit $2`,
      ),
      await ingestRun(
        'activity-weighted',
        'each event for the client of a random stored event (busy clients get more events, as in a live feed)',
        `select c.id, c.external_id from events e tablesample system (1) repeatable (42)
         join clients c on c.id = e.client_id
         where e.workspace_id = $1 and c.erased_at is null limit $2`,
      ),
    ];

    // ---- diagnostics: where the product's time goes, statement by statement -------------------------------
    const timer = new StatementTimer();
    const diagnose = async (
      name: string,
      requests: number,
      fn: (i: number) => Promise<unknown>,
    ): Promise<Diagnostic> => {
      timer.reset();
      timer.enable();
      const t0 = performance.now();
      try {
        for (let i = 0; i < requests; i++) await fn(i);
      } finally {
        timer.disable();
      }
      const d: Diagnostic = {
        name,
        requests,
        statements: timer.top(10),
        perRequestMs: (performance.now() - t0) / requests,
      };
      return d;
    };
    const diagnostics = [
      await diagnose('Search, name prefix', 30, (i) =>
        get(`/api/v1/clients?q=${encodeURIComponent(namePrefixes[i % namePrefixes.length]!)}`),
      ),
      await diagnose('Search, email', 30, (i) =>
        get(`/api/v1/clients?q=${encodeURIComponent(emails[i % emails.length]!)}`),
      ),
      await diagnose('Search, phone fragment', 30, (i) =>
        get(`/api/v1/clients?q=${encodeURIComponent(phones[i % phones.length]!)}`),
      ),
      await diagnose('LTV first page', 30, () => get('/api/v1/clients?sort=-lifetime_value&limit=50')),
      await diagnose('Exact count, whole workspace', 10, () => get('/api/v1/clients/count')),
      await diagnose(`Exact count, \`${COUNT_TERM}\``, 10, () =>
        get(`/api/v1/clients/count?q=${COUNT_TERM}`),
      ),
    ];
    // Ingestion statements: 5 more activity-weighted batches (deleted with the others afterwards).
    {
      const picks = (
        await admin.query<{ id: string }>(
          `select c.id from events e tablesample system (1) repeatable (7) join clients c on c.id = e.client_id
           where e.workspace_id = $1 and c.erased_at is null limit 5000`,
          [ws],
        )
      ).rows;
      const bodies = Array.from({ length: 5 }, (_, k) =>
        JSON.stringify({
          events: Array.from({ length: 1000 }, (_, j) => picks[(k * 1000 + j) % picks.length]!).map(
            (p, j) => ({
              client_id: p.id,
              type: j % 3 === 0 ? 'payment' : 'booking',
              occurred_at: new Date(Date.now() - j * 60_000).toISOString(),
              ...(j % 3 === 0 ? { amount: 12.5, currency: 'EUR' } : {}),
              reference_id: `${runTag}-diag-${k}-${j}`,
            }),
          ),
        }),
      );
      for (const p of picks) touchedAll.add(p.id);
      diagnostics.push(
        await diagnose('POST /api/v1/events (1,000, activity-weighted)', 5, async (k) => {
          const res = await product.http.inject({
            method: 'POST',
            url: '/api/v1/events',
            headers: { ...headers, 'content-type': 'application/json' },
            payload: bodies[k]!,
          });
          if (res.statusCode !== 200) throw new Error(`POST /api/v1/events: ${res.statusCode}`);
        }),
      );
    }

    // ---- plans -------------------------------------------------------------------------------------------
    const explain = async (name: string, sql: string, params: unknown[]): Promise<Plan> => {
      const r = await pool.query(`explain (analyze, buffers) ${sql}`, params);
      const text = r.rows.map((x: Record<string, string>) => x['QUERY PLAN']).join('\n');
      const executionMs = Number(/Execution Time: ([\d.]+) ms/.exec(text)?.[1] ?? Number.NaN);
      return { name, sql, text, executionMs };
    };
    const mart = searchPatterns('mart');
    const anEmail = searchPatterns(emails[0]!);
    const aPhone = searchPatterns(phones[0]!);
    const countTerm = searchPatterns(COUNT_TERM);
    const deep = byRank.get(ranks[0]!)!;
    const plans = [
      await explain('Search `mart`: page', pageSql(searchWhere(mart), CREATED_ORDER, 51), [
        ws,
        ...mart.params,
      ]),
      await explain(`Search \`mart\`: count up to ${int(TOTAL_CAP + 1)}`, countSql(searchWhere(mart)), [
        ws,
        ...mart.params,
      ]),
      await explain(`Search email \`${emails[0]}\`: page`, pageSql(searchWhere(anEmail), CREATED_ORDER, 51), [
        ws,
        ...anEmail.params,
      ]),
      await explain(`Search email \`${emails[0]}\`: count`, countSql(searchWhere(anEmail)), [
        ws,
        ...anEmail.params,
      ]),
      await explain(`Search phone \`${phones[0]}\`: page`, pageSql(searchWhere(aPhone), CREATED_ORDER, 51), [
        ws,
        ...aPhone.params,
      ]),
      await explain(`Search phone \`${phones[0]}\`: count`, countSql(searchWhere(aPhone)), [
        ws,
        ...aPhone.params,
      ]),
      await explain('LTV first page: page', pageSql(allWhere, ltvOrder, 51), [ws]),
      await explain(
        'LTV deep page: page',
        pageSql(`${allWhere} and (lifetime_value, id) < ($2::numeric, $3::uuid)`, ltvOrder, 51),
        [ws, deep.v, deep.id],
      ),
      await explain(`List: count of the workspace up to ${int(TOTAL_CAP + 1)}`, countSql(allWhere), [ws]),
      await explain('GET /clients/count: exact count of the workspace', exactCountSql(allWhere), [ws]),
      await explain(
        `GET /clients/count?q=${COUNT_TERM}: exact count`,
        exactCountSql(searchWhere(countTerm)),
        [ws, ...countTerm.params],
      ),
    ];
    // The slowest search page of each breakdown, planned again (the p95 of the page alone lives there).
    for (const b of breakdowns.slice(0, 3)) {
      const it = slowestItems.get(b.name)!;
      plans.push(
        await explain(
          `${b.name}: the slowest page of the breakdown (${it.label}, ${ms1(b.slowestPage.ms)} ms there)`,
          pageSql(it.where, it.order, 51),
          it.params,
        ),
      );
    }
    for (const p of plans) log(`plan ${p.name}: ${ms1(p.executionMs)} ms`);

    // ---- cleanup: the cached dataset goes back to what was generated ------------------------------------
    const c0 = performance.now();
    const deleted = await admin.query(`delete from events where workspace_id = $1 and created_at >= $2`, [
      ws,
      ingestStart,
    ]);
    const rescored = await rescoreClients(admin, ws, [...touchedAll]);
    await admin.query(`vacuum (analyze) events, clients`);
    const cleanup = { deletedEvents: deleted.rowCount ?? 0, rescored, ms: performance.now() - c0 };
    log(
      `cleanup: ${cleanup.deletedEvents} ingested events deleted, ${rescored} clients rescored (${(cleanup.ms / 1000).toFixed(1)} s)`,
    );

    return {
      date: startedAt,
      machine: machineLine(machineAtStart),
      postgresVersion: pgVersion,
      settings,
      dataDir,
      poolMax: config.dbPoolMax,
      cached,
      dataset,
      sizes,
      quiet,
      pgSettings: options.pgSettings,
      options: {
        pgSettings: options.pgSettings,
        clients: options.clients,
        events: options.events,
        queries: options.queries,
        batches: options.batches,
        batchSize: options.batchSize,
        cache: options.cache,
      },
      search,
      namedTerms,
      list,
      counts,
      breakdowns,
      ingest,
      diagnostics,
      plans,
      countAll,
      cleanup,
      totalMs: performance.now() - started,
    };
  } finally {
    if (app) await app.close().catch(() => undefined);
    await scope.close();
  }
}

// ---- report ---------------------------------------------------------------------------------------------

function pairRow(p: Pair, target: number | null, noTarget = ''): string {
  const pass = target === null ? '' : ok(p.product.p95 <= target);
  return `| ${p.name} | ${p.product.n} | ${ms1(p.product.p50)} / **${ms1(p.product.p95)}** / ${ms1(p.product.p99)} | ${ms1(p.baseline.p50)} / ${ms1(p.baseline.p95)} / ${ms1(p.baseline.p99)} | ${ratio(p.product.p50, p.baseline.p50)} / ${ratio(p.product.p95, p.baseline.p95)} | ${p.totals ? `${int(p.totals.p50)} (max ${int(p.totals.max)})` : ''} | ${target === null ? noTarget : `≤ ${target} ms`} | ${pass} |`;
}

export function renderClients(r: ClientsBenchResult, tuned: ClientsBenchResult | null = null): string {
  const g = r.dataset.result;
  const s = g.stats;
  const L: string[] = [];
  const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)} %`;
  L.push(
    `## Clients 360 at ${int(r.options.clients)} clients and ${int(r.options.events)} events (\`bench/clients.ts\`)`,
  );
  L.push('');
  L.push(`- Date: ${r.date}`);
  L.push(`- Machine: ${r.machine}; ${r.quiet}`);
  L.push(`- PostgreSQL: \`${r.postgresVersion}\`, embedded as the product starts it (${r.settings})`);
  L.push(
    `- Method: \`node bin/run-ts.mjs bench/clients.ts\`. Embedded PostgreSQL on ${r.cached ? 'the cached' : 'a freshly generated'} dataset in \`bench/.data/\`; the product built in-process by \`createClientela\` (logger off), requests through \`app.http.inject\` with an owner API key (so every figure includes the API-key lookup, validation, JSON serialization). Baseline: a plain \`pg\` Pool of the same size (${r.poolMax}) on the same database running the SQL the product's code path boils down to. Product and baseline alternate request by request (who goes first alternates too) so the machine's noise lands on both; latencies are per request, one at a time, warm caches (a warm-up pass runs first), nearest-rank percentiles.`,
  );
  L.push('');
  L.push('### Dataset (`bench/data-generator.ts`)');
  L.push('');
  const genS = g.ms / 1000;
  L.push(
    `Generated in **${genS.toFixed(0)} s** (target ≤ ${TARGETS.generationS} s ${ok(genS <= TARGETS.generationS)}) on ${g.generatedAt.slice(0, 16).replace('T', ' ')} UTC, set-based (INSERT … SELECT over generate_series with hash-based pseudo-random expressions) on two connections; indexes of the empty tables dropped first and rebuilt after, foreign-key triggers skipped (\`session_replication_role = replica\`${g.fastPath.replicationRoleReplica ? '' : ': not available, foreign keys dropped and re-added'}), autovacuum off on those tables during the load. Then, outside that time: VACUUM (ANALYZE) ${(r.dataset.settle.vacuumMs / 1000).toFixed(0)} s and CHECKPOINT ${(r.dataset.settle.checkpointMs / 1000).toFixed(0)} s, so measurements don't meet autovacuum. A sample of ${g.check.sampled} clients was checked against the product's own \`searchTextOf\`, \`riskScore\` and score aggregate: ${g.check.searchTextMismatches + g.check.riskMismatches} mismatches.`,
  );
  L.push('');
  L.push("| Phase | Wall | CPU of the generator's PostgreSQL connections | Machine busy (% of all cores) |");
  L.push('|---|---:|---:|---:|');
  for (const p of g.phases) {
    L.push(
      `| ${p.name} | ${(p.ms / 1000).toFixed(1)} s | ${p.backendCpuS === null ? 'n/a' : `${p.backendCpuS.toFixed(1)} s`} | ${p.machineBusyPct.toFixed(0)} % |`,
    );
  }
  L.push(
    `| **Total** | **${genS.toFixed(1)} s** | ${g.phases.reduce((a, p) => a + (p.backendCpuS ?? 0), 0).toFixed(1)} s | |`,
  );
  L.push('');
  const e = s.eventsPerClient;
  L.push(
    `What it holds: ${int(s.clients)} clients (${pct(s.withEmail, s.clients)} with an email, ${pct(s.withPhone, s.clients)} with an E.164 mobile, ${pct(s.withExternalId, s.clients)} with an external id, ${int(s.erased)} erased; Spanish/French/English names with accents, Zipf-ish name frequencies, created over 3 years), ${int(s.clientTags)} tag memberships over 10 tags, ${int(s.consentEvents)} consent grants with history, ${int(s.events)} events (${Object.entries(
      s.eventsByType,
    )
      .map(([t, n]) => `${t} ${pct(n, s.events)}`)
      .join(
        ', ',
      )}) over 2 years, written in time order. Events per client: ${pct(e.zero, s.clients)} none, ${pct(e.oneToThree, s.clients)} 1–3, ${pct(e.fourTo99, s.clients)} 4–99, ${pct(e.hundredPlus, s.clients)} 100 or more (max ${int(e.max)}; p50 ${e.p50}, p90 ${e.p90}, p99 ${e.p99}). Payments: median ${s.payments.p50.toFixed(2)}, p99 ${s.payments.p99.toFixed(2)}. Sizes on disk with indexes: ${r.sizes.map((x) => `${x.relation} ${x.size}`).join(', ')}.`,
  );
  L.push('');
  L.push('### Search `GET /api/v1/clients?q=…` (default sort, 50 per page, with `total`)');
  L.push('');
  L.push(
    `Baseline: the page query (\`select * from clients where workspace_id = $1 and erased_at is null and <search> order by ${CREATED_ORDER} limit 51\`, the ORDER BY spelled like the \`(workspace_id, created_at DESC NULLS LAST, id DESC NULLS LAST)\` index) and the product's capped count with the same predicate (\`select count(*) from (select 1 from clients where … limit ${int(TOTAL_CAP + 1)}) matched\`: \`total\` says at most ${int(TOTAL_CAP)}, with \`total_exact: false\` beyond), in parallel, as the product runs them. \`<search>\` is the product's: \`email = $2\` (q lower-cased) when q is a whole email address, \`search_text like '%<digits>%'\` when q looks like a phone number, else \`search_text like '%<word>%'\` for each folded word (trigram index \`gin (search_text gin_trgm_ops)\`).`,
  );
  L.push('');
  L.push(
    `| Terms | Queries | Product p50 / **p95** / p99 (ms) | Baseline p50 / p95 / p99 (ms) | Product ÷ baseline (p50 / p95) | \`total\` returned, median (max) (capped at ${int(TOTAL_CAP)}) | Target p95 | Result |`,
  );
  L.push('|---|---:|---:|---:|---:|---:|---:|:---:|');
  for (const p of r.search) L.push(pairRow(p, p.target));
  for (const p of r.namedTerms) L.push(pairRow(p, null));
  L.push('');
  for (const p of [...r.search, ...r.namedTerms]) {
    if (p.totalMismatches)
      L.push(
        `- ❌ ${p.name}: the product's \`total\` differed from the baseline count in ${p.totalMismatches} queries.`,
      );
  }
  L.push(
    `Terms: ${r.search.map((p) => `${p.name.toLowerCase()}: ${p.detail}`).join('; ')}. The product's \`total\` equals the baseline count in every query${r.search.some((p) => p.totalMismatches) ? ' except those listed above' : ''}.`,
  );
  L.push('');
  L.push(`CPU during the search runs: ${r.search.map((p) => `${p.name}: ${cpuLine(p.cpu)}`).join('; ')}.`);
  L.push('');
  L.push('### List sorted by lifetime value `GET /api/v1/clients?sort=-lifetime_value&limit=50`');
  L.push('');
  L.push(
    `Baseline: \`select * from clients where workspace_id = $1 and erased_at is null [and (lifetime_value, id) < ($2, $3)] order by ${LTV_ORDER} limit 51\` (the order of the \`(workspace_id, lifetime_value DESC NULLS LAST, id DESC NULLS LAST)\` index) and the capped count of the workspace (\`select count(*) from (select 1 … limit ${int(TOTAL_CAP + 1)}) matched\`, so \`total\` is ${int(TOTAL_CAP)} with \`total_exact: false\`), in parallel, as the product runs them.`,
  );
  L.push('');
  L.push(
    `| Page | Requests | Product p50 / **p95** / p99 (ms) | Baseline p50 / p95 / p99 (ms) | Product ÷ baseline (p50 / p95) | \`total\` returned (capped at ${int(TOTAL_CAP)}) | Target p95 | Result |`,
  );
  L.push('|---|---:|---:|---:|---:|---:|---:|:---:|');
  for (const p of r.list) L.push(pairRow(p, p.target));
  L.push('');
  L.push(
    `${r.list.map((p) => `${p.name}: ${p.detail}`).join('; ')}. CPU: ${r.list.map((p) => `${p.name}: ${cpuLine(p.cpu)}`).join('; ')}.`,
  );
  for (const p of r.list) {
    if (p.totalMismatches)
      L.push(
        `- ❌ ${p.name}: the product's \`total\` or first row differed from the baseline's in ${p.totalMismatches} requests.`,
      );
  }
  L.push('');
  L.push('### Exact count `GET /api/v1/clients/count`');
  L.push('');
  L.push(
    `No target: informative. The list counts only up to ${int(TOTAL_CAP)}; the dashboard asks this endpoint for the exact figure only when the list says ${int(TOTAL_CAP)}+. Baseline: \`select count(*) from clients where workspace_id = $1 and erased_at is null [and <search>]\` (\`countClients\` without a cap, the same filters as the list). ${r.counts.map((p) => p.detail).join(' and ')}, product and baseline alternating.`,
  );
  L.push('');
  L.push(
    '| Filter | Requests | Product p50 / **p95** / p99 (ms) | Baseline p50 / p95 / p99 (ms) | Product ÷ baseline (p50 / p95) | `total` returned | Target p95 | Result |',
  );
  L.push('|---|---:|---:|---:|---:|---:|---:|:---:|');
  for (const p of r.counts) L.push(pairRow(p, null, 'none'));
  L.push('');
  L.push(
    `The product's \`total\` equals the baseline count in ${r.counts.every((p) => p.totalMismatches === 0) ? 'every request ✅' : `all but ${r.counts.reduce((a, p) => a + p.totalMismatches, 0)} requests ❌`}. CPU: ${r.counts.map((p) => `${p.name}: ${cpuLine(p.cpu)}`).join('; ')}.`,
  );
  L.push('');
  L.push(
    '#### Does `total` dominate? The baseline split: page query alone, then count alone (one after the other)',
  );
  L.push('');
  L.push(
    '| Request | Page alone p50 / p95 (ms) | Slowest page alone (ms) | Count alone p50 / p95 (ms) | Count share of the two (p50) |',
  );
  L.push('|---|---:|---:|---:|---:|');
  for (const b of r.breakdowns) {
    L.push(
      `| ${b.name} | ${ms1(b.pageOnly.p50)} / ${ms1(b.pageOnly.p95)} | ${ms1(b.slowestPage.ms)} (${b.slowestPage.label}) | ${ms1(b.countOnly.p50)} / ${ms1(b.countOnly.p95)} | ${pct(b.countOnly.p50, b.countOnly.p50 + b.pageOnly.p50)} |`,
    );
  }
  L.push('');
  L.push('### Event ingestion `POST /api/v1/events`, batches of 1,000');
  L.push('');
  L.push(
    "Each batch: ~half the rows name the client by `external_id` (when it has one), the rest by `client_id`; booking 36 %, payment 30 % (with amount), visit 24 %, support 10 %, within the last 30 days; bookings and payments carry a `reference_id`, and 10 % of the rows repeat the type + reference of an event sent in an earlier batch (an update through the upsert). 3 warm-up batches, then the measured ones, one at a time. Baseline, same rows: one transaction that locks the clients (`select id … for no key update`, in id order, as the product does so that concurrent batches score one after the other), runs one multi-row `INSERT … SELECT FROM (VALUES …) LEFT JOIN clients (external ids) … ON CONFLICT (workspace_id, type, reference_id) DO UPDATE … RETURNING client_id`, then one set-based `UPDATE clients … FROM (<the product's aggregate of the touched clients>)` writing the same score columns and risk.",
  );
  L.push('');
  L.push(
    '| Clients drawn | Batches | Product events/s | Product batch p50 / p95 (ms) | Baseline events/s | Baseline batch p50 / p95 (ms) | Product ÷ baseline (throughput) | Raw INSERT alone, events/s | 2 senders at once: product / baseline events/s | Target | Result |',
  );
  L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|');
  for (const i of r.ingest) {
    L.push(
      `| ${i.name}: ${i.detail}; mean ${int(i.meanEventsPerTouchedClient)} stored events per touched client | ${i.batches} × ${i.batchSize} | **${int(i.product.eventsPerSecond)}** | ${ms1(i.product.batchMs.p50)} / ${ms1(i.product.batchMs.p95)} | ${int(i.baseline.eventsPerSecond)} | ${ms1(i.baseline.batchMs.p50)} / ${ms1(i.baseline.batchMs.p95)} | ${(i.product.eventsPerSecond / i.baseline.eventsPerSecond).toFixed(2)}× | ${int(i.rawInsert.eventsPerSecond)} | ${int(i.concurrent.product)} / ${int(i.concurrent.baseline)} | ≥ ${int(TARGETS.eventsPerSecond)}/s | ${ok(i.product.eventsPerSecond >= TARGETS.eventsPerSecond)} |`,
    );
  }
  L.push('');
  L.push(
    `Raw INSERT alone: the baseline's multi-row \`INSERT … ON CONFLICT\` of the same kind of batch (on other clients) in its own transaction, without locking or rescoring. It is the ceiling of this machine: what PostgreSQL here writes at best into the 10M-row \`events\` table with its indexes and foreign keys, one batch of ${int(r.options.batchSize)} at a time, before any product or scoring work; no implementation of this endpoint can go faster on this machine. "2 senders at once": ${r.options.batches} more batches sent by two concurrent senders (wall-clock throughput).`,
  );
  L.push('');
  L.push(
    `Target against that ceiling: ≥ ${int(TARGETS.eventsPerSecond)} events/s is ${r.ingest
      .map(
        (i) =>
          `${ratio(TARGETS.eventsPerSecond, i.rawInsert.eventsPerSecond)} the raw-INSERT ceiling of the ${i.name} run (${int(i.rawInsert.eventsPerSecond)} events/s; the product reaches ${pct(i.product.eventsPerSecond, i.rawInsert.eventsPerSecond)} of it)`,
      )
      .join(', and ')}.`,
  );
  L.push('');
  for (const i of r.ingest) {
    const good =
      i.check.product.mismatches === 0 && i.check.baseline.mismatches === 0 && i.product.rejected === 0;
    L.push(
      `- ${i.name}: scores kept right ${ok(good)} — after the run, every touched client's lifetime_value, booking_count, visit_frequency_days, last_booking_at and last_activity_at were compared with a fresh aggregate of its events: product ${i.check.product.mismatches} mismatches in ${int(i.check.product.clients)} clients, baseline ${i.check.baseline.mismatches} in ${int(i.check.baseline.clients)}; ${i.product.rejected} rows rejected. Sample: ${i.check.sample}. CPU: ${cpuLine(i.cpu)}.`,
    );
  }
  L.push('');
  L.push(
    `Afterwards the ${int(r.cleanup.deletedEvents)} events this run wrote were deleted and ${int(r.cleanup.rescored)} clients rescored, so the cached dataset stays as generated.`,
  );
  L.push('');
  L.push('### Where the product spends its time (statements timed inside the product process)');
  L.push('');
  for (const d of r.diagnostics) {
    L.push(
      `- **${d.name}** (${d.requests} requests, ${ms1(d.perRequestMs)} ms each): ${d.statements
        .slice(0, 6)
        .map(
          (st) =>
            `\`${st.label.replace(/`/g, "'")}\` ${ms1(st.totalMs / d.requests)} ms/request (${(st.calls / d.requests).toFixed(1).replace(/\.0$/, '')}×)`,
        )
        .join('; ')}`,
    );
  }
  L.push('');
  L.push('### Plans (`EXPLAIN (ANALYZE, BUFFERS)`)');
  L.push('');
  L.push(
    "The baseline's SQL (the product's), planned once each after the ingestion runs, so some pages come from outside shared buffers (`read=`); the measured figures above ran before the ingestion, on warm caches. The last plans are those of the slowest search page of each breakdown.",
  );
  L.push('');
  for (const p of r.plans) {
    L.push(`<details><summary>${p.name}: ${ms1(p.executionMs)} ms</summary>`);
    L.push('');
    L.push('```');
    L.push(p.text);
    L.push('```');
    L.push('</details>');
    L.push('');
  }
  if (tuned) {
    L.push(`### Configuration experiment: PostgreSQL with \`${tuned.pgSettings.join(' ')}\``);
    L.push('');
    L.push(
      `The same benchmark on the same dataset (${tuned.date}), PostgreSQL started with these settings on top of the product's embedded ones (${r.settings}); nothing else changed. Product figures:`,
    );
    L.push('');
    L.push('| Request | As the product starts PostgreSQL | With the settings | Change |');
    L.push('|---|---:|---:|---:|');
    const row = (label: string, a: number, b: number, unit: string) =>
      L.push(
        `| ${label} | ${unit === 'ms' ? ms1(a) : int(a)} ${unit} | ${unit === 'ms' ? ms1(b) : int(b)} ${unit} | ${ratio(b, a)} |`,
      );
    r.search.forEach((p, i) => {
      const t = tuned.search[i];
      if (t) row(`Search, ${p.name.toLowerCase()}, p95`, p.product.p95, t.product.p95, 'ms');
    });
    r.list.forEach((p, i) => {
      const t = tuned.list[i];
      if (t) row(`List by LTV, ${p.name.toLowerCase()}, p95`, p.product.p95, t.product.p95, 'ms');
    });
    r.ingest.forEach((p, i) => {
      const t = tuned.ingest[i];
      if (!t) return;
      row(
        `Ingestion (${p.name}), events/s`,
        p.product.eventsPerSecond,
        t.product.eventsPerSecond,
        'events/s',
      );
      row(
        `Ingestion (${p.name}), 2 senders, events/s`,
        p.concurrent.product,
        t.concurrent.product,
        'events/s',
      );
      row(
        `Ingestion (${p.name}), raw INSERT ceiling, events/s`,
        p.rawInsert.eventsPerSecond,
        t.rawInsert.eventsPerSecond,
        'events/s',
      );
    });
    L.push('');
  }
  L.push('### Against the targets');
  L.push('');
  L.push('| Target (issue 3) | Measured | Result |');
  L.push('|---|---:|:---:|');
  L.push(
    `| Generator: 1M clients + 10M events in ≤ 5 min | ${genS.toFixed(0)} s | ${ok(genS <= TARGETS.generationS)} |`,
  );
  for (const p of r.search)
    L.push(
      `| Search by ${p.name.toLowerCase()}: p95 ≤ ${TARGETS.searchP95Ms} ms | ${ms1(p.product.p95)} ms | ${ok(p.product.p95 <= TARGETS.searchP95Ms)} |`,
    );
  for (const p of r.list)
    L.push(
      `| List by LTV, ${p.name.toLowerCase()}: p95 ≤ ${TARGETS.listP95Ms} ms | ${ms1(p.product.p95)} ms | ${ok(p.product.p95 <= TARGETS.listP95Ms)} |`,
    );
  for (const i of r.ingest)
    L.push(
      `| Ingestion (${i.name}): ≥ ${int(TARGETS.eventsPerSecond)} events/s in batches of 1,000, scores right | ${int(i.product.eventsPerSecond)} events/s, ${i.check.product.mismatches} score mismatches | ${ok(i.product.eventsPerSecond >= TARGETS.eventsPerSecond && i.check.product.mismatches === 0)} |`,
    );
  L.push('');
  L.push(`Whole run: ${(r.totalMs / 60_000).toFixed(1)} min.`);
  return L.join('\n');
}

// ---- CLI -------------------------------------------------------------------------------------------------

function resultFile(clients: number, tuned: boolean): string {
  return path.join(BENCH_DIR, '.data', `clients-last-${clients}${tuned ? '-tuned' : ''}.json`);
}

/** The section from the last main run, plus the last configuration experiment on the same dataset. */
function renderFromFiles(clients: number): string | null {
  const main = resultFile(clients, false);
  if (!existsSync(main)) return null;
  const r = JSON.parse(readFileSync(main, 'utf8')) as ClientsBenchResult;
  const tunedFile = resultFile(clients, true);
  const tuned = existsSync(tunedFile)
    ? (JSON.parse(readFileSync(tunedFile, 'utf8')) as ClientsBenchResult)
    : null;
  const sameData = tuned && tuned.dataset.result.generatedAt === r.dataset.result.generatedAt;
  return renderClients(r, sameData ? tuned : null);
}

async function main() {
  installSignalCleanup();
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '1000000' },
      events: { type: 'string', default: '10000000' },
      queries: { type: 'string', default: '200' },
      batches: { type: 'string', default: '50' },
      'batch-size': { type: 'string', default: '1000' },
      'no-cache': { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      'pg-setting': { type: 'string', multiple: true, default: [] },
      render: { type: 'boolean', default: false },
      'timeout-min': { type: 'string', default: '120' },
    },
  });
  const log = (line: string) =>
    process.stderr.write(`[clients] ${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const clients = Number(values.clients!.replaceAll('_', ''));
  if (values.render) {
    const body = renderFromFiles(clients);
    if (!body) throw new Error(`no ${resultFile(clients, false)} yet: run the benchmark first`);
    writeSection(RESULTS, body);
    log(`wrote the clients section of ${RESULTS}`);
    return exitAfterCleanup(0);
  }
  const timeoutMin = Number(values['timeout-min']);
  // A bounded run: past the deadline, the signal cleanup stops PostgreSQL and exits.
  setTimeout(() => {
    log(`no result after ${timeoutMin} min: stopping`);
    process.kill(process.pid, 'SIGTERM');
  }, timeoutMin * 60_000).unref();
  const pgSettings = values['pg-setting'] ?? [];
  const result = await runClientsBench({
    clients,
    events: Number(values.events!.replaceAll('_', '')),
    queries: Number(values.queries),
    batches: Number(values.batches),
    batchSize: Number(values['batch-size']),
    cache: !values['no-cache'],
    pgSettings,
    log,
  });
  mkdirSync(path.join(BENCH_DIR, '.data'), { recursive: true });
  writeFileSync(resultFile(clients, pgSettings.length > 0), `${JSON.stringify(result, null, 2)}\n`);
  const body = renderFromFiles(clients) ?? renderClients(result, null);
  if (!values['no-write'] && result.options.cache) {
    writeSection(RESULTS, body);
    log(`wrote the clients section of ${RESULTS}`);
  } else process.stdout.write(`${pgSettings.length ? renderClients(result, null) : body}\n`);
  await exitAfterCleanup(0);
}

if (isMain(import.meta.url)) {
  main().catch(async (error) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    await exitAfterCleanup(1);
  });
}
