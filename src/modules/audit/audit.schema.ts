import { sql } from 'drizzle-orm';
import { check, index, inet, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { workspaces } from '../workspaces/workspaces.schema.ts';

/**
 * Append-only: a trigger (migration 0001) rejects UPDATE and DELETE. The only exception is the
 * cascade when a whole workspace is deleted, which sets `clientela.audit_purge` for its transaction.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    actorType: text().notNull(),
    actorId: uuid(),
    actorLabel: text().notNull(),
    action: text().notNull(),
    entityType: text().notNull(),
    entityId: text(),
    changes: jsonb().$type<Record<string, { before: unknown; after: unknown }>>(),
    ip: inet(),
    requestId: text(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index().on(t.workspaceId, t.createdAt.desc(), t.id.desc()),
    index().on(t.workspaceId, t.entityType, t.entityId),
    check('audit_log_actor_type_check', sql`${t.actorType} in ('user', 'api_key', 'system')`),
  ],
);
