import { sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { newWorkspace, setupTestApp } from '../../../test/support/app.ts';
import {
  manualClientAnalyses as manualAnalyses,
  writeClientsReported as writeClients,
} from '../../../test/support/statistics.ts';
import { analyzeIfStale } from './statistics.ts';

const t = setupTestApp();

it('analyzes the clients only when more changed since the last ANALYZE than autovacuum would wait for', async () => {
  const db = t.app.dbHandle.db;
  const workspace = await newWorkspace(t);
  await db.execute(sql`analyze clients`);
  const start = await manualAnalyses(db);
  // 10 rows: under the threshold (50 + 10 %), nothing is done.
  await writeClients(db, workspace.id, 10);
  expect(await analyzeIfStale(db, 'clients')).toBe(false);
  expect(await manualAnalyses(db)).toBe(start);
  // 2,000 clients written since: analyzed now, so the planner knows of them.
  await writeClients(db, workspace.id, 2000);
  expect(await analyzeIfStale(db, 'clients')).toBe(true);
  expect(await manualAnalyses(db)).toBe(start + 1);
  const tuples = await db.execute<{ n: number }>(
    sql`select reltuples::int as n from pg_class where oid = 'clients'::regclass`,
  );
  expect(tuples.rows[0]!.n).toBeGreaterThanOrEqual(2010);
  // Nothing changed since: not again.
  expect(await analyzeIfStale(db, 'clients')).toBe(false);
  expect(await manualAnalyses(db)).toBe(start + 1);
});
