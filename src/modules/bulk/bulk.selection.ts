import { type SQL, sql } from 'drizzle-orm';
import type { WorkspaceContext } from '../../platform/auth/context.ts';
import type { DbOrTx } from '../../platform/db/db.ts';
import { AppError } from '../../platform/errors.ts';
import { type ClientFilterQuery, clientFilterWhere } from '../clients/clients.list.ts';
import { memberIdsSql } from '../segments/segment-sql.ts';
import {
  checkDefinition,
  compileAudience,
  compileFor,
  getSegment,
  markSegmentUsed,
  segmentEnvironment,
} from '../segments/segments.service.ts';

/**
 * Who a bulk action touches, as asked: the rows ticked in the list, a saved segment, a segment
 * tree, or the client list's search and filters (the "all N matching" of the list). It is
 * re-evaluated each time it is counted and when the action runs, never trusted from the browser.
 */
export type Selection =
  | { client_ids: string[] }
  | { segment_id: string }
  | { definition: unknown }
  | { query: ClientFilterQuery };

export const MAX_SELECTED_IDS = 100_000;

/**
 * Among which clients: `active` (live, not archived: every action but these), `archived` (a
 * restore), `any` (a delete: ticked rows of the active or the Archived view). It changes what
 * ticked ids match; a query selection has its own `status`, forced to archived for a restore.
 */
export type SelectionScope = 'active' | 'archived' | 'any';

function kindsGiven(selection: Record<string, unknown>) {
  return ['client_ids', 'segment_id', 'definition', 'query'].filter((k) => selection[k] !== undefined);
}

/** Exactly one kind, or a 400 naming /selection. */
export function checkSelectionShape(selection: Record<string, unknown>): Selection {
  const kinds = kindsGiven(selection);
  if (kinds.length !== 1)
    throw AppError.validation([
      { path: '/selection', message: 'give exactly one of client_ids, segment_id, definition, query' },
    ]);
  return selection as Selection;
}

/**
 * `select client_id …` of the selection's live clients in the caller's workspace. A tree is read
 * with the caller's role (custom fields hidden from them are unknown to it); client ids of another
 * workspace simply match nobody.
 */
export async function selectionIdsSql(
  db: DbOrTx,
  ctx: WorkspaceContext,
  selection: Selection,
  scope: SelectionScope = 'active',
): Promise<SQL> {
  if ('client_ids' in selection && scope !== 'active')
    return sql`select c.id as client_id from clients c where c.workspace_id = ${ctx.workspaceId}
      and c.erased_at is null ${scope === 'archived' ? sql`and c.archived_at is not null` : sql``}
      and c.id = any(${sql.param(selection.client_ids)}::uuid[])`;
  if ('client_ids' in selection)
    return memberIdsSql(await compileAudience(db, ctx.workspaceId, { client_ids: selection.client_ids }));
  if ('segment_id' in selection)
    return memberIdsSql(await compileAudience(db, ctx.workspaceId, { segment_id: selection.segment_id }));
  if ('definition' in selection) {
    const env = await segmentEnvironment(db, ctx);
    try {
      return memberIdsSql(compileFor(env, checkDefinition(env, selection.definition)));
    } catch (error) {
      if (error instanceof AppError)
        throw new AppError(
          error.code,
          error.message,
          error.details.map((d) => ({ ...d, path: `/selection/definition${d.path}` })),
        );
      throw error;
    }
  }
  let where: SQL;
  try {
    const query = selection.query ?? {};
    where = await clientFilterWhere(db, ctx, scope === 'archived' ? { ...query, status: 'archived' } : query);
  } catch (error) {
    if (error instanceof AppError)
      throw new AppError(
        error.code,
        error.message,
        error.details.map((d) => ({ ...d, path: d.path.replace(/^\/query/, '/selection/query') })),
      );
    throw error;
  }
  return sql`select clients.id as client_id from clients where ${where}`;
}

export async function countSelection(
  db: DbOrTx,
  ctx: WorkspaceContext,
  selection: Selection,
  scope: SelectionScope = 'active',
) {
  const result = await db.execute<{ n: number }>(
    sql`select count(*)::int as n from (${await selectionIdsSql(db, ctx, selection, scope)}) s`,
  );
  return Number(result.rows[0]?.n ?? 0);
}

/** A few members, for the dialog's message preview ("as Ana will see it"). */
export async function sampleSelection(
  db: DbOrTx,
  ctx: WorkspaceContext,
  selection: Selection,
  limit: number,
  scope: SelectionScope = 'active',
) {
  const result = await db.execute<{ client_id: string }>(
    sql`select s.client_id from (${await selectionIdsSql(db, ctx, selection, scope)}) s limit ${limit}`,
  );
  return result.rows.map((r) => r.client_id);
}

/** The ids, in id order (the chunks of a run walk them in that order). */
export async function selectionIds(
  db: DbOrTx,
  ctx: WorkspaceContext,
  selection: Selection,
  scope: SelectionScope = 'active',
): Promise<string[]> {
  const result = await db.execute<{ client_id: string }>(
    sql`select s.client_id from (${await selectionIdsSql(db, ctx, selection, scope)}) s order by s.client_id`,
  );
  return result.rows.map((r) => r.client_id);
}

/** What the audit log keeps of a selection: as asked, plus a saved segment's tree at that moment. */
export async function describeSelection(db: DbOrTx, ctx: WorkspaceContext, selection: Selection) {
  if ('segment_id' in selection) {
    const segment = await getSegment(db, ctx, selection.segment_id);
    await markSegmentUsed(db, ctx.workspaceId, selection.segment_id, { field: '/selection/segment_id' });
    return { ...selection, segment_name: segment.name, definition: segment.definition };
  }
  if ('client_ids' in selection && selection.client_ids.length > 1000)
    return { client_ids_count: selection.client_ids.length, client_ids: selection.client_ids.slice(0, 1000) };
  return selection;
}
