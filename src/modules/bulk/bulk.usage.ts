import { sql } from 'drizzle-orm';
import type { SegmentUsageProvider, SegmentUse } from '../segments/segments.registry.ts';

/** The bulk actions listed per segment in its "used by": the latest ones. */
const LISTED_PER_SEGMENT = 10;

/**
 * A saved segment's "used by": the bulk actions whose selection was that segment, newest first.
 * One queued or running still reads the segment's members (a job reads them when it starts, and
 * again if it is restarted): it is `pending`.
 */
export const bulkSegmentUsage: SegmentUsageProvider = {
  name: 'bulk_actions',
  async usedBy(db, workspaceId, segmentIds) {
    const uses = new Map<string, SegmentUse[]>();
    if (!segmentIds.length) return uses;
    const rows = await db.execute<{ segment_id: string; id: string; action: string; pending: boolean }>(sql`
      select segment_id, id, action, pending from (
        select selection->>'segment_id' as segment_id, id, action, created_at,
               status in ('queued', 'running') as pending,
               row_number() over (partition by selection->>'segment_id' order by created_at desc, id desc) as nth
        from bulk_actions
        where workspace_id = ${workspaceId}
          and selection->>'segment_id' = any(${`{${segmentIds.join(',')}}`}::text[])
      ) listed
      where nth <= ${LISTED_PER_SEGMENT} or pending
      order by created_at desc, id desc`);
    for (const row of rows.rows)
      uses.set(row.segment_id, [
        ...(uses.get(row.segment_id) ?? []),
        { type: 'bulk_action', id: row.id, name: row.action, pending: row.pending },
      ]);
    return uses;
  },
};
