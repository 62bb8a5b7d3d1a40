/**
 * Bulk actions at scale (issue 8): tagging 100,000 clients (≤ 5 s) and issuing 50,000 personal
 * coupons (≤ 10 s), through the product's service exactly as POST /api/v1/bulk/{action} runs them
 * (request: selection checked and counted, row and audit written, job queued; run: the selection
 * evaluated again, then set-based statements per chunk of 10,000 with progress, the timeline
 * entries and the final audit), against a raw SQL baseline doing only the core write in one
 * statement, alternating, in the same run.
 *
 *   node bin/run-ts.mjs bench/bulk.ts [--runs 3] [--clients 100000]
 *
 * Builds its own dataset in a temporary embedded PostgreSQL (about 10 s), removed at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createClientela } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { runBulkAction, startBulkAction } from '../src/modules/bulk/bulk.service.ts';
import { createWorkspace } from '../src/modules/workspaces/workspaces.service.ts';
import { systemContext } from '../src/platform/auth/context.ts';
import { migrateDatabase } from '../src/platform/db/db.ts';
import { startEmbeddedPostgres } from '../src/platform/db/embedded.ts';
import { CpuWindow, cpuLine, int, latency, ms1, ratio, writeSection } from './lib/clients-util.ts';
import { machineInfo, machineLine, utcNow } from './lib/proc.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const arg = (name: string, fallback: number) =>
  process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback;
const runs = arg('--runs', 3);
const CLIENTS = arg('--clients', 100_000);
const COUPONS = CLIENTS / 2;
const TAG_TARGET_MS = 5_000;
const COUPON_TARGET_MS = 10_000;

const machineAtStart = machineInfo();
const dataDir = await mkdtemp(path.join(tmpdir(), 'clientela-bench-bulk-'));
const handle = await startEmbeddedPostgres({ dataDir, log: console.log, database: 'clientela_bench' });
await migrateDatabase(handle.url);
const app = await createClientela({
  config: loadConfig({ CLIENTELA_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }),
  databaseUrl: handle.url,
  secretKey: randomBytes(32).toString('hex'),
  logger: false,
  webDist: null,
});
const db = app.dbHandle.db;
const raw = new pg.Pool({ connectionString: handle.url, max: 2 });

try {
  const workspace = await createWorkspace(db, { name: 'Bulk bench' }, { user: null });
  const ws = workspace.id;
  const ctx = systemContext(ws, 'bench');
  // Clients as an import leaves them: names, emails, a city (half in Madrid: the coupon selection),
  // a third already tagged "regular", consent for some.
  await raw.query(
    `insert into clients (workspace_id, first_name, last_name, email, city, consent_email, search_text)
     select $1, 'Name' || i, 'Surname' || (i % 977), 'client' || i || '@example.com',
       case when i <= $3 then 'Madrid' else 'Sevilla' end, i % 3 = 0, 'name' || i
     from generate_series(1, $2) as i`,
    [ws, CLIENTS, COUPONS],
  );
  await raw.query(`insert into tags (workspace_id, name, name_key) values ($1, 'regular', 'regular')`, [ws]);
  await raw.query(
    `insert into client_tags (client_id, tag_id, workspace_id)
     select c.id, t.id, $1 from clients c join tags t on t.workspace_id = $1 and t.name_key = 'regular'
     where c.workspace_id = $1 and c.first_name ~ '[0369]$'`,
    [ws],
  );
  await raw.query('analyze');
  console.log(`dataset: ${int(CLIENTS)} clients in ${dataDir}`);

  const everyone = { definition: { all: [] } };
  const madrid = { definition: { field: 'city', op: 'eq', value: 'Madrid' } };
  const timed = async <T>(fn: () => Promise<T>) => {
    const t0 = performance.now();
    const value = await fn();
    return { ms: performance.now() - t0, value };
  };
  /** Request + run, as one API call and its job. */
  const product = async (action: 'add_tags' | 'coupons', body: Record<string, unknown>) =>
    timed(async () => {
      const started = await startBulkAction(
        db,
        { exports: { secrets: null as never, exportsDir: dataDir } },
        ctx,
        action,
        body as never,
      );
      const done = started.queued ? await runBulkAction(db, ws, started.action.id) : started.action;
      if (done.status !== 'completed') throw new Error(`bulk ${action} ended ${done.status}: ${done.error}`);
      return done;
    });

  const figures: Record<string, number[]> = { tag: [], tagBase: [], tagSame: [], coupon: [], couponBase: [] };
  let tagDone = 0;
  let couponDone = 0;
  const cpu = new CpuWindow(dataDir).start();
  for (let i = 0; i < runs; i++) {
    // Tags: a new tag each run, so every run writes every row.
    const tag = await product('add_tags', { selection: everyone, tags: [`spring-${i}`] });
    figures.tag!.push(tag.ms);
    tagDone = tag.value.done;
    const tagBase = await timed(async () => {
      const t = await raw.query<{ id: string }>(
        `insert into tags (workspace_id, name, name_key) values ($1, $2, $2) returning id`,
        [ws, `base-${i}`],
      );
      const r = await raw.query(
        `insert into client_tags (client_id, tag_id, workspace_id)
         select id, $2, $1 from clients where workspace_id = $1 and erased_at is null on conflict do nothing`,
        [ws, t.rows[0]!.id],
      );
      return r.rowCount ?? 0;
    });
    figures.tagBase!.push(tagBase.ms);
    // The same rows the product writes (tags and one timeline entry per client), raw, in one statement.
    const tagSame = await timed(async () => {
      const t = await raw.query<{ id: string }>(
        `insert into tags (workspace_id, name, name_key) values ($1, $2, $2) returning id`,
        [ws, `same-${i}`],
      );
      const r = await raw.query(
        `with added as (
           insert into client_tags (client_id, tag_id, workspace_id)
           select id, $2, $1 from clients where workspace_id = $1 and erased_at is null on conflict do nothing
           returning client_id)
         insert into client_history (workspace_id, client_id, kind, actor_type, actor_label, data)
         select $1, client_id, 'tags', 'system', 'baseline', jsonb_build_object('added', jsonb_build_array($3::text), 'removed', '[]'::jsonb)
         from added`,
        [ws, t.rows[0]!.id, `same-${i}`],
      );
      return r.rowCount ?? 0;
    });
    figures.tagSame!.push(tagSame.ms);

    const coupon = await product('coupons', {
      selection: madrid,
      discount_type: 'percentage',
      discount_value: 15,
      valid_days: 30,
      prefix: `B${i}`,
    });
    figures.coupon!.push(coupon.ms);
    couponDone = coupon.value.done;
    const couponBase = await timed(async () => {
      const b = await raw.query<{ id: string }>(
        `insert into coupon_batches (workspace_id, discount_type, discount_value, expires_at, created_by_label)
         values ($1, 'percentage', 15, now() + interval '30 days', 'baseline') returning id`,
        [ws],
      );
      const r = await raw.query(
        `insert into coupons (workspace_id, batch_id, client_id, code)
         select $1, $2, id, 'R' || $3 || '-' || upper(substr(md5(random()::text || id::text), 1, 10))
         from clients where workspace_id = $1 and erased_at is null and lower(city) = 'madrid'`,
        [ws, b.rows[0]!.id, i],
      );
      return r.rowCount ?? 0;
    });
    figures.couponBase!.push(couponBase.ms);
    console.log(
      `run ${i + 1}: tag ${ms1(tag.ms)} ms (raw ${ms1(tagBase.ms)} ms, ${int(tagBase.value)} rows; raw with timeline ${ms1(tagSame.ms)} ms), coupons ${ms1(coupon.ms)} ms (raw ${ms1(couponBase.ms)} ms, ${int(couponBase.value)} rows)`,
    );
  }
  const use = cpu.stop();
  const med = (k: string) => latency(figures[k]!).p50;
  const ok = (ms: number, target: number) => (ms <= target ? '✅' : '❌');
  const lines = [
    '## Bulk actions: tag 100,000 clients, issue 50,000 coupons (`bench/bulk.ts`)',
    '',
    `- Date: ${utcNow()}; ${machineLine(machineAtStart)}`,
    `- Data: ${int(CLIENTS)} clients in a fresh embedded PostgreSQL (a third already tagged), ${int(COUPONS)} of them in Madrid. Median of ${runs} runs, product and baseline alternating.`,
    '- Product: `startBulkAction` + `runBulkAction` (src/modules/bulk/bulk.service.ts), exactly what `POST /api/v1/bulk/add_tags` (selection: every client, as a segment tree) and `POST /api/v1/bulk/coupons` (selection: `city = Madrid`) do with their job: check and count the selection, write the action row and its audit entry, evaluate the selection again, then one set-based statement per chunk of 10,000 clients with its progress update — for tags the `client_tags` rows and one timeline entry per client; for coupons 10-character codes drawn in Node (crypto, no modulo bias) inserted with unnest — and the final audit entry.',
    '- Baseline: one raw `INSERT … SELECT` of the same rows (tags: `client_tags` only; coupons: `coupons` with `md5(random())` codes), nothing else. Since migration 0026 the integrity of `client_tags` and `client_history` (client live and of the workspace, tag of the workspace) is checked by statement triggers, once per statement, in the product and in the raw baselines alike.',
    '',
    '| Figure | Rows | Median | Baseline median | Ratio | Target |',
    '|---|---:|---:|---:|---:|:---:|',
    `| Bulk tag | ${int(tagDone)} | **${ms1(med('tag'))} ms** | ${ms1(med('tagBase'))} ms | ${ratio(med('tag'), med('tagBase'))} | ≤ 5 s ${ok(med('tag'), TAG_TARGET_MS)} |`,
    `| Bulk tag vs the same rows written raw (tags + timeline entries, one statement) | ${int(tagDone)} | **${ms1(med('tag'))} ms** | ${ms1(med('tagSame'))} ms | ${ratio(med('tag'), med('tagSame'))} | |`,
    `| Coupons issued | ${int(couponDone)} | **${ms1(med('coupon'))} ms** | ${ms1(med('couponBase'))} ms | ${ratio(med('coupon'), med('couponBase'))} | ≤ 10 s ${ok(med('coupon'), COUPON_TARGET_MS)} |`,
    '',
    `All runs (ms): tag ${figures.tag!.map(ms1).join(', ')}; raw ${figures.tagBase!.map(ms1).join(', ')}; raw with timeline ${figures.tagSame!.map(ms1).join(', ')}; coupons ${figures.coupon!.map(ms1).join(', ')}; raw ${figures.couponBase!.map(ms1).join(', ')}.`,
    `CPU during the runs: ${cpuLine(use)}.`,
  ];
  writeSection(path.join(BENCH_DIR, 'RESULTS.md'), lines.join('\n'), 'bulk');
  console.log(lines.join('\n'));
} finally {
  await raw.end();
  await app.close();
  if (handle.owned) await handle.stop();
  await rm(dataDir, { recursive: true, force: true });
}
