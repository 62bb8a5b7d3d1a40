import { Type } from '@sinclair/typebox';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { errors, Nullable, StringEnum, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { CAMPAIGN_CHANNELS, CAMPAIGN_STATUSES } from '../campaigns/campaigns.service.ts';
import { homeFigures, SEGMENT_MOVE_DAYS } from './home.service.ts';

const Week = Type.String({ format: 'date', description: "The week's Monday in the workspace's time zone" });
const Rate = Nullable(Type.Number({ minimum: 0, maximum: 1, description: 'Over the sent; null when none' }));

const Home = Type.Object({
  weeks: Type.Integer(),
  time_zone: Type.String(),
  clients: Type.Object({
    total: Type.Integer(),
    at_risk: Type.Integer({ description: 'Effective churn risk (override, else score) ≥ 70 now' }),
    weekly: Type.Array(
      Type.Object({
        week: Week,
        new: Type.Integer({ description: 'Clients created that week' }),
        active: Type.Integer({ description: 'Clients with at least one event that week' }),
        at_risk: Nullable(
          Type.Integer({
            description:
              "At risk on the week's last day with a daily reading (hourly job, and each home request for today); null before the first reading",
          }),
        ),
        total: Nullable(Type.Integer({ description: 'Live clients on that same day; null likewise' })),
      }),
    ),
  }),
  messages: Type.Object({
    weekly: Type.Array(
      Type.Object({
        week: Week,
        channels: Type.Array(
          Type.Object({
            channel: StringEnum(CAMPAIGN_CHANNELS),
            sent: Type.Integer(),
            delivered: Type.Integer(),
            read: Type.Integer(),
            failed: Type.Integer(),
            delivery_rate: Rate,
            read_rate: Rate,
          }),
        ),
      }),
    ),
  }),
  last_campaigns: Type.Array(
    Type.Object({
      id: Uuid,
      name: Type.String(),
      channel: StringEnum(CAMPAIGN_CHANNELS),
      status: StringEnum(CAMPAIGN_STATUSES),
      audience_count: Nullable(Type.Integer()),
      created_at: Timestamp,
      sent: Type.Integer(),
      delivered: Type.Integer(),
      opened: Type.Integer(),
    }),
  ),
  segments_moved: Type.Array(
    Type.Object({
      id: Uuid,
      name: Type.String(),
      count_now: Type.Integer(),
      count_before: Type.Integer(),
      change: Type.Integer(),
      since: Timestamp,
      counted_at: Timestamp,
    }),
    { description: `Saved segments whose count changed most in ${SEGMENT_MOVE_DAYS} days (top 5)` },
  ),
});

export function registerHomeRoutes(app: HttpApp, deps: { db: Database }) {
  app.get(
    '/api/v1/home',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags: ['Home'],
        summary: "The dashboard's landing figures",
        description:
          'Clients per week (new, active, at risk from the daily readings) and at risk now, messages per channel per week with delivery and read rates, the 5 last campaigns, and the saved segments whose counts moved in 7 days.',
        querystring: Type.Object({ weeks: Type.Integer({ minimum: 1, maximum: 52, default: 12 }) }),
        response: { 200: Home, ...errors },
      },
    },
    async (request) => homeFigures(deps.db, workspaceOf(request), request.query.weeks),
  );
}
