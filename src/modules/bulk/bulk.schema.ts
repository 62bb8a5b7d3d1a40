import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { workspaces } from '../workspaces/workspaces.schema.ts';

const ts = () => timestamp({ withTimezone: true, precision: 3 });

export const BULK_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;

/**
 * One bulk action on a selection of clients: what was asked (action, selection, params), how many
 * it touched, and how it ended. Small ones run in the request; 1,000 clients or more run as a job
 * whose progress moves chunk by chunk and which can be cancelled between chunks.
 */
export const bulkActions = pgTable(
  'bulk_actions',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    action: text().notNull(),
    /** As asked: { client_ids } | { segment_id } | { definition } | { query }. */
    selection: jsonb().$type<Record<string, unknown>>().notNull(),
    params: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    status: text().notNull().default('queued'),
    /** Clients the selection matched when the action started. */
    total: integer().notNull().default(0),
    processed: integer().notNull().default(0),
    /** Clients really changed (a tag a client already had is skipped, not done). */
    done: integer().notNull().default(0),
    /** Reason → count, e.g. { already_tagged: 12 }. */
    skipped: jsonb().$type<Record<string, number>>().notNull().default({}),
    /** What the action produced: a campaign id, an export id, a coupon batch id. */
    result: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    error: text(),
    /** Who asked (the job acts as them). */
    actor: jsonb().$type<Record<string, unknown>>().notNull(),
    createdByLabel: text().notNull(),
    createdAt: ts().notNull().defaultNow(),
    startedAt: ts(),
    finishedAt: ts(),
  },
  (t) => [index().on(t.workspaceId, t.createdAt.desc(), t.id.desc())],
);
