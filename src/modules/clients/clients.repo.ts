import { and, asc, eq, getTableColumns, inArray, isNull, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';
import type { DbOrTx } from '../../platform/db/db.ts';
import { timelineWindowSql } from './client-data.ts';
import { clientHistory, clientLabels, clients } from './clients.schema.ts';

export type ClientRow = typeof clients.$inferSelect;
export type ClientValues = Partial<typeof clients.$inferInsert>;
export type ClientLabel = typeof clientLabels.$inferSelect;

/** Each column of the table with the name a raw `select c.*` gives it (the database is snake_case). */
const CLIENT_COLUMNS = Object.entries(getTableColumns(clients)).map(([key, column]) => ({
  key,
  column,
  name: column.keyAsName ? toSnakeCase(key) : column.name,
}));

/**
 * Rows of a raw `select c.* from clients c …`, mapped as a Drizzle select of the table maps them.
 * For queries Drizzle cannot build (a compiled segment's FROM with its joins): one query instead of
 * selecting ids and reading the rows again by id.
 */
export function clientRowsFromRaw(rows: Array<Record<string, unknown>>): ClientRow[] {
  return rows.map((raw) => {
    const row: Record<string, unknown> = {};
    for (const { key, column, name } of CLIENT_COLUMNS) {
      const value = raw[name];
      row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return row as ClientRow;
  });
}

export async function insertClient(db: DbOrTx, values: typeof clients.$inferInsert): Promise<ClientRow> {
  const [row] = await db.insert(clients).values(values).returning();
  return row!;
}

export async function findClient(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  lock = false,
): Promise<ClientRow | null> {
  const query = db
    .select()
    .from(clients)
    .where(and(eq(clients.workspaceId, workspaceId), eq(clients.id, id), isNull(clients.erasedAt)));
  const [row] = lock ? await query.for('update') : await query;
  return row ?? null;
}

export async function findClientsByIds(db: DbOrTx, workspaceId: string, ids: string[]): Promise<ClientRow[]> {
  if (!ids.length) return [];
  return db
    .select()
    .from(clients)
    .where(and(eq(clients.workspaceId, workspaceId), inArray(clients.id, ids), isNull(clients.erasedAt)));
}

export async function findClientByExternalId(
  db: DbOrTx,
  workspaceId: string,
  externalId: string,
  lock = false,
) {
  const query = db
    .select()
    .from(clients)
    .where(
      and(eq(clients.workspaceId, workspaceId), eq(clients.externalId, externalId), isNull(clients.erasedAt)),
    );
  const [row] = lock ? await query.for('update') : await query;
  return row ?? null;
}

/** Another live client holding this email or phone (the duplicate check of create). */
export async function findClientWithContact(
  db: DbOrTx,
  workspaceId: string,
  contact: { email: string | null; phone: string | null },
  exceptId: string | null,
): Promise<{ id: string; field: 'email' | 'phone'; archived: boolean } | null> {
  const conditions: SQL[] = [];
  if (contact.email) conditions.push(sql`${clients.email} = ${contact.email}`);
  if (contact.phone) conditions.push(sql`${clients.phone} = ${contact.phone}`);
  if (!conditions.length) return null;
  const [row] = await db
    .select({ id: clients.id, email: clients.email, archivedAt: clients.archivedAt })
    .from(clients)
    .where(
      and(
        eq(clients.workspaceId, workspaceId),
        isNull(clients.erasedAt),
        exceptId ? sql`${clients.id} <> ${exceptId}` : undefined,
        sql`(${sql.join(conditions, sql` or `)})`,
      ),
    )
    // An archived holder first: it is the one a caller allowing duplicates must still be told about.
    .orderBy(sql`${clients.archivedAt} is null`)
    .limit(1);
  if (!row) return null;
  return {
    id: row.id,
    field: contact.email && row.email === contact.email ? 'email' : 'phone',
    archived: row.archivedAt !== null,
  };
}

export async function updateClientRow(db: DbOrTx, id: string, values: ClientValues): Promise<ClientRow> {
  const [row] = await db
    .update(clients)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(clients.id, id))
    .returning();
  return row!;
}

/**
 * Whether the workspace has archived clients (not erased), as a boolean expression: one probe of
 * `clients_archived_id_index`.
 */
export function anyArchivedClientSql(workspaceId: SQLWrapper): SQL {
  return sql`exists (select 1 from clients where workspace_id = ${workspaceId} and archived_at is not null)`;
}

/** The workspace's label keys in listing order, as one json array (a scalar subquery). */
export function labelKeysJsonSql(workspaceId: SQLWrapper): SQL {
  return sql`(select coalesce(json_agg(l.key order by l.position, l.key), '[]'::json)
    from client_labels l where l.workspace_id = ${workspaceId})`;
}

/**
 * Moves each client's `last_contacted_at` forward to the time of a message they were sent, never
 * back (a later import or an older campaign finishing late cannot make a client look less recently
 * contacted). `contacts` is a subquery of `(client_id, at)` rows, one or more per client, from the
 * module that sent the messages. Erased clients are left alone. `updated_at` is not touched: a
 * message sent is not an edit of the client.
 */
export async function advanceLastContacted(db: DbOrTx, workspaceId: string, contacts: SQL): Promise<number> {
  const result = await db.execute(sql`
    update clients c set last_contacted_at = x.at
    from (select s.client_id, max(s.at) as at from (${contacts}) s group by s.client_id) x
    where c.workspace_id = ${workspaceId} and c.id = x.client_id and c.erased_at is null
      and (c.last_contacted_at is null or c.last_contacted_at < x.at)`);
  return result.rowCount ?? 0;
}

export async function deleteClientRow(db: DbOrTx, workspaceId: string, id: string): Promise<void> {
  await db.delete(clients).where(and(eq(clients.workspaceId, workspaceId), eq(clients.id, id)));
}

/**
 * Counts matching clients up to `cap` (+1 to know there are more): a search matching 70,000 of a
 * million clients must not read them all just to print a number.
 */
/** Counts matches up to cap + 1 (so callers can say "more than cap"), or all of them with null. */
export async function countClients(db: DbOrTx, where: SQL, cap: number | null): Promise<number> {
  const result = await db.execute<{ n: number }>(
    cap === null
      ? sql`select count(*)::int as n from clients where ${where}`
      : sql`select count(*)::int as n from (select 1 from clients where ${where} limit ${cap + 1}) matched`,
  );
  return result.rows[0]?.n ?? 0;
}

/** A page of clients, each with its sort key as text (the next cursor is made from the last one). */
export async function selectClientPage(
  db: DbOrTx,
  where: SQL,
  orderBy: SQL,
  sortKey: SQL,
  limit: number,
): Promise<Array<ClientRow & { sortKey: string }>> {
  return db
    .select({ ...getTableColumns(clients), sortKey: sql<string>`(${sortKey})::text` })
    .from(clients)
    .where(where)
    .orderBy(orderBy)
    .limit(limit);
}

export async function duplicateGroups(db: DbOrTx, workspaceId: string, limit: number) {
  const result = await db.execute<{ reason: string; value: string; ids: string[] }>(sql`
    (select 'email' as reason, email as value, array_agg(id order by created_at) as ids
       from clients where workspace_id = ${workspaceId} and erased_at is null and email is not null
       group by email having count(*) > 1)
    union all
    (select 'phone', phone, array_agg(id order by created_at)
       from clients where workspace_id = ${workspaceId} and erased_at is null and phone is not null
       group by phone having count(*) > 1)
    union all
    (select 'name_birthday', lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) || ' ' || birthday,
            array_agg(id order by created_at)
       from clients where workspace_id = ${workspaceId} and erased_at is null and birthday is not null
         and coalesce(first_name, last_name) is not null
       group by lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '')), birthday having count(*) > 1)
    limit ${limit}`);
  return result.rows;
}

export async function listLabelRows(db: DbOrTx, workspaceId: string): Promise<ClientLabel[]> {
  return db
    .select()
    .from(clientLabels)
    .where(eq(clientLabels.workspaceId, workspaceId))
    .orderBy(asc(clientLabels.position), asc(clientLabels.key));
}

export async function insertHistory(db: DbOrTx, values: typeof clientHistory.$inferInsert): Promise<void> {
  await db.insert(clientHistory).values(values);
}

export async function insertHistoryRows(db: DbOrTx, rows: Array<typeof clientHistory.$inferInsert>) {
  if (rows.length) await db.insert(clientHistory).values(rows);
}

export async function moveHistory(
  db: DbOrTx,
  workspaceId: string,
  fromId: string,
  toId: string,
): Promise<void> {
  await db
    .update(clientHistory)
    .set({ clientId: toId })
    .where(and(eq(clientHistory.workspaceId, workspaceId), eq(clientHistory.clientId, fromId)));
}

export async function deleteHistory(db: DbOrTx, workspaceId: string, clientId: string): Promise<void> {
  await db
    .delete(clientHistory)
    .where(and(eq(clientHistory.workspaceId, workspaceId), eq(clientHistory.clientId, clientId)));
}

export async function historyPage(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
  window: {
    before: { at: string; id: string } | null;
    from: string | null;
    to: string | null;
    limit: number;
  },
) {
  return db
    .select()
    .from(clientHistory)
    .where(
      and(
        eq(clientHistory.workspaceId, workspaceId),
        eq(clientHistory.clientId, clientId),
        ...timelineWindowSql(clientHistory.occurredAt, clientHistory.id, window),
      ),
    )
    .orderBy(sql`${clientHistory.occurredAt} desc, ${clientHistory.id} desc`)
    .limit(window.limit);
}

/** Every live client holding this email or phone (provider feedback applies to all of them). */
export async function listClientIdsWithContact(
  db: DbOrTx,
  workspaceId: string,
  contact: { email?: string | null; phone?: string | null },
): Promise<string[]> {
  const conditions: SQL[] = [];
  if (contact.email) conditions.push(sql`${clients.email} = ${contact.email}`);
  if (contact.phone) conditions.push(sql`${clients.phone} = ${contact.phone}`);
  if (!conditions.length) return [];
  const rows = await db
    .select({ id: clients.id })
    .from(clients)
    .where(
      and(
        eq(clients.workspaceId, workspaceId),
        isNull(clients.erasedAt),
        sql`(${sql.join(conditions, sql` or `)})`,
      ),
    )
    .orderBy(asc(clients.createdAt));
  return rows.map((r) => r.id);
}
