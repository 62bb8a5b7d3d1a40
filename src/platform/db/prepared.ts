import { fillPlaceholders, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import type { DbOrTx } from './db.ts';

const dialect = new PgDialect({ casing: 'snake_case' });
const names = new Set<string>();

/** The pool, or the pooled connection of a transaction, under a drizzle handle. */
function queryableOf(db: DbOrTx): pg.Pool | pg.PoolClient {
  return (db as unknown as { session: { client: pg.Pool | pg.PoolClient } }).session.client;
}

/**
 * A read that every request makes, built once and run as a named prepared statement: no query
 * builder runs per call, and PostgreSQL parses and plans it once per connection instead of per
 * call (measured on the segment environment's read: 0.73 ms unnamed, 0.32 ms named). `build`
 * gets one `sql.placeholder` per key of the values and must return the same text whatever they
 * are. Rows come back as node-postgres gives them (column names as written in the SQL).
 */
export function preparedStatement<Values extends Record<string, unknown>, Row>(
  name: string,
  build: () => SQL,
): (db: DbOrTx, values: Values) => Promise<Row[]> {
  // node-postgres refuses a second text under a name a connection has prepared: one text per name.
  if (names.has(name)) throw new Error(`A prepared statement named ${name} already exists`);
  names.add(name);
  let query: { text: string; params: unknown[] } | null = null;
  return async (db, values) => {
    if (!query) {
      const built = dialect.sqlToQuery(build());
      query = { text: built.sql, params: built.params };
    }
    const result = await queryableOf(db).query({
      name,
      text: query.text,
      values: fillPlaceholders(query.params, values),
    });
    return result.rows as Row[];
  };
}
