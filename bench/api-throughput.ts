/**
 * Throughput and latency of GET /api/v1/me with an API key, against a bare Fastify baseline.
 *   node bin/run-ts.mjs bench/api-throughput.ts      (or via bench/run.ts, which also writes RESULTS.md)
 *
 * The product runs as `node bin/clientela.mjs serve` on a fresh embedded PostgreSQL; a workspace and
 * a viewer API key are made with the CLI. autocannon runs in its own process (bench/lib/load.ts),
 * 100 connections, 3 s warm-up, then 20 s measured. Then the product is stopped and a bare Fastify
 * (bench/lib/bare-fastify.ts, own process) answering the same JSON body gets the same load.
 * CPU use of each process during the measured 20 s comes from /proc/<pid>/stat.
 *
 * Environment knobs (for profiling; the defaults are what RESULTS.md reports):
 *   BENCH_DURATION=20 BENCH_WARMUP=3 BENCH_CONNECTIONS=100
 *   BENCH_LOG_LEVEL=<pino level for the product; default: unset, i.e. the product's default, info>
 *   BENCH_PATH=/api/v1/me   BENCH_AUTH=0 (send no API key: measures the stack without the DB lookup)
 *   BENCH_SKIP_BARE=1
 */
import type { LoadSpec, LoadSummary } from './lib/load-types.ts';
import {
  CLK_TCK,
  cli,
  fmtMs,
  freePort,
  httpGet,
  installSignalCleanup,
  isMain,
  launch,
  type MachineInfo,
  machineInfo,
  machineLine,
  makeTempDir,
  ok,
  pgVersionOf,
  postgresPids,
  procStat,
  RUN_TS,
  Scope,
  startProduct,
  stopProduct,
  utcNow,
  waitForOk,
  withTimeout,
} from './lib/proc.ts';

export const TARGETS = { reqPerSec: 3000, p99Ms: 30 };

export interface ThroughputOptions {
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** LOG_LEVEL for the product, or null for its default. */
  logLevel: string | null;
  path: string;
  auth: boolean;
  skipBare: boolean;
}

export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): ThroughputOptions {
  const num = (name: string, fallback: number) => {
    const value = Number(env[name]);
    return env[name] && Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    connections: num('BENCH_CONNECTIONS', 100),
    warmupSeconds: num('BENCH_WARMUP', 3),
    durationSeconds: num('BENCH_DURATION', 20),
    logLevel: env.BENCH_LOG_LEVEL || null,
    path: env.BENCH_PATH || '/api/v1/me',
    auth: env.BENCH_AUTH !== '0',
    skipBare: env.BENCH_SKIP_BARE === '1',
  };
}

export interface TargetRun {
  load: LoadSummary;
  /** CPU use during the measured window, in % of one core (200 % = both cores of a 2-core box). */
  cpuPercent: Record<string, number>;
  windowSeconds: number;
}

export interface ThroughputResult {
  date: string;
  machine: MachineInfo;
  options: ThroughputOptions;
  body: string;
  product: TargetRun;
  bare: TargetRun | null;
}

type Log = (message: string) => void;
type PidGroups = () => Record<string, number[]>;

function cpuSnapshot(groups: Record<string, number[]>): Map<string, Map<number, number>> {
  const snapshot = new Map<string, Map<number, number>>();
  for (const [name, pids] of Object.entries(groups)) {
    const ticks = new Map<number, number>();
    for (const pid of pids) {
      const stat = procStat(pid);
      if (stat) ticks.set(pid, stat.cpuTicks);
    }
    snapshot.set(name, ticks);
  }
  return snapshot;
}

/** Runs bench/lib/load.ts against `spec` and measures CPU of `groups` over the measured window only. */
async function runLoad(scope: Scope, name: string, spec: LoadSpec, groups: PidGroups): Promise<TargetRun> {
  let before: Map<string, Map<number, number>> | null = null;
  let startedAt = 0;
  let resolveResult: (value: { load: LoadSummary; cpuPercent: Record<string, number>; windowSeconds: number }) => void;
  const done = new Promise<TargetRun>((resolve) => {
    resolveResult = resolve;
  });
  let loadPid = 0;
  const proc = launch(scope, `autocannon → ${name}`, process.execPath, [RUN_TS, 'bench/lib/load.ts', JSON.stringify(spec)], {
    onLine: (line) => {
      if (!line.startsWith('@@bench ')) return;
      const message = JSON.parse(line.slice(8)) as { phase: string; result?: LoadSummary };
      if (message.phase === 'measure-start') {
        startedAt = performance.now();
        before = cpuSnapshot({ ...groups(), 'load generator (autocannon)': [loadPid] });
      } else if (message.phase === 'result' && message.result) {
        const windowSeconds = (performance.now() - startedAt) / 1000;
        const after = cpuSnapshot({ ...groups(), 'load generator (autocannon)': [loadPid] });
        const cpuPercent: Record<string, number> = {};
        for (const [group, ticks] of after) {
          let used = 0;
          for (const [pid, t] of ticks) used += t - (before?.get(group)?.get(pid) ?? 0);
          cpuPercent[group] = (used / CLK_TCK / windowSeconds) * 100;
        }
        resolveResult({ load: message.result, cpuPercent, windowSeconds });
      }
    },
  });
  loadPid = proc.pid;
  const limit = (spec.warmupSeconds + spec.durationSeconds + 60) * 1000;
  const failed = proc.exited.then((exit) => {
    throw new Error(`load generator exited (${exit.code ?? exit.signal}) without a result:\n${proc.output()}`);
  });
  try {
    return await withTimeout(Promise.race([done, failed]), limit, `load generator for ${name}`);
  } finally {
    failed.catch(() => undefined);
    await proc.stop();
  }
}

function spec(options: ThroughputOptions, port: number, headers: Record<string, string>): LoadSpec {
  return {
    url: `http://127.0.0.1:${port}${options.path}`,
    headers,
    connections: options.connections,
    warmupSeconds: options.warmupSeconds,
    durationSeconds: options.durationSeconds,
  };
}

function describe(name: string, run: TargetRun): string {
  const l = run.load;
  const cpu = Object.entries(run.cpuPercent)
    .map(([k, v]) => `${k} ${v.toFixed(0)}%`)
    .join(', ');
  return (
    `${name}: ${l.reqPerSecAvg.toFixed(0)} req/s, latency avg ${l.latencyMs.average.toFixed(2)} ms p50 ${l.latencyMs.p50} ms ` +
    `p99 ${l.latencyMs.p99} ms; 2xx ${l.ok2xx}, non-2xx ${l.non2xx}, errors ${l.errors}, timeouts ${l.timeouts}; CPU ${cpu}`
  );
}

export async function runThroughput(
  options: ThroughputOptions = optionsFromEnv(),
  log: Log = (m) => process.stderr.write(`[throughput] ${m}\n`),
): Promise<ThroughputResult> {
  const machine = machineInfo();
  const date = utcNow();
  const scope = new Scope();
  try {
    // --- the product
    const dataDir = await makeTempDir(scope, 'clientela-bench-api-');
    const port = await freePort();
    const product = startProduct(scope, dataDir, port, options.logLevel ? { LOG_LEVEL: options.logLevel } : {});
    const ready = await waitForOk(product.proc, port, '/healthz', { timeoutMs: 180_000 });
    machine.postgres = pgVersionOf(dataDir);
    log(`product ready in ${fmtMs(ready.readyMs)} on :${port}`);
    const workspace = await cli<{ id: string; name: string }>(scope, dataDir, ['workspace', 'create', '--name', 'Bench']);
    const key = await cli<{ id: string; key: string; role: string }>(scope, dataDir, [
      'api-key',
      'create',
      '--workspace',
      workspace.id,
      '--role',
      'viewer',
      '--name',
      'bench',
    ]);
    log(`workspace ${workspace.id}, API key ${key.id} (${key.role})`);
    const headers: Record<string, string> = { authorization: `Bearer ${key.key}` };
    const me = await httpGet(port, '/api/v1/me', headers);
    if (me.status !== 200) throw new Error(`GET /api/v1/me answered ${me.status}: ${me.body}`);
    const parsed = JSON.parse(me.body) as { workspace?: { id?: string }; role?: string };
    if (parsed.workspace?.id !== workspace.id || parsed.role !== 'viewer') throw new Error(`unexpected /me body: ${me.body}`);
    log(`GET /api/v1/me → ${me.body}`);

    log(
      `load on the product: ${options.connections} connections, ${options.warmupSeconds} s warm-up + ${options.durationSeconds} s on ${options.path}`,
    );
    const productRun = await runLoad(scope, 'clientela', spec(options, port, options.auth ? headers : {}), () => ({
      'clientela server (node)': [product.proc.pid],
      'PostgreSQL (all processes)': postgresPids(dataDir),
    }));
    log(describe('clientela', productRun));
    const stop = await stopProduct(product);
    log(`product stopped in ${fmtMs(stop.ms)} (exit ${stop.exit.code ?? stop.exit.signal})`);

    // --- the baseline, with the product gone so it has the machine to itself
    let bareRun: TargetRun | null = null;
    if (!options.skipBare) {
      const barePort = await freePort();
      const bare = launch(scope, 'bare fastify', process.execPath, [RUN_TS, 'bench/lib/bare-fastify.ts'], {
        env: { ...process.env, PORT: String(barePort), BENCH_BODY: me.body },
      });
      await waitForOk(bare, barePort, '/api/v1/me', { timeoutMs: 60_000 });
      log(`load on bare Fastify: same settings`);
      bareRun = await runLoad(scope, 'bare fastify', spec({ ...options, path: '/api/v1/me' }, barePort, headers), () => ({
        'bare fastify (node)': [bare.pid],
      }));
      log(describe('bare fastify', bareRun));
      await bare.stop();
    }
    return { date, machine, options, body: me.body, product: productRun, bare: bareRun };
  } finally {
    await scope.close();
  }
}

const ratio = (a: number, b: number | undefined) => (b === undefined || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}×`);

export function renderThroughput(r: ThroughputResult): string {
  const p = r.product.load;
  const b = r.bare?.load;
  const o = r.options;
  const errorsOf = (l: LoadSummary) => `${l.errors} / ${l.timeouts} / ${l.non2xx}`;
  const cpuOf = (run: TargetRun | null, key: string) => {
    const value = run?.cpuPercent[key];
    return value === undefined ? '' : `${value.toFixed(0)}%`;
  };
  const pCpu = r.product.cpuPercent;
  const serverKey = Object.keys(pCpu).find((k) => k.startsWith('clientela')) ?? '';
  const pgKey = Object.keys(pCpu).find((k) => k.startsWith('PostgreSQL')) ?? '';
  const bareKey = r.bare ? (Object.keys(r.bare.cpuPercent).find((k) => k.startsWith('bare')) ?? '') : '';
  const loadKey = 'load generator (autocannon)';
  const rpsOk = p.reqPerSecAvg >= TARGETS.reqPerSec;
  const p99Ok = p.latencyMs.p99 <= TARGETS.p99Ms;
  const clean = p.errors === 0 && p.timeouts === 0 && p.non2xx === 0;
  const nonDefault = o.path !== '/api/v1/me' || !o.auth || o.connections !== 100 || o.durationSeconds !== 20 || o.warmupSeconds !== 3;
  const lines = [
    '### GET /api/v1/me throughput (`bench/api-throughput.ts`)',
    '',
    `- Date: ${r.date}`,
    `- Machine: ${machineLine(r.machine)}`,
    `- Method: autocannon 8 (programmatic, in its own process) on loopback, ${o.connections} connections, pipelining 1, ${o.warmupSeconds} s warm-up then ${o.durationSeconds} s measured, against \`node bin/clientela.mjs serve\` (LOG_LEVEL ${o.logLevel ?? 'default (info)'}, embedded PostgreSQL, fresh data dir) with a viewer API key made by the CLI${o.auth ? '' : ' — **without** the API key (401s: the stack without the DB lookup)'}${o.path !== '/api/v1/me' ? ` — path **${o.path}**` : ''}. Baseline: a bare Fastify 5 in its own process (no plugins, hooks, logger or database) answering the same JSON body, same load, run after the product was stopped. The load generator shares the 2 cores with the server${nonDefault ? '. **Non-default settings.**' : ''}.`,
    `- Body: \`${r.body}\``,
    '',
    '| | Clientela GET /api/v1/me | Bare Fastify, same body | Ratio product / bare |',
    '|---|---:|---:|---:|',
    `| Requests/s (average of per-second counts) | **${p.reqPerSecAvg.toFixed(0)}** | ${b ? b.reqPerSecAvg.toFixed(0) : 'n/a'} | ${ratio(p.reqPerSecAvg, b?.reqPerSecAvg)} |`,
    `| Latency average | ${p.latencyMs.average.toFixed(2)} ms | ${b ? `${b.latencyMs.average.toFixed(2)} ms` : 'n/a'} | ${ratio(p.latencyMs.average, b?.latencyMs.average)} |`,
    `| Latency p50 | ${p.latencyMs.p50} ms | ${b ? `${b.latencyMs.p50} ms` : 'n/a'} | ${ratio(p.latencyMs.p50, b?.latencyMs.p50)} |`,
    `| Latency p90 | ${p.latencyMs.p90} ms | ${b ? `${b.latencyMs.p90} ms` : 'n/a'} | |`,
    `| Latency p99 | **${p.latencyMs.p99} ms** | ${b ? `${b.latencyMs.p99} ms` : 'n/a'} | ${ratio(p.latencyMs.p99, b?.latencyMs.p99)} |`,
    `| Latency max | ${p.latencyMs.max} ms | ${b ? `${b.latencyMs.max} ms` : 'n/a'} | |`,
    `| Requests completed in the measured window | ${p.total} | ${b ? b.total : 'n/a'} | |`,
    `| Errors / timeouts / non-2xx | ${errorsOf(p)} | ${b ? errorsOf(b) : 'n/a'} | |`,
    `| CPU, server process (% of one core) | ${cpuOf(r.product, serverKey)} | ${cpuOf(r.bare, bareKey)} | |`,
    `| CPU, PostgreSQL (all its processes) | ${cpuOf(r.product, pgKey)} | — | |`,
    `| CPU, load generator | ${cpuOf(r.product, loadKey)} | ${cpuOf(r.bare, loadKey)} | |`,
    '',
    'Latency percentiles are autocannon\'s, in whole milliseconds. 200 % CPU = both cores busy.',
    '',
    '| Target (issue) | Measured | Result |',
    '|---|---:|:---:|',
    `| ≥ ${TARGETS.reqPerSec.toLocaleString('en-US')} req/s on /me | ${p.reqPerSecAvg.toFixed(0)} req/s | ${ok(rpsOk)} |`,
    `| p99 ≤ ${TARGETS.p99Ms} ms on /me | ${p.latencyMs.p99} ms | ${ok(p99Ok)} |`,
    `| No errors, timeouts or non-2xx (check) | ${errorsOf(p)} | ${ok(clean)} |`,
  ];
  return lines.join('\n');
}

if (isMain(import.meta.url)) {
  installSignalCleanup();
  const result = await runThroughput();
  process.stdout.write(`${renderThroughput(result)}\n`);
}
