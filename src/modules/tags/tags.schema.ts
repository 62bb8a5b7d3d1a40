import { sql } from 'drizzle-orm';
import { index, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
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
    // No foreign keys: a key checks each row on its own (one locking query per row and key), and a
    // bulk tag writes 100,000 rows. Migration 0026_bulktag keeps the same integrity set-based:
    // statement triggers check every client, tag and workspace a statement references in one
    // locking query each, and deleting clients or tags deletes their rows (see the migration).
    clientId: uuid().notNull(),
    tagId: uuid().notNull(),
    workspaceId: uuid().notNull(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.clientId, t.tagId] }), index().on(t.tagId, t.clientId)],
);
