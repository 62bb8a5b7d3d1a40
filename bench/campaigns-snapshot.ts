/**
 * Audience snapshot of a campaign at 1,000,000 clients (issue 7: ≤ 10 s): the product's set-based
 * INSERT … SELECT with every eligibility rule (address, consent, suppression list by HMAC, frequency
 * cap, one message per address) against a raw INSERT … SELECT of the same clients into the same
 * ledger table with no rule at all, alternating, each in a transaction rolled back so every run
 * starts from the same table. Also the Review (the same rules counted by reason, nothing written).
 *
 *   node bin/run-ts.mjs bench/campaigns-snapshot.ts [--runs 3]
 *
 * Needs the cached dataset of bench/clients.ts (1M clients / 10M events) and migrates it first.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { createClientela } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { excludedFromCampaignSql, insertCampaign } from '../src/modules/campaigns/campaigns.repo.ts';
import { DEFAULT_QUIET_HOURS } from '../src/modules/campaigns/campaigns.schema.ts';
import { reviewCampaign } from '../src/modules/campaigns/campaigns.service.ts';
import { createSuppressionList } from '../src/modules/consent/suppressions.service.ts';
import { type EligibilityRules, snapshotAudience } from '../src/modules/deliveries/audience.ts';
import { compileAudience } from '../src/modules/segments/segments.service.ts';
import { systemContext } from '../src/platform/auth/context.ts';
import { migrateDatabase } from '../src/platform/db/db.ts';
import { startEmbeddedPostgres } from '../src/platform/db/embedded.ts';
import { CpuWindow, cpuLine, int, latency, ms1, ratio, writeSection } from './lib/clients-util.ts';
import { machineInfo, machineLine, utcNow } from './lib/proc.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const DATA_DIR = path.join(BENCH_DIR, '.data', 'clients-1000000-10000000');
const TARGET_MS = 10_000;
/** Thrown inside a transaction to roll it back once measured. */
class Rollback extends Error {}

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3;
if (!existsSync(path.join(DATA_DIR, 'dataset.json')))
  throw new Error('no cached dataset: run `node bin/run-ts.mjs bench/clients.ts` first');
const dataset = JSON.parse(readFileSync(path.join(DATA_DIR, 'dataset.json'), 'utf8')) as {
  result: { workspaceId: string };
};
const ws = dataset.result.workspaceId;
const machineAtStart = machineInfo();
const handle = await startEmbeddedPostgres({
  dataDir: DATA_DIR,
  log: console.log,
  database: 'clientela_bench',
});
await migrateDatabase(handle.url);
const secretKey = randomBytes(32).toString('hex');
const app = await createClientela({
  config: loadConfig({ CLIENTELA_DATA_DIR: DATA_DIR, LOG_LEVEL: 'silent' }),
  databaseUrl: handle.url,
  secretKey,
  logger: false,
  webDist: null,
});
const db = app.dbHandle.db;
const ctx = systemContext(ws, 'bench');
const suppressions = createSuppressionList(secretKey);
const raw = new pg.Pool({ connectionString: handle.url, max: 2 });
// What this run adds to the cached dataset (a few suppressions, two campaigns), removed at the end.
const createdSince = (await raw.query<{ now: Date }>('select clock_timestamp() as now')).rows[0]!.now;
const createdCampaigns: string[] = [];

try {
  // A few hundred suppressed addresses, as a business that has had unsubscribes would have.
  const sample = await raw.query<{ email: string }>(
    `select email from clients where workspace_id = $1 and email is not null and erased_at is null limit 500`,
    [ws],
  );
  for (const { email } of sample.rows) await suppressions.suppress(db, ws, 'email', email, 'unsubscribed');
  await raw.query(`analyze clients`);

  // Straight into the table (no audit entry, which could not be removed afterwards).
  const campaign = await insertCampaign(db, {
    workspaceId: ws,
    name: 'bench: everyone by email, WhatsApp then SMS as fallbacks',
    channel: 'email',
    fallbackChannels: ['whatsapp', 'sms'],
    content: { subject: 'Hello', body: 'Hello {{ client.first_name }}' },
    audience: { definition: { all: [] } },
  });
  const single = await insertCampaign(db, {
    workspaceId: ws,
    name: 'bench: everyone by email',
    channel: 'email',
    content: { subject: 'Hello', body: 'Hello' },
    audience: { definition: { all: [] } },
  });
  createdCampaigns.push(campaign.id, single.id);
  const audience = await compileAudience(db, ws, { definition: { all: [] } });
  // The rules and timing a Send's prepare step uses (campaigns.send.ts): hand exclusions, quiet hours.
  const rules = (campaignId: string, channels: EligibilityRules['channels']): EligibilityRules => ({
    workspaceId: ws,
    channels,
    marketing: true,
    frequencyCap: 3,
    excluded: excludedFromCampaignSql(campaignId),
    workspaceTimezone: 'Europe/Madrid',
    now: new Date(),
  });
  const timing = { localTime: null, quietHours: DEFAULT_QUIET_HOURS };

  const timedRollback = async (fn: (tx: typeof db) => Promise<number>) => {
    let rows = 0;
    // The rows of the run before, rolled back, are dead but still in the table and its indexes (and
    // under the same campaign id, so each new row's unique check would visit them): vacuumed away
    // first, untimed, so every run writes into the ledger as a real campaign finds it.
    await raw.query('vacuum deliveries');
    const t0 = performance.now();
    await db
      .transaction(async (tx) => {
        rows = await fn(tx as unknown as typeof db);
        throw new Rollback();
      })
      .catch((error) => {
        if (!(error instanceof Rollback)) throw error;
      });
    return { ms: performance.now() - t0, rows };
  };

  const figures: Record<string, number[]> = { product: [], single: [], baseline: [], review: [] };
  let rowsWritten = 0;
  let baselineRows = 0;
  const cpu = new CpuWindow(DATA_DIR).start();
  for (let i = 0; i < runs; i++) {
    const p = await timedRollback((tx) =>
      snapshotAudience(
        tx,
        campaign.id,
        audience,
        rules(campaign.id, ['email', 'whatsapp', 'sms']),
        suppressions,
        timing,
      ),
    );
    figures.product!.push(p.ms);
    rowsWritten = p.rows;
    const s = await timedRollback((tx) =>
      snapshotAudience(tx, single.id, audience, rules(single.id, ['email']), suppressions, timing),
    );
    figures.single!.push(s.ms);
    const b = await timedRollback(async (tx) => {
      const r = await tx.execute(sql`
        insert into deliveries (workspace_id, campaign_id, client_id, channel, address, status)
        select c.workspace_id, ${single.id}::uuid, c.id, 'email', c.email, 'queued'
        from clients c where c.workspace_id = ${ws} and c.erased_at is null`);
      return r.rowCount ?? 0;
    });
    figures.baseline!.push(b.ms);
    baselineRows = b.rows;
    const t0 = performance.now();
    const review = await reviewCampaign(db, ctx, campaign.id, { suppressions });
    figures.review!.push(performance.now() - t0);
    if (i === 0) console.log(JSON.stringify(review));
    console.log(
      `run ${i + 1}: snapshot (3 channels) ${ms1(p.ms)} ms, snapshot (email) ${ms1(s.ms)} ms, raw insert ${ms1(b.ms)} ms, review ${ms1(figures.review!.at(-1)!)} ms`,
    );
  }
  const use = cpu.stop();
  const review = await reviewCampaign(db, ctx, campaign.id, { suppressions });
  const med = (k: string) => latency(figures[k]!).p50;
  const lines = [
    '## Campaign audience snapshot at 1,000,000 clients (`bench/campaigns-snapshot.ts`)',
    '',
    `- Date: ${utcNow()}; ${machineLine(machineAtStart)}`,
    `- Data: the cached dataset of \`bench/clients.ts\` (1,000,000 clients), 500 of their emails on the suppression list, frequency cap 3 per 7 days. Each figure is the median of ${runs} runs, product and baseline alternating, each run in a transaction rolled back after it and the table vacuumed (untimed) before the next, so every run writes into an empty ledger; the time includes writing the rows and their five indexes (primary key, the unique campaign–client–channel key, campaign–status, due, client timeline). One statement on one connection, no parallelism.`,
    '- Product: `snapshotAudience` (src/modules/deliveries/audience.ts), the one INSERT … SELECT a Send runs, with the rules and timing of the prepare step (hand exclusions, quiet hours for SMS and WhatsApp): every client of the audience with the channel chosen for them and their skip reason (no or invalid address, no consent, suppressed — HMAC of the address computed by PostgreSQL, looked up in a hash of the list —, frequency cap, one message per address), time-ordered ids, in client id order.',
    '- Baseline: a raw `INSERT … SELECT` of the same live clients into the same table, `queued`, no rule at all (default random ids, in the clients table order).',
    '',
    '| Figure | Rows | Median | Baseline median | Ratio | Target |',
    '|---|---:|---:|---:|---:|:---:|',
    `| Snapshot, email with WhatsApp and SMS fallbacks | ${int(rowsWritten)} | **${ms1(med('product'))} ms** | ${ms1(med('baseline'))} ms | ${ratio(med('product'), med('baseline'))} | ≤ 10 s ${med('product') <= TARGET_MS ? '✅' : '❌'} |`,
    `| Snapshot, email only | ${int(rowsWritten)} | **${ms1(med('single'))} ms** | ${ms1(med('baseline'))} ms | ${ratio(med('single'), med('baseline'))} | ≤ 10 s ${med('single') <= TARGET_MS ? '✅' : '❌'} |`,
    `| Review (same rules, counted by reason, nothing written) | ${int(review.audience)} | **${ms1(med('review'))} ms** | | | |`,
    '',
    `Baseline rows: ${int(baselineRows)}. Review of the 3-channel campaign: ${int(review.eligible)} eligible (${Object.entries(
      review.eligible_by_channel,
    )
      .map(([c, n]) => `${c} ${int(n)}`)
      .join(', ')}), skipped: ${review.skipped_by_reason
      .slice(0, 8)
      .map((r) => `${r.reason} (${r.channel}) ${int(r.count)}`)
      .join(', ')}.`,
    `CPU during the runs: ${cpuLine(use)}.`,
  ];
  writeSection(path.join(BENCH_DIR, 'RESULTS.md'), lines.join('\n'), 'campaigns-snapshot');
  console.log(lines.join('\n'));
} finally {
  await raw.query('delete from campaigns where id = any($1::uuid[])', [createdCampaigns]);
  await raw.query('delete from suppressions where workspace_id = $1 and created_at >= $2', [
    ws,
    createdSince,
  ]);
  await raw.query('vacuum deliveries');
  // The runs grew the empty ledger's indexes: rebuilt (instantly, empty) so the dataset is left as found.
  const left = await raw.query<{ n: string }>('select count(*) as n from deliveries');
  if (left.rows[0]!.n === '0') await raw.query('reindex table deliveries');
  await raw.end();
  await app.close();
  if (handle.owned) await handle.stop();
}
