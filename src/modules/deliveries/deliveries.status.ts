import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';

/**
 * Statuses a sent message can still reach, in order. A report only ever moves a delivery forward:
 * a late "delivered" after "read" changes nothing; `failed` (a bounce after sending) is final; an
 * `unknown` delivery (the worker died mid-send) becomes whatever the provider reports, which is how
 * those get reconciled.
 */
const RANK_SQL = `case %s when 'unknown' then 0 when 'sending' then 1 when 'sent' then 2 when 'delivered' then 3
  when 'read' then 4 when 'clicked' then 5 when 'failed' then 6 else 99 end`;
const rank = (expr: string) => sql.raw(RANK_SQL.replace('%s', expr));

export type ReportedStatus = 'sent' | 'delivered' | 'read' | 'clicked' | 'failed';

/**
 * What a provider webhook (by the delivery id the send carried) or email tracking (by campaign and
 * client) reports about a campaign message. Returns whether the delivery moved.
 */
export async function advanceDelivery(
  db: DbOrTx,
  workspaceId: string,
  target: { deliveryId: string } | { campaignId: string; clientId: string; channel: string },
  status: ReportedStatus,
  error: string | null = null,
): Promise<boolean> {
  const which =
    'deliveryId' in target
      ? sql`id = ${target.deliveryId}`
      : sql`campaign_id = ${target.campaignId} and client_id = ${target.clientId} and channel = ${target.channel}`;
  const result = await db.execute(sql`
    update deliveries set status = ${status}, updated_at = now(),
      error = case when ${status} = 'failed' then ${error} else error end
    where workspace_id = ${workspaceId} and ${which}
      and ${rank('status')} < ${rank(`'${status}'`)}`);
  return (result.rowCount ?? 0) > 0;
}
