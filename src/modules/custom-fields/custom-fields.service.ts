import { and, eq, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { WorkspaceContext } from '../../platform/auth/context.ts';
import { hasRole, isRole, type Role } from '../../platform/auth/roles.ts';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { preparedStatement } from '../../platform/db/prepared.ts';
import { AppError, type ErrorDetail, pgErrorCode } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { diff, recordAudit } from '../audit/audit.service.ts';
import { CUSTOM_FIELD_TYPES, type CustomFieldType, customFields } from './custom-fields.schema.ts';

export type CustomField = typeof customFields.$inferSelect;

export interface CustomFieldInput {
  key?: string;
  label?: string;
  type?: string;
  options?: string[];
  required?: boolean;
  section?: string | null;
  position?: number;
  help_text?: string | null;
  visible_min_role?: string;
  editable_min_role?: string;
}

const AUDITED = [
  'key',
  'label',
  'type',
  'options',
  'required',
  'section',
  'position',
  'help_text',
  'visible_min_role',
  'editable_min_role',
  'archived_at',
] as const;

export function toCustomFieldJson(f: CustomField) {
  return {
    id: f.id,
    key: f.key,
    label: f.label,
    type: f.type,
    options: f.options,
    required: f.required,
    section: f.section,
    position: f.position,
    help_text: f.helpText,
    visible_min_role: f.visibleMinRole as Role,
    editable_min_role: f.editableMinRole as Role,
    archived_at: iso(f.archivedAt),
    created_at: iso(f.createdAt),
    updated_at: iso(f.updatedAt),
  };
}

/** The workspace's custom fields in form order (section, position, key), archived ones on request. */
export async function listCustomFields(
  db: DbOrTx,
  workspaceId: string,
  includeArchived = false,
): Promise<CustomField[]> {
  const [row] = await readCustomFields(db, { workspaceId });
  const fields = customFieldsFromJson(workspaceId, row?.fields ?? []);
  return includeArchived ? fields : fields.filter((f) => f.archivedAt === null);
}

// Every client read (a list page, a client, a segment preview) lists the fields: one prepared statement.
const readCustomFields = preparedStatement<{ workspaceId: string }, { fields: unknown }>(
  'custom_fields.list',
  () => sql`select ${customFieldsJsonSql(sql`${sql.placeholder('workspaceId')}::uuid`)} as fields`,
);

/**
 * `listCustomFields(…, true)` as one json value (a scalar subquery), for a statement that reads
 * several modules' settings in one round trip (the segment environment); `customFieldsFromJson`
 * reads it back into rows.
 */
export function customFieldsJsonSql(workspaceId: SQLWrapper): SQL {
  return sql`(select coalesce(json_agg(json_build_array(f.id, f.key, f.label, f.type, f.options, f.required,
      f.section, f.position, f.help_text, f.visible_min_role, f.editable_min_role, f.archived_at,
      f.created_at, f.updated_at) order by f.section, f.position, f.key), '[]'::json)
    from custom_fields f where f.workspace_id = ${workspaceId})`;
}

type CustomFieldJson = [
  string,
  string,
  string,
  CustomFieldType,
  string[],
  boolean,
  string | null,
  number,
  string | null,
  string,
  string,
  string | null,
  string,
  string,
];

export function customFieldsFromJson(workspaceId: string, json: unknown): CustomField[] {
  return (json as CustomFieldJson[]).map((f) => ({
    id: f[0],
    workspaceId,
    key: f[1],
    label: f[2],
    type: f[3],
    options: f[4],
    required: f[5],
    section: f[6],
    position: f[7],
    helpText: f[8],
    visibleMinRole: f[9],
    editableMinRole: f[10],
    archivedAt: f[11] === null ? null : new Date(f[11]),
    createdAt: new Date(f[12]),
    updatedAt: new Date(f[13]),
  }));
}

async function findField(db: DbOrTx, workspaceId: string, id: string): Promise<CustomField> {
  const [row] = await db
    .select()
    .from(customFields)
    .where(and(eq(customFields.workspaceId, workspaceId), eq(customFields.id, id)));
  if (!row) throw AppError.notFound('Custom field');
  return row;
}

function validateDefinition(input: CustomFieldInput, existing: CustomField | null): Partial<CustomField> {
  const problems: ErrorDetail[] = [];
  const out: Partial<CustomField> = {};
  if (!existing) {
    if (!input.key || !/^[a-z][a-z0-9_]{0,62}$/.test(input.key))
      problems.push({
        path: '/key',
        message: 'lower-case letters, digits and _, starting with a letter (max 63)',
      });
    out.key = input.key;
    if (!input.type || !(CUSTOM_FIELD_TYPES as readonly string[]).includes(input.type))
      problems.push({ path: '/type', message: `must be one of ${CUSTOM_FIELD_TYPES.join(', ')}` });
    out.type = input.type as CustomFieldType;
  } else if (input.key !== undefined && input.key !== existing.key) {
    problems.push({
      path: '/key',
      message: 'cannot be changed: segments, templates and imports refer to it',
    });
  }
  if (existing && input.type !== undefined && input.type !== existing.type)
    problems.push({ path: '/type', message: 'cannot be changed once values exist; create a new field' });
  if (input.label !== undefined || !existing) {
    const label = (input.label ?? '').trim();
    if (!label) problems.push({ path: '/label', message: 'is required' });
    out.label = label;
  }
  const type = (out.type ?? existing?.type) as CustomFieldType;
  if (input.options !== undefined) {
    const options = [...new Set(input.options.map((o) => o.trim()).filter(Boolean))];
    out.options = options;
  }
  const options = out.options ?? existing?.options ?? [];
  if ((type === 'select' || type === 'multi_select') && options.length === 0)
    problems.push({ path: '/options', message: 'a select field needs at least one option' });
  if (input.required !== undefined) out.required = input.required;
  if (input.section !== undefined) out.section = input.section?.trim() || null;
  if (input.position !== undefined) out.position = input.position;
  if (input.help_text !== undefined) out.helpText = input.help_text?.trim() || null;
  for (const [name, value] of [
    ['visible_min_role', input.visible_min_role],
    ['editable_min_role', input.editable_min_role],
  ] as const) {
    if (value === undefined) continue;
    if (!isRole(value)) problems.push({ path: `/${name}`, message: 'unknown role' });
    else if (name === 'visible_min_role') out.visibleMinRole = value;
    else out.editableMinRole = value;
  }
  if (problems.length) throw AppError.validation(problems);
  return out;
}

export async function createCustomField(db: Database, ctx: WorkspaceContext, input: CustomFieldInput) {
  const values = validateDefinition(input, null);
  return db.transaction(async (tx) => {
    let row: CustomField;
    try {
      [row] = (await tx
        .insert(customFields)
        .values({ ...values, workspaceId: ctx.workspaceId } as typeof customFields.$inferInsert)
        .returning()) as [CustomField];
    } catch (error) {
      if (pgErrorCode(error) === '23505')
        throw new AppError('CONFLICT', `A custom field with key "${values.key}" exists (perhaps archived)`, [
          { path: '/key', message: 'already used' },
        ]);
      throw error;
    }
    await recordAudit(tx, ctx, {
      action: 'custom_field.created',
      entityType: 'custom_field',
      entityId: row.id,
      changes: diff(null, toCustomFieldJson(row), AUDITED),
    });
    return toCustomFieldJson(row);
  });
}

export async function updateCustomField(
  db: Database,
  ctx: WorkspaceContext,
  id: string,
  input: CustomFieldInput,
) {
  return db.transaction(async (tx) => {
    const before = await findField(tx, ctx.workspaceId, id);
    const patch = validateDefinition(input, before);
    const [after] = await tx
      .update(customFields)
      .set({ ...patch, updatedAt: new Date() })
      .where(eq(customFields.id, id))
      .returning();
    const changes = diff(toCustomFieldJson(before), toCustomFieldJson(after!), AUDITED);
    if (Object.keys(changes).length)
      await recordAudit(tx, ctx, {
        action: 'custom_field.updated',
        entityType: 'custom_field',
        entityId: id,
        changes,
      });
    return toCustomFieldJson(after!);
  });
}

/** Archive, never drop: the values stay in clients.custom and remain exportable. */
/** Archives (values stay stored and exportable) or restores a field; a no-op when already so. */
export async function setCustomFieldArchived(
  db: Database,
  ctx: WorkspaceContext,
  id: string,
  archived: boolean,
) {
  return db.transaction(async (tx) => {
    const before = await findField(tx, ctx.workspaceId, id);
    if (Boolean(before.archivedAt) === archived) return toCustomFieldJson(before);
    const [after] = await tx
      .update(customFields)
      .set({ archivedAt: archived ? new Date() : null, updatedAt: new Date() })
      .where(eq(customFields.id, id))
      .returning();
    await recordAudit(tx, ctx, {
      action: archived ? 'custom_field.archived' : 'custom_field.restored',
      entityType: 'custom_field',
      entityId: id,
      changes: { archived_at: { before: iso(before.archivedAt), after: iso(after!.archivedAt) } },
    });
    return toCustomFieldJson(after!);
  });
}

/** A field hidden from the caller's role does not exist for them (404), like its values on clients. */
export async function getCustomField(db: DbOrTx, ctx: WorkspaceContext, id: string) {
  const field = await findField(db, ctx.workspaceId, id);
  if (!hasRole(ctx.role, field.visibleMinRole as Role)) throw AppError.notFound('Custom field');
  return toCustomFieldJson(field);
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

function isValidDate(value: string): boolean {
  if (!DATE_ONLY.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

/**
 * Normalizes one custom value to how it is stored (numbers as numbers, dates as YYYY-MM-DD, phones
 * in E.164, multi-selects as arrays of known options), or returns the reason it is invalid.
 */
export function normalizeCustomValue(
  field: CustomField,
  value: unknown,
  defaultCountry: string,
): { value: unknown } | { error: string } {
  if (value === null || value === '') return { value: null };
  switch (field.type) {
    case 'text':
      if (typeof value !== 'string') return { error: 'must be text' };
      if (value.length > 5000) return { error: 'at most 5000 characters' };
      return { value };
    case 'number': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) return { error: 'must be a number' };
      if (Math.abs(n) > 1e15) return { error: 'is too large' };
      return { value: n };
    }
    case 'date':
      if (typeof value !== 'string' || !isValidDate(value.slice(0, 10)))
        return { error: 'must be a date as YYYY-MM-DD' };
      return { value: value.slice(0, 10) };
    case 'boolean':
      if (typeof value !== 'boolean') return { error: 'must be true or false' };
      return { value };
    case 'select':
      if (typeof value !== 'string' || !field.options.includes(value))
        return { error: `must be one of ${field.options.join(', ')}` };
      return { value };
    case 'multi_select': {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
        return { error: 'must be a list of options' };
      const unknown = value.filter((v) => !field.options.includes(v as string));
      if (unknown.length)
        return { error: `unknown option(s) ${unknown.join(', ')}; allowed: ${field.options.join(', ')}` };
      return { value: [...new Set(value)] };
    }
    case 'url':
      try {
        if (typeof value !== 'string') throw new Error();
        const url = new URL(value);
        if (!['http:', 'https:'].includes(url.protocol)) throw new Error();
        return { value };
      } catch {
        return { error: 'must be an http(s) URL' };
      }
    case 'email':
      if (typeof value !== 'string' || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value.trim()))
        return { error: 'must be an email address' };
      return { value: value.trim().toLowerCase() };
    case 'phone': {
      if (typeof value !== 'string') return { error: 'must be a phone number' };
      const phone = parsePhoneNumberFromString(value, defaultCountry as CountryCode);
      if (!phone?.isPossible()) return { error: 'not a possible phone number' };
      return { value: phone.number };
    }
  }
}

/**
 * Validates a client's `custom` object against the workspace's fields: unknown keys, wrong types,
 * read-only fields for the caller's role and (on create) missing required fields, all reported.
 */
export function validateCustomValues(
  fields: CustomField[],
  input: Record<string, unknown>,
  options: { role: Role; defaultCountry: string; creating: boolean; existing?: Record<string, unknown> },
): { values: Record<string, unknown>; problems: ErrorDetail[] } {
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const values: Record<string, unknown> = {};
  const problems: ErrorDetail[] = [];
  for (const [key, raw] of Object.entries(input)) {
    const field = byKey.get(key);
    const path = `/custom/${key}`;
    if (!field || !hasRole(options.role, field.visibleMinRole as Role)) {
      problems.push({ path, message: `unknown custom field "${key}"` });
      continue;
    }
    if (!hasRole(options.role, field.editableMinRole as Role)) {
      problems.push({ path, message: `read-only for the ${options.role} role` });
      continue;
    }
    const result = normalizeCustomValue(field, raw, options.defaultCountry);
    if ('error' in result) problems.push({ path, message: result.error });
    else values[key] = result.value;
  }
  for (const field of fields) {
    if (!field.required) continue;
    const merged = key(values, field.key) ?? key(options.existing ?? {}, field.key);
    if ((options.creating || field.key in values) && (merged === null || merged === undefined))
      problems.push({ path: `/custom/${field.key}`, message: 'is required' });
  }
  return { values, problems };
}

function key(obj: Record<string, unknown>, k: string): unknown {
  return Object.hasOwn(obj, k) ? obj[k] : undefined;
}

/** Removes the fields the role may not see from a client's custom values. */
export function visibleCustomValues(
  fields: readonly CustomField[],
  custom: Record<string, unknown>,
  role: Role,
) {
  const hidden = new Set(fields.filter((f) => !hasRole(role, f.visibleMinRole as Role)).map((f) => f.key));
  if (!hidden.size) return custom;
  return Object.fromEntries(Object.entries(custom).filter(([k]) => !hidden.has(k)));
}
