import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newApiKey, newWorkspace, setupTestApp, withKey } from '../../../test/support/app.ts';
import { systemContext } from '../../platform/auth/context.ts';
import { ingestEvents } from '../events/events.service.ts';
import { createNote } from '../notes/notes.service.ts';
import type { TimelineItem } from './client-data.ts';
import { createClient, setRiskOverride, tagClient } from './clients.service.ts';
import {
  clientTimelinePage,
  compareDesc,
  mergeDesc,
  type TimelineSource,
  timelineCsvRow,
} from './clients.timeline.ts';

const t = setupTestApp();
const MIN = 60_000;

interface Page {
  items: TimelineItem[];
  next_cursor: string | null;
}

/** A client with events, notes, tag changes and a risk override interleaved in time, ties included. */
async function busyClient() {
  const workspace = await newWorkspace(t);
  const ctx = systemContext(workspace.id, 'test');
  const db = t.app.dbHandle.db;
  const client = await createClient(db, ctx, { first_name: 'Lía', email: `${randomUUID()}@example.com` });
  const now = Date.now();
  const iso = (offsetMin: number) => new Date(now + offsetMin * MIN).toISOString();
  await ingestEvents(db, ctx, {
    events: [
      { client_id: client.id, type: 'booking', occurred_at: iso(60), amount: 0 },
      { client_id: client.id, type: 'payment', occurred_at: iso(-5), amount: 20, currency: 'EUR' },
      // Three at the very same instant: order by id, and no page boundary may lose one.
      { client_id: client.id, type: 'visit', occurred_at: iso(-30) },
      { client_id: client.id, type: 'visit', occurred_at: iso(-30) },
      { client_id: client.id, type: 'booking', occurred_at: iso(-30) },
      { client_id: client.id, type: 'support', occurred_at: iso(-60 * 24 * 3) },
      { client_id: client.id, type: 'booking', occurred_at: iso(-60 * 24 * 30) },
    ],
  });
  await createNote(db, ctx, client.id, { body: 'Prefers mornings' });
  await tagClient(db, ctx, client.id, ['vip'], false);
  await createNote(db, ctx, client.id, {
    body: '=HYPERLINK("http://evil.example","click")',
    type: 'warning',
  });
  await setRiskOverride(db, ctx, client.id, 70, 'Missed two appointments');
  const key = await newApiKey(t, workspace.id, 'viewer');
  return { workspace, client, call: withKey(t, key) };
}

async function everything(call: ReturnType<typeof withKey>, url: string, limit: number) {
  const items: TimelineItem[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = url.includes('?') ? '&' : '?';
    const response = await call('GET', `${url}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(response.statusCode, response.body).toBe(200);
    const page = response.json() as Page;
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    cursor = page.next_cursor;
    pages++;
  } while (cursor && pages < 100);
  return items;
}

describe('GET /api/v1/clients/{id}/timeline', () => {
  it('merges every kind newest first, and pages through it without gaps or repeats', async () => {
    const { client, call } = await busyClient();
    const all = (await call('GET', `/api/v1/clients/${client.id}/timeline?limit=200`)).json() as Page;
    expect(all.next_cursor).toBeNull();
    const kinds = new Set(all.items.map((i) => i.kind));
    expect([...kinds].sort()).toEqual(['event', 'history', 'note']);
    expect(all.items.filter((i) => i.kind === 'event')).toHaveLength(7);
    expect(all.items.filter((i) => i.kind === 'note')).toHaveLength(2);
    // Sorted by (occurred_at, id) descending.
    const sorted = [...all.items].sort(compareDesc);
    expect(all.items.map((i) => i.id)).toEqual(sorted.map((i) => i.id));
    expect(all.items[0]).toMatchObject({ kind: 'event', type: 'booking' });
    expect(all.items.at(-1)).toMatchObject({ kind: 'event', type: 'booking' });
    for (const limit of [1, 2, 3, 5]) {
      const paged = await everything(call, `/api/v1/clients/${client.id}/timeline`, limit);
      expect(
        paged.map((i) => i.id),
        `limit ${limit}`,
      ).toEqual(all.items.map((i) => i.id));
    }
    const payment = all.items.find((i) => i.type === 'payment')!;
    expect(payment.data).toMatchObject({ amount: 20, currency: 'EUR' });
  });

  it('filters by kinds and event types, and by dates', async () => {
    const { client, call } = await busyClient();
    const url = `/api/v1/clients/${client.id}/timeline`;
    const notesAndBookings = await everything(call, `${url}?types=note,booking`, 2);
    expect(notesAndBookings.map((i) => (i.kind === 'note' ? 'note' : i.type)).sort()).toEqual([
      'booking',
      'booking',
      'booking',
      'note',
      'note',
    ]);
    const history = await everything(call, `${url}?types=history`, 50);
    expect(history.map((i) => i.type)).toEqual(expect.arrayContaining(['risk_override', 'tags']));
    expect(history.every((i) => i.kind === 'history')).toBe(true);
    const events = await everything(call, `${url}?types=event`, 3);
    expect(events).toHaveLength(7);
    const recent = await everything(
      call,
      `${url}?types=event&from=${new Date(Date.now() - 2 * 86_400_000).toISOString()}`,
      50,
    );
    expect(recent.map((i) => i.type).sort()).toEqual(['booking', 'booking', 'payment', 'visit', 'visit']);
    // A date-only `to` includes that whole day.
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    const old = await everything(call, `${url}?types=event&to=${twoDaysAgo}`, 50);
    expect(old.map((i) => i.type)).toEqual(['support', 'booking']);
    expect((await call('GET', `${url}?types=Not%20a%20word`)).statusCode).toBe(400);
    expect((await call('GET', `${url}?cursor=garbage`)).statusCode).toBe(400);
  });

  it("answers 404 for another workspace's client", async () => {
    const { client } = await busyClient();
    const other = await newWorkspace(t);
    const call = withKey(t, await newApiKey(t, other.id, 'owner'));
    expect((await call('GET', `/api/v1/clients/${client.id}/timeline`)).statusCode).toBe(404);
    expect((await call('GET', `/api/v1/clients/${client.id}/timeline.csv`)).statusCode).toBe(404);
    expect((await call('GET', `/api/v1/clients/${randomUUID()}/timeline`)).statusCode).toBe(404);
  });
});

describe('GET /api/v1/clients/{id}/timeline.csv', () => {
  it('streams the same items as CSV with a BOM, a header and formula-safe cells', async () => {
    const { client, call } = await busyClient();
    const json = (await call('GET', `/api/v1/clients/${client.id}/timeline?limit=200`)).json() as Page;
    const response = await call('GET', `/api/v1/clients/${client.id}/timeline.csv`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(response.headers['content-disposition']).toContain(`timeline-${client.id}.csv`);
    const raw = response.rawPayload.toString('utf8');
    expect(raw.charCodeAt(0)).toBe(0xfeff);
    const lines = raw.slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toBe('occurred_at,kind,type,actor,summary,amount,currency,details');
    expect(lines).toHaveLength(json.items.length + 1);
    expect(lines.slice(1).map((l) => l.slice(0, 24))).toEqual(json.items.map((i) => i.occurred_at));
    expect(raw).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(raw).toContain(',payment 20.00 EUR,20.00,EUR,');
    const bookings = (await call('GET', `/api/v1/clients/${client.id}/timeline.csv?types=booking`)).rawPayload
      .toString('utf8')
      .trimEnd()
      .split('\r\n');
    expect(bookings).toHaveLength(1 + 3);
  });

  it('quotes commas, quotes and new lines', () => {
    const line = timelineCsvRow({
      id: 'x',
      kind: 'note',
      type: 'info',
      occurred_at: '2025-01-01T00:00:00.000Z',
      actor: { type: 'user', id: null, label: 'Zoë, "front desk"' },
      data: { body: 'line one\nline two' },
    });
    expect(line).toBe(
      '2025-01-01T00:00:00.000Z,note,info,"Zoë, ""front desk""","line one\nline two",,,"{""body"":""line one\\nline two""}"',
    );
  });
});

describe('timeline merge', () => {
  const item = (id: string, minute: number, kind = 'x', type = 'y'): TimelineItem => ({
    id,
    kind,
    type,
    occurred_at: new Date(Date.UTC(2025, 0, 1, 0, minute)).toISOString(),
    actor: null,
    data: {},
  });

  it('k-way merges sorted lists by (occurred_at, id) descending', () => {
    const a = [item('a3', 9), item('a2', 5), item('a1', 1)];
    const b = [item('b2', 9), item('b1', 5)];
    const c = [item('c1', 7)];
    expect(mergeDesc([a, b, c], 10).map((i) => i.id)).toEqual(['b2', 'a3', 'c1', 'b1', 'a2', 'a1']);
    expect(mergeDesc([a, b, c], 2).map((i) => i.id)).toEqual(['b2', 'a3']);
  });

  it('keeps paging right when a source cannot filter by type itself', async () => {
    // 500 items, one in seven matches; the source ignores `types` and returns what it is asked.
    const rows = Array.from({ length: 500 }, (_, i) =>
      item(`id-${String(i).padStart(4, '0')}`, Math.floor(i / 3), 'x', i % 7 === 0 ? 'wanted' : 'other'),
    ).sort(compareDesc);
    let calls = 0;
    const source: TimelineSource = async (window) => {
      calls++;
      const before = window.before;
      return rows
        .filter(
          (r) =>
            !before ||
            Date.parse(r.occurred_at) < Date.parse(before.at) ||
            (Date.parse(r.occurred_at) === Date.parse(before.at) && r.id < before.id),
        )
        .slice(0, window.limit);
    };
    const expected = rows.filter((r) => r.type === 'wanted').map((r) => r.id);
    const got: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await clientTimelinePage(
        t.app.dbHandle.db,
        'unused',
        'unused',
        { types: ['wanted'], limit: 4, cursor },
        [source],
      );
      got.push(...page.items.map((i) => i.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(got).toEqual(expected);
    expect(calls).toBeGreaterThan(0);
  });
});
