import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/platform/db/embedded.ts';

/**
 * The product as a user runs it: `clientela serve` on an embedded PostgreSQL in a fresh data
 * folder, first-start login, a clean stop on SIGINT and SIGTERM, and data kept across restarts.
 */
const BIN = path.resolve(import.meta.dirname, '../bin/clientela.mjs');
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'clientela-lifecycle-'));
const env = { ...process.env, CLIENTELA_DATA_DIR: dataDir, LOG_LEVEL: 'info' } as NodeJS.ProcessEnv;
delete env.DATABASE_URL;

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function start(port: number) {
  const child = spawn('node', [BIN, 'serve'], {
    env: { ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { child, output: () => output };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`server never became healthy:\n${output}`);
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });
}

function postgresPid(): number | null {
  const file = path.join(dataDir, 'pg', 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function signInStatus(port: number, email: string, password: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: `http://127.0.0.1:${port}` },
    body: JSON.stringify({ email, password }),
  });
  return response.status;
}

describe('clientela serve on embedded PostgreSQL', () => {
  let email = '';
  let password = '';

  it('first start: initialises PostgreSQL, prints the owner login once, stops cleanly on SIGINT', async () => {
    const port = await freePort();
    const server = await start(port);
    await new Promise((r) => setTimeout(r, 500));
    const match = /Email\s+(\S+)\s*║?\s*\n.*Password\s+(\S+)/.exec(server.output());
    expect(match, server.output()).not.toBeNull();
    email = match![1]!;
    password = match![2]!;
    expect(await signInStatus(port, email, password)).toBe(200);

    // The CLI attaches to the running embedded server instead of starting a second one.
    const cli = await promisify(execFile)(
      'node',
      [BIN, 'workspace', 'create', '--name', 'Second', '--json'],
      { env },
    );
    expect(JSON.parse(cli.stdout).name).toBe('Second');
    expect(cli.stderr).toMatch(/already running/);

    const pgPid = postgresPid();
    expect(pgPid && alive(pgPid)).toBe(true);
    server.child.kill('SIGINT');
    expect(await exited(server.child)).toBe(0);
    expect(alive(pgPid!)).toBe(false);
  }, 120_000);

  it('later start: keeps the data, prints no new login, stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const server = await start(port);
    expect(server.output()).not.toMatch(/Password\s/);
    expect(await signInStatus(port, email, password)).toBe(200);
    const pgPid = postgresPid();
    server.child.kill('SIGTERM');
    expect(await exited(server.child)).toBe(0);
    expect(alive(pgPid!)).toBe(false);
  }, 120_000);
});
