import { sql } from 'drizzle-orm';
import type { Database } from './db.ts';

/**
 * PostgreSQL plans every statement from the statistics ANALYZE last took of each table. Until it
 * runs again, rows written since are invisible to the planner: a workspace imported a minute ago
 * is "one client" in its estimates. Autovacuum analyzes a table once about 10 % of it changed, but
 * only on its next round (a minute later by default), and a campaign sent right after an import
 * was planned in that minute: at 100,000 clients, each batch's last-contact update read every
 * client of the workspace (95 ms a batch of 200 instead of 11; bench/campaigns-send.ts), and
 * statements that join the clients by id can go further wrong (a nested loop over all of them,
 * 4.6 s a batch, seen in the same setting).
 *
 * Runs ANALYZE on `table` now when it changed by more than autovacuum's own default threshold
 * (50 rows + 10 %) since it was last analyzed, the same rule autovacuum would apply on its next
 * round. Never waits more than a second for a lock (a VACUUM or another ANALYZE of the table
 * holds it: it is being done anyway); returns whether it analyzed. `written`: rows the caller
 * itself just wrote, counted even when its sessions have not reported them yet (a session reports
 * its counts at most once a second).
 */
export async function analyzeIfStale(db: Database, table: 'clients', written = 0): Promise<boolean> {
  const stats = await db.execute<{ tuples: number; changed: number }>(sql`
    select greatest(c.reltuples, 0)::float8 as tuples, s.n_mod_since_analyze::float8 as changed
    from pg_class c join pg_stat_user_tables s on s.relid = c.oid
    where c.oid = to_regclass(${table})`);
  const row = stats.rows[0];
  if (!row || Math.max(row.changed, written) <= 50 + 0.1 * row.tuples) return false;
  try {
    await db.transaction(async (tx) => {
      await tx.execute(sql`set local lock_timeout = '1s'`);
      await tx.execute(sql`analyze ${sql.identifier(table)}`);
    });
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '55P03') return false; // lock_not_available
    throw error;
  }
}
