import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';
import { timelineWindowSql } from '../clients/client-data.ts';
import { notes } from './notes.schema.ts';

export type NoteRow = typeof notes.$inferSelect;

export interface NoteFilter {
  type?: string;
  visibility?: string;
  pinned?: boolean;
}

/** Keyset position in the pinned-first, newest-first order. */
export interface NoteCursor {
  pinned: boolean;
  at: string;
  id: string;
}

export async function insertNote(db: DbOrTx, values: typeof notes.$inferInsert): Promise<NoteRow> {
  const [row] = await db.insert(notes).values(values).returning();
  return row!;
}

export async function findNote(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
  id: string,
): Promise<NoteRow | null> {
  const [row] = await db
    .select()
    .from(notes)
    .where(and(eq(notes.workspaceId, workspaceId), eq(notes.clientId, clientId), eq(notes.id, id)));
  return row ?? null;
}

/** Pinned first, then newest first; `limit + 1` rows so the caller knows whether there is a next page. */
export async function listNoteRows(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
  filter: NoteFilter,
  cursor: NoteCursor | null,
  limit: number,
): Promise<NoteRow[]> {
  const where: (SQL | undefined)[] = [eq(notes.workspaceId, workspaceId), eq(notes.clientId, clientId)];
  if (filter.type) where.push(eq(notes.type, filter.type));
  if (filter.visibility) where.push(eq(notes.visibility, filter.visibility));
  if (filter.pinned !== undefined) where.push(eq(notes.pinned, filter.pinned));
  if (cursor) {
    where.push(
      sql`(${notes.pinned}, ${notes.createdAt}, ${notes.id}) < (${cursor.pinned}, ${cursor.at}::timestamptz, ${cursor.id}::uuid)`,
    );
  }
  return db
    .select()
    .from(notes)
    .where(and(...where))
    .orderBy(desc(notes.pinned), desc(notes.createdAt), desc(notes.id))
    .limit(limit + 1);
}

export async function allNoteRows(db: DbOrTx, workspaceId: string, clientId: string): Promise<NoteRow[]> {
  return db
    .select()
    .from(notes)
    .where(and(eq(notes.workspaceId, workspaceId), eq(notes.clientId, clientId)))
    .orderBy(desc(notes.createdAt), desc(notes.id));
}

export async function updateNoteRow(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  patch: Partial<Pick<NoteRow, 'body' | 'type' | 'visibility' | 'pinned'>>,
): Promise<NoteRow> {
  const [row] = await db
    .update(notes)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(notes.workspaceId, workspaceId), eq(notes.id, id)))
    .returning();
  return row!;
}

export async function deleteNoteRow(db: DbOrTx, workspaceId: string, id: string): Promise<void> {
  await db.delete(notes).where(and(eq(notes.workspaceId, workspaceId), eq(notes.id, id)));
}

export async function moveNoteRows(
  db: DbOrTx,
  workspaceId: string,
  fromClientId: string,
  toClientId: string,
) {
  await db
    .update(notes)
    .set({ clientId: toClientId })
    .where(and(eq(notes.workspaceId, workspaceId), eq(notes.clientId, fromClientId)));
}

export async function deleteNoteRowsOfClient(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
): Promise<number> {
  const deleted = await db
    .delete(notes)
    .where(and(eq(notes.workspaceId, workspaceId), eq(notes.clientId, clientId)))
    .returning({ id: notes.id });
  return deleted.length;
}

/** Timeline slice: newest first, strictly older than `before` (created_at, id), within [from, to]. */
export async function timelineNoteRows(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
  window: {
    before: { at: string; id: string } | null;
    from: string | null;
    to: string | null;
    limit: number;
  },
): Promise<NoteRow[]> {
  const where: (SQL | undefined)[] = [eq(notes.workspaceId, workspaceId), eq(notes.clientId, clientId)];
  where.push(...timelineWindowSql(notes.createdAt, notes.id, window));
  return db
    .select()
    .from(notes)
    .where(and(...where))
    .orderBy(desc(notes.createdAt), desc(notes.id))
    .limit(window.limit);
}

/** Many notes at once (demo data, imports), in chunks of 1,000. */
export async function insertNotes(db: DbOrTx, rows: (typeof notes.$inferInsert)[]): Promise<number> {
  for (let start = 0; start < rows.length; start += 1000)
    await db.insert(notes).values(rows.slice(start, start + 1000));
  return rows.length;
}
