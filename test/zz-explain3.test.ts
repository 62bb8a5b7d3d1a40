import { sql } from 'drizzle-orm';
import { it } from 'vitest';
import { newWorkspace, setupTestApp } from './support/app.ts';
import { systemContext } from '../src/platform/auth/context.ts';
import { ingestEvents } from '../src/modules/events/events.service.ts';

const t = setupTestApp();
const TYPES = ['booking', 'payment', 'visit', 'support', 'purchase'];

it('explain', async () => {
  const db = t.app.dbHandle.db;
  const ws = await newWorkspace(t);
  const ctx = systemContext(ws.id, 'bench');
  const N = 20000;
  await db.execute(sql`insert into clients (workspace_id, first_name, email, external_id)
    select ${ws.id}, 'C' || g, 'c' || g || '@x.test', 'ext-' || g from generate_series(1, ${N}) g`);
  const ids = (await db.execute<{ id: string }>(sql`select id from clients where workspace_id = ${ws.id}`)).rows.map((r) => r.id);
  let ref = 0;
  const batch = () => Array.from({ length: 1000 }, () => {
    const i = Math.floor(Math.random() * N);
    const type = TYPES[Math.floor(Math.random() * TYPES.length)]!;
    return { client_id: ids[i], type, occurred_at: new Date(Date.now() - Math.random() * 3 * 365 * 86400000).toISOString(),
      amount: type === 'payment' ? 10 : undefined, reference_id: `r-${ref++}`, properties: { a: 1 } };
  });
  for (let i = 0; i < 10; i++) await ingestEvents(db, ctx, { events: batch() });
  const refs = Array.from({ length: 1000 }, (_, i) => `q-${i * 7}`);
  const types = refs.map((_, i) => TYPES[i % 5]!);
  const st = await db.execute(sql`select relname, relpages, reltuples from pg_class where relname like 'events%'`);
  console.log(JSON.stringify(st.rows));
  await db.transaction(async (tx) => {
    await tx.execute(sql`set local enable_seqscan = off`);
    const r = await tx.execute<{ 'QUERY PLAN': string }>(sql`explain (analyze, buffers) select e.client_id from unnest(${sql.param(types)}::text[], ${sql.param(refs)}::text[]) as r(type, reference_id)
      cross join lateral (select e.id, e.client_id from events e where e.workspace_id = ${ws.id} and e.type = r.type and e.reference_id = r.reference_id and e.reference_id is not null limit 1) e order by e.id for update of e`);
    console.log(r.rows.map((x) => x['QUERY PLAN']).join('\n'));
  });
}, 600_000);
