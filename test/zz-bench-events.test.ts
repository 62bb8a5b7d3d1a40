import { sql } from 'drizzle-orm';
import pg from 'pg';
const timings = new Map<string, { n: number; ms: number }>();
const orig = pg.Client.prototype.query as any;
(pg.Client.prototype as any).query = function (this: any, ...args: any[]) {
  const text = typeof args[0] === 'string' ? args[0] : args[0]?.text ?? '';
  const key = String(text).replace(/\s+/g, ' ').slice(0, 90);
  const start = performance.now();
  const r = orig.apply(this, args);
  if (r && typeof r.then === 'function') r.then(() => { const e = timings.get(key) ?? { n: 0, ms: 0 }; e.n++; e.ms += performance.now() - start; timings.set(key, e); }, () => {});
  return r;
};

import { it } from 'vitest';
import { newWorkspace, setupTestApp } from './support/app.ts';
import { systemContext } from '../src/platform/auth/context.ts';
import { ingestEvents } from '../src/modules/events/events.service.ts';

const t = setupTestApp();
const TYPES = ['booking', 'payment', 'visit', 'support', 'purchase'];

it('bench', async () => {
  const db = t.app.dbHandle.db;
  const ws = await newWorkspace(t);
  const ctx = systemContext(ws.id, 'bench');
  const N = 100000;
  await db.execute(sql`insert into clients (workspace_id, first_name, email, external_id)
    select ${ws.id}, 'C' || g, 'c' || g || '@x.test', 'ext-' || g from generate_series(1, ${N}) g`);
  const ids = (await db.execute<{ id: string }>(sql`select id from clients where workspace_id = ${ws.id}`)).rows.map((r) => r.id);
  let ref = 0;
  const batch = (byExternal: boolean) => Array.from({ length: 1000 }, () => {
    const i = Math.floor(Math.random() * N);
    const type = TYPES[Math.floor(Math.random() * TYPES.length)]!;
    return {
      ...(byExternal ? { external_id: `ext-${i + 1}` } : { client_id: ids[i] }),
      type,
      occurred_at: new Date(Date.now() - Math.random() * 3 * 365 * 86400000).toISOString(),
      amount: type === 'payment' || type === 'purchase' ? Math.round(Math.random() * 20000) / 100 : undefined,
      currency: 'EUR',
      reference_id: `r-${ref++}`,
      properties: { channel: 'web', category: 'kayak', n: 3 },
    };
  });
  for (const [label, conc, byExt] of [['seq client_id', 1, false], ['seq external_id', 1, true], ['4 parallel client_id', 4, false]] as const) {
    const batches = Array.from({ length: 50 }, () => batch(byExt));
    const start = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: conc }, async () => {
      while (next < batches.length) {
        const b = batches[next++]!;
        const r = await ingestEvents(db, ctx, { events: b });
        if (r.accepted !== 1000) throw new Error(JSON.stringify(r.rejected.slice(0, 3)));
      }
    }));
    const s = (performance.now() - start) / 1000;
    console.log(`${label}: 50,000 events in ${s.toFixed(2)} s = ${Math.round(50000 / s)} events/s`);
  }
  const { resolveClientIdentities } = await import('../src/modules/clients/clients.service.ts');
  for (const byExt of [false, true]) {
    const b = batch(byExt);
    const t0 = performance.now();
    for (let k = 0; k < 5; k++) await resolveClientIdentities(db, ws.id, b as never, 'ES');
    console.log(`resolve ${byExt ? 'external_id' : 'client_id'} x1000: ${((performance.now() - t0) / 5).toFixed(1)} ms`);
  }
  // Updates of existing references
  const total = (await db.execute<{ n: number }>(sql`select count(*)::int n from events where workspace_id = ${ws.id}`)).rows[0]!.n;
  console.log('events stored', total);
  console.log([...timings].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15).map(([k, v]) => `${v.ms.toFixed(0).padStart(7)} ms ${String(v.n).padStart(5)}x ${k}`).join('\n'));
}, 600_000);
