import { and, eq, getTableColumns, isNull, type SQL, sql } from 'drizzle-orm';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { Actor, WorkspaceContext } from '../../platform/auth/context.ts';
import { hasRole, type Role } from '../../platform/auth/roles.ts';
import type { Database, DbOrTx, Tx } from '../../platform/db/db.ts';
import { UUID } from '../../platform/db/ids.ts';
import { analyzeIfStale } from '../../platform/db/statistics.ts';
import { AppError, type ErrorDetail } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { isCountryCode, isTimeZone } from '../../platform/locale.ts';
import { recordAudit } from '../audit/audit.service.ts';
import {
  type CustomField,
  listCustomFields,
  validateCustomValues,
  visibleCustomValues,
} from '../custom-fields/custom-fields.service.ts';
import { getLocation } from '../locations/locations.service.ts';
import {
  addClientTags,
  clearClientTags,
  moveClientTags,
  removeClientTags,
  tagNamesOfClients,
  validateTagName,
} from '../tags/tags.service.ts';
import { getWorkspace, membershipOf } from '../workspaces/workspaces.service.ts';
import { clientDataParticipants, type TimelineItem, type TimelineWindow } from './client-data.ts';
import {
  advanceLastContacted,
  type ClientRow,
  type ClientValues,
  deleteHistory,
  findClient,
  findClientByExternalId,
  findClientWithContact,
  historyPage,
  insertClient,
  insertHistory,
  insertHistoryRows,
  listClientIdsWithContact,
  listLabelRows,
  moveHistory,
  updateClientRow,
} from './clients.repo.ts';
import { clients } from './clients.schema.ts';

export type { ClientRow } from './clients.repo.ts';

export const CHANNELS = ['email', 'sms', 'whatsapp', 'push'] as const;
export type Channel = (typeof CHANNELS)[number];
export const CONTACT_METHODS = ['email', 'sms', 'whatsapp', 'phone'] as const;

/** The API shape of a client write; every field optional, null clears (on update). */
export interface ClientInput {
  first_name?: string | null;
  last_name?: string | null;
  email?: string | null;
  phone?: string | null;
  city?: string | null;
  country?: string | null;
  locale?: string | null;
  timezone?: string | null;
  source?: string | null;
  label?: string | null;
  external_id?: string | null;
  location_id?: string | null;
  account_manager_id?: string | null;
  preferred_contact_method?: string | null;
  birthday?: string | null;
  tags?: string[];
  custom?: Record<string, unknown>;
  consent?: Partial<Record<Channel, boolean>>;
  consent_evidence?: string | null;
  allow_duplicate?: boolean;
}

/** Client columns a person can set, API name → column. */
const FIELD_COLUMNS = {
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
  location_id: 'locationId',
  account_manager_id: 'accountManagerId',
  preferred_contact_method: 'preferredContactMethod',
  birthday: 'birthday',
} as const satisfies Record<string, keyof ClientRow>;
type FieldName = keyof typeof FIELD_COLUMNS;
const FIELD_NAMES = Object.keys(FIELD_COLUMNS) as FieldName[];

/** Personal data: the audit log records that these changed, never their values (those go to the erasable history). */
const PERSONAL_FIELDS = new Set<string>([
  'first_name',
  'last_name',
  'email',
  'phone',
  'city',
  'birthday',
  'external_id',
]);

// ---- normalization --------------------------------------------------------------------------------

/** Lower-case and accent-free, so "jose" finds "José" and "ÉLODIE" finds "Élodie". */
export function foldText(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

export function normalizeEmail(value: string): string {
  return value.trim().toLowerCase();
}

export function normalizePhone(raw: string, defaultCountry: string): string | null {
  const phone = parsePhoneNumberFromString(raw.trim(), defaultCountry as CountryCode);
  return phone?.isPossible() ? phone.number : null;
}

export function displayName(
  row: Pick<ClientRow, 'firstName' | 'lastName' | 'email' | 'phone' | 'externalId'>,
): string {
  const name = [row.firstName, row.lastName].filter(Boolean).join(' ').trim();
  return name || row.email || row.phone || row.externalId || '—';
}

/** What `q` searches: names, email, phone digits (international and national) and the external id. */
export function searchTextOf(
  row: Pick<ClientRow, 'firstName' | 'lastName' | 'email' | 'phone' | 'externalId'>,
): string {
  const parts = [row.firstName, row.lastName, row.email, row.externalId];
  if (row.phone) {
    parts.push(row.phone.replace(/\D/g, ''));
    const parsed = parsePhoneNumberFromString(row.phone);
    if (parsed) parts.push(parsed.formatNational().replace(/\D/g, ''));
  }
  return foldText(parts.filter(Boolean).join(' '));
}

function isDateOnly(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

interface Normalized {
  values: ClientValues;
  tags: string[] | undefined;
  consent: Partial<Record<Channel, boolean>> | undefined;
  consentEvidence: string | null;
}

interface WriteContext {
  role: Role;
  defaultCountry: string;
  fields: CustomField[];
  labels: Set<string>;
}

async function writeContext(db: DbOrTx, ctx: WorkspaceContext): Promise<WriteContext> {
  const [workspace, fields, labels] = await Promise.all([
    getWorkspace(db, ctx.workspaceId),
    listCustomFields(db, ctx.workspaceId),
    listLabelRows(db, ctx.workspaceId),
  ]);
  return {
    role: ctx.role,
    defaultCountry: workspace.defaultCountry,
    fields,
    labels: new Set(labels.map((l) => l.key)),
  };
}

/**
 * Validates and normalizes a client write. Every problem is collected and reported at once with
 * its JSON path; nothing is written when there is one.
 */
async function normalizeInput(
  db: DbOrTx,
  ctx: WorkspaceContext,
  wc: WriteContext,
  input: ClientInput,
  existing: ClientRow | null,
): Promise<Normalized> {
  const problems: ErrorDetail[] = [];
  const values: ClientValues = {};
  const text = (name: FieldName, max: number) => {
    const raw = input[name];
    if (raw === undefined) return;
    if (raw === null || (typeof raw === 'string' && raw.trim() === '')) {
      (values as Record<string, unknown>)[FIELD_COLUMNS[name]] = null;
      return;
    }
    const value = String(raw).trim();
    if (value.length > max) problems.push({ path: `/${name}`, message: `at most ${max} characters` });
    (values as Record<string, unknown>)[FIELD_COLUMNS[name]] = value;
  };
  text('first_name', 200);
  text('last_name', 200);
  text('city', 200);
  text('source', 200);
  text('external_id', 200);

  if (input.country !== undefined) {
    const country = input.country?.trim().toUpperCase() || null;
    if (country && !isCountryCode(country))
      problems.push({ path: '/country', message: 'not an ISO 3166-1 alpha-2 code' });
    values.country = country;
  }
  if (input.email !== undefined) {
    const email = input.email ? normalizeEmail(input.email) : null;
    if (email && (email.length > 254 || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)))
      problems.push({ path: '/email', message: 'not a valid email address' });
    values.email = email || null;
  }
  if (input.phone !== undefined) {
    if (input.phone === null || input.phone.trim() === '') values.phone = null;
    else {
      const country = values.country ?? existing?.country ?? wc.defaultCountry;
      const phone = normalizePhone(input.phone, country);
      if (!phone)
        problems.push({
          path: '/phone',
          message: `not a possible phone number (numbers without a country code are read as ${country})`,
        });
      values.phone = phone;
    }
  }
  if (input.locale !== undefined) {
    const locale = input.locale?.trim() || null;
    if (locale && !/^[a-z]{2,3}(-[A-Za-z]{2,4})?$/.test(locale))
      problems.push({ path: '/locale', message: 'a language tag such as es, fr or en-GB' });
    values.locale = locale;
  }
  if (input.timezone !== undefined) {
    const tz = input.timezone?.trim() || null;
    if (tz && !isTimeZone(tz))
      problems.push({ path: '/timezone', message: 'not an IANA time zone such as Europe/Madrid' });
    values.timezone = tz;
  }
  if (input.label !== undefined) {
    const label = input.label?.trim() || null;
    if (label && !wc.labels.has(label))
      problems.push({
        path: '/label',
        message: `unknown label; this workspace has ${[...wc.labels].join(', ')}`,
      });
    values.label = label;
  }
  if (input.preferred_contact_method !== undefined) {
    const method = input.preferred_contact_method || null;
    if (method && !(CONTACT_METHODS as readonly string[]).includes(method))
      problems.push({
        path: '/preferred_contact_method',
        message: `must be one of ${CONTACT_METHODS.join(', ')}`,
      });
    values.preferredContactMethod = method;
  }
  if (input.birthday !== undefined) {
    const birthday = input.birthday || null;
    if (
      birthday &&
      (!isDateOnly(birthday) || birthday < '1900-01-01' || birthday > new Date().toISOString().slice(0, 10))
    )
      problems.push({ path: '/birthday', message: 'a past date as YYYY-MM-DD' });
    values.birthday = birthday;
  }
  if (input.location_id !== undefined) {
    const id = input.location_id || null;
    if (
      id &&
      !(
        UUID.test(id) &&
        (await getLocation(db, ctx.workspaceId, id).then(
          () => true,
          () => false,
        ))
      )
    )
      problems.push({ path: '/location_id', message: 'no such location in this workspace' });
    values.locationId = id;
  }
  if (input.account_manager_id !== undefined) {
    const id = input.account_manager_id || null;
    if (id && !(UUID.test(id) && (await membershipOf(db, ctx.workspaceId, id))))
      problems.push({ path: '/account_manager_id', message: 'not a member of this workspace' });
    values.accountManagerId = id;
  }
  let tags: string[] | undefined;
  if (input.tags !== undefined) {
    tags = [];
    input.tags.forEach((name, i) => {
      const problem = validateTagName(name, `/tags/${i}`);
      if (problem) problems.push(problem);
      else tags!.push(name);
    });
  }
  if (input.custom !== undefined) {
    const { values: custom, problems: customProblems } = validateCustomValues(wc.fields, input.custom, {
      role: wc.role,
      defaultCountry: values.country ?? existing?.country ?? wc.defaultCountry,
      creating: !existing,
      existing: existing?.custom,
    });
    problems.push(...customProblems);
    values.custom = Object.fromEntries(
      Object.entries({ ...(existing?.custom ?? {}), ...custom }).filter(([, v]) => v !== null),
    );
  } else if (!existing) {
    const { problems: missing } = validateCustomValues(
      wc.fields,
      {},
      { role: wc.role, defaultCountry: wc.defaultCountry, creating: true },
    );
    problems.push(...missing);
  }
  if (input.consent !== undefined) {
    for (const key of Object.keys(input.consent)) {
      if (!(CHANNELS as readonly string[]).includes(key))
        problems.push({ path: `/consent/${key}`, message: `unknown channel; use ${CHANNELS.join(', ')}` });
    }
  }

  const merged = { ...(existing ?? {}), ...values } as ClientRow;
  if (!merged.firstName && !merged.lastName && !merged.email && !merged.phone)
    problems.push({ path: '/', message: 'a client needs at least a name, an email or a phone' });
  if (problems.length) throw AppError.validation(problems);
  return {
    values,
    tags,
    consent: input.consent,
    consentEvidence: input.consent_evidence?.trim() || null,
  };
}

// ---- JSON -----------------------------------------------------------------------------------------

export function toClientJson(row: ClientRow, tags: string[], custom: Record<string, unknown> = row.custom) {
  return {
    id: row.id,
    name: displayName(row),
    first_name: row.firstName,
    last_name: row.lastName,
    email: row.email,
    phone: row.phone,
    city: row.city,
    country: row.country,
    locale: row.locale,
    timezone: row.timezone,
    source: row.source,
    label: row.label,
    external_id: row.externalId,
    location_id: row.locationId,
    account_manager_id: row.accountManagerId,
    preferred_contact_method: row.preferredContactMethod,
    birthday: row.birthday,
    tags,
    custom,
    consent: {
      email: row.consentEmail,
      sms: row.consentSms,
      whatsapp: row.consentWhatsapp,
      push: row.consentPush,
    },
    lifetime_value: row.lifetimeValue,
    booking_count: row.bookingCount,
    visit_frequency_days: row.visitFrequencyDays,
    risk_score: row.riskOverride ?? row.riskScore,
    risk_override:
      row.riskOverride !== null ? { score: row.riskOverride, reason: row.riskOverrideReason } : null,
    last_booking_at: iso(row.lastBookingAt),
    last_activity_at: iso(row.lastActivityAt),
    last_contacted_at: iso(row.lastContactedAt),
    archived_at: iso(row.archivedAt),
    archived_by: row.archivedBy,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}
export type ClientJson = ReturnType<typeof toClientJson>;

/** Rows → API JSON with tags and the custom fields the role may see, in two queries whatever the page size. */
export async function clientsToJson(
  db: DbOrTx,
  ctx: Pick<WorkspaceContext, 'workspaceId' | 'role'>,
  rows: ClientRow[],
  /** The workspace's custom fields (archived too), when the caller has just read them. */
  storedFields?: readonly CustomField[],
) {
  const [tags, fields] = await Promise.all([
    tagNamesOfClients(
      db,
      ctx.workspaceId,
      rows.map((r) => r.id),
    ),
    storedFields ?? listCustomFields(db, ctx.workspaceId, true),
  ]);
  return rows.map((r) =>
    toClientJson(r, tags.get(r.id) ?? [], visibleCustomValues(fields, r.custom, ctx.role)),
  );
}

async function oneToJson(db: DbOrTx, ctx: WorkspaceContext, row: ClientRow) {
  return (await clientsToJson(db, ctx, [row]))[0]!;
}

// ---- history & audit --------------------------------------------------------------------------------

type FieldChanges = Record<string, { before: unknown; after: unknown }>;

function fieldChanges(before: ClientRow | null, after: ClientRow): FieldChanges {
  const changes: FieldChanges = {};
  for (const name of FIELD_NAMES) {
    const b = before ? before[FIELD_COLUMNS[name]] : null;
    const a = after[FIELD_COLUMNS[name]];
    if ((b ?? null) !== (a ?? null)) changes[name] = { before: b ?? null, after: a ?? null };
  }
  const keys = new Set([...Object.keys(before?.custom ?? {}), ...Object.keys(after.custom)]);
  for (const key of keys) {
    const b = before?.custom[key] ?? null;
    const a = after.custom[key] ?? null;
    if (JSON.stringify(b) !== JSON.stringify(a)) changes[`custom.${key}`] = { before: b, after: a };
  }
  return changes;
}

/** The audit copy of field changes: values of personal fields replaced by a marker. */
function redacted(changes: FieldChanges): FieldChanges {
  const mark = (v: unknown) => (v === null ? null : '[personal data]');
  return Object.fromEntries(
    Object.entries(changes).map(([k, v]) =>
      PERSONAL_FIELDS.has(k) || k.startsWith('custom.')
        ? [k, { before: mark(v.before), after: mark(v.after) }]
        : [k, v],
    ),
  );
}

export async function recordClientHistory(
  db: DbOrTx,
  ctx: { workspaceId: string; actor: Actor },
  clientId: string,
  kind: string,
  data: Record<string, unknown>,
) {
  await insertHistory(db, {
    workspaceId: ctx.workspaceId,
    clientId,
    kind,
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
    actorLabel: ctx.actor.label,
    data,
  });
}

/** Many timeline entries at once (segment entries and exits of a whole check), one INSERT. */
export async function recordClientHistoryMany(
  db: DbOrTx,
  ctx: { workspaceId: string; actor: Actor },
  rows: Array<{ clientId: string; kind: string; data: Record<string, unknown> }>,
) {
  for (let i = 0; i < rows.length; i += 1000) {
    await insertHistoryRows(
      db,
      rows.slice(i, i + 1000).map((r) => ({
        workspaceId: ctx.workspaceId,
        clientId: r.clientId,
        kind: r.kind,
        actorType: ctx.actor.type,
        actorId: ctx.actor.id,
        actorLabel: ctx.actor.label,
        data: r.data,
      })),
    );
  }
}

export async function listClientHistoryItems(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
  window: TimelineWindow,
): Promise<TimelineItem[]> {
  const rows = await historyPage(db, workspaceId, clientId, window);
  return rows.map((r) => ({
    id: r.id,
    kind: 'history',
    type: r.kind,
    occurred_at: r.occurredAt.toISOString(),
    actor: { type: r.actorType, id: r.actorId, label: r.actorLabel },
    data: r.data,
  }));
}

// ---- reads -------------------------------------------------------------------------------------------

export async function getClientRow(db: DbOrTx, workspaceId: string, id: string): Promise<ClientRow> {
  const row = UUID.test(id) ? await findClient(db, workspaceId, id) : null;
  if (!row) throw AppError.notFound('Client');
  return row;
}

/** Many clients of a workspace by id in one query (a campaign renders a claimed batch at once); unknown ids are absent. */
export async function getClientRows(
  db: DbOrTx,
  workspaceId: string,
  ids: readonly string[],
): Promise<Map<string, ClientRow>> {
  const wanted = ids.filter((id) => UUID.test(id));
  if (!wanted.length) return new Map();
  const rows = await clientRowsQuery(db, workspaceId, wanted);
  return new Map(rows.map((row) => [row.id, row]));
}

/**
 * getClientRows' query: one primary-key probe per id, as a lateral subquery that its `limit` keeps
 * a parameterized index scan (the workspace is checked outside it, or the planner may probe a
 * workspace index instead). As `id in (…)` the planner, on clients freshly imported (not yet
 * analysed), walked all of the workspace's entries of another index: 3.9 ms for 100 of 20,000
 * clients, and a campaign reads one batch of 100 after another (bench/campaigns-send.ts).
 */
export function clientRowsQuery(db: DbOrTx, workspaceId: string, ids: readonly string[]) {
  const one = db.select().from(clients).where(eq(clients.id, sql`k.id`)).limit(1).as('c');
  const fields = Object.fromEntries(
    Object.keys(getTableColumns(clients)).map((key) => [key, one[key as keyof typeof one]]),
  ) as unknown as typeof clients._.columns;
  return db
    .select(fields)
    .from(sql`unnest(${sql.param(ids)}::uuid[]) as k(id)`)
    .crossJoinLateral(one)
    .where(eq(one.workspaceId, workspaceId));
}

export async function getClient(db: DbOrTx, ctx: WorkspaceContext, id: string) {
  return oneToJson(db, ctx, await getClientRow(db, ctx.workspaceId, id));
}

export async function getClientByExternalId(db: DbOrTx, ctx: WorkspaceContext, externalId: string) {
  const row = await findClientByExternalId(db, ctx.workspaceId, externalId);
  if (!row) throw AppError.notFound('Client');
  return oneToJson(db, ctx, row);
}

// ---- writes ------------------------------------------------------------------------------------------

async function applyConsent(
  tx: Tx,
  ctx: WorkspaceContext,
  clientId: string,
  normalized: Normalized,
  source: 'api' | 'import',
) {
  if (!normalized.consent || !Object.keys(normalized.consent).length) return;
  const { recordConsentChanges } = await import('../consent/consent.service.ts');
  await recordConsentChanges(tx, ctx, clientId, normalized.consent, {
    source,
    evidence: normalized.consentEvidence ?? undefined,
    ip: ctx.ip ?? undefined,
  });
}

async function applyTags(
  tx: Tx,
  ctx: WorkspaceContext,
  clientId: string,
  wanted: string[] | undefined,
  replace: boolean,
) {
  if (wanted === undefined) return;
  const added = await addClientTags(tx, ctx.workspaceId, clientId, wanted);
  let removed: string[] = [];
  if (replace) {
    const current = (await tagNamesOfClients(tx, ctx.workspaceId, [clientId])).get(clientId) ?? [];
    const keep = new Set(wanted.map((w) => w.trim().toLowerCase()));
    removed = await removeClientTags(
      tx,
      ctx.workspaceId,
      clientId,
      current.filter((c) => !keep.has(c.toLowerCase())),
    );
  }
  if (added.length || removed.length)
    await recordClientHistory(tx, ctx, clientId, 'tags', { added, removed });
}

export async function createClient(
  db: Database,
  ctx: WorkspaceContext,
  input: ClientInput,
  options: { source?: 'api' | 'import' } = {},
) {
  const wc = await writeContext(db, ctx);
  const normalized = await normalizeInput(db, ctx, wc, input, null);
  return db.transaction(async (tx) => {
    // allow_duplicate allows a second active client, never a copy of an archived one.
    await assertNoDuplicate(tx, ctx.workspaceId, normalized.values, null, Boolean(input.allow_duplicate));
    const base = { ...normalized.values, workspaceId: ctx.workspaceId } as typeof clients.$inferInsert;
    const row = await insertClient(tx, { ...base, searchText: searchTextOf(base as ClientRow) }).catch(
      (error) => rethrowExternalId(error, normalized.values.externalId),
    );
    await applyTags(tx, ctx, row.id, normalized.tags, false);
    await applyConsent(tx, ctx, row.id, normalized, options.source ?? 'api');
    await recordClientHistory(tx, ctx, row.id, 'created', { changes: fieldChanges(null, row) });
    await recordAudit(tx, ctx, {
      action: 'client.created',
      entityType: 'client',
      entityId: row.id,
      changes: redacted(fieldChanges(null, row)),
    });
    return oneToJson(tx, ctx, (await findClient(tx, ctx.workspaceId, row.id))!);
  });
}

async function assertNoDuplicate(
  db: DbOrTx,
  workspaceId: string,
  values: ClientValues,
  exceptId: string | null,
  archivedOnly = false,
) {
  const clash = await findClientWithContact(
    db,
    workspaceId,
    { email: values.email ?? null, phone: values.phone ?? null },
    exceptId,
  );
  if (clash && (!archivedOnly || clash.archived)) {
    // An archived client is still that person: the same answer, said (restore it rather than duplicate it).
    throw new AppError(
      'CONFLICT',
      clash.archived
        ? `An archived client already has this ${clash.field}; restore it (POST /api/v1/clients/${clash.id}/unarchive) rather than create a second one`
        : `Another client already has this ${clash.field}; send "allow_duplicate": true to create it anyway`,
      [
        {
          path: `/${clash.field}`,
          message: `already belongs to ${clash.archived ? 'archived ' : ''}client ${clash.id}`,
        },
      ],
      { existing_id: clash.id, existing_archived: clash.archived },
    );
  }
}

function rethrowExternalId(error: unknown, externalId: string | null | undefined): never {
  const code =
    (error as { code?: string; cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;
  if (code === '23505' && externalId)
    throw new AppError('CONFLICT', `Another client already has external_id ${externalId}`, [
      { path: '/external_id', message: 'already used' },
    ]);
  throw error;
}

async function updateLocked(
  tx: Tx,
  ctx: WorkspaceContext,
  wc: WriteContext,
  before: ClientRow,
  input: ClientInput,
  replaceTags: boolean,
) {
  const normalized = await normalizeInput(tx, ctx, wc, input, before);
  const values = normalized.values;
  const merged = { ...before, ...values };
  const after = await updateClientRow(tx, before.id, { ...values, searchText: searchTextOf(merged) }).catch(
    (error) => rethrowExternalId(error, values.externalId),
  );
  const changes = fieldChanges(before, after);
  if (Object.keys(changes).length) {
    await recordClientHistory(tx, ctx, before.id, 'fields', { changes });
    await recordAudit(tx, ctx, {
      action: 'client.updated',
      entityType: 'client',
      entityId: before.id,
      changes: redacted(changes),
    });
  }
  await applyTags(tx, ctx, before.id, normalized.tags, replaceTags);
  await applyConsent(tx, ctx, before.id, normalized, 'api');
  return (await findClient(tx, ctx.workspaceId, before.id))!;
}

export async function updateClient(db: Database, ctx: WorkspaceContext, id: string, input: ClientInput) {
  const wc = await writeContext(db, ctx);
  return db.transaction(async (tx) => {
    const before = UUID.test(id) ? await findClient(tx, ctx.workspaceId, id, true) : null;
    if (!before) throw AppError.notFound('Client');
    return oneToJson(tx, ctx, await updateLocked(tx, ctx, wc, before, input, true));
  });
}

/** PUT by external id: what a booking system calls on every change. Creates or updates; returns which. */
export async function upsertClientByExternalId(
  db: Database,
  ctx: WorkspaceContext,
  externalId: string,
  input: ClientInput,
) {
  const existing = await findClientByExternalId(db, ctx.workspaceId, externalId);
  if (!existing) {
    try {
      return { created: true, client: await createClient(db, ctx, { ...input, external_id: externalId }) };
    } catch (error) {
      // Two concurrent PUTs for a new id: the loser updates what the winner created.
      if (
        !(error instanceof AppError && error.code === 'CONFLICT' && error.details[0]?.path === '/external_id')
      )
        throw error;
    }
  }
  const wc = await writeContext(db, ctx);
  return db.transaction(async (tx) => {
    const before = await findClientByExternalId(tx, ctx.workspaceId, externalId, true);
    if (!before) throw AppError.notFound('Client');
    const after = await updateLocked(
      tx,
      ctx,
      wc,
      before,
      { ...input, external_id: externalId },
      input.tags !== undefined,
    );
    return { created: false, client: await oneToJson(tx, ctx, after) };
  });
}

export async function deleteClient(db: Database, ctx: WorkspaceContext, id: string) {
  await db.transaction(async (tx) => {
    const row = UUID.test(id) ? await findClient(tx, ctx.workspaceId, id, true) : null;
    if (!row) throw AppError.notFound('Client');
    await tx.delete(clients).where(eq(clients.id, id));
    await recordAudit(tx, ctx, {
      action: 'client.deleted',
      entityType: 'client',
      entityId: id,
      changes: null,
    });
  });
}

export async function tagClient(
  db: Database,
  ctx: WorkspaceContext,
  id: string,
  names: string[],
  remove: boolean,
) {
  const problems = names
    .map((n, i) => validateTagName(n, `/tags/${i}`))
    .filter((p): p is ErrorDetail => p !== null);
  if (problems.length) throw AppError.validation(problems);
  return db.transaction(async (tx) => {
    const row = UUID.test(id) ? await findClient(tx, ctx.workspaceId, id, true) : null;
    if (!row) throw AppError.notFound('Client');
    const changed = remove
      ? await removeClientTags(tx, ctx.workspaceId, id, names)
      : await addClientTags(tx, ctx.workspaceId, id, names);
    if (changed.length) {
      const data = remove ? { added: [], removed: changed } : { added: changed, removed: [] };
      await recordClientHistory(tx, ctx, id, 'tags', data);
      await recordAudit(tx, ctx, {
        action: remove ? 'client.untagged' : 'client.tagged',
        entityType: 'client',
        entityId: id,
        changes: { tags: { before: remove ? changed : [], after: remove ? [] : changed } },
      });
    }
    return oneToJson(tx, ctx, row);
  });
}

// ---- merge -------------------------------------------------------------------------------------------

/**
 * Merges `otherId` into `id` in one transaction: fields (this client's value unless `prefer` says
 * other, empty ones filled from the other), custom values, tags, history and every participant's
 * data (events, notes, consent history…); the other client is then deleted.
 */
export async function mergeClients(
  db: Database,
  ctx: WorkspaceContext,
  id: string,
  otherId: string,
  prefer: Record<string, 'this' | 'other'>,
) {
  if (id === otherId)
    throw AppError.validation([{ path: '/other_id', message: 'cannot merge a client into itself' }]);
  const unknown = Object.keys(prefer).filter((k) => !(k in FIELD_COLUMNS) && k !== 'custom');
  if (unknown.length)
    throw AppError.validation(
      unknown.map((k) => ({ path: `/prefer/${k}`, message: 'not a mergeable field' })),
    );
  return db.transaction(async (tx) => {
    // Lock in id order so two opposite merges can't deadlock.
    const [first, second] = [id, otherId].sort();
    const a = UUID.test(first!) ? await findClient(tx, ctx.workspaceId, first!, true) : null;
    const b = UUID.test(second!) ? await findClient(tx, ctx.workspaceId, second!, true) : null;
    const self = a?.id === id ? a : b?.id === id ? b : null;
    const other = a?.id === otherId ? a : b?.id === otherId ? b : null;
    if (!self) throw AppError.notFound('Client');
    if (!other)
      throw AppError.validation([{ path: '/other_id', message: 'no such client in this workspace' }]);
    const values: ClientValues = {};
    for (const name of FIELD_NAMES) {
      const column = FIELD_COLUMNS[name];
      const mine = self[column];
      const theirs = other[column];
      const value = prefer[name] === 'other' ? (theirs ?? mine) : (mine ?? theirs);
      (values as Record<string, unknown>)[column] = value;
    }
    values.custom =
      prefer.custom === 'other' ? { ...self.custom, ...other.custom } : { ...other.custom, ...self.custom };
    // external_id is unique: free it on the other row before this one takes it.
    await updateClientRow(tx, other.id, { externalId: null, email: other.email, phone: other.phone });
    const merged = await updateClientRow(tx, self.id, {
      ...values,
      searchText: searchTextOf({ ...self, ...values }),
    });
    await moveClientTags(tx, ctx.workspaceId, other.id, self.id);
    await moveHistory(tx, ctx.workspaceId, other.id, self.id);
    for (const participant of clientDataParticipants())
      await participant.move(tx, ctx.workspaceId, other.id, self.id);
    await tx.delete(clients).where(eq(clients.id, other.id));
    const changes = fieldChanges(self, merged);
    await recordClientHistory(tx, ctx, self.id, 'merged', {
      other_id: other.id,
      other_name: displayName(other),
      changes,
    });
    await recordAudit(tx, ctx, {
      action: 'client.merged',
      entityType: 'client',
      entityId: self.id,
      changes: { merged_client_id: { before: other.id, after: null }, ...redacted(changes) },
    });
    return oneToJson(tx, ctx, (await findClient(tx, ctx.workspaceId, self.id))!);
  });
}

// ---- services for other modules ------------------------------------------------------------------

/** One id per identity (client_id, external_id, email or phone, first that is given), or null when unknown. */
export async function resolveClientIdentities(
  db: DbOrTx,
  workspaceId: string,
  identities: Array<{ client_id?: string; external_id?: string; email?: string; phone?: string }>,
  defaultCountry: string,
): Promise<Array<string | null>> {
  const keys = identities.map((identity) => {
    if (identity.client_id)
      return UUID.test(identity.client_id) ? (['id', identity.client_id] as const) : null;
    if (identity.external_id) return ['external_id', identity.external_id] as const;
    if (identity.email) return ['email', normalizeEmail(identity.email)] as const;
    if (identity.phone) {
      const phone = normalizePhone(identity.phone, defaultCountry);
      return phone ? (['phone', phone] as const) : null;
    }
    return null;
  });
  const byKind = {
    id: new Set<string>(),
    external_id: new Set<string>(),
    email: new Set<string>(),
    phone: new Set<string>(),
  };
  for (const key of keys) if (key) byKind[key[0]].add(key[1]);
  const found = new Map<string, string | null>();
  // One array parameter per kind: `column = any($1)` uses the index whatever the batch size.
  const lookup = async (kind: keyof typeof byKind, column: SQL, type: SQL) => {
    if (!byKind[kind].size) return;
    const values = [...byKind[kind]];
    const rows = await db.execute<{ id: string; value: string; n: number }>(sql`
      select min(id::text) as id, ${column}::text as value, count(*)::int as n from clients
      where workspace_id = ${workspaceId} and erased_at is null
        and ${column} = any(${sql.param(values)}::${type})
      group by ${column}`);
    // Two clients with the same email or phone: ambiguous, so no match rather than a guess.
    for (const row of rows.rows) found.set(`${kind}:${row.value}`, row.n === 1 ? row.id : null);
  };
  await Promise.all([
    lookup('id', sql`id`, sql`uuid[]`),
    lookup('external_id', sql`external_id`, sql`text[]`),
    lookup('email', sql`email`, sql`text[]`),
    lookup('phone', sql`phone`, sql`text[]`),
  ]);
  return keys.map((key) => (key ? (found.get(`${key[0]}:${key[1]}`) ?? null) : null));
}

/**
 * Every live client with this email or this phone (normalized as stored; national phone numbers
 * read with the workspace's country). A STOP reply or a bounce concerns all of them, duplicates too.
 */
export async function clientIdsWithContact(
  db: DbOrTx,
  workspaceId: string,
  contact: { email?: string | null; phone?: string | null },
  defaultCountry: string,
): Promise<string[]> {
  return listClientIdsWithContact(db, workspaceId, {
    email: contact.email ? normalizeEmail(contact.email) : null,
    phone: contact.phone ? normalizePhone(contact.phone, defaultCountry) : null,
  });
}

const CONSENT_COLUMN = {
  email: 'consentEmail',
  sms: 'consentSms',
  whatsapp: 'consentWhatsapp',
  push: 'consentPush',
} as const;

/** The current consent of one channel; its history is the consent module's. */
export async function setConsentState(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
  channel: Channel,
  granted: boolean,
) {
  await db
    .update(clients)
    .set({ [CONSENT_COLUMN[channel]]: granted, updatedAt: new Date() })
    .where(and(eq(clients.workspaceId, workspaceId), eq(clients.id, clientId)));
}

export interface ActivityScores {
  clientId: string;
  lifetimeValue: number;
  bookingCount: number;
  visitFrequencyDays: number | null;
  lastBookingAt: Date | null;
  lastActivityAt: Date | null;
  /** When given, the risk score is written in the same statement. */
  riskScore?: number;
}

/**
 * Messages the clients were sent move their last contact forward (never back). `contacts`: a
 * subquery of `(client_id, at)` rows from the module that sent them (the deliveries ledger).
 */
export async function recordContacted(db: DbOrTx, workspaceId: string, contacts: SQL): Promise<number> {
  return advanceLastContacted(db, workspaceId, contacts);
}

/**
 * For a statement that reads several modules' settings in one round trip (the segment
 * environment): whether any client of the workspace is archived now (a boolean; segment counts
 * skip subtracting them when not), and the label keys (a json array of strings).
 */
export { anyArchivedClientSql, labelKeysJsonSql } from './clients.repo.ts';

/**
 * Brings the planner's statistics of the clients table up to date when many clients were written
 * since they were taken (an import, then a campaign a minute later): see platform/db/statistics.ts.
 * Only an optimization: a failure never fails the caller (false).
 */
export function refreshClientStatistics(db: Database, written = 0): Promise<boolean> {
  return analyzeIfStale(db, 'clients', written).catch(() => false);
}

/** Writes the activity columns (and risk, when given) for many clients in one statement. */
export async function applyActivityScores(db: DbOrTx, workspaceId: string, rows: ActivityScores[]) {
  if (!rows.length) return;
  const payload = JSON.stringify(
    rows.map((r) => ({
      id: r.clientId,
      ltv: r.lifetimeValue,
      bookings: r.bookingCount,
      freq: r.visitFrequencyDays,
      last_booking: r.lastBookingAt?.toISOString() ?? null,
      last_activity: r.lastActivityAt?.toISOString() ?? null,
      risk: r.riskScore === undefined ? null : Math.max(0, Math.min(100, Math.round(r.riskScore))),
    })),
  );
  await db.execute(sql`
    update clients c set
      lifetime_value = s.ltv, booking_count = s.bookings, visit_frequency_days = s.freq,
      last_booking_at = s.last_booking, last_activity_at = s.last_activity,
      risk_score = coalesce(s.risk, c.risk_score), updated_at = now()
    from jsonb_to_recordset(${payload}::jsonb)
      as s(id uuid, ltv numeric, bookings int, freq numeric, last_booking timestamptz, last_activity timestamptz, risk smallint)
    where c.id = s.id and c.workspace_id = ${workspaceId}`);
}

export async function setRiskScores(
  db: DbOrTx,
  workspaceId: string,
  rows: Array<{ clientId: string; riskScore: number }>,
) {
  if (!rows.length) return;
  const payload = JSON.stringify(
    rows.map((r) => ({ id: r.clientId, risk: Math.max(0, Math.min(100, Math.round(r.riskScore))) })),
  );
  await db.execute(sql`
    update clients c set risk_score = s.risk
    from jsonb_to_recordset(${payload}::jsonb) as s(id uuid, risk smallint)
    where c.id = s.id and c.workspace_id = ${workspaceId} and c.risk_score is distinct from s.risk`);
}

export async function setRiskOverride(
  db: Database,
  ctx: WorkspaceContext,
  clientId: string,
  score: number | null,
  reason: string | null,
) {
  if (score !== null && (!Number.isInteger(score) || score < 0 || score > 100))
    throw AppError.validation([
      { path: '/score', message: 'an integer from 0 to 100, or null to remove the override' },
    ]);
  if (score !== null && !reason?.trim())
    throw AppError.validation([{ path: '/reason', message: 'say why you override the score' }]);
  await db.transaction(async (tx) => {
    const row = UUID.test(clientId) ? await findClient(tx, ctx.workspaceId, clientId, true) : null;
    if (!row) throw AppError.notFound('Client');
    await updateClientRow(tx, clientId, {
      riskOverride: score,
      riskOverrideReason: score === null ? null : reason!.trim(),
    });
    const change = { before: row.riskOverride, after: score };
    await recordClientHistory(tx, ctx, clientId, 'risk_override', {
      score: change,
      reason: reason?.trim() ?? null,
      computed: row.riskScore,
    });
    await recordAudit(tx, ctx, {
      action: 'client.risk_overridden',
      entityType: 'client',
      entityId: clientId,
      changes: { risk_override: change },
    });
  });
}

/** Clears every personal column, tags and field history of a client (GDPR erase); returns what it held for suppression. */
export async function anonymizeClientRow(tx: Tx, ctx: WorkspaceContext, clientId: string) {
  const row = await findClient(tx, ctx.workspaceId, clientId, true);
  if (!row) throw AppError.notFound('Client');
  await clearClientTags(tx, ctx.workspaceId, clientId);
  await deleteHistory(tx, ctx.workspaceId, clientId);
  await updateClientRow(tx, clientId, {
    firstName: null,
    lastName: null,
    email: null,
    phone: null,
    city: null,
    birthday: null,
    externalId: null,
    accountManagerId: null,
    custom: {},
    searchText: '',
    riskOverrideReason: null,
    consentEmail: false,
    consentSms: false,
    consentWhatsapp: false,
    consentPush: false,
    erasedAt: new Date(),
  });
  return { email: row.email, phone: row.phone };
}

export async function findInactiveClients(
  db: DbOrTx,
  workspaceId: string,
  inactiveSince: Date,
  limit: number,
) {
  const rows = await db
    .select()
    .from(clients)
    .where(
      and(
        eq(clients.workspaceId, workspaceId),
        isNull(clients.erasedAt),
        sql`coalesce(${clients.lastActivityAt}, ${clients.createdAt}) < ${inactiveSince.toISOString()}::timestamptz`,
      ),
    )
    .orderBy(sql`coalesce(${clients.lastActivityAt}, ${clients.createdAt})`, clients.id)
    .limit(limit);
  return rows.map((r) => ({
    id: r.id,
    name: displayName(r),
    last_activity_at: iso(r.lastActivityAt ?? r.createdAt),
  }));
}

export async function listLabels(db: DbOrTx, workspaceId: string) {
  return (await listLabelRows(db, workspaceId)).map((l) => ({
    id: l.id,
    key: l.key,
    name: l.name,
    color: l.color,
    position: l.position,
  }));
}

export function canSeeField(role: Role, field: CustomField) {
  return hasRole(role, field.visibleMinRole as Role);
}

/**
 * Inserts already-normalized clients in chunks, with their tags, for bulk paths (demo data, imports,
 * benchmarks). Callers validate first; this only derives the search text and writes.
 */
export async function insertClientsBulk(
  db: DbOrTx,
  workspaceId: string,
  rows: Array<ClientValues & { tags?: string[] }>,
): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < rows.length; start += 1000) {
    const chunk = rows.slice(start, start + 1000);
    const inserted = await db
      .insert(clients)
      .values(
        chunk.map(({ tags: _tags, ...values }) => ({
          ...values,
          workspaceId,
          searchText: searchTextOf(values as ClientRow),
        })),
      )
      .returning({ id: clients.id });
    const tagNames = [...new Set(chunk.flatMap((r) => r.tags ?? []))];
    if (tagNames.length) {
      const { ensureTags } = await import('../tags/tags.service.ts');
      const tagIds = new Map((await ensureTags(db, workspaceId, tagNames)).map((t) => [t.nameKey, t.id]));
      const pairs = chunk.flatMap((r, i) =>
        (r.tags ?? []).map((name) => ({
          clientId: inserted[i]!.id,
          tagId: tagIds.get(name.trim().toLowerCase())!,
        })),
      );
      if (pairs.length) {
        const { clientTags } = await import('../tags/tags.schema.ts');
        await db
          .insert(clientTags)
          .values(pairs.map((p) => ({ ...p, workspaceId })))
          .onConflictDoNothing();
      }
    }
    ids.push(...inserted.map((r) => r.id));
  }
  return ids;
}

/**
 * Locks clients (FOR NO KEY UPDATE, in id order so two batches cannot deadlock) for the rest of
 * the transaction, so the scores recomputed after an insert see every committed event of theirs:
 * two concurrent batches for one client then score one after the other, never from a stale view.
 * Returns the ids that exist in the workspace. (The workspace is compared as text so that the
 * primary key is the only index the planner can use, statistics or not.)
 */
export async function lockClients(db: DbOrTx, workspaceId: string, ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  const sorted = [...new Set(ids)].sort();
  const rows = await db.execute<{ id: string }>(sql`
    select id from clients
    where id = any(${sql.param(sorted)}::uuid[]) and workspace_id::text = ${workspaceId}
    order by id
    for no key update`);
  return rows.rows.map((r) => r.id);
}

export interface ClientRiskInputs {
  clientId: string;
  createdAt: Date;
  bookingCount: number;
  lifetimeValue: number;
  visitFrequencyDays: number | null;
  lastBookingAt: Date | null;
  lastActivityAt: Date | null;
}

/**
 * The score columns of a workspace's live clients, a page at a time in id order (`afterId` is the
 * last id of the previous page), or of the given ids only.
 */
export async function listClientRiskInputs(
  db: DbOrTx,
  workspaceId: string,
  options: { afterId?: string | null; ids?: string[]; limit: number },
): Promise<ClientRiskInputs[]> {
  const rows = await db.execute<{
    id: string;
    created_at: Date;
    booking_count: number;
    lifetime_value: number;
    visit_frequency_days: number | null;
    last_booking_at: Date | null;
    last_activity_at: Date | null;
  }>(sql`
    select id, created_at, booking_count, lifetime_value, visit_frequency_days, last_booking_at, last_activity_at
    from clients
    where workspace_id = ${workspaceId} and erased_at is null
      ${options.afterId ? sql`and id > ${options.afterId}::uuid` : sql``}
      ${options.ids ? sql`and id = any(${sql.param(options.ids)}::uuid[])` : sql``}
    order by id
    limit ${options.limit}`);
  return rows.rows.map((r) => ({
    clientId: r.id,
    createdAt: new Date(r.created_at),
    bookingCount: Number(r.booking_count),
    lifetimeValue: Number(r.lifetime_value),
    visitFrequencyDays: r.visit_frequency_days === null ? null : Number(r.visit_frequency_days),
    lastBookingAt: r.last_booking_at ? new Date(r.last_booking_at) : null,
    lastActivityAt: r.last_activity_at ? new Date(r.last_activity_at) : null,
  }));
}
