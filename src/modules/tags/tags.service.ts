import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { WorkspaceContext } from '../../platform/auth/context.ts';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { preparedStatement } from '../../platform/db/prepared.ts';
import { AppError, type ErrorDetail, pgErrorCode } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { diff, recordAudit } from '../audit/audit.service.ts';
import { clientTags, tags } from './tags.schema.ts';

export type Tag = typeof tags.$inferSelect;

export const TAG_COLORS = [
  'gray',
  'red',
  'pink',
  'grape',
  'violet',
  'indigo',
  'blue',
  'cyan',
  'teal',
  'green',
  'lime',
  'yellow',
  'orange',
] as const;

export function tagKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

export function validateTagName(name: unknown, path: string): ErrorDetail | null {
  if (typeof name !== 'string' || !name.trim()) return { path, message: 'a tag name must not be empty' };
  if (name.trim().length > 64) return { path, message: 'a tag name has at most 64 characters' };
  return null;
}

function toTagJson(tag: Tag, memberCount?: number) {
  return {
    id: tag.id,
    name: tag.name,
    color: tag.color,
    description: tag.description,
    ...(memberCount !== undefined ? { member_count: memberCount } : {}),
    created_at: iso(tag.createdAt),
    updated_at: iso(tag.updatedAt),
  };
}

/** Finds tags by name (case-insensitive), creating the unknown ones; returns them in input order. */
export async function ensureTags(db: DbOrTx, workspaceId: string, names: string[]): Promise<Tag[]> {
  const wanted = new Map<string, string>();
  for (const name of names)
    if (!wanted.has(tagKey(name))) wanted.set(tagKey(name), name.trim().replace(/\s+/g, ' '));
  if (!wanted.size) return [];
  await db
    .insert(tags)
    .values([...wanted].map(([nameKey, name]) => ({ workspaceId, name, nameKey })))
    .onConflictDoNothing();
  const rows = await db
    .select()
    .from(tags)
    .where(and(eq(tags.workspaceId, workspaceId), inArray(tags.nameKey, [...wanted.keys()])));
  const byKey = new Map(rows.map((r) => [r.nameKey, r]));
  return [...wanted.keys()].map((k) => byKey.get(k)!);
}

export async function tagNamesOfClients(
  db: DbOrTx,
  workspaceId: string,
  clientIds: string[],
): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(clientIds.map((id) => [id, []]));
  if (!clientIds.length) return result;
  const rows = await readTagNamesOfClients(db, { workspaceId, clientIds });
  for (const row of rows) result.get(row.client_id)?.push(row.name);
  return result;
}

/** Every list of clients (a page, a segment's preview) reads their tags: one prepared statement. */
const readTagNamesOfClients = preparedStatement<
  { workspaceId: string; clientIds: string[] },
  { client_id: string; name: string }
>(
  'tags.names_of_clients',
  () => sql`select ct.client_id, t.name from client_tags ct join tags t on t.id = ct.tag_id
    where ct.workspace_id = ${sql.placeholder('workspaceId')}::uuid
      and ct.client_id = any(${sql.placeholder('clientIds')}::uuid[])
    order by t.name_key`,
);

/** Adds tags to a client; returns the names actually added (already present ones are skipped). */
export async function addClientTags(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
  names: string[],
): Promise<string[]> {
  const found = await ensureTags(db, workspaceId, names);
  if (!found.length) return [];
  const inserted = await db
    .insert(clientTags)
    .values(found.map((t) => ({ clientId, tagId: t.id, workspaceId })))
    .onConflictDoNothing()
    .returning({ tagId: clientTags.tagId });
  const ids = new Set(inserted.map((r) => r.tagId));
  return found.filter((t) => ids.has(t.id)).map((t) => t.name);
}

export async function removeClientTags(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
  names: string[],
): Promise<string[]> {
  const keys = names.map(tagKey);
  if (!keys.length) return [];
  const removed = await db.execute<{ name: string }>(sql`
    delete from client_tags ct using tags t
    where ct.tag_id = t.id and ct.client_id = ${clientId} and ct.workspace_id = ${workspaceId}
      and t.name_key in (${sql.join(
        keys.map((k) => sql`${k}`),
        sql`, `,
      )})
    returning t.name`);
  return removed.rows.map((r) => r.name);
}

/** Merge: the other client's tags become this client's. */
export async function moveClientTags(
  db: DbOrTx,
  workspaceId: string,
  fromClientId: string,
  toClientId: string,
) {
  await db.execute(sql`
    insert into client_tags (client_id, tag_id, workspace_id, created_at)
    select ${toClientId}, tag_id, workspace_id, created_at from client_tags
    where client_id = ${fromClientId} and workspace_id = ${workspaceId}
    on conflict do nothing`);
  await db.execute(
    sql`delete from client_tags where client_id = ${fromClientId} and workspace_id = ${workspaceId}`,
  );
}

export async function clearClientTags(db: DbOrTx, workspaceId: string, clientId: string) {
  await db
    .delete(clientTags)
    .where(and(eq(clientTags.workspaceId, workspaceId), eq(clientTags.clientId, clientId)));
}

export async function listTags(db: DbOrTx, workspaceId: string) {
  const rows = await db
    .select({
      tag: tags,
      memberCount: sql<number>`(select count(*)::int from client_tags ct where ct.tag_id = ${tags.id})`,
    })
    .from(tags)
    .where(eq(tags.workspaceId, workspaceId))
    .orderBy(asc(tags.nameKey));
  return rows.map((r) => toTagJson(r.tag, r.memberCount));
}

async function findTag(db: DbOrTx, workspaceId: string, id: string): Promise<Tag> {
  const [row] = await db
    .select()
    .from(tags)
    .where(and(eq(tags.workspaceId, workspaceId), eq(tags.id, id)));
  if (!row) throw AppError.notFound('Tag');
  return row;
}

export interface TagInput {
  name?: string;
  color?: string;
  description?: string | null;
}

function validateTag(input: TagInput, creating: boolean): Partial<Tag> {
  const problems: ErrorDetail[] = [];
  const out: Partial<Tag> = {};
  if (input.name !== undefined || creating) {
    const problem = validateTagName(input.name, '/name');
    if (problem) problems.push(problem);
    else {
      out.name = input.name!.trim().replace(/\s+/g, ' ');
      out.nameKey = tagKey(input.name!);
    }
  }
  if (input.color !== undefined) {
    if (!(TAG_COLORS as readonly string[]).includes(input.color))
      problems.push({ path: '/color', message: `must be one of ${TAG_COLORS.join(', ')}` });
    out.color = input.color;
  }
  if (input.description !== undefined) out.description = input.description?.trim() || null;
  if (problems.length) throw AppError.validation(problems);
  return out;
}

function duplicateName(error: unknown, name: string | undefined): never {
  if (pgErrorCode(error) === '23505')
    throw new AppError('CONFLICT', `A tag named "${name}" already exists`, [
      { path: '/name', message: 'already used' },
    ]);
  throw error;
}

const TAG_FIELDS = ['name', 'color', 'description'] as const;

export async function createTag(db: Database, ctx: WorkspaceContext, input: TagInput) {
  const values = validateTag(input, true);
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(tags)
      .values({ ...values, workspaceId: ctx.workspaceId } as typeof tags.$inferInsert)
      .returning()
      .catch((e) => duplicateName(e, values.name));
    await recordAudit(tx, ctx, {
      action: 'tag.created',
      entityType: 'tag',
      entityId: row!.id,
      changes: diff(null, toTagJson(row!), TAG_FIELDS),
    });
    return toTagJson(row!, 0);
  });
}

export async function updateTag(db: Database, ctx: WorkspaceContext, id: string, input: TagInput) {
  const patch = validateTag(input, false);
  return db.transaction(async (tx) => {
    const before = await findTag(tx, ctx.workspaceId, id);
    const [after] = await tx
      .update(tags)
      .set({ ...patch, updatedAt: new Date() })
      .where(eq(tags.id, id))
      .returning()
      .catch((e) => duplicateName(e, patch.name));
    const changes = diff(toTagJson(before), toTagJson(after!), TAG_FIELDS);
    if (Object.keys(changes).length)
      await recordAudit(tx, ctx, { action: 'tag.updated', entityType: 'tag', entityId: id, changes });
    return toTagJson(after!);
  });
}

/** Deleting a tag removes it from every client (audited with the count). */
export async function deleteTag(db: Database, ctx: WorkspaceContext, id: string) {
  await db.transaction(async (tx) => {
    const tag = await findTag(tx, ctx.workspaceId, id);
    const removed = await tx
      .delete(clientTags)
      .where(eq(clientTags.tagId, id))
      .returning({ c: clientTags.clientId });
    await tx.delete(tags).where(eq(tags.id, id));
    await recordAudit(tx, ctx, {
      action: 'tag.deleted',
      entityType: 'tag',
      entityId: id,
      changes: { name: { before: tag.name, after: null }, clients: { before: removed.length, after: 0 } },
    });
  });
}

export async function getTag(db: DbOrTx, workspaceId: string, id: string) {
  return toTagJson(await findTag(db, workspaceId, id));
}
