import { sql } from 'drizzle-orm';
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
