import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { newApiKey, setupTestApp } from '../../../test/support/app.ts';
import { runLimited, segmentTestHooks } from './segment-run.ts';
import { segmentWorld } from './segment-test-helpers.ts';

/**
 * The time limit and the cancellation of evaluations. This app runs with SEGMENT_TIMEOUT_MS=5, so
 * any real count over a big workspace times out; the cancellation test lifts the limit inside the
 * test-only hook and sleeps (pg_sleep, which no tree can reach) so the query is there to cancel.
 */
const t = setupTestApp({ SEGMENT_TIMEOUT_MS: '5' });

afterEach(() => {
  segmentTestHooks.beforeEvaluate = null;
});

async function sleepers(marker: string): Promise<number> {
  const rows = await t.app.dbHandle.db.execute<{ n: number }>(
    sql`select count(*)::int as n from pg_stat_activity where query like ${`%pg_sleep(${marker})%`} and pid <> pg_backend_pid()`,
  );
  return rows.rows[0]!.n;
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

describe('runLimited', () => {
  it('stops a statement at the limit with SEGMENT_TIMEOUT naming it', async () => {
    const started = Date.now();
    await expect(
      runLimited(t.app.dbHandle.db, { timeoutMs: 100 }, (tx) => tx.execute(sql`select pg_sleep(20)`)),
    ).rejects.toMatchObject({
      code: 'SEGMENT_TIMEOUT',
      status: 422,
      message: expect.stringContaining('100 ms'),
      extra: { timeout_ms: 100 },
    });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('cancels the running statement when the signal aborts, and the connection stays usable', async () => {
    const db = t.app.dbHandle.db;
    const controller = new AbortController();
    const running = runLimited(db, { timeoutMs: 60_000, signal: controller.signal }, (tx) =>
      tx.execute(sql`select pg_sleep(21.5)`),
    );
    expect(await waitFor(async () => (await sleepers('21.5')) === 1, 5000)).toBe(true);
    const aborted = Date.now();
    controller.abort();
    await expect(running).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(Date.now() - aborted).toBeLessThan(2000);
    expect(await sleepers('21.5')).toBe(0);
    // The limit was local to that transaction: the pool's connections are back to normal.
    const after = await db.execute<{ t: string }>(sql`select current_setting('statement_timeout') as t`);
    expect(after.rows[0]!.t).toBe('0');
    await expect(
      runLimited(db, { timeoutMs: 60_000, signal: new AbortController().signal }, (tx) =>
        tx.execute(sql`select 1`),
      ),
    ).resolves.toBeDefined();
  });

  it('never starts when the caller is already gone', async () => {
    const controller = new AbortController();
    controller.abort();
    let ran = false;
    await expect(
      runLimited(t.app.dbHandle.db, { timeoutMs: 1000, signal: controller.signal }, async () => {
        ran = true;
      }),
    ).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(ran).toBe(false);
  });
});

describe('the evaluation API under the limit', () => {
  it('answers 422 SEGMENT_TIMEOUT for a slow tree over 60,000 clients, never a hang', async () => {
    const w = await segmentWorld(t);
    await w.db.execute(sql`
      insert into clients (workspace_id, first_name, last_name, city, email, lifetime_value, created_at)
      select ${w.workspaceId}, 'Name ' || i, 'Surname ' || (i % 997), 'City ' || (i % 101), 'c' || i || '@example.com',
             (i % 5000) / 7.0, now() - (i || ' minutes')::interval
      from generate_series(1, 60000) i`);
    const slow = {
      all: [
        { field: 'name', op: 'contains', value: 'name 1' },
        { field: 'email', op: 'not_contains', value: 'zz' },
        { field: 'city', op: 'ends_with', value: '7' },
        {
          any: [
            { field: 'lifetime_value', op: 'gt', value: 10 },
            { field: 'last_name', op: 'starts_with', value: 'sur' },
          ],
        },
        { event: 'booking', measure: 'count', op: 'eq', value: 0 },
      ],
    };
    const started = Date.now();
    const response = await w.call('POST', '/api/v1/segments/evaluate', { definition: slow, limit: 10 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatchObject({
      code: 'SEGMENT_TIMEOUT',
      message:
        'The segment took longer than the 5 ms limit (SEGMENT_TIMEOUT_MS) to evaluate; simplify it or try again later',
      timeout_ms: 5,
    });
  });

  it('cancels the query of a preview whose HTTP request was closed by the client', async () => {
    const w = await segmentWorld(t);
    const key = await newApiKey(t, w.workspaceId, 'viewer');
    segmentTestHooks.beforeEvaluate = async (tx) => {
      await tx.execute(sql`select set_config('statement_timeout', '60000', true)`);
      await tx.execute(sql`select pg_sleep(22.5)`);
    };
    await t.app.http.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.http.server.address() as AddressInfo;
    const request = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/v1/segments/evaluate',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    });
    request.on('error', () => undefined);
    request.end(JSON.stringify({ definition: { all: [] } }));
    expect(await waitFor(async () => (await sleepers('22.5')) === 1, 5000)).toBe(true);
    const closed = Date.now();
    request.destroy();
    expect(await waitFor(async () => (await sleepers('22.5')) === 0, 3000)).toBe(true);
    expect(Date.now() - closed).toBeLessThan(3000);
    // The server goes on serving (the next preview is not stuck behind the cancelled one); this one
    // only lifts this file's 5 ms limit.
    segmentTestHooks.beforeEvaluate = async (tx) => {
      await tx.execute(sql`select set_config('statement_timeout', '60000', true)`);
    };
    const next = await fetch(`http://127.0.0.1:${port}/api/v1/segments/evaluate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ definition: { all: [] }, limit: 0 }),
    });
    expect(next.status).toBe(200);
    expect(await next.json()).toEqual({ count: 0, clients: [], next_cursor: null });
  });
});
