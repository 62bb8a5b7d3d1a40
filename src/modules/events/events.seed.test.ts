import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../../../test/support/app.ts';
import { runSeedDemo } from '../../seed/seed-demo.ts';

const t = setupTestApp();

describe('demo seed: events', () => {
  it('gives the demo clients bookings and payments whose scores match their events', async () => {
    const db = t.app.dbHandle.db;
    const result = await runSeedDemo(db, { workspaceId: null, clients: 300, progress: () => {} });
    const ws = result.workspace.id;
    expect(result).toMatchObject({ events: expect.any(Number) });
    const counts = await db.execute<{ type: string; n: number }>(
      sql`select type, count(*)::int as n from events where workspace_id = ${ws} group by type`,
    );
    const byType = Object.fromEntries(counts.rows.map((r) => [r.type, r.n]));
    expect(byType.booking).toBeGreaterThan(300);
    expect(byType.payment).toBe(byType.booking);
    expect(byType.support).toBeGreaterThan(0);
    // Scores kept by ingestion equal a recomputation from the events.
    const wrong = await db.execute(sql`
      select c.id from clients c
      left join lateral (
        select coalesce(sum(amount) filter (where type = 'payment'), 0) as ltv,
               count(*) filter (where type = 'booking')::int as bookings,
               max(occurred_at) as last_activity
        from events e where e.client_id = c.id) s on true
      where c.workspace_id = ${ws}
        and (c.lifetime_value <> s.ltv or c.booking_count <> s.bookings
             or c.last_activity_at is distinct from s.last_activity)`);
    expect(wrong.rows).toEqual([]);
    const risk = await db.execute<{ low: number; high: number; unset: number }>(sql`
      select count(*) filter (where risk_score < 30)::int as low, count(*) filter (where risk_score > 70)::int as high,
             count(*) filter (where risk_score is null)::int as unset
      from clients where workspace_id = ${ws}`);
    expect(risk.rows[0]!.low).toBeGreaterThan(10);
    expect(risk.rows[0]!.high).toBeGreaterThan(10);
    expect(risk.rows[0]!.unset).toBe(0);
  });
});
