import { sql } from 'drizzle-orm';
import type { WorkspaceContext } from '../../platform/auth/context.ts';
import type { DbOrTx } from '../../platform/db/db.ts';
import { listCampaigns } from '../campaigns/campaigns.service.ts';
import { messagesPerWeek } from '../channels/channels.figures.ts';
import { dailyFiguresPerWeek, recordDailyFigure } from '../clients/clients.daily-figures.ts';
import { clientFigures } from '../clients/clients.figures.ts';
import { campaignTotals } from '../deliveries/deliveries.figures.ts';
import { activeClientsPerWeek } from '../events/events.repo.ts';
import { segmentsThatMoved } from '../segments/segments.figures.ts';
import { getWorkspace } from '../workspaces/workspaces.service.ts';

const CHANNELS = ['email', 'sms', 'whatsapp'] as const;
/** Segment counts are compared with their value this many days ago. */
export const SEGMENT_MOVE_DAYS = 7;

const rate = (part: number, whole: number) => (whole ? Math.round((part / whole) * 1000) / 1000 : null);

/**
 * The dashboard's landing page in one request: clients per week (new, active, at risk and total
 * from the daily figures: the last reading of each week, null before the first one) with the
 * total and those at risk now (counted here and stored as today's reading), messages per channel per week with delivery and read rates, the last
 * campaigns with their figures, and the segments whose counts moved. Weeks start on Monday in the
 * workspace's time zone; each figure is one grouped query asked of the module that owns its rows.
 */
export async function homeFigures(db: DbOrTx, ctx: WorkspaceContext, weeks: number) {
  const { defaultTimezone: timeZone } = await getWorkspace(db, ctx.workspaceId);
  const series = await db.execute<{ week: string; starts_at: string }>(sql`
    select to_char(w, 'YYYY-MM-DD') as week, (w at time zone ${timeZone}) as starts_at
    from generate_series(date_trunc('week', now() at time zone ${timeZone}) - make_interval(weeks => ${weeks - 1}),
                         date_trunc('week', now() at time zone ${timeZone}), interval '1 week') w`);
  const weekKeys = series.rows.map((r) => r.week);
  const since = new Date(series.rows[0]!.starts_at);
  // Today's reading first, so this week's point is the figure shown as "now".
  const today = await recordDailyFigure(db, ctx.workspaceId, { timeZone });
  const [daily, clients, active, messages, campaigns, moved] = await Promise.all([
    dailyFiguresPerWeek(db, ctx.workspaceId, weekKeys[0]!),
    clientFigures(db, ctx.workspaceId, timeZone, since),
    activeClientsPerWeek(db, ctx.workspaceId, timeZone, since),
    messagesPerWeek(db, ctx.workspaceId, timeZone, since),
    listCampaigns(db, ctx, { limit: 5 }),
    segmentsThatMoved(db, ctx.workspaceId, SEGMENT_MOVE_DAYS, 5),
  ]);
  const totals = await campaignTotals(
    db,
    ctx.workspaceId,
    campaigns.campaigns.map((c) => c.id),
  );
  const byWeek = new Map(messages.map((m) => [`${m.week}/${m.channel}`, m]));
  return {
    weeks,
    time_zone: timeZone,
    clients: {
      total: today.total,
      at_risk: today.at_risk,
      weekly: weekKeys.map((week) => ({
        week,
        new: clients.newPerWeek.get(week) ?? 0,
        active: active.get(week) ?? 0,
        at_risk: daily.get(week)?.at_risk ?? null,
        total: daily.get(week)?.total ?? null,
      })),
    },
    messages: {
      weekly: weekKeys.map((week) => ({
        week,
        channels: CHANNELS.map((channel) => {
          const m = byWeek.get(`${week}/${channel}`);
          const sent = m?.sent ?? 0;
          return {
            channel,
            sent,
            delivered: m?.delivered ?? 0,
            read: m?.read ?? 0,
            failed: m?.failed ?? 0,
            delivery_rate: rate(m?.delivered ?? 0, sent),
            read_rate: rate(m?.read ?? 0, sent),
          };
        }),
      })),
    },
    last_campaigns: campaigns.campaigns.map((c) => ({
      id: c.id,
      name: c.name,
      channel: c.channel,
      status: c.status,
      audience_count: c.audience_count,
      created_at: c.created_at,
      sent: totals.get(c.id)?.sent ?? 0,
      delivered: totals.get(c.id)?.delivered ?? 0,
      opened: totals.get(c.id)?.opened ?? 0,
    })),
    segments_moved: moved.map((s) => ({
      id: s.id,
      name: s.name,
      count_now: s.count_now,
      count_before: s.count_before,
      change: s.count_now - s.count_before,
      since: new Date(s.since).toISOString(),
      counted_at: new Date(s.counted_at).toISOString(),
    })),
  };
}
