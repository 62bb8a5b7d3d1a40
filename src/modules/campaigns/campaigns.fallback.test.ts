import { sql } from 'drizzle-orm';
import { runOnce } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpSink, startSmtpSink } from '../../../test/peers/smtp-sink.ts';
import { setupTestApp } from '../../../test/support/app.ts';
import { silentWorkerLogger } from '../../platform/db/db.ts';
import { startWorker } from '../../platform/queue/queue.ts';
import { insertClients, segmentWorld } from '../segments/segment-test-helpers.ts';

const t = setupTestApp();
let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink?.close();
});

describe('fallback channels', () => {
  it("a WhatsApp fallback of an email campaign sent through a real SMTP account goes through a WhatsApp-kind channel, not the campaign's own", async () => {
    const w = await segmentWorld(t);
    const smtp = await w.call('POST', '/api/v1/channels', {
      provider: 'smtp',
      name: 'Sink',
      settings: { host: sink.host, port: sink.port, secure: false, from_email: 'hola@clinic.example' },
    });
    expect(smtp.statusCode, smtp.body).toBe(201);
    const ids = await insertClients(w.db, w.workspaceId, [
      { first_name: 'Ana', email: 'ana-fallback@example.com', consent: { email: true } },
      // No email address: WhatsApp, the fallback, is hers.
      { first_name: 'Bea', phone: '+34600111333', consent: { whatsapp: true } },
    ]);
    const campaign = await w.call('POST', '/api/v1/campaigns', {
      name: 'Fallback',
      channel: 'email',
      channel_id: smtp.json().id,
      fallback_channels: ['whatsapp'],
      content: { subject: 'Hola {{ client.first_name }}', body: '<p>Hola {{ client.first_name }}</p>' },
      audience: { client_ids: ids },
    });
    expect(campaign.statusCode, campaign.body).toBe(201);
    const id = campaign.json().id as string;
    expect((await w.call('POST', `/api/v1/campaigns/${id}/send`, {})).statusCode).toBe(200);
    await runOnce({ pgPool: t.app.dbHandle.pool, taskList: t.app.jobs.tasks, logger: silentWorkerLogger() });

    const rows = (
      await w.db.execute<{
        channel: string;
        status: string;
        error: string | null;
        provider: string | null;
      }>(sql`
        select d.channel, d.status, d.error, m.provider from deliveries d
        left join channel_messages m on m.delivery_id = d.id
        where d.campaign_id = ${id} order by d.channel`)
    ).rows;
    expect(rows).toEqual([
      { channel: 'email', status: 'sent', error: null, provider: 'smtp' },
      // Through the workspace's WhatsApp-kind channel (the Outbox here), never CHANNEL_KIND_MISMATCH.
      { channel: 'whatsapp', status: 'sent', error: null, provider: 'outbox' },
    ]);
    expect(sink.messages.map((m) => m.to)).toEqual([['ana-fallback@example.com']]);
    expect((await w.call('GET', `/api/v1/campaigns/${id}`)).json().status).toBe('sent');
  }, 60_000);
});

describe('unsubscribing during a campaign', () => {
  // Issue 7's proof (3).
  it('a one-click unsubscribe (RFC 8058 POST) in the middle of a campaign: no later message to that client', async () => {
    const w = await segmentWorld(t);
    const smtp = await w.call('POST', '/api/v1/channels', {
      provider: 'smtp',
      name: 'Slow sink',
      settings: { host: sink.host, port: sink.port, secure: false, from_email: 'hola@clinic.example' },
      rate_per_second: 20,
    });
    await w.db.execute(sql`
      insert into clients (workspace_id, first_name, email, consent_email)
      select ${w.workspaceId}::uuid, 'Client ' || g, 'mid-' || g || '@example.com', true
      from generate_series(1, 150) g`);
    const campaign = await w.call('POST', '/api/v1/campaigns', {
      name: 'Mid',
      channel: 'email',
      channel_id: smtp.json().id,
      content: { subject: 'Hola {{ client.first_name }}', body: '<p>Hola</p>' },
      audience: { definition: { all: [] } },
    });
    const id = campaign.json().id as string;
    const arrived = () => sink.messages.flatMap((m) => m.to).filter((to) => to.startsWith('mid-'));
    const worker = await startWorker({
      pool: t.app.dbHandle.pool,
      jobs: t.app.jobs,
      concurrency: 4,
      logger: silentWorkerLogger(),
    });
    try {
      expect((await w.call('POST', `/api/v1/campaigns/${id}/send`, {})).statusCode).toBe(200);
      const deadline = Date.now() + 30_000;
      while (arrived().length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      // Five clients not reached yet (claimed or still queued) unsubscribe through the one-click
      // link of an earlier email.
      const waiting = (
        await w.db.execute<{ client_id: string; address: string }>(
          sql`select client_id, address from deliveries where campaign_id = ${id} and status in ('queued', 'sending')`,
        )
      ).rows
        .filter((d) => !arrived().includes(d.address))
        .slice(-5);
      expect(waiting).toHaveLength(5);
      for (const client of waiting) {
        const earlier = await t.app.templates.renderMessage(w.db, w.workspaceId, {
          channel: 'email',
          content: { subject: 'Earlier', body: '<p>Earlier</p>' },
          clientId: client.client_id,
        });
        const unsubscribed = await t.inject({
          method: 'POST',
          url: new URL(earlier.unsubscribeUrl).pathname,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'List-Unsubscribe=One-Click',
        });
        expect(unsubscribed.statusCode).toBe(200);
      }
      // A message already on its way when the consent changed may still land (the claimed batch
      // reads consent again every 250 ms); none may leave later than that.
      await new Promise((r) => setTimeout(r, 600));
      const before = new Set(arrived());
      const end = Date.now() + 60_000;
      while ((await w.call('GET', `/api/v1/campaigns/${id}`)).json().status !== 'sent' && Date.now() < end)
        await new Promise((r) => setTimeout(r, 200));
      const stoppedInTime = waiting.filter((c) => !before.has(c.address));
      expect(stoppedInTime.length).toBeGreaterThanOrEqual(2);
      for (const client of stoppedInTime) {
        expect(arrived()).not.toContain(client.address);
        const delivery = (
          await w.db.execute<{ status: string; skip_reason: string }>(
            sql`select status, skip_reason from deliveries where campaign_id = ${id} and client_id = ${client.client_id}`,
          )
        ).rows[0];
        expect(delivery).toEqual({ status: 'skipped', skip_reason: 'no_consent' });
      }
      expect(arrived()).toHaveLength(150 - stoppedInTime.length);
    } finally {
      await worker.stop();
    }
  }, 90_000);
});
