/**
 * WhatsApp campaign rate (issue 7: a limit of 80/s is met within ±2 % and never exceeded in any
 * second): a WhatsApp campaign through a Meta WhatsApp channel limited to 80 messages/s, sent by the
 * real engine (prepare, three dispatch lanes, the shared rate slots) to the fake Graph API
 * (test/peers/meta-graph.ts), which notes when each message arrives.
 *
 *   node bin/run-ts.mjs bench/campaigns-whatsapp-rate.ts [--seconds 30] [--rate 80]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { createClientela } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { sendCampaign } from '../src/modules/campaigns/campaigns.send.ts';
import { createCampaign } from '../src/modules/campaigns/campaigns.service.ts';
import { createTemplate } from '../src/modules/templates/templates.service.ts';
import { createWorkspace } from '../src/modules/workspaces/workspaces.service.ts';
import { systemContext } from '../src/platform/auth/context.ts';
import { migrateDatabase, silentWorkerLogger } from '../src/platform/db/db.ts';
import { startEmbeddedPostgres } from '../src/platform/db/embedded.ts';
import { startWorker } from '../src/platform/queue/queue.ts';
import { startMetaPeer } from '../test/peers/meta-graph.ts';
import { int, writeSection } from './lib/clients-util.ts';
import { machineInfo, machineLine, utcNow } from './lib/proc.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('seconds', 30);
const RATE = arg('rate', 80);
const N = SECONDS * RATE;
const machine = machineInfo();
const dir = mkdtempSync(path.join(os.tmpdir(), 'clientela-wa-bench-'));
const pgHandle = await startEmbeddedPostgres({ dataDir: dir, log: () => {}, database: 'bench' });
await migrateDatabase(pgHandle.url);
const meta = await startMetaPeer();
const app = await createClientela({
  config: loadConfig({ CLIENTELA_DATA_DIR: dir, LOG_LEVEL: 'silent' }),
  databaseUrl: pgHandle.url,
  secretKey: randomBytes(32).toString('hex'),
  logger: false,
  webDist: null,
});
const db = app.dbHandle.db;
try {
  const workspace = await createWorkspace(db, { name: 'Bench clinic' });
  const ctx = systemContext(workspace.id, 'bench');
  const channel = await app.channels.createChannel(db, ctx, {
    provider: 'meta_whatsapp',
    name: 'WhatsApp',
    settings: {
      base_url: meta.baseUrl,
      phone_number_id: meta.phoneNumberId,
      business_account_id: meta.businessAccountId,
      access_token: meta.accessToken,
      app_secret: meta.appSecret,
      verify_token: 'v',
    },
    rate_per_second: RATE,
    daily_cap: null,
  });
  const template = await createTemplate(db, ctx, {
    name: 'Welcome',
    channel: 'whatsapp',
    body: 'Welcome {{ client.first_name }}',
    whatsapp_template: { name: 'welcome', language: 'en_US', body_parameters: ['client.first_name'] },
  });
  await db.execute(sql`
    insert into clients (workspace_id, first_name, phone, consent_whatsapp)
    select ${workspace.id}::uuid, 'Client ' || g, '+3466' || lpad(g::text, 7, '0'), true
    from generate_series(1, ${N}) g`);
  const campaign = await createCampaign(
    db,
    ctx,
    {
      name: 'Bench',
      channel: 'whatsapp',
      channel_id: channel.id,
      content: { template_id: template.id },
      audience: { definition: { all: [] } },
    },
    null,
  );
  await sendCampaign(db, ctx, campaign.id, {});
  const worker = await startWorker({
    pool: app.dbHandle.pool,
    jobs: app.jobs,
    concurrency: 4,
    logger: silentWorkerLogger(),
  });
  const deadline = Date.now() + (SECONDS * 3 + 120) * 1000;
  while (meta.sent.length < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await worker.stop();
  const counts = await db.execute<{ status: string; n: number }>(
    sql`select status, count(*)::int as n from deliveries where campaign_id = ${campaign.id} group by status`,
  );
  const at = meta.sent.map((m) => m.at).sort((a, b) => a - b);
  if (at.length < N) throw new Error(`only ${at.length} of ${N} arrived: ${JSON.stringify(counts.rows)}`);
  const rate = (at.length - 1) / ((at.at(-1)! - at[0]!) / 1000);
  let busiest = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while (j < at.length && at[j]! < at[i]! + 1000) j++;
    busiest = Math.max(busiest, j - i);
  }
  // Whole seconds from the first arrival (the last one is partial).
  const perSecond: number[] = [];
  for (const t of at) {
    const k = Math.floor((t - at[0]!) / 1000);
    perSecond[k] = (perSecond[k] ?? 0) + 1;
  }
  const whole = perSecond.slice(0, -1).map((n) => n ?? 0);
  const deviation = ((rate - RATE) / RATE) * 100;
  const lines = [
    '## WhatsApp campaign at a rate limit (`bench/campaigns-whatsapp-rate.ts`)',
    '',
    `- Date: ${utcNow()}; ${machineLine(machine)}`,
    `- ${int(N)} recipients, one WhatsApp campaign (an approved template with a parameter) through a Meta WhatsApp channel limited to ${RATE}/s, sent by the engine (worker concurrency 4, three dispatch lanes sharing the PostgreSQL rate slots) to the fake Graph API (test/peers/meta-graph.ts) in the same process, which notes each message's arrival. Ledger: ${counts.rows.map((r) => `${r.status} ${r.n}`).join(', ')}.`,
    '',
    '| Figure | Measured | Target |',
    '|---|---:|:---:|',
    `| Rate at the peer, first to last message | **${rate.toFixed(2)}/s** (${deviation >= 0 ? '+' : ''}${deviation.toFixed(2)} %) | ${RATE}/s ± 2 % ${Math.abs(deviation) <= 2 ? '✅' : '❌'} |`,
    `| Most messages in any one-second window (sliding, from each arrival) | **${busiest}** | ≤ ${RATE} ${busiest <= RATE ? '✅' : '❌'} |`,
    `| Whole seconds from the first arrival: fewest / most | ${Math.min(...whole)} / ${Math.max(...whole)} | |`,
  ];
  console.log(lines.join('\n'));
  writeSection(path.join(BENCH_DIR, 'RESULTS.md'), lines.join('\n'), 'campaigns-whatsapp-rate');
} finally {
  await app.close();
  await meta.close();
  await pgHandle.stop();
  rmSync(dir, { recursive: true, force: true });
}
