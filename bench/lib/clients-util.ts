/**
 * Helpers of the Clients 360 benchmark (bench/clients.ts): latency statistics, CPU accounting of a
 * measured window, per-statement timing of the product's queries, and the RESULTS.md section writer.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { createClientela } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createApiKey } from '../../src/modules/api-keys/api-keys.service.ts';
import { systemContext } from '../../src/platform/auth/context.ts';
import { CLK_TCK, machineTicks, postgresPids, procStat, type Scope, withTimeout } from './proc.ts';

// ---- latency statistics -----------------------------------------------------------------------------

export interface Latency {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
}

/** Nearest-rank percentiles (the p-th value of the sorted sample, no interpolation). */
export function latency(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted.length
      ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
      : Number.NaN;
  return {
    n: sorted.length,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    mean: sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

export const ms1 = (v: number) => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : 'n/a');
export const ratio = (a: number, b: number) =>
  b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(2)}×` : 'n/a';
export const int = (v: number) => Math.round(v).toLocaleString('en');

// ---- CPU of a measured window ---------------------------------------------------------------------------

export interface CpuUse {
  wallMs: number;
  /** % of one core (200 % = both cores of a 2-core machine). */
  machine: number;
  node: number;
  postgres: number;
  other: number;
}

/** CPU used during a window by this Node process, the data dir's PostgreSQL and everything else. */
export class CpuWindow {
  private t0 = 0;
  private m0 = machineTicks();
  private n0 = process.cpuUsage();
  private p0: { live: Map<number, number>; reaped: number } = { live: new Map(), reaped: 0 };
  constructor(private readonly dataDir: string) {}

  /** Live PostgreSQL processes' own ticks, and the ticks of the children the postmaster has reaped. */
  private pgTicks(): { live: Map<number, number>; reaped: number } {
    const live = new Map<number, number>();
    const pids = postgresPids(this.dataDir);
    for (const pid of pids) {
      const stat = procStat(pid);
      if (stat) live.set(pid, stat.cpuTicks);
    }
    // Fields 16 and 17 of /proc/<pid>/stat (cutime, cstime): CPU of waited-for children, i.e. backends
    // and parallel workers that exited during the window.
    let reaped = 0;
    const postmaster = pids[0];
    if (postmaster !== undefined) {
      try {
        const text = readFileSync(`/proc/${postmaster}/stat`, 'utf8');
        const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
        reaped = Number(rest[13]) + Number(rest[14]);
      } catch {
        reaped = 0;
      }
    }
    return { live, reaped };
  }

  start(): this {
    this.t0 = performance.now();
    this.m0 = machineTicks();
    this.n0 = process.cpuUsage();
    this.p0 = this.pgTicks();
    return this;
  }

  stop(): CpuUse {
    const wallMs = performance.now() - this.t0;
    const m1 = machineTicks();
    const n = process.cpuUsage(this.n0);
    const p1 = this.pgTicks();
    // Alive at the end: what they used since the start (all of it when born meanwhile). Exited
    // meanwhile: their whole life is in the postmaster's reaped ticks, minus what they had at the start.
    let pgDelta = p1.reaped - this.p0.reaped;
    for (const [pid, ticks] of p1.live) pgDelta += ticks - (this.p0.live.get(pid) ?? 0);
    for (const [pid, ticks] of this.p0.live) if (!p1.live.has(pid)) pgDelta -= ticks;
    const seconds = wallMs / 1000;
    const pct = (cpuSeconds: number) => (seconds > 0 ? (cpuSeconds / seconds) * 100 : 0);
    const machine = pct((m1.busy - this.m0.busy) / CLK_TCK);
    const node = pct((n.user + n.system) / 1e6);
    const postgres = pct(Math.max(0, pgDelta) / CLK_TCK);
    return { wallMs, machine, node, postgres, other: Math.max(0, machine - node - postgres) };
  }
}

export function cpuLine(c: CpuUse): string {
  return `Node ${c.node.toFixed(0)} %, PostgreSQL ${c.postgres.toFixed(0)} %, other processes ${c.other.toFixed(0)} % (machine ${c.machine.toFixed(0)} % of 200 %)`;
}

// ---- per-statement timing of the product's queries ------------------------------------------------------

export interface StatementTime {
  label: string;
  calls: number;
  totalMs: number;
}

/**
 * While enabled, times every pg Client query of this process by statement (first words of its SQL),
 * from the call until its result is back (includes waiting for a pool connection's turn on the wire).
 * Diagnostic only: it wraps pg.Client.prototype.query, so it also sees the baseline's queries if
 * those run meanwhile; callers run it around product requests alone.
 */
export class StatementTimer {
  private readonly original = pg.Client.prototype.query;
  readonly times = new Map<string, StatementTime>();

  static label(text: string): string {
    const flat = text.replace(/\s+/g, ' ').trim();
    const m = /^(select|insert into|update|delete from|with|begin|commit|rollback)\b/i.exec(flat);
    if (!m) return flat.slice(0, 60);
    const word = m[1]!.toLowerCase();
    if (word === 'begin' || word === 'commit' || word === 'rollback') return word;
    const table = /\b(?:from|into|update)\s+("?[\w.]+"?)/i.exec(flat)?.[1]?.replaceAll('"', '') ?? '';
    return `${flat.slice(0, 48)}… [${word}${table ? ` ${table}` : ''}]`;
  }

  enable(): void {
    const original = this.original;
    const times = this.times;
    const record = (label: string, started: number) => {
      const entry = times.get(label) ?? { label, calls: 0, totalMs: 0 };
      entry.calls++;
      entry.totalMs += performance.now() - started;
      times.set(label, entry);
    };
    pg.Client.prototype.query = function patched(this: pg.Client, ...args: unknown[]) {
      const first = args[0] as string | { text?: string } | undefined;
      const text = typeof first === 'string' ? first : (first?.text ?? '');
      const label = StatementTimer.label(text);
      const started = performance.now();
      const last = args.at(-1);
      if (typeof last === 'function') {
        args[args.length - 1] = (...cbArgs: unknown[]) => {
          record(label, started);
          return (last as (...a: unknown[]) => unknown)(...cbArgs);
        };
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      }
      const result = (original as (...a: unknown[]) => unknown).apply(this, args);
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        return (result as Promise<unknown>).then(
          (value) => {
            record(label, started);
            return value;
          },
          (error) => {
            record(label, started);
            throw error;
          },
        );
      }
      return result;
    } as typeof pg.Client.prototype.query;
  }

  disable(): void {
    pg.Client.prototype.query = this.original;
  }

  reset(): void {
    this.times.clear();
  }

  top(n = 8): StatementTime[] {
    return [...this.times.values()].sort((a, b) => b.totalMs - a.totalMs).slice(0, n);
  }
}

// ---- product and baseline, alternating -------------------------------------------------------------------

/**
 * Product and baseline one after the other per item; who goes first alternates, so the noise of a shared
 * machine lands on both. `after` sees both answers (to compare them). Each call is bounded by `timeoutMs`.
 */
export async function alternate<T, P, B>(
  items: T[],
  product: (item: T) => Promise<P>,
  baseline: (item: T) => Promise<B>,
  after: (item: T, p: P, b: B) => void,
  timeoutMs = 120_000,
): Promise<{ product: number[]; baseline: number[] }> {
  const pTimes: number[] = [];
  const bTimes: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    let p!: P;
    let b!: B;
    const runP = async () => {
      const t0 = performance.now();
      p = await withTimeout(product(item), timeoutMs, 'product request');
      pTimes.push(performance.now() - t0);
    };
    const runB = async () => {
      const t0 = performance.now();
      b = await withTimeout(baseline(item), timeoutMs, 'baseline query');
      bTimes.push(performance.now() - t0);
    };
    if (i % 2 === 0) {
      await runP();
      await runB();
    } else {
      await runB();
      await runP();
    }
    after(item, p, b);
  }
  return { product: pTimes, baseline: bTimes };
}

// ---- RESULTS.md -----------------------------------------------------------------------------------------

export const SECTION_START = '<!-- bench:clients:start -->';
export const SECTION_END = '<!-- bench:clients:end -->';

/**
 * Replaces the text between the markers `<!-- bench:<section>:start -->` and `<!-- bench:<section>:end -->`
 * (adding them at the end of the file when absent). The file is read right before writing and replaced
 * atomically, so a section another benchmark wrote meanwhile stays.
 */
export function writeSection(file: string, body: string, section = 'clients'): void {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Clientela benchmarks\n';
  const start = `<!-- bench:${section}:start -->`;
  const end = `<!-- bench:${section}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const i = current.indexOf(start);
  const j = i >= 0 ? current.indexOf(end, i) : -1;
  const next =
    i >= 0 && j >= 0
      ? current.slice(0, i) + block + current.slice(j + end.length)
      : `${current.trimEnd()}\n\n${block}\n`;
  const tmp = `${file}.${section}-${process.pid}.tmp`;
  writeFileSync(tmp, next);
  renameSync(tmp, file);
}

/** The PostgreSQL a run measured: its version, the settings plans depend on, the tables' sizes. */
export async function describePostgres(admin: pg.Pool, tables: string[]) {
  const pgVersion = (await admin.query(`select version() as v`)).rows[0].v as string;
  const settings = (
    await admin.query(
      `select string_agg(name || '=' || current_setting(name), ', ' order by name) as s from pg_settings
       where name in ('shared_buffers', 'work_mem', 'effective_cache_size', 'random_page_cost', 'max_parallel_workers_per_gather', 'jit')`,
    )
  ).rows[0].s as string;
  const sizes = (
    await admin.query<{ relation: string; size: string }>(
      `select relname as relation, pg_size_pretty(pg_total_relation_size(oid)) as size from pg_class
       where relname = any($1) order by pg_total_relation_size(oid) desc`,
      [tables],
    )
  ).rows;
  return { pgVersion, settings, sizes };
}

/**
 * The product in-process as `serve` builds it (logger off, no dashboard) on a cached dataset, an
 * owner API key of the dataset's workspace, and the baseline's plain pg Pool of the same size.
 * The caller closes the app; the pool's end is deferred on `scope`.
 */
export async function startBenchProduct(options: {
  dataDir: string;
  url: string;
  workspaceId: string;
  keyName: string;
  scope: Scope;
}) {
  const config = loadConfig({ CLIENTELA_DATA_DIR: options.dataDir, LOG_LEVEL: 'silent' });
  const app = await createClientela({
    config,
    databaseUrl: options.url,
    secretKey: randomBytes(32).toString('hex'),
    logger: false,
    webDist: null,
  });
  app.markReady();
  const key = (
    await createApiKey(app.dbHandle.db, systemContext(options.workspaceId, 'bench'), {
      name: options.keyName,
      role: 'owner',
    })
  ).key;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: config.dbPoolMax,
    application_name: 'bench-baseline',
  });
  pool.on('error', () => undefined);
  options.scope.defer('close the baseline pool', () => pool.end());
  return { app, key, pool, config };
}
