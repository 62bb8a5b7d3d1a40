import { randomUUID } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { sql } from 'drizzle-orm';
import type { Actor, WorkspaceContext } from '../../platform/auth/context.ts';
import { hasRole, type Role } from '../../platform/auth/roles.ts';
import type { Database, DbOrTx, Tx } from '../../platform/db/db.ts';
import { UUID } from '../../platform/db/ids.ts';
import { AppError, type ErrorDetail } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { decodeCursor, page } from '../../platform/pagination.ts';
import { recordAudit } from '../audit/audit.service.ts';
import {
  addTagsSet,
  BULK_COLUMNS,
  type BulkClient,
  copyClientsSet,
  copyHistorySet,
  deleteClientsSet,
  findClientsByIdentity,
  removeTagsSet,
  restoreClientsSet,
  updateClientsSet,
} from '../clients/clients.bulk.ts';
import type { ClientRow, ClientValues } from '../clients/clients.repo.ts';
import { listLabels, refreshClientStatistics, searchTextOf } from '../clients/clients.service.ts';
import { latestConsentPerChannel, recordConsentChanges, withdrawalsOf } from '../consent/consent.service.ts';
import type { SuppressionList } from '../consent/suppressions.service.ts';
import { createCustomField, listCustomFields } from '../custom-fields/custom-fields.service.ts';
import { tagNamesOfClients, validateTagName } from '../tags/tags.service.ts';
import { getWorkspace } from '../workspaces/workspaces.service.ts';
import { WrittenKeys } from './imports.keys.ts';
import { CLIENT_TARGETS, customKeyOf, detectType, headerShape, proposeMapping } from './imports.mapping.ts';
import { type FileShape, inspectFile, openTable, type TableRow } from './imports.reader.ts';
import {
  advanceImport,
  copyImportErrors,
  findImport,
  findSavedMapping,
  type ImportRow,
  importChangesPage,
  importCreatedPage,
  importErrorPage,
  insertCreatedBatch,
  insertImport,
  insertImportChanges,
  listImportRows,
  saveMapping,
  updateImport,
} from './imports.repo.ts';
import {
  type ColumnPlan,
  type NormalizedRow,
  normalizeRow,
  type RowContext,
  type RowProblem,
} from './imports.rows.ts';
import type { ImportStatus } from './imports.schema.ts';

export const IMPORT_TASK = 'imports.run';
export const ON_DUPLICATE = ['skip', 'update', 'overwrite', 'create'] as const;
export type OnDuplicate = (typeof ON_DUPLICATE)[number];
const CONSENT_CHANNELS = ['email', 'sms', 'whatsapp', 'push'] as const;
const CONSENT_COLUMN = {
  email: 'consentEmail',
  sms: 'consentSms',
  whatsapp: 'consentWhatsapp',
  push: 'consentPush',
} as const satisfies Record<(typeof CONSENT_CHANNELS)[number], keyof ClientRow>;
export const UNDO_DAYS = 7;
/** Rows per committed batch: the resume point after a crash, and one COPY of new clients. */
export const BATCH_SIZE = 10_000;
const PREVIEW_ROWS = 20;
const SAMPLE_ROWS = 5;

export interface ImportOptionsInput {
  mapping?: Record<string, string>;
  on_duplicate?: OnDuplicate;
  consent?: Partial<Record<(typeof CONSENT_CHANNELS)[number], boolean>>;
  consent_evidence?: string | null;
  tags?: string[];
}

export interface ImportOptions {
  mapping: Record<string, string>;
  on_duplicate: OnDuplicate;
  consent: Partial<Record<(typeof CONSENT_CHANNELS)[number], boolean>>;
  consent_evidence: string | null;
  tags: string[];
  sheet: string | null;
}

export interface ImportDeps {
  suppressions: SuppressionList;
}

// ---- JSON ------------------------------------------------------------------------------------------

export function toImportJson(row: ImportRow) {
  const undoUntil = row.finishedAt ? new Date(row.finishedAt.getTime() + UNDO_DAYS * 86_400_000) : null;
  return {
    id: row.id,
    status: row.status as ImportStatus,
    file_name: row.fileName,
    format: row.format as FileShape['format'],
    encoding: row.encoding,
    delimiter: row.delimiter,
    size_bytes: row.sizeBytes,
    headers: row.headers,
    columns: row.columns,
    options: row.options,
    total_rows: row.totalRows,
    processed_rows: row.committedRows,
    counts: {
      created: row.created,
      updated: row.updated,
      duplicates: row.duplicates,
      invalid: row.invalid,
      suppressed: row.suppressed,
    },
    error: row.error,
    created_by: row.createdByLabel,
    created_at: iso(row.createdAt),
    started_at: iso(row.startedAt),
    finished_at: iso(row.finishedAt),
    undone_at: iso(row.undoneAt),
    undo_until: row.status === 'completed' || row.status === 'cancelled' ? iso(undoUntil) : null,
  };
}
export type ImportJson = ReturnType<typeof toImportJson>;

// ---- upload & analysis --------------------------------------------------------------------------------

function shapeOf(row: ImportRow): FileShape {
  return {
    format: row.format as FileShape['format'],
    encoding: row.encoding,
    delimiter: row.delimiter,
    sheet: (row.options.sheet as string | null | undefined) ?? null,
    sheets: [],
  };
}

/**
 * Registers an uploaded (or CLI) file: detects how to read it, reads the header and a few rows,
 * and proposes a mapping (the one saved for files of the same shape, else from the headers).
 * A file we cannot read is refused with a 400 naming why; nothing is stored then.
 */
export async function createImport(
  db: Database,
  ctx: WorkspaceContext,
  file: { path: string; fileName: string; sizeBytes: number; sheet?: string | null; uploaded?: boolean },
) {
  const shape = await inspectFile(file.path, file.fileName);
  if (file.sheet) {
    if (!shape.sheets.includes(file.sheet))
      throw AppError.validation([
        { path: '/sheet', message: `no sheet "${file.sheet}"; the workbook has ${shape.sheets.join(', ')}` },
      ]);
    shape.sheet = file.sheet;
  }
  const { headers, rows } = await openTable(file.path, shape);
  const samples: TableRow[] = [];
  for await (const row of rows) {
    samples.push(row);
    if (samples.length >= SAMPLE_ROWS) break;
  }
  await rows.return(undefined);
  if (!headers.length || headers.every((h) => /^Column \d+$/.test(h)))
    throw AppError.validation([{ path: '/file', message: 'the file has no header row' }]);
  const fields = (await listCustomFields(db, ctx.workspaceId)).filter((f) =>
    hasRole(ctx.role, f.editableMinRole as Role),
  );
  const saved = await findSavedMapping(db, ctx.workspaceId, headerShape(headers));
  const proposed = proposeMapping(headers, fields);
  const mapping = saved ? { ...proposed, ...saved } : proposed;
  const columns = headers.map((header, index) => {
    const values = samples.map((s) => s.cells[index] ?? null);
    const type = detectType(values);
    const target = mapping[header] ?? 'ignore';
    const warnings: string[] = [];
    if (type === 'empty') warnings.push('empty in the first rows');
    if (target === 'email' && type !== 'email' && type !== 'empty')
      warnings.push('values do not look like emails');
    if (target === 'phone' && !['phone', 'number', 'empty'].includes(type))
      warnings.push('values do not look like phone numbers');
    if (target === 'birthday' && !['date', 'number', 'empty'].includes(type))
      warnings.push('values do not look like dates');
    if (target === 'ignore')
      warnings.push('not mapped: ignored unless you choose a field or a new custom field');
    return {
      header,
      samples: values.map((v) =>
        v instanceof Date ? v.toISOString().slice(0, 10) : v === null ? null : String(v),
      ),
      detected_type: type,
      target,
      suggested_key: customKeyOf(header),
      warnings,
    };
  });
  const row = await db.transaction(async (tx) => {
    const created = await insertImport(tx, {
      workspaceId: ctx.workspaceId,
      fileName: file.fileName.slice(0, 300),
      filePath: file.path,
      format: shape.format,
      encoding: shape.encoding,
      delimiter: shape.delimiter,
      sizeBytes: file.sizeBytes,
      headers,
      columns,
      options: {
        mapping,
        sheet: shape.sheet,
        sheets: shape.sheets,
        saved_mapping: Boolean(saved),
        uploaded: file.uploaded === true,
      },
      createdByLabel: ctx.actor.label,
    });
    await recordAudit(tx, ctx, {
      action: 'import.uploaded',
      entityType: 'import',
      entityId: created.id,
      changes: {
        file_name: { before: null, after: created.fileName },
        size_bytes: { before: null, after: file.sizeBytes },
        format: { before: null, after: shape.format },
      },
    });
    return created;
  });
  return toImportJson(row);
}

// ---- options ------------------------------------------------------------------------------------------

async function resolveOptions(db: DbOrTx, ctx: WorkspaceContext, row: ImportRow, input: ImportOptionsInput) {
  const problems: ErrorDetail[] = [];
  const mapping: Record<string, string> = {
    ...(row.options.mapping as Record<string, string>),
    ...(input.mapping ?? {}),
  };
  const fields = await listCustomFields(db, ctx.workspaceId);
  const editable = new Map(
    fields.filter((f) => hasRole(ctx.role, f.editableMinRole as Role)).map((f) => [f.key, f]),
  );
  const newFields: Array<{ key: string; label: string; type: NewFieldType }> = [];
  for (const [header, target] of Object.entries(mapping)) {
    const path = `/mapping/${header.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!row.headers.includes(header)) {
      problems.push({ path, message: 'no such column in the file' });
      continue;
    }
    if (target === 'ignore' || (CLIENT_TARGETS as readonly string[]).includes(target)) continue;
    if (target.startsWith('custom.')) {
      if (!editable.has(target.slice(7)))
        problems.push({ path, message: `no custom field "${target.slice(7)}" you may edit` });
      continue;
    }
    if (target.startsWith('new.')) {
      const key = target.slice(4);
      if (!/^[a-z][a-z0-9_]{0,62}$/.test(key))
        problems.push({
          path,
          message: 'a new field key: lower-case letters, digits and _, starting with a letter',
        });
      else if (fields.some((f) => f.key === key))
        problems.push({ path, message: `a custom field "${key}" exists: map to custom.${key}` });
      else if (!hasRole(ctx.role, 'admin'))
        problems.push({ path, message: 'creating custom fields needs the admin role' });
      else newFields.push({ key, label: header, type: newFieldType(row, header) });
      continue;
    }
    problems.push({
      path,
      message: `unknown target; use ${CLIENT_TARGETS.join(', ')}, custom.<key>, new.<key> or ignore`,
    });
  }
  if (
    !Object.values(mapping).some((t) =>
      ['first_name', 'last_name', 'full_name', 'email', 'phone'].includes(t),
    )
  )
    problems.push({ path: '/mapping', message: 'map at least one of name, email or phone' });
  const consent: ImportOptions['consent'] = {};
  for (const [channel, granted] of Object.entries(input.consent ?? {})) {
    if (!(CONSENT_CHANNELS as readonly string[]).includes(channel))
      problems.push({
        path: `/consent/${channel}`,
        message: `unknown channel; use ${CONSENT_CHANNELS.join(', ')}`,
      });
    else if (granted) consent[channel as keyof ImportOptions['consent']] = true;
  }
  const evidence = input.consent_evidence?.trim() || null;
  if (Object.keys(consent).length && !evidence)
    problems.push({
      path: '/consent_evidence',
      message: 'say how these people consented (form, date, wording): it goes into each consent history',
    });
  const tags = input.tags ?? [];
  tags.forEach((name, i) => {
    const bad = validateTagName(name, `/tags/${i}`);
    if (bad) problems.push(bad);
  });
  if (problems.length) throw AppError.validation(problems);
  const options: ImportOptions = {
    mapping,
    on_duplicate: input.on_duplicate ?? 'skip',
    consent,
    consent_evidence: evidence,
    tags,
    sheet: (row.options.sheet as string | null) ?? null,
  };
  return { options, newFields };
}

/** The custom field type `new.<key>` creates: the column's detected number, date or yes/no, else text. */
type NewFieldType = 'text' | 'number' | 'date' | 'boolean';
function newFieldType(row: ImportRow, header: string): NewFieldType {
  const detected = row.columns.find((c) => c.header === header)?.detected_type;
  return detected === 'number' || detected === 'date' || detected === 'boolean' ? detected : 'text';
}

async function rowContext(db: DbOrTx, workspaceId: string): Promise<RowContext> {
  const [workspace, fields, labels] = await Promise.all([
    getWorkspace(db, workspaceId),
    listCustomFields(db, workspaceId),
    listLabels(db, workspaceId),
  ]);
  return {
    defaultCountry: workspace.defaultCountry,
    dateOrder: workspace.defaultLocale === 'en' ? 'mdy' : 'dmy',
    decimalComma: workspace.defaultLocale !== 'en',
    labels: new Set(labels.map((l) => l.key)),
    customFields: new Map(fields.map((f) => [f.key, f])),
  };
}

function columnPlan(headers: string[], mapping: Record<string, string>): ColumnPlan[] {
  return headers
    .map((header, index) => ({ header, index, target: mapping[header] ?? 'ignore' }))
    .filter((c) => c.target !== 'ignore');
}

// ---- the batch pipeline ------------------------------------------------------------------------------

interface Counts {
  rows: number;
  created: number;
  updated: number;
  duplicates: number;
  invalid: number;
  suppressed: number;
}

interface PreviewRow {
  row: number;
  action: 'create' | 'update' | 'skip' | 'invalid' | 'suppressed';
  client: Record<string, unknown> | null;
  problems: RowProblem[];
}

interface RunState {
  importId: string;
  ctx: WorkspaceContext;
  options: ImportOptions;
  plan: ColumnPlan[];
  rc: RowContext;
  requiredKeys: string[];
  dryRun: boolean;
  /** Dry run only: identities the file would have created so far (a real run finds them in the table). */
  virtual: Set<string>;
  preview: PreviewRow[];
  deps: ImportDeps;
  timings?: ImportTimings;
  /**
   * Set while the workspace holds only what this run wrote (it had no clients when the run started
   * and no one else has created one since): then a row can only match a client this run wrote, and
   * only the keys `written` may hold are looked up. Cleared for good the moment anything else appears.
   */
  fresh: FreshWorkspace | null;
  /** Identity keys looked up in the database (the bench and tests read it). */
  lookedUpKeys: number;
}

interface FreshWorkspace {
  written: WrittenKeys;
  /** `created_at` (epoch ms) of each batch this run committed: a client with any other one is someone else's. */
  batchTimes: Set<string>;
}

/** A client as the batch will leave it: its original row (null when new) and working values. */
interface Working {
  id: string | null;
  original: ClientRow | null;
  values: ClientValues;
  custom: Record<string, unknown>;
  tags: string[];
  firstRow: number;
  /** Its fields changed (an update writes it). */
  changed: boolean;
  /** A row was merged into it (its tags may still add something). */
  touched: boolean;
  /** Its search text while its values are the row's (a new client not merged into since). */
  searchText?: string;
}

const COLUMNS = Object.values(BULK_COLUMNS);

function identityKeys(values: ClientValues): string[] {
  const keys: string[] = [];
  if (values.externalId) keys.push(`x:${values.externalId}`);
  if (values.email) keys.push(`e:${values.email}`);
  if (values.phone) keys.push(`p:${values.phone}`);
  return keys;
}

function apiValues(values: ClientValues, custom: Record<string, unknown>, tags: string[]) {
  const out: Record<string, unknown> = {};
  for (const [name, column] of Object.entries(BULK_COLUMNS)) out[name] = values[column] ?? null;
  return { ...out, custom, tags };
}

/** Fills (or, overwriting, replaces) the working client's values with the row's; true when something changed. */
function mergeInto(target: Working, row: NormalizedRow, overwrite: boolean): boolean {
  let changed = false;
  for (const column of COLUMNS) {
    const incoming = row.values[column];
    if (incoming === undefined || incoming === null) continue;
    const current = target.values[column];
    if ((overwrite || current === null || current === undefined || current === '') && current !== incoming) {
      (target.values as Record<string, unknown>)[column] = incoming;
      target.searchText = undefined;
      changed = true;
    }
  }
  for (const [key, value] of Object.entries(row.custom)) {
    const current = target.custom[key];
    if (
      (overwrite || current === null || current === undefined) &&
      JSON.stringify(current) !== JSON.stringify(value)
    ) {
      target.custom = { ...target.custom, [key]: value };
      changed = true;
    }
  }
  for (const tag of row.tags)
    if (!target.tags.some((t) => t.toLowerCase() === tag.toLowerCase())) target.tags.push(tag);
  return changed;
}

/** A batch read and normalized, before anything is looked up or written (pure work, done ahead). */
interface PreparedBatch {
  rows: number;
  /** The batch's first file row: the key of its undo record. */
  firstRow: number;
  invalid: Array<{ row: number; problems: RowProblem[] }>;
  normalized: Array<{ row: number; data: NormalizedRow; searchText: string }>;
}

/** Where an import's time goes, in milliseconds per stage (the bench reports it). */
export type ImportTimings = Record<
  'read' | 'normalize' | 'suppression' | 'lookup' | 'dedupe' | 'copy_clients' | 'other_writes' | 'commit',
  number
>;

export function emptyTimings(): ImportTimings {
  return {
    read: 0,
    normalize: 0,
    suppression: 0,
    lookup: 0,
    dedupe: 0,
    copy_clients: 0,
    other_writes: 0,
    commit: 0,
  };
}

async function timed<T>(
  timings: ImportTimings | undefined,
  stage: keyof ImportTimings,
  work: () => Promise<T>,
) {
  const started = performance.now();
  try {
    return await work();
  } finally {
    if (timings) timings[stage] += performance.now() - started;
  }
}

/** Normalizes a batch's rows (no database): the run does this for the next batch while the previous one commits. */
function prepareBatch(state: RunState, batch: TableRow[]): PreparedBatch {
  const started = performance.now();
  const invalid: PreparedBatch['invalid'] = [];
  const normalized: PreparedBatch['normalized'] = [];
  for (const { row, cells } of batch) {
    const data = normalizeRow(cells, state.plan, state.rc);
    for (const tag of state.options.tags)
      if (!data.tags.some((t) => t.toLowerCase() === tag.toLowerCase())) data.tags.push(tag);
    if (data.problems.length) invalid.push({ row, problems: data.problems });
    // The search text (a second phone parse) is made here, off the write path; a row merged into later gets it anew.
    else
      normalized.push({ row, data, searchText: state.dryRun ? '' : searchTextOf(data.values as ClientRow) });
  }
  if (state.timings) state.timings.normalize += performance.now() - started;
  return { rows: batch.length, firstRow: batch[0]?.row ?? 0, invalid, normalized };
}

/** The workspace's suppressed values among these (already normalized: lower-case emails, E.164 phones), checked inside PostgreSQL. */
async function suppressedAmong(
  db: DbOrTx,
  state: RunState,
  kind: 'email' | 'phone',
  values: string[],
): Promise<Set<string>> {
  if (!values.length) return new Set();
  const found = await db.execute<{ v: string }>(sql`
    select v from unnest(${sql.param(values)}::text[]) as v
    where ${state.deps.suppressions.suppressedSql(state.ctx.workspaceId, kind, sql`v`)}`);
  return new Set(found.rows.map((r) => r.v));
}

/**
 * When the import grants consent: identity key (x:/e:/p:) → a channel it grants that the matched
 * client with that identity has off now after withdrawing it (unsubscribe link, STOP, request).
 */
async function withdrawnAmong(
  db: DbOrTx,
  state: RunState,
  existing: ClientRow[],
): Promise<Map<string, string>> {
  const channels = Object.keys(state.options.consent) as Array<keyof typeof CONSENT_COLUMN>;
  const withdrawn = new Map<string, string>();
  // Only clients with a granted channel off now can have withdrawn it.
  const off = existing.filter((c) => channels.some((ch) => !c[CONSENT_COLUMN[ch]]));
  if (!off.length) return withdrawn;
  const byId = new Map(off.map((c) => [c.id, c]));
  for (const { client_id, channel } of await withdrawalsOf(
    db,
    state.ctx.workspaceId,
    [...byId.keys()],
    channels,
  )) {
    const client = byId.get(client_id)!;
    if (client[CONSENT_COLUMN[channel as keyof typeof CONSENT_COLUMN]]) continue;
    for (const key of identityKeys(client)) if (!withdrawn.has(key)) withdrawn.set(key, channel);
  }
  return withdrawn;
}

async function processBatch(db: DbOrTx, state: RunState, prepared: PreparedBatch, counts: Counts) {
  const { ctx, options } = state;
  const timings = state.timings;
  const errors: Array<{ row: number; problems: RowProblem[] }> = [];
  // The first rows of the file in file order (invalid, suppressed and kept rows are decided in
  // separate passes): gathered while the preview is not full, sorted at the end of the batch.
  const previewing = state.dryRun && state.preview.length < PREVIEW_ROWS;
  const batchPreview: PreviewRow[] = [];
  const preview = (p: PreviewRow) => {
    if (previewing) batchPreview.push(p);
  };
  for (const { row, problems } of prepared.invalid) {
    counts.invalid++;
    errors.push({ row, problems });
    preview({ row, action: 'invalid', client: null, problems });
  }
  const normalized = prepared.normalized;
  // Suppressed identities (erased, unsubscribed) are never brought back.
  const emails = normalized.map((n) => n.data.values.email).filter((e): e is string => Boolean(e));
  const phones = normalized.map((n) => n.data.values.phone).filter((p): p is string => Boolean(p));
  const [suppressedEmails, suppressedPhones] = await timed(timings, 'suppression', () =>
    Promise.all([
      suppressedAmong(db, state, 'email', [...new Set(emails)]),
      suppressedAmong(db, state, 'phone', [...new Set(phones)]),
    ]),
  );
  const notSuppressed = normalized.filter(({ row, data }) => {
    const email = data.values.email && suppressedEmails.has(data.values.email);
    const phone = data.values.phone && suppressedPhones.has(data.values.phone);
    if (!email && !phone) return true;
    counts.suppressed++;
    const problem: RowProblem = {
      column: null,
      value: null,
      reason: `skipped: the ${email ? 'email' : 'phone'} is on the suppression list (unsubscribed or erased)`,
    };
    errors.push({ row, problems: [problem] });
    preview({ row, action: 'suppressed', client: null, problems: [problem] });
    return false;
  });
  const existing = await timed(timings, 'lookup', async () => {
    if (state.fresh && !state.dryRun && (await someoneElseWrote(db, state, state.fresh))) state.fresh = null;
    const fresh = state.fresh;
    // In a fresh workspace only keys this run may have written can match anything.
    const wanted = (prefix: string, value: string | null | undefined): value is string =>
      Boolean(value) && (!fresh || fresh.written.mayHave(`${prefix}${value}`));
    const keys = {
      externalIds: [
        ...new Set(notSuppressed.map((n) => n.data.values.externalId).filter((v) => wanted('x:', v))),
      ],
      emails: [...new Set(notSuppressed.map((n) => n.data.values.email).filter((v) => wanted('e:', v)))],
      phones: [...new Set(notSuppressed.map((n) => n.data.values.phone).filter((v) => wanted('p:', v)))],
    };
    state.lookedUpKeys += keys.externalIds.length + keys.emails.length + keys.phones.length;
    return findClientsByIdentity(db, ctx.workspaceId, keys);
  });
  // An import that grants consent never subscribes again someone who withdrew it (an unsubscribe
  // link, a STOP reply, a request): a row with the identity of such a client is skipped, whether
  // it would update that client or create another one.
  const withdrawn = await timed(timings, 'suppression', () => withdrawnAmong(db, state, existing));
  const live = notSuppressed.filter(({ row, data }) => {
    const channel = identityKeys(data.values)
      .map((k) => withdrawn.get(k))
      .find(Boolean);
    if (!channel) return true;
    counts.suppressed++;
    const problem: RowProblem = {
      column: null,
      value: null,
      reason: `skipped: this person unsubscribed from ${channel}; an import never subscribes them again (import without consent to update their details)`,
    };
    errors.push({ row, problems: [problem] });
    preview({ row, action: 'suppressed', client: null, problems: [problem] });
    return false;
  });
  const dedupeStarted = performance.now();
  const byKey = new Map<string, Working>();
  const working = new Map<string, Working>();
  const workingOf = (client: ClientRow): Working => {
    let w = working.get(client.id);
    if (!w) {
      const values: ClientValues = {};
      for (const column of COLUMNS) (values as Record<string, unknown>)[column] = client[column];
      w = {
        id: client.id,
        original: client,
        values,
        custom: { ...client.custom },
        tags: [],
        firstRow: 0,
        changed: false,
        touched: false,
      };
      working.set(client.id, w);
    }
    return w;
  };
  // Oldest first: with two clients sharing an email, the first one is the match.
  for (const client of [...existing].reverse())
    for (const key of identityKeys(client)) byKey.set(key, workingOf(client));
  const created: Working[] = [];
  for (const { row, data, searchText } of live) {
    const keys = identityKeys(data.values);
    // external_id first, then email, then phone (the order identityKeys gives).
    const match = keys.map((k) => byKey.get(k)).find(Boolean) ?? null;
    const virtualMatch = !match && state.dryRun && keys.some((k) => state.virtual.has(k));
    // An archived client is still who this row is: matched (never a second client with the same
    // identity), left archived, and said in the row report.
    if (match?.original?.archivedAt)
      errors.push({
        row,
        problems: [
          {
            column: null,
            value: null,
            reason: 'matched an archived client: it stays archived (restore it from the client list)',
          },
        ],
      });
    if (match || virtualMatch) {
      counts.duplicates++;
      // "create" never makes a second client of an archived one: its row fills empty fields instead.
      const policy =
        match?.original?.archivedAt && options.on_duplicate === 'create' ? 'update' : options.on_duplicate;
      const externalId = data.values.externalId;
      const sameExternal =
        Boolean(externalId) &&
        (match ? match.values.externalId === externalId : state.virtual.has(`x:${externalId}`));
      if (policy === 'skip' || (policy === 'create' && sameExternal)) {
        if (policy === 'create')
          errors.push({
            row,
            problems: [
              {
                column: null,
                value: externalId ?? null,
                reason: 'skipped: this external_id already belongs to a client',
              },
            ],
          });
        preview({
          row,
          action: 'skip',
          client: apiValues(data.values, data.custom, data.tags),
          problems: [],
        });
        continue;
      }
      if (policy !== 'create') {
        let shown = data.values;
        let custom = data.custom;
        let tags = data.tags;
        if (match) {
          if (mergeInto(match, data, policy === 'overwrite')) match.changed = true;
          match.touched = true;
          for (const key of identityKeys(match.values)) if (!byKey.has(key)) byKey.set(key, match);
          shown = match.values;
          custom = match.custom;
          tags = match.tags;
        }
        preview({ row, action: 'update', client: apiValues(shown, custom, tags), problems: [] });
        continue;
      }
    }
    const missing = state.requiredKeys.filter((k) => data.custom[k] === undefined);
    if (missing.length) {
      counts.invalid++;
      const problems = missing.map((k) => ({
        column: null,
        value: null,
        reason: `custom field "${k}" is required`,
      }));
      errors.push({ row, problems });
      preview({ row, action: 'invalid', client: null, problems });
      continue;
    }
    // The row's own objects (nothing else holds them): no copy per created client.
    const fresh: Working = {
      id: null,
      original: null,
      values: data.values,
      custom: data.custom,
      tags: data.tags,
      firstRow: row,
      changed: true,
      touched: true,
      searchText,
    };
    created.push(fresh);
    counts.created++;
    for (const key of keys) if (!byKey.has(key)) byKey.set(key, fresh);
    preview({
      row,
      action: 'create',
      client: apiValues(fresh.values, fresh.custom, fresh.tags),
      problems: [],
    });
  }
  // A row can be reported twice (an archived match, then a skip): its problems numbered on.
  const nextSeq = new Map<number, number>();
  const errorRows = errors.flatMap(({ row, problems }) =>
    problems.map((p) => ({
      importId: state.importId,
      row,
      seq: nextSeq.set(row, (nextSeq.get(row) ?? -1) + 1).get(row)!,
      column: p.column,
      value: p.value,
      reason: p.reason,
    })),
  );
  const touched = [...working.values()].filter((w) => w.touched);
  if (previewing)
    state.preview.push(
      ...batchPreview.sort((a, b) => a.row - b.row).slice(0, PREVIEW_ROWS - state.preview.length),
    );
  if (timings) timings.dedupe += performance.now() - dedupeStarted;
  if (state.dryRun) {
    for (const c of created) for (const key of identityKeys(c.values)) state.virtual.add(key);
    const current = await tagNamesOfClients(
      db,
      ctx.workspaceId,
      touched.map((w) => w.id!),
    );
    for (const w of touched) {
      const has = new Set((current.get(w.id!) ?? []).map((t) => t.toLowerCase()));
      const consentToGive = Object.keys(options.consent).some(
        (channel) => !w.original![CONSENT_COLUMN[channel as keyof typeof CONSENT_COLUMN]],
      );
      if (w.changed || w.tags.some((t) => !has.has(t.toLowerCase())) || consentToGive) counts.updated++;
    }
    return;
  }
  // New clients go in with one COPY (the bulk of any large import); the rest are set-based statements.
  const tx = db as Tx;
  const newIds = await timed(timings, 'copy_clients', () =>
    copyClientsSet(
      tx,
      ctx.workspaceId,
      created.map((c): BulkClient => ({ values: c.values, custom: c.custom, searchText: c.searchText })),
    ),
  );
  created.forEach((c, i) => {
    c.id = newIds[i]!;
  });
  await timed(timings, 'other_writes', async () => {
    await updateClientsSet(
      db,
      ctx.workspaceId,
      touched.filter((w) => w.changed).map((w) => ({ id: w.id!, values: w.values, custom: w.custom })),
    );
    const addedTags = await addTagsSet(
      db,
      ctx.workspaceId,
      [...created, ...touched].filter((w) => w.tags.length).map((w) => ({ clientId: w.id!, names: w.tags })),
    );
    // The consent asked for goes to every client of the file: the new ones, and the existing ones a
    // row updates (even when the row brings nothing else new). For those, the channels' previous
    // state is kept for undo.
    const granted = new Map<string, Record<string, boolean>>();
    if (Object.keys(options.consent).length) {
      for (const w of created)
        await recordConsentChanges(db, ctx, w.id!, options.consent, {
          source: 'import',
          evidence: options.consent_evidence,
          ip: null,
          audit: false,
        });
      for (const w of touched) {
        const applied = await recordConsentChanges(db, ctx, w.id!, options.consent, {
          source: 'import',
          evidence: options.consent_evidence,
          ip: null,
          audit: false,
        });
        if (applied.length)
          granted.set(w.id!, Object.fromEntries(applied.map((a) => [a.channel, !a.granted])));
      }
    }
    // Updated: an existing client whose fields changed, who got a tag it did not have, or consent.
    const updated = touched.filter((w) => w.changed || addedTags.get(w.id!)?.length || granted.has(w.id!));
    counts.updated += updated.length;
    // Undo records: the batch's created clients are one row of ids; an updated client keeps its old
    // values (and, under `consent`, the state of the channels this import granted it).
    await insertCreatedBatch(db, state.importId, prepared.firstRow, newIds);
    await insertImportChanges(
      db,
      updated.map((w) => {
        const before: Record<string, unknown> = {};
        // What this import wrote: undo restores a field only while it still holds it.
        const imported: Record<string, unknown> = {};
        for (const column of COLUMNS)
          if ((w.original![column] ?? null) !== (w.values[column] ?? null)) {
            before[column] = w.original![column] ?? null;
            imported[column] = w.values[column] ?? null;
          }
        if (JSON.stringify(w.original!.custom) !== JSON.stringify(w.custom)) {
          before.custom = w.original!.custom;
          imported.custom = w.custom;
        }
        if (granted.has(w.id!)) before.consent = granted.get(w.id!);
        before.imported = imported;
        return { importId: state.importId, clientId: w.id!, before, addedTags: addedTags.get(w.id!) ?? [] };
      }),
    );
    await copyHistorySet(tx, ctx, [
      ...created.map((c) => ({
        clientId: c.id!,
        kind: 'imported',
        data: { import_id: state.importId, action: 'created' },
      })),
      ...updated.map((w) => ({
        clientId: w.id!,
        kind: 'imported',
        data: { import_id: state.importId, action: 'updated' },
      })),
    ]);
    await copyImportErrors(tx, errorRows);
  });
  // What this batch wrote, for the next batches' lookups (a failed batch ends the run, and a new
  // run starts without this state).
  if (state.fresh) {
    for (const w of [...created, ...touched])
      for (const key of identityKeys(w.values)) state.fresh.written.add(key);
    const now = await db.execute<{ ms: string }>(
      sql`select (extract(epoch from now()::timestamptz(3)) * 1000)::bigint::text as ms`,
    );
    state.fresh.batchTimes.add(now.rows[0]!.ms);
  }
}

/**
 * Whether the workspace holds a client this run did not write: one whose `created_at` is not the
 * time of one of this run's batches (a batch's clients all carry its transaction's time). Walks
 * the distinct `created_at` values down the (workspace_id, created_at) index, one probe (a max) each: about
 * a hundred probes for a million-row run.
 */
async function someoneElseWrote(db: DbOrTx, state: RunState, fresh: FreshWorkspace): Promise<boolean> {
  const times = await db.execute<{ ms: string }>(sql`
    with recursive t(at) as (
      (select max(created_at) from clients where workspace_id = ${state.ctx.workspaceId})
      union all
      select (select max(c.created_at) from clients c where c.workspace_id = ${state.ctx.workspaceId} and c.created_at < t.at)
      from t where t.at is not null
    )
    select (extract(epoch from at) * 1000)::bigint::text as ms from t where at is not null
    limit ${fresh.batchTimes.size + 1}`);
  return times.rows.some((r) => !fresh.batchTimes.has(r.ms));
}

async function prepareRun(
  db: DbOrTx,
  ctx: WorkspaceContext,
  row: ImportRow,
  options: ImportOptions,
  deps: ImportDeps,
  dryRun: boolean,
): Promise<RunState> {
  const rc = await rowContext(db, ctx.workspaceId);
  const plan = columnPlan(row.headers, options.mapping);
  const mapped = new Set(
    plan
      .filter((c) => c.target.startsWith('custom.') || c.target.startsWith('new.'))
      .map((c) => c.target.slice(c.target.indexOf('.') + 1)),
  );
  const requiredKeys = [...rc.customFields.values()]
    .filter((f) => f.required && !mapped.has(f.key))
    .map((f) => f.key);
  if (dryRun)
    // Fields the run would create, with the type it would give them.
    for (const c of plan)
      if (c.target.startsWith('new.') && !rc.customFields.has(c.target.slice(4)))
        rc.customFields.set(c.target.slice(4), {
          key: c.target.slice(4),
          type: newFieldType(row, c.header),
          options: [],
          required: false,
        } as unknown as import('../custom-fields/custom-fields.service.ts').CustomField);
  return {
    importId: row.id,
    ctx,
    options,
    plan,
    rc,
    requiredKeys,
    dryRun,
    virtual: new Set(),
    preview: [],
    deps,
    fresh: null,
    lookedUpKeys: 0,
  };
}

export const DRY_RUN_TASK = 'imports.dry_run';
/** Files up to this size are dry-run inside the request; larger ones as a job (poll GET …/dry-run). */
export const DRY_RUN_SYNC_BYTES = 2 * 1024 * 1024;

export interface DryRunResult {
  total_rows: number;
  counts: { created: number; updated: number; duplicates: number; invalid: number; suppressed: number };
  preview: PreviewRow[];
}

export interface DryRunState {
  status: 'running' | 'completed' | 'failed';
  total_rows: number | null;
  counts: DryRunResult['counts'] | null;
  preview: PreviewRow[];
  error: string | null;
}

/** Reads the whole file as the run would, writing nothing: the first rows as stored and the full counts. */
async function computeDryRun(
  db: Database,
  deps: ImportDeps,
  ctx: WorkspaceContext,
  row: ImportRow,
  options: ImportOptions,
): Promise<DryRunResult> {
  const state = await prepareRun(db, ctx, row, options, deps, true);
  const counts: Counts = { rows: 0, created: 0, updated: 0, duplicates: 0, invalid: 0, suppressed: 0 };
  const { rows } = await openTable(row.filePath, shapeOf(row));
  let batch: TableRow[] = [];
  for await (const r of rows) {
    batch.push(r);
    counts.rows++;
    if (batch.length >= BATCH_SIZE) {
      await processBatch(db, state, prepareBatch(state, batch), counts);
      batch = [];
    }
  }
  if (batch.length) await processBatch(db, state, prepareBatch(state, batch), counts);
  return {
    total_rows: counts.rows,
    counts: {
      created: counts.created,
      updated: counts.updated,
      duplicates: counts.duplicates,
      invalid: counts.invalid,
      suppressed: counts.suppressed,
    },
    preview: state.preview,
  };
}

/** The dry run, in the request (the result itself). */
export async function dryRunImport(
  db: Database,
  deps: ImportDeps,
  ctx: WorkspaceContext,
  id: string,
  input: ImportOptionsInput,
): Promise<DryRunResult> {
  const row = await getImportRow(db, ctx.workspaceId, id);
  if (row.status !== 'uploaded')
    throw new AppError(
      'NOT_ALLOWED_NOW',
      `This import is ${row.status}; a dry run is for an import not started yet`,
    );
  const { options } = await resolveOptions(db, ctx, row, input);
  return computeDryRun(db, deps, ctx, row, options);
}

/**
 * POST …/dry-run: the options are checked now (a 400 names the bad one). A small file is dry-run
 * in the request (`completed` with the result); a larger one as a job (`running`: poll GET
 * …/dry-run). A new request replaces a running one: only the latest writes its result.
 */
export async function requestDryRun(
  db: Database,
  deps: ImportDeps,
  ctx: WorkspaceContext,
  id: string,
  input: ImportOptionsInput,
  syncMaxBytes = DRY_RUN_SYNC_BYTES,
): Promise<DryRunState> {
  const row = await getImportRow(db, ctx.workspaceId, id);
  if (row.status !== 'uploaded')
    throw new AppError(
      'NOT_ALLOWED_NOW',
      `This import is ${row.status}; a dry run is for an import not started yet`,
    );
  const { options } = await resolveOptions(db, ctx, row, input);
  if (row.sizeBytes <= syncMaxBytes)
    return { status: 'completed', error: null, ...(await computeDryRun(db, deps, ctx, row, options)) };
  const token = randomUUID();
  await db.transaction(async (tx) => {
    await updateImport(tx, ctx.workspaceId, id, {
      dryRun: { status: 'running', token, input, actor: { ...ctx.actor, role: ctx.role } },
    });
    await tx.execute(sql`
      select graphile_worker.add_job(${DRY_RUN_TASK}, json_build_object('workspace_id', ${ctx.workspaceId}::text, 'import_id', ${id}::text, 'token', ${token}::text),
        job_key => ${`${DRY_RUN_TASK}:${id}`}, max_attempts => 3)`);
  });
  return { status: 'running', total_rows: null, counts: null, preview: [], error: null };
}

/** The job: computes the dry run asked for with `token` and stores it (unless a newer one replaced it). */
export async function runDryRunJob(
  db: Database,
  deps: ImportDeps,
  workspaceId: string,
  id: string,
  token: string,
): Promise<void> {
  const row = await findImport(db, workspaceId, id);
  const asked = row?.dryRun as {
    status?: string;
    token?: string;
    input?: ImportOptionsInput;
    actor?: unknown;
  } | null;
  if (!row || !asked || asked.token !== token || asked.status !== 'running') return;
  const ctx = contextOf({ ...row, actor: asked.actor as ImportRow['actor'] });
  let outcome: Record<string, unknown>;
  try {
    const { options } = await resolveOptions(db, ctx, row, asked.input ?? {});
    outcome = { status: 'completed', result: await computeDryRun(db, deps, ctx, row, options) };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    outcome = { status: 'failed', error: error.message };
  }
  // Only if it is still the latest request.
  await db.execute(sql`
    update imports set dry_run = dry_run || ${JSON.stringify(outcome)}::jsonb
    where workspace_id = ${workspaceId} and id = ${id} and dry_run->>'token' = ${token}`);
}

/** GET …/dry-run: the latest background dry run (404 when none was asked for). */
export async function getDryRun(db: DbOrTx, workspaceId: string, id: string): Promise<DryRunState> {
  const row = await getImportRow(db, workspaceId, id);
  const state = row.dryRun as {
    status: DryRunState['status'];
    result?: DryRunResult;
    error?: string;
  } | null;
  if (!state) throw AppError.notFound('Dry run');
  return {
    status: state.status,
    total_rows: state.result?.total_rows ?? null,
    counts: state.result?.counts ?? null,
    preview: state.result?.preview ?? [],
    error: state.error ?? null,
  };
}

// ---- start, run, cancel, undo ------------------------------------------------------------------------

export async function getImportRow(db: DbOrTx, workspaceId: string, id: string, lock = false) {
  const row = UUID.test(id) ? await findImport(db, workspaceId, id, lock) : null;
  if (!row) throw AppError.notFound('Import');
  return row;
}

export async function getImport(db: DbOrTx, workspaceId: string, id: string) {
  return toImportJson(await getImportRow(db, workspaceId, id));
}

export async function listImports(
  db: DbOrTx,
  workspaceId: string,
  options: { cursor?: string; limit: number },
) {
  const cursor = decodeCursor(options.cursor);
  const rows = await listImportRows(
    db,
    workspaceId,
    cursor ? { at: new Date(cursor.at), id: cursor.id } : null,
    options.limit,
  );
  const { items, nextCursor } = page(rows, options.limit, (r) => [r.createdAt, r.id]);
  return { imports: items.map(toImportJson), next_cursor: nextCursor };
}

/**
 * Starts the import with these options: creates the new custom fields it maps to, remembers the
 * mapping for files of this shape, and queues the job (or, with `queue: false`, leaves it queued
 * for the caller to run in-process, as the CLI does).
 */
export async function startImport(
  db: Database,
  ctx: WorkspaceContext,
  id: string,
  input: ImportOptionsInput,
  opts: { queue?: boolean } = {},
) {
  const row = await getImportRow(db, ctx.workspaceId, id);
  if (row.status !== 'uploaded')
    throw new AppError('NOT_ALLOWED_NOW', `This import is already ${row.status}`);
  const { options, newFields } = await resolveOptions(db, ctx, row, input);
  for (const field of newFields)
    await createCustomField(db, ctx, { key: field.key, label: field.label.slice(0, 200), type: field.type });
  return db.transaction(async (tx) => {
    const locked = await getImportRow(tx, ctx.workspaceId, id, true);
    if (locked.status !== 'uploaded')
      throw new AppError('NOT_ALLOWED_NOW', `This import is already ${locked.status}`);
    // Fields created for this import are plain custom fields for the next file of this shape.
    const remembered = Object.fromEntries(
      Object.entries(options.mapping).map(([h, target]) => [h, target.replace(/^new\./, 'custom.')]),
    );
    await saveMapping(tx, ctx.workspaceId, headerShape(row.headers), remembered);
    const actor: Actor = ctx.actor;
    const updated = await updateImport(tx, ctx.workspaceId, id, {
      status: 'queued',
      options: { ...row.options, ...options },
      actor: { ...actor, role: ctx.role },
    });
    if (opts.queue !== false)
      await tx.execute(sql`
        select graphile_worker.add_job(${IMPORT_TASK}, json_build_object('workspace_id', ${ctx.workspaceId}::text, 'import_id', ${id}::text),
          job_key => ${`${IMPORT_TASK}:${id}`}, max_attempts => 10)`);
    await recordAudit(tx, ctx, {
      action: 'import.started',
      entityType: 'import',
      entityId: id,
      changes: {
        on_duplicate: { before: null, after: options.on_duplicate },
        mapping: { before: null, after: options.mapping },
        consent: { before: null, after: options.consent },
        tags: { before: null, after: options.tags },
      },
    });
    return toImportJson(updated);
  });
}

function contextOf(row: ImportRow): WorkspaceContext {
  const actor = (row.actor ?? { type: 'system', id: null, label: 'import' }) as Actor & { role?: Role };
  return {
    workspaceId: row.workspaceId,
    role: actor.role ?? 'owner',
    actor: { type: actor.type, id: actor.id, label: actor.label } as Actor,
    ip: null,
    requestId: null,
  };
}

export interface RunHooks {
  /** Called after each committed batch with the import as it now stands. */
  onProgress?: (row: ImportJson) => void;
  /** Test hook: throw here to simulate a crash after a given batch (awaited: it may write meanwhile). */
  afterBatch?: (batchNumber: number) => void | Promise<void>;
  /** Filled with how many identity keys were looked up in the database (the rest were known new). */
  stats?: { lookedUpKeys: number };
  /** Rows per batch (tests use small ones); BATCH_SIZE by default. */
  batchSize?: number;
  /** Filled with the time spent per stage (the bench reports it). */
  timings?: ImportTimings;
}

/**
 * Runs (or resumes) a queued import: skips the rows already committed, then writes batch by batch,
 * each in one transaction together with its error rows, undo records and the counters. Stops
 * between batches when the import was cancelled.
 */
export async function runImport(
  db: Database,
  deps: ImportDeps,
  workspaceId: string,
  id: string,
  hooks: RunHooks = {},
) {
  let row = await getImportRow(db, workspaceId, id);
  if (row.status !== 'queued' && row.status !== 'running') return toImportJson(row);
  row = await updateImport(db, workspaceId, id, {
    status: 'running',
    startedAt: row.startedAt ?? new Date(),
    progressAt: new Date(),
  });
  const ctx = contextOf(row);
  const options = row.options as unknown as ImportOptions;
  const state = await prepareRun(db, ctx, row, options, deps, false);
  state.timings = hooks.timings;
  const batchSize = hooks.batchSize ?? BATCH_SIZE;
  const skip = row.committedRows;
  // A first run into a workspace without clients: rows can only match what this run writes (a
  // resumed run, or any client already there, looks every identity up).
  if (skip === 0) {
    const any = await db.execute<{ found: boolean }>(
      sql`select exists (select 1 from clients where workspace_id = ${workspaceId}) as found`,
    );
    if (!any.rows[0]!.found) state.fresh = { written: new WrittenKeys(), batchTimes: new Set() };
  }
  let seen = 0;
  let batchNumber = 0;
  let cancelled = false;
  // Where this runner believes the import stands; another runner (a watchdog restart while this one
  // was only slow) moving it makes this one stop instead of writing the same rows twice.
  let position = skip;
  let superseded = false;
  const commit = async (prepared: PreparedBatch) => {
    batchNumber++;
    const counts: Counts = {
      rows: prepared.rows,
      created: 0,
      updated: 0,
      duplicates: 0,
      invalid: 0,
      suppressed: 0,
    };
    const current = await db.transaction(async (tx) => {
      const locked = await getImportRow(tx, workspaceId, id, true);
      if (locked.committedRows !== position) superseded = true;
      if (locked.status !== 'running' || superseded) return null;
      await processBatch(tx, state, prepared, counts);
      await advanceImport(tx, workspaceId, id, counts);
      return getImportRow(tx, workspaceId, id);
    });
    position += prepared.rows;
    if (!current) {
      cancelled = true;
      return;
    }
    hooks.onProgress?.(toImportJson(current));
    if (hooks.stats) hooks.stats.lookedUpKeys = state.lookedUpKeys;
    await hooks.afterBatch?.(batchNumber);
  };
  // One batch is written while the next is read and normalized: the database's work (COPY, index
  // maintenance) overlaps this process's (parsing, normalizing). Batches still commit in order.
  let writing: Promise<void> | null = null;
  const handOver = async (batch: TableRow[]) => {
    const prepared = prepareBatch(state, batch);
    // The raw rows are not needed any more: let them go while the previous batch commits (at most
    // one batch is committing and one prepared at any time).
    batch.length = 0;
    if (writing) await writing;
    if (cancelled) return;
    const started = performance.now();
    writing = commit(prepared).finally(() => {
      if (state.timings) state.timings.commit += performance.now() - started;
    });
    // Awaited before the next batch (or at the end); this only keeps a failure from being "unhandled" meanwhile.
    writing.catch(() => undefined);
  };
  try {
    const { rows } = await openTable(row.filePath, shapeOf(row));
    let batch: TableRow[] = [];
    let readStarted = performance.now();
    for await (const r of rows) {
      if (++seen <= skip) continue;
      batch.push(r);
      if (batch.length >= batchSize) {
        if (state.timings) state.timings.read += performance.now() - readStarted;
        await handOver(batch);
        batch = [];
        if (cancelled) break;
        readStarted = performance.now();
      }
    }
    if (state.timings) state.timings.read += performance.now() - readStarted;
    if (batch.length && !cancelled) await handOver(batch);
    if (writing) await writing;
  } catch (error) {
    if (writing) await (writing as Promise<void>).catch(() => undefined);
    if (error instanceof AppError) {
      // The file itself is unreadable: retrying cannot help.
      const failed = await updateImport(db, workspaceId, id, {
        status: 'failed',
        error: error.message,
        finishedAt: new Date(),
      });
      return toImportJson(failed);
    }
    throw error;
  }
  // Another runner owns the import now: it finishes it.
  if (superseded) return toImportJson(await getImportRow(db, workspaceId, id));
  const finished = await db.transaction(async (tx) => {
    const locked = await getImportRow(tx, workspaceId, id, true);
    if (locked.status !== 'running' || locked.committedRows !== position) return locked;
    const done = await updateImport(tx, workspaceId, id, {
      status: 'completed',
      totalRows: locked.committedRows,
      finishedAt: new Date(),
    });
    await recordAudit(tx, ctx, {
      action: 'import.completed',
      entityType: 'import',
      entityId: id,
      changes: {
        rows: { before: null, after: done.committedRows },
        created: { before: null, after: done.created },
        updated: { before: null, after: done.updated },
        duplicates: { before: null, after: done.duplicates },
        invalid: { before: null, after: done.invalid },
        suppressed: { before: null, after: done.suppressed },
      },
    });
    return done;
  });
  await removeUpload(finished);
  // Segment counts, lists and a campaign sent next are planned from the clients' statistics, which
  // autovacuum would only bring up to date on its next round.
  if (finished.status === 'completed') await refreshClientStatistics(db, finished.created + finished.updated);
  return toImportJson(finished);
}

async function removeUpload(row: ImportRow) {
  // Only our own copies under the uploads folder; the CLI's file is the user's.
  if (row.options.uploaded === true) await unlink(row.filePath).catch(() => {});
}

export async function cancelImport(db: Database, ctx: WorkspaceContext, id: string) {
  const row = await db.transaction(async (tx) => {
    const locked = await getImportRow(tx, ctx.workspaceId, id, true);
    if (!['uploaded', 'queued', 'running'].includes(locked.status))
      throw new AppError(
        'NOT_ALLOWED_NOW',
        `This import is ${locked.status}; only one not finished can be cancelled`,
      );
    const updated = await updateImport(tx, ctx.workspaceId, id, {
      status: 'cancelled',
      finishedAt: new Date(),
    });
    await recordAudit(tx, ctx, {
      action: 'import.cancelled',
      entityType: 'import',
      entityId: id,
      changes: {
        status: { before: locked.status, after: 'cancelled' },
        processed_rows: { before: null, after: locked.committedRows },
      },
    });
    return updated;
  });
  await removeUpload(row);
  return toImportJson(row);
}

/**
 * Undoes a finished (or cancelled) import within 7 days: the clients it created are deleted and
 * the fields it changed on existing clients get their previous values back (tags it added removed).
 */
export async function undoImport(db: Database, ctx: WorkspaceContext, id: string) {
  return db.transaction(async (tx) => {
    const row = await getImportRow(tx, ctx.workspaceId, id, true);
    if (!['completed', 'cancelled'].includes(row.status))
      throw new AppError(
        'NOT_ALLOWED_NOW',
        `This import is ${row.status}; only a finished import can be undone`,
      );
    if (!row.finishedAt || Date.now() - row.finishedAt.getTime() > UNDO_DAYS * 86_400_000)
      throw new AppError(
        'NOT_ALLOWED_NOW',
        `An import can be undone for ${UNDO_DAYS} days after it finished`,
      );
    let removed = 0;
    let restored = 0;
    // The clients it created, a batch at a time.
    let afterRow: number | null = null;
    for (;;) {
      const batch = await importCreatedPage(tx, id, afterRow);
      if (!batch) break;
      afterRow = batch.firstRow;
      removed += await deleteClientsSet(tx, ctx.workspaceId, batch.clientIds);
    }
    // The clients it updated (and, for imports run before `import_created`, those it created).
    let after: string | null = null;
    for (;;) {
      const changes = await importChangesPage(tx, id, after, 5000);
      if (!changes.length) break;
      after = changes[changes.length - 1]!.clientId;
      removed += await deleteClientsSet(
        tx,
        ctx.workspaceId,
        changes.filter((c) => c.before === null).map((c) => c.clientId),
      );
      const updates = changes.filter((c) => c.before !== null);
      await restoreClientsSet(
        tx,
        ctx.workspaceId,
        updates.map((c) => ({
          id: c.clientId,
          before: c.before!,
          // Imports run before it was kept restore unconditionally.
          imported: (c.before!.imported as Record<string, unknown> | undefined) ?? null,
        })),
      );
      await removeTagsSet(
        tx,
        ctx.workspaceId,
        updates.map((c) => ({ clientId: c.clientId, names: c.addedTags ?? [] })),
      );
      for (const change of updates)
        if (change.before!.consent)
          await withdrawImportedConsent(
            tx,
            ctx,
            id,
            change.clientId,
            change.before!.consent as Record<string, boolean>,
          );
      restored += updates.length;
    }
    const updated = await updateImport(tx, ctx.workspaceId, id, { status: 'undone', undoneAt: new Date() });
    await recordAudit(tx, ctx, {
      action: 'import.undone',
      entityType: 'import',
      entityId: id,
      changes: {
        removed_clients: { before: null, after: removed },
        restored_clients: { before: null, after: restored },
      },
    });
    return { import: toImportJson(updated), removed_clients: removed, restored_clients: restored };
  });
}

/**
 * Undo of the consent an import granted an existing client: each channel goes back to its state
 * before the import (a withdrawal in the consent history, source `import`), unless something newer
 * than the import's grant decided it since (a form, an unsubscribe): the person's own word stays.
 */
async function withdrawImportedConsent(
  tx: Tx,
  ctx: WorkspaceContext,
  importId: string,
  clientId: string,
  before: Record<string, boolean>,
) {
  const latest = await latestConsentPerChannel(tx, ctx.workspaceId, clientId);
  const changes: Record<string, boolean> = {};
  for (const [channel, state] of Object.entries(before)) {
    const last = latest.find((l) => l.channel === channel);
    if (!state && last?.granted && last.source === 'import') changes[channel] = false;
  }
  if (!Object.keys(changes).length) return;
  const erased = await tx.execute<{ erased: boolean }>(
    sql`select erased_at is not null as erased from clients where workspace_id = ${ctx.workspaceId} and id = ${clientId}`,
  );
  if (erased.rows[0]?.erased !== false) return;
  await recordConsentChanges(tx, ctx, clientId, changes, {
    source: 'import',
    evidence: `import ${importId} undone`,
    ip: null,
    audit: false,
  });
}

/** The error report as CSV lines (header first), a page at a time. */
export async function* importErrorsCsv(db: DbOrTx, workspaceId: string, id: string): AsyncGenerator<string> {
  await getImportRow(db, workspaceId, id);
  const { stringify } = await import('csv-stringify/sync');
  yield stringify([['row', 'column', 'value', 'reason']], { record_delimiter: 'windows' });
  let after: { row: number; seq: number } | null = null;
  for (;;) {
    const rows = await importErrorPage(db, id, after, 5000);
    if (!rows.length) return;
    after = { row: rows[rows.length - 1]!.row, seq: rows[rows.length - 1]!.seq };
    yield stringify(
      rows.map((r) => [r.row, r.column ?? '', neutralize(r.value ?? ''), r.reason]),
      { record_delimiter: 'windows' },
    );
  }
}

/** A cell a spreadsheet would run as a formula is made inert text. */
export function neutralize(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/**
 * Imports left `running` without progress for 10 minutes (their worker process was killed: a job
 * locked by a dead worker is only released by graphile-worker after hours) are queued again; the
 * new run resumes after the last committed batch. Runs every 5 minutes.
 */
export async function requeueStalledImports(db: DbOrTx): Promise<number> {
  const stalled = await db.execute<{ id: string; workspace_id: string }>(sql`
    select id, workspace_id from imports
    where status = 'running' and progress_at < now() - interval '10 minutes'`);
  for (const row of stalled.rows)
    await db.execute(sql`
      select graphile_worker.add_job(${IMPORT_TASK}, json_build_object('workspace_id', ${row.workspace_id}::text, 'import_id', ${row.id}::text),
        job_key => ${`${IMPORT_TASK}:${row.id}`}, max_attempts => 10)`);
  return stalled.rows.length;
}

/**
 * At worker start: every import left queued or running is queued again (its job may be locked by
 * a process that died, which graphile-worker releases only after hours). If another live process
 * is still running one, the runner that commits second at the same position stops (see runImport).
 */
export async function requeueInterruptedImports(db: DbOrTx): Promise<number> {
  const interrupted = await db.execute<{ id: string; workspace_id: string }>(sql`
    select id, workspace_id from imports where status in ('queued', 'running')`);
  for (const row of interrupted.rows)
    await db.execute(sql`
      select graphile_worker.add_job(${IMPORT_TASK}, json_build_object('workspace_id', ${row.workspace_id}::text, 'import_id', ${row.id}::text),
        job_key => ${`${IMPORT_TASK}:${row.id}`}, max_attempts => 10)`);
  return interrupted.rows.length;
}

export function isTerminal(status: string) {
  return ['completed', 'failed', 'cancelled', 'undone'].includes(status);
}
