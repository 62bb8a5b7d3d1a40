import type { DbOrTx } from '../../platform/db/db.ts';
import { AppError } from '../../platform/errors.ts';
import { type Cursor, decodeCursor, encodeCursor } from '../../platform/pagination.ts';
import { clientDataParticipants, type TimelineItem, type TimelineWindow } from './client-data.ts';
import { getClientRow, listClientHistoryItems } from './clients.service.ts';

/**
 * The client's timeline: every participant's items (events, notes, consent changes, messages…)
 * plus the client's own history (field, tag and risk changes), merged newest first by
 * (occurred_at, id) with a keyset cursor, so pages never repeat or skip an item whatever
 * stream it comes from.
 *
 * `types` keeps an item when its kind (event, note, consent, history…) or its type (booking,
 * payment, tags, risk_override…) is listed. Participants may honour `window.types` themselves
 * (events does, in SQL); every item is checked again here, so one that does not is still right.
 */
export interface TimelineQuery {
  types?: string[] | null;
  from?: string | null;
  to?: string | null;
  limit: number;
  cursor?: string | null;
  /** Custom fields the caller's role may not see: their values are removed from field-change items. */
  hiddenCustomKeys?: string[];
}

function withoutHiddenCustom(item: TimelineItem, hidden: Set<string>): TimelineItem {
  const changes = item.data.changes as Record<string, unknown> | undefined;
  if (item.kind !== 'history' || !changes) return item;
  const visible = Object.fromEntries(
    Object.entries(changes).filter(([key]) => !(key.startsWith('custom.') && hidden.has(key.slice(7)))),
  );
  return { ...item, data: { ...item.data, changes: visible } };
}

export type TimelineSource = (
  window: TimelineWindow & { types?: string[] | null },
) => Promise<TimelineItem[]>;

const TYPE_WORD = /^[a-z][a-z0-9_]{0,39}$/;

/** `types=note,booking` → ['note', 'booking']; 400 on anything that is not a list of words. */
export function parseTypes(raw: string | undefined | null): string[] | null {
  if (raw === undefined || raw === null || raw.trim() === '') return null;
  const list = [
    ...new Set(
      raw
        .split(',')
        .map((t) => t.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
  const bad = list.filter((t) => !TYPE_WORD.test(t));
  if (bad.length || list.length > 50)
    throw AppError.validation([
      { path: '/query/types', message: 'a comma-separated list of kinds or event types, e.g. note,booking' },
    ]);
  return list.length ? list : null;
}

function matches(item: TimelineItem, types: string[] | null): boolean {
  return !types || types.includes(item.kind) || types.includes(item.type);
}

function time(item: TimelineItem): number {
  return Date.parse(item.occurred_at);
}

/** Newest first; ties broken by id, descending, exactly as the SQL keysets compare them. */
export function compareDesc(a: TimelineItem, b: TimelineItem): number {
  const dt = time(b) - time(a);
  if (dt !== 0) return dt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function isBefore(item: TimelineItem, cursor: Cursor | null): boolean {
  if (!cursor) return true;
  const dt = time(item) - Date.parse(cursor.at);
  return dt < 0 || (dt === 0 && item.id < cursor.id);
}

/**
 * Up to `need` matching items of one source, newest first, strictly before the cursor. When the
 * source cannot filter by type it is read on in chunks until enough items match or it runs dry.
 */
async function takeFrom(
  source: TimelineSource,
  window: Omit<TimelineWindow, 'limit'>,
  types: string[] | null,
  need: number,
): Promise<TimelineItem[]> {
  const out: TimelineItem[] = [];
  const chunk = types ? Math.max(need, 100) : need;
  let before = window.before;
  for (;;) {
    const got = (await source({ ...window, before, limit: chunk, types })).sort(compareDesc);
    for (const item of got) {
      if (!isBefore(item, window.before)) continue;
      if (!matches(item, types)) continue;
      out.push(item);
      if (out.length >= need) return out;
    }
    if (got.length < chunk) return out;
    const last = got.at(-1)!;
    before = { at: last.occurred_at, id: last.id };
  }
}

/** k-way merge of lists each already sorted newest first; stops after `limit` items. */
export function mergeDesc(lists: TimelineItem[][], limit: number): TimelineItem[] {
  const heads = lists.map(() => 0);
  const out: TimelineItem[] = [];
  const seen = new Set<string>();
  while (out.length < limit) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      const candidate = lists[i]![heads[i]!];
      if (!candidate) continue;
      if (best < 0 || compareDesc(candidate, lists[best]![heads[best]!]!) < 0) best = i;
    }
    if (best < 0) break;
    const item = lists[best]![heads[best]!++]!;
    const key = `${item.kind}:${item.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(item);
  }
  return out;
}

/** The sources of one client's timeline: every registered participant, then the client's history. */
export function timelineSources(db: DbOrTx, workspaceId: string, clientId: string): TimelineSource[] {
  return [
    ...clientDataParticipants().map(
      (participant): TimelineSource =>
        (window) =>
          participant.timeline(db, workspaceId, clientId, window),
    ),
    (window) => listClientHistoryItems(db, workspaceId, clientId, window),
  ];
}

/** Dates as the API accepts them: a date-only `from` is that day's start, a date-only `to` includes that day (UTC). */
export function windowBounds(from?: string | null, to?: string | null) {
  const day = /^\d{4}-\d{2}-\d{2}$/;
  const toIso = (value: string, path: string, endOfDay: boolean) => {
    const ms = day.test(value)
      ? Date.parse(`${value}T00:00:00Z`) + (endOfDay ? 86_400_000 : 0)
      : Date.parse(value);
    if (Number.isNaN(ms))
      throw AppError.validation([{ path, message: 'must be an ISO date (2025-03-01) or date-time' }]);
    return new Date(ms).toISOString();
  };
  return {
    from: from ? toIso(from, '/query/from', false) : null,
    to: to ? toIso(to, '/query/to', true) : null,
  };
}

export async function clientTimelinePage(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
  query: TimelineQuery,
  sources: TimelineSource[] = timelineSources(db, workspaceId, clientId),
): Promise<{ items: TimelineItem[]; next_cursor: string | null }> {
  const before = decodeCursor(query.cursor ?? undefined);
  const { from, to } = windowBounds(query.from, query.to);
  const types = query.types ?? null;
  const limit = query.limit;
  const lists = await Promise.all(
    sources.map((source) => takeFrom(source, { before, from, to }, types, limit + 1)),
  );
  const merged = mergeDesc(lists, limit + 1);
  const hidden = new Set(query.hiddenCustomKeys ?? []);
  const items = merged
    .slice(0, limit)
    .map((item) => (hidden.size ? withoutHiddenCustom(item, hidden) : item));
  const last = items.at(-1);
  return {
    items,
    next_cursor: merged.length > limit && last ? encodeCursor(last.occurred_at, last.id) : null,
  };
}

/** GET /clients/{id}/timeline: 404 for a client of another workspace, then one page. */
export async function clientTimeline(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
  query: TimelineQuery,
) {
  await getClientRow(db, workspaceId, clientId);
  return clientTimelinePage(db, workspaceId, clientId, query);
}

// ---- CSV -------------------------------------------------------------------------------------------

export const TIMELINE_CSV_COLUMNS = [
  'occurred_at',
  'kind',
  'type',
  'actor',
  'summary',
  'amount',
  'currency',
  'details',
];

/** A text cell Excel would read as a formula is prefixed with an apostrophe (CSV injection). */
function textCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return quote(text);
}

function quote(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value.trim() ? value : null;
}

/** One human line per item, whatever stream it comes from. */
export function summarize(item: TimelineItem): string {
  const d = item.data;
  const own = str(d.summary) ?? str(d.title) ?? str(d.body) ?? str(d.subject);
  if (own) return own;
  switch (item.kind) {
    case 'event': {
      const amount =
        typeof d.amount === 'number' ? ` ${d.amount.toFixed(2)}${d.currency ? ` ${d.currency}` : ''}` : '';
      return `${item.type}${amount}`;
    }
    case 'history': {
      if (item.type === 'tags') {
        const added = Array.isArray(d.added) ? d.added.join(', ') : '';
        const removed = Array.isArray(d.removed) ? d.removed.join(', ') : '';
        return [added && `tagged ${added}`, removed && `untagged ${removed}`].filter(Boolean).join('; ');
      }
      if (item.type === 'risk_override') {
        const score = (d.score as { after?: unknown } | undefined)?.after;
        return `risk override ${score === null || score === undefined ? 'removed' : `set to ${score}`}${d.reason ? `: ${d.reason}` : ''}`;
      }
      if (d.changes && typeof d.changes === 'object')
        return `${item.type}: ${Object.keys(d.changes as object).join(', ')}`;
      return item.type;
    }
    case 'message': {
      // "Campaign 'Spring sale' — email failed: 550 mailbox unavailable"
      const campaign = str(d.campaign_name);
      const status = str(d.status) ?? item.type;
      const why = [str(d.code), str(d.message)].filter(Boolean).join(' ');
      return [
        campaign ? `Campaign '${campaign}' — ` : '',
        [str(d.channel), status].filter(Boolean).join(' '),
        why ? `: ${why}` : '',
        d.retried === true ? ' (retried)' : '',
      ].join('');
    }
    case 'consent': {
      const channel = str(d.channel) ?? item.type;
      const state = d.granted === true ? 'granted' : d.granted === false ? 'withdrawn' : '';
      return [`consent ${channel}`, state, d.source ? `(${d.source})` : ''].filter(Boolean).join(' ');
    }
    default:
      return item.type;
  }
}

export function timelineCsvRow(item: TimelineItem): string {
  const d = item.data;
  return [
    item.occurred_at,
    textCell(item.kind),
    textCell(item.type),
    textCell(item.actor?.label ?? ''),
    textCell(summarize(item)),
    item.kind === 'event' && typeof d.amount === 'number' ? d.amount.toFixed(2) : '',
    item.kind === 'event' && typeof d.currency === 'string' ? textCell(d.currency) : '',
    textCell(d),
  ].join(',');
}

/**
 * The whole timeline (same filters as the JSON) as CSV lines, read page by page so a long
 * history never sits in memory: UTF-8 BOM first so Excel reads accents, then the header.
 */
export async function* clientTimelineCsv(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
  query: Omit<TimelineQuery, 'limit' | 'cursor'>,
): AsyncGenerator<string> {
  yield `\uFEFF${TIMELINE_CSV_COLUMNS.join(',')}\r\n`;
  let cursor: string | null = null;
  do {
    const pageOf: { items: TimelineItem[]; next_cursor: string | null } = await clientTimelinePage(
      db,
      workspaceId,
      clientId,
      { ...query, limit: 200, cursor },
    );
    if (pageOf.items.length) yield `${pageOf.items.map(timelineCsvRow).join('\r\n')}\r\n`;
    cursor = pageOf.next_cursor;
  } while (cursor);
}
