import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Process, HTTP and /proc helpers shared by the benchmarks. Everything here is bounded: every
 * wait has a deadline, every spawned process is registered in a Scope that kills it (SIGTERM,
 * then SIGKILL after 10 s) and every temporary folder is removed, on success, failure or Ctrl-C.
 */

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'bin', 'clientela.mjs');
export const RUN_TS = path.join(ROOT, 'bin', 'run-ts.mjs');
export const KILL_GRACE_MS = 10_000;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Cleanup scopes

const openScopes = new Set<Scope>();

/** Cleanup actions run in reverse order by close(); a failing action does not stop the others. */
export class Scope {
  private readonly actions: Array<{ label: string; run: () => Promise<void> }> = [];
  private closing: Promise<void> | null = null;

  constructor() {
    openScopes.add(this);
  }

  defer(label: string, run: () => Promise<void>): void {
    this.actions.push({ label, run });
  }

  /** Idempotent: a second call (the signal handler and a finally block) waits for the same cleanup. */
  close(): Promise<void> {
    this.closing ??= this.runActions();
    return this.closing;
  }

  private async runActions(): Promise<void> {
    for (const action of this.actions.reverse()) {
      try {
        await withTimeout(action.run(), 60_000, `cleanup "${action.label}"`);
      } catch (error) {
        process.stderr.write(`[bench] cleanup "${action.label}" failed: ${String(error)}\n`);
      }
    }
    openScopes.delete(this);
  }
}

let signalsInstalled = false;
/** Set once a signal or a crash started the global cleanup; the normal flow must not exit before it ends. */
export let abortCleanup: Promise<void> | null = null;

/**
 * Ctrl-C / SIGTERM on the benchmark, or a crash: stop every child and remove every temp dir, then
 * exit. A second signal during the cleanup is ignored (the cleanup itself is bounded).
 */
export function installSignalCleanup(): void {
  if (signalsInstalled) return;
  signalsInstalled = true;
  const abort = (reason: string, code: number) => {
    if (abortCleanup) return;
    process.stderr.write(`[bench] ${reason}: cleaning up…\n`);
    abortCleanup = Promise.allSettled([...openScopes].map((scope) => scope.close())).then(() => undefined);
    abortCleanup.finally(() => process.exit(code));
  };
  process.on('SIGINT', () => abort('SIGINT', 130));
  process.on('SIGTERM', () => abort('SIGTERM', 143));
  process.on('uncaughtException', (error) => abort(`uncaught ${error.stack ?? String(error)}`, 1));
  process.on('unhandledRejection', (error) => abort(`unhandled rejection ${String(error)}`, 1));
  // A closed stdout (`| head`) must not kill the run before its children are stopped.
  process.stdout.on('error', () => undefined);
}

/** Exits with `code`, but only once a signal-triggered cleanup (if any) has finished. */
export async function exitAfterCleanup(code: number): Promise<never> {
  if (abortCleanup) {
    await abortCleanup;
    await new Promise(() => undefined); // the abort handler exits
  }
  process.exit(code);
}

export async function makeTempDir(scope: Scope, prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  scope.defer(`remove ${dir}`, () => fs.rm(dir, { recursive: true, force: true, maxRetries: 3 }));
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Child processes

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StopResult {
  /** Exited on SIGTERM within the grace period. */
  graceful: boolean;
  ms: number;
  exit: ExitInfo;
}

export interface Managed {
  name: string;
  child: ChildProcess;
  pid: number;
  spawnedAt: number;
  exitInfo: ExitInfo | null;
  exited: Promise<ExitInfo>;
  /** The last ~64 KB of stdout and stderr, interleaved. */
  output(): string;
  stop(): Promise<StopResult>;
}

const OUTPUT_LIMIT = 64 * 1024;

/**
 * Spawns a process whose output is always drained (a full pipe would block it) and registers its
 * stop in `scope`. `spawnedAt` is performance.now() taken immediately before spawn().
 */
export function launch(
  scope: Scope,
  name: string,
  command: string,
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv /** Called with each complete line of stdout. */;
    onLine?: (line: string) => void;
  } = {},
): Managed {
  let buffer = '';
  let pending = '';
  const append = (chunk: Buffer) => {
    buffer = (buffer + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  const splitLines = (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) options.onLine?.(line);
  };
  const spawnedAt = performance.now();
  const child = spawn(command, args, {
    cwd: ROOT,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${name} (${command})`);
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  if (options.onLine) child.stdout?.on('data', splitLines);
  const managed: Managed = {
    name,
    child,
    pid: child.pid,
    spawnedAt,
    exitInfo: null,
    exited: new Promise<ExitInfo>((resolve) => {
      child.on('exit', (code, signal) => {
        managed.exitInfo = { code, signal };
        resolve(managed.exitInfo);
      });
    }),
    output: () => buffer,
    stop: () => stopProcess(managed),
  };
  child.on('error', (error) => {
    buffer += `\n[spawn error] ${String(error)}\n`;
  });
  scope.defer(`stop ${name} (pid ${managed.pid})`, async () => {
    await managed.stop();
  });
  return managed;
}

/** SIGTERM, wait up to 10 s, then SIGKILL (and wait up to 5 s more for the exit to be reported). */
export async function stopProcess(managed: Managed): Promise<StopResult> {
  const started = performance.now();
  if (managed.exitInfo) return { graceful: true, ms: 0, exit: managed.exitInfo };
  managed.child.kill('SIGTERM');
  const timedOut = Symbol('timeout');
  const first = await Promise.race([managed.exited, sleep(KILL_GRACE_MS).then(() => timedOut)]);
  if (first !== timedOut) return { graceful: true, ms: performance.now() - started, exit: first as ExitInfo };
  process.stderr.write(`[bench] ${managed.name} (pid ${managed.pid}) ignored SIGTERM for 10 s: SIGKILL\n`);
  managed.child.kill('SIGKILL');
  const exit = await withTimeout(managed.exited, 5_000, `${managed.name} exit after SIGKILL`).catch(() => ({
    code: null,
    signal: 'SIGKILL' as NodeJS.Signals,
  }));
  return { graceful: false, ms: performance.now() - started, exit };
}

/** Runs a command to completion (bounded) and returns its stdout; throws with its output on failure. */
export async function runToCompletion(
  scope: Scope,
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<string> {
  const proc = launch(scope, name, command, args, { env });
  let stdoutOnly = '';
  proc.child.stdout?.on('data', (chunk: Buffer) => {
    stdoutOnly += chunk.toString('utf8');
  });
  const exit = await withTimeout(proc.exited, timeoutMs, name).catch(async (error) => {
    await proc.stop();
    throw new Error(`${String(error)}\n${proc.output()}`);
  });
  if (exit.code !== 0) throw new Error(`${name} exited with ${exit.code ?? exit.signal}:\n${proc.output()}`);
  return stdoutOnly;
}

// ---------------------------------------------------------------------------------------------
// HTTP

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface HttpAnswer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export function httpGet(
  port: number,
  urlPath: string,
  headers: Record<string, string> = {},
  timeoutMs = 2_000,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      { host: '127.0.0.1', port, path: urlPath, headers, agent: false, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`GET ${urlPath} timed out after ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

export interface ReadyTiming {
  /** ms from spawn to the first HTTP answer of any status (the port is listening). */
  firstAnswerMs: number;
  /** ms from spawn to the first 200. */
  readyMs: number;
  polls: number;
}

/**
 * Polls GET `urlPath` every `intervalMs` (fixed cadence from spawn) until it answers 200.
 * Fails early if the process exits, and after `timeoutMs`.
 */
export async function waitForOk(
  proc: Managed,
  port: number,
  urlPath: string,
  options: { intervalMs?: number; timeoutMs: number },
): Promise<ReadyTiming> {
  const interval = options.intervalMs ?? 50;
  const t0 = proc.spawnedAt;
  let firstAnswerMs = Number.NaN;
  let polls = 0;
  for (let tick = 1; ; tick++) {
    if (proc.exitInfo) {
      throw new Error(
        `${proc.name} exited (${JSON.stringify(proc.exitInfo)}) before ${urlPath} answered 200:\n${proc.output()}`,
      );
    }
    const elapsed = performance.now() - t0;
    if (elapsed > options.timeoutMs) {
      throw new Error(`${proc.name}: ${urlPath} not 200 within ${options.timeoutMs} ms:\n${proc.output()}`);
    }
    polls++;
    try {
      const answer = await httpGet(port, urlPath, {}, 2_000);
      const at = performance.now() - t0;
      if (Number.isNaN(firstAnswerMs)) firstAnswerMs = at;
      if (answer.status === 200) return { firstAnswerMs, readyMs: at, polls };
    } catch {
      // not listening yet
    }
    const next = t0 + tick * interval;
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
    else tick = Math.ceil((performance.now() - t0) / interval);
  }
}

// ---------------------------------------------------------------------------------------------
// /proc

export const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
}

export function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const rest = text.slice(close + 2).split(' ');
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0] ?? '?',
    ppid: Number(rest[1]),
    cpuTicks: Number(rest[11]) + Number(rest[12]),
  };
}

/** Machine-wide CPU ticks from the first line of /proc/stat (all cores summed). */
export function machineTicks(): { busy: number; idle: number; steal: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal };
}

/** Alive and not a zombie (a zombie still answers kill(pid, 0) but holds nothing). */
export function isRunning(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== null && stat.state !== 'Z' && stat.state !== 'X';
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

export function exePath(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
}

/** A field of /proc/<pid>/status in kB (VmRSS, VmHWM, …), or null. */
export function statusKb(pid: number, field: string): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Proportional set size (shared pages divided among their users), in kB. */
export function pssKb(pid: number): number | null {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Direct children, from a scan of /proc (works without CONFIG_PROC_CHILDREN). */
export function childrenOf(pid: number): number[] {
  return allPids().filter((p) => procStat(p)?.ppid === pid);
}

export function descendantsOf(pid: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const p of allPids()) {
    const stat = procStat(p);
    if (!stat) continue;
    const list = byParent.get(stat.ppid) ?? [];
    list.push(p);
    byParent.set(stat.ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const next = byParent.get(queue.shift()!) ?? [];
    out.push(...next);
    queue.push(...next);
  }
  return out;
}

/** Inodes of the sockets listening on `port` (IPv4 and IPv6). */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      if (cols[1]?.endsWith(`:${hexPort}`) && cols[3] === '0A') inodes.add(cols[9]!);
    }
  }
  return inodes;
}

/** Which of `candidates` holds a socket listening on `port`. */
export function listenerAmong(port: number, candidates: number[]): number | null {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return null;
  for (const pid of candidates) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (match && inodes.has(match[1]!)) return pid;
      } catch {
        // fd closed meanwhile
      }
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The product

export interface ProductHandle {
  proc: Managed;
  dataDir: string;
  port: number;
}

export function productEnv(
  dataDir: string,
  port: number,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    CLIENTELA_DATA_DIR: dataDir,
  };
  delete env.DATABASE_URL;
  delete env.EMBEDDED_PG_PORT;
  delete env.NODE_OPTIONS;
  return { ...env, ...extra };
}

/** pid of the embedded PostgreSQL postmaster of `dataDir`, if its lock file names one. */
export function postmasterPid(dataDir: string): number | null {
  const file = path.join(dataDir, 'pg', 'postmaster.pid');
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** The postmaster of `dataDir` and its children (backends and auxiliary processes), running. */
export function postgresPids(dataDir: string): number[] {
  const pm = postmasterPid(dataDir);
  if (pm === null || !isRunning(pm)) return [];
  return [pm, ...descendantsOf(pm).filter(isRunning)];
}

/**
 * Every running process of the data dir's PostgreSQL: those whose command line names the cluster
 * folder (the postmaster, `-D <dataDir>/pg`) and their descendants (backends rename themselves).
 */
export function processesUsing(dataDir: string): number[] {
  const clusterDir = path.join(dataDir, 'pg');
  const roots = allPids().filter(
    (pid) => pid !== process.pid && isRunning(pid) && cmdline(pid).includes(clusterDir),
  );
  const all = new Set<number>(roots);
  for (const root of roots) for (const pid of descendantsOf(root)) if (isRunning(pid)) all.add(pid);
  return [...all];
}

/**
 * Starts `node bin/clientela.mjs serve` on `dataDir`, and registers in `scope` a stop that also
 * makes sure the embedded PostgreSQL is gone (it runs detached, so a SIGKILLed server leaves it).
 */
export function startProduct(
  scope: Scope,
  dataDir: string,
  port: number,
  extraEnv: Record<string, string> = {},
  nodeArgs: string[] = [],
): ProductHandle {
  scope.defer(`make sure no PostgreSQL is left on ${dataDir}`, async () => {
    await stopLeftoverPostgres(dataDir);
  });
  const proc = launch(scope, 'clientela serve', process.execPath, [...nodeArgs, CLI, 'serve'], {
    env: productEnv(dataDir, port, extraEnv),
  });
  return { proc, dataDir, port };
}

export interface ProductStop extends StopResult {
  /** Postmaster pid still running after the server exited (a leak), or null. */
  leftoverPostgres: number | null;
  leftoverProcesses: number[];
}

/** SIGTERM the server, then check that no PostgreSQL process of its data dir remains. */
export async function stopProduct(product: ProductHandle): Promise<ProductStop> {
  const pgPid = postmasterPid(product.dataDir);
  const result = await product.proc.stop();
  // The postmaster removes its lock file on exit; give a just-finished shutdown a moment to land.
  const deadline = performance.now() + 2_000;
  let leftover = pgPid !== null && isRunning(pgPid) ? pgPid : null;
  let processes = processesUsing(product.dataDir);
  while ((leftover !== null || processes.length > 0) && performance.now() < deadline) {
    await sleep(100);
    leftover = pgPid !== null && isRunning(pgPid) ? pgPid : null;
    processes = processesUsing(product.dataDir);
  }
  const lockPid = postmasterPid(product.dataDir);
  if (leftover === null && lockPid !== null && isRunning(lockPid)) leftover = lockPid;
  return { ...result, leftoverPostgres: leftover, leftoverProcesses: processes };
}

/** Fast-shutdown (SIGINT) any PostgreSQL still running on `dataDir`, SIGKILL after 10 s. */
export async function stopLeftoverPostgres(dataDir: string): Promise<void> {
  const pids = new Set(processesUsing(dataDir));
  const lockPid = postmasterPid(dataDir);
  if (lockPid !== null && isRunning(lockPid)) pids.add(lockPid);
  if (pids.size === 0) return;
  process.stderr.write(
    `[bench] PostgreSQL still running on ${dataDir} (pids ${[...pids].join(', ')}): stopping it\n`,
  );
  const postmaster = lockPid !== null && pids.has(lockPid) ? lockPid : Math.min(...pids);
  try {
    process.kill(postmaster, 'SIGINT');
  } catch {
    // gone meanwhile
  }
  const deadline = performance.now() + KILL_GRACE_MS;
  while ([...pids].some(isRunning) && performance.now() < deadline) await sleep(100);
  for (const pid of pids) {
    if (!isRunning(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/** `node bin/clientela.mjs …args --json` against the data dir; returns the parsed JSON document. */
export async function cli<T>(scope: Scope, dataDir: string, args: string[]): Promise<T> {
  const stdout = await runToCompletion(
    scope,
    `clientela ${args.slice(0, 2).join(' ')}`,
    process.execPath,
    [CLI, ...args, '--json'],
    productEnv(dataDir, 0, { LOG_LEVEL: 'warn' }),
    120_000,
  );
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`clientela ${args.join(' ')}: not JSON on stdout: ${stdout}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Reporting

export interface MachineInfo {
  /** How busy the machine was just before the run (see waitForQuiet). */
  quiet?: string;
  cpuModel: string;
  cores: number;
  totalMemGiB: number;
  node: string;
  postgres: string;
  kernel: string;
  loadAvg: string;
}

export function machineInfo(postgresVersion = 'embedded 17'): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    totalMemGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    postgres: postgresVersion,
    kernel: `${os.type()} ${os.release()}`,
    loadAvg: os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' / '),
  };
}

/**
 * The machine is shared: before measuring, wait (at most BENCH_QUIET_WAIT seconds, default 120;
 * 0 = don't wait) for BENCH_QUIET_SECONDS (default 3) consecutive seconds in which the whole
 * machine is under 25 % busy.
 * Returns a sentence for the report either way.
 */
export async function waitForQuiet(log: (message: string) => void): Promise<string> {
  const maxSeconds = Number(process.env.BENCH_QUIET_WAIT ?? 120);
  const needQuiet = Math.max(1, Number(process.env.BENCH_QUIET_SECONDS ?? 3));
  const cores = os.cpus().length;
  const started = performance.now();
  let quietSeconds = 0;
  let last = Number.NaN;
  let announced = false;
  while (true) {
    const before = machineTicks();
    await sleep(1_000);
    const after = machineTicks();
    const total = after.busy + after.idle + after.steal - (before.busy + before.idle + before.steal);
    last = total > 0 ? ((after.busy - before.busy) / total) * 100 : 0;
    quietSeconds = last < 25 ? quietSeconds + 1 : 0;
    const waited = (performance.now() - started) / 1000;
    if (quietSeconds >= needQuiet) {
      return `machine quiet before the run (${last.toFixed(0)} % of the machine's CPU busy, ${cores} cores${waited > 4 ? `, after waiting ${waited.toFixed(0)} s` : ''})`;
    }
    if (waited >= maxSeconds) {
      return `machine still busy when the run started (${last.toFixed(0)} % of the machine's CPU busy, ${cores} cores, after waiting ${waited.toFixed(0)} s)`;
    }
    if (!announced && waited >= 3) {
      announced = true;
      log(`the machine is busy (${last.toFixed(0)} %); waiting up to ${maxSeconds} s for it to calm down`);
    }
  }
}

export function pgVersionOf(dataDir: string): string {
  try {
    return `embedded ${readFileSync(path.join(dataDir, 'pg', 'PG_VERSION'), 'utf8').trim()}`;
  } catch {
    return 'embedded 17';
  }
}

export function machineLine(m: MachineInfo): string {
  return (
    `${m.cpuModel}, ${m.cores} cores, ${m.totalMemGiB} GiB RAM, ${m.kernel}; Node ${m.node}; ` +
    `PostgreSQL: ${m.postgres}; load average before the run ${m.loadAvg} (1/5/15 min)` +
    (m.quiet ? `; ${m.quiet}` : '')
  );
}

export function utcNow(): string {
  return `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export const fmtMs = (ms: number) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
export const fmtMiB = (kb: number | null) => (kb === null ? 'n/a' : `${(kb / 1024).toFixed(1)} MiB`);
export const ok = (pass: boolean) => (pass ? '✅' : '❌');

export function isMain(importMetaUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && path.resolve(entry) === fileURLToPath(importMetaUrl);
}
