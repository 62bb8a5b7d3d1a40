import { type SQL, sql } from 'drizzle-orm';
import { copyQueryOut, copyRowsInto } from '../../platform/db/copy.ts';
import type { DbOrTx, Tx } from '../../platform/db/db.ts';
import { timeOrderedUuid } from '../../platform/db/ids.ts';
import { ensureTags, tagKey } from '../tags/tags.service.ts';
import type { ClientRow, ClientValues } from './clients.repo.ts';
import { searchTextOf } from './clients.service.ts';

/**
 * Set-based client writes for imports: one statement per batch and kind (lookup, insert, update,
 * tag), whatever the batch size. Callers validate and normalize first (imports use the clients
 * service's normalizers); these only write.
 */

/** The columns an import may set, API name → column, in the order of the recordset below. */
export const BULK_COLUMNS = {
  first_name: 'firstName',
  last_name: 'lastName',
  email: 'email',
  phone: 'phone',
  city: 'city',
  country: 'country',
  locale: 'locale',
  timezone: 'timezone',
  source: 'source',
  label: 'label',
  external_id: 'externalId',
  birthday: 'birthday',
} as const satisfies Record<string, keyof ClientRow>;
export type BulkColumn = (typeof BULK_COLUMNS)[keyof typeof BULK_COLUMNS];

const RECORDSET = sql.raw(`
  id uuid, first_name text, last_name text, email text, phone text, city text, country text,
  locale text, timezone text, source text, label text, external_id text, birthday date,
  custom jsonb, search_text text`);

export interface BulkClient {
  values: ClientValues;
  custom: Record<string, unknown>;
  /** `searchTextOf(values)` when the caller already made it (imports make it ahead, off the write path). */
  searchText?: string;
}

function record(id: string, c: BulkClient) {
  const out: Record<string, unknown> = {
    id,
    custom: c.custom,
    search_text: searchTextOf(c.values as ClientRow),
  };
  for (const [name, column] of Object.entries(BULK_COLUMNS)) out[name] = c.values[column] ?? null;
  return out;
}

/** Live clients of the workspace holding any of these external ids, emails or phones. */
export async function findClientsByIdentity(
  db: DbOrTx,
  workspaceId: string,
  keys: { externalIds: string[]; emails: string[]; phones: string[] },
): Promise<ClientRow[]> {
  if (!keys.externalIds.length && !keys.emails.length && !keys.phones.length) return [];
  // One index probe per key (keys sorted: the probes walk each index in order). The `offset 0`
  // keeps each probe a parameterized index scan: as a plain join (or `= any(…)`) of 10,000 keys
  // the planner prices the probes as random reads and scans the workspace's clients instead,
  // which at a million clients cost half a second per batch and kind.
  const probe = (column: string, values: string[]) => sql`
    select m.id from unnest(${sql.param([...values].sort())}::text[]) as k(v),
      lateral (select id from clients where workspace_id = ${workspaceId} and ${sql.raw(column)} = k.v offset 0) m`;
  const rows = await db.execute<Record<string, unknown>>(sql`
    with found as (
      ${probe('external_id', keys.externalIds)}
      union ${probe('email', keys.emails)}
      union ${probe('phone', keys.phones)}
    )
    select c.*, c.birthday::text as birthday from found,
      lateral (select * from clients where id = found.id and workspace_id = ${workspaceId} offset 0) c
    where c.erased_at is null
    order by c.created_at, c.id`);
  return rows.rows.map(toRow);
}

const SNAKE_TO_CAMEL = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function toRow(raw: Record<string, unknown>): ClientRow {
  const row: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) row[SNAKE_TO_CAMEL(k)] = v;
  // Selected as text: a DATE parsed by pg is a local-midnight Date, a day off west of UTC.
  return row as ClientRow;
}

/**
 * Inserts the clients with one COPY (the large-import path: no per-row SQL, no JSON to parse on
 * the server); returns their new ids in input order. Needs a transaction.
 */
export async function copyClientsSet(tx: Tx, workspaceId: string, rows: BulkClient[]): Promise<string[]> {
  if (!rows.length) return [];
  // Time-ordered: a million imported clients append to the id indexes instead of thrashing them.
  const ids = rows.map(() => timeOrderedUuid());
  const columns = Object.values(BULK_COLUMNS);
  // A generator, not a mapped array: each row's COPY line is made as it is sent.
  function* lines() {
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      yield [
        ids[i],
        workspaceId,
        ...columns.map((column) => r.values[column] ?? null),
        r.custom ?? {},
        r.searchText ?? searchTextOf(r.values as ClientRow),
      ];
    }
  }
  await copyRowsInto(
    tx,
    `clients (id, workspace_id, ${Object.keys(BULK_COLUMNS).join(', ')}, custom, search_text)`,
    lines(),
  );
  return ids;
}

/** Writes the given full values (every import column and custom) of existing clients in one statement. */
export async function updateClientsSet(
  db: DbOrTx,
  workspaceId: string,
  rows: Array<BulkClient & { id: string }>,
): Promise<void> {
  if (!rows.length) return;
  const payload = JSON.stringify(rows.map((r) => record(r.id, r)));
  await db.execute(sql`
    update clients c set first_name = s.first_name, last_name = s.last_name, email = s.email,
      phone = s.phone, city = s.city, country = s.country, locale = s.locale, timezone = s.timezone,
      source = s.source, label = s.label, external_id = s.external_id, birthday = s.birthday,
      custom = coalesce(s.custom, '{}'::jsonb), search_text = s.search_text, updated_at = now()
    from jsonb_to_recordset(${payload}::jsonb) as s(${RECORDSET})
    where c.id = s.id and c.workspace_id = ${workspaceId}`);
}

/** Adds tags to many clients at once; returns, per client, the names really added. */
export async function addTagsSet(
  db: DbOrTx,
  workspaceId: string,
  wanted: Array<{ clientId: string; names: string[] }>,
): Promise<Map<string, string[]>> {
  const added = new Map<string, string[]>();
  const all = [...new Set(wanted.flatMap((w) => w.names))];
  if (!all.length) return added;
  const tags = await ensureTags(db, workspaceId, all);
  const byKey = new Map(tags.map((t) => [t.nameKey, t]));
  const byId = new Map(tags.map((t) => [t.id, t.name]));
  const pairs = wanted.flatMap((w) =>
    [...new Set(w.names.map(tagKey))].map((k) => ({ client_id: w.clientId, tag_id: byKey.get(k)!.id })),
  );
  if (!pairs.length) return added;
  const inserted = await db.execute<{ client_id: string; tag_id: string }>(sql`
    insert into client_tags (client_id, tag_id, workspace_id)
    select s.client_id, s.tag_id, ${workspaceId}
    from jsonb_to_recordset(${JSON.stringify(pairs)}::jsonb) as s(client_id uuid, tag_id uuid)
    on conflict do nothing
    returning client_id, tag_id`);
  for (const row of inserted.rows)
    added.set(row.client_id, [...(added.get(row.client_id) ?? []), byId.get(row.tag_id)!]);
  return added;
}

/** Removes the named tags from many clients at once (undo of an import). */
export async function removeTagsSet(
  db: DbOrTx,
  workspaceId: string,
  rows: Array<{ clientId: string; names: string[] }>,
): Promise<void> {
  const pairs = rows.flatMap((r) => r.names.map((n) => ({ client_id: r.clientId, name_key: tagKey(n) })));
  if (!pairs.length) return;
  await db.execute(sql`
    delete from client_tags ct using tags t, jsonb_to_recordset(${JSON.stringify(pairs)}::jsonb)
      as s(client_id uuid, name_key text)
    where ct.tag_id = t.id and t.name_key = s.name_key and ct.client_id = s.client_id
      and ct.workspace_id = ${workspaceId}`);
}

/** Deletes clients by id (undo of an import's creations); returns how many existed. */
export async function deleteClientsSet(db: DbOrTx, workspaceId: string, ids: string[]): Promise<number> {
  if (!ids.length) return 0;
  const result = await db.execute(sql`
    delete from clients where workspace_id = ${workspaceId} and id = any(${sql.param(ids)}::uuid[])`);
  return result.rowCount ?? 0;
}

/** Restores saved column values of clients (undo of an import's updates). */
export async function restoreClientsSet(
  db: DbOrTx,
  workspaceId: string,
  /**
   * `imported`: the values the change wrote (columns, and `custom` by key). When given, a column or
   * custom key is put back only while it still holds that value: an edit made since is kept.
   */
  rows: Array<{ id: string; before: Record<string, unknown>; imported?: Record<string, unknown> | null }>,
): Promise<void> {
  if (!rows.length) return;
  const current = await db.execute<Record<string, unknown>>(sql`
    select *, birthday::text as birthday from clients where workspace_id = ${workspaceId} and erased_at is null
      and id = any(${sql.param(rows.map((r) => r.id))}::uuid[])`);
  const byId = new Map(current.rows.map((r) => [String(r.id), toRow(r)]));
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const restored: Array<BulkClient & { id: string }> = [];
  for (const { id, before, imported } of rows) {
    const row = byId.get(id);
    if (!row) continue;
    const untouchedSince = (column: string, now: unknown) =>
      !imported || !(column in imported) || same(now, imported[column]);
    const values: ClientValues = {};
    for (const column of Object.values(BULK_COLUMNS))
      (values as Record<string, unknown>)[column] =
        column in before && untouchedSince(column, row[column]) ? before[column] : row[column];
    let custom = row.custom;
    if (before.custom) {
      const wrote = imported?.custom as Record<string, unknown> | undefined;
      if (!imported || !wrote) custom = before.custom as Record<string, unknown>;
      else {
        custom = { ...row.custom };
        const old = before.custom as Record<string, unknown>;
        for (const key of new Set([...Object.keys(old), ...Object.keys(wrote)])) {
          if (!same(row.custom?.[key], wrote[key])) continue;
          if (old[key] === undefined) delete custom[key];
          else custom[key] = old[key];
        }
      }
    }
    restored.push({ id, values, custom });
  }
  await updateClientsSet(db, workspaceId, restored);
}

export type ExportedClient = ClientRow & { tags: string[] };

const TIMESTAMP_COLUMNS = new Set<keyof ClientRow>([
  'lastBookingAt',
  'lastActivityAt',
  'lastContactedAt',
  'createdAt',
  'updatedAt',
  'erasedAt',
]);

/**
 * One page of clients matching `where` (conditions on `clients`, workspace included), in id order
 * after `afterId`: exports read the whole selection this way in constant memory. Only the given
 * columns are read, already under their ClientRow names; timestamps come as ISO 8601 text (as
 * `toISOString` writes them: the export writes text, and parsing a million dates is slow). Tag
 * names, when asked, come from one range scan of the page's ids, not one lookup per client.
 */
export async function clientPageForExport(
  db: DbOrTx,
  workspaceId: string,
  where: SQL,
  afterId: string | null,
  limit: number,
  wanted: { columns: Array<keyof ClientRow>; tags: boolean },
): Promise<ExportedClient[]> {
  const columns = [...new Set<keyof ClientRow>(['id', ...wanted.columns])].map((column) => {
    const name = `clients.${column.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
    // A DATE parsed by pg is a local-midnight Date, a day off west of UTC: read as text.
    const value =
      column === 'birthday'
        ? `${name}::text`
        : TIMESTAMP_COLUMNS.has(column)
          ? `to_char(${name} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
          : name;
    return sql.raw(`${value} as "${column}"`);
  });
  const result = await db.execute<Record<string, unknown>>(sql`
    select ${sql.join(columns, sql`, `)}
    from clients
    where ${where} ${afterId ? sql`and clients.id > ${afterId}::uuid` : sql``}
    order by clients.id
    limit ${limit}`);
  const rows = result.rows as unknown as ExportedClient[];
  if (!wanted.tags || !rows.length) return rows;
  const tagged = await db.execute<{ client_id: string; tags: string[] }>(sql`
    select ct.client_id, array_agg(t.name order by t.name_key) as tags
    from client_tags ct join tags t on t.id = ct.tag_id
    where ct.workspace_id = ${workspaceId}
      and ct.client_id >= ${rows[0]!.id}::uuid and ct.client_id <= ${rows[rows.length - 1]!.id}::uuid
    group by ct.client_id`);
  const byClient = new Map(tagged.rows.map((r) => [r.client_id, r.tags]));
  for (const row of rows) row.tags = byClient.get(row.id) ?? [];
  return rows;
}

export async function countClientsWhere(db: DbOrTx, where: SQL): Promise<number> {
  const rows = await db.execute<{ n: number }>(sql`select count(*)::int as n from clients where ${where}`);
  return Number(rows.rows[0]?.n ?? 0);
}

/** Timeline entries of many clients with one COPY (a large import's "imported" entries). Needs a transaction. */
export async function copyHistorySet(
  tx: Tx,
  ctx: { workspaceId: string; actor: { type: string; id: string | null; label: string } },
  rows: Array<{ clientId: string; kind: string; data: Record<string, unknown> }>,
): Promise<void> {
  if (!rows.length) return;
  await copyRowsInto(
    tx,
    'client_history (id, workspace_id, client_id, kind, actor_type, actor_id, actor_label, data)',
    rows.map((r) => [
      timeOrderedUuid(),
      ctx.workspaceId,
      r.clientId,
      r.kind,
      ctx.actor.type,
      ctx.actor.id,
      ctx.actor.label,
      r.data,
    ]),
  );
}

/** One column of a CSV export made by PostgreSQL: a client column, a custom field, or the tag names. */
export type CsvExportColumn =
  | { source: 'column'; column: keyof ClientRow; kind: 'text' | 'number' | 'date' | 'datetime' | 'boolean' }
  | { source: 'custom'; key: string; kind: 'text' | 'number' | 'date' | 'datetime' | 'boolean' | 'list' }
  | { source: 'tags' }
  /** The name of the client's home location. */
  | { source: 'location' };

/** A quoted SQL string literal (keys are validated names; quotes doubled all the same). */
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * Text a spreadsheet would run as a formula gets a leading apostrophe (E.164 phones excepted), as
 * exports do in JS. The first character is compared before any regex: a regex per cell would
 * cost more than the whole COPY.
 */
const inert = (expr: string) =>
  `case when left(${expr}, 1) in ('=', '-', '@', E'\\t', E'\\r') then '''' || ${expr}
    when left(${expr}, 1) = '+' and ${expr} !~ '^[+][0-9]{6,15}$' then '''' || ${expr} else ${expr} end`;

function csvExpression(column: CsvExportColumn): string {
  if (column.source === 'tags') return inert('tg.names');
  if (column.source === 'location')
    return inert(
      '(select l.name from locations l where l.id = c.location_id and l.workspace_id = c.workspace_id)',
    );
  if (column.source === 'custom') {
    const value = `c.custom -> ${literal(column.key)}`;
    const text = `(c.custom ->> ${literal(column.key)})`;
    if (column.kind === 'list')
      return inert(
        `(case jsonb_typeof(${value}) when 'array' then (select string_agg(v, ', ') from jsonb_array_elements_text(${value}) v) else ${text} end)`,
      );
    return inert(text);
  }
  const name = `c.${String(column.column).replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`)}`;
  switch (column.kind) {
    case 'boolean':
      return `case when ${name} then 'true' when not ${name} then 'false' end`;
    case 'date':
      return `to_char(${name}, 'YYYY-MM-DD')`;
    case 'datetime':
      return `to_char(${name} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    case 'number':
      // As JavaScript prints the number: 12.50 → 12.5, 100.00 → 100.
      return inert(
        column.column === 'riskScore'
          ? 'coalesce(c.risk_override, c.risk_score)::text'
          : `trim_scale(${name}::numeric)::text`,
      );
    default:
      return column.column === 'id' || column.column === 'locationId' ? `${name}::text` : inert(name);
  }
}

/**
 * A CSV export made by PostgreSQL (`COPY … TO STDOUT`): the selected clients' ids go into a
 * temporary table (the selection's SQL keeps its parameters there), then one COPY formats every
 * cell as the JavaScript exporter does (ISO times, true/false, numbers as JavaScript prints them,
 * tag names joined with ", ", formula-looking text made inert) and quotes per RFC 4180. Returns the
 * server's CSV stream (records end with LF; the caller turns them into CRLF). Needs a transaction.
 */
export async function clientsCsvCopy(
  tx: Tx,
  workspaceId: string,
  /** The selection's conditions on `clients`; null: every live client of the workspace (no temp table). */
  where: SQL | null,
  columns: CsvExportColumn[],
  delimiter: ',' | ';',
): Promise<import('node:stream').Readable> {
  if (!/^[0-9a-f-]{36}$/i.test(workspaceId)) throw new Error('not a workspace id');
  if (where) {
    await tx.execute(sql`create temp table export_selection (id uuid primary key) on commit drop`);
    await tx.execute(sql`insert into export_selection select clients.id from clients where ${where}`);
  }
  const withTags = columns.some((c) => c.source === 'tags');
  // Every cell is NULL rather than '' when empty: COPY writes NULL as an empty field and '' as "".
  const cells = columns.map((c) => `nullif(${csvExpression(c)}, '')`).join(', ');
  const from = where
    ? `export_selection s join clients c on c.id = s.id and c.workspace_id = '${workspaceId}'`
    : 'clients c';
  const tags = withTags
    ? `left join (select ct.client_id, string_agg(t.name, ', ' order by t.name_key) as names
        from client_tags ct join tags t on t.id = ct.tag_id
        where ct.workspace_id = '${workspaceId}' group by ct.client_id) tg on tg.client_id = c.id`
    : '';
  const live = where
    ? ''
    : `where c.workspace_id = '${workspaceId}' and c.erased_at is null and c.archived_at is null`;
  const copySql = `copy (select ${cells} from ${from} ${tags} ${live} order by c.id)
    to stdout with (format csv, delimiter ${literal(delimiter)})`;
  return copyQueryOut(tx, copySql);
}
