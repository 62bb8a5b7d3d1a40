/**
 * Audience snapshot of a campaign at 1,000,000 clients (issue 7: ≤ 10 s): the product's prepare
 * step (campaigns.send.ts prepareCampaign: the audience written in two halves on two connections,
 * every eligibility rule — address, consent, suppression list by HMAC, frequency cap, one message per
 * address — then the final step that records the snapshot and queues the lanes), the same rules in
 * one statement (snapshotAudience, as before), and a raw INSERT … SELECT of the same clients into the
 * same ledger with no rule at all, in one statement and in the same two halves on two connections;
 * alternating. The one-statement figures run in a transaction rolled back; the two-connection ones
 * commit (that is the design) and their rows are deleted afterwards, untimed; the ledger is vacuumed
 * before every run. Also the Review (the same rules counted by reason, nothing written).
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
import {
  excludedFromCampaignSql,
  insertCampaign,
  upsertCampaignSettings,
} from '../src/modules/campaigns/campaigns.repo.ts';
import { DEFAULT_QUIET_HOURS } from '../src/modules/campaigns/campaigns.schema.ts';
import { DISPATCH_LANES, prepareCampaign } from '../src/modules/campaigns/campaigns.send.ts';
import { reviewCampaign } from '../src/modules/campaigns/campaigns.service.ts';
import { createSuppressionList } from '../src/modules/consent/suppressions.service.ts';
import {
  type EligibilityRules,
  middleClientId,
  snapshotAudience,
  writeAudienceInHalves,
} from '../src/modules/deliveries/audience.ts';
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
const raw = new pg.Pool({ connectionString: handle.url, max: 3 });
// What this run adds to the cached dataset (a few suppressions, two campaigns), removed at the end.
const createdSince = (await raw.query<{ now: Date }>('select clock_timestamp() as now')).rows[0]!.now;
const createdCampaigns: string[] = [];
if ((await raw.query('select 1 from campaign_settings where workspace_id = $1', [ws])).rowCount)
  throw new Error('the dataset has campaign settings of its own: this bench would overwrite them');

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
  // The workspace's settings, which the prepare step reads: the same cap and quiet hours as the rules below.
  await upsertCampaignSettings(db, ws, { frequencyCap7d: 3, quietHours: DEFAULT_QUIET_HOURS });
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

  /** Committed work (two connections): its rows deleted and the ledger vacuumed afterwards, untimed. */
  const timedCommitted = async (campaignIds: string[], fn: () => Promise<number>) => {
    await raw.query('vacuum deliveries');
    const t0 = performance.now();
    const rows = await fn();
    const ms = performance.now() - t0;
    await raw.query('delete from deliveries where campaign_id = any($1::uuid[])', [campaignIds]);
    return { ms, rows };
  };
  // The prepare step as a Send runs it: the campaign `sending`, no snapshot yet. Afterwards (untimed)
  // the lanes it queued are removed and the campaign is set back.
  const prepare = async (campaignId: string) => {
    await raw.query(
      `update campaigns set status = 'sending', snapshot_at = null, audience_count = null where id = $1`,
      [campaignId],
    );
    return timedCommitted([campaignId], async () => {
      await prepareCampaign(
        db,
        app.dbHandle.pool,
        { suppressions, snapshotSplitFrom: 50_000 },
        campaignId,
        ws,
      );
      const row = await raw.query<{ n: number; at: Date | null }>(
        'select audience_count as n, snapshot_at as at from campaigns where id = $1',
        [campaignId],
      );
      if (!row.rows[0]!.at) throw new Error('the prepare step did not record a snapshot');
      return row.rows[0]!.n;
    }).finally(async () => {
      for (let lane = 0; lane < DISPATCH_LANES; lane++)
        await raw.query('select graphile_worker.remove_job($1)', [
          `campaigns.dispatch:${campaignId}:${lane}`,
        ]);
    });
  };
  const middle = (await middleClientId(db, ws))!;
  const rawInsert = (campaignId: string, range = sql``) => sql`
    insert into deliveries (workspace_id, campaign_id, client_id, channel, address, status)
    select c.workspace_id, ${campaignId}::uuid, c.id, 'email', c.email, 'queued'
    from clients c where c.workspace_id = ${ws} and c.erased_at is null${range}`;

  const figures: Record<string, number[]> = {
    product: [],
    single: [],
    oneStatement: [],
    baseline: [],
    baselineHalves: [],
    review: [],
  };
  let rowsWritten = 0;
  let baselineRows = 0;
  const cpu = new CpuWindow(DATA_DIR).start();
  for (let i = 0; i < runs; i++) {
    const p = await prepare(campaign.id);
    figures.product!.push(p.ms);
    rowsWritten = p.rows;
    const s = await prepare(single.id);
    figures.single!.push(s.ms);
    const o = await timedRollback((tx) =>
      snapshotAudience(
        tx,
        campaign.id,
        audience,
        rules(campaign.id, ['email', 'whatsapp', 'sms']),
        suppressions,
        timing,
      ),
    );
    figures.oneStatement!.push(o.ms);
    const b = await timedRollback(async (tx) => (await tx.execute(rawInsert(single.id))).rowCount ?? 0);
    figures.baseline!.push(b.ms);
    baselineRows = b.rows;
    const h = await timedCommitted([single.id], () =>
      writeAudienceInHalves(app.dbHandle.pool, middle, async (tx, range) => {
        const bounds = sql`${range.from ? sql` and c.id >= ${range.from}::uuid` : sql``}${range.to ? sql` and c.id < ${range.to}::uuid` : sql``}`;
        return (await tx.execute(rawInsert(single.id, bounds))).rowCount ?? 0;
      }),
    );
    figures.baselineHalves!.push(h.ms);
    const t0 = performance.now();
    const review = await reviewCampaign(db, ctx, campaign.id, { suppressions });
    figures.review!.push(performance.now() - t0);
    if (i === 0) console.log(JSON.stringify(review));
    console.log(
      `run ${i + 1}: prepare (3 channels) ${ms1(p.ms)} ms, prepare (email) ${ms1(s.ms)} ms, one statement (3 channels) ${ms1(o.ms)} ms, raw insert ${ms1(b.ms)} ms, raw insert in halves ${ms1(h.ms)} ms, review ${ms1(figures.review!.at(-1)!)} ms`,
    );
  }
  const use = cpu.stop();
  const review = await reviewCampaign(db, ctx, campaign.id, { suppressions });
  const med = (k: string) => latency(figures[k]!).p50;
  const lines = [
    '## Campaign audience snapshot at 1,000,000 clients (`bench/campaigns-snapshot.ts`)',
    '',
    `- Date: ${utcNow()}; ${machineLine(machineAtStart)}`,
    `- Data: the cached dataset of \`bench/clients.ts\` (1,000,000 clients), 500 of their emails on the suppression list, frequency cap 3 per 7 days, quiet hours ${DEFAULT_QUIET_HOURS.start}:00–${DEFAULT_QUIET_HOURS.end}:00 (the workspace's settings, set for the run). Each figure is the median of ${runs} runs, alternating; the ledger is vacuumed (untimed) before every run, so every run writes into an empty ledger with its five indexes (primary key, the unique campaign–client–channel key, campaign–status, due, client timeline; the partial sent index gets no rows).`,
    '- Product: `prepareCampaign` (src/modules/campaigns/campaigns.send.ts), the prepare step of a Send from its start to its commit: the audience written in two halves by client id on two connections in one exported database snapshot (`writeAudienceInHalves` and `writeAudience`, src/modules/deliveries/audience.ts), every client with the channel chosen for them and their skip reason (no or invalid address, no consent, suppressed — HMAC of the address computed by PostgreSQL, looked up in a hash of the list —, frequency cap, hand exclusions, one message per address decided among the clients who share one), quiet hours for SMS and WhatsApp, time-ordered ids in client id order; then the final step (counts, `snapshot_at`, the lanes queued). Its rows are committed (the design) and deleted afterwards, untimed.',
    '- The same rules in one statement on one connection (`snapshotAudience`, in a transaction rolled back): what a Send did before, and still does below 50,000 clients.',
    '- Baselines: a raw `INSERT … SELECT` of the same live clients into the same table, `queued`, no rule at all (default random ids, in the clients table order), in one statement (rolled back) and in the same two halves on two connections (committed, deleted afterwards).',
    '',
    '| Figure | Rows | Median | Baseline median | Ratio | Target |',
    '|---|---:|---:|---:|---:|:---:|',
    `| Prepare step, email with WhatsApp and SMS fallbacks (two connections) | ${int(rowsWritten)} | **${ms1(med('product'))} ms** | ${ms1(med('baselineHalves'))} ms (raw, two connections) | ${ratio(med('product'), med('baselineHalves'))} | ≤ 10 s ${med('product') <= TARGET_MS ? '✅' : '❌'} |`,
    `| Prepare step, email only (two connections) | ${int(rowsWritten)} | **${ms1(med('single'))} ms** | ${ms1(med('baselineHalves'))} ms (raw, two connections) | ${ratio(med('single'), med('baselineHalves'))} | ≤ 10 s ${med('single') <= TARGET_MS ? '✅' : '❌'} |`,
    `| One statement, email with WhatsApp and SMS fallbacks (one connection) | ${int(rowsWritten)} | ${ms1(med('oneStatement'))} ms | ${ms1(med('baseline'))} ms (raw, one statement) | ${ratio(med('oneStatement'), med('baseline'))} | |`,
    `| Prepare step (3 channels) against the raw one-statement insert | | ${ms1(med('product'))} ms | ${ms1(med('baseline'))} ms | ${ratio(med('product'), med('baseline'))} | |`,
    `| Review (same rules, counted by reason, nothing written) | ${int(review.audience)} | **${ms1(med('review'))} ms** | | | |`,
    '',
    `Runs (ms): prepare 3 channels ${figures.product!.map(ms1).join(', ')}; prepare email ${figures.single!.map(ms1).join(', ')}; one statement ${figures.oneStatement!.map(ms1).join(', ')}; raw ${figures.baseline!.map(ms1).join(', ')}; raw in halves ${figures.baselineHalves!.map(ms1).join(', ')}.`,
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
  await raw.query('delete from deliveries where campaign_id = any($1::uuid[])', [createdCampaigns]);
  await raw.query('delete from campaigns where id = any($1::uuid[])', [createdCampaigns]);
  await raw.query('delete from campaign_settings where workspace_id = $1', [ws]);
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
