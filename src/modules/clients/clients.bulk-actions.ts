import { sql } from 'drizzle-orm';
import type { Actor } from '../../platform/auth/context.ts';
import type { DbOrTx } from '../../platform/db/db.ts';
import { ensureTags, tagKey } from '../tags/tags.service.ts';

/**
 * Set-based writes of the bulk actions (src/modules/bulk): one statement per chunk of client ids,
 * whatever its size, each writing its timeline entries in the same statement. Every statement is
 * limited to the workspace's live clients, so ids of another workspace touch nothing. Callers
 * validate values first; these only write and say how many clients really changed.
 */

interface Ctx {
  workspaceId: string;
  actor: Actor;
}

const ids = (list: readonly string[]) => sql`${`{${list.join(',')}}`}::uuid[]`;

function historyInsert(ctx: Ctx, kind: string, changed: string, data: ReturnType<typeof sql>) {
  return sql`insert into client_history (workspace_id, client_id, kind, actor_type, actor_id, actor_label, data)
    select ${ctx.workspaceId}, ${sql.raw(changed)}.id, ${kind}, ${ctx.actor.type}, ${ctx.actor.id}, ${ctx.actor.label}, ${data}
    from ${sql.raw(changed)}`;
}

async function count(db: DbOrTx, statement: ReturnType<typeof sql>): Promise<number> {
  const result = await db.execute<{ n: number }>(sql`${statement}`);
  return Number(result.rows[0]?.n ?? 0);
}

/** Adds the tags to the clients; returns how many clients got at least one new tag. */
export async function addTagsToClients(db: DbOrTx, ctx: Ctx, clientIds: string[], names: string[]) {
  if (!clientIds.length || !names.length) return 0;
  const tags = await ensureTags(db, ctx.workspaceId, names);
  const tagIds = tags.map((t) => t.id);
  return count(
    db,
    sql`with added as (
        insert into client_tags (client_id, tag_id, workspace_id)
        select c.id, t.id, ${ctx.workspaceId} from clients c cross join unnest(${`{${tagIds.join(',')}}`}::uuid[]) as t(id)
        where c.workspace_id = ${ctx.workspaceId} and c.erased_at is null and c.id = any(${ids(clientIds)})
        on conflict do nothing
        returning client_id, tag_id),
      changed as (
        select a.client_id as id, jsonb_agg(tg.name order by tg.name_key) as names
        from added a join tags tg on tg.id = a.tag_id group by a.client_id),
      history as (${historyInsert(ctx, 'tags', 'changed', sql`jsonb_build_object('added', changed.names, 'removed', '[]'::jsonb)`)})
      select count(*)::int as n from changed`,
  );
}

/** Removes the tags (by name, case-insensitive); returns how many clients lost at least one. */
export async function removeTagsFromClients(db: DbOrTx, ctx: Ctx, clientIds: string[], names: string[]) {
  if (!clientIds.length || !names.length) return 0;
  const keys = [...new Set(names.map(tagKey))];
  return count(
    db,
    sql`with removed as (
        delete from client_tags ct using tags t
        where ct.tag_id = t.id and t.workspace_id = ${ctx.workspaceId} and ct.workspace_id = ${ctx.workspaceId}
          and t.name_key = any(${sql.param(keys)}::text[]) and ct.client_id = any(${ids(clientIds)})
        returning ct.client_id, t.name, t.name_key),
      changed as (
        select r.client_id as id, jsonb_agg(r.name order by r.name_key) as names from removed r group by r.client_id),
      history as (${historyInsert(ctx, 'tags', 'changed', sql`jsonb_build_object('added', '[]'::jsonb, 'removed', changed.names)`)})
      select count(*)::int as n from changed`,
  );
}

/** Columns a bulk action may set, API name → column. */
export const BULK_SETTABLE = {
  label: 'label',
  city: 'city',
  country: 'country',
  locale: 'locale',
  timezone: 'timezone',
  source: 'source',
  location_id: 'location_id',
  preferred_contact_method: 'preferred_contact_method',
  account_manager_id: 'account_manager_id',
} as const;
export type BulkSettable = keyof typeof BULK_SETTABLE;

/** Sets one column to one (already validated) value; returns how many clients had another value. */
export async function setClientColumn(
  db: DbOrTx,
  ctx: Ctx,
  clientIds: string[],
  field: BulkSettable,
  value: string | null,
) {
  if (!clientIds.length) return 0;
  const column = sql.identifier(BULK_SETTABLE[field]);
  const cast = field === 'location_id' || field === 'account_manager_id' ? sql`uuid` : sql`text`;
  return count(
    db,
    sql`with old as (
        select c.id, c.${column}::text as before from clients c
        where c.workspace_id = ${ctx.workspaceId} and c.erased_at is null and c.id = any(${ids(clientIds)})
          and c.${column} is distinct from ${value}::${cast}
        for update),
      changed as (
        update clients c set ${column} = ${value}::${cast}, updated_at = now() from old where c.id = old.id
        returning c.id, old.before),
      history as (${historyInsert(
        ctx,
        'fields',
        'changed',
        sql`jsonb_build_object('changes', jsonb_build_object(${field}::text, jsonb_build_object('before', changed.before, 'after', ${value}::text)))`,
      )})
      select count(*)::int as n from changed`,
  );
}

/** Sets one custom value (already normalized; null removes it); returns how many clients changed. */
export async function setClientCustomValue(
  db: DbOrTx,
  ctx: Ctx,
  clientIds: string[],
  key: string,
  value: unknown,
) {
  if (!clientIds.length) return 0;
  const json = JSON.stringify(value ?? null);
  return count(
    db,
    sql`with old as (
        select c.id, c.custom -> ${key} as before from clients c
        where c.workspace_id = ${ctx.workspaceId} and c.erased_at is null and c.id = any(${ids(clientIds)})
          and coalesce(c.custom -> ${key}, 'null'::jsonb) is distinct from ${json}::jsonb
        for update),
      changed as (
        update clients c set custom = case when ${json}::jsonb = 'null'::jsonb then c.custom - ${key}
            else jsonb_set(c.custom, array[${key}::text], ${json}::jsonb) end, updated_at = now()
        from old where c.id = old.id
        returning c.id, old.before),
      history as (${historyInsert(
        ctx,
        'fields',
        'changed',
        sql`jsonb_build_object('changes', jsonb_build_object(${`custom.${key}`}::text, jsonb_build_object('before', changed.before, 'after', ${json}::jsonb)))`,
      )})
      select count(*)::int as n from changed`,
  );
}

/** Deletes the clients (their data in other modules goes with them by cascade); returns how many. */
export async function deleteClientsByIds(db: DbOrTx, ctx: Ctx, clientIds: string[]) {
  if (!clientIds.length) return 0;
  const result = await db.execute(sql`
    delete from clients where workspace_id = ${ctx.workspaceId} and id = any(${ids(clientIds)})`);
  return result.rowCount ?? 0;
}

/**
 * Archives the clients (kept, out of lists, segments and audiences until restored); returns how
 * many were live and not archived yet. One "archived" timeline entry per client, same statement.
 */
export async function archiveClientsByIds(db: DbOrTx, ctx: Ctx, clientIds: string[]) {
  if (!clientIds.length) return 0;
  return count(
    db,
    sql`with changed as (
        update clients c set archived_at = now(), archived_by = ${ctx.actor.label}, updated_at = now()
        where c.workspace_id = ${ctx.workspaceId} and c.erased_at is null and c.archived_at is null
          and c.id = any(${ids(clientIds)})
        returning c.id),
      history as (${historyInsert(ctx, 'archived', 'changed', sql`'{}'::jsonb`)})
      select count(*)::int as n from changed`,
  );
}

/** Restores archived clients; returns how many were archived. One "unarchived" timeline entry each. */
export async function unarchiveClientsByIds(db: DbOrTx, ctx: Ctx, clientIds: string[]) {
  if (!clientIds.length) return 0;
  return count(
    db,
    sql`with changed as (
        update clients c set archived_at = null, archived_by = null, updated_at = now()
        where c.workspace_id = ${ctx.workspaceId} and c.erased_at is null and c.archived_at is not null
          and c.id = any(${ids(clientIds)})
        returning c.id),
      history as (${historyInsert(ctx, 'unarchived', 'changed', sql`'{}'::jsonb`)})
      select count(*)::int as n from changed`,
  );
}
