import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';

/**
 * For the home page: the saved segments whose member count moved most over `days`, from their
 * count history (the hourly job): the latest count against the last one at least `days` old (else
 * the oldest there is). Unmoved segments are left out.
 */
export async function segmentsThatMoved(db: DbOrTx, workspaceId: string, days: number, limit: number) {
  const result = await db.execute<{
    id: string;
    name: string;
    count_now: number;
    count_before: number;
    counted_at: string;
    since: string;
  }>(sql`
    select s.id, s.name, latest.count as count_now, before.count as count_before,
      latest.counted_at, before.counted_at as since
    from segments s
    cross join lateral (select count, counted_at from segment_counts sc
      where sc.segment_id = s.id order by counted_at desc limit 1) latest
    cross join lateral (select count, counted_at from segment_counts sc
      where sc.segment_id = s.id
      order by (counted_at <= now() - make_interval(days => ${days})) desc,
               case when counted_at <= now() - make_interval(days => ${days}) then counted_at end desc nulls last,
               counted_at asc
      limit 1) before
    where s.workspace_id = ${workspaceId} and s.archived_at is null and latest.count <> before.count
    order by abs(latest.count - before.count) desc, s.name
    limit ${limit}`);
  return result.rows;
}
