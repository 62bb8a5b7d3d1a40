import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { workspaces } from '../workspaces/workspaces.schema.ts';

export const CUSTOM_FIELD_TYPES = [
  'text',
  'number',
  'date',
  'boolean',
  'select',
  'multi_select',
  'url',
  'email',
  'phone',
] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];

/** Workspace-defined client fields; values live in clients.custom keyed by `key`. */
export const customFields = pgTable(
  'custom_fields',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    key: text().notNull(),
    label: text().notNull(),
    type: text().$type<CustomFieldType>().notNull(),
    options: jsonb().$type<string[]>().notNull().default([]),
    required: boolean().notNull().default(false),
    section: text(),
    position: integer().notNull().default(0),
    helpText: text(),
    /** Roles below this one don't see the field at all (salary-like or medical fields). */
    visibleMinRole: text().notNull().default('viewer'),
    /** Roles below this one see it read-only. */
    editableMinRole: text().notNull().default('agent'),
    archivedAt: timestamp({ withTimezone: true, precision: 3 }),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex().on(t.workspaceId, t.key),
    check('custom_fields_key_check', sql`${t.key} ~ '^[a-z][a-z0-9_]{0,62}$'`),
  ],
);
