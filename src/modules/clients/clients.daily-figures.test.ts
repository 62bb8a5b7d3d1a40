import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { runDueJobs, setupTestApp } from '../../../test/support/app.ts';
import { insertClients, segmentWorld } from '../segments/segment-test-helpers.ts';
import { DAILY_FIGURES_CRON, DAILY_FIGURES_TASK, recordDailyFigure } from './clients.daily-figures.ts';
import { insertClientsBulk } from './clients.service.ts';

const t = setupTestApp();

describe('client daily figures', () => {
  it('the hourly job records today in each workspace’s own zone, rewriting the day’s row', async () => {
    expect(t.app.jobs.cron.find((c) => c.identifier === DAILY_FIGURES_TASK)).toMatchObject({
      match: DAILY_FIGURES_CRON,
    });
    // UTC+14 and UTC−11: at any hour these two zones are on different dates.
    const east = await segmentWorld(t, { timezone: 'Pacific/Kiritimati' });
    const west = await segmentWorld(t, { timezone: 'Pacific/Pago_Pago' });
    await insertClients(east.db, east.workspaceId, [{ risk_score: 80 }, { risk_score: 20 }]);
    await insertClients(west.db, west.workspaceId, [{ risk_override: 90 }]);

    const run = async () => {
      await t.app.dbHandle.db.execute(sql`select graphile_worker.add_job(${DAILY_FIGURES_TASK})`);
      await runDueJobs(t);
    };
    await run();
    await insertClients(east.db, east.workspaceId, [{ risk_score: 100 }]);
    await run();

    const rows = await t.app.dbHandle.db.execute<{
      workspace_id: string;
      day: string;
      zone_today: string;
      total: number;
      at_risk: number;
    }>(sql`
      select f.workspace_id, to_char(f.day, 'YYYY-MM-DD') as day,
        to_char((now() at time zone w.default_timezone)::date, 'YYYY-MM-DD') as zone_today, f.total, f.at_risk
      from client_daily_figures f join workspaces w on w.id = f.workspace_id
      where f.workspace_id in (${east.workspaceId}, ${west.workspaceId})`);
    const of = (id: string) => rows.rows.filter((r) => r.workspace_id === id);
    expect(of(east.workspaceId)).toHaveLength(1);
    expect(of(west.workspaceId)).toHaveLength(1);
    const [e] = of(east.workspaceId);
    const [w] = of(west.workspaceId);
    expect(e).toMatchObject({ total: 3, at_risk: 2 });
    expect(w).toMatchObject({ total: 1, at_risk: 1 });
    expect(e!.day).toBe(e!.zone_today);
    expect(w!.day).toBe(w!.zone_today);
    expect(e!.day).not.toBe(w!.day);
  });

  it('20,000 clients: the indexed count equals the plain count of coalesce(override, score) ≥ 70', async () => {
    const w = await segmentWorld(t, { timezone: 'UTC' });
    // A fixed pseudo-random mix: scores 0–100 or none, 1 in 20 with an override, some archived/erased.
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const rows = Array.from({ length: 20_000 }, (_, i) => ({
      firstName: `C${i}`,
      riskScore: next() < 0.1 ? null : Math.floor(next() * 101),
      riskOverride: next() < 0.05 ? Math.floor(next() * 101) : null,
      archivedAt: next() < 0.02 ? new Date() : null,
    }));
    await insertClientsBulk(w.db, w.workspaceId, rows);
    await w.db.execute(sql`update clients set erased_at = now()
      where workspace_id = ${w.workspaceId} and first_name like 'C1%' and risk_score = 99`);
    await w.db.execute(sql`analyze clients`);

    const plainCount = () =>
      w.db.execute<{ total: number; at_risk: number }>(sql`
        select count(*)::int as total, count(*) filter (where coalesce(risk_override, risk_score) >= 70)::int as at_risk
        from clients where workspace_id = ${w.workspaceId} and erased_at is null and archived_at is null`);
    const best = async (f: () => Promise<unknown>) => {
      let ms = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 3; i += 1) {
        const started = performance.now();
        await f();
        ms = Math.min(ms, performance.now() - started);
      }
      return ms;
    };
    const plain = await plainCount();
    const figure = await recordDailyFigure(w.db, w.workspaceId, { day: '2026-01-15' });
    const plainMs = await best(plainCount);
    const indexedMs = await best(() => recordDailyFigure(w.db, w.workspaceId, { day: '2026-01-15' }));
    expect(plain.rows[0]!.at_risk).toBeGreaterThan(1000);
    expect({ total: figure.total, at_risk: figure.at_risk }).toEqual(plain.rows[0]);
    console.info(
      `daily figure of 20,000 clients: ${indexedMs.toFixed(1)} ms (best of 3; the plain count over the rows: ${plainMs.toFixed(1)} ms)`,
    );
  });
});
