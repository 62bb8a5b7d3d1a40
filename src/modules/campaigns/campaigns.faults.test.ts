import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MetaPeer, metaError, startMetaPeer } from '../../../test/peers/meta-graph.ts';
import { join, newUser, runDueJobs, setupTestApp } from '../../../test/support/app.ts';
import { silentWorkerLogger } from '../../platform/db/db.ts';
import { startWorker } from '../../platform/queue/queue.ts';
import { segmentWorld } from '../segments/segment-test-helpers.ts';
import { FAILURE_RATE_REASON } from './campaigns.reasons.ts';

/** Issue 7's proofs (5) and (6), through the fake WhatsApp Cloud API. */
const t = setupTestApp();
let meta: MetaPeer;
beforeAll(async () => {
  meta = await startMetaPeer();
});
afterAll(async () => {
  await meta?.close();
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const work = () => runDueJobs(t);

async function whatsappCampaign(recipients: number, ratePerSecond: number, baseUrl = meta.baseUrl) {
  const w = await segmentWorld(t);
  const channel = await w.call('POST', '/api/v1/channels', {
    provider: 'meta_whatsapp',
    name: 'WhatsApp',
    settings: meta.channelSettings({ base_url: baseUrl }),
    rate_per_second: ratePerSecond,
    daily_cap: null,
  });
  expect(channel.statusCode, channel.body).toBe(201);
  const template = await w.call('POST', '/api/v1/templates', {
    name: 'Welcome',
    channel: 'whatsapp',
    body: 'Welcome {{ client.first_name }}',
    whatsapp_template: { name: 'welcome', language: 'en_US', body_parameters: ['client.first_name'] },
  });
  expect(template.statusCode, template.body).toBe(201);
  const prefix = `+3467${String(Math.floor(Math.random() * 900) + 100)}`;
  await w.db.execute(sql`
    insert into clients (workspace_id, first_name, phone, consent_whatsapp)
    select ${w.workspaceId}::uuid, 'Client ' || g, ${prefix} || lpad(g::text, 4, '0'), true
    from generate_series(1, ${recipients}) g`);
  const campaign = await w.call('POST', '/api/v1/campaigns', {
    name: 'WhatsApp',
    channel: 'whatsapp',
    channel_id: channel.json().id,
    content: { template_id: template.json().id },
    audience: { definition: { all: [] } },
  });
  expect(campaign.statusCode, campaign.body).toBe(201);
  const id = campaign.json().id as string;
  const mine = () =>
    meta.sent.filter(
      (m) => String(m.body.to).startsWith(prefix.slice(1)) || String(m.body.to).startsWith(prefix),
    );
  const ledger = async () =>
    (
      await w.db.execute<{ status: string; attempts: number; send_after: string | null }>(
        sql`select status, attempts, send_after from deliveries where campaign_id = ${id}`,
      )
    ).rows;
  return { ...w, id, mine, ledger };
}

describe('campaigns against provider faults', () => {
  it('the provider answers 429 for a while: those wait with backoff, then everything is delivered once', async () => {
    const w = await whatsappCampaign(12, 100);
    for (let i = 0; i < 5; i++) meta.inject(metaError(130429, 'Rate limit hit', 429));
    expect((await w.call('POST', `/api/v1/campaigns/${w.id}/send`, {})).statusCode).toBe(200);
    const sentAt = Date.now();
    await work();
    const waiting = (await w.ledger()).filter((d) => d.status === 'queued');
    expect(waiting).toHaveLength(5);
    expect(w.mine()).toHaveLength(7);
    // Backoff with jitter: not before ~24 s (30 s ± 20 %), and not all at the same instant.
    for (const d of waiting) expect(new Date(d.send_after!).getTime() - sentAt).toBeGreaterThan(20_000);
    expect(new Set(waiting.map((d) => d.send_after)).size).toBeGreaterThan(1);
    // The clock moves past the backoff (the queue and the ledger are told the time has come).
    await w.db.execute(
      sql`update deliveries set send_after = now() where campaign_id = ${w.id} and status = 'queued'`,
    );
    await w.db.execute(sql`update graphile_worker._private_jobs set run_at = now() where task_id in
      (select id from graphile_worker._private_tasks where identifier = 'campaigns.dispatch')`);
    await work();
    const ledger = await w.ledger();
    expect(ledger.map((d) => d.status)).toEqual(Array(12).fill('sent'));
    expect(ledger.filter((d) => d.attempts === 2)).toHaveLength(5);
    const phones = w.mine().map((m) => m.body.to);
    expect(phones).toHaveLength(12);
    expect(new Set(phones).size).toBe(12);
    expect((await w.call('GET', `/api/v1/campaigns/${w.id}`)).json().status).toBe('sent');
  }, 60_000);

  it('the provider says the account is locked: the campaign pauses at once and says why, nothing is failed, resume sends the rest once', async () => {
    const w = await whatsappCampaign(12, 100);
    meta.inject(metaError(131031, 'Business account is locked', 400));
    expect((await w.call('POST', `/api/v1/campaigns/${w.id}/send`, {})).statusCode).toBe(200);
    await work();
    const paused = (await w.call('GET', `/api/v1/campaigns/${w.id}/stats`)).json();
    expect(paused.status).toBe('paused');
    expect(paused.status_reason).toMatch(/refused the account: 131031: .*locked/);
    // The refused message and the rest of its batch wait in the queue: none failed, none half-sent.
    const ledger = await w.ledger();
    expect(ledger.filter((d) => d.status !== 'sent' && d.status !== 'queued')).toEqual([]);
    expect(ledger.filter((d) => d.status === 'queued').length).toBe(12 - w.mine().length);
    expect(w.mine().length).toBeLessThan(12);

    expect((await w.call('POST', `/api/v1/campaigns/${w.id}/resume`)).json()).toMatchObject({
      status: 'sending',
      status_reason: null,
    });
    await work();
    expect((await w.ledger()).map((d) => d.status)).toEqual(Array(12).fill('sent'));
    const phones = w.mine().map((m) => m.body.to);
    expect(phones).toHaveLength(12);
    expect(new Set(phones).size).toBe(12);
    expect((await w.call('GET', `/api/v1/campaigns/${w.id}`)).json().status).toBe('sent');
  }, 60_000);

  it('more than 20 % of the last 200 sends failed: the campaign pauses itself and says why; the rest waits', async () => {
    const w = await whatsappCampaign(300, 1000);
    // The campaign was created by an API key: the owner hears that it paused.
    const owner = await newUser(t, 'Olga');
    await join(t, w.workspaceId, owner, 'owner');
    for (let i = 0; i < 60; i++) meta.inject(metaError(131026, 'Message undeliverable', 400));
    expect((await w.call('POST', `/api/v1/campaigns/${w.id}/send`, {})).statusCode).toBe(200);
    await work();
    const stats = (await w.call('GET', `/api/v1/campaigns/${w.id}/stats`)).json();
    expect(stats.status).toBe('paused');
    expect(stats.status_reason).toBe(FAILURE_RATE_REASON);
    const ledger = await w.ledger();
    const count = (status: string) => ledger.filter((d) => d.status === status).length;
    // The first batch (200: 60 undeliverable) went; the next ones were never sent.
    expect(count('failed')).toBe(60);
    expect(count('sent')).toBe(140);
    expect(count('queued')).toBe(100);
    expect(count('sending')).toBe(0);
    expect(w.mine()).toHaveLength(140);
    expect(stats.failures).toEqual([
      expect.objectContaining({ status: 'failed', reason: '131026', count: 60 }),
    ]);
    const notices = await w.db.execute<{ user_id: string; kind: string; body: string; link: string }>(
      sql`select user_id, kind, body, link from notifications where workspace_id = ${w.workspaceId}`,
    );
    expect(notices.rows).toEqual([
      expect.objectContaining({ user_id: owner.id, kind: 'campaign_paused', link: `/campaigns/${w.id}` }),
    ]);
    expect(notices.rows[0]!.body).toContain(FAILURE_RATE_REASON);
  }, 60_000);

  it('a provider that refuses the connection (nothing was written): retried with backoff, never unknown', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const w = await whatsappCampaign(3, 100, `http://127.0.0.1:${port}/v21.0`);
    const sentAt = Date.now();
    expect((await w.call('POST', `/api/v1/campaigns/${w.id}/send`, {})).statusCode).toBe(200);
    await work();
    const ledger = await w.ledger();
    expect(ledger.map((d) => d.status)).toEqual(['queued', 'queued', 'queued']);
    for (const d of ledger) {
      expect(d.attempts).toBe(1);
      expect(new Date(d.send_after!).getTime() - sentAt).toBeGreaterThan(20_000);
    }
    expect((await w.call('GET', `/api/v1/campaigns/${w.id}/recipients`)).json().recipients[0].error).toMatch(
      /^ECONNREFUSED: The provider could not be reached/,
    );
  }, 60_000);

  it('pause: no provider call for 5 s, even mid-batch; resume: all the rest, each once', async () => {
    const w = await whatsappCampaign(150, 20);
    const worker = await startWorker({
      pool: t.app.dbHandle.pool,
      jobs: t.app.jobs,
      concurrency: 4,
      logger: silentWorkerLogger(),
    });
    try {
      expect((await w.call('POST', `/api/v1/campaigns/${w.id}/send`, {})).statusCode).toBe(200);
      const deadline = Date.now() + 30_000;
      while (w.mine().length < 10 && Date.now() < deadline) await sleep(50);
      expect(w.mine().length).toBeGreaterThanOrEqual(10);
      const paused = await w.call('POST', `/api/v1/campaigns/${w.id}/pause`);
      expect(paused.json().status).toBe('paused');
      const pausedAt = performance.timeOrigin + performance.now();
      // Sends already on the wire may land just after; none starts later than the next status read.
      await sleep(5_500);
      const late = w.mine().filter((m) => m.at > pausedAt + 500);
      expect(late).toEqual([]);
      const atPause = w.mine().length;
      expect(atPause).toBeLessThan(150);
      expect((await w.ledger()).filter((d) => d.status === 'sending')).toEqual([]);

      expect((await w.call('POST', `/api/v1/campaigns/${w.id}/resume`)).json().status).toBe('sending');
      const end = Date.now() + 60_000;
      while ((await w.call('GET', `/api/v1/campaigns/${w.id}`)).json().status !== 'sent' && Date.now() < end)
        await sleep(200);
      const phones = w.mine().map((m) => m.body.to);
      expect(phones).toHaveLength(150);
      expect(new Set(phones).size).toBe(150);
    } finally {
      await worker.stop();
    }
  }, 120_000);
});
