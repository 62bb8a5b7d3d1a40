import { type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';

/**
 * Read-only figures of a campaign's ledger for its page: the funnel, sends and deliveries over time,
 * and the failures grouped by reason. Each is one pass over the campaign's rows.
 */

export interface Funnel {
  /** Everyone in the snapshot (skipped included). */
  audience: number;
  eligible: number;
  sent: number;
  delivered: number;
  /** Read (WhatsApp/SMS) or opened (email). */
  opened: number;
  clicked: number;
  /** Answered by an inbound WhatsApp or SMS message within the reply window of their message. */
  replied: number;
}

/** `replied`: given the client id and sent-at SQL of a delivery, true when the client answered. */
export async function campaignFunnel(
  db: DbOrTx,
  workspaceId: string,
  campaignId: string,
  replied: (clientId: SQL, sentAt: SQL) => SQL,
): Promise<Funnel> {
  const result = await db.execute<Record<keyof Funnel, number>>(sql`
    select count(*)::int as audience,
      count(*) filter (where d.status not in ('skipped'))::int as eligible,
      count(*) filter (where d.sent_at is not null)::int as sent,
      count(*) filter (where d.status in ('delivered', 'read', 'clicked'))::int as delivered,
      count(*) filter (where d.status in ('read', 'clicked'))::int as opened,
      count(*) filter (where d.status = 'clicked')::int as clicked,
      count(*) filter (where d.sent_at is not null and d.channel in ('sms', 'whatsapp')
        and ${replied(sql`d.client_id`, sql`d.sent_at`)})::int as replied
    from deliveries d where d.workspace_id = ${workspaceId} and d.campaign_id = ${campaignId}`);
  return result.rows[0]!;
}

export type TimeBucket = 'minute' | 'hour' | 'day';

/**
 * Messages sent (by their send time) and delivered (by the delivery's last change, the time the
 * ledger has for it) per bucket, oldest first. The bucket grows with the campaign's span so a chart
 * never has more than a few hundred points.
 */
export async function sendsAndDeliveriesOverTime(db: DbOrTx, workspaceId: string, campaignId: string) {
  const span = await db.execute<{ first: string | null; last: string | null }>(sql`
    select min(sent_at) as first, max(greatest(sent_at, updated_at)) as last
    from deliveries where workspace_id = ${workspaceId} and campaign_id = ${campaignId} and sent_at is not null`);
  const { first, last } = span.rows[0] ?? { first: null, last: null };
  if (!first || !last) return { bucket: 'minute' as TimeBucket, points: [] };
  const hours = (new Date(last).getTime() - new Date(first).getTime()) / 3_600_000;
  const bucket: TimeBucket = hours <= 6 ? 'minute' : hours <= 24 * 14 ? 'hour' : 'day';
  const result = await db.execute<{ at: string; sent: number; delivered: number }>(sql`
    select at, sum(sent)::int as sent, sum(delivered)::int as delivered from (
      select date_trunc(${bucket}, sent_at) as at, 1 as sent, 0 as delivered
      from deliveries where workspace_id = ${workspaceId} and campaign_id = ${campaignId} and sent_at is not null
      union all
      select date_trunc(${bucket}, updated_at), 0, 1
      from deliveries where workspace_id = ${workspaceId} and campaign_id = ${campaignId}
        and status in ('delivered', 'read', 'clicked')
    ) t group by at order by at`);
  return {
    bucket,
    points: result.rows.map((r) => ({ at: new Date(r.at), sent: r.sent, delivered: r.delivered })),
  };
}

/**
 * Failed and unknown deliveries grouped by reason: the error's code (what precedes its first ':'),
 * or the whole message when it has none, with one example message.
 */
export async function failuresByReason(db: DbOrTx, workspaceId: string, campaignId: string) {
  const result = await db.execute<{
    status: 'failed' | 'unknown';
    reason: string;
    example: string | null;
    count: number;
  }>(sql`
    select status, coalesce(nullif(split_part(coalesce(error, ''), ':', 1), ''), 'unspecified') as reason,
      min(error) as example, count(*)::int as count
    from deliveries where workspace_id = ${workspaceId} and campaign_id = ${campaignId}
      and status in ('failed', 'unknown')
    group by 1, 2 order by count desc, reason`);
  return result.rows;
}

/** Messages the provider accepted per channel (what the actual cost counts). */
export async function sentPerChannel(db: DbOrTx, workspaceId: string, campaignId: string) {
  const result = await db.execute<{ channel: 'email' | 'sms' | 'whatsapp'; n: number }>(sql`
    select channel, count(*)::int as n from deliveries
    where workspace_id = ${workspaceId} and campaign_id = ${campaignId} and sent_at is not null
    group by channel`);
  return Object.fromEntries(result.rows.map((r) => [r.channel, r.n])) as Partial<
    Record<'email' | 'sms' | 'whatsapp', number>
  >;
}

/** Per campaign of `campaignIds`: recipients, sent, delivered and opened/read, for lists of campaigns. */
export async function campaignTotals(db: DbOrTx, workspaceId: string, campaignIds: string[]) {
  if (!campaignIds.length) return new Map<string, { sent: number; delivered: number; opened: number }>();
  const result = await db.execute<{
    campaign_id: string;
    sent: number;
    delivered: number;
    opened: number;
  }>(sql`
    select campaign_id,
      count(*) filter (where sent_at is not null)::int as sent,
      count(*) filter (where status in ('delivered', 'read', 'clicked'))::int as delivered,
      count(*) filter (where status in ('read', 'clicked'))::int as opened
    from deliveries where workspace_id = ${workspaceId} and campaign_id = any(${`{${campaignIds.join(',')}}`}::uuid[])
    group by campaign_id`);
  return new Map(result.rows.map((r) => [r.campaign_id, r]));
}
