import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** The repository root, found from this file so tests run from any working directory. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(REPO_ROOT, 'bin', 'clientela.mjs');
const RUN_TS = join(REPO_ROOT, 'bin', 'run-ts.mjs');
const SEED = join(REPO_ROOT, 'test', 'e2e', 'support', 'seed.ts');

export const OWNER = { name: 'Ana', email: 'ana@example.com', password: 'correct-horse-battery' } as const;

export interface SeededWorkspace {
  id: string;
  name: string;
}

export interface TestServer {
  url: string;
  clinic: SeededWorkspace;
  rentals: SeededWorkspace;
  /** Last lines the server printed, for failure messages. */
  logs: () => string;
  stop: () => Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** Environment of the product under test: no test-runner variables, a fresh data folder, a free port. */
function productEnv(port: number, dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('VITEST') && key !== 'NODE_ENV' && key !== 'TEST') env[key] = value;
  }
  env.PORT = String(port);
  env.CLIENTELA_DATA_DIR = dataDir;
  env.LOG_LEVEL = process.env.E2E_LOG_LEVEL ?? 'warn';
  return env;
}

/**
 * With DATABASE_URL set (CI's system PostgreSQL), each test server gets a database of its own on
 * that server, dropped afterwards, so runs never see each other's data.
 */
async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> } | null> {
  const base = process.env.DATABASE_URL;
  if (!base) return null;
  const name = `clientela_e2e_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

/** Runs a Node script and returns the JSON document it prints last on stdout. */
function runJson<T>(args: string[], env: NodeJS.ProcessEnv): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd: REPO_ROOT, env, timeout: 120_000, maxBuffer: 10 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const lastLine = stdout.trim().split('\n').pop() ?? '';
        if (error) {
          reject(new Error(`${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
          return;
        }
        try {
          resolve(JSON.parse(lastLine) as T);
        } catch {
          reject(new Error(`${args.join(' ')} printed no JSON:\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

async function waitForHealth(url: string, child: ChildProcess, logs: () => string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`The server exited with code ${child.exitCode}:\n${logs()}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`The server did not become healthy within ${timeoutMs / 1000} s:\n${logs()}`);
}

function stopChild(child: ChildProcess, graceMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Seeds two workspaces ("Clínica Sol" owned by Ana, "Rentals Norte" where she is admin) in one
 * process (support/seed.ts), then starts `clientela serve` and waits until /healthz answers 200.
 */
export async function startServer(): Promise<TestServer> {
  const port = await freePort();
  const dataDir = await mkdtemp(join(tmpdir(), 'clientela-e2e-'));
  const env = productEnv(port, dataDir);
  const database = await freshDatabase();
  if (database) env.DATABASE_URL = database.url;

  const { clinic, rentals } = await runJson<{ clinic: SeededWorkspace; rentals: SeededWorkspace }>(
    [RUN_TS, SEED, OWNER.email, OWNER.password, OWNER.name],
    env,
  );

  const output: string[] = [];
  const child = spawn(process.execPath, [CLI, 'serve'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.splice(0, output.length - 200);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const logs = () => output.join('').slice(-8000);

  const url = `http://localhost:${port}`;
  try {
    await waitForHealth(url, child, logs);
  } catch (error) {
    await stopChild(child);
    throw error;
  }

  return {
    url,
    clinic,
    rentals,
    logs,
    stop: async () => {
      await stopChild(child);
      await rm(dataDir, { recursive: true, force: true });
      await database?.drop();
    },
  };
}
