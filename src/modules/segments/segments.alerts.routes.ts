import { Type } from '@sinclair/typebox';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { errors, IdParams, Nullable, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import {
  deleteSegmentAlert,
  getSegmentAlert,
  MAX_ALERT_RECIPIENTS,
  setSegmentAlert,
} from './segments.alerts.ts';

const AlertJson = Type.Object({
  segment_id: Uuid,
  user_ids: Type.Array(Uuid, { description: 'Members notified' }),
  email: Type.Boolean({ description: 'Also by email (when the server has SMTP_URL)' }),
  mail_configured: Type.Boolean({
    description:
      'false: this server has no SMTP_URL, so `email` sends nothing; members get the dashboard notification only',
  }),
  on_exit: Type.Boolean({ description: 'Also when clients leave the segment' }),
  last_checked_at: Nullable(Timestamp),
  members_tracked: Type.Integer({ description: 'Members at the last check: the baseline of the next one' }),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export function registerSegmentAlertRoutes(
  app: HttpApp,
  deps: { db: Database; timeoutMs: number; mailConfigured: boolean },
) {
  const { db, timeoutMs } = deps;
  // The alert says whether its emails can leave at all, so nobody waits for mail that never comes.
  const withMail = <T extends object>(alert: T) => ({ ...alert, mail_configured: deps.mailConfigured });
  const tags = ['Segments'];
  app.get(
    '/api/v1/segments/:id/alert',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: "The segment's alert (404 when it has none)",
        params: IdParams,
        response: { 200: AlertJson, ...errors },
      },
    },
    async (request) => withMail(await getSegmentAlert(db, workspaceOf(request), request.params.id)),
  );
  app.put(
    '/api/v1/segments/:id/alert',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Notify members when clients enter (or leave) the segment',
        description:
          'Checked after every hourly count. The members at the time the alert is set are the baseline: ' +
          "only clients who enter later are reported. Entries and exits appear on each client's timeline.",
        params: IdParams,
        body: Type.Object(
          {
            user_ids: Type.Array(Uuid, { minItems: 1, maxItems: MAX_ALERT_RECIPIENTS }),
            email: Type.Optional(Type.Boolean()),
            on_exit: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: AlertJson, ...errors },
      },
    },
    async (request) =>
      withMail(
        await setSegmentAlert(db, workspaceOf(request), request.params.id, request.body, { timeoutMs }),
      ),
  );
  app.delete(
    '/api/v1/segments/:id/alert',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Stop the alert',
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await deleteSegmentAlert(db, workspaceOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
