import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import { copyRowsInto } from '../../platform/db/copy.ts';
import type { DbOrTx, Tx } from '../../platform/db/db.ts';
import { importChanges, type importErrors, importMappings, imports } from './imports.schema.ts';

export type ImportRow = typeof imports.$inferSelect;

export async function insertImport(db: DbOrTx, values: typeof imports.$inferInsert): Promise<ImportRow> {
  const [row] = await db.insert(imports).values(values).returning();
  return row!;
}

export async function findImport(db: DbOrTx, workspaceId: string, id: string, lock = false) {
  const query = db
    .select()
    .from(imports)
    .where(and(eq(imports.workspaceId, workspaceId), eq(imports.id, id)));
  const [row] = lock ? await query.for('update') : await query;
  return row ?? null;
}

export async function updateImport(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  values: Partial<typeof imports.$inferInsert>,
): Promise<ImportRow> {
  const [row] = await db
    .update(imports)
    .set(values)
    .where(and(eq(imports.workspaceId, workspaceId), eq(imports.id, id)))
    .returning();
  return row!;
}

/** Adds a batch's counts and moves the committed position, in the batch's transaction. */
export async function advanceImport(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  delta: {
    rows: number;
    created: number;
    updated: number;
    duplicates: number;
    invalid: number;
    suppressed: number;
  },
) {
  await db.execute(sql`
    update imports set progress_at = now(), committed_rows = committed_rows + ${delta.rows}, created = created + ${delta.created},
      updated = updated + ${delta.updated}, duplicates = duplicates + ${delta.duplicates},
      invalid = invalid + ${delta.invalid}, suppressed = suppressed + ${delta.suppressed}
    where workspace_id = ${workspaceId} and id = ${id}`);
}

export async function listImportRows(
  db: DbOrTx,
  workspaceId: string,
  before: { at: Date; id: string } | null,
  limit: number,
) {
  return db
    .select()
    .from(imports)
    .where(
      and(
        eq(imports.workspaceId, workspaceId),
        before
          ? or(
              lt(imports.createdAt, before.at),
              and(eq(imports.createdAt, before.at), lt(imports.id, before.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(imports.createdAt), desc(imports.id))
    .limit(limit + 1);
}

/** A batch's error rows with one COPY (each row of a file is in exactly one batch: no conflicts). */
export async function copyImportErrors(tx: Tx, rows: Array<typeof importErrors.$inferInsert>) {
  await copyRowsInto(
    tx,
    'import_errors (import_id, row, seq, "column", value, reason)',
    rows.map((r) => [r.importId, r.row, r.seq, r.column ?? null, r.value ?? null, r.reason]),
  );
}

/** Undo record of the clients one batch created: a single row holding their ids. */
export async function insertCreatedBatch(
  db: DbOrTx,
  importId: string,
  firstRow: number,
  clientIds: string[],
) {
  if (!clientIds.length) return;
  await db.execute(sql`
    insert into import_created (import_id, first_row, client_ids)
    values (${importId}, ${firstRow}, ${sql.param(clientIds)}::uuid[])`);
}

/** The clients an import created, one batch's ids at a time in file order (undo deletes them). */
export async function importCreatedPage(db: DbOrTx, importId: string, afterRow: number | null) {
  const rows = await db.execute<{ first_row: number; client_ids: string[] }>(sql`
    select first_row, client_ids::text[] as client_ids from import_created
    where import_id = ${importId} ${afterRow === null ? sql`` : sql`and first_row > ${afterRow}`}
    order by first_row limit 1`);
  const row = rows.rows[0];
  return row ? { firstRow: Number(row.first_row), clientIds: row.client_ids } : null;
}

/** The error report, a page at a time in row order (the CSV download streams through it). */
export async function importErrorPage(
  db: DbOrTx,
  importId: string,
  after: { row: number; seq: number } | null,
  limit: number,
) {
  const rows = await db.execute<{
    row: number;
    seq: number;
    column: string | null;
    value: string | null;
    reason: string;
  }>(sql`
    select row, seq, "column", value, reason from import_errors
    where import_id = ${importId}
      ${after ? sql`and (row, seq) > (${after.row}, ${after.seq})` : sql``}
    order by row, seq limit ${limit}`);
  return rows.rows;
}

export async function insertImportChanges(
  db: DbOrTx,
  rows: Array<{
    importId: string;
    clientId: string;
    before: Record<string, unknown> | null;
    addedTags: string[];
  }>,
) {
  if (!rows.length) return;
  // A client touched twice keeps its first "before" (the true original) and gathers every added tag.
  await db.execute(sql`
    insert into import_changes (import_id, client_id, before, added_tags)
    select s.import_id, s.client_id, s.before, s.added_tags
    from jsonb_to_recordset(${JSON.stringify(
      rows.map((r) => ({
        import_id: r.importId,
        client_id: r.clientId,
        before: r.before,
        added_tags: r.addedTags,
      })),
    )}::jsonb) as s(import_id uuid, client_id uuid, before jsonb, added_tags jsonb)
    on conflict (import_id, client_id) do update
      set added_tags = coalesce(import_changes.added_tags, '[]'::jsonb) || coalesce(excluded.added_tags, '[]'::jsonb)`);
}

export async function importChangesPage(
  db: DbOrTx,
  importId: string,
  afterClientId: string | null,
  limit: number,
) {
  return db
    .select()
    .from(importChanges)
    .where(
      and(
        eq(importChanges.importId, importId),
        afterClientId ? sql`${importChanges.clientId} > ${afterClientId}` : undefined,
      ),
    )
    .orderBy(importChanges.clientId)
    .limit(limit);
}

export async function findSavedMapping(db: DbOrTx, workspaceId: string, shape: string) {
  const [row] = await db
    .select()
    .from(importMappings)
    .where(and(eq(importMappings.workspaceId, workspaceId), eq(importMappings.shape, shape)));
  return row?.mapping ?? null;
}

export async function saveMapping(
  db: DbOrTx,
  workspaceId: string,
  shape: string,
  mapping: Record<string, string>,
) {
  await db
    .insert(importMappings)
    .values({ workspaceId, shape, mapping })
    .onConflictDoUpdate({
      target: [importMappings.workspaceId, importMappings.shape],
      set: { mapping, updatedAt: new Date() },
    });
}
