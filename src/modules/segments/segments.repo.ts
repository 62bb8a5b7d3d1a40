import { and, asc, desc, eq, inArray, isNotNull, isNull, or, type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { DbOrTx } from '../../platform/db/db.ts';
import type { Cursor } from '../../platform/pagination.ts';
import { type ClientRow, clientRowsFromRaw } from '../clients/clients.repo.ts';
import { type CompiledSegment, countSql, memberIdsSql, pageSql } from './segment-sql.ts';
import { segmentCounts, segmentMembers, segments } from './segments.schema.ts';

export type SegmentRow = typeof segments.$inferSelect;
export type NewSegmentRow = typeof segments.$inferInsert;

export async function insertSegment(db: DbOrTx, values: NewSegmentRow): Promise<SegmentRow> {
  const [row] = await db.insert(segments).values(values).returning();
  return row!;
}

/** Inserts presets; a preset the workspace already has is skipped (unique per workspace). */
export async function insertPresetRows(db: DbOrTx, values: NewSegmentRow[]): Promise<SegmentRow[]> {
  if (!values.length) return [];
  return db
    .insert(segments)
    .values(values)
    .onConflictDoNothing({
      target: [segments.workspaceId, segments.preset],
      where: sql`${segments.preset} is not null`,
    })
    .returning();
}

export async function hasPresets(db: DbOrTx, workspaceId: string): Promise<boolean> {
  const rows = await db
    .select({ id: segments.id })
    .from(segments)
    .where(and(eq(segments.workspaceId, workspaceId), sql`${segments.preset} is not null`))
    .limit(1);
  return rows.length > 0;
}

export async function findSegment(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  lock = false,
): Promise<SegmentRow | null> {
  const query = db
    .select()
    .from(segments)
    .where(and(eq(segments.workspaceId, workspaceId), eq(segments.id, id)));
  const [row] = lock ? await query.for('update') : await query;
  return row ?? null;
}

/** Lower-case, without accents: "Vacía" and "vacia" read alike (the clients search folds the same way). */
const folded = (column: SQL | AnyPgColumn) =>
  sql`regexp_replace(normalize(lower(${column}), NFD), ${'[\u0300-\u036f]'}, '', 'g')`;

/** Every word (already folded) in the name or the description. */
function searchWords(words: string[]): SQL | undefined {
  if (!words.length) return undefined;
  return and(
    ...words.map((word) => {
      const pattern = `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      return or(
        sql`${folded(segments.name)} like ${pattern}`,
        sql`${folded(sql`coalesce(${segments.description}, '')`)} like ${pattern}`,
      );
    }),
  );
}

export async function listSegmentRows(
  db: DbOrTx,
  workspaceId: string,
  options: {
    /** live: not archived (the default list); archived: archived only; all: both. */
    status: 'live' | 'archived' | 'all';
    /** Folded words that must each appear in the name or description. */
    words?: string[];
    after: Cursor | null;
    limit: number;
  },
): Promise<SegmentRow[]> {
  return db
    .select()
    .from(segments)
    .where(
      and(
        eq(segments.workspaceId, workspaceId),
        options.status === 'live'
          ? isNull(segments.archivedAt)
          : options.status === 'archived'
            ? isNotNull(segments.archivedAt)
            : undefined,
        searchWords(options.words ?? []),
        options.after
          ? sql`(${segments.createdAt}, ${segments.id}) < (${options.after.at}::timestamptz, ${options.after.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(segments.createdAt), desc(segments.id))
    .limit(options.limit);
}

/** Every live segment of a workspace (the count job). */
export async function listActiveSegmentRows(db: DbOrTx, workspaceId: string): Promise<SegmentRow[]> {
  return db
    .select()
    .from(segments)
    .where(and(eq(segments.workspaceId, workspaceId), isNull(segments.archivedAt)))
    .orderBy(asc(segments.createdAt), asc(segments.id));
}

export async function updateSegmentRow(
  db: DbOrTx,
  id: string,
  values: Partial<NewSegmentRow>,
  touch = true,
): Promise<SegmentRow> {
  const [row] = await db
    .update(segments)
    .set(touch ? { ...values, updatedAt: new Date() } : values)
    .where(eq(segments.id, id))
    .returning();
  return row!;
}

export async function recordCount(
  db: DbOrTx,
  workspaceId: string,
  segmentId: string,
  count: number,
  at: Date,
  history: boolean,
): Promise<void> {
  await db
    .update(segments)
    .set({ lastCount: count, lastCountedAt: at })
    .where(and(eq(segments.workspaceId, workspaceId), eq(segments.id, segmentId)));
  if (history)
    await db
      .insert(segmentCounts)
      .values({ segmentId, workspaceId, countedAt: at, count })
      .onConflictDoNothing();
}

export async function countHistory(db: DbOrTx, workspaceId: string, segmentId: string, since: Date) {
  return db
    .select({ at: segmentCounts.countedAt, count: segmentCounts.count })
    .from(segmentCounts)
    .where(
      and(
        eq(segmentCounts.workspaceId, workspaceId),
        eq(segmentCounts.segmentId, segmentId),
        sql`${segmentCounts.countedAt} >= ${since.toISOString()}::timestamptz`,
      ),
    )
    .orderBy(asc(segmentCounts.countedAt));
}

export async function pruneCountHistory(db: DbOrTx, workspaceId: string, before: Date): Promise<void> {
  await db
    .delete(segmentCounts)
    .where(
      and(
        eq(segmentCounts.workspaceId, workspaceId),
        sql`${segmentCounts.countedAt} < ${before.toISOString()}::timestamptz`,
      ),
    );
}

/**
 * Notes a use and takes the segment's row lock (held to the caller's commit). Answers the row as it
 * stands once the lock is had: an archive that committed while this waited shows in `archivedAt`.
 */
export async function markUsed(
  db: DbOrTx,
  workspaceId: string,
  segmentId: string,
  at: Date,
): Promise<Pick<SegmentRow, 'name' | 'archivedAt'> | null> {
  const [row] = await db
    .update(segments)
    .set({ lastUsedAt: at })
    .where(and(eq(segments.workspaceId, workspaceId), eq(segments.id, segmentId)))
    .returning({ name: segments.name, archivedAt: segments.archivedAt });
  return row ?? null;
}

// ---- members of static segments ----------------------------------------------------------------

/** INSERT … SELECT of a compiled segment's members: set-based whatever their number. */
export async function insertMembersFrom(
  db: DbOrTx,
  workspaceId: string,
  segmentId: string,
  source: CompiledSegment,
): Promise<number> {
  const result = await db.execute(sql`
    insert into segment_members (segment_id, client_id, workspace_id)
    select ${segmentId}::uuid, m.client_id, ${workspaceId}::uuid from (${memberIdsSql(source)}) m
    on conflict do nothing`);
  return result.rowCount ?? 0;
}

export async function insertMemberIds(
  db: DbOrTx,
  workspaceId: string,
  segmentId: string,
  clientIds: string[],
): Promise<number> {
  if (!clientIds.length) return 0;
  const result = await db.execute(sql`
    insert into segment_members (segment_id, client_id, workspace_id)
    select ${segmentId}::uuid, c.id, ${workspaceId}::uuid from clients c
    where c.workspace_id = ${workspaceId} and c.erased_at is null and c.id = any(${sql.param(clientIds)}::uuid[])
    on conflict do nothing`);
  return result.rowCount ?? 0;
}

export async function deleteMemberIds(
  db: DbOrTx,
  workspaceId: string,
  segmentId: string,
  clientIds: string[],
): Promise<number> {
  if (!clientIds.length) return 0;
  const deleted = await db
    .delete(segmentMembers)
    .where(
      and(
        eq(segmentMembers.workspaceId, workspaceId),
        eq(segmentMembers.segmentId, segmentId),
        inArray(segmentMembers.clientId, clientIds),
      ),
    )
    .returning({ id: segmentMembers.clientId });
  return deleted.length;
}

/** The ids among these that are live clients of the workspace. */
export async function liveClientIds(db: DbOrTx, workspaceId: string, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const rows = await db.execute<{ id: string }>(sql`
    select id from clients where workspace_id = ${workspaceId} and erased_at is null
      and id = any(${sql.param(ids)}::uuid[])`);
  return new Set(rows.rows.map((r) => r.id));
}

// ---- evaluation ----------------------------------------------------------------------------------

export async function countMembers(db: DbOrTx, segment: CompiledSegment): Promise<number> {
  const result = await db.execute<{ n: number }>(countSql(segment));
  return Number(result.rows[0]?.n ?? 0);
}

/**
 * A page of members as client rows (newest first), `limit + 1` of them to know if there is more:
 * the rows in the page query itself (reading ids first and the rows again by id cost ~0.5 ms more
 * per page, a third of a page's time; bench/segments.ts diagnostics).
 */
export async function memberPage(
  db: DbOrTx,
  segment: CompiledSegment,
  limit: number,
  after: Cursor | null,
): Promise<ClientRow[]> {
  const result = await db.execute<Record<string, unknown>>(pageSql(segment, limit, after, sql`c.*`));
  return clientRowsFromRaw(result.rows);
}

/** Every member id (tests, small segments); other modules INSERT … SELECT from memberIdsSql instead. */
export async function memberIds(db: DbOrTx, segment: CompiledSegment): Promise<string[]> {
  const result = await db.execute<{ client_id: string }>(memberIdsSql(segment));
  return result.rows.map((r) => r.client_id);
}

export async function ltvPercentile(db: DbOrTx, workspaceId: string, fraction: number): Promise<number> {
  const result = await db.execute<{ p: number | null }>(sql`
    select percentile_disc(${fraction}::float8) within group (order by lifetime_value) as p
    from clients where workspace_id = ${workspaceId} and erased_at is null and archived_at is null`);
  return Number(result.rows[0]?.p ?? 0);
}

/** The first day of the current month in a time zone, YYYY-MM-DD. */
export async function monthStart(db: DbOrTx, timezone: string, now: Date): Promise<string> {
  const result = await db.execute<{ d: string }>(
    sql`select to_char(${now.toISOString()}::timestamptz at time zone ${timezone}, 'YYYY-MM-01') as d`,
  );
  return result.rows[0]!.d;
}
