/**
 * Campaign send throughput (issue 7: ≥ 1,500 messages/s, ≥ 0.8 of a raw pooled nodemailer loop):
 * an email campaign to N clients through an SMTP channel pointed at the local SMTP sink
 * (test/peers), sent by the real engine (prepare, three dispatch lanes, render, the channels
 * service, the ledger), against a raw pooled nodemailer loop sending the same number of
 * already-rendered messages to the same sink in the same run.
 *
 *   node bin/run-ts.mjs bench/campaigns-send.ts [--recipients 10000] [--concurrency 4]
 *
 * Runs on its own embedded PostgreSQL in a temp folder (created and removed).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import { createClientela } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { sendCampaign } from '../src/modules/campaigns/campaigns.send.ts';
import { createCampaign } from '../src/modules/campaigns/campaigns.service.ts';
import { createWorkspace } from '../src/modules/workspaces/workspaces.service.ts';
import { systemContext } from '../src/platform/auth/context.ts';
import { migrateDatabase, silentWorkerLogger } from '../src/platform/db/db.ts';
import { startEmbeddedPostgres } from '../src/platform/db/embedded.ts';
import { startWorker } from '../src/platform/queue/queue.ts';
import { startSmtpSink } from '../test/peers/smtp-sink.ts';
import { int, writeSection } from './lib/clients-util.ts';
import { machineInfo, machineLine, utcNow } from './lib/proc.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('recipients', 10_000);
const CONCURRENCY = arg('concurrency', 4);
const machine = machineInfo();
const dir = mkdtempSync(path.join(os.tmpdir(), 'clientela-send-bench-'));
const pgHandle = await startEmbeddedPostgres({ dataDir: dir, log: () => {}, database: 'bench' });
await migrateDatabase(pgHandle.url);
const sink = await startSmtpSink();
const app = await createClientela({
  config: loadConfig({ CLIENTELA_DATA_DIR: dir, LOG_LEVEL: 'silent' }),
  databaseUrl: pgHandle.url,
  secretKey: randomBytes(32).toString('hex'),
  logger: false,
  webDist: null,
});
const db = app.dbHandle.db;
const peakRss = { value: 0 };
const rssTimer = setInterval(() => {
  peakRss.value = Math.max(peakRss.value, process.memoryUsage().rss);
}, 200);
try {
  const workspace = await createWorkspace(db, { name: 'Bench clinic' });
  const ctx = systemContext(workspace.id, 'bench');
  const channel = await app.channels.createChannel(db, ctx, {
    provider: 'smtp',
    name: 'Sink',
    settings: {
      host: sink.host,
      port: sink.port,
      secure: false,
      from_email: 'hola@clinic.example',
      from_name: 'Clínica',
    },
    rate_per_second: 10_000,
  });
  await db.execute(sql`
    insert into clients (workspace_id, first_name, email, consent_email)
    select ${workspace.id}::uuid, 'Client ' || g, 'client' || g || '@example.com', true
    from generate_series(1, ${N}) g`);
  const campaign = await createCampaign(
    db,
    ctx,
    {
      name: 'Bench',
      channel: 'email',
      channel_id: channel.id,
      content: {
        subject: 'Hola {{ client.first_name }}',
        body: '<p>Hola {{ client.first_name }}, this spring we have news for you.</p><p>See you soon!</p>',
      },
      audience: { definition: { all: [] } },
    },
    null,
  );

  // ---- the product ----
  const t0 = performance.now();
  await sendCampaign(db, ctx, campaign.id, {});
  const worker = await startWorker({
    pool: app.dbHandle.pool,
    jobs: app.jobs,
    concurrency: CONCURRENCY,
    logger: silentWorkerLogger(),
  });
  await sink.waitFor(N, 30 * 60_000);
  const productMs = performance.now() - t0;
  const times = await db.execute<{ first: string; last: string; sent: number }>(
    sql`select min(sent_at) as first, max(sent_at) as last, count(*)::int as sent from deliveries where campaign_id = ${campaign.id} and status = 'sent'`,
  );
  await worker.stop();
  const productRss = peakRss.value;
  const { first, last, sent } = times.rows[0]!;
  const sendingMs = new Date(last).getTime() - new Date(first).getTime();

  // ---- the baseline: the same rendered messages, a raw pooled nodemailer loop ----
  const sample = sink.messages.slice(0, 50).map((m) => m.raw);
  sink.messages.length = 0;
  const transport = nodemailer.createTransport({
    host: sink.host,
    port: sink.port,
    secure: false,
    pool: true,
    maxConnections: 5,
    ignoreTLS: true,
  });
  const t1 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      for (;;) {
        const i = next++;
        if (i >= N) return;
        await transport.sendMail({
          envelope: { from: 'hola@clinic.example', to: [`client${i + 1}@example.com`] },
          raw: sample[i % sample.length]!,
        });
      }
    }),
  );
  const baselineMs = performance.now() - t1;
  transport.close();

  const productRate = N / (productMs / 1000);
  const sendingRate = sent / (sendingMs / 1000);
  const baselineRate = N / (baselineMs / 1000);
  const lines = [
    '## Campaign send throughput (`bench/campaigns-send.ts`)',
    '',
    `- Date: ${utcNow()}; ${machineLine(machine)}`,
    `- ${int(N)} recipients (reduced from the issue's 100,000), one email campaign through an SMTP channel to the local SMTP sink (test/peers/smtp-sink.ts, plain SMTP on loopback), worker concurrency ${CONCURRENCY} (three dispatch lanes), rate limit 10,000/s (none in effect). Product time: from Send to the last message at the sink (snapshot, render per client with the email layout and tracking, the channels service, channel_messages and the ledger). Baseline: a pooled nodemailer transport (5 connections, 10 sends in flight) sending ${int(N)} copies of messages the product rendered, to the same sink, in the same run.`,
    '',
    '| Figure | Product | Baseline | Ratio | Target |',
    '|---|---:|---:|---:|:---:|',
    `| Messages/s, Send to last message | **${productRate.toFixed(0)}/s** (${(productMs / 1000).toFixed(1)} s) | ${baselineRate.toFixed(0)}/s (${(baselineMs / 1000).toFixed(1)} s) | ${(productRate / baselineRate).toFixed(2)} | ≥ 1,500/s ${productRate >= 1500 ? '✅' : '❌'}, ≥ 0.8 ${productRate / baselineRate >= 0.8 ? '✅' : '❌'} |`,
    `| Messages/s while sending (first to last sent_at) | ${sendingRate.toFixed(0)}/s | | | |`,
    `| Peak RSS (server and worker in one process) | ${(productRss / 1024 / 1024).toFixed(0)} MiB | | | ≤ 400 MiB ${productRss / 1024 / 1024 <= 400 ? '✅' : '❌'} |`,
  ];
  console.log(lines.join('\n'));
  writeSection(path.join(BENCH_DIR, 'RESULTS.md'), lines.join('\n'), 'campaigns-send');
} finally {
  clearInterval(rssTimer);
  await app.close();
  await sink.close();
  await pgHandle.stop();
  rmSync(dir, { recursive: true, force: true });
}
