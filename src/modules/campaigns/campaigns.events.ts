import { Type } from '@sinclair/typebox';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { deliveryPace } from '../deliveries/deliveries.repo.ts';
import { DELIVERY_STATUSES } from '../deliveries/deliveries.schema.ts';
import { type DeliveryStatus, getCampaignRow } from './campaigns.service.ts';

/** Campaign statuses after which nothing changes by itself any more. */
const FINAL = ['sent', 'cancelled', 'failed'];
const PENDING: readonly string[] = ['queued', 'sending'];

export const CampaignProgressEvent = Type.Object(
  {
    status: Type.String({
      description: 'The campaign status (draft, scheduled, sending, paused, sent, cancelled, failed)',
    }),
    status_reason: Type.Union([Type.String(), Type.Null()], {
      description: 'Why it paused by itself, if it did',
    }),
    counts: Type.Record(Type.String(), Type.Integer(), {
      description: 'Deliveries per status (every status, 0 when none)',
    }),
    progress: Type.Object(
      { done: Type.Integer(), total: Type.Integer() },
      { description: 'Deliveries with an outcome (anything but queued or sending) over all deliveries' },
    ),
    rate_per_second: Type.Number({
      description: 'Messages the provider accepted per second over the last 10 seconds',
    }),
    eta_seconds: Type.Union([Type.Integer(), Type.Null()], {
      description:
        'Seconds until the queued and in-flight deliveries are done at that rate; null when not sending or no rate yet',
    }),
  },
  { description: 'The data of each `progress` server-sent event' },
);

/** One `progress` event of a campaign: counts by status, the rate over the last 10 s and the ETA. */
export async function campaignProgress(db: DbOrTx, workspaceId: string, id: string) {
  const row = await getCampaignRow(db, workspaceId, id);
  // Nothing counts before the snapshot is complete (its halves may be half written: campaigns.send.ts).
  const pace = row.snapshotAt
    ? await deliveryPace(db, workspaceId, id)
    : { counts: {} as Record<string, number>, ratePerSecond: 0 };
  const counts = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, pace.counts[s] ?? 0])) as Record<
    DeliveryStatus,
    number
  >;
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const pending = PENDING.reduce((sum, s) => sum + (counts[s as DeliveryStatus] ?? 0), 0);
  const rate = Math.round(pace.ratePerSecond * 10) / 10;
  return {
    status: row.status,
    status_reason: row.statusReason,
    counts,
    progress: { done: total - pending, total },
    rate_per_second: rate,
    eta_seconds: row.status === 'sending' && rate > 0 ? Math.ceil(pending / rate) : null,
  };
}

/**
 * Writes `progress` events (an event whenever something changed, at most one a second) until the
 * campaign is final or the reader goes; a comment line every 15 s keeps proxies from closing it.
 */
export async function streamCampaignProgress(
  db: Database,
  workspaceId: string,
  id: string,
  out: { write(chunk: string): unknown; closed(): boolean },
  intervalMs = 1000,
) {
  let last = '';
  let quietSince = Date.now();
  while (!out.closed()) {
    let event: Awaited<ReturnType<typeof campaignProgress>>;
    try {
      event = await campaignProgress(db, workspaceId, id);
    } catch {
      return; // deleted meanwhile
    }
    const text = JSON.stringify(event);
    if (text !== last) {
      out.write(`event: progress\ndata: ${text}\n\n`);
      last = text;
      quietSince = Date.now();
    } else if (Date.now() - quietSince > 15_000) {
      out.write(': still here\n\n');
      quietSince = Date.now();
    }
    if (FINAL.includes(event.status) && (event.counts.queued ?? 0) + (event.counts.sending ?? 0) === 0)
      return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
