import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { runOnce } from 'graphile-worker';
import { describe, expect, it } from 'vitest';
import { newApiKey, setupTestApp } from '../../../test/support/app.ts';
import { silentWorkerLogger } from '../../platform/db/db.ts';
import { insertClients, segmentWorld } from '../segments/segment-test-helpers.ts';
import { campaignProgress } from './campaigns.events.ts';

const t = setupTestApp();

async function world() {
  const w = await segmentWorld(t);
  const ids = await insertClients(w.db, w.workspaceId, [
    { first_name: 'Ana', email: 'ana@example.com', consent: { email: true } },
    { first_name: 'Bruno', email: 'bruno@example.com', consent: { email: true } },
    { first_name: 'Chloé', email: 'chloe@example.com', consent: { email: true } },
    { first_name: 'Dani', email: 'dani@example.com' },
  ]);
  const campaign = (
    await w.call('POST', '/api/v1/campaigns', {
      name: 'Live',
      channel: 'email',
      content: { subject: 'Hola {{ client.first_name }}', body: '<p>Hola</p>' },
      audience: { client_ids: ids },
    })
  ).json();
  return { ...w, campaign };
}

type Progress = Awaited<ReturnType<typeof campaignProgress>>;

/** Reads a server-sent event stream over real HTTP, handing each `progress` event to `onEvent`. */
function readEvents(port: number, key: string, path: string, onEvent: (e: Progress) => void) {
  return new Promise<{ status: number; type: string; events: Progress[] }>((resolve, reject) => {
    const events: Progress[] = [];
    const request = http.get(
      { host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${key}` } },
      (res) => {
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block.split('\n').find((l) => l.startsWith('data: '));
            if (block.startsWith('event: progress') && data) {
              const event = JSON.parse(data.slice(6)) as Progress;
              events.push(event);
              onEvent(event);
            }
          }
        });
        res.on('end', () =>
          resolve({ status: res.statusCode!, type: String(res.headers['content-type']), events }),
        );
      },
    );
    request.on('error', reject);
  });
}

describe('campaign live progress (server-sent events)', () => {
  it('streams counts by status from the Send to the end, then closes; 404 for another workspace', async () => {
    const w = await world();
    await t.app.http.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.http.server.address() as AddressInfo;
    const key = await newApiKey(t, w.workspaceId, 'viewer');
    expect((await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/send`, {})).statusCode).toBe(200);
    // The snapshot first (the stream shows its counts), then the sends.
    await runOnce({
      pgPool: t.app.dbHandle.pool,
      taskList: { 'campaigns.prepare': t.app.jobs.tasks['campaigns.prepare']! },
      logger: silentWorkerLogger(),
    });
    let sent = false;
    const stream = readEvents(port, key, `/api/v1/campaigns/${w.campaign.id}/events`, (event) => {
      if (!sent && event.progress.done < event.progress.total) {
        sent = true;
        void runOnce({
          pgPool: t.app.dbHandle.pool,
          taskList: t.app.jobs.tasks,
          logger: silentWorkerLogger(),
        });
      }
    });
    const { status, type, events } = await stream;
    expect(status).toBe(200);
    expect(type).toContain('text/event-stream');
    expect(events[0]).toMatchObject({
      status: 'sending',
      progress: { done: 1, total: 4 }, // Dani, no consent, is skipped already
      counts: expect.objectContaining({ queued: 3, skipped: 1, sent: 0 }),
      eta_seconds: null,
    });
    expect(events.at(-1)).toMatchObject({
      status: 'sent',
      progress: { done: 4, total: 4 },
      counts: expect.objectContaining({ sent: 3, skipped: 1, queued: 0 }),
      eta_seconds: null,
    });
    expect(events.at(-1)!.rate_per_second).toBeGreaterThan(0);

    const other = await segmentWorld(t);
    expect((await other.call('GET', `/api/v1/campaigns/${w.campaign.id}/events`)).statusCode).toBe(404);
  });

  it('gives a rate over the last seconds and the ETA of what is left while sending', async () => {
    const w = await world();
    await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/send`, {});
    await runOnce({ pgPool: t.app.dbHandle.pool, taskList: t.app.jobs.tasks, logger: silentWorkerLogger() });
    // Three sent in the last 2 s and two more queued, as in the middle of a campaign.
    await w.db.execute(
      sql`update deliveries set sent_at = now() - interval '1 second' where campaign_id = ${w.campaign.id} and status = 'sent'`,
    );
    await w.db.execute(sql`insert into deliveries (workspace_id, campaign_id, client_id, channel, address, status)
      select workspace_id, campaign_id, client_id, 'sms', '+34600000001', 'queued' from deliveries
      where campaign_id = ${w.campaign.id} and status = 'sent' limit 2`);
    await w.db.execute(sql`update campaigns set status = 'sending' where id = ${w.campaign.id}`);
    const progress = await campaignProgress(w.db, w.workspaceId, w.campaign.id);
    expect(progress.progress).toEqual({ done: 4, total: 6 });
    // 3 messages since the first one a little over 1 s ago: about 3/s, 2 left: 1 s.
    expect(progress.rate_per_second).toBeGreaterThan(2.5);
    expect(progress.rate_per_second).toBeLessThanOrEqual(3);
    expect(progress.eta_seconds).toBe(1);
  });
});
