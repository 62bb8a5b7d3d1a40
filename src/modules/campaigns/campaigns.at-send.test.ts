import { sql } from 'drizzle-orm';
import { runOnce } from 'graphile-worker';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../../../test/support/app.ts';
import { silentWorkerLogger } from '../../platform/db/db.ts';
import { insertClients, segmentWorld } from '../segments/segment-test-helpers.ts';

const t = setupTestApp();
const work = () =>
  runOnce({ pgPool: t.app.dbHandle.pool, taskList: t.app.jobs.tasks, logger: silentWorkerLogger() });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('determine_recipients', () => {
  it('"at_send": the audience is taken at the send time, with the clients and consents of then; "now" fixes it at once', async () => {
    const w = await segmentWorld(t);
    const segment = await w.call('POST', '/api/v1/segments', {
      name: 'Madrid',
      definition: { all: [{ field: 'city', op: 'eq', value: 'Madrid' }] },
    });
    expect(segment.statusCode, segment.body).toBe(201);
    const [ana, bruno] = await insertClients(w.db, w.workspaceId, [
      { first_name: 'Ana', email: 'ana@example.com', city: 'Madrid', consent: { email: true } },
      { first_name: 'Bruno', email: 'bruno@example.com', city: 'Madrid', consent: { email: true } },
    ]);
    const create = async (name: string) =>
      (
        await w.call('POST', '/api/v1/campaigns', {
          name,
          channel: 'email',
          content: { subject: 'Hola', body: '<p>Hola {{ client.first_name }}</p>' },
          audience: { segment_id: segment.json().id },
        })
      ).json().id as string;
    const atSend = await create('At send');
    const now = await create('Now');
    const at = new Date(Date.now() + 2500).toISOString();
    for (const [id, determine] of [
      [atSend, 'at_send'],
      [now, 'now'],
    ] as const) {
      const sent = await w.call('POST', `/api/v1/campaigns/${id}/send`, {
        at,
        determine_recipients: determine,
      });
      expect(sent.statusCode, sent.body).toBe(200);
      expect(sent.json().status).toBe('scheduled');
    }
    await work();
    const recipients = async (id: string) =>
      (
        await w.db.execute<{ first_name: string; status: string }>(sql`
          select c.first_name, d.status from deliveries d join clients c on c.id = d.client_id
          where d.campaign_id = ${id} order by c.first_name`)
      ).rows;
    // Before the time: "now" has its audience, "at_send" none yet.
    expect(await recipients(atSend)).toEqual([]);
    expect((await recipients(now)).map((r) => r.first_name)).toEqual(['Ana', 'Bruno']);

    // Meanwhile Carla joins the segment and Bruno withdraws his consent.
    await insertClients(w.db, w.workspaceId, [
      { first_name: 'Carla', email: 'carla@example.com', city: 'Madrid', consent: { email: true } },
    ]);
    await w.db.execute(sql`update clients set consent_email = false where id = ${bruno!}`);
    expect(ana).toBeDefined();

    await sleep(Math.max(0, new Date(at).getTime() - Date.now()) + 300);
    await work();
    await work();
    expect(await recipients(atSend)).toEqual([
      { first_name: 'Ana', status: 'sent' },
      { first_name: 'Bruno', status: 'skipped' },
      { first_name: 'Carla', status: 'sent' },
    ]);
    // "now" kept the audience of the Send: no Carla; Bruno's consent is read again at his send.
    expect(await recipients(now)).toEqual([
      { first_name: 'Ana', status: 'sent' },
      { first_name: 'Bruno', status: 'skipped' },
    ]);
    const snapshot = (
      await w.db.execute<{ snapshot_at: string }>(sql`select snapshot_at from campaigns where id = ${atSend}`)
    ).rows[0]!;
    expect(new Date(snapshot.snapshot_at).getTime()).toBeGreaterThanOrEqual(new Date(at).getTime() - 50);
  }, 60_000);
});
