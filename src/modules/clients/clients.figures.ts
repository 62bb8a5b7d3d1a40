import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';

/** A client is at risk from this effective churn-risk score (the segments' "at risk" preset too). */
export const AT_RISK_SCORE = 70;

/**
 * For the home page: per week (Monday, in the workspace's zone) since `since`, the clients created
 * that week. The totals and the at-risk count per day are in clients.daily-figures.ts.
 */
export async function clientFigures(db: DbOrTx, workspaceId: string, timeZone: string, since: Date) {
  const weekly = await db.execute<{ week: string; n: number }>(sql`
    select to_char(date_trunc('week', created_at at time zone ${timeZone}), 'YYYY-MM-DD') as week, count(*)::int as n
    from clients where workspace_id = ${workspaceId} and erased_at is null and archived_at is null and created_at >= ${since.toISOString()}::timestamptz
    group by 1`);
  return { newPerWeek: new Map(weekly.rows.map((r) => [r.week, r.n])) };
}
