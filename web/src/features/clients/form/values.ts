import {
  CHANNELS,
  type Channel,
  type Client,
  type ClientField,
  type ClientInput,
  type ContactMethod,
} from '../../../api/clients';
import type { CustomField } from '../../../api/custom-fields';

/** The editable fields as the form holds them: text inputs hold '' for "empty". */
export interface ClientFormValues {
  first_name: string;
  last_name: string;
  email: string;
  phone: string;
  preferred_contact_method: ContactMethod | null;
  city: string;
  country: string | null;
  timezone: string | null;
  locale: string | null;
  birthday: string | null;
  label: string | null;
  location_id: string | null;
  account_manager_id: string | null;
  source: string;
  external_id: string;
  tags: string[];
  custom: Record<string, unknown>;
  consent: Record<Channel, boolean>;
  consent_evidence: string;
}

/** Field names of the form that map one to one onto the API's client fields. */
export const FORM_FIELDS: readonly ClientField[] = [
  'first_name',
  'last_name',
  'email',
  'phone',
  'preferred_contact_method',
  'city',
  'country',
  'timezone',
  'locale',
  'birthday',
  'label',
  'location_id',
  'account_manager_id',
  'source',
  'external_id',
];

function emptyCustom(field: CustomField): unknown {
  if (field.type === 'multi_select') return [];
  if (field.type === 'boolean') return false;
  if (field.type === 'number') return '';
  if (field.type === 'date' || field.type === 'select') return null;
  return '';
}

export function toFormValues(client: Client | null, fields: CustomField[]): ClientFormValues {
  const custom: Record<string, unknown> = {};
  for (const field of fields) {
    const value = client?.custom[field.key];
    custom[field.key] = value === undefined || value === null ? emptyCustom(field) : value;
  }
  return {
    first_name: client?.first_name ?? '',
    last_name: client?.last_name ?? '',
    email: client?.email ?? '',
    phone: client?.phone ?? '',
    preferred_contact_method: client?.preferred_contact_method ?? null,
    city: client?.city ?? '',
    country: client?.country ?? null,
    timezone: client?.timezone ?? null,
    locale: client?.locale ?? null,
    birthday: client?.birthday ?? null,
    label: client?.label ?? null,
    location_id: client?.location_id ?? null,
    account_manager_id: client?.account_manager_id ?? null,
    source: client?.source ?? '',
    external_id: client?.external_id ?? '',
    tags: client?.tags ?? [],
    custom,
    consent: Object.fromEntries(CHANNELS.map((channel) => [channel, false])) as Record<Channel, boolean>,
    consent_evidence: '',
  };
}

function isEmpty(value: unknown): boolean {
  return (
    value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)
  );
}

/** A custom value as the API wants it: empty becomes null, a boolean left unticked on create is omitted. */
export function customForApi(field: CustomField, value: unknown): unknown {
  if (isEmpty(value)) return null;
  if (field.type === 'number' && typeof value === 'string') return Number(value);
  if (typeof value === 'string') return value.trim();
  return value;
}

function fieldForApi(value: string | null): string | null {
  if (value === null) return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/** POST body: only what was filled in (fields a role may not edit are never sent). */
export function toCreateInput(values: ClientFormValues, fields: CustomField[]): ClientInput {
  const input: ClientInput = {};
  for (const name of FORM_FIELDS) {
    const value = fieldForApi(values[name as keyof ClientFormValues] as string | null);
    if (value !== null) input[name] = value;
  }
  if (values.tags.length) input.tags = values.tags;
  const custom: Record<string, unknown> = {};
  for (const field of fields) {
    const value = values.custom[field.key];
    if (field.type === 'boolean' ? value === true : !isEmpty(value))
      custom[field.key] = customForApi(field, value);
  }
  if (Object.keys(custom).length) input.custom = custom;
  return input;
}

/** PATCH body: the fields that changed, custom fields included. */
export function toPatchInput(
  values: ClientFormValues,
  initial: ClientFormValues,
  fields: CustomField[],
): ClientInput {
  const input: ClientInput = {};
  for (const name of FORM_FIELDS) {
    const before = fieldForApi(initial[name as keyof ClientFormValues] as string | null);
    const after = fieldForApi(values[name as keyof ClientFormValues] as string | null);
    if (before !== after) input[name] = after;
  }
  const custom: Record<string, unknown> = {};
  for (const field of fields) {
    const before = customForApi(field, initial.custom[field.key]);
    const after = customForApi(field, values.custom[field.key]);
    if (JSON.stringify(before) !== JSON.stringify(after)) custom[field.key] = after;
  }
  if (Object.keys(custom).length) input.custom = custom;
  return input;
}

/** Custom fields grouped by section, in the server's order; fields without a section come first. */
export function bySection(fields: CustomField[]): Array<{ section: string | null; fields: CustomField[] }> {
  const groups = new Map<string | null, CustomField[]>();
  for (const field of fields) {
    const key = field.section?.trim() || null;
    const list = groups.get(key) ?? [];
    list.push(field);
    groups.set(key, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === null ? -1 : b === null ? 1 : 0))
    .map(([section, list]) => ({ section, fields: [...list].sort((x, y) => x.position - y.position) }));
}
