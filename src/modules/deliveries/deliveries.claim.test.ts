import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../../../test/support/app.ts';
import { claimSql } from './deliveries.repo.ts';

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
});
