import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../../../test/support/app.ts';
import { clientRowsQuery } from '../clients/clients.service.ts';
import { insertClients, segmentWorld } from '../segments/segment-test-helpers.ts';
import {
  type ClaimCursor,
  claimDeliveries,
  claimSql,
  consentWithdrawnSql,
  releaseClaims,
} from './deliveries.repo.ts';

const t = setupTestApp();

describe('claiming deliveries', () => {
  it('walks the due index in the claim’s own order and stops at the limit (no sort of every queued row)', async () => {
    const db = t.app.dbHandle.db;
    // The planner would scan a tiny test table; with scans off it must show which index serves the
    // claim. With an index in another order than `send_after nulls first, id` it sorts every queued
    // row of the campaign on each claim (100,000 recipients: PostgreSQL's time per message grew with
    // the audience, bench/campaigns-send.ts).
    const plan = await db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      await tx.execute(sql`set local enable_bitmapscan = off`);
      const result = await tx.execute(sql`explain ${claimSql(randomUUID(), 50, 'test-owner')}`);
      return result.rows.map((r) => Object.values(r).join(' ')).join('\n');
    });
    expect(plan).toMatch(/Index Scan using deliveries_due_index/);
    const due = plan.slice(0, plan.indexOf('deliveries_due_index'));
    expect(due, plan).not.toMatch(/Sort/);
  });

  it('reads the clients of a batch by primary key, one probe per row, whatever the statistics say', async () => {
    const db = t.app.dbHandle.db;
    // A tiny test table stands for a table the planner has no statistics of yet (clients just
    // imported): as plain joins it hashed or scanned every client for each batch of 100 (10 ms
    // per statement at 20,000 clients, growing with the table, bench/campaigns-send.ts). Each
    // statement must probe clients_pkey and never scan clients.
    const ids = [randomUUID(), randomUUID()];
    const plans: Record<string, string> = {};
    const explain = async (name: string, statement: ReturnType<typeof sql>) => {
      const result = await db.execute(sql`explain ${statement}`);
      plans[name] = result.rows.map((r) => Object.values(r).join(' ')).join('\n');
    };
    await explain('claim', claimSql(randomUUID(), 100, 'test-owner'));
    await explain('consent', consentWithdrawnSql(ids));
    // The renderer's read of the batch's client rows, built by the query builder.
    const rows = clientRowsQuery(db, randomUUID(), ids).toSQL();
    const result = await t.app.dbHandle.pool.query(`explain ${rows.sql}`, rows.params);
    plans.render = result.rows.map((r) => Object.values(r).join(' ')).join('\n');
    for (const [name, plan] of Object.entries(plans)) {
      expect(plan, name).toMatch(/Index Scan using clients_pkey on clients/);
      expect(plan, name).not.toMatch(/Seq Scan on clients|Hash/);
    }
  });

  it('claims from where the last claim ended: the cursor is the start of the due index scan', async () => {
    const db = t.app.dbHandle.db;
    const plan = await db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      await tx.execute(sql`set local enable_bitmapscan = off`);
      const result = await tx.execute(sql`explain ${claimSql(randomUUID(), 50, 'test-owner', randomUUID())}`);
      return result.rows.map((r) => Object.values(r).join(' ')).join('\n');
    });
    // Started at the cursor (an index condition), not filtered after reading every entry before it.
    expect(plan).toMatch(/Index Cond: \(\(campaign_id = [^\n]*\(send_after IS NULL\)[^\n]*\(id > /);
  });

  it('a worker claiming from its cursor still gets every delivery once, those handed back behind it too', async () => {
    const w = await segmentWorld(t);
    const clientIds = await insertClients(
      w.db,
      w.workspaceId,
      Array.from({ length: 12 }, (_, i) => ({
        first_name: `C${i}`,
        email: `c${i}@example.com`,
        consent: { email: true },
      })),
    );
    const campaignId = randomUUID();
    await w.db.execute(sql`
      insert into deliveries (workspace_id, campaign_id, client_id, channel, address, status)
      select ${w.workspaceId}::uuid, ${campaignId}::uuid, id, 'email', email, 'queued'
      from clients where id = any(${`{${clientIds.join(',')}}`}::uuid[])`);
    const cursor: ClaimCursor = { after: null };
    const claimed: string[] = [];
    const first = await claimDeliveries(w.db, campaignId, 4, 'owner-a', cursor);
    claimed.push(...first.map((d) => d.id));
    expect(cursor.after).toBe([...claimed].sort().at(-1));
    // Another worker claims the next four, so this one's next claim skips them.
    const other = await claimDeliveries(w.db, campaignId, 4, 'owner-b');
    // Two of the first batch go back to the queue untouched (a pause): behind the cursor now.
    const handedBack = first.slice(0, 2).map((d) => d.id);
    await releaseClaims(w.db, handedBack);
    for (;;) {
      const batch = await claimDeliveries(w.db, campaignId, 4, 'owner-a', cursor);
      if (!batch.length) break;
      claimed.push(...batch.map((d) => d.id));
    }
    const all = [...claimed, ...other.map((d) => d.id)];
    // Every delivery claimed, and only the two handed back twice (they were never sent).
    expect(new Set(all).size).toBe(12);
    expect(all.length).toBe(14);
    expect(all.filter((id) => handedBack.includes(id)).length).toBe(4);
    const left = await w.db.execute<{ n: number }>(
      sql`select count(*)::int as n from deliveries where campaign_id = ${campaignId} and status = 'queued'`,
    );
    expect(left.rows[0]!.n).toBe(0);
  });
});
