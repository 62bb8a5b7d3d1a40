/**
 * TEST-ONLY: a small in-memory evaluator of segment trees, written straight from SEGMENTS.md and
 * independent of the SQL compiler (its own time-zone arithmetic through Intl, its own text and
 * tag folding). The property test runs both on random clients and random trees and requires the
 * same members. Not used by the product.
 */
import type { Node, Scalar } from './segment-definition.ts';

export interface RefClient {
  id: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone: string | null;
  city: string | null;
  country: string | null;
  locale: string | null;
  source: string | null;
  external_id: string | null;
  label: string | null;
  location_id: string | null;
  lifetime_value: number;
  risk_score: number | null;
  risk_override: number | null;
  created_at: Date;
  last_activity_at: Date | null;
  last_contacted_at: Date | null;
  consent: { email: boolean; sms: boolean; whatsapp: boolean; push: boolean };
  custom: Record<string, unknown>;
  tags: string[];
  erased: boolean;
  /** Archived clients are out of every segment, as erased ones. */
  archived?: boolean;
}

export interface RefEvent {
  client_id: string;
  type: string;
  occurred_at: Date;
  amount: number | null;
  location_id: string | null;
  properties: Record<string, Scalar>;
}

export interface RefWorld {
  clients: RefClient[];
  events: RefEvent[];
  /** custom-field key → its type (text, number, date, boolean, select, multi_select, url, email, phone) */
  customTypes: Record<string, string>;
  timezone: string;
  now: Date;
}

const DAY = 86_400_000;

// ---- time ----------------------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string) {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** local wall-clock time minus UTC, in ms, at instant t in zone tz. */
function offsetAt(t: number, tz: string): number {
  const parts = Object.fromEntries(
    formatter(tz)
      .formatToParts(new Date(t))
      .map((p) => [p.type, p.value]),
  );
  const local = Date.UTC(
    +parts.year!,
    +parts.month! - 1,
    +parts.day!,
    +parts.hour!,
    +parts.minute!,
    +parts.second!,
  );
  return local - Math.floor(t / 1000) * 1000;
}

/** The instant a calendar day starts in a time zone. */
export function dayStart(day: string, tz: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  let t = wall - offsetAt(wall, tz);
  for (let i = 0; i < 3; i += 1) {
    const next = wall - offsetAt(t, tz);
    if (next === t) break;
    t = next;
  }
  return t;
}

function nextDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

const isDay = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v);

// ---- values of a client ---------------------------------------------------------------------------

const lower = (s: string) => s.toLowerCase();
const tagFold = (s: string) => s.trim().replace(/\s+/g, ' ').toLowerCase();

type Kind = 'text' | 'number' | 'date' | 'boolean' | 'select' | 'multi_select' | 'tags';

function kindOf(field: string, world: RefWorld): Kind {
  if (field.startsWith('custom.')) {
    const t = world.customTypes[field.slice(7)]!;
    return (['url', 'email', 'phone'].includes(t) ? 'text' : t) as Kind;
  }
  if (['lifetime_value', 'risk_score'].includes(field)) return 'number';
  if (['created_at', 'last_activity_at', 'last_contacted_at'].includes(field)) return 'date';
  if (field.startsWith('consent.')) return 'boolean';
  if (field === 'label' || field === 'location_id') return 'select';
  if (field === 'tags') return 'tags';
  return 'text';
}

/** The client's value of a field, or null when unset (NULL, empty string, missing key). */
function clientValue(c: RefClient, field: string, kind: Kind, world: RefWorld): unknown {
  if (field.startsWith('custom.')) {
    const key = field.slice(7);
    const v = Object.hasOwn(c.custom, key) ? c.custom[key] : undefined;
    if (v === undefined || v === null) return null;
    switch (kind) {
      case 'text':
      case 'select':
        return typeof v === 'string' && v !== '' ? v : null;
      case 'number':
        return typeof v === 'number' ? v : null;
      case 'boolean':
        return typeof v === 'boolean' ? v : null;
      case 'date':
        return typeof v === 'string' && isDay(v) ? dayStart(v, world.timezone) : null;
      case 'multi_select':
        return Array.isArray(v) ? v : null;
    }
    return null;
  }
  switch (field) {
    case 'name': {
      const name = [c.first_name, c.last_name].filter((x) => x !== null && x !== '').join(' ');
      return name === '' ? null : name;
    }
    case 'lifetime_value':
      return c.lifetime_value;
    case 'risk_score':
      return c.risk_override ?? c.risk_score;
    case 'created_at':
      return c.created_at.getTime();
    case 'last_activity_at':
      return c.last_activity_at?.getTime() ?? null;
    case 'last_contacted_at':
      return c.last_contacted_at?.getTime() ?? null;
    case 'tags':
      return c.tags;
  }
  if (field.startsWith('consent.')) return c.consent[field.slice(8) as 'email'];
  const v = (c as unknown as Record<string, unknown>)[field];
  return typeof v === 'string' && v !== '' ? v : null;
}

// ---- conditions ------------------------------------------------------------------------------------

function field(c: RefClient, cond: { field: string; op: string; value?: unknown }, world: RefWorld): boolean {
  const kind = kindOf(cond.field, world);
  const v = clientValue(c, cond.field, kind, world);
  const { op, value } = cond;
  const negative: Record<string, string> = {
    neq: 'eq',
    not_contains: 'contains',
    not_in: 'in',
    is_not_set: 'is_set',
    has_not: 'has',
    has_none: 'has_any',
  };
  if (negative[op]) return !field(c, { ...cond, op: negative[op]! }, world);
  if (op === 'is_set') {
    if (kind === 'multi_select' || kind === 'tags') return Array.isArray(v) && v.length > 0;
    return v !== null;
  }
  switch (kind) {
    case 'text': {
      if (v === null) return false;
      const s = lower(v as string);
      if (op === 'eq') return s === lower(value as string);
      if (op === 'contains') return s.includes(lower(value as string));
      if (op === 'starts_with') return s.startsWith(lower(value as string));
      if (op === 'ends_with') return s.endsWith(lower(value as string));
      if (op === 'in') return (value as string[]).some((x) => lower(x) === s);
      break;
    }
    case 'number': {
      if (v === null) return false;
      const n = v as number;
      if (op === 'between') return n >= (value as number[])[0]! && n <= (value as number[])[1]!;
      const x = value as number;
      return op === 'eq'
        ? n === x
        : op === 'lt'
          ? n < x
          : op === 'lte'
            ? n <= x
            : op === 'gt'
              ? n > x
              : n >= x;
    }
    case 'date': {
      if (v === null) return false;
      const t = v as number;
      const start = (s: string) => (isDay(s) ? dayStart(s, world.timezone) : Date.parse(s));
      if (op === 'before') return t < start(value as string);
      if (op === 'after') return t > start(value as string);
      if (op === 'between') {
        const [from, to] = value as [string, string];
        const upperOk = isDay(to) ? t < dayStart(nextDay(to), world.timezone) : t <= Date.parse(to);
        return t >= start(from) && upperOk;
      }
      const limit = world.now.getTime() - (value as number) * DAY;
      if (op === 'within_last_days') return t >= limit;
      if (op === 'more_than_days_ago') return t < limit;
      break;
    }
    case 'boolean':
      return v !== null && v === value;
    case 'select':
      if (v === null) return false;
      if (op === 'eq') return v === value;
      if (op === 'in') return (value as string[]).includes(v as string);
      break;
    case 'multi_select':
    case 'tags': {
      const fold = kind === 'tags' ? tagFold : (s: string) => s;
      const have = new Set(((v as string[] | null) ?? []).map(fold));
      if (op === 'has') return have.has(fold(value as string));
      if (op === 'has_any') return (value as string[]).some((x) => have.has(fold(x)));
      if (op === 'has_all') return (value as string[]).every((x) => have.has(fold(x)));
      break;
    }
  }
  throw new Error(`reference: ${kind} ${op}`);
}

function event(
  c: RefClient,
  cond: {
    event: string;
    measure: string;
    op: string;
    value: number;
    within_days?: number;
    location_id?: string;
    properties?: Record<string, Scalar>;
  },
  world: RefWorld,
): boolean {
  const now = world.now.getTime();
  const matching = world.events.filter((e) => {
    if (e.client_id !== c.id || e.type !== cond.event) return false;
    if (cond.within_days !== undefined) {
      const t = e.occurred_at.getTime();
      if (t < now - cond.within_days * DAY || t > now) return false;
    }
    if (cond.location_id !== undefined && e.location_id !== cond.location_id) return false;
    for (const [key, want] of Object.entries(cond.properties ?? {})) {
      const have = Object.hasOwn(e.properties, key) ? e.properties[key] : undefined;
      if (typeof want === 'string') {
        if (typeof have !== 'string' || lower(have) !== lower(want)) return false;
      } else if (have !== want) return false;
    }
    return true;
  });
  // Money in cents, so sums are exact as in PostgreSQL's numeric.
  const measured =
    cond.measure === 'count'
      ? matching.length * 100
      : matching.reduce((sum, e) => sum + (e.amount === null ? 0 : Math.round(e.amount * 100)), 0);
  const x = Math.round(cond.value * 100);
  switch (cond.op) {
    case 'eq':
      return measured === x;
    case 'neq':
      return measured !== x;
    case 'lt':
      return measured < x;
    case 'lte':
      return measured <= x;
    case 'gt':
      return measured > x;
    default:
      return measured >= x;
  }
}

function matches(c: RefClient, node: Node, world: RefWorld): boolean {
  const n = node as unknown as Record<string, unknown>;
  if (Object.hasOwn(n, 'all')) return (n.all as Node[]).every((child) => matches(c, child, world));
  if (Object.hasOwn(n, 'any')) return (n.any as Node[]).some((child) => matches(c, child, world));
  if (Object.hasOwn(n, 'not')) return !matches(c, n.not as Node, world);
  if (Object.hasOwn(n, 'field')) return field(c, n as never, world);
  if (Object.hasOwn(n, 'event')) return event(c, n as never, world);
  // Engagement: nothing was ever sent (no engagement source), so nobody has any.
  if (Object.hasOwn(n, 'engagement')) return n.op === 'has_not';
  throw new Error('reference: not a node');
}

/** The ids of the live clients the tree matches. */
export function referenceMembers(tree: Node, world: RefWorld): Set<string> {
  return new Set(
    world.clients.filter((c) => !c.erased && !c.archived && matches(c, tree, world)).map((c) => c.id),
  );
}
