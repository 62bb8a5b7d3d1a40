import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';

/** A client is at risk from this effective churn-risk score (the segments' "at risk" preset too). */
export const AT_RISK_SCORE = 70;

/**
 * For the home page: per week (Monday, in the workspace's zone) since `since`, the clients created
 * that week; plus the live total and how many are at risk now. The at-risk figure has no history
 * (scores are recomputed in place), so it is today's number only.
 */
export async function clientFigures(db: DbOrTx, workspaceId: string, timeZone: string, since: Date) {
  const [weekly, now] = await Promise.all([
    db.execute<{ week: string; n: number }>(sql`
      select to_char(date_trunc('week', created_at at time zone ${timeZone}), 'YYYY-MM-DD') as week, count(*)::int as n
      from clients where workspace_id = ${workspaceId} and erased_at is null and archived_at is null and created_at >= ${since.toISOString()}::timestamptz
      group by 1`),
    db.execute<{ total: number; at_risk: number }>(sql`
      select count(*)::int as total,
        count(*) filter (where coalesce(risk_override, risk_score) >= ${AT_RISK_SCORE})::int as at_risk
      from clients where workspace_id = ${workspaceId} and erased_at is null and archived_at is null`),
  ]);
  return {
    newPerWeek: new Map(weekly.rows.map((r) => [r.week, r.n])),
    total: now.rows[0]?.total ?? 0,
    atRisk: now.rows[0]?.at_risk ?? 0,
  };
}
