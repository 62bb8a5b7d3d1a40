/**
 * Throughput and latency of GET /api/v1/me with an API key, against a bare Fastify baseline.
 *   node bin/run-ts.mjs bench/api-throughput.ts      (or via bench/run.ts, which also writes RESULTS.md)
 *
 * The product runs as `node bin/clientela.mjs serve` on a fresh embedded PostgreSQL; a workspace and
 * a viewer API key are made with the CLI. autocannon runs in its own process (bench/lib/load.ts),
 * 100 connections, 3 s warm-up, then 20 s measured; then, as a diagnostic, the same load on the same
 * route without the key (401 before any DB query). Then the product is stopped and a bare Fastify
 * (bench/lib/bare-fastify.ts, own process) answering the same JSON body gets the same load.
 * CPU use of each process during the measured 20 s comes from /proc/<pid>/stat.
 *
 * Environment knobs (for profiling; the defaults are what RESULTS.md reports):
 *   BENCH_DURATION=20 BENCH_WARMUP=3 BENCH_CONNECTIONS=100
 *   BENCH_LOG_LEVEL=<pino level for the product; default: unset, i.e. the product's default, info>
 *   BENCH_PATH=/api/v1/me   BENCH_AUTH=0 (send no API key: measures the stack without the DB lookup)
 *   BENCH_SKIP_BARE=1       BENCH_NO_KEY_RUN=0 (skip the diagnostic run of the route without the key)
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
  machineTicks,
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
  waitForQuiet,
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
  /** Also load the route without the key (401 before any DB query) on the same server. */
  noKeyRun: boolean;
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
    noKeyRun: env.BENCH_NO_KEY_RUN !== '0',
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
  /** The same server and route without the key: the stack minus the DB lookup (diagnostic). */
  productNoKey: TargetRun | null;
  bare: TargetRun | null;
}

type Log = (message: string) => void;
const SERVER = 'server (node)';
const POSTGRES = 'PostgreSQL (all processes)';
const LOAD = 'load generator (autocannon)';
const MACHINE_BUSY = 'machine total (all processes)';
const OTHERS = 'other processes on the machine';
const STEAL = 'steal (hypervisor)';
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
export async function runLoad(
  scope: Scope,
  name: string,
  spec: LoadSpec,
  groups: PidGroups,
): Promise<TargetRun> {
  let before: Map<string, Map<number, number>> | null = null;
  let machineBefore = machineTicks();
  let startedAt = 0;
  let resolveResult: (value: {
    load: LoadSummary;
    cpuPercent: Record<string, number>;
    windowSeconds: number;
  }) => void;
  const done = new Promise<TargetRun>((resolve) => {
    resolveResult = resolve;
  });
  let loadPid = 0;
  const proc = launch(
    scope,
    `autocannon → ${name}`,
    process.execPath,
    [RUN_TS, 'bench/lib/load.ts', JSON.stringify(spec)],
    {
      onLine: (line) => {
        if (!line.startsWith('@@bench ')) return;
        const message = JSON.parse(line.slice(8)) as { phase: string; result?: LoadSummary };
        if (message.phase === 'measure-start') {
          startedAt = performance.now();
          machineBefore = machineTicks();
          before = cpuSnapshot({ ...groups(), [LOAD]: [loadPid] });
        } else if (message.phase === 'result' && message.result) {
          const windowSeconds = (performance.now() - startedAt) / 1000;
          const after = cpuSnapshot({ ...groups(), [LOAD]: [loadPid] });
          const machineAfter = machineTicks();
          const percent = (ticks: number) => (ticks / CLK_TCK / windowSeconds) * 100;
          const cpuPercent: Record<string, number> = {};
          let ours = 0;
          for (const [group, ticks] of after) {
            let used = 0;
            for (const [pid, t] of ticks) used += t - (before?.get(group)?.get(pid) ?? 0);
            ours += used;
            cpuPercent[group] = percent(used);
          }
          const machineBusy = machineAfter.busy - machineBefore.busy;
          cpuPercent[MACHINE_BUSY] = percent(machineBusy);
          cpuPercent[OTHERS] = Math.max(0, percent(machineBusy - ours));
          cpuPercent[STEAL] = percent(machineAfter.steal - machineBefore.steal);
          resolveResult({ load: message.result, cpuPercent, windowSeconds });
        }
      },
    },
  );
  loadPid = proc.pid;
  const limit = (spec.warmupSeconds + spec.durationSeconds + 60) * 1000;
  const failed = proc.exited.then((exit) => {
    throw new Error(
      `load generator exited (${exit.code ?? exit.signal}) without a result:\n${proc.output()}`,
    );
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
  const quiet = await waitForQuiet(log);
  const machine = { ...machineInfo(), quiet };
  const date = utcNow();
  const scope = new Scope();
  try {
    // --- the product
    const dataDir = await makeTempDir(scope, 'clientela-bench-api-');
    const port = await freePort();
    const product = startProduct(
      scope,
      dataDir,
      port,
      options.logLevel ? { LOG_LEVEL: options.logLevel } : {},
    );
    const ready = await waitForOk(product.proc, port, '/healthz', { timeoutMs: 180_000 });
    machine.postgres = pgVersionOf(dataDir);
    log(`product ready in ${fmtMs(ready.readyMs)} on :${port}`);
    const workspace = await cli<{ id: string; name: string }>(scope, dataDir, [
      'workspace',
      'create',
      '--name',
      'Bench',
    ]);
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
    if (parsed.workspace?.id !== workspace.id || parsed.role !== 'viewer')
      throw new Error(`unexpected /me body: ${me.body}`);
    log(`GET /api/v1/me → ${me.body}`);

    const productGroups = () => ({
      [SERVER]: [product.proc.pid],
      [POSTGRES]: postgresPids(dataDir),
    });
    log(
      `load on the product: ${options.connections} connections, ${options.warmupSeconds} s warm-up + ${options.durationSeconds} s on ${options.path}`,
    );
    const productRun = await runLoad(
      scope,
      'clientela',
      spec(options, port, options.auth ? headers : {}),
      productGroups,
    );
    log(describe('clientela', productRun));

    // --- diagnostic: the same server and route without the key (401 before any DB query)
    let noKeyRun: TargetRun | null = null;
    if (options.noKeyRun && options.auth) {
      log('load on the product without the API key (401, no DB lookup): same settings');
      noKeyRun = await runLoad(scope, 'clientela without key', spec(options, port, {}), productGroups);
      log(describe('clientela without key', noKeyRun));
    }
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
      log('load on bare Fastify: same settings');
      bareRun = await runLoad(
        scope,
        'bare fastify',
        spec({ ...options, path: '/api/v1/me' }, barePort, headers),
        () => ({
          [SERVER]: [bare.pid],
        }),
      );
      log(describe('bare fastify', bareRun));
      await bare.stop();
    }
    return {
      date,
      machine,
      options,
      body: me.body,
      product: productRun,
      productNoKey: noKeyRun,
      bare: bareRun,
    };
  } finally {
    await scope.close();
  }
}

const ratio = (a: number, b: number | undefined) =>
  b === undefined || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}×`;

export function renderThroughput(r: ThroughputResult): string {
  const o = r.options;
  const p = r.product.load;
  const columns: Array<{ title: string; run: TargetRun }> = [
    { title: `Clientela GET ${o.path}${o.auth ? '' : ' (no key)'}`, run: r.product },
    ...(r.productNoKey
      ? [{ title: 'Clientela, same route without the key (401, no DB query)', run: r.productNoKey }]
      : []),
    ...(r.bare ? [{ title: 'Bare Fastify, same body', run: r.bare }] : []),
  ];
  const b = r.bare?.load;
  const row = (label: string, cell: (run: TargetRun) => string, ratioCell = '') =>
    `| ${label} | ${columns.map((c) => cell(c.run)).join(' | ')} | ${ratioCell} |`;
  const cpu = (key: string) => (run: TargetRun) => {
    const value = run.cpuPercent[key];
    return value === undefined ? '—' : `${value.toFixed(0)}%`;
  };
  const perRequest = (key: string) => (run: TargetRun) => {
    const value = run.cpuPercent[key];
    return value === undefined || run.load.reqPerSecAvg === 0
      ? '—'
      : `${((value / 100 / run.load.reqPerSecAvg) * 1000).toFixed(3)} ms`;
  };
  const errorsOf = (l: LoadSummary) => `${l.errors} / ${l.timeouts} / ${l.non2xx}`;
  const rpsOk = p.reqPerSecAvg >= TARGETS.reqPerSec;
  const p99Ok = p.latencyMs.p99 <= TARGETS.p99Ms;
  const clean = p.errors === 0 && p.timeouts === 0 && p.non2xx === 0;
  const nonDefault =
    o.path !== '/api/v1/me' ||
    !o.auth ||
    o.connections !== 100 ||
    o.durationSeconds !== 20 ||
    o.warmupSeconds !== 3;
  const lines = [
    '### GET /api/v1/me throughput (`bench/api-throughput.ts`)',
    '',
    `- Date: ${r.date}`,
    `- Machine: ${machineLine(r.machine)}`,
    `- Method: autocannon 8 (programmatic API, in its own process) on loopback, ${o.connections} connections, pipelining 1, ${o.warmupSeconds} s warm-up then ${o.durationSeconds} s measured, against \`node bin/clientela.mjs serve\` (LOG_LEVEL ${o.logLevel ?? 'default (info)'}, embedded PostgreSQL, fresh data dir) with a viewer API key made by the CLI${o.auth ? '' : ' — **without** the API key'}${o.path !== '/api/v1/me' ? ` — path **${o.path}**` : ''}.${r.productNoKey ? ' Then, as a diagnostic, the same route on the same server without the key: the whole Clientela stack (hooks, access control, error envelope, metrics) but no database query.' : ''} Baseline: a bare Fastify 5 in its own process (no plugins, hooks, logger or database) answering the same JSON body, same load, run after the product was stopped. The load generator shares the ${r.machine.cores} cores with the server${nonDefault ? '. **Non-default settings.**' : '.'}`,
    `- Body: \`${r.body}\``,
    '',
    `| | ${columns.map((c) => c.title).join(' | ')} | /me ÷ bare |`,
    `|---|${columns.map(() => '---:|').join('')}---:|`,
    row(
      'Requests/s (mean of per-second counts)',
      (run) => `**${run.load.reqPerSecAvg.toFixed(0)}**`,
      ratio(p.reqPerSecAvg, b?.reqPerSecAvg),
    ),
    row(
      'Latency average',
      (run) => `${run.load.latencyMs.average.toFixed(2)} ms`,
      ratio(p.latencyMs.average, b?.latencyMs.average),
    ),
    row('Latency p50', (run) => `${run.load.latencyMs.p50} ms`, ratio(p.latencyMs.p50, b?.latencyMs.p50)),
    row('Latency p90', (run) => `${run.load.latencyMs.p90} ms`),
    row('Latency p99', (run) => `**${run.load.latencyMs.p99} ms**`, ratio(p.latencyMs.p99, b?.latencyMs.p99)),
    row('Latency max', (run) => `${run.load.latencyMs.max} ms`),
    row('Responses in the measured window', (run) => String(run.load.total)),
    row('Errors / timeouts / non-2xx', (run) => errorsOf(run.load)),
    row('CPU: server process (% of one core)', cpu(SERVER)),
    row('CPU: PostgreSQL, all its processes', cpu(POSTGRES)),
    row('CPU: load generator', cpu(LOAD)),
    row('CPU: other processes on the machine (noise)', cpu(OTHERS)),
    row('CPU: whole machine busy', cpu(MACHINE_BUSY)),
    row('CPU time per request: server process', perRequest(SERVER)),
    row('CPU time per request: PostgreSQL', perRequest(POSTGRES)),
    '',
    `Latency percentiles are autocannon's, in whole milliseconds. CPU is measured from /proc over the measured window only, in % of one core (${r.machine.cores * 100} % = every core busy); "per request" = CPU seconds ÷ responses.`,
    '',
    '| Target (issue) | Measured on /me | Result |',
    '|---|---:|:---:|',
    `| ≥ ${TARGETS.reqPerSec.toLocaleString('en-US')} req/s | ${p.reqPerSecAvg.toFixed(0)} req/s | ${ok(rpsOk)} |`,
    `| p99 ≤ ${TARGETS.p99Ms} ms | ${p.latencyMs.p99} ms | ${ok(p99Ok)} |`,
    `| No errors, timeouts or non-2xx (check) | ${errorsOf(p)} | ${ok(clean)} |`,
    '',
    `With ${o.connections} connections each keeping one request in flight, mean latency = ${o.connections} ÷ throughput (Little's law), so p99 ≤ ${TARGETS.p99Ms} ms is only reachable above ${Math.ceil(o.connections / (TARGETS.p99Ms / 1000)).toLocaleString('en-US')} req/s, and in practice well above.`,
  ];
  return lines.join('\n');
}

if (isMain(import.meta.url)) {
  installSignalCleanup();
  const result = await runThroughput();
  process.stdout.write(`${renderThroughput(result)}\n`);
}
