import type { SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';
import type { Engagement, EngagementChannel } from './segment-definition.ts';

/**
 * Two small registries through which later modules plug into segments without the segments
 * module knowing their tables (the composition root, src/app.ts, registers them):
 *
 * - Engagement sources. An EngagementCond ("opened a campaign in the last 30 days") asks every
 *   registered source for the clients that have that engagement; the deliveries module (campaigns)
 *   registers one over its ledger. With no source registered nobody has any engagement: `has` is
 *   false for every client and `has_not` true — exactly what an instance that never sent anything
 *   should answer.
 * - Usage providers. A saved segment's `used_by` lists what refers to it (campaigns, bulk
 *   actions…); each provider answers for its own kind. None registered: `used_by` is empty.
 *   A use still `pending` keeps the segment from being archived.
 */

export interface EngagementQuery {
  workspaceId: string;
  engagement: Engagement;
  campaignId: string | null;
  channel: EngagementChannel | null;
  /** Only engagements at or after this instant (within_days), or all of them. */
  since: Date | null;
}

export interface EngagementSource {
  name: string;
  /**
   * A parameterized SELECT of one column, `client_id`, listing the workspace's clients that have
   * this engagement (duplicates allowed). Values must travel as parameters (drizzle `sql`).
   */
  clientIds(query: EngagementQuery): SQL;
}

const engagementSourceList: EngagementSource[] = [];

export function registerEngagementSource(source: EngagementSource): void {
  const index = engagementSourceList.findIndex((s) => s.name === source.name);
  if (index >= 0) engagementSourceList[index] = source;
  else engagementSourceList.push(source);
}

export function unregisterEngagementSource(name: string): void {
  const index = engagementSourceList.findIndex((s) => s.name === name);
  if (index >= 0) engagementSourceList.splice(index, 1);
}

export function engagementSources(): readonly EngagementSource[] {
  return engagementSourceList;
}

export interface SegmentUse {
  /** campaign, bulk_action, … */
  type: string;
  id: string;
  /** A campaign's name; a bulk action's action (add_tags, export…). */
  name: string;
  /**
   * It has yet to read the segment's members (a campaign that picks its recipients at send time,
   * a queued bulk action): archiving the segment now would make it fail, so archiving is refused.
   */
  pending: boolean;
}

export interface SegmentUsageProvider {
  name: string;
  /** What refers to each of these segments of the workspace (segments not in the map: nothing). */
  usedBy(db: DbOrTx, workspaceId: string, segmentIds: string[]): Promise<Map<string, SegmentUse[]>>;
}

const usageProviderList: SegmentUsageProvider[] = [];

export function registerSegmentUsage(provider: SegmentUsageProvider): void {
  const index = usageProviderList.findIndex((p) => p.name === provider.name);
  if (index >= 0) usageProviderList[index] = provider;
  else usageProviderList.push(provider);
}

export function unregisterSegmentUsage(name: string): void {
  const index = usageProviderList.findIndex((p) => p.name === name);
  if (index >= 0) usageProviderList.splice(index, 1);
}

export async function segmentUses(
  db: DbOrTx,
  workspaceId: string,
  segmentIds: string[],
): Promise<Map<string, SegmentUse[]>> {
  const uses = new Map<string, SegmentUse[]>(segmentIds.map((id) => [id, []]));
  if (!segmentIds.length) return uses;
  for (const provider of usageProviderList) {
    const found = await provider.usedBy(db, workspaceId, segmentIds);
    for (const [id, list] of found) uses.get(id)?.push(...list);
  }
  return uses;
}
