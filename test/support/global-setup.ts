import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrateDatabase } from '../../src/platform/db/db.ts';
import { startEmbeddedPostgres } from '../../src/platform/db/embedded.ts';

/**
 * Once per `npm test`: a PostgreSQL server (DATABASE_URL's when set — CI's system cluster —
 * otherwise an embedded one in a temp folder) and a migrated template database. Every test file
 * then clones the template into a database of its own (test/support/db.ts), which takes ~100 ms.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    pgServerUrl: string;
    templateDatabase: string;
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export default async function setup(project: TestProject) {
  let stopServer = async () => {};
  let tempDir: string | null = null;
  let serverUrl: string;
  if (process.env.DATABASE_URL) {
    serverUrl = withDatabase(process.env.DATABASE_URL, 'postgres');
  } else {
    tempDir = mkdtempSync(path.join(os.tmpdir(), 'clientela-test-'));
    const handle = await startEmbeddedPostgres({ dataDir: tempDir, log: () => {}, database: 'postgres' });
    serverUrl = handle.url;
    stopServer = handle.stop;
  }
  const template = `clientela_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${template}`);
  await admin.query(`create database ${template}`);
  await admin.end();
  await migrateDatabase(withDatabase(serverUrl, template));

  project.provide('pgServerUrl', serverUrl);
  project.provide('templateDatabase', template);

  return async () => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    const leftovers = await client.query<{ datname: string }>(
      `select datname from pg_database where datname like $1 or datname = $2`,
      [`clientela_t_${process.pid}_%`, template],
    );
    for (const { datname } of leftovers.rows)
      await client.query(`drop database if exists ${datname} with (force)`);
    await client.end();
    await stopServer();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };
}
