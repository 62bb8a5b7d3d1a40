import { sql } from 'drizzle-orm';
import type { JobHelpers } from 'graphile-worker';
import { describe, expect, it } from 'vitest';
import { runDueJobs, setupTestApp } from '../../../test/support/app.ts';
import { manualClientAnalyses, writeClientsReported } from '../../../test/support/statistics.ts';
import { insertClients, segmentWorld } from '../segments/segment-test-helpers.ts';
import { DISPATCH_TASK, PREPARE_TASK } from './campaigns.send.ts';

const t = setupTestApp();

/** Runs the queued jobs (only those of `tasks` when given) until none is ready. */
const work = (tasks?: string[]) => runDueJobs(t, tasks);

async function world() {
  const w = await segmentWorld(t);
  const ids = await insertClients(w.db, w.workspaceId, [
    { first_name: 'Ana', email: 'ana@example.com', consent: { email: true } },
    { first_name: 'Bruno', email: 'bruno@example.com', consent: { email: true } },
    { first_name: 'Chloé 🌸', email: 'chloe@example.com', consent: { email: true } },
    { first_name: 'Dani', email: 'dani@example.com', consent: { email: true } },
    { first_name: 'Eva', email: 'eva@example.com' },
  ]);
  const campaign = (
    await w.call('POST', '/api/v1/campaigns', {
      name: 'Spring',
      channel: 'email',
      content: { subject: 'Hola {{ client.first_name }}', body: '<p>Nuestra oferta de primavera</p>' },
      audience: { client_ids: ids },
    })
  ).json();
  const deliveries = async () =>
    (
      await w.db.execute<{ first_name: string; status: string; skip_reason: string | null }>(
        sql`select c.first_name, d.status, d.skip_reason from deliveries d join clients c on c.id = d.client_id
            where d.campaign_id = ${campaign.id} order by c.first_name`,
      )
    ).rows;
  const outbox = async () =>
    (await w.call('GET', `/api/v1/outbox?campaign_id=${campaign.id}&limit=100`)).json().messages as Array<{
      subject: string;
      recipient?: string;
      to?: string;
    }>;
  return { ...w, ids, campaign, deliveries, outbox };
}

describe('sending a campaign', () => {
  it('sends once to every eligible recipient through the outbox, keeps the others as skipped, and ends sent', async () => {
    const w = await world();
    const send = await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/send`, {});
    expect(send.statusCode, send.body).toBe(200);
    expect(send.json().status).toBe('sending');
    // A double click: the second answers 422 and starts nothing.
    const again = await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/send`, {});
    expect(again.statusCode).toBe(422);
    expect((await w.call('PATCH', `/api/v1/campaigns/${w.campaign.id}`, { name: 'late' })).statusCode).toBe(
      422,
    );

    await work();
    expect(await w.deliveries()).toEqual([
      { first_name: 'Ana', status: 'sent', skip_reason: null },
      { first_name: 'Bruno', status: 'sent', skip_reason: null },
      { first_name: 'Chloé 🌸', status: 'sent', skip_reason: null },
      { first_name: 'Dani', status: 'sent', skip_reason: null },
      { first_name: 'Eva', status: 'skipped', skip_reason: 'no_consent' },
    ]);
    const messages = await w.outbox();
    expect(messages.map((m) => m.subject).sort()).toEqual([
      'Hola Ana',
      'Hola Bruno',
      'Hola Chloé 🌸',
      'Hola Dani',
    ]);
    const campaign = (await w.call('GET', `/api/v1/campaigns/${w.campaign.id}`)).json();
    expect(campaign).toMatchObject({ status: 'sent', audience_count: 5 });
    // Running the workers again sends nothing more.
    await w.db.execute(sql`update campaigns set status = 'sending' where id = ${w.campaign.id}`);
    await w.db.execute(
      sql`select graphile_worker.add_job(${DISPATCH_TASK}, json_build_object('campaign_id', ${w.campaign.id}::text))`,
    );
    await work();
    expect(await w.outbox()).toHaveLength(4);
  });

  it('moves the last contact of every client a message reached, never back, and not the skipped ones', async () => {
    const w = await world();
    const later = new Date(Date.now() + 86_400_000);
    // Dani was contacted "tomorrow" (an imported date): a send today must not move it back.
    await w.db.execute(
      sql`update clients set last_contacted_at = ${later.toISOString()} where id = ${w.ids[3]}`,
    );
    const before = Date.now();
    expect((await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/send`, {})).statusCode).toBe(200);
    await work();
    const rows = (
      await w.db.execute<{ first_name: string; last_contacted_at: string | null; sent_at: string | null }>(
        sql`select c.first_name, c.last_contacted_at, d.sent_at from clients c
            join deliveries d on d.client_id = c.id and d.campaign_id = ${w.campaign.id} order by c.first_name`,
      )
    ).rows;
    const contacted = Object.fromEntries(rows.map((r) => [r.first_name, r.last_contacted_at]));
    for (const name of ['Ana', 'Bruno', 'Chloé 🌸']) {
      const at = new Date(contacted[name]!).getTime();
      expect(at, name).toBeGreaterThanOrEqual(before - 1000);
      expect(at, name).toBeGreaterThanOrEqual(
        new Date(rows.find((r) => r.first_name === name)!.sent_at!).getTime(),
      );
    }
    expect(new Date(contacted.Dani!).getTime()).toBe(later.getTime());
    expect(contacted.Eva).toBeNull();
    // The API and a segment of the recently contacted see it (Dani's later date counts too: the
    // contract's `within_last_days` has no upper bound).
    const ana = (await w.call('GET', `/api/v1/clients/${w.ids[0]}`)).json();
    expect(ana.last_contacted_at).toBe(new Date(contacted.Ana!).toISOString());
    const recent = await w.call('POST', '/api/v1/segments/evaluate', {
      definition: { field: 'last_contacted_at', op: 'within_last_days', value: 1 },
      limit: 0,
    });
    expect(recent.json().count).toBe(4);
  });

  it('brings the clients’ statistics up to date before the snapshot when many were written since (an import, then a send)', async () => {
    const w = await world();
    await w.db.execute(sql`analyze clients`);
    await writeClientsReported(w.db, w.workspaceId, 3000);
    const before = await manualClientAnalyses(w.db);
    expect((await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/send`, {})).statusCode).toBe(200);
    await work([PREPARE_TASK]);
    expect(await manualClientAnalyses(w.db)).toBe(before + 1);
    // A second campaign right after: nothing changed since, no second ANALYZE.
    const again = (await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/duplicate`, {})).json();
    expect((await w.call('POST', `/api/v1/campaigns/${again.id}/send`, {})).statusCode).toBe(200);
    await work([PREPARE_TASK]);
    expect(await manualClientAnalyses(w.db)).toBe(before + 1);
  });

  it('re-reads consent (and archiving) at send time, turns a dead worker’s claims into unknown, and never sends those', async () => {
    const w = await world();
    await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/send`, {});
    await work([PREPARE_TASK]);
    expect((await w.deliveries()).filter((d) => d.status === 'queued')).toHaveLength(4);
    // Bruno unsubscribes after the snapshot; Dani's delivery was claimed by a worker that then died.
    const withdraw = await w.call('PATCH', `/api/v1/clients/${w.ids[1]}/consent`, {
      changes: { email: false },
      source: 'api',
    });
    expect(withdraw.statusCode, withdraw.body).toBe(200);
    // Chloé is archived after the snapshot: an archived client is never messaged.
    const archive = await w.call('POST', `/api/v1/clients/${w.ids[2]}/archive`, {});
    expect(archive.statusCode, archive.body).toBe(200);
    await w.db.execute(sql`update deliveries set status = 'sending', claimed_at = now() - interval '10 minutes'
      where campaign_id = ${w.campaign.id} and client_id = ${w.ids[3]}`);
    await work();
    expect(await w.deliveries()).toEqual([
      { first_name: 'Ana', status: 'sent', skip_reason: null },
      { first_name: 'Bruno', status: 'skipped', skip_reason: 'no_consent' },
      { first_name: 'Chloé 🌸', status: 'skipped', skip_reason: 'no_consent' },
      { first_name: 'Dani', status: 'unknown', skip_reason: null },
      { first_name: 'Eva', status: 'skipped', skip_reason: 'no_consent' },
    ]);
    expect((await w.outbox()).map((m) => m.subject).sort()).toEqual(['Hola Ana']);
  });

  it('pause stops every send until resume; cancel leaves the rest unsent', async () => {
    const w = await world();
    await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/send`, {});
    await work([PREPARE_TASK]);
    expect((await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/pause`)).json().status).toBe('paused');
    await work();
    expect(await w.outbox()).toHaveLength(0);
    expect((await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/pause`)).statusCode).toBe(422);
    expect((await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/resume`)).json().status).toBe('sending');
    await work();
    expect(await w.outbox()).toHaveLength(4);

    const other = await world();
    await other.call('POST', `/api/v1/campaigns/${other.campaign.id}/send`, {});
    await work([PREPARE_TASK]);
    expect((await other.call('POST', `/api/v1/campaigns/${other.campaign.id}/cancel`)).json().status).toBe(
      'cancelled',
    );
    await work();
    expect(await other.outbox()).toHaveLength(0);
    expect((await other.deliveries()).map((d) => d.status)).toEqual([
      'cancelled',
      'cancelled',
      'cancelled',
      'cancelled',
      'skipped',
    ]);
    // Another workspace can neither send nor pause it.
    expect((await w.call('POST', `/api/v1/campaigns/${other.campaign.id}/resume`)).statusCode).toBe(404);
  });

  it('a paused campaign whose deliveries are already due leaves no lane coming back until resume (no busy loop)', async () => {
    const w = await world();
    const id = w.campaign.id as string;
    await w.call('POST', `/api/v1/campaigns/${id}/send`, {});
    await work([PREPARE_TASK]);
    // Due a minute ago, as after a scheduled time, a retry's backoff or the quiet hours.
    await w.db.execute(
      sql`update deliveries set send_after = now() - interval '1 minute' where campaign_id = ${id} and status = 'queued'`,
    );
    expect((await w.call('POST', `/api/v1/campaigns/${id}/pause`)).json().status).toBe('paused');
    const laneJobs = async () =>
      (
        await w.db.execute<{ key: string; last_error: string | null }>(
          sql`select key, last_error from graphile_worker._private_jobs where key like ${`${DISPATCH_TASK}:${id}:%`}`,
        )
      ).rows;
    expect(await laneJobs()).toHaveLength(3);
    // Each lane runs once while the campaign is paused (called directly, as the worker would): it
    // ends without queuing itself again. Before, it came back at once for the due deliveries, again
    // and again, until someone pressed Resume.
    await w.db.execute(
      sql`select graphile_worker.remove_job(key) from graphile_worker._private_jobs where key like ${`${DISPATCH_TASK}:${id}:%`}`,
    );
    for (let lane = 0; lane < 3; lane++)
      await t.app.jobs.tasks[DISPATCH_TASK]!({ campaign_id: id }, {
        job: { key: `${DISPATCH_TASK}:${id}:${lane}` },
      } as unknown as JobHelpers);
    expect(await laneJobs()).toEqual([]);
    expect(await w.outbox()).toHaveLength(0);
    expect((await w.call('POST', `/api/v1/campaigns/${id}/resume`)).json().status).toBe('sending');
    await work();
    expect(await w.outbox()).toHaveLength(4);
    expect((await w.call('GET', `/api/v1/campaigns/${id}`)).json().status).toBe('sent');
  });

  it("issue 7's proof (7): clients in Tokyo (by their location), Madrid, the workspace's zone and Mexico City, scheduled for 10:00 local, are each sent at their own 10:00 as the clock moves", async () => {
    const w = await segmentWorld(t, { timezone: 'UTC', locations: 1 });
    const [tokyo, madrid, workspaceZone, mexico] = await insertClients(
      w.db,
      w.workspaceId,
      ['tokyo', 'madrid', 'workspace', 'mexico'].map((name) => ({
        first_name: name,
        email: `${name}@example.com`,
        consent: { email: true },
      })),
    );
    await w.db.execute(sql`update locations set timezone = 'Asia/Tokyo' where id = ${w.locations[0]!}`);
    await w.db.execute(sql`update clients set location_id = ${w.locations[0]!} where id = ${tokyo!}`);
    await w.db.execute(sql`update clients set timezone = 'Europe/Madrid' where id = ${madrid!}`);
    await w.db.execute(sql`update clients set timezone = 'America/Mexico_City' where id = ${mexico!}`);
    const campaign = await w.call('POST', '/api/v1/campaigns', {
      name: 'Ten o’clock',
      channel: 'email',
      content: { subject: 'Buenos días', body: '<p>Son las diez</p>' },
      audience: { client_ids: [tokyo, madrid, workspaceZone, mexico] },
    });
    const id = campaign.json().id as string;
    const day = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    const send = await w.call('POST', `/api/v1/campaigns/${id}/send`, {
      at: `${day}T10:00:00Z`,
      recipient_time_zone: true,
    });
    expect(send.json().status).toBe('scheduled');
    await work();
    const due = Object.fromEntries(
      (
        await w.db.execute<{ client_id: string; send_after: string }>(
          sql`select client_id, send_after from deliveries where campaign_id = ${id}`,
        )
      ).rows.map((r) => [r.client_id, new Date(r.send_after).getTime()]),
    );
    const localTime = (at: number, timeZone: string) =>
      new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'short', timeStyle: 'short' }).format(at);
    const [y, m, d] = day.split('-');
    const ten = `${d}/${m}/${y}, 10:00`;
    expect(localTime(due[tokyo!]!, 'Asia/Tokyo')).toBe(ten);
    expect(localTime(due[madrid!]!, 'Europe/Madrid')).toBe(ten);
    expect(localTime(due[workspaceZone!]!, 'UTC')).toBe(ten);
    expect(localTime(due[mexico!]!, 'America/Mexico_City')).toBe(ten);

    const recipients = async () =>
      (
        (await w.call('GET', `/api/v1/outbox?campaign_id=${id}&limit=10`)).json().messages as Array<{
          to: string;
        }>
      )
        .map((message) => message.to.split('@')[0])
        .sort();
    expect(await recipients()).toEqual([]);
    // The controllable clock: the ledger and the queue are moved so that `instant` is now.
    let movedMs = 0;
    const moveClockTo = async (instant: number) => {
      const shift = instant - Date.now() - movedMs;
      movedMs += shift;
      await w.db.execute(sql`update deliveries set send_after = send_after - make_interval(secs => ${shift / 1000})
        where campaign_id = ${id} and status = 'queued'`);
      await w.db.execute(sql`update graphile_worker._private_jobs set run_at = run_at - make_interval(secs => ${shift / 1000})
        where key like ${`${DISPATCH_TASK}:${id}:%`}`);
    };
    // A minute before the first 10:00 (Tokyo's), nothing goes.
    await moveClockTo(due[tokyo!]! - 60_000);
    await work();
    expect(await recipients()).toEqual([]);
    const expected: string[] = [];
    for (const [client, name] of [
      [tokyo, 'tokyo'],
      [madrid, 'madrid'],
      [workspaceZone, 'workspace'],
      [mexico, 'mexico'],
    ] as const) {
      await moveClockTo(due[client!]! + 1000);
      await work();
      expected.push(name);
      expect(await recipients()).toEqual([...expected].sort());
    }
    expect((await w.call('GET', `/api/v1/campaigns/${id}`)).json().status).toBe('sent');
  });

  it('sends a saved template, rendered per client with the unsubscribe link, and counts its use', async () => {
    const w = await world();
    const template = await w.call('POST', '/api/v1/templates', {
      name: 'Spring',
      channel: 'email',
      subject: 'Para {{ client.first_name | default: "ti" }}',
      body: '<p>Hola {{ client.first_name }}</p>',
    });
    expect(template.statusCode, template.body).toBe(201);
    const patched = await w.call('PATCH', `/api/v1/campaigns/${w.campaign.id}`, {
      content: { template_id: template.json().id },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/send`, {});
    await work();
    const messages = (await w.call('GET', `/api/v1/outbox?campaign_id=${w.campaign.id}&limit=100`)).json()
      .messages as Array<{ subject: string; html: string; headers: Record<string, string> | null }>;
    expect(messages.map((m) => m.subject).sort()).toEqual([
      'Para Ana',
      'Para Bruno',
      'Para Chloé 🌸',
      'Para Dani',
    ]);
    expect(JSON.stringify(messages[0])).toContain('/u/');
    const used = (await w.call('GET', `/api/v1/templates/${template.json().id}`)).json();
    expect(used).toMatchObject({ usage_count: 4 });
    expect(used.last_used_at).not.toBeNull();
  });

  it("moves a delivery forward on the recipient's open and click, never back", async () => {
    const w = await world();
    await w.call('PATCH', `/api/v1/campaigns/${w.campaign.id}`, {
      content: {
        subject: 'Hola',
        body: '<p>Mira <a href="https://shop.example.com/spring">la oferta</a></p>',
      },
    });
    await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/send`, {});
    await work();
    const messages = (
      await w.call('GET', `/api/v1/outbox?campaign_id=${w.campaign.id}&client_id=${w.ids[0]}`)
    ).json().messages as Array<{ html: string }>;
    const html = messages[0]!.html;
    const pixel = /\/t\/o\/[^"'\s]+/.exec(html)?.[0];
    const click = /\/t\/c\/[^"'\s]+/.exec(html)?.[0];
    expect(pixel && click).toBeTruthy();
    const status = async () =>
      (
        await w.db.execute<{ status: string }>(
          sql`select status from deliveries where campaign_id = ${w.campaign.id} and client_id = ${w.ids[0]}`,
        )
      ).rows[0]?.status;
    expect(await status()).toBe('sent');
    await t.inject({ method: 'GET', url: pixel!.replaceAll('&amp;', '&') });
    expect(await status()).toBe('read');
    const redirect = await t.inject({ method: 'GET', url: click!.replaceAll('&amp;', '&') });
    expect(redirect.headers.location).toBe('https://shop.example.com/spring');
    expect(await status()).toBe('clicked');
    // A late open (or a provider's late "delivered") changes nothing.
    await t.inject({ method: 'GET', url: pixel!.replaceAll('&amp;', '&') });
    expect(await status()).toBe('clicked');

    // Segments see the ledger: who opened this campaign, who was sent something in 30 days.
    const count = async (definition: unknown) =>
      (await w.call('POST', '/api/v1/segments/evaluate', { definition, limit: 0 })).json().count;
    expect(await count({ engagement: 'opened', campaign_id: w.campaign.id, op: 'has' })).toBe(1);
    expect(await count({ engagement: 'clicked', channel: 'email', within_days: 30, op: 'has' })).toBe(1);
    expect(await count({ engagement: 'sent', within_days: 30, op: 'has' })).toBe(4);
    expect(await count({ engagement: 'opened', op: 'has_not' })).toBe(4);
  });

  it('retries only what the user picks, and sends a test message outside the ledger', async () => {
    const w = await world();
    await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/send`, {});
    await work();
    // Ana's message failed and Bruno's outcome is unknown (forced here as a provider would leave them).
    await w.db.execute(sql`update deliveries set status = 'failed', error = 'mailbox full'
      where campaign_id = ${w.campaign.id} and client_id = ${w.ids[0]}`);
    await w.db.execute(sql`update deliveries set status = 'unknown'
      where campaign_id = ${w.campaign.id} and client_id = ${w.ids[1]}`);
    expect(
      (await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/retry`, { statuses: ['bounced'] }))
        .statusCode,
    ).toBe(400);
    const retry = await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/retry`, { statuses: ['failed'] });
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.json()).toMatchObject({ requeued: 1, campaign: { status: 'sending' } });
    await work();
    expect(await w.deliveries()).toMatchObject([
      { first_name: 'Ana', status: 'sent' },
      { first_name: 'Bruno', status: 'unknown' },
      { first_name: 'Chloé 🌸', status: 'sent' },
      { first_name: 'Dani', status: 'sent' },
      { first_name: 'Eva', status: 'skipped' },
    ]);
    expect((await w.call('GET', `/api/v1/campaigns/${w.campaign.id}`)).json().status).toBe('sent');

    const test = await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/test`, {
      to: 'me@clinic.example',
      client_id: w.ids[2],
    });
    expect(test.statusCode, test.body).toBe(200);
    expect(test.json().status).toBe('sent');
    const bad = await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/test`, {
      to: 'not an address',
      client_id: w.ids[2],
    });
    expect(bad.statusCode).toBe(400);
    const outbox = (await w.call('GET', `/api/v1/outbox?campaign_id=${w.campaign.id}&limit=100`)).json()
      .messages as Array<{
      subject: string;
      html: string;
    }>;
    expect(outbox.filter((m) => m.subject === '[TEST] Hola Chloé 🌸')).toHaveLength(1);
    // The campaign's own message is tracked; the test copy is not, so opening it records nothing.
    expect(outbox.find((m) => m.subject === 'Hola Chloé 🌸')!.html).toMatch(/\/t\/o\/[^"]+\.gif/);
    expect(outbox.find((m) => m.subject === '[TEST] Hola Chloé 🌸')!.html).not.toMatch(/\/t\/[oc]\//);
    // The ledger did not change: still one row per client.
    expect(await w.deliveries()).toHaveLength(5);
  });

  it('schedules for later: nothing leaves before the time', async () => {
    const w = await world();
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const scheduled = await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/send`, { at });
    expect(scheduled.json()).toMatchObject({ status: 'scheduled', scheduled_at: at });
    await work();
    expect(await w.outbox()).toHaveLength(0);
    const queued = await w.db.execute<{ n: number }>(
      sql`select count(*)::int as n from deliveries where campaign_id = ${w.campaign.id} and status = 'queued' and send_after >= ${at}::timestamptz`,
    );
    expect(queued.rows[0]?.n).toBe(4);
    expect((await w.call('GET', `/api/v1/campaigns/${w.campaign.id}`)).json().status).toBe('scheduled');
    // Its recipients are fixed; its content may still change.
    expect(
      (await w.call('PATCH', `/api/v1/campaigns/${w.campaign.id}`, { audience: { client_ids: [w.ids[0]] } }))
        .statusCode,
    ).toBe(422);
    expect(
      (
        await w.call('PATCH', `/api/v1/campaigns/${w.campaign.id}`, {
          content: { subject: 'Adiós {{ client.first_name }}', body: '<p>x</p>' },
        })
      ).statusCode,
    ).toBe(200);
    // The time comes (moved to now): the campaign starts, sends the new content and ends sent.
    await w.db.execute(
      sql`update deliveries set send_after = now() where campaign_id = ${w.campaign.id} and status = 'queued'`,
    );
    await w.db.execute(
      sql`update graphile_worker._private_jobs set run_at = now() where key like ${`%${w.campaign.id}%`}`,
    );
    await work();
    expect((await w.call('GET', `/api/v1/campaigns/${w.campaign.id}`)).json().status).toBe('sent');
    expect((await w.outbox()).map((m) => m.subject).sort()).toEqual([
      'Adiós Ana',
      'Adiós Bruno',
      'Adiós Chloé 🌸',
      'Adiós Dani',
    ]);
  });
});
