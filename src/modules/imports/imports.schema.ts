import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { workspaces } from '../workspaces/workspaces.schema.ts';

const ts = () => timestamp({ withTimezone: true, precision: 3 });

export const IMPORT_STATUSES = [
  'uploaded',
  'queued',
  'running',
  'completed',
  'failed',
  'cancelled',
  'undone',
] as const;

export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** What the mapping step shows for one column of the file. */
export interface ColumnAnalysis {
  header: string;
  samples: Array<string | null>;
  detected_type: string;
  target: string;
  suggested_key: string;
  warnings: string[];
}

/**
 * One uploaded file and what became of it. The counters and `committed_rows` move forward in the
 * same transaction as each batch's writes, so a worker that dies resumes exactly after the last
 * committed batch and never writes a row twice.
 */
export const imports = pgTable(
  'imports',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    status: text().notNull().default('uploaded'),
    fileName: text().notNull(),
    /** Where the uploaded copy lives (under the data folder), or the CLI's own file. */
    filePath: text().notNull(),
    format: text().notNull(),
    encoding: text(),
    delimiter: text(),
    sizeBytes: bigint({ mode: 'number' }).notNull().default(0),
    headers: jsonb().$type<string[]>().notNull().default([]),
    /** Per column: sample values, detected type, proposed target, warnings (shown by the mapping step). */
    columns: jsonb().$type<ColumnAnalysis[]>().notNull().default([]),
    /** Who started it (the job acts as them: consent history, audit). */
    actor: jsonb().$type<Record<string, unknown>>(),
    /** Mapping, duplicate policy, consent, tags: what the import runs with (set on start). */
    options: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    totalRows: integer(),
    committedRows: integer().notNull().default(0),
    created: integer().notNull().default(0),
    updated: integer().notNull().default(0),
    duplicates: integer().notNull().default(0),
    invalid: integer().notNull().default(0),
    suppressed: integer().notNull().default(0),
    error: text(),
    createdByLabel: text().notNull(),
    createdAt: ts().notNull().defaultNow(),
    startedAt: ts(),
    /** Last committed batch (or start): a running import whose progress stalls is re-queued. */
    progressAt: ts(),
    finishedAt: ts(),
    undoneAt: ts(),
    /**
     * The latest dry run of a large file, run as a job: { status: running | completed | failed,
     * token, options, actor, result?, error? }. Small files are dry-run inside the request.
     */
    dryRun: jsonb().$type<Record<string, unknown>>(),
  },
  (t) => [index().on(t.workspaceId, t.createdAt.desc(), t.id.desc())],
);

/** A row that was not imported: where, which column, what value, why. */
export const importErrors = pgTable(
  'import_errors',
  {
    importId: uuid()
      .notNull()
      .references(() => imports.id, { onDelete: 'cascade' }),
    row: integer().notNull(),
    seq: integer().notNull(),
    column: text(),
    value: text(),
    reason: text().notNull(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.row, t.seq] })],
);

/**
 * What each batch changed on existing clients, for undo: the columns as they were before (and
 * the tags it added). Inside `before`, `imported` holds the values the import wrote (undo leaves a
 * field edited since alone) and `consent` the previous state of the channels it granted. Clients a batch created are in `import_created`; imports run before it
 * existed have them here with `before` null, and undo still reads those.
 */
export const importChanges = pgTable(
  'import_changes',
  {
    importId: uuid()
      .notNull()
      .references(() => imports.id, { onDelete: 'cascade' }),
    clientId: uuid().notNull(),
    before: jsonb().$type<Record<string, unknown>>(),
    addedTags: jsonb().$type<string[]>(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.clientId] })],
);

/**
 * The clients each batch created, one row per committed batch (not one per client): undo deletes
 * them, and a million-row import writes a hundred of these rows instead of a million undo records.
 * `first_row` is the batch's first file row (each row of a file is in exactly one batch).
 */
export const importCreated = pgTable(
  'import_created',
  {
    importId: uuid()
      .notNull()
      .references(() => imports.id, { onDelete: 'cascade' }),
    firstRow: integer().notNull(),
    clientIds: uuid().array().notNull(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.firstRow] })],
);

/** The mapping last used for files with this header shape, proposed again for the next one. */
export const importMappings = pgTable(
  'import_mappings',
  {
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    shape: text().notNull(),
    mapping: jsonb().$type<Record<string, string>>().notNull(),
    updatedAt: ts().notNull().defaultNow(),
  },
  (t) => [uniqueIndex().on(t.workspaceId, t.shape)],
);
