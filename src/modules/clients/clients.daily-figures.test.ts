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

  it('20,000 clients: the reading counts what the rule says (the override over the score, archived and erased left out)', async () => {
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
    // The same rule, straight from the rows written.
    const live = rows.filter((r) => !r.archivedAt && !(r.firstName.startsWith('C1') && r.riskScore === 99));
    const atRisk = live.filter((r) => (r.riskOverride ?? r.riskScore ?? -1) >= 70).length;
    expect(live.length).toBeLessThan(rows.length - 100);
    expect(atRisk).toBeGreaterThan(1000);
    // Overrides that lift a low score over the line and pull a high one under it both occur.
    expect(live.some((r) => r.riskOverride !== null && r.riskOverride >= 70 && (r.riskScore ?? 0) < 70)).toBe(
      true,
    );
    expect(live.some((r) => r.riskOverride !== null && r.riskOverride < 70 && (r.riskScore ?? 0) >= 70)).toBe(
      true,
    );
    const figure = await recordDailyFigure(w.db, w.workspaceId, { day: '2026-01-15' });
    expect(figure).toEqual({ day: '2026-01-15', total: live.length, at_risk: atRisk });
  });
});
