import { sql } from 'drizzle-orm';
import { index, jsonb, numeric, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { clients } from '../clients/clients.schema.ts';
import { locations } from '../locations/locations.schema.ts';
import { workspaces } from '../workspaces/workspaces.schema.ts';

/** Things that happened to a client in the business's own systems: bookings, payments, visits… */
export const events = pgTable(
  'events',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    clientId: uuid()
      .notNull()
      .references(() => clients.id, { onDelete: 'cascade' }),
    type: text().notNull(),
    occurredAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    amount: numeric({ precision: 14, scale: 2, mode: 'number' }),
    currency: text(),
    locationId: uuid().references(() => locations.id, { onDelete: 'set null' }),
    referenceId: text(),
    properties: jsonb().$type<Record<string, string | number | boolean>>().notNull().default({}),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index().on(t.clientId, t.type, t.occurredAt.desc()),
    index().on(t.workspaceId, t.type, t.occurredAt),
    // Segment event conditions (count or sum per client in a window): an index-only scan of one
    // type's events in client order, aggregated as a stream and merge-joined with the live clients,
    // with no hash table to spill however many clients have events.
    index('events_segment_aggregate_index').on(t.workspaceId, t.type, t.clientId, t.occurredAt, t.amount),
    // Unfiltered event lists page newest first through this, not a sort of the workspace's events.
    index().on(t.workspaceId, t.occurredAt.desc(), t.id.desc()),
    uniqueIndex().on(t.workspaceId, t.type, t.referenceId).where(sql`${t.referenceId} is not null`),
  ],
);
