import { sql } from 'drizzle-orm';
import type { EngagementSource } from '../segments/segments.registry.ts';

/** Which ledger statuses count as each engagement (a clicked message was also opened, delivered and sent). */
const STATUSES: Record<string, readonly string[]> = {
  sent: ['sent', 'delivered', 'read', 'clicked'],
  delivered: ['delivered', 'read', 'clicked'],
  opened: ['read', 'clicked'],
  clicked: ['clicked'],
  failed: ['failed'],
};

/**
 * "Opened a campaign in the last 30 days", "was sent the spring campaign"… over the deliveries
 * ledger. The time of a `sent` engagement is when the provider accepted it; later ones are dated by
 * the delivery's last change.
 */
export const deliveriesEngagementSource: EngagementSource = {
  name: 'deliveries',
  clientIds({ workspaceId, engagement, campaignId, channel, since }) {
    const statuses = STATUSES[engagement] ?? [];
    const at = engagement === 'sent' ? sql`d.sent_at` : sql`d.updated_at`;
    return sql`select d.client_id from deliveries d
      where d.workspace_id = ${workspaceId}
        and d.status in (${sql.join(
          statuses.map((s) => sql`${s}`),
          sql`, `,
        )})
        ${campaignId ? sql`and d.campaign_id = ${campaignId}` : sql``}
        ${channel ? sql`and d.channel = ${channel}` : sql``}
        ${since ? sql`and ${at} >= ${since.toISOString()}::timestamptz` : sql``}`;
  },
};
