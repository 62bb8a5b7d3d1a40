import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { clients } from '../clients/clients.schema.ts';
import { workspaces } from '../workspaces/workspaces.schema.ts';

/**
 * A client's GDPR request made from the preference page (art. 15 copy of data, art. 17 erasure):
 * admins see it with its legal deadline, one month after it was made, and close it when handled.
 */
export const privacyRequests = pgTable(
  'privacy_requests',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    clientId: uuid()
      .notNull()
      .references(() => clients.id, { onDelete: 'cascade' }),
    kind: text().notNull(),
    status: text().notNull().default('open'),
    source: text().notNull().default('preference_page'),
    requestedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    dueAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    resolvedAt: timestamp({ withTimezone: true, precision: 3 }),
    resolvedBy: text(),
  },
  (t) => [
    index().on(t.workspaceId, t.status, t.dueAt),
    check('privacy_requests_kind_check', sql`${t.kind} in ('export', 'erasure')`),
    check('privacy_requests_status_check', sql`${t.status} in ('open', 'done', 'rejected')`),
  ],
);
