import { sql } from 'drizzle-orm';
import { runOnce } from 'graphile-worker';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../../../test/support/app.ts';
import { silentWorkerLogger } from '../../platform/db/db.ts';
import {
  EVENT_WINDOWS_TASK,
  keptEventWindows,
  refreshEventWindows,
  requestEventWindows,
  windowKey,
} from './event-windows.ts';
import type { Node } from './segment-definition.ts';
import { insertClients, insertEvents, segmentWorld } from './segment-test-helpers.ts';
import { countMembers, memberIds } from './segments.repo.ts';
import { compileFor, segmentEnvironment } from './segments.service.ts';

const t = setupTestApp();
const DAY = 86_400_000;
const BOOKINGS_3_IN_30: Node = { event: 'booking', measure: 'count', op: 'gte', value: 3, within_days: 30 };
const PAID_OVER_100: Node = { event: 'payment', measure: 'sum', op: 'gt', value: 100, within_days: 30 };

/** Three clients: Ana 3 bookings and 150 paid in the last 30 days, Bea 2 bookings, Carl none. */
async function world() {
  const w = await segmentWorld(t);
  const [ana, bea, carl] = await insertClients(w.db, w.workspaceId, [
    { first_name: 'Ana' },
    { first_name: 'Bea' },
    { first_name: 'Carl' },
  ]);
  const ago = (days: number) => new Date(Date.now() - days * DAY);
  const event = (client: string, type: string, days: number, amount: number | null = null) => ({
    client_id: client,
    type,
    occurred_at: ago(days),
    amount,
    location_id: null,
  });
  await insertEvents(w.db, w.workspaceId, [
    event(ana!, 'booking', 1),
    event(ana!, 'booking', 2),
    event(ana!, 'booking', 29),
    event(ana!, 'payment', 3, 150),
    event(bea!, 'booking', 5),
    event(bea!, 'booking', 40),
    event(bea!, 'booking', 10),
  ]);
  /** Members and count through the workspace's kept windows, and by aggregating the events. */
  const evaluate = async (node: Node) => {
    const env = await segmentEnvironment(w.db, { workspaceId: w.workspaceId, role: 'owner' });
    const now = new Date();
    const kept = compileFor(env, node, now);
    const aggregated = compileFor({ ...env, keptWindows: new Map() }, node, now);
    const sorted = async (c: typeof kept) => (await memberIds(w.db, c)).sort();
    return {
      members: await sorted(kept),
      count: await countMembers(w.db, kept),
      expected: await sorted(aggregated),
      usesKept: env.keptWindows.size > 0,
    };
  };
  return { ...w, ana: ana!, bea: bea!, carl: carl!, event, evaluate };
}

async function runJobs() {
  await runOnce({ pgPool: t.app.dbHandle.pool, taskList: t.app.jobs.tasks, logger: silentWorkerLogger() });
}

describe('kept event windows', () => {
  it('are requested by the first evaluation, built by their job, then read with the same answers', async () => {
    const w = await world();
    const first = await w.call('POST', '/api/v1/segments/evaluate', { definition: BOOKINGS_3_IN_30 });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().count).toBe(1);
    const queued = await w.db.execute<{ n: number }>(
      sql`select count(*)::int as n from graphile_worker.jobs where key = ${`${EVENT_WINDOWS_TASK}:${w.workspaceId}`}`,
    );
    expect(queued.rows[0]!.n).toBe(1);
    expect(await keptEventWindows(w.db, w.workspaceId)).toEqual(new Map());

    await runJobs();
    const kept = await keptEventWindows(w.db, w.workspaceId);
    expect([...kept.keys()]).toEqual([windowKey('booking', 30)]);
    const rows = await w.db.execute<{ client_id: string; events: number }>(
      sql`select client_id, events from event_window_aggregates where workspace_id = ${w.workspaceId} order by events`,
    );
    expect(rows.rows).toEqual([
      { client_id: w.bea, events: 2 },
      { client_id: w.ana, events: 3 },
    ]);
    const again = await w.call('POST', '/api/v1/segments/evaluate', { definition: BOOKINGS_3_IN_30 });
    expect(again.json()).toMatchObject({ count: 1, clients: [{ id: w.ana }] });
  });

  it('are noted as used without a write on every evaluation, and requested again once dropped', async () => {
    const w = await world();
    const evaluate = async () => {
      const response = await w.call('POST', '/api/v1/segments/evaluate', { definition: BOOKINGS_3_IN_30 });
      expect(response.json().count).toBe(1);
    };
    await evaluate();
    await runJobs();
    await evaluate(); // built and noted by this process
    const window = sql`workspace_id = ${w.workspaceId} and type = 'booking' and window_days = 30`;
    await w.db.execute(
      sql`update event_windows set last_used_at = now() - interval '2 hours' where ${window}`,
    );
    await evaluate();
    const lastUsed = await w.db.execute<{ stale: boolean }>(
      sql`select last_used_at < now() - interval '1 hour' as stale from event_windows where ${window}`,
    );
    // Noted minutes ago by this process: no statement this time (the next note moves it).
    expect(lastUsed.rows).toEqual([{ stale: true }]);

    // Dropped (a week unused): the next evaluation requests it again and queues its build.
    await w.db.execute(sql`delete from event_windows where ${window}`);
    await evaluate();
    const requested = await w.db.execute<{ n: number }>(
      sql`select count(*)::int as n from event_windows where ${window} and computed_at is null`,
    );
    expect(requested.rows[0]!.n).toBe(1);
    const queued = await w.db.execute<{ n: number }>(
      sql`select count(*)::int as n from graphile_worker.jobs where key = ${`${EVENT_WINDOWS_TASK}:${w.workspaceId}`}`,
    );
    expect(queued.rows[0]!.n).toBe(1);
  });

  it('stay exact when events are added, moved, changed or deleted, and clients erased, before the next refresh', async () => {
    const w = await world();
    const trees: Node[] = [
      BOOKINGS_3_IN_30,
      PAID_OVER_100,
      { not: BOOKINGS_3_IN_30 },
      { event: 'booking', measure: 'count', op: 'lt', value: 2, within_days: 30 },
      { event: 'booking', measure: 'count', op: 'eq', value: 0 },
    ];
    const env = await segmentEnvironment(w.db, { workspaceId: w.workspaceId, role: 'owner' });
    await requestEventWindows(
      w.db,
      w.workspaceId,
      trees.flatMap((tree) => compileFor(env, tree).windows ?? []),
    );
    await refreshEventWindows(w.db, w.workspaceId, { maxAgeMs: 0 });
    const check = async (label: string) => {
      for (const tree of trees) {
        const result = await w.evaluate(tree);
        expect(result.usesKept).toBe(true);
        expect(result.members, `${label}: ${JSON.stringify(tree)}`).toEqual(result.expected);
        expect(result.count, `${label}: count of ${JSON.stringify(tree)}`).toBe(result.expected.length);
      }
    };
    await check('as built');
    expect((await w.evaluate(BOOKINGS_3_IN_30)).members).toEqual([w.ana]);

    // Bea's third booking: she enters.
    await insertEvents(w.db, w.workspaceId, [w.event(w.bea, 'booking', 0.5)]);
    await check('after an insert');
    expect((await w.evaluate(BOOKINGS_3_IN_30)).members).toEqual([w.ana, w.bea].sort());

    // A merge moves Ana's events to Carl: Ana leaves, Carl enters.
    await w.db.execute(sql`update events set client_id = ${w.carl} where client_id = ${w.ana}`);
    await check('after a move');
    expect((await w.evaluate(BOOKINGS_3_IN_30)).members).toEqual([w.bea, w.carl].sort());

    // A payment corrected, a booking deleted, a client erased.
    await w.db.execute(
      sql`update events set amount = 50 where type = 'payment' and workspace_id = ${w.workspaceId}`,
    );
    await w.db.execute(sql`delete from events where id = (
      select id from events where client_id = ${w.bea} and type = 'booking' order by occurred_at desc limit 1)`);
    await w.db.execute(sql`update clients set erased_at = now() where id = ${w.carl}`);
    await check('after an update, a delete and an erase');
    expect((await w.evaluate(BOOKINGS_3_IN_30)).members).toEqual([]);
    expect((await w.evaluate(PAID_OVER_100)).count).toBe(0);

    // The refresh folds the changes in and clears their marks.
    await refreshEventWindows(w.db, w.workspaceId, { maxAgeMs: 0 });
    const marks = await w.db.execute<{ n: number }>(
      sql`select count(*)::int as n from event_aggregate_changes where workspace_id = ${w.workspaceId}`,
    );
    expect(marks.rows[0]!.n).toBe(0);
    await check('after the refresh');
  });

  it('wait for a write in flight before rebuilding, so its events are never lost between refreshes', async () => {
    const w = await world();
    await w.db.execute(
      sql`insert into event_windows (workspace_id, type, window_days) values (${w.workspaceId}, 'booking', 30)`,
    );
    await refreshEventWindows(w.db, w.workspaceId, { maxAgeMs: 0 });
    // A transaction writes Bea's third booking and stays open while a refresh starts.
    const writer = await t.app.dbHandle.pool.connect();
    try {
      await writer.query('begin');
      await writer.query(
        `insert into events (workspace_id, client_id, type, occurred_at) values ($1, $2, 'booking', now() - interval '1 hour')`,
        [w.workspaceId, w.bea],
      );
      let refreshed = false;
      const refresh = refreshEventWindows(w.db, w.workspaceId, { maxAgeMs: 0 }).then(() => {
        refreshed = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(refreshed).toBe(false);
      await writer.query('commit');
      await refresh;
    } finally {
      writer.release();
    }
    const result = await w.evaluate(BOOKINGS_3_IN_30);
    expect(result.members).toEqual([w.ana, w.bea].sort());
    expect(result.count).toBe(2);
  });

  it('belong to their workspace: another workspace with the same event type keeps its own', async () => {
    const a = await world();
    const b = await world();
    await a.call('POST', '/api/v1/segments/evaluate', { definition: BOOKINGS_3_IN_30 });
    await runJobs();
    expect(await keptEventWindows(b.db, b.workspaceId)).toEqual(new Map());
    await b.call('POST', '/api/v1/segments/evaluate', { definition: BOOKINGS_3_IN_30 });
    await runJobs();
    await insertEvents(b.db, b.workspaceId, [b.event(b.bea, 'booking', 0.1)]);
    for (const w of [a, b]) {
      const result = await w.evaluate(BOOKINGS_3_IN_30);
      expect(result.usesKept).toBe(true);
      expect(result.members).toEqual(w === a ? [a.ana] : [b.ana, b.bea].sort());
      expect(result.count).toBe(result.members.length);
    }
  });
});
