import { Type } from '@sinclair/typebox';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { errors, IdParams, Nullable, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { listNotifications, markNotificationsRead } from './notifications.service.ts';

const NotificationJson = Type.Object({
  id: Uuid,
  kind: Type.String({
    description: 'What produced it: segment_alert, campaign_failed or campaign_paused',
  }),
  title: Type.String(),
  body: Type.String(),
  link: Nullable(Type.String({ description: 'Dashboard path to open' })),
  data: Type.Record(Type.String(), Type.Unknown()),
  email_status: Type.String({ description: 'pending, sent, failed, or off (no email asked / SMTP not set)' }),
  read_at: Nullable(Timestamp),
  created_at: Timestamp,
});

export function registerNotificationRoutes(app: HttpApp, deps: { db: Database }) {
  const { db } = deps;
  const tags = ['Notifications'];
  app.get(
    '/api/v1/notifications',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: "The signed-in member's notifications in this workspace, newest first",
        description: 'An API key has no notifications: it gets an empty list.',
        querystring: Type.Object({
          unread: Type.Optional(Type.Boolean()),
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
          cursor: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: {
          200: Type.Object({
            notifications: Type.Array(NotificationJson),
            next_cursor: Nullable(Type.String()),
            unread_count: Type.Integer(),
          }),
          ...errors,
        },
      },
    },
    async (request) => listNotifications(db, workspaceOf(request), request.query),
  );
  app.post(
    '/api/v1/notifications/:id/read',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Mark one notification read',
        params: IdParams,
        response: { 200: Type.Object({ marked: Type.Integer() }), ...errors },
      },
    },
    async (request) => markNotificationsRead(db, workspaceOf(request), request.params.id),
  );
  app.post(
    '/api/v1/notifications/read-all',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Mark all of them read',
        response: { 200: Type.Object({ marked: Type.Integer() }), ...errors },
      },
    },
    async (request) => markNotificationsRead(db, workspaceOf(request), null),
  );
}
