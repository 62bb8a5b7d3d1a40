import { sql } from 'drizzle-orm';
import { runOnce } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpSink, startSmtpSink } from '../../../test/peers/smtp-sink.ts';
import { setupTestApp } from '../../../test/support/app.ts';
import { silentWorkerLogger } from '../../platform/db/db.ts';
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
