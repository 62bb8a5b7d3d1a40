import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';

/**
 * For the home page: messages per channel kind per week (Monday, in `timeZone`) since `since`,
 * tests left out. `sent` is what a provider (or the Outbox) took; `delivered` and `read` are what
 * the provider reported since (read implies delivered).
 */
export async function messagesPerWeek(db: DbOrTx, workspaceId: string, timeZone: string, since: Date) {
  const result = await db.execute<{
    week: string;
    channel: 'email' | 'sms' | 'whatsapp';
    sent: number;
    delivered: number;
    read: number;
    failed: number;
  }>(sql`
    select to_char(date_trunc('week', created_at at time zone ${timeZone}), 'YYYY-MM-DD') as week, kind as channel,
      count(*) filter (where status in ('sent', 'delivered', 'read'))::int as sent,
      count(*) filter (where status in ('delivered', 'read'))::int as delivered,
      count(*) filter (where status = 'read')::int as read,
      count(*) filter (where status = 'failed')::int as failed
    from channel_messages
    where workspace_id = ${workspaceId} and not is_test and created_at >= ${since.toISOString()}::timestamptz
    group by 1, 2 order by 1, 2`);
  return result.rows;
}
