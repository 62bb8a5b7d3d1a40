import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../../../test/support/app.ts';
import { runSeedDemo } from '../../seed/seed-demo.ts';

const t = setupTestApp();

describe('demo seed: notes and consent', () => {
  it('gives the demo clients notes and consent histories that match their current consent', async () => {
    const db = t.app.dbHandle.db;
    const result = await runSeedDemo(db, { workspaceId: null, clients: 300, progress: () => {} });
    const ws = result.workspace.id;
    const notes = await db.execute<{ n: number; pinned: number }>(
      sql`select count(*)::int as n, count(*) filter (where pinned)::int as pinned from notes where workspace_id = ${ws}`,
    );
    expect(notes.rows[0]!.n).toBeGreaterThan(30);
    const events = await db.execute<{ n: number; withdrawals: number }>(
      sql`select count(*)::int as n, count(*) filter (where not granted)::int as withdrawals from consent_events where workspace_id = ${ws}`,
    );
    expect(events.rows[0]!.n).toBeGreaterThan(300);
    expect(events.rows[0]!.withdrawals).toBeGreaterThan(5);
    // The current state of every client is the state of its latest event per channel (never granted = false).
    const mismatches = await db.execute(sql`
      with latest as (
        select distinct on (client_id, channel) client_id, channel, granted
        from consent_events where workspace_id = ${ws} order by client_id, channel, occurred_at desc, id desc)
      select c.id from clients c
      where c.workspace_id = ${ws} and (
        c.consent_email <> coalesce((select granted from latest l where l.client_id = c.id and l.channel = 'email'), false) or
        c.consent_sms <> coalesce((select granted from latest l where l.client_id = c.id and l.channel = 'sms'), false) or
        c.consent_whatsapp <> coalesce((select granted from latest l where l.client_id = c.id and l.channel = 'whatsapp'), false) or
        c.consent_push <> coalesce((select granted from latest l where l.client_id = c.id and l.channel = 'push'), false))`);
    expect(mismatches.rows).toEqual([]);
  });
});
