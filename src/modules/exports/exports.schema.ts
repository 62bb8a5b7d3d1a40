import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { workspaces } from '../workspaces/workspaces.schema.ts';

const ts = () => timestamp({ withTimezone: true, precision: 3 });

/** An export repeated every day or every week at an hour of the workspace's time zone. */
export const exportSchedules = pgTable(
  'export_schedules',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    /** daily | weekly */
    frequency: text().notNull(),
    /** 0 = Sunday … 6; weekly only. */
    weekday: smallint(),
    hour: smallint().notNull(),
    selection: jsonb().$type<Record<string, unknown>>().notNull(),
    fields: jsonb().$type<string[]>().notNull(),
    format: text().notNull(),
    options: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    actor: jsonb().$type<Record<string, unknown>>().notNull(),
    createdByLabel: text().notNull(),
    createdAt: ts().notNull().defaultNow(),
    lastRunAt: ts(),
    nextRunAt: ts().notNull(),
  },
  (t) => [index().on(t.workspaceId, t.createdAt.desc()), index().on(t.nextRunAt)],
);

/**
 * One export of clients: what was selected, which fields, in which format, and the file it
 * produced (under the data folder) until it expires. Progress moves page by page.
 */
export const exports = pgTable(
  'exports',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    status: text().notNull().default('queued'),
    /** { kind: all | ids | filter | segment, ids?, query?, segment_id? } */
    selection: jsonb().$type<Record<string, unknown>>().notNull(),
    fields: jsonb().$type<string[]>().notNull(),
    format: text().notNull(),
    /** The schedule that produced it, if any. */
    scheduleId: uuid().references(() => exportSchedules.id, { onDelete: 'set null' }),
    /** CSV options: delimiter, UTF-8 BOM. */
    options: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    totalRows: integer(),
    processedRows: integer().notNull().default(0),
    filePath: text(),
    sizeBytes: bigint({ mode: 'number' }),
    error: text(),
    /** Who asked (the job acts as them: their role decides which custom fields are visible). */
    actor: jsonb().$type<Record<string, unknown>>().notNull(),
    createdByLabel: text().notNull(),
    createdAt: ts().notNull().defaultNow(),
    finishedAt: ts(),
    expiresAt: ts(),
  },
  (t) => [
    index().on(t.workspaceId, t.createdAt.desc(), t.id.desc()),
    index().on(t.scheduleId, t.createdAt.desc()),
  ],
);
