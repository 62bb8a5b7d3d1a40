import { Type } from '@sinclair/typebox';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { errors, Nullable, PageQuery, StringEnum, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { listAudit } from './audit.service.ts';

const ActorType = StringEnum(['user', 'api_key', 'system'] as const);

const AuditEntry = Type.Object({
  id: Uuid,
  actor: Type.Object({
    type: ActorType,
    id: Nullable(Uuid),
    label: Type.String(),
  }),
  action: Type.String({ examples: ['api_key.created'] }),
  entity_type: Type.String(),
  entity_id: Nullable(Type.String()),
  changes: Nullable(
    Type.Record(Type.String(), Type.Object({ before: Type.Unknown(), after: Type.Unknown() }), {
      description: 'field → { before, after }',
    }),
  ),
  ip: Nullable(Type.String()),
  request_id: Nullable(Type.String()),
  created_at: Timestamp,
});

export function registerAuditRoutes(app: HttpApp, deps: { db: Database }) {
  app.get(
    '/api/v1/audit-log',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags: ['Audit log'],
        summary: 'List audit log entries, newest first',
        querystring: Type.Object({
          ...PageQuery,
          actor_type: Type.Optional(ActorType),
          actor_id: Type.Optional(Uuid),
          entity_type: Type.Optional(Type.String({ maxLength: 100 })),
          entity_id: Type.Optional(Type.String({ maxLength: 200 })),
          action: Type.Optional(
            Type.String({ maxLength: 100, description: 'An action or its prefix, e.g. api_key' }),
          ),
          from: Type.Optional(Type.String({ format: 'date-time' })),
          to: Type.Optional(Type.String({ format: 'date-time' })),
        }),
        response: {
          200: Type.Object({ entries: Type.Array(AuditEntry), next_cursor: Nullable(Type.String()) }),
          ...errors,
        },
      },
    },
    async (request) => {
      const q = request.query;
      return listAudit(
        deps.db,
        workspaceOf(request).workspaceId,
        {
          actorType: q.actor_type,
          actorId: q.actor_id,
          entityType: q.entity_type,
          entityId: q.entity_id,
          action: q.action,
          from: q.from ? new Date(q.from) : undefined,
          to: q.to ? new Date(q.to) : undefined,
        },
        { cursor: q.cursor, limit: q.limit },
      );
    },
  );
}
