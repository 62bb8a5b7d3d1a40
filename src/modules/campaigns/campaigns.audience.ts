import { systemContext } from '../../platform/auth/context.ts';
import type { DbOrTx } from '../../platform/db/db.ts';
import { type Audience, getSegment } from '../segments/segments.service.ts';

/**
 * Who a campaign was meant for, as its audience was compiled when the recipients were fixed
 * (`campaigns.audience_snapshot`, written with `snapshot_at`). The campaign's `audience` names a
 * saved segment by id only: after the segment is edited, archived or renamed, this still says
 * which conditions chose the recipients.
 * - `segment`: a saved segment, with its name and kind then; a dynamic one with its tree, a static
 *   one (a fixed list of members) with no tree.
 * - `definition`: an inline tree.
 * - `client_ids`: a list of clients picked by hand.
 * `count`: the clients of the audience (the ledger's rows, the skipped ones included).
 */
export type AudienceSnapshot =
  | {
      kind: 'segment';
      segment_id: string;
      segment_name: string;
      segment_kind: 'dynamic' | 'static';
      definition?: unknown;
      count: number;
    }
  | { kind: 'definition'; definition: unknown; count: number }
  | { kind: 'client_ids'; count: number };

/**
 * The audience as it reads now, in the transaction that fixes the recipients (the caller compiled
 * it just before, so a missing or archived segment has already failed there).
 */
export async function audienceAsCompiled(
  db: DbOrTx,
  workspaceId: string,
  audience: Audience,
): Promise<(count: number) => AudienceSnapshot> {
  if ('client_ids' in audience) return (count) => ({ kind: 'client_ids', count });
  if ('definition' in audience)
    return (count) => ({ kind: 'definition', definition: audience.definition, count });
  const segment = await getSegment(db, systemContext(workspaceId, 'campaign'), audience.segment_id);
  return (count) => ({
    kind: 'segment',
    segment_id: segment.id,
    segment_name: segment.name,
    segment_kind: segment.kind,
    ...(segment.kind === 'dynamic' ? { definition: segment.definition } : {}),
    count,
  });
}
