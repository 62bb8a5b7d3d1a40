import { sql } from 'drizzle-orm';
import { index, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { clients } from '../clients/clients.schema.ts';
import { workspaces } from '../workspaces/workspaces.schema.ts';

export const tags = pgTable(
  'tags',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    /** lower(name): tags are unique and matched case-insensitively. */
    nameKey: text().notNull(),
    color: text().notNull().default('gray'),
    description: text(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex().on(t.workspaceId, t.nameKey)],
);

export const clientTags = pgTable(
  'client_tags',
  {
    clientId: uuid()
      .notNull()
      .references(() => clients.id, { onDelete: 'cascade' }),
    tagId: uuid()
      .notNull()
      .references(() => tags.id, { onDelete: 'cascade' }),
    // No foreign key to workspaces: a deleted workspace takes its clients and tags, and these rows
    // go with them (the keys above). One check less per row is 10 % of a bulk tag of 100,000
    // clients (bench/RESULTS.md, bulk actions).
    workspaceId: uuid().notNull(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.clientId, t.tagId] }), index().on(t.tagId, t.clientId)],
);
