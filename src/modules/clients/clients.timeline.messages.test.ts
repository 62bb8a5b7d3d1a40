import { createServer } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MetaPeer, metaError, startMetaPeer } from '../../../test/peers/meta-graph.ts';
import { newApiKey, newWorkspace, runDueJobs, setupTestApp, withKey } from '../../../test/support/app.ts';
import type { DbOrTx } from '../../platform/db/db.ts';
import { DISPATCH_TASK } from '../campaigns/campaigns.send.ts';
import { timelineDeliveryRows } from '../deliveries/deliveries.repo.ts';
import { insertClients } from '../segments/segment-test-helpers.ts';
import type { TimelineItem } from './client-data.ts';
import { compareDesc } from './clients.timeline.ts';

/**
 * Issue 7: every delivery and status change is its own item on the client's timeline (kind
 * `message`, type the status it reached), driven end to end: a WhatsApp campaign through the fake
 * Graph API, its delivered / read / failed webhooks posted back to the app by the peer.
 */
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
const port = await freePort();
const PUBLIC_URL = `http://127.0.0.1:${port}`;
const WEBHOOK = `${PUBLIC_URL}/webhooks/meta`;
const t = setupTestApp({ PUBLIC_URL });

let meta: MetaPeer;
beforeAll(async () => {
  await t.app.http.listen({ port, host: '127.0.0.1' });
  meta = await startMetaPeer();
});
afterAll(async () => {
  await meta?.close();
});

interface Page {
  items: TimelineItem[];
  next_cursor: string | null;
}

/**
 * A workspace with a WhatsApp channel and four clients: Ana's message is sent, delivered, then
 * read; Bea has no WhatsApp consent (skipped); Carla's message fails at the provider after it was
 * sent; Dani's send gets a 503 (unknown). Ana also has a note and a cancelled later campaign.
 */
async function world() {
  const workspace = await newWorkspace(t);
  const call = withKey(t, await newApiKey(t, workspace.id));
  const channel = await call('POST', '/api/v1/channels', {
    provider: 'meta_whatsapp',
    name: 'WhatsApp',
    settings: meta.channelSettings(),
    rate_per_second: 100,
    daily_cap: null,
  });
  expect(channel.statusCode, channel.body).toBe(201);
  const channelId = channel.json().id as string;
  const prefix = `+346${String(Math.floor(Math.random() * 9_000_000) + 1_000_000)}`;
  const client = async (first_name: string, n: number, consent: boolean) => {
    const created = await call('POST', '/api/v1/clients', {
      first_name,
      phone: `${prefix}${n}`,
      consent: { whatsapp: consent },
    });
    expect(created.statusCode, created.body).toBe(201);
    return created.json().id as string;
  };
  const ana = await client('Ana', 1, true);
  const bea = await client('Bea', 2, false);
  const carla = await client('Carla', 3, true);
  const dani = await client('Dani', 4, true);
  const campaign = async (name: string, clientIds: string[]) => {
    const created = await call('POST', '/api/v1/campaigns', {
      name,
      channel: 'whatsapp',
      channel_id: channelId,
      content: { body: 'Hola', whatsapp_template: { name: 'spring_promo', language: 'es' } },
      audience: { client_ids: clientIds },
    });
    expect(created.statusCode, created.body).toBe(201);
    return created.json().id as string;
  };
  const wamidOf = async (clientId: string, campaignId: string) => {
    const rows = await t.app.dbHandle.db.execute<{ provider_message_id: string }>(
      sql`select provider_message_id from channel_messages
          where client_id = ${clientId} and campaign_id = ${campaignId} and provider_message_id is not null`,
    );
    expect(rows.rows).toHaveLength(1);
    return rows.rows[0]!.provider_message_id;
  };

  const spring = await campaign('Spring sale', [ana, bea, carla]);
  expect((await call('POST', `/api/v1/campaigns/${spring}/send`, {})).statusCode).toBe(200);
  await runDueJobs(t);
  const anaWamid = await wamidOf(ana, spring);
  expect((await meta.sendStatus(WEBHOOK, anaWamid, 'delivered')).status).toBe(200);
  expect((await meta.sendStatus(WEBHOOK, anaWamid, 'read')).status).toBe(200);
  const carlaWamid = await wamidOf(carla, spring);
  expect(
    (await meta.sendStatus(WEBHOOK, carlaWamid, 'failed', { code: 131026, title: 'Message undeliverable' }))
      .status,
  ).toBe(200);

  const flash = await campaign('Flash', [dani]);
  meta.inject(metaError(2, 'Service temporarily unavailable', 503));
  expect((await call('POST', `/api/v1/campaigns/${flash}/send`, {})).statusCode).toBe(200);
  await runDueJobs(t);

  await call('POST', `/api/v1/clients/${ana}/notes`, { body: 'Asked about the spring offer' });
  const autumn = await campaign('Autumn', [ana]);
  const scheduled = await call('POST', `/api/v1/campaigns/${autumn}/send`, {
    at: new Date(Date.now() + 86_400_000).toISOString(),
  });
  expect(scheduled.statusCode, scheduled.body).toBe(200);
  await runDueJobs(t);
  expect((await call('POST', `/api/v1/campaigns/${autumn}/cancel`)).statusCode).toBe(200);

  const timeline = async (clientId: string, query = '') => {
    const response = await call('GET', `/api/v1/clients/${clientId}/timeline?limit=200${query}`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as Page;
  };
  const walk = async (clientId: string, limit: number, query = '') => {
    const items: TimelineItem[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await call(
        'GET',
        `/api/v1/clients/${clientId}/timeline?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(response.statusCode, response.body).toBe(200);
      const page = response.json() as Page;
      expect(page.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.items);
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 200);
    return items;
  };
  return { workspace, call, ana, bea, carla, dani, spring, flash, autumn, timeline, walk, campaign, client };
}

const messages = (page: Page) => page.items.filter((i) => i.kind === 'message');
const line = (i: TimelineItem) => `${i.data.campaign_name} ${i.type}${i.data.code ? ` ${i.data.code}` : ''}`;

describe('messages on the client timeline', () => {
  it('a WhatsApp message sent, then delivered, then read is one item per change, newest first; skips, failures, unknowns and cancels are items too', async () => {
    const w = await world();
    const ana = await w.timeline(w.ana);
    expect(messages(ana).map(line)).toEqual([
      'Autumn cancelled',
      'Autumn queued',
      'Spring sale read',
      'Spring sale delivered',
      'Spring sale sent',
      'Spring sale queued',
    ]);
    const spring = messages(ana).filter((i) => i.data.campaign_id === w.spring);
    expect(new Set(spring.map((i) => i.data.delivery_id)).size).toBe(1);
    expect(spring.map((i) => i.data.step)).toEqual([3, 2, 1, 0]);
    // Strictly newest first, although Meta's timestamps have whole seconds only.
    const times = spring.map((i) => Date.parse(i.occurred_at));
    for (let k = 1; k < times.length; k++) expect(times[k - 1]!).toBeGreaterThan(times[k]!);
    expect(spring[0]!.data).toMatchObject({ channel: 'whatsapp', delivery_status: 'read', status: 'read' });
    // The whole timeline (the note too) is in the exact keyset order.
    expect(ana.items.map((i) => i.id)).toEqual([...ana.items].sort(compareDesc).map((i) => i.id));
    expect(ana.items.some((i) => i.kind === 'note')).toBe(true);

    expect(messages(await w.timeline(w.bea)).map(line)).toEqual(['Spring sale skipped no_consent']);
    const carla = messages(await w.timeline(w.carla));
    expect(carla.map(line)).toEqual(['Spring sale failed 131026', 'Spring sale sent', 'Spring sale queued']);
    expect(carla[0]!.data).toMatchObject({ message: 'Message undeliverable', retried: false });
    const dani = messages(await w.timeline(w.dani));
    expect(dani.map((i) => i.type)).toEqual(['unknown', 'queued']);
    expect(dani[0]!.data.message).toEqual(expect.any(String));
  }, 60_000);

  it('an attempt the provider refused for a while (429) is a failed item marked retried, then the send that went through', async () => {
    const w = await world();
    const eva = await w.client('Eva', 5, true);
    const retry = await w.campaign('Second chance', [eva]);
    meta.inject(metaError(130429, 'Rate limit hit', 429));
    expect((await w.call('POST', `/api/v1/campaigns/${retry}/send`, {})).statusCode).toBe(200);
    await runDueJobs(t);
    const waiting = messages(await w.timeline(eva));
    expect(waiting.map(line)).toEqual(['Second chance failed 130429', 'Second chance queued']);
    expect(waiting[0]!.data).toMatchObject({ retried: true, delivery_status: 'queued' });
    // The backoff is over: the retry goes out.
    await t.app.dbHandle.db.execute(
      sql`update deliveries set send_after = now() where campaign_id = ${retry} and status = 'queued'`,
    );
    await t.app.dbHandle.db.execute(
      sql`select graphile_worker.add_job(${DISPATCH_TASK}, json_build_object('campaign_id', ${retry}::text))`,
    );
    await runDueJobs(t);
    const after = messages(await w.timeline(eva));
    expect(after.map(line)).toEqual([
      'Second chance sent',
      'Second chance failed 130429',
      'Second chance queued',
    ]);
    expect(after[1]!.data).toMatchObject({
      retried: true,
      message: expect.stringContaining('Rate limit hit'),
    });
    expect(after[1]!.id).toBe(waiting[0]!.id);
  }, 60_000);

  it('an email opened then clicked: the opens and clicks are events between the message items, never a second copy of them', async () => {
    const w = await world();
    const created = await w.call('POST', '/api/v1/clients', {
      first_name: 'Flor',
      email: `flor-${w.workspace.id.slice(0, 8)}@example.com`,
      consent: { email: true },
    });
    const flor = created.json().id as string;
    const campaign = await w.call('POST', '/api/v1/campaigns', {
      name: 'Newsletter',
      channel: 'email',
      content: { subject: 'Hola', body: '<p><a href="https://shop.example.com/sale">Sale</a></p>' },
      audience: { client_ids: [flor] },
    });
    const campaignId = campaign.json().id as string;
    expect((await w.call('POST', `/api/v1/campaigns/${campaignId}/send`, {})).statusCode).toBe(200);
    await runDueJobs(t);
    const outbox = (await w.call('GET', `/api/v1/outbox?campaign_id=${campaignId}&limit=10`)).json();
    const html = outbox.messages[0].html as string;
    const path = (kind: 'o' | 'c') =>
      new URL(new RegExp(`"(${PUBLIC_URL.replace(/\./g, '\\.')}/t/${kind}/[^"]+)"`).exec(html)![1]!).pathname;
    expect((await t.inject({ method: 'GET', url: path('o') })).statusCode).toBe(200);
    expect((await t.inject({ method: 'GET', url: path('c') })).statusCode).toBe(302);
    const all = await w.timeline(flor);
    const mine = all.items.filter((i) => i.kind === 'message' || i.type.startsWith('email_'));
    expect(mine.map((i) => `${i.kind}:${i.type}`)).toEqual([
      'event:email_clicked',
      'event:email_opened',
      'message:sent',
      'message:queued',
    ]);
    expect(mine[0]!.data.properties).toMatchObject({ campaign_id: campaignId });
    expect(mine[2]!.data).toMatchObject({ campaign_name: 'Newsletter', delivery_status: 'clicked' });
    // What the dashboard's "Messages" filter asks for.
    const filtered = await w.timeline(
      flor,
      '&types=message,email_opened,email_clicked,sms_inbound,whatsapp_inbound',
    );
    expect(filtered.items.map((i) => i.id)).toEqual(mine.map((i) => i.id));
  }, 60_000);

  it('paging with a limit of 1 walks every item exactly once, also filtered', async () => {
    const w = await world();
    for (const clientId of [w.ana, w.carla]) {
      const all = await w.timeline(clientId);
      expect(all.next_cursor).toBeNull();
      const walked = await w.walk(clientId, 1);
      expect(walked.map((i) => i.id)).toEqual(all.items.map((i) => i.id));
      expect(new Set(walked.map((i) => i.id)).size).toBe(walked.length);
      const onlyMessages = await w.walk(clientId, 1, '&types=message');
      expect(onlyMessages.map((i) => i.id)).toEqual(messages(all).map((i) => i.id));
    }
  }, 60_000);

  it('filters by kind `message` and by the statuses', async () => {
    const w = await world();
    const url = (types: string) => `&types=${types}`;
    const readAndDelivered = await w.timeline(w.ana, url('read,delivered'));
    expect(readAndDelivered.items.map((i) => i.type)).toEqual(['read', 'delivered']);
    const notes = await w.timeline(w.ana, url('note'));
    expect(notes.items.map((i) => i.kind)).toEqual(['note']);
    const both = await w.timeline(w.ana, url('note,cancelled'));
    expect(both.items.map((i) => i.type).sort()).toEqual(['cancelled', 'info']);
    const failed = await w.timeline(w.carla, url('failed'));
    expect(failed.items).toHaveLength(1);
    expect(failed.items[0]!.data.code).toBe('131026');
    expect((await w.timeline(w.bea, url('sent'))).items).toEqual([]);
  }, 60_000);

  it("workspace B cannot see workspace A's client timeline, nor its messages through its own clients", async () => {
    const w = await world();
    const other = await newWorkspace(t);
    const call = withKey(t, await newApiKey(t, other.id, 'owner'));
    expect((await call('GET', `/api/v1/clients/${w.ana}/timeline`)).statusCode).toBe(404);
    expect((await call('GET', `/api/v1/clients/${w.ana}/timeline.csv`)).statusCode).toBe(404);
    // The statement itself filters by workspace: A's client id under B's workspace gives nothing.
    const window = { before: null, from: null, to: null, limit: null };
    expect(await timelineDeliveryRows(t.app.dbHandle.db, other.id, w.ana, window)).toEqual([]);
    expect(
      (await timelineDeliveryRows(t.app.dbHandle.db, w.workspace.id, w.ana, window)).length,
    ).toBeGreaterThan(0);
  }, 60_000);

  it('the GDPR export lists each delivery with the same changes, oldest first; the CSV says them in words', async () => {
    const w = await world();
    const exported = await w.call('GET', `/api/v1/clients/${w.ana}/export`);
    expect(exported.statusCode, exported.body).toBe(200);
    const deliveries = exported.json().deliveries as Array<{
      campaign_id: string;
      campaign_name: string;
      status: string;
      history: Array<{ status: string; at: string }>;
    }>;
    const spring = deliveries.find((d) => d.campaign_id === w.spring)!;
    expect(spring).toMatchObject({ campaign_name: 'Spring sale', status: 'read' });
    expect(spring.history.map((h) => h.status)).toEqual(['queued', 'sent', 'delivered', 'read']);
    const fromTimeline = messages(await w.timeline(w.ana))
      .filter((i) => i.data.campaign_id === w.spring)
      .reverse();
    expect(spring.history.map((h) => h.at)).toEqual(fromTimeline.map((i) => i.occurred_at));
    expect(deliveries.find((d) => d.campaign_id === w.autumn)!.history.map((h) => h.status)).toEqual([
      'queued',
      'cancelled',
    ]);
    const csv = (await w.call('GET', `/api/v1/clients/${w.carla}/timeline.csv?types=message`)).rawPayload
      .toString('utf8')
      .trimEnd()
      .split('\r\n');
    expect(csv).toHaveLength(1 + 3);
    expect(csv[1]).toContain("Campaign 'Spring sale' — whatsapp failed: 131026 Message undeliverable");
    expect(csv[3]).toContain("Campaign 'Spring sale' — whatsapp queued");
  }, 60_000);

  it('reads one page in one statement, through the client indexes of deliveries and channel_messages', async () => {
    const w = await world();
    const db = t.app.dbHandle.db;
    // 2,000 other clients with 10 deliveries and 10 messages each around Ana's few, 5,000 campaigns.
    const others = await insertClients(
      db,
      w.workspace.id,
      Array.from({ length: 2000 }, (_, i) => ({ first_name: `Other ${i}` })),
    );
    const channelId = (
      await db.execute<{ channel_id: string }>(
        sql`select channel_id from channel_messages where client_id = ${w.ana} limit 1`,
      )
    ).rows[0]!.channel_id;
    await db.execute(sql`
      insert into deliveries (workspace_id, campaign_id, client_id, channel, address, status, created_at)
      select ${w.workspace.id}::uuid, gen_random_uuid(), c, 'whatsapp', '+34600000000', 'sent',
        now() - make_interval(days => n)
      from unnest(${`{${others.join(',')}}`}::uuid[]) c, generate_series(1, 10) n`);
    await db.execute(sql`
      insert into channel_messages (workspace_id, channel_id, provider, kind, recipient, client_id, campaign_id,
        delivery_id, status, status_history, created_at)
      select workspace_id, ${channelId}::uuid, 'meta_whatsapp', 'whatsapp', address, client_id, campaign_id, id,
        'sent', jsonb_build_array(jsonb_build_object('status', 'sent', 'at', created_at)), created_at
      from deliveries where workspace_id = ${w.workspace.id} and client_id <> all(${`{${[w.ana, w.bea, w.carla, w.dani].join(',')}}`}::uuid[])`);
    await db.execute(sql`
      insert into campaigns (workspace_id, name, channel, content, audience, status)
      select ${w.workspace.id}::uuid, 'Old ' || n, 'email', '{}'::jsonb, '{}'::jsonb, 'sent'
      from generate_series(1, 5000) n`);
    await db.execute(sql`analyze campaigns`);
    await db.execute(sql`analyze deliveries`);
    await db.execute(sql`analyze channel_messages`);
    const statements: string[] = [];
    const plans: string[] = [];
    const explaining = {
      execute: async (query: ReturnType<typeof sql>) => {
        statements.push('statement');
        const result = await db.execute(sql`explain (analyze, costs off, timing off, summary off) ${query}`);
        plans.push(result.rows.map((r) => Object.values(r).join(' ')).join('\n'));
        return { rows: [] };
      },
    } as unknown as DbOrTx;
    const first = (await w.timeline(w.ana)).items;
    const cursor = first[2]!;
    await timelineDeliveryRows(explaining, w.workspace.id, w.ana, {
      before: { at: cursor.occurred_at, id: cursor.id },
      from: null,
      to: null,
      limit: 3,
    });
    expect(statements).toHaveLength(1);
    const plan = plans[0]!;
    if (process.env.PRINT_PLAN) console.log(plan);
    expect(plan).toMatch(/Index Scan using deliveries_client_index on deliveries/);
    expect(plan).toMatch(/Index Cond: \(\(workspace_id = [^\n]*client_id = [^\n]*created_at <= /);
    expect(plan).toMatch(/channel_messages_workspace_id_client_id_created_at_index/);
    // The campaign names: one probe per item of the page, never the workspace's campaigns.
    expect(plan).toMatch(
      /Index Scan using campaigns_\w+ on campaigns[^\n]*\n\s*Index Cond: [^\n]*\bid = d\.campaign_id/,
    );
    expect(plan).not.toMatch(/Seq Scan on (deliveries|channel_messages|campaigns)/);
  }, 60_000);
});
