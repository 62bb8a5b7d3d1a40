/**
 * Start-up time and idle memory of `clientela serve` with the embedded PostgreSQL.
 *   node bin/run-ts.mjs bench/startup.ts      (or via bench/run.ts, which also writes RESULTS.md)
 *
 * (a) first start on a fresh data dir (initdb, migrations, first owner): spawn → GET /healthz 200,
 *     polled every 50 ms; then SIGTERM, wait for the exit, check no PostgreSQL of that data dir is left;
 * (b) three later starts on the same data dir, each timed the same way, and their median;
 * (c) RSS of the Node server process after 10 s idle (the last later start), after checking through
 *     /proc that the spawned pid is the one holding the listening socket.
 * Baseline in the same run: a bare `node -e "http.createServer(…).listen(PORT)"`, timed and measured
 * the same way.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CLK_TCK,
  childrenOf,
  cmdline,
  descendantsOf,
  exePath,
  fmtMiB,
  fmtMs,
  freePort,
  installSignalCleanup,
  isMain,
  launch,
  listenerAmong,
  type MachineInfo,
  machineInfo,
  machineLine,
  makeTempDir,
  median,
  ok,
  pgVersionOf,
  postgresPids,
  procStat,
  pssKb,
  Scope,
  sleep,
  startProduct,
  statusKb,
  stopLeftoverPostgres,
  stopProduct,
  utcNow,
  waitForOk,
  waitForQuiet,
} from './lib/proc.ts';

const LATER_STARTS = 3;
const IDLE_SECONDS = 10;
const POLL_MS = 50;

export interface StartRun {
  /** spawn → first 200 from /healthz. */
  readyMs: number;
  /** spawn → first HTTP answer of any kind (the port listens; /healthz says 503 while migrating). */
  firstAnswerMs: number;
  /** SIGTERM → process exit (includes stopping the embedded PostgreSQL). */
  stopMs: number;
  graceful: boolean;
  exitCode: number | null;
  leftoverPostgres: number | null;
  leftoverProcesses: number[];
}

const cleanStop = (run: StartRun) =>
  run.graceful && run.exitCode === 0 && run.leftoverPostgres === null && run.leftoverProcesses.length === 0;

function describeStop(run: StartRun): string {
  if (cleanStop(run)) return '✅';
  const problems: string[] = [];
  if (!run.graceful) problems.push('needed SIGKILL');
  if (run.exitCode !== 0) problems.push(`exit code ${run.exitCode}`);
  if (run.leftoverProcesses.length || run.leftoverPostgres !== null) {
    problems.push(`PostgreSQL left running (${Math.max(run.leftoverProcesses.length, 1)} processes)`);
  }
  return `❌ ${problems.join(', ')}`;
}

export interface ChildInfo {
  pid: number;
  exe: string;
  command: string;
  rssKb: number | null;
  isNode: boolean;
}

export interface IdleMemory {
  idleSeconds: number;
  spawnedPid: number;
  /** The pid measured: the one holding the listening socket. */
  serverPid: number;
  verification: string;
  rssKb: number | null;
  hwmKb: number | null;
  threads: number | null;
  cpuSecondsAtMeasure: number | null;
  children: ChildInfo[];
  /** PSS (shared pages split among users) summed over the postmaster and its children. */
  postgresPssKb: number;
  postgresProcesses: number;
}

export interface StartupResult {
  date: string;
  machine: MachineInfo;
  first: StartRun;
  later: StartRun[];
  laterMedianMs: number;
  idle: IdleMemory;
  baseline: { readyMs: number[]; medianMs: number; rssKb: number | null; idleSeconds: number };
}

type Log = (message: string) => void;

function describeChild(pid: number): ChildInfo {
  const exe = exePath(pid);
  const command = cmdline(pid);
  return {
    pid,
    exe: path.basename(exe) || procStat(pid)?.comm || '?',
    command: command.length > 120 ? `${command.slice(0, 117)}…` : command,
    rssKb: statusKb(pid, 'VmRSS'),
    isNode: exe === process.execPath || path.basename(exe) === 'node',
  };
}

function measureIdle(spawnedPid: number, port: number, dataDir: string): IdleMemory {
  const descendants = descendantsOf(spawnedPid);
  const children = childrenOf(spawnedPid).map(describeChild);
  const listener = listenerAmong(port, [spawnedPid, ...descendants]);
  let serverPid = spawnedPid;
  let verification: string;
  const nodeChildren = children.filter((c) => c.isNode);
  if (listener === spawnedPid) {
    verification =
      `pid ${spawnedPid} (\`${cmdline(spawnedPid)}\`) holds the socket listening on :${port}; ` +
      (nodeChildren.length === 0
        ? 'it has no child node process (tsx compiles in-process).'
        : `child node processes: ${nodeChildren.map((c) => c.pid).join(', ')}.`);
  } else if (listener !== null) {
    serverPid = listener;
    verification = `the listening socket on :${port} is held by descendant pid ${listener} (\`${cmdline(listener)}\`), measured instead of ${spawnedPid}.`;
  } else {
    verification = `no listener on :${port} found among pid ${spawnedPid} and its descendants; measured the spawned pid.`;
  }
  const stat = procStat(serverPid);
  const pgPids = postgresPids(dataDir);
  return {
    idleSeconds: IDLE_SECONDS,
    spawnedPid,
    serverPid,
    verification,
    rssKb: statusKb(serverPid, 'VmRSS'),
    hwmKb: statusKb(serverPid, 'VmHWM'),
    threads: (() => {
      const match = /^Threads:\s+(\d+)/m.exec(safeRead(`/proc/${serverPid}/status`));
      return match ? Number(match[1]) : null;
    })(),
    cpuSecondsAtMeasure: stat ? stat.cpuTicks / CLK_TCK : null,
    children,
    postgresPssKb: pgPids.reduce((sum, pid) => sum + (pssKb(pid) ?? 0), 0),
    postgresProcesses: pgPids.length,
  };
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function oneStart(
  scope: Scope,
  dataDir: string,
  label: string,
  log: Log,
  idle: boolean,
): Promise<{ run: StartRun; idle: IdleMemory | null }> {
  const port = await freePort();
  const product = startProduct(scope, dataDir, port, { LOG_LEVEL: 'warn' });
  const timing = await waitForOk(product.proc, port, '/healthz', { intervalMs: POLL_MS, timeoutMs: 180_000 });
  log(`${label}: /healthz 200 after ${fmtMs(timing.readyMs)} (first answer ${fmtMs(timing.firstAnswerMs)})`);
  let memory: IdleMemory | null = null;
  if (idle) {
    log(`${label}: idle ${IDLE_SECONDS} s, then reading /proc/${product.proc.pid}/status`);
    await sleep(IDLE_SECONDS * 1000);
    if (product.proc.exitInfo) throw new Error(`the server exited while idle:\n${product.proc.output()}`);
    memory = measureIdle(product.proc.pid, port, dataDir);
    log(`${label}: VmRSS ${fmtMiB(memory.rssKb)} — ${memory.verification}`);
  }
  const stop = await stopProduct(product);
  log(
    `${label}: stopped in ${fmtMs(stop.ms)} (${stop.graceful ? 'SIGTERM' : 'SIGKILL needed'}, exit ${stop.exit.code ?? stop.exit.signal}); ` +
      `PostgreSQL left: ${stop.leftoverPostgres ?? 'none'}${stop.leftoverProcesses.length ? ` (pids ${stop.leftoverProcesses.join(', ')})` : ''}`,
  );
  if (stop.leftoverPostgres !== null || stop.leftoverProcesses.length > 0) {
    // Otherwise the next start would attach to it and skip starting PostgreSQL.
    log(`${label}: stopping the leftover PostgreSQL so the next start is a real one`);
    await stopLeftoverPostgres(dataDir);
  }
  return {
    run: {
      readyMs: timing.readyMs,
      firstAnswerMs: timing.firstAnswerMs,
      stopMs: stop.ms,
      graceful: stop.graceful,
      exitCode: stop.exit.code,
      leftoverPostgres: stop.leftoverPostgres,
      leftoverProcesses: stop.leftoverProcesses,
    },
    idle: memory,
  };
}

const BARE_SERVER =
  "require('http').createServer((q,s)=>s.end('ok')).listen(Number(process.env.PORT),'127.0.0.1')";

async function baselineStart(
  scope: Scope,
  idle: boolean,
): Promise<{ readyMs: number; rssKb: number | null }> {
  const port = await freePort();
  const proc = launch(scope, 'bare node http', process.execPath, ['-e', BARE_SERVER], {
    env: { ...process.env, PORT: String(port) },
  });
  const timing = await waitForOk(proc, port, '/', { intervalMs: POLL_MS, timeoutMs: 30_000 });
  let rssKb: number | null = null;
  if (idle) {
    await sleep(IDLE_SECONDS * 1000);
    rssKb = statusKb(proc.pid, 'VmRSS');
  }
  await proc.stop();
  return { readyMs: timing.readyMs, rssKb };
}

export async function runStartup(
  log: Log = (m) => process.stderr.write(`[startup] ${m}\n`),
): Promise<StartupResult> {
  const quiet = await waitForQuiet(log);
  const machine = { ...machineInfo(), quiet };
  const date = utcNow();
  const scope = new Scope();
  try {
    const dataDir = await makeTempDir(scope, 'clientela-bench-startup-');
    const first = await oneStart(scope, dataDir, 'first start', log, false);
    machine.postgres = pgVersionOf(dataDir);
    const later: StartRun[] = [];
    let idle: IdleMemory | null = null;
    for (let i = 1; i <= LATER_STARTS; i++) {
      const result = await oneStart(scope, dataDir, `later start ${i}`, log, i === LATER_STARTS);
      later.push(result.run);
      idle ??= result.idle;
    }
    const baselineReady: number[] = [];
    let baselineRss: number | null = null;
    for (let i = 1; i <= LATER_STARTS; i++) {
      const result = await baselineStart(scope, i === LATER_STARTS);
      baselineReady.push(result.readyMs);
      baselineRss ??= result.rssKb;
      log(
        `bare node http ${i}: answered after ${fmtMs(result.readyMs)}${result.rssKb ? `, VmRSS ${fmtMiB(result.rssKb)}` : ''}`,
      );
    }
    return {
      date,
      machine,
      first: first.run,
      later,
      laterMedianMs: median(later.map((r) => r.readyMs)),
      idle: idle!,
      baseline: {
        readyMs: baselineReady,
        medianMs: median(baselineReady),
        rssKb: baselineRss,
        idleSeconds: IDLE_SECONDS,
      },
    };
  } finally {
    await scope.close();
  }
}

const ratio = (a: number | null, b: number | null) =>
  a === null || b === null || b === 0 ? 'n/a' : `${(a / b).toFixed(1)}×`;

export function renderStartup(r: StartupResult): string {
  const runs = [
    { name: 'First start (fresh data dir: initdb, migrations, first owner)', run: r.first },
    ...r.later.map((run, i) => ({ name: `Later start ${i + 1} (same data dir)`, run })),
  ];
  const clean = [r.first, ...r.later].every(cleanStop);
  const leaked = [r.first, ...r.later].some((run) => !cleanStop(run));
  const base = r.baseline.medianMs;
  const lines = [
    '### Start-up and idle memory (`bench/startup.ts`)',
    '',
    `- Date: ${r.date}`,
    `- Machine: ${machineLine(r.machine)}`,
    `- Method: spawn \`node bin/clientela.mjs serve\` (LOG_LEVEL=warn, embedded PostgreSQL in a fresh temp CLIENTELA_DATA_DIR), poll GET /healthz every ${POLL_MS} ms until 200, SIGTERM, wait for the exit, check that no process of that data dir's PostgreSQL remains. Times are from spawn() in the benchmark process, so they include Node start-up and tsx compiling the TypeScript sources (its cache is warm after the first ever run). Baseline: \`node -e "${BARE_SERVER}"\` timed the same way (${LATER_STARTS} runs, median).`,
    '',
    '| Run | Ready (/healthz 200) | Port listening (first answer) | Stop (SIGTERM → exit) | Clean stop, no PostgreSQL left | vs bare node (median ' +
      fmtMs(base) +
      ') |',
    '|---|---:|---:|---:|:---:|---:|',
    ...runs.map(
      ({ name, run }) =>
        `| ${name} | ${fmtMs(run.readyMs)} | ${fmtMs(run.firstAnswerMs)} | ${fmtMs(run.stopMs)} | ${describeStop(run)} | ${ratio(run.readyMs, base)} |`,
    ),
    `| **Later starts, median** | **${fmtMs(r.laterMedianMs)}** | | | | **${ratio(r.laterMedianMs, base)}** |`,
    `| Baseline: bare node http (${r.baseline.readyMs.map(fmtMs).join(', ')}) | ${fmtMs(base)} | | | | 1.0× |`,
    ...(leaked
      ? [
          '',
          'A stop that left PostgreSQL running was followed by the benchmark stopping that PostgreSQL itself, so every later start above includes starting PostgreSQL (otherwise it would only attach to the leftover one).',
        ]
      : []),
    '',
    `| Idle memory, ${r.idle.idleSeconds} s after a later start | Clientela server | Bare node http | Ratio |`,
    '|---|---:|---:|---:|',
    `| VmRSS of the Node process | ${fmtMiB(r.idle.rssKb)} | ${fmtMiB(r.baseline.rssKb)} | ${ratio(r.idle.rssKb, r.baseline.rssKb)} |`,
    `| VmHWM (peak RSS) of the Node process | ${fmtMiB(r.idle.hwmKb)} | | |`,
    `| Embedded PostgreSQL, PSS of its ${r.idle.postgresProcesses} processes (for reference, not in the RSS above) | ${fmtMiB(r.idle.postgresPssKb)} | | |`,
    '',
    `Process check: ${r.idle.verification} Its children: ${
      r.idle.children.length
        ? r.idle.children.map((c) => `${c.pid} \`${c.exe}\` (${fmtMiB(c.rssKb)})`).join(', ')
        : 'none'
    }. Threads: ${r.idle.threads ?? 'n/a'}. CPU time the server process had used by then (start-up, mostly): ${
      r.idle.cpuSecondsAtMeasure === null ? 'n/a' : `${r.idle.cpuSecondsAtMeasure.toFixed(2)} s`
    }.`,
    '',
    'Targets: none stated for start-up or memory; the check is that every stop is clean.',
    '',
    `| Check | Result |`,
    '|---|:---:|',
    `| SIGTERM stops the server and its embedded PostgreSQL, exit code 0, nothing left (${runs.length} stops) | ${ok(clean)} |`,
  ];
  return lines.join('\n');
}

if (isMain(import.meta.url)) {
  installSignalCleanup();
  const result = await runStartup();
  process.stdout.write(`${renderStartup(result)}\n`);
}
