import { UUID } from '../../platform/db/ids.ts';
/**
 * Per-row validation of ingested events. A bad row never fails its batch: it comes back as
 * `{ index, code, message }` and the other rows go on. Pure functions, no database.
 */

export const MAX_EVENTS_PER_BATCH = 1000;
export const MAX_PROPERTIES = 50;
export const MAX_PROPERTY_KEY = 64;
export const MAX_PROPERTY_STRING = 2000;
export const MAX_REFERENCE_ID = 200;
/** numeric(14,2) holds 12 integer digits; one event stays far below so sums cannot overflow. */
export const MAX_ABS_AMOUNT = 1_000_000_000;

export const EVENT_TYPE = /^[a-z][a-z0-9_]{0,39}$/;
const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2})$/;
const CURRENCY = /^[A-Za-z]{3}$/;
const DAY_MS = 86_400_000;

export const EVENT_FIELDS = [
  'client_id',
  'external_id',
  'email',
  'phone',
  'type',
  'occurred_at',
  'amount',
  'currency',
  'location_id',
  'reference_id',
  'properties',
] as const;
const KNOWN = new Set<string>(EVENT_FIELDS);

export type RejectCode =
  | 'INVALID_EVENT'
  | 'UNKNOWN_FIELD'
  | 'MISSING_IDENTITY'
  | 'INVALID_IDENTITY'
  | 'INVALID_TYPE'
  | 'INVALID_OCCURRED_AT'
  | 'INVALID_AMOUNT'
  | 'INVALID_CURRENCY'
  | 'INVALID_LOCATION'
  | 'UNKNOWN_LOCATION'
  | 'INVALID_REFERENCE_ID'
  | 'INVALID_PROPERTIES'
  | 'UNKNOWN_CLIENT'
  | 'CLIENT_NOT_CREATED';

export interface Rejection {
  index: number;
  code: RejectCode;
  message: string;
}

export interface EventIdentity {
  client_id?: string;
  external_id?: string;
  email?: string;
  phone?: string;
}

/** A row that passed validation, in storage shape (client still to resolve). */
export interface ValidEvent {
  index: number;
  identity: EventIdentity;
  type: string;
  occurredAt: Date;
  amount: number | null;
  currency: string | null;
  locationId: string | null;
  referenceId: string | null;
  properties: Record<string, string | number | boolean>;
}

/** What the API accepts per row (documentation shape; validation is done here, row by row). */
export interface EventInput extends EventIdentity {
  type: string;
  occurred_at: string;
  amount?: number | null;
  currency?: string | null;
  location_id?: string | null;
  reference_id?: string | null;
  properties?: Record<string, string | number | boolean> | null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** ISO-8601 date-time with a zone (Z or ±hh:mm) whose calendar date really exists. */
export function parseIsoDateTime(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const m = ISO_DATE_TIME.exec(value.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(
    Number,
  ) as [number, number, number, number, number, number];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (
    calendar.getUTCFullYear() !== year ||
    calendar.getUTCMonth() !== month - 1 ||
    calendar.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  )
    return null;
  const ms = Date.parse(value.trim().replace(' ', 'T'));
  return Number.isNaN(ms) ? null : new Date(ms);
}

function identityOf(row: Record<string, unknown>): { identity: EventIdentity } | { problem: Problem } {
  const identity: EventIdentity = {};
  for (const key of ['client_id', 'external_id', 'email', 'phone'] as const) {
    const value = row[key];
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string') return { problem: ['INVALID_IDENTITY', `${key} must be a string`] };
    const trimmed = value.trim();
    if (!trimmed) continue;
    if (trimmed.length > 320) return { problem: ['INVALID_IDENTITY', `${key} is too long`] };
    if (trimmed.includes('\u0000'))
      return { problem: ['INVALID_IDENTITY', `${key} contains a NUL character`] };
    if (key === 'client_id' && !UUID.test(trimmed))
      return { problem: ['UNKNOWN_CLIENT', 'client_id is not a client id of this workspace'] };
    identity[key] = key === 'client_id' ? trimmed.toLowerCase() : trimmed;
  }
  if (!Object.keys(identity).length)
    return { problem: ['MISSING_IDENTITY', 'give one of client_id, external_id, email or phone'] };
  return { identity };
}

type Problem = [RejectCode, string];

/**
 * Checks one row. Returns the row in storage shape, or every problem found (the first one's code
 * is reported, all messages are joined so a caller fixes a row in one go).
 */
export function validateEvent(
  raw: unknown,
  index: number,
  now: number = Date.now(),
): { ok: ValidEvent } | { rejected: Rejection } {
  const reject = (problems: Problem[]): { rejected: Rejection } => ({
    rejected: { index, code: problems[0]![0], message: problems.map((p) => p[1]).join('; ') },
  });
  if (!isPlainObject(raw)) return reject([['INVALID_EVENT', 'an event must be a JSON object']]);
  const problems: Problem[] = [];
  const unknown = Object.keys(raw).filter((k) => !KNOWN.has(k));
  if (unknown.length)
    problems.push([
      'UNKNOWN_FIELD',
      `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.slice(0, 5).join(', ')}`,
    ]);

  const who = identityOf(raw);
  if ('problem' in who) problems.push(who.problem);

  const type = raw.type;
  if (typeof type !== 'string' || !EVENT_TYPE.test(type))
    problems.push(['INVALID_TYPE', 'type must be a lower-case word (a-z, 0-9, _; at most 40 characters)']);

  let occurredAt: Date | null = null;
  if (raw.occurred_at === undefined || raw.occurred_at === null) {
    problems.push(['INVALID_OCCURRED_AT', 'occurred_at is required']);
  } else {
    occurredAt = parseIsoDateTime(raw.occurred_at);
    if (!occurredAt)
      problems.push([
        'INVALID_OCCURRED_AT',
        'occurred_at must be an ISO-8601 date-time with a zone, e.g. 2025-03-01T10:30:00Z',
      ]);
    else if (occurredAt.getTime() < 0) problems.push(['INVALID_OCCURRED_AT', 'occurred_at is before 1970']);
    else if (occurredAt.getTime() > now + DAY_MS)
      problems.push(['INVALID_OCCURRED_AT', 'occurred_at is more than one day in the future']);
  }

  let amount: number | null = null;
  if (raw.amount !== undefined && raw.amount !== null) {
    if (typeof raw.amount !== 'number' || !Number.isFinite(raw.amount))
      problems.push(['INVALID_AMOUNT', 'amount must be a finite number']);
    else if (Math.abs(raw.amount) >= MAX_ABS_AMOUNT)
      problems.push(['INVALID_AMOUNT', `amount must be between -${MAX_ABS_AMOUNT} and ${MAX_ABS_AMOUNT}`]);
    // Stored as numeric(14,2): PostgreSQL rounds the decimal text half away from zero (12.345 → 12.35).
    else amount = raw.amount;
  }

  let currency: string | null = null;
  if (raw.currency !== undefined && raw.currency !== null) {
    if (typeof raw.currency !== 'string' || !CURRENCY.test(raw.currency))
      problems.push(['INVALID_CURRENCY', 'currency must be a 3-letter ISO 4217 code such as EUR']);
    else currency = raw.currency.toUpperCase();
  }

  let locationId: string | null = null;
  if (raw.location_id !== undefined && raw.location_id !== null) {
    if (typeof raw.location_id !== 'string' || !UUID.test(raw.location_id))
      problems.push(['UNKNOWN_LOCATION', 'location_id is not a location of this workspace']);
    else locationId = raw.location_id.toLowerCase();
  }

  let referenceId: string | null = null;
  if (raw.reference_id !== undefined && raw.reference_id !== null) {
    const ref = typeof raw.reference_id === 'number' ? String(raw.reference_id) : raw.reference_id;
    if (typeof ref !== 'string' || !ref.trim() || ref.length > MAX_REFERENCE_ID || ref.includes('\u0000'))
      problems.push([
        'INVALID_REFERENCE_ID',
        `reference_id must be a non-empty string of at most ${MAX_REFERENCE_ID} characters`,
      ]);
    else referenceId = ref.trim();
  }

  let properties: Record<string, string | number | boolean> = {};
  if (raw.properties !== undefined && raw.properties !== null) {
    const checked = checkProperties(raw.properties);
    if (typeof checked === 'string') problems.push(['INVALID_PROPERTIES', checked]);
    else properties = checked;
  }

  if (problems.length) return reject(problems);
  return {
    ok: {
      index,
      identity: (who as { identity: EventIdentity }).identity,
      type: type as string,
      occurredAt: occurredAt!,
      amount,
      currency,
      locationId,
      referenceId,
      properties,
    },
  };
}

function checkProperties(value: unknown): Record<string, string | number | boolean> | string {
  if (!isPlainObject(value)) return 'properties must be an object';
  const entries = Object.entries(value);
  if (entries.length > MAX_PROPERTIES) return `properties has more than ${MAX_PROPERTIES} keys`;
  const out: Record<string, string | number | boolean> = {};
  for (const [key, v] of entries) {
    if (!key.trim() || key.length > MAX_PROPERTY_KEY || key.includes('\u0000'))
      return `property names must have 1 to ${MAX_PROPERTY_KEY} characters`;
    if (typeof v === 'string') {
      if (v.length > MAX_PROPERTY_STRING)
        return `properties.${key} is longer than ${MAX_PROPERTY_STRING} characters`;
      // PostgreSQL text/jsonb cannot hold NUL.
      out[key] = v.replaceAll('\u0000', '');
    } else if (typeof v === 'boolean') out[key] = v;
    else if (typeof v === 'number') {
      if (!Number.isFinite(v)) return `properties.${key} must be a finite number`;
      out[key] = v;
    } else return `properties.${key} must be a string, a number or a boolean (properties are flat)`;
  }
  return out;
}
