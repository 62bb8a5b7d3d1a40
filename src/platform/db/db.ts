import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { Logger, runMigrations as runWorkerMigrations } from 'graphile-worker';
import pg from 'pg';
import * as schema from './schema.ts';

export type Database = NodePgDatabase<typeof schema>;
/** A transaction handle; every repository function accepts either. */
export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];
export type DbOrTx = Database | Tx;

export const MIGRATIONS_FOLDER = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../drizzle',
);

// Timestamps and bigints come back as JS values we control: ISO strings for timestamptz are
// produced by our own serializers, numeric/int8 as numbers where they fit.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

export interface DbHandle {
  pool: pg.Pool;
  db: Database;
  close(): Promise<void>;
}

export function createDb(url: string, options: { max?: number; applicationName?: string } = {}): DbHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'clientela',
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = drizzle({ client: pool, schema, casing: 'snake_case' });
  return { pool, db, close: () => pool.end() };
}

/**
 * `fn` with a Database bound to one connection of the pool, for what lives in a session: an
 * advisory lock held across transactions, a transaction whose snapshot another connection imports.
 * A failure closes the connection instead of returning it, so nothing of its session survives.
 */
export async function withConnection<T>(pool: pg.Pool, fn: (db: Database) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    const result = await fn(drizzle({ client, schema, casing: 'snake_case' }));
    client.release();
    return result;
  } catch (error) {
    client.release(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}

const MIGRATION_LOCK = 727_217_001;

/** Runs our migrations, then graphile-worker's, under an advisory lock so concurrent starts are safe. */
export async function migrateDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'clientela-migrate' });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query('set client_min_messages = warning');
    await migrate(drizzle({ client, casing: 'snake_case' }), { migrationsFolder: MIGRATIONS_FOLDER });
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    pool.on('error', () => undefined);
    pool.on('connect', (c) => c.on('error', () => undefined));
    try {
      await runWorkerMigrations({ pgPool: pool, logger: silentWorkerLogger() });
    } finally {
      await pool.end();
    }
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await client.end();
  }
}

export function silentWorkerLogger(): Logger {
  return new Logger(() => () => undefined);
}
