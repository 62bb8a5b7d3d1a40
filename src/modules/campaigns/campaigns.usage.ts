import { sql } from 'drizzle-orm';
import type { ChannelUsageProvider, ChannelUse } from '../channels/channels.registry.ts';
import type { SegmentUsageProvider, SegmentUse } from '../segments/segments.registry.ts';

/**
 * A saved segment's "used by": the campaigns whose audience is that segment. One scheduled or
 * starting without its recipients snapshot yet (`determine_recipients: at_send`) still has to read
 * the segment: it is `pending`.
 */
export const campaignSegmentUsage: SegmentUsageProvider = {
  name: 'campaigns',
  async usedBy(db, workspaceId, segmentIds) {
    const uses = new Map<string, SegmentUse[]>();
    if (!segmentIds.length) return uses;
    const rows = await db.execute<{ segment_id: string; id: string; name: string; pending: boolean }>(sql`
      select audience->>'segment_id' as segment_id, id, name,
             (status in ('scheduled', 'sending') and snapshot_at is null) as pending
      from campaigns
      where workspace_id = ${workspaceId} and deleted_at is null
        and audience->>'segment_id' = any(${`{${segmentIds.join(',')}}`}::text[])
      order by created_at desc`);
    for (const row of rows.rows)
      uses.set(row.segment_id, [
        ...(uses.get(row.segment_id) ?? []),
        { type: 'campaign', id: row.id, name: row.name, pending: row.pending },
      ]);
    return uses;
  },
};

/**
 * A channel's uses: the campaigns that will still send through it (scheduled, sending or paused),
 * naming it, or naming no channel for a kind (their own or a fallback) it is the default of: those
 * would otherwise move to the next channel for the kind, the Outbox at worst, in mid-campaign.
 * Drafts are not uses: a draft picks its channel again before it is sent, and Send refuses one
 * whose channel is gone. Finished campaigns keep their messages' history with the deleted channel.
 */
export const campaignChannelUsage: ChannelUsageProvider = {
  name: 'campaigns',
  async usedBy(db, workspaceId, channels) {
    const uses = new Map<string, ChannelUse[]>();
    if (!channels.length) return uses;
    const rows = await db.execute<{ channel_id: string; id: string; name: string; status: string }>(sql`
      select ch.id as channel_id, c.id, c.name, c.status
      from jsonb_to_recordset(${JSON.stringify(channels.map((c) => ({ id: c.id, kinds: c.defaultFor })))}::jsonb)
        as ch(id uuid, kinds text[])
      join campaigns c on c.workspace_id = ${workspaceId} and c.deleted_at is null
        and c.status in ('scheduled', 'sending', 'paused')
        and (c.channel_id = ch.id or (c.channel_id is null and c.channel = any(ch.kinds))
          or c.fallback_channels && ch.kinds)
      order by c.created_at desc`);
    for (const row of rows.rows)
      uses.set(row.channel_id, [
        ...(uses.get(row.channel_id) ?? []),
        { type: 'campaign', id: row.id, name: row.name, status: row.status },
      ]);
    return uses;
  },
};
