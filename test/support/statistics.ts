import { sql } from 'drizzle-orm';
import type { Database } from '../../src/platform/db/db.ts';

/** Manual ANALYZE runs of the clients table (autovacuum's own are counted apart, in autoanalyze_count). */
export async function manualClientAnalyses(db: Database): Promise<number> {
  const result = await db.execute<{ n: number }>(
    sql`select analyze_count::int as n from pg_stat_user_tables where relid = 'clients'::regclass`,
  );
  return result.rows[0]!.n;
}

/**
 * Autovacuum must not analyze the clients before the code under test does: with a database per
 * test file it visits each one often. Only the calling test file's database is changed.
 */
export async function stopAutoAnalyzeOfClients(db: Database) {
  await db.execute(sql`alter table clients set (autovacuum_enabled = false)`);
}

/**
 * Writes `count` plain clients (no consent) and waits until the write is in the table statistics
 * that decide an ANALYZE: a session reports its counts at most once a second on its own, so the
 * insert's session is asked to report them at once.
 */
export async function writeClientsReported(db: Database, workspaceId: string, count: number) {
  await stopAutoAnalyzeOfClients(db);
  const before = await db.execute<{ n: number }>(
    sql`select n_mod_since_analyze::int as n from pg_stat_user_tables where relid = 'clients'::regclass`,
  );
  await db.transaction(async (tx) => {
    await tx.execute(sql`insert into clients (workspace_id, first_name, email)
      select ${workspaceId}::uuid, 'Client ' || g, 'c' || g || '@example.com' from generate_series(1, ${count}) g`);
    await tx.execute(sql`select pg_stat_force_next_flush()`);
  });
  // The report is made when the session goes idle, after the commit.
  for (let i = 0; i < 50; i++) {
    const seen = await db.execute<{ n: number }>(
      sql`select n_mod_since_analyze::int as n from pg_stat_user_tables where relid = 'clients'::regclass`,
    );
    if (seen.rows[0]!.n >= before.rows[0]!.n + count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the insert never reached the table statistics');
}
