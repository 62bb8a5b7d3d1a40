import { once } from 'node:events';
import type { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFromStream, to as copyToStream } from 'pg-copy-streams';
import type { DbOrTx, Tx } from './db.ts';

/**
 * PostgreSQL COPY through the connection of a drizzle transaction: the bulk path for imports
 * (thousands of rows in one round trip, no per-row SQL parsing) and exports (rows streamed out
 * as the server produces them).
 */

/** The pooled connection under a drizzle transaction (drizzle keeps it as `session.client`). */
export function connectionOf(tx: Tx): pg.PoolClient {
  const client = (tx as unknown as { session?: { client?: pg.PoolClient } }).session?.client;
  if (!client || typeof (client as { query?: unknown }).query !== 'function')
    throw new Error('COPY needs a transaction (a dedicated connection), not the pool');
  return client;
}

/** One value in COPY's text format: \N for null, and backslash, tab, newline and CR escaped. */
function copyText(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text =
    typeof value === 'string'
      ? value
      : value instanceof Date
        ? value.toISOString()
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
  return /[\\\t\n\r]/.test(text)
    ? text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : text;
}

/**
 * `COPY <target> FROM STDIN` of these rows (each an array in the column order of `target`, for
 * example `clients (id, workspace_id, email)`); objects are written as JSON (jsonb columns).
 * Returns how many rows were copied. `target` is trusted SQL written by the caller, never input.
 */
export async function copyRowsInto(tx: Tx, target: string, rows: Iterable<unknown[]>): Promise<number> {
  const stream = connectionOf(tx).query(copyFromStream(`copy ${target} from stdin`));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', () => resolve());
    stream.on('error', reject);
  });
  let chunk = '';
  let count = 0;
  try {
    for (const row of rows) {
      let line = '';
      for (let i = 0; i < row.length; i++) line += (i ? '\t' : '') + copyText(row[i]);
      chunk += `${line}\n`;
      count++;
      if (chunk.length >= 1 << 16) {
        if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), done]);
        chunk = '';
      }
    }
    stream.end(chunk);
  } catch (error) {
    stream.destroy(error as Error);
    throw error;
  }
  await done;
  return count;
}

/** `COPY (<query>) TO STDOUT` as a readable stream of the server's output (CSV, text…). */
export function copyQueryOut(tx: DbOrTx, copySql: string): Readable {
  return connectionOf(tx as Tx).query(copyToStream(copySql));
}
