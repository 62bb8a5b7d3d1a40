import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newApiKey, newWorkspace, setupTestApp, withKey } from '../../../test/support/app.ts';
import { systemContext } from '../../platform/auth/context.ts';
import { createClient, getClientRow, mergeClients } from '../clients/clients.service.ts';
import { createLocation } from '../locations/locations.service.ts';
import { eventsParticipant } from './events.participant.ts';
import { ingestEvents, recomputeWorkspaceRisk } from './events.service.ts';
import { riskScore } from './risk.ts';

const t = setupTestApp();
const DAY = 86_400_000;

async function workspaceWithKeys() {
  const workspace = await newWorkspace(t);
  const [agent, viewer, admin] = await Promise.all([
    newApiKey(t, workspace.id, 'agent'),
    newApiKey(t, workspace.id, 'viewer'),
    newApiKey(t, workspace.id, 'admin'),
  ]);
  return {
    workspace,
    ctx: systemContext(workspace.id, 'test'),
    agent: withKey(t, agent),
    viewer: withKey(t, viewer),
    admin: withKey(t, admin),
  };
}

async function newClient(workspaceId: string, input: Record<string, unknown> = {}) {
  return createClient(t.app.dbHandle.db, systemContext(workspaceId, 'test'), {
    first_name: 'Ana',
    email: `${randomUUID()}@example.com`,
    ...input,
  });
}

async function scores(workspaceId: string, clientId: string) {
  const row = await getClientRow(t.app.dbHandle.db, workspaceId, clientId);
  return {
    lifetime_value: row.lifetimeValue,
    booking_count: row.bookingCount,
    visit_frequency_days: row.visitFrequencyDays,
    last_booking_at: row.lastBookingAt?.toISOString() ?? null,
    last_activity_at: row.lastActivityAt?.toISOString() ?? null,
    risk_score: row.riskScore,
  };
}

const at = (iso: string) => new Date(iso).toISOString();

describe('POST /api/v1/events — validation', () => {
  it('rejects bad rows one by one, with index and code, and stores the good ones', async () => {
    const { workspace, agent } = await workspaceWithKeys();
    const client = await newClient(workspace.id);
    const other = await newWorkspace(t);
    const foreignLocation = await createLocation(t.app.dbHandle.db, systemContext(other.id), {
      name: 'Elsewhere',
    });
    const ok = { client_id: client.id, type: 'visit', occurred_at: '2025-01-10T10:00:00Z' };
    const manyProps = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]));
    const rows: unknown[] = [
      ok, // 0
      { ...ok, type: 'Booking' }, // 1
      { ...ok, occurred_at: 'yesterday' }, // 2
      { ...ok, occurred_at: '1969-12-31T23:59:59Z' }, // 3
      { ...ok, occurred_at: new Date(Date.now() + 2 * DAY).toISOString() }, // 4
      { ...ok, occurred_at: '2024-02-30T10:00:00Z' }, // 5
      { ...ok, amount: '12.50' }, // 6
      { ...ok, currency: 'EURO' }, // 7
      { ...ok, location_id: randomUUID() }, // 8
      { ...ok, location_id: foreignLocation.id }, // 9
      { ...ok, properties: { nested: { a: 1 } } }, // 10
      { ...ok, properties: manyProps }, // 11
      { type: 'visit', occurred_at: '2025-01-10T10:00:00Z' }, // 12
      { ...ok, colour: 'red' }, // 13
      'not an object', // 14
      { ...ok, client_id: randomUUID() }, // 15
      { ...ok, email: 'nobody@example.com', client_id: undefined }, // 16
      { ...ok, amount: 12.345, currency: 'eur', properties: { room: 3, vip: true, note: 'x' } }, // 17
      { ...ok, type: 'x'.repeat(41) }, // 18
    ];
    const response = await agent('POST', '/api/v1/events', { events: rows });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r: { index: number; code: string }) => [r.index, r.code])).toEqual([
      [1, 'INVALID_TYPE'],
      [2, 'INVALID_OCCURRED_AT'],
      [3, 'INVALID_OCCURRED_AT'],
      [4, 'INVALID_OCCURRED_AT'],
      [5, 'INVALID_OCCURRED_AT'],
      [6, 'INVALID_AMOUNT'],
      [7, 'INVALID_CURRENCY'],
      [8, 'UNKNOWN_LOCATION'],
      [9, 'UNKNOWN_LOCATION'],
      [10, 'INVALID_PROPERTIES'],
      [11, 'INVALID_PROPERTIES'],
      [12, 'MISSING_IDENTITY'],
      [13, 'UNKNOWN_FIELD'],
      [14, 'INVALID_EVENT'],
      [15, 'UNKNOWN_CLIENT'],
      [16, 'UNKNOWN_CLIENT'],
      [18, 'INVALID_TYPE'],
    ]);
    for (const r of body.rejected) expect(r.message.length).toBeGreaterThan(5);
    const stored = (await agent('GET', `/api/v1/events?client_id=${client.id}`)).json().events;
    expect(stored).toHaveLength(2);
    const rich = stored.find((e: { amount: number | null }) => e.amount !== null);
    expect(rich).toMatchObject({
      amount: 12.35,
      currency: 'EUR',
      properties: { room: 3, vip: true, note: 'x' },
    });
  });

  it('reports every problem of a row in its message, under the first code', async () => {
    const { workspace, agent } = await workspaceWithKeys();
    const client = await newClient(workspace.id);
    const body = (
      await agent('POST', '/api/v1/events', {
        events: [{ client_id: client.id, type: 'BAD', occurred_at: 'never', currency: 'x' }],
      })
    ).json();
    expect(body.rejected[0]).toMatchObject({ index: 0, code: 'INVALID_TYPE' });
    expect(body.rejected[0].message).toMatch(/type.*occurred_at.*currency/);
  });

  it('refuses more than 1,000 events per call, naming /events, and an empty batch is fine', async () => {
    const { workspace, agent } = await workspaceWithKeys();
    const client = await newClient(workspace.id);
    const row = { client_id: client.id, type: 'visit', occurred_at: '2025-01-10T10:00:00Z' };
    const tooMany = await agent('POST', '/api/v1/events', {
      events: Array.from({ length: 1001 }, () => row),
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error.details[0].path).toBe('/events');
    const empty = await agent('POST', '/api/v1/events', { events: [] });
    expect(empty.json()).toEqual({ accepted: 0, rejected: [], created_clients: 0 });
    const thousand = await agent('POST', '/api/v1/events', {
      events: Array.from({ length: 1000 }, () => row),
    });
    expect(thousand.json().accepted).toBe(1000);
  });

  it('needs the agent role to ingest and admin to delete', async () => {
    const { workspace, viewer, agent } = await workspaceWithKeys();
    const client = await newClient(workspace.id);
    const events = [{ client_id: client.id, type: 'visit', occurred_at: '2025-01-10T10:00:00Z' }];
    expect((await viewer('POST', '/api/v1/events', { events })).statusCode).toBe(403);
    expect((await agent('POST', '/api/v1/events', { events })).statusCode).toBe(200);
    const id = (await viewer('GET', `/api/v1/events?client_id=${client.id}`)).json().events[0].id;
    expect((await viewer('GET', `/api/v1/events/${id}`)).json()).toMatchObject({ id, type: 'visit' });
    expect((await agent('DELETE', `/api/v1/events/${id}`)).statusCode).toBe(403);
  });

  it('identifies clients by external_id, email (any case) or phone (national form)', async () => {
    const { workspace, agent } = await workspaceWithKeys();
    const email = `Mixed.${randomUUID()}@Example.com`;
    const client = await newClient(workspace.id, { email, phone: '+34612345678', external_id: 'bk-77' });
    const base = { type: 'visit', occurred_at: '2025-01-10T10:00:00Z' };
    const body = (
      await agent('POST', '/api/v1/events', {
        events: [
          { ...base, external_id: 'bk-77' },
          { ...base, email: email.toUpperCase() },
          { ...base, phone: '612 34 56 78' },
        ],
      })
    ).json();
    expect(body).toMatchObject({ accepted: 3, rejected: [] });
    expect((await scores(workspace.id, client.id)).last_activity_at).toBe(at('2025-01-10T10:00:00Z'));
  });
});

describe('POST /api/v1/events — upserts and client creation', () => {
  it('updates the event with the same type and reference_id instead of adding one', async () => {
    const { workspace, agent } = await workspaceWithKeys();
    const client = await newClient(workspace.id);
    const first = {
      client_id: client.id,
      type: 'payment',
      occurred_at: '2025-02-01T10:00:00Z',
      amount: 40,
      reference_id: 'inv-1',
    };
    expect((await agent('POST', '/api/v1/events', { events: [first] })).json().accepted).toBe(1);
    const again = { ...first, amount: 55, properties: { method: 'card' } };
    expect((await agent('POST', '/api/v1/events', { events: [again] })).json().accepted).toBe(1);
    // Another type with the same reference is another event.
    const refund = { ...first, type: 'refund', amount: -5 };
    // Twice in one batch: the later row wins.
    const twice = [
      { ...first, reference_id: 'inv-2', amount: 1 },
      { ...first, reference_id: 'inv-2', amount: 2 },
    ];
    expect((await agent('POST', '/api/v1/events', { events: [refund, ...twice] })).json().accepted).toBe(3);
    const events = (await agent('GET', `/api/v1/events?client_id=${client.id}&limit=50`)).json().events;
    expect(events).toHaveLength(3);
    const byRef = Object.fromEntries(
      events.map((e: { type: string; reference_id: string }) => [`${e.type}:${e.reference_id}`, e]),
    );
    expect(byRef['payment:inv-1']).toMatchObject({ amount: 55, properties: { method: 'card' } });
    expect(byRef['payment:inv-2']).toMatchObject({ amount: 2 });
    expect(byRef['refund:inv-1']).toMatchObject({ amount: -5 });
    expect((await scores(workspace.id, client.id)).lifetime_value).toBe(57);
  });

  it('creates unknown clients with create_client, once per identity, and rejects what it cannot create', async () => {
    const { workspace, agent } = await workspaceWithKeys();
    const email = `new-${randomUUID()}@example.com`;
    const base = { type: 'booking', occurred_at: '2025-03-01T09:00:00Z' };
    const response = await agent('POST', '/api/v1/events', {
      create_client: true,
      events: [
        { ...base, email },
        { ...base, email: email.toUpperCase(), occurred_at: '2025-03-08T09:00:00Z' },
        { ...base, external_id: 'shop-1', phone: '+34 699 000 111' },
        { ...base, client_id: randomUUID() },
        { ...base, phone: '12' },
      ],
    });
    const body = response.json();
    expect(body.accepted).toBe(3);
    expect(body.created_clients).toBe(2);
    expect(body.rejected.map((r: { index: number; code: string }) => [r.index, r.code])).toEqual([
      [3, 'UNKNOWN_CLIENT'],
      [4, 'CLIENT_NOT_CREATED'],
    ]);
    const created = (await agent('GET', `/api/v1/events?type=booking&limit=10`)).json().events;
    const ids = new Set(created.map((e: { client_id: string }) => e.client_id));
    expect(ids.size).toBe(2);
    const row = await t.app.dbHandle.db.execute<{ n: number }>(
      sql`select count(*)::int as n from clients where workspace_id = ${workspace.id} and external_id = 'shop-1' and phone = '+34699000111'`,
    );
    expect(row.rows[0]!.n).toBe(1);
    // Without create_client the same unknown identity is only rejected.
    const plain = await agent('POST', '/api/v1/events', {
      events: [{ ...base, email: 'stranger@example.com' }],
    });
    expect(plain.json().rejected[0]).toMatchObject({ index: 0, code: 'UNKNOWN_CLIENT' });
  });

  it('writes one audit row per batch with counts and no personal data', async () => {
    const { workspace, agent } = await workspaceWithKeys();
    const email = `audit-${randomUUID()}@example.com`;
    const client = await newClient(workspace.id, { email });
    await agent('POST', '/api/v1/events', {
      events: [
        {
          email,
          type: 'payment',
          occurred_at: '2025-01-01T00:00:00Z',
          amount: 10,
          properties: { secret: 'diagnosis' },
        },
        { email, type: 'visit', occurred_at: '2025-01-02T00:00:00Z' },
        { email, type: 'NOPE', occurred_at: '2025-01-02T00:00:00Z' },
      ],
    });
    const audit = await t.app.dbHandle.db.execute<{
      action: string;
      entity_type: string;
      changes: Record<string, { after: unknown }>;
    }>(
      sql`select action, entity_type, changes from audit_log where workspace_id = ${workspace.id} and action = 'events.ingested'`,
    );
    expect(audit.rows).toHaveLength(1);
    const changes = audit.rows[0]!.changes;
    expect(audit.rows[0]!.entity_type).toBe('event_batch');
    expect(changes.accepted!.after).toBe(2);
    expect(changes.rejected!.after).toBe(1);
    expect(changes.inserted!.after).toBe(2);
    const text = JSON.stringify(audit.rows[0]);
    expect(text).not.toContain(email);
    expect(text).not.toContain('diagnosis');
    expect(text).not.toContain(client.id);
  });
});

describe('scores', () => {
  it('keeps LTV, bookings, median interval, last booking and last activity exact across batches and updates', async () => {
    const { workspace, agent, admin } = await workspaceWithKeys();
    const client = await newClient(workspace.id);
    const ev = (type: string, day: string, extra: Record<string, unknown> = {}) => ({
      client_id: client.id,
      type,
      occurred_at: `${day}T10:00:00Z`,
      ...extra,
    });
    // Bookings on Jan 1, 11, 31 and Feb 3: gaps 10, 20, 3 → median 10.
    await agent('POST', '/api/v1/events', {
      events: [
        ev('booking', '2025-01-01'),
        ev('booking', '2025-01-11'),
        ev('payment', '2025-01-11', { amount: 100.5, reference_id: 'p1' }),
      ],
    });
    expect(await scores(workspace.id, client.id)).toMatchObject({
      lifetime_value: 100.5,
      booking_count: 2,
      visit_frequency_days: 10,
      last_booking_at: at('2025-01-11T10:00:00Z'),
      last_activity_at: at('2025-01-11T10:00:00Z'),
    });
    await agent('POST', '/api/v1/events', {
      events: [
        ev('booking', '2025-01-31'),
        ev('booking', '2025-02-03'),
        ev('payment', '2025-02-03', { amount: 49.5, reference_id: 'p2' }),
        ev('support', '2025-02-10'),
        ev('purchase', '2025-01-20', { amount: 999 }), // not a payment: not in LTV
      ],
    });
    expect(await scores(workspace.id, client.id)).toMatchObject({
      lifetime_value: 150,
      booking_count: 4,
      visit_frequency_days: 10,
      last_booking_at: at('2025-02-03T10:00:00Z'),
      last_activity_at: at('2025-02-10T10:00:00Z'),
    });
    // A reference update changes an amount: LTV follows, nothing is counted twice.
    await agent('POST', '/api/v1/events', {
      events: [ev('payment', '2025-02-03', { amount: 60, reference_id: 'p2' })],
    });
    expect((await scores(workspace.id, client.id)).lifetime_value).toBe(160.5);
    // Bookings at 12h and 36h gaps give a fractional median: Feb 3 10:00 → Feb 3 22:00 → Feb 5 10:00.
    await agent('POST', '/api/v1/events', {
      events: [
        { client_id: client.id, type: 'booking', occurred_at: '2025-02-03T22:00:00Z' },
        { client_id: client.id, type: 'booking', occurred_at: '2025-02-05T10:00:00Z' },
      ],
    });
    // Gaps: 10, 20, 3, 0.5, 1.5 → median 3.
    expect(await scores(workspace.id, client.id)).toMatchObject({
      booking_count: 6,
      visit_frequency_days: 3,
    });
    // Deleting an event rescores the client.
    const support = (await agent('GET', `/api/v1/events?client_id=${client.id}&type=support`)).json()
      .events[0];
    expect((await admin('DELETE', `/api/v1/events/${support.id}`)).statusCode).toBe(204);
    expect((await admin('GET', `/api/v1/events/${support.id}`)).statusCode).toBe(404);
    expect((await scores(workspace.id, client.id)).last_activity_at).toBe(at('2025-02-05T10:00:00Z'));
  });

  it('rescores both clients when a reference update moves an event to another client', async () => {
    const { workspace, agent } = await workspaceWithKeys();
    const a = await newClient(workspace.id);
    const b = await newClient(workspace.id);
    const pay = { type: 'payment', occurred_at: '2025-04-01T10:00:00Z', amount: 80, reference_id: 'moving' };
    await agent('POST', '/api/v1/events', { events: [{ ...pay, client_id: a.id }] });
    expect((await scores(workspace.id, a.id)).lifetime_value).toBe(80);
    await agent('POST', '/api/v1/events', { events: [{ ...pay, client_id: b.id }] });
    expect(await scores(workspace.id, a.id)).toMatchObject({ lifetime_value: 0, last_activity_at: null });
    expect((await scores(workspace.id, b.id)).lifetime_value).toBe(80);
  });

  it('stays exact under concurrent batches for the same client', async () => {
    const { workspace, agent } = await workspaceWithKeys();
    const client = await newClient(workspace.id);
    const batches = Array.from({ length: 6 }, (_, b) =>
      Array.from({ length: 25 }, (_, i) => ({
        client_id: client.id,
        type: i % 5 === 0 ? 'booking' : 'payment',
        occurred_at: new Date(Date.UTC(2025, 0, 1) + (b * 25 + i) * 3_600_000).toISOString(),
        amount: 1,
      })),
    );
    const results = await Promise.all(batches.map((events) => agent('POST', '/api/v1/events', { events })));
    for (const r of results) expect(r.json().accepted).toBe(25);
    expect(await scores(workspace.id, client.id)).toMatchObject({
      lifetime_value: 120,
      booking_count: 30,
      last_activity_at: at(new Date(Date.UTC(2025, 0, 1) + 149 * 3_600_000).toISOString()),
    });
  });
});

describe('risk', () => {
  const base = { createdAt: new Date('2025-01-01T00:00:00Z'), lifetimeValue: 0, lastActivityAt: null };
  const now = new Date('2025-06-01T00:00:00Z');

  it('grows smoothly with how overdue a client is against their own rhythm, within 0–100', () => {
    const at = (daysAgo: number, interval = 30, bookings = 5) =>
      riskScore(
        {
          ...base,
          bookingCount: bookings,
          visitFrequencyDays: interval,
          lastBookingAt: new Date(now.getTime() - daysAgo * DAY),
          lastActivityAt: new Date(now.getTime() - daysAgo * DAY),
        },
        now,
      );
    const series = [0, 10, 30, 45, 60, 90, 180, 365].map((d) => at(d));
    for (let i = 1; i < series.length; i++) expect(series[i]!).toBeGreaterThanOrEqual(series[i - 1]!);
    expect(series[0]).toBeLessThanOrEqual(5);
    expect(series.at(-1)).toBeGreaterThanOrEqual(75);
    // Same 60 days: overdue for a weekly client, on time for a quarterly one.
    expect(at(60, 7)).toBeGreaterThan(70);
    expect(at(60, 90)).toBeLessThan(20);
    // Loyalty and value soften the score a little, never below three quarters of it.
    const loyal = riskScore(
      {
        ...base,
        bookingCount: 40,
        lifetimeValue: 50_000,
        visitFrequencyDays: 30,
        lastBookingAt: new Date(now.getTime() - 60 * DAY),
        lastActivityAt: null,
      },
      now,
    );
    const fresh = riskScore(
      {
        ...base,
        bookingCount: 2,
        lifetimeValue: 0,
        visitFrequencyDays: 30,
        lastBookingAt: new Date(now.getTime() - 60 * DAY),
        lastActivityAt: null,
      },
      now,
    );
    expect(loyal).toBeLessThan(fresh);
    expect(loyal).toBeGreaterThanOrEqual(Math.floor(fresh * 0.75));
    for (const d of [0, 1, 1000, 100_000]) {
      const s = at(d, 1, 1);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(100);
      expect(Number.isInteger(s)).toBe(true);
    }
  });

  it('measures clients without bookings from their last activity, or from when they were created', () => {
    const newcomer = riskScore(
      { ...base, createdAt: now, bookingCount: 0, visitFrequencyDays: null, lastBookingAt: null },
      now,
    );
    const forgotten = riskScore(
      {
        ...base,
        createdAt: new Date(now.getTime() - 400 * DAY),
        bookingCount: 0,
        visitFrequencyDays: null,
        lastBookingAt: null,
      },
      now,
    );
    const active = riskScore(
      {
        ...base,
        createdAt: new Date(now.getTime() - 400 * DAY),
        bookingCount: 0,
        visitFrequencyDays: null,
        lastBookingAt: null,
        lastActivityAt: new Date(now.getTime() - DAY),
      },
      now,
    );
    expect(newcomer).toBeLessThan(5);
    expect(forgotten).toBeGreaterThan(90);
    expect(active).toBeLessThan(5);
  });

  it('is computed on ingestion, nightly for the whole workspace, and on demand', async () => {
    const { workspace, agent } = await workspaceWithKeys();
    const client = await newClient(workspace.id);
    const idle = await newClient(workspace.id);
    const recent = new Date(Date.now() - 3 * DAY);
    await agent('POST', '/api/v1/events', {
      events: [0, 7, 14].map((d) => ({
        client_id: client.id,
        type: 'booking',
        occurred_at: new Date(recent.getTime() - d * DAY).toISOString(),
      })),
    });
    const onIngest = (await scores(workspace.id, client.id)).risk_score;
    expect(onIngest).not.toBeNull();
    expect(onIngest!).toBeLessThan(30);
    // Forty days later with nothing new, the nightly pass sees a weekly client gone quiet.
    const count = await recomputeWorkspaceRisk(t.app.dbHandle.db, workspace.id, {
      now: new Date(Date.now() + 40 * DAY),
      batchSize: 1,
    });
    expect(count).toBe(2);
    expect((await scores(workspace.id, client.id)).risk_score!).toBeGreaterThan(90);
    expect((await scores(workspace.id, idle.id)).risk_score).not.toBeNull();
    // On demand: back to today's figure.
    const now = await agent('POST', `/api/v1/clients/${client.id}/risk/recompute`);
    expect(now.statusCode).toBe(200);
    expect(now.json()).toMatchObject({
      client_id: client.id,
      risk_score: onIngest,
      booking_count: 3,
      visit_frequency_days: 7,
    });
  });

  it('lets an admin override the risk with a reason, shown on the timeline', async () => {
    const { workspace, agent, admin, viewer } = await workspaceWithKeys();
    const client = await newClient(workspace.id);
    const body = { score: 90, reason: 'Complained about the last visit' };
    expect((await agent('POST', `/api/v1/clients/${client.id}/risk-override`, body)).statusCode).toBe(403);
    const set = await admin('POST', `/api/v1/clients/${client.id}/risk-override`, body);
    expect(set.statusCode).toBe(200);
    expect(set.json()).toMatchObject({ risk_score: 90, risk_override: { score: 90, reason: body.reason } });
    expect(
      (await admin('POST', `/api/v1/clients/${client.id}/risk-override`, { score: 101, reason: 'x' }))
        .statusCode,
    ).toBe(400);
    const timeline = (await viewer('GET', `/api/v1/clients/${client.id}/timeline?types=history`)).json()
      .items;
    const override = timeline.find((i: { type: string }) => i.type === 'risk_override');
    expect(override).toBeTruthy();
    expect(JSON.stringify(override.data)).toContain(body.reason);
    const cleared = await admin('POST', `/api/v1/clients/${client.id}/risk-override`, {
      score: null,
      reason: 'Resolved',
    });
    expect(cleared.json()).toMatchObject({
      risk_override: null,
      risk_score: cleared.json().computed_risk_score,
    });
  });
});

describe('isolation and the client lifecycle', () => {
  it("rejects another workspace's client as UNKNOWN_CLIENT and hides other workspaces' events", async () => {
    const mine = await workspaceWithKeys();
    const theirs = await workspaceWithKeys();
    const foreign = await newClient(theirs.workspace.id, { external_id: 'shared-ext' });
    const foreignEmail = foreign.email!;
    const base = { type: 'payment', occurred_at: '2025-01-01T00:00:00Z', amount: 5 };
    const body = (
      await mine.agent('POST', '/api/v1/events', {
        events: [
          { ...base, client_id: foreign.id },
          { ...base, external_id: 'shared-ext' },
          { ...base, email: foreignEmail },
        ],
      })
    ).json();
    expect(body.accepted).toBe(0);
    expect(body.rejected.map((r: { code: string }) => r.code)).toEqual([
      'UNKNOWN_CLIENT',
      'UNKNOWN_CLIENT',
      'UNKNOWN_CLIENT',
    ]);
    expect((await scores(theirs.workspace.id, foreign.id)).lifetime_value).toBe(0);
    await theirs.agent('POST', '/api/v1/events', { events: [{ ...base, client_id: foreign.id }] });
    const id = (await theirs.viewer('GET', '/api/v1/events')).json().events[0].id;
    expect((await mine.viewer('GET', `/api/v1/events/${id}`)).statusCode).toBe(404);
    expect((await mine.admin('DELETE', `/api/v1/events/${id}`)).statusCode).toBe(404);
    expect((await mine.viewer('GET', '/api/v1/events')).json().events).toEqual([]);
    expect((await mine.viewer('GET', `/api/v1/events?client_id=${foreign.id}`)).json().events).toEqual([]);
    expect((await mine.agent('POST', `/api/v1/clients/${foreign.id}/risk/recompute`)).statusCode).toBe(404);
  });

  it('lists events newest first with filters and a cursor', async () => {
    const { workspace, agent, viewer } = await workspaceWithKeys();
    const client = await newClient(workspace.id);
    const events = Array.from({ length: 7 }, (_, i) => ({
      client_id: client.id,
      type: i % 2 ? 'visit' : 'booking',
      occurred_at: new Date(Date.UTC(2025, 4, 1 + i)).toISOString(),
    }));
    // Two at the very same instant: the cursor must still neither skip nor repeat.
    events.push({ client_id: client.id, type: 'visit', occurred_at: events[3]!.occurred_at });
    await agent('POST', '/api/v1/events', { events });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { events: Array<{ id: string; occurred_at: string }>; next_cursor: string | null } = (
        await viewer('GET', `/api/v1/events?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      ).json();
      seen.push(...page.events.map((e) => e.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(8);
    expect(new Set(seen).size).toBe(8);
    const visits = (await viewer('GET', '/api/v1/events?type=visit&from=2025-05-03&to=2025-05-04')).json()
      .events;
    expect(visits.map((e: { occurred_at: string }) => e.occurred_at)).toEqual([
      '2025-05-04T00:00:00.000Z',
      '2025-05-04T00:00:00.000Z',
    ]);
  });

  it('moves events and rescores both clients on merge; erase keeps totals but drops details', async () => {
    const { workspace, ctx, agent } = await workspaceWithKeys();
    const db = t.app.dbHandle.db;
    const keep = await newClient(workspace.id);
    const gone = await newClient(workspace.id);
    await ingestEvents(db, ctx, {
      events: [
        { client_id: keep.id, type: 'payment', occurred_at: '2025-01-01T00:00:00Z', amount: 10 },
        {
          client_id: gone.id,
          type: 'payment',
          occurred_at: '2025-02-01T00:00:00Z',
          amount: 15,
          reference_id: 'r-9',
          properties: { card: '4242' },
        },
        { client_id: gone.id, type: 'booking', occurred_at: '2025-02-01T00:00:00Z' },
      ],
    });
    await mergeClients(db, ctx, keep.id, gone.id, {});
    expect(await scores(workspace.id, keep.id)).toMatchObject({
      lifetime_value: 25,
      booking_count: 1,
      last_activity_at: at('2025-02-01T00:00:00Z'),
    });
    const exported = (await eventsParticipant.exportFor(db, workspace.id, keep.id)) as Array<
      Record<string, unknown>
    >;
    expect(exported).toHaveLength(3);
    await db.transaction((tx) => eventsParticipant.erase(tx, workspace.id, keep.id));
    const after = (await agent('GET', `/api/v1/events?client_id=${keep.id}`)).json().events;
    expect(after).toHaveLength(3);
    for (const e of after) expect(e).toMatchObject({ properties: {}, reference_id: null });
    expect(after.reduce((sum: number, e: { amount: number | null }) => sum + (e.amount ?? 0), 0)).toBe(25);
  });
});
