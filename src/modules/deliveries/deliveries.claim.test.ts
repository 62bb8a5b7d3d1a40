import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../../../test/support/app.ts';
import { clientRowsQuery } from '../clients/clients.service.ts';
import { claimSql, consentWithdrawnSql } from './deliveries.repo.ts';

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
});
