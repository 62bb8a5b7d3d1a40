import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import type { Actor, WorkspaceContext } from '../../platform/auth/context.ts';
import { hasRole, type Role } from '../../platform/auth/roles.ts';
import type { SecretBox } from '../../platform/crypto.ts';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { UUID } from '../../platform/db/ids.ts';
import { AppError, type ErrorDetail } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { afterCursor, decodeCursor, page } from '../../platform/pagination.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { campaignRecipients, campaignStats, DELIVERY_STATUSES } from '../campaigns/campaigns.service.ts';
import type { TimelineItem } from '../clients/client-data.ts';
import {
  type CsvExportColumn,
  clientPageForExport,
  clientsCsvCopy,
  countClientsWhere,
  type ExportedClient,
} from '../clients/clients.bulk.ts';
import { clientFilterWhere } from '../clients/clients.list.ts';
import type { ClientRow } from '../clients/clients.repo.ts';
import { clients } from '../clients/clients.schema.ts';
import { clientTimeline, clientTimelinePage, summarize } from '../clients/clients.timeline.ts';
import { type CustomField, listCustomFields } from '../custom-fields/custom-fields.service.ts';
import { listLocations } from '../locations/locations.service.ts';
import { membersSql } from '../segments/segments.service.ts';
import { exports } from './exports.schema.ts';

export const EXPORT_TASK = 'exports.run';
export const EXPORT_FORMATS = ['csv', 'xlsx', 'json', 'ndjson'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const SELECTION_KINDS = [
  'all',
  'ids',
  'filter',
  'segment',
  'campaign_recipients',
  'client_timeline',
] as const;
/** Selections that are not clients: their columns are fixed, read through their modules' services. */
const RECORD_KINDS = ['campaign_recipients', 'client_timeline'] as const;
type RecordKind = (typeof RECORD_KINDS)[number];
const isRecordKind = (kind: string): kind is RecordKind => (RECORD_KINDS as readonly string[]).includes(kind);
const PAGE = 10_000;
/** How long a finished file stays downloadable through its signed link. */
export const DOWNLOAD_HOURS = 24;
const DOWNLOAD_PURPOSE = 'export-download';

type ExportRow = typeof exports.$inferSelect;
type Kind = 'text' | 'number' | 'date' | 'datetime' | 'boolean' | 'list';

/** Exportable client fields: API name → its type, how to read it and the columns it needs. */
const FIELDS: Record<
  string,
  { kind: Kind; read: (c: ExportedClient) => unknown; columns: Column['columns'] }
> = {
  id: { kind: 'text', read: (c) => c.id, columns: ['id'] },
  first_name: { kind: 'text', read: (c) => c.firstName, columns: ['firstName'] },
  last_name: { kind: 'text', read: (c) => c.lastName, columns: ['lastName'] },
  email: { kind: 'text', read: (c) => c.email, columns: ['email'] },
  phone: { kind: 'text', read: (c) => c.phone, columns: ['phone'] },
  city: { kind: 'text', read: (c) => c.city, columns: ['city'] },
  country: { kind: 'text', read: (c) => c.country, columns: ['country'] },
  locale: { kind: 'text', read: (c) => c.locale, columns: ['locale'] },
  timezone: { kind: 'text', read: (c) => c.timezone, columns: ['timezone'] },
  source: { kind: 'text', read: (c) => c.source, columns: ['source'] },
  label: { kind: 'text', read: (c) => c.label, columns: ['label'] },
  external_id: { kind: 'text', read: (c) => c.externalId, columns: ['externalId'] },
  location_id: { kind: 'text', read: (c) => c.locationId, columns: ['locationId'] },
  /** The home location's name (read through a map of the workspace's locations, see columnsFor). */
  location: { kind: 'text', read: () => null, columns: ['locationId'] },
  birthday: { kind: 'date', read: (c) => c.birthday, columns: ['birthday'] },
  tags: { kind: 'list', read: (c) => c.tags, columns: [] },
  consent_email: { kind: 'boolean', read: (c) => c.consentEmail, columns: ['consentEmail'] },
  consent_sms: { kind: 'boolean', read: (c) => c.consentSms, columns: ['consentSms'] },
  consent_whatsapp: { kind: 'boolean', read: (c) => c.consentWhatsapp, columns: ['consentWhatsapp'] },
  consent_push: { kind: 'boolean', read: (c) => c.consentPush, columns: ['consentPush'] },
  lifetime_value: { kind: 'number', read: (c) => c.lifetimeValue, columns: ['lifetimeValue'] },
  booking_count: { kind: 'number', read: (c) => c.bookingCount, columns: ['bookingCount'] },
  visit_frequency_days: {
    kind: 'number',
    read: (c) => c.visitFrequencyDays,
    columns: ['visitFrequencyDays'],
  },
  risk_score: {
    kind: 'number',
    read: (c) => c.riskOverride ?? c.riskScore,
    columns: ['riskOverride', 'riskScore'],
  },
  last_booking_at: { kind: 'datetime', read: (c) => c.lastBookingAt, columns: ['lastBookingAt'] },
  last_activity_at: { kind: 'datetime', read: (c) => c.lastActivityAt, columns: ['lastActivityAt'] },
  created_at: { kind: 'datetime', read: (c) => c.createdAt, columns: ['createdAt'] },
  updated_at: { kind: 'datetime', read: (c) => c.updatedAt, columns: ['updatedAt'] },
};
export const EXPORT_FIELDS = Object.keys(FIELDS);
export const DEFAULT_FIELDS = [
  'id',
  'first_name',
  'last_name',
  'email',
  'phone',
  'city',
  'country',
  'tags',
  'consent_email',
  'consent_sms',
  'consent_whatsapp',
  'lifetime_value',
  'created_at',
];

export interface ExportInput {
  selection: {
    kind: string;
    ids?: string[];
    query?: Record<string, string>;
    segment_id?: string;
    campaign_id?: string;
    status?: string;
    client_id?: string;
  };
  fields?: string[];
  format: ExportFormat;
  csv_delimiter?: ',' | ';';
  bom?: boolean;
}

export interface ExportDeps {
  secrets: SecretBox;
  exportsDir: string;
}

// ---- cells ------------------------------------------------------------------------------------------

/**
 * A spreadsheet runs a cell starting with = + - @ (or a tab or CR before one) as a formula: such
 * text gets a leading apostrophe so it stays inert text. E.164 phones ("+34…") are numbers, not
 * formulas, and are left as they are.
 */
export function neutralizeCell(value: string): string {
  if (/^\+\d{6,15}$/.test(value)) return value;
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

interface Column<R = ExportedClient> {
  name: string;
  kind: Kind;
  read: (row: R) => unknown;
  /** The client columns it reads (only those are selected). */
  columns: Array<keyof ExportedClient & keyof ClientRow>;
}

type Recipient = Awaited<ReturnType<typeof campaignRecipients>>['recipients'][number];

/** A campaign's recipients: the deliveries ledger as the campaign page shows it. */
const RECIPIENT_COLUMNS: Column<Recipient>[] = [
  { name: 'delivery_id', kind: 'text', read: (r) => r.id, columns: [] },
  { name: 'client_id', kind: 'text', read: (r) => r.client_id, columns: [] },
  { name: 'client_name', kind: 'text', read: (r) => r.client_name, columns: [] },
  { name: 'address', kind: 'text', read: (r) => r.address, columns: [] },
  { name: 'channel', kind: 'text', read: (r) => r.channel, columns: [] },
  { name: 'status', kind: 'text', read: (r) => r.status, columns: [] },
  { name: 'skip_reason', kind: 'text', read: (r) => r.skip_reason, columns: [] },
  { name: 'error', kind: 'text', read: (r) => r.error, columns: [] },
  { name: 'sent_at', kind: 'datetime', read: (r) => (r.sent_at ? new Date(r.sent_at) : null), columns: [] },
];

/** A client's timeline, one line per item, as its CSV download in the clients module reads it. */
const TIMELINE_COLUMNS: Column<TimelineItem>[] = [
  { name: 'occurred_at', kind: 'datetime', read: (i) => new Date(i.occurred_at), columns: [] },
  { name: 'kind', kind: 'text', read: (i) => i.kind, columns: [] },
  { name: 'type', kind: 'text', read: (i) => i.type, columns: [] },
  { name: 'actor', kind: 'text', read: (i) => i.actor?.label ?? null, columns: [] },
  { name: 'summary', kind: 'text', read: (i) => summarize(i), columns: [] },
  {
    name: 'amount',
    kind: 'number',
    read: (i) => (i.kind === 'event' && typeof i.data.amount === 'number' ? i.data.amount : null),
    columns: [],
  },
  {
    name: 'currency',
    kind: 'text',
    read: (i) => (i.kind === 'event' && typeof i.data.currency === 'string' ? i.data.currency : null),
    columns: [],
  },
  { name: 'details', kind: 'text', read: (i) => JSON.stringify(i.data), columns: [] },
];

const RECORD_COLUMNS: Record<RecordKind, Column<never>[]> = {
  campaign_recipients: RECIPIENT_COLUMNS as Column<never>[],
  client_timeline: TIMELINE_COLUMNS as Column<never>[],
};

function customKind(field: CustomField): Kind {
  if (field.type === 'number') return 'number';
  if (field.type === 'date') return 'date';
  if (field.type === 'boolean') return 'boolean';
  if (field.type === 'multi_select') return 'list';
  return 'text';
}

function columnsFor(
  names: string[],
  fields: CustomField[],
  locationNames: Map<string, string> = new Map(),
): Column[] {
  return names.map((name) => {
    if (name === 'location')
      return {
        ...FIELDS.location!,
        name,
        read: (c: ExportedClient) => (c.locationId ? (locationNames.get(c.locationId) ?? null) : null),
      };
    if (name.startsWith('custom.')) {
      const key = name.slice(7);
      const field = fields.find((f) => f.key === key)!;
      return {
        name,
        kind: customKind(field),
        read: (c: ExportedClient) => c.custom?.[key] ?? null,
        columns: ['custom'] as Column['columns'],
      };
    }
    return { name, ...FIELDS[name]! };
  });
}

function textOf(value: unknown, kind: Kind): string {
  if (value === null || value === undefined) return '';
  if (kind === 'list' && Array.isArray(value)) return value.join(', ');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return String(value);
}

/** JSON keeps types: numbers, booleans, arrays, ISO dates. */
function jsonOf(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  return value ?? null;
}

/** XLSX cells typed: numbers as numbers, dates as dates, booleans as booleans, the rest inert text. */
function xlsxOf(value: unknown, kind: Kind): unknown {
  if (value === null || value === undefined) return null;
  if (kind === 'number') return typeof value === 'number' ? value : Number(value);
  if (kind === 'date') return new Date(`${String(value).slice(0, 10)}T00:00:00Z`);
  if (kind === 'datetime') return value instanceof Date ? value : new Date(String(value));
  if (kind === 'boolean') return Boolean(value);
  return neutralizeCell(textOf(value, kind));
}

// ---- writers ------------------------------------------------------------------------------------------

interface Writer<R> {
  write(rows: R[]): Promise<void>;
  end(): Promise<void>;
}

function finished(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
}

async function writeChunk(stream: Writable, chunk: string | Buffer) {
  if (!stream.write(chunk)) await new Promise((resolve) => stream.once('drain', resolve));
}

function openWriter<R>(
  file: string,
  format: ExportFormat,
  columns: Column<R>[],
  options: Record<string, unknown>,
  sheetName = 'Clients',
): Writer<R> {
  if (format === 'xlsx') {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
      filename: file,
      useSharedStrings: false,
      useStyles: true,
    });
    const sheet = workbook.addWorksheet(sheetName);
    sheet.columns = columns.map((c) => ({
      header: c.name,
      key: c.name,
      width: c.kind === 'datetime' ? 20 : 16,
      style:
        c.kind === 'date'
          ? { numFmt: 'yyyy-mm-dd' }
          : c.kind === 'datetime'
            ? { numFmt: 'yyyy-mm-dd hh:mm' }
            : {},
    }));
    return {
      async write(rows) {
        for (const row of rows) sheet.addRow(columns.map((c) => xlsxOf(c.read(row), c.kind))).commit();
      },
      async end() {
        sheet.commit();
        await workbook.commit();
      },
    };
  }
  const out = createWriteStream(file);
  const done = finished(out);
  if (format === 'csv') {
    // RFC 4180 by hand (one string per page instead of a stream write per record): a field is
    // quoted when it holds the delimiter, a quote, CR or LF; records end with CRLF.
    const delimiter = (options.delimiter as string) ?? ',';
    const needsQuotes = new RegExp(`[${delimiter === ';' ? ';' : ','}"\r\n]`);
    const field = (text: string) => (needsQuotes.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
    const line = (cells: string[]) => `${cells.map(field).join(delimiter)}\r\n`;
    void writeChunk(out, `${options.bom === true ? '\uFEFF' : ''}${line(columns.map((c) => c.name))}`);
    return {
      async write(rows) {
        let chunk = '';
        for (const row of rows)
          chunk += line(columns.map((c) => neutralizeCell(textOf(c.read(row), c.kind))));
        await writeChunk(out, chunk);
      },
      async end() {
        out.end();
        await done;
      },
    };
  }
  let first = true;
  if (format === 'json') void writeChunk(out, '[');
  return {
    async write(rows) {
      const lines = rows.map((row) =>
        JSON.stringify(Object.fromEntries(columns.map((c) => [c.name, jsonOf(c.read(row))]))),
      );
      if (format === 'ndjson') await writeChunk(out, `${lines.join('\n')}\n`);
      else if (lines.length) {
        await writeChunk(out, `${first ? '\n' : ',\n'}${lines.join(',\n')}`);
        first = false;
      }
    },
    async end() {
      if (format === 'json') await writeChunk(out, '\n]\n');
      out.end();
      await done;
    },
  };
}

// ---- selection --------------------------------------------------------------------------------------

async function selectionWhere(
  db: DbOrTx,
  ctx: WorkspaceContext,
  selection: ExportInput['selection'],
): Promise<SQL> {
  const live = sql`${clients.workspaceId} = ${ctx.workspaceId} and ${clients.erasedAt} is null`;
  switch (selection.kind) {
    case 'all':
      // Everyone active: archived clients are exported from the list's Archived view (a filter or ids).
      return sql`${live} and ${clients.archivedAt} is null`;
    case 'ids': {
      const ids = (selection.ids ?? []).filter((id) => UUID.test(id));
      return sql`${live} and ${clients.id} = any(${sql.param(ids)}::uuid[])`;
    }
    case 'filter':
      return clientFilterWhere(db, ctx, (selection.query ?? {}) as Record<string, string>);
    case 'segment':
      return sql`${live} and ${clients.id} in (${await membersSql(db, ctx.workspaceId, selection.segment_id ?? '')})`;
    default:
      throw AppError.validation([
        { path: '/selection/kind', message: `one of ${SELECTION_KINDS.join(', ')}` },
      ]);
  }
}

function contextOf(row: ExportRow): WorkspaceContext {
  const actor = row.actor as unknown as Actor & { role: Role };
  return {
    workspaceId: row.workspaceId,
    role: actor.role,
    actor: { type: actor.type, id: actor.id, label: actor.label } as Actor,
    ip: null,
    requestId: null,
  };
}

// ---- service ------------------------------------------------------------------------------------------

export function toExportJson(row: ExportRow, deps: Pick<ExportDeps, 'secrets'>) {
  const downloadable = row.status === 'completed' && row.expiresAt && row.expiresAt.getTime() > Date.now();
  return {
    id: row.id,
    status: row.status as 'queued' | 'running' | 'completed' | 'failed',
    selection: row.selection,
    fields: row.fields,
    format: row.format as ExportFormat,
    options: row.options,
    total_rows: row.totalRows,
    processed_rows: row.processedRows,
    size_bytes: row.sizeBytes,
    error: row.error,
    created_by: row.createdByLabel,
    created_at: iso(row.createdAt),
    finished_at: iso(row.finishedAt),
    expires_at: iso(row.expiresAt),
    download_url: downloadable
      ? `/api/v1/exports/${row.id}/download?token=${deps.secrets.sign(DOWNLOAD_PURPOSE, { id: row.id, exp: row.expiresAt!.getTime() })}`
      : null,
  };
}

async function findExport(db: DbOrTx, workspaceId: string, id: string) {
  const [row] = UUID.test(id)
    ? await db
        .select()
        .from(exports)
        .where(and(eq(exports.workspaceId, workspaceId), eq(exports.id, id)))
    : [];
  if (!row) throw AppError.notFound('Export');
  return row;
}

/** Hidden custom fields of the caller's role (their values are left out of timeline exports). */
async function hiddenCustomKeys(db: DbOrTx, ctx: WorkspaceContext): Promise<string[]> {
  return (await listCustomFields(db, ctx.workspaceId, true))
    .filter((f) => !hasRole(ctx.role, f.visibleMinRole as Role))
    .map((f) => f.key);
}

/**
 * A campaign's recipients or a client's timeline: the fields are that kind's fixed columns (a
 * subset may be chosen), and the campaign or client must be this workspace's (else 404).
 * Returns the fields and, for recipients, how many rows there will be.
 */
async function validateRecordSelection(
  db: DbOrTx,
  ctx: WorkspaceContext,
  input: ExportInput,
  kind: RecordKind,
): Promise<{ fields: string[]; total: number | null }> {
  const problems: ErrorDetail[] = [];
  const names = RECORD_COLUMNS[kind].map((c) => c.name);
  const fields = input.fields?.length ? [...new Set(input.fields)] : names;
  fields.forEach((name, i) => {
    if (!names.includes(name))
      problems.push({ path: `/fields/${i}`, message: `unknown field "${name}"; use ${names.join(', ')}` });
  });
  const { campaign_id, client_id, status } = input.selection;
  if (kind === 'campaign_recipients') {
    if (!campaign_id || !UUID.test(campaign_id))
      problems.push({
        path: '/selection/campaign_id',
        message: 'give the campaign whose recipients to export',
      });
    if (status && !(DELIVERY_STATUSES as readonly string[]).includes(status))
      problems.push({ path: '/selection/status', message: `one of ${DELIVERY_STATUSES.join(', ')}` });
  } else if (!client_id || !UUID.test(client_id))
    problems.push({ path: '/selection/client_id', message: 'give the client whose timeline to export' });
  if (problems.length) throw AppError.validation(problems);
  if (kind === 'campaign_recipients') {
    // Through the campaigns service: a campaign of another workspace is a 404 there.
    const stats = await campaignStats(db, ctx, campaign_id!);
    const total = status ? stats.counts[status as keyof typeof stats.counts] : stats.progress.total;
    return { fields, total };
  }
  await clientTimeline(db, ctx.workspaceId, client_id!, { limit: 1 });
  return { fields, total: null };
}

/** Checks fields and selection (a bad one is a 400 naming it) and resolves the default fields. */
export async function validateExportInput(db: DbOrTx, ctx: WorkspaceContext, input: ExportInput) {
  const kind = input.selection.kind;
  if (isRecordKind(kind)) {
    const { fields, total } = await validateRecordSelection(db, ctx, input, kind);
    return { fields, where: null, total };
  }
  const problems: ErrorDetail[] = [];
  const visible = (await listCustomFields(db, ctx.workspaceId, true)).filter((f) =>
    hasRole(ctx.role, f.visibleMinRole as Role),
  );
  const fields = input.fields?.length
    ? [...new Set(input.fields)]
    : [...DEFAULT_FIELDS, ...visible.filter((f) => !f.archivedAt).map((f) => `custom.${f.key}`)];
  fields.forEach((name, i) => {
    if (name.startsWith('custom.') ? !visible.some((f) => f.key === name.slice(7)) : !FIELDS[name])
      problems.push({
        path: `/fields/${i}`,
        message: `unknown field "${name}"; use ${EXPORT_FIELDS.join(', ')} or custom.<key>`,
      });
  });
  if (input.selection.kind === 'ids' && !input.selection.ids?.length)
    problems.push({ path: '/selection/ids', message: 'give the ids of the clients to export' });
  if (input.selection.kind === 'segment' && !input.selection.segment_id)
    problems.push({ path: '/selection/segment_id', message: 'give the segment to export' });
  if (problems.length) throw AppError.validation(problems);
  const where = await selectionWhere(db, ctx, input.selection);
  return { fields, where, total: null as number | null };
}

/**
 * Queues an export: the selection and fields are checked now (a bad filter or an unknown field is a
 * 400 naming it), the count is taken, and the job writes the file.
 */
export async function createExport(
  db: Database,
  deps: ExportDeps,
  ctx: WorkspaceContext,
  input: ExportInput,
  origin: { scheduleId?: string } = {},
) {
  const checked = await validateExportInput(db, ctx, input);
  const { fields } = checked;
  const total = checked.where ? await countClientsWhere(db, checked.where) : checked.total;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(exports)
      .values({
        workspaceId: ctx.workspaceId,
        scheduleId: origin.scheduleId ?? null,
        selection: input.selection as Record<string, unknown>,
        fields,
        format: input.format,
        options: { delimiter: input.csv_delimiter ?? ',', bom: input.bom ?? false },
        totalRows: total,
        actor: { ...ctx.actor, role: ctx.role },
        createdByLabel: ctx.actor.label,
      })
      .returning();
    await tx.execute(sql`
      select graphile_worker.add_job(${EXPORT_TASK}, json_build_object('workspace_id', ${ctx.workspaceId}::text, 'export_id', ${row!.id}::text),
        job_key => ${`${EXPORT_TASK}:${row!.id}`}, max_attempts => 3)`);
    // Who, what selection, how many rows, which fields (values never).
    await recordAudit(tx, ctx, {
      action: 'export.requested',
      entityType: 'export',
      entityId: row!.id,
      changes: {
        selection: { before: null, after: input.selection },
        fields: { before: null, after: fields },
        format: { before: null, after: input.format },
        rows: { before: null, after: total },
      },
    });
    return toExportJson(row!, deps);
  });
}

type Progress = (done: number) => Promise<unknown>;

/**
 * CRLF record ends (RFC 4180) for the server's LF-terminated CSV, quotes tracked so a newline
 * inside a quoted cell stays as it is; counts the records for the progress.
 */
const CRLF = Buffer.from('\r\n');

class CrlfRecords extends Transform {
  records = 0;
  private quoted = false;
  constructor(
    head: string,
    private readonly onRecords: (records: number) => void,
  ) {
    super();
    this.push(Buffer.from(head, 'utf8'));
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
    const before = this.records;
    let out: Buffer;
    if (!this.quoted && chunk.indexOf(0x22) === -1) {
      // No quote in the chunk (most rows): every LF ends a record.
      const parts: Buffer[] = [];
      let from = 0;
      for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, from)) {
        parts.push(chunk.subarray(from, at), CRLF);
        this.records++;
        from = at + 1;
      }
      parts.push(chunk.subarray(from));
      out = Buffer.concat(parts);
    } else {
      out = Buffer.allocUnsafe(chunk.length * 2);
      let at = 0;
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i]!;
        if (byte === 0x22) this.quoted = !this.quoted;
        else if (byte === 0x0a && !this.quoted) {
          out[at++] = 0x0d;
          this.records++;
        }
        out[at++] = byte;
      }
      out = out.subarray(0, at);
    }
    if (Math.floor(this.records / 50_000) > Math.floor(before / 50_000)) this.onRecords(this.records);
    done(null, out);
  }
}

/** A CSV of clients made by PostgreSQL (COPY): the same cells as the page-by-page writer, much faster. */
async function writeClientsCsv(
  db: Database,
  ctx: WorkspaceContext,
  selection: ExportInput['selection'],
  file: string,
  row: ExportRow,
  progress: Progress,
): Promise<number> {
  const fields = await listCustomFields(db, ctx.workspaceId, true);
  const columns: CsvExportColumn[] = row.fields.map((name) => {
    if (name === 'tags') return { source: 'tags' };
    if (name === 'location') return { source: 'location' };
    if (name.startsWith('custom.')) {
      const field = fields.find((f) => f.key === name.slice(7))!;
      return { source: 'custom', key: field.key, kind: customKind(field) };
    }
    const field = FIELDS[name]!;
    return {
      source: 'column',
      column: name === 'risk_score' ? 'riskScore' : field.columns[0]!,
      kind: field.kind as Exclude<Kind, 'list'>,
    };
  });
  const where = await selectionWhere(db, ctx, selection);
  const delimiter = (row.options.delimiter as ',' | ';' | undefined) ?? ',';
  const quote = new RegExp(`[${delimiter}"\r\n]`);
  const header = row.fields.map((n) => (quote.test(n) ? `"${n.replace(/"/g, '""')}"` : n)).join(delimiter);
  return db.transaction(async (tx) => {
    // "All clients" reads the workspace's live clients straight from their index; other selections
    // go through a temporary table of ids (their SQL has parameters, which COPY cannot take).
    const stream = await clientsCsvCopy(
      tx,
      ctx.workspaceId,
      selection.kind === 'all' ? null : where,
      columns,
      delimiter,
    );
    const records = new CrlfRecords(`${row.options.bom === true ? '\uFEFF' : ''}${header}\r\n`, (n) => {
      void progress(n).catch(() => undefined);
    });
    await pipeline(stream, records, createWriteStream(file));
    await progress(records.records);
    return records.records;
  });
}

/** Clients: keyset pages of only the chosen columns; the next page is read while one is written. */
async function writeClients(
  db: Database,
  ctx: WorkspaceContext,
  selection: ExportInput['selection'],
  file: string,
  format: ExportFormat,
  row: ExportRow,
  progress: Progress,
): Promise<number> {
  const fields = await listCustomFields(db, ctx.workspaceId, true);
  const locationNames = row.fields.includes('location')
    ? new Map((await listLocations(db, ctx.workspaceId, true)).map((l) => [l.id, l.name]))
    : new Map<string, string>();
  const columns = columnsFor(row.fields, fields, locationNames);
  const where = await selectionWhere(db, ctx, selection);
  const writer = openWriter(file, format, columns, row.options);
  const wanted = {
    columns: [...new Set(columns.flatMap((c) => c.columns))],
    tags: columns.some((c) => c.name === 'tags'),
  };
  const pageAfter = (after: string | null) =>
    clientPageForExport(db, ctx.workspaceId, where, after, PAGE, wanted);
  let done = 0;
  let next: Promise<ExportedClient[]> | null = pageAfter(null);
  while (next) {
    const rows: ExportedClient[] = await next;
    next = rows.length === PAGE ? pageAfter(rows[rows.length - 1]!.id) : null;
    next?.catch(() => undefined);
    if (!rows.length) break;
    await writer.write(rows);
    done += rows.length;
    if (done % (PAGE * 10) < PAGE || !next) await progress(done);
  }
  await writer.end();
  return done;
}

/** A campaign's recipients or a client's timeline, page by page through their modules' read functions. */
async function writeRecords(
  db: Database,
  ctx: WorkspaceContext,
  selection: ExportInput['selection'],
  file: string,
  format: ExportFormat,
  row: ExportRow,
  progress: Progress,
): Promise<number> {
  const kind = selection.kind as RecordKind;
  const all = RECORD_COLUMNS[kind] as Column<unknown>[];
  const columns = row.fields.map((name) => all.find((c) => c.name === name)!).filter(Boolean);
  const writer = openWriter(
    file,
    format,
    columns,
    row.options,
    kind === 'campaign_recipients' ? 'Recipients' : 'Timeline',
  );
  const hidden = kind === 'client_timeline' ? await hiddenCustomKeys(db, ctx) : [];
  let cursor: string | null = null;
  let done = 0;
  do {
    const items: unknown[] =
      kind === 'campaign_recipients'
        ? await campaignRecipients(db, ctx, selection.campaign_id!, {
            status: selection.status as Recipient['status'] | undefined,
            limit: 1000,
            cursor: cursor ?? undefined,
          }).then((p) => {
            cursor = p.next_cursor;
            return p.recipients;
          })
        : await clientTimelinePage(db, ctx.workspaceId, selection.client_id!, {
            limit: 500,
            cursor,
            hiddenCustomKeys: hidden,
          }).then((p) => {
            cursor = p.next_cursor;
            return p.items;
          });
    await writer.write(items);
    done += items.length;
    await progress(done);
  } while (cursor);
  await writer.end();
  return done;
}

/** The job: streams the selection page by page (keyset on id) into the file; memory stays flat. */
export async function runExport(
  db: Database,
  deps: ExportDeps,
  workspaceId: string,
  id: string,
  /** `csvByPages`: CSV through the page-by-page writer instead of COPY (tests compare the two). */
  options: { csvByPages?: boolean } = {},
) {
  const row = await findExport(db, workspaceId, id);
  if (row.status === 'completed') return toExportJson(row, deps);
  const ctx = contextOf(row);
  await db.update(exports).set({ status: 'running', processedRows: 0 }).where(eq(exports.id, id));
  await mkdir(deps.exportsDir, { recursive: true });
  const file = path.join(deps.exportsDir, `${id}.${row.format}`);
  // This run's own file until it is complete (a re-queued run may overlap a slow one).
  const partial = `${file}.${randomUUID()}.partial`;
  try {
    const selection = row.selection as ExportInput['selection'];
    const format = row.format as ExportFormat;
    const progress = (done: number) =>
      db.update(exports).set({ processedRows: done }).where(eq(exports.id, id));
    const done = isRecordKind(selection.kind)
      ? await writeRecords(db, ctx, selection, partial, format, row, progress)
      : format === 'csv' && !options.csvByPages
        ? await writeClientsCsv(db, ctx, selection, partial, row, progress)
        : await writeClients(db, ctx, selection, partial, format, row, progress);
    await rename(partial, file);
    const { size } = await stat(file);
    const finishedRow = await db.transaction(async (tx) => {
      const [updated] = await tx
        .update(exports)
        .set({
          status: 'completed',
          processedRows: done,
          totalRows: done,
          filePath: file,
          sizeBytes: size,
          finishedAt: new Date(),
          expiresAt: new Date(Date.now() + DOWNLOAD_HOURS * 3_600_000),
        })
        .where(eq(exports.id, id))
        .returning();
      await recordAudit(tx, ctx, {
        action: 'export.completed',
        entityType: 'export',
        entityId: id,
        changes: { rows: { before: null, after: done }, size_bytes: { before: null, after: size } },
      });
      return updated!;
    });
    return toExportJson(finishedRow, deps);
  } catch (error) {
    await unlink(partial).catch(() => {});
    await db
      .update(exports)
      .set({
        status: 'failed',
        error: error instanceof Error ? error.message : String(error),
        finishedAt: new Date(),
      })
      .where(eq(exports.id, id));
    if (error instanceof AppError) return toExportJson(await findExport(db, workspaceId, id), deps);
    throw error;
  }
}

export async function getExport(db: DbOrTx, deps: ExportDeps, workspaceId: string, id: string) {
  return toExportJson(await findExport(db, workspaceId, id), deps);
}

export async function listExports(
  db: DbOrTx,
  deps: ExportDeps,
  workspaceId: string,
  options: { cursor?: string; limit: number },
) {
  const cursor = decodeCursor(options.cursor);
  const rows = await db
    .select()
    .from(exports)
    .where(and(eq(exports.workspaceId, workspaceId), afterCursor(exports.createdAt, exports.id, cursor)))
    .orderBy(desc(exports.createdAt), desc(exports.id))
    .limit(options.limit + 1);
  const { items, nextCursor } = page(rows, options.limit, (r) => [r.createdAt, r.id]);
  return { exports: items.map((r) => toExportJson(r, deps)), next_cursor: nextCursor };
}

const FILE_PREFIX: Record<string, string> = {
  campaign_recipients: 'campaign-recipients',
  client_timeline: 'client-timeline',
};

const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/** The file behind a signed link (no session needed: the token is the permission, and it expires). */
export async function resolveDownload(db: DbOrTx, deps: ExportDeps, id: string, token: string) {
  const payload = deps.secrets.verify<{ id: string; exp: number }>(DOWNLOAD_PURPOSE, token);
  if (!payload || payload.id !== id) throw new AppError('FORBIDDEN', 'This download link is not valid');
  if (payload.exp < Date.now())
    throw new AppError('NOT_ALLOWED_NOW', 'This download link has expired; export again');
  const [row] = UUID.test(id) ? await db.select().from(exports).where(eq(exports.id, id)) : [];
  if (!row?.filePath || row.status !== 'completed') throw AppError.notFound('Export');
  return {
    path: row.filePath,
    contentType: CONTENT_TYPES[row.format as ExportFormat],
    fileName: `${FILE_PREFIX[String(row.selection.kind)] ?? 'clients'}-${row.createdAt.toISOString().slice(0, 10)}.${row.format}`,
  };
}

/**
 * At worker start: exports left queued or running (their process died) are queued again; each run
 * writes its own temporary file and renames it into place, so a second runner is harmless.
 */
export async function requeueInterruptedExports(db: DbOrTx): Promise<number> {
  const interrupted = await db
    .select({ id: exports.id, workspaceId: exports.workspaceId })
    .from(exports)
    .where(sql`${exports.status} in ('queued', 'running')`);
  for (const row of interrupted)
    await db.execute(sql`
      select graphile_worker.add_job(${EXPORT_TASK}, json_build_object('workspace_id', ${row.workspaceId}::text, 'export_id', ${row.id}::text),
        job_key => ${`${EXPORT_TASK}:${row.id}`}, max_attempts => 3)`);
  return interrupted.length;
}

/** Deletes the files of exports whose link expired (run hourly); the export rows stay as history. */
export async function removeExpiredExportFiles(db: DbOrTx, now = new Date()): Promise<number> {
  const expired = await db
    .select({ id: exports.id, filePath: exports.filePath })
    .from(exports)
    .where(sql`${exports.expiresAt} < ${now.toISOString()}::timestamptz and ${exports.filePath} is not null`);
  for (const row of expired) {
    await unlink(row.filePath!).catch(() => {});
    await db.update(exports).set({ filePath: null }).where(eq(exports.id, row.id));
  }
  return expired.length;
}
