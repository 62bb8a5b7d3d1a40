import { sql } from 'drizzle-orm';
import type { JobHelpers } from 'graphile-worker';
import { describe, expect, it } from 'vitest';
import { newApiKey, runDueJobs, setupTestApp, withKey } from '../../../test/support/app.ts';
import { insertClients, insertEvents, segmentWorld } from '../segments/segment-test-helpers.ts';
import { AB_DECIDE_TASK } from './campaigns.ab.ts';

const t = setupTestApp();

/** Runs the jobs that are due now (the A/B decision, due hours later, is not among them). */
const work = () => runDueJobs(t);

/** Runs the A/B decision job now, as the worker would when its time comes. */
async function decideNow(campaignId: string) {
  await t.app.jobs.tasks[AB_DECIDE_TASK]!({ campaign_id: campaignId }, {} as JobHelpers);
}

const emails = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    first_name: `C${String(i).padStart(2, '0')}`,
    email: `c${i}@example.com`,
    consent: { email: true },
  }));

async function world(clients = 20) {
  const w = await segmentWorld(t);
  const ids = await insertClients(w.db, w.workspaceId, emails(clients));
  const ledger = async (campaignId: string) =>
    (
      await w.db.execute<{ client_id: string; status: string; variant: number; skip_reason: string | null }>(
        sql`select client_id, status, variant, skip_reason from deliveries where campaign_id = ${campaignId}`,
      )
    ).rows;
  const outboxSubjects = async (campaignId: string) =>
    (
      (await w.call('GET', `/api/v1/outbox?campaign_id=${campaignId}&limit=100`)).json().messages as Array<{
        subject: string;
      }>
    ).map((m) => m.subject);
  return { ...w, ids, ledger, outboxSubjects };
}

/** A zone where it is `hour`:xx now (Etc/GMT-N is UTC+N): the hour a test needs, whenever it runs. */
function zoneAt(hour: number) {
  const offset = (((hour - new Date().getUTCHours()) % 24) + 24) % 24;
  return offset === 0 ? 'Etc/GMT' : offset <= 14 ? `Etc/GMT-${offset}` : `Etc/GMT+${24 - offset}`;
}

const AB = { test_share_percent: 50, criterion: 'opened', wait_hours: 4 } as const;
const twoVariants = {
  variants: [
    { subject: 'A: Hola {{ client.first_name }}', body: '<p>Oferta A</p>' },
    { subject: 'B: Hola {{ client.first_name }}', body: '<p>Oferta B</p>' },
  ],
};

describe('A/B test', () => {
  it('sends the variants to the test share, holds the rest, picks the best open rate at the time and sends it to the rest', async () => {
    const w = await world(20);
    const created = await w.call('POST', '/api/v1/campaigns', {
      name: 'Spring A/B',
      channel: 'email',
      content: twoVariants,
      audience: { client_ids: w.ids },
      ab_test: AB,
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().ab_test).toEqual(AB);
    const id = created.json().id;

    const before = Date.now();
    expect((await w.call('POST', `/api/v1/campaigns/${id}/send`, {})).statusCode).toBe(200);
    await work();

    // 50 % of 20 = 10 in the test, 5 per variant; the other 10 held, nothing sent to them.
    let rows = await w.ledger(id);
    const test = rows.filter((r) => r.status === 'sent');
    expect(test).toHaveLength(10);
    expect(test.filter((r) => r.variant === 0)).toHaveLength(5);
    expect(test.filter((r) => r.variant === 1)).toHaveLength(5);
    expect(rows.filter((r) => r.status === 'held')).toHaveLength(10);
    // A held client's timeline says the message waits for the winner (not "queued").
    const heldClient = rows.find((r) => r.status === 'held')!.client_id;
    const messageSteps = async () =>
      (
        (await w.call('GET', `/api/v1/clients/${heldClient}/timeline?limit=50`)).json().items as Array<{
          kind: string;
          type: string;
        }>
      )
        .filter((i) => i.kind === 'message')
        .map((i) => i.type);
    expect(await messageSteps()).toEqual(['held']);
    const subjects = await w.outboxSubjects(id);
    expect(subjects.filter((s) => s.startsWith('A:'))).toHaveLength(5);
    expect(subjects.filter((s) => s.startsWith('B:'))).toHaveLength(5);

    // The campaign waits for the winner: still sending, the decision queued wait_hours later.
    const campaign = (await w.call('GET', `/api/v1/campaigns/${id}`)).json();
    expect(campaign.status).toBe('sending');
    const decideAt = new Date(campaign.ab_test.decide_at).getTime();
    expect(decideAt).toBeGreaterThanOrEqual(before + 4 * 3_600_000 - 1000);
    expect(decideAt).toBeLessThan(Date.now() + 4 * 3_600_000 + 1000);
    const job = await w.db.execute<{ run_at: Date }>(
      sql`select run_at from graphile_worker.jobs where key = ${`${AB_DECIDE_TASK}:${id}`}`,
    );
    expect(new Date(job.rows[0]!.run_at).getTime()).toBe(decideAt);

    // Variant B opened by 3 of its 5, variant A by 1 of its 5.
    const opened = [
      ...test.filter((r) => r.variant === 1).slice(0, 3),
      ...test.filter((r) => r.variant === 0).slice(0, 1),
    ];
    await w.db.execute(sql`update deliveries set status = 'read' where campaign_id = ${id}
      and client_id = any(${`{${opened.map((r) => r.client_id).join(',')}}`}::uuid[])`);

    let stats = (await w.call('GET', `/api/v1/campaigns/${id}/stats`)).json();
    expect(stats.ab_test).toMatchObject({ criterion: 'opened', winner: null, held: 10 });
    expect(stats.ab_test.variants).toEqual([
      expect.objectContaining({ variant: 0, recipients: 5, sent: 5, opened: 1, rate: 0.2 }),
      expect.objectContaining({ variant: 1, recipients: 5, sent: 5, opened: 3, rate: 0.6 }),
    ]);
    expect(stats.progress.done).toBeLessThan(stats.progress.total);

    await decideNow(id);
    await work();
    rows = await w.ledger(id);
    expect(rows.filter((r) => r.status === 'held')).toHaveLength(0);
    expect(await messageSteps()).toEqual(['sent', 'queued']);
    const rest = rows.filter((r) => !test.some((x) => x.client_id === r.client_id));
    expect(rest.every((r) => r.variant === 1 && r.status === 'sent')).toBe(true);
    expect((await w.outboxSubjects(id)).filter((s) => s.startsWith('B:'))).toHaveLength(15);

    stats = (await w.call('GET', `/api/v1/campaigns/${id}/stats`)).json();
    expect(stats.status).toBe('sent');
    expect(stats.ab_test).toMatchObject({ winner: 1, decided_by: 'rate', held: 0 });
    // A late second run of the job changes nothing; a choice by hand now is refused.
    await decideNow(id);
    const late = await w.call('POST', `/api/v1/campaigns/${id}/ab-test/winner`, { variant: 0 });
    expect(late.statusCode).toBe(422);
  });

  it('a winner chosen by hand goes to the held recipients at once; only once; not before the audience is fixed; not from another workspace', async () => {
    const w = await world(8);
    const id = (
      await w.call('POST', '/api/v1/campaigns', {
        name: 'By hand',
        channel: 'email',
        content: twoVariants,
        audience: { client_ids: w.ids },
        ab_test: { ...AB, test_share_percent: 25 },
      })
    ).json().id;
    const early = await w.call('POST', `/api/v1/campaigns/${id}/ab-test/winner`, { variant: 0 });
    expect(early.statusCode).toBe(422);
    await w.call('POST', `/api/v1/campaigns/${id}/send`, {});
    await work();
    expect((await w.ledger(id)).filter((r) => r.status === 'held')).toHaveLength(6);

    const other = await segmentWorld(t);
    expect(
      (await other.call('POST', `/api/v1/campaigns/${id}/ab-test/winner`, { variant: 0 })).statusCode,
    ).toBe(404);
    expect((await w.call('POST', `/api/v1/campaigns/${id}/ab-test/winner`, { variant: 2 })).statusCode).toBe(
      400,
    );

    const chosen = await w.call('POST', `/api/v1/campaigns/${id}/ab-test/winner`, { variant: 0 });
    expect(chosen.statusCode, chosen.body).toBe(200);
    expect(chosen.json()).toMatchObject({
      released: 6,
      campaign: { ab_test: { winner: 0, decided_by: 'hand' } },
    });
    await work();
    const rows = await w.ledger(id);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    expect((await w.outboxSubjects(id)).filter((s) => s.startsWith('A:'))).toHaveLength(7);
    expect((await w.call('POST', `/api/v1/campaigns/${id}/ab-test/winner`, { variant: 1 })).statusCode).toBe(
      422,
    );
    // The job coming later does not override the person's choice.
    await decideNow(id);
    expect((await w.call('GET', `/api/v1/campaigns/${id}`)).json().ab_test.winner).toBe(0);
  });

  it('held SMS released during the quiet hours of their zone wait until 09:00 local, never dropped', async () => {
    const w = await world(0);
    await w.call('PUT', '/api/v1/campaign-settings', { quiet_hours: { start: 21, end: 9 } });
    // The test share goes out at noon in the clients' zone, and the held recipients are released
    // when it has become 23:xx for them (they moved, as it were).
    const zone = zoneAt(23);
    const ids = await insertClients(
      w.db,
      w.workspaceId,
      Array.from({ length: 4 }, (_, i) => ({
        first_name: `S${i}`,
        phone: `+3460000010${i}`,
        consent: { sms: true },
      })),
    );
    await w.db.execute(
      sql`update clients set timezone = ${zoneAt(12)} where workspace_id = ${w.workspaceId}`,
    );
    const id = (
      await w.call('POST', '/api/v1/campaigns', {
        name: 'Night A/B',
        channel: 'sms',
        content: { variants: [{ body: 'A' }, { body: 'B' }] },
        audience: { client_ids: ids },
        ab_test: { ...AB, test_share_percent: 50 },
      })
    ).json().id;
    await w.call('POST', `/api/v1/campaigns/${id}/send`, {});
    await work();
    expect((await w.ledger(id)).filter((r) => r.status === 'sent')).toHaveLength(2);
    await w.db.execute(sql`update clients set timezone = ${zone} where workspace_id = ${w.workspaceId}`);
    const chosen = await w.call('POST', `/api/v1/campaigns/${id}/ab-test/winner`, { variant: 1 });
    expect(chosen.json().released).toBe(2);
    await work();
    const rows = await w.db.execute<{ status: string; send_after: string | null; local: string }>(
      sql`select status, send_after, to_char(send_after at time zone ${zone}, 'HH24:MI') as local
          from deliveries where campaign_id = ${id} and variant = 1 and status <> 'sent'`,
    );
    expect(rows.rows).toHaveLength(2);
    // Nothing went out at night: the released wait for 09:00 in their zone.
    expect(rows.rows.every((r) => r.status === 'queued' && r.local === '09:00')).toBe(true);
    expect(rows.rows.every((r) => new Date(r.send_after!).getTime() > Date.now())).toBe(true);
  });

  it("quiet hours are the workspace's: 21–9 by default, changed by admins, off with null; SMS at 23:00 local waits for their end", async () => {
    const w = await world(0);
    const settings = () => w.call('GET', '/api/v1/campaign-settings');
    // A workspace that never changed its sending rules has the default quiet hours.
    await w.db.execute(sql`delete from campaign_settings where workspace_id = ${w.workspaceId}`);
    expect((await settings()).json().quiet_hours).toEqual({ start: 21, end: 9 });
    const same = await w.call('PUT', '/api/v1/campaign-settings', { quiet_hours: { start: 9, end: 9 } });
    expect(same.statusCode).toBe(400);
    expect(same.json().error.details).toEqual([expect.objectContaining({ path: '/quiet_hours/end' })]);
    const late = await w.call('PUT', '/api/v1/campaign-settings', { quiet_hours: { start: 24, end: 9 } });
    expect(late.statusCode).toBe(400);
    expect(JSON.stringify(late.json().error.details)).toContain('/quiet_hours/start');
    const marketer = withKey(t, await newApiKey(t, w.workspaceId, 'marketer'));
    expect((await marketer('PUT', '/api/v1/campaign-settings', { quiet_hours: null })).statusCode).toBe(403);
    expect((await settings()).json().quiet_hours).toEqual({ start: 21, end: 9 });

    const zone = zoneAt(23);
    const sendSms = async (name: string) => {
      const [client] = await insertClients(w.db, w.workspaceId, [
        {
          first_name: name,
          phone: `+346000009${String(Math.floor(Math.random() * 100)).padStart(2, '0')}`,
          consent: { sms: true },
        },
      ]);
      await w.db.execute(sql`update clients set timezone = ${zone} where id = ${client!}`);
      const id = (
        await w.call('POST', '/api/v1/campaigns', {
          name,
          channel: 'sms',
          content: { body: 'Hola' },
          audience: { client_ids: [client!] },
        })
      ).json().id as string;
      await w.call('POST', `/api/v1/campaigns/${id}/send`, {});
      await work();
      return (
        await w.db.execute<{ status: string; local: string | null }>(
          sql`select status, to_char(send_after at time zone ${zone}, 'HH24:MI') as local
              from deliveries where campaign_id = ${id}`,
        )
      ).rows;
    };
    // 23:xx local: within the default 21–9, the SMS waits for 09:00 in the client's zone.
    expect(await sendSms('Default')).toEqual([{ status: 'queued', local: '09:00' }]);
    // Hours of the workspace's own (23–7): it waits for 07:00.
    expect(
      (await w.call('PUT', '/api/v1/campaign-settings', { quiet_hours: { start: 23, end: 7 } })).json()
        .quiet_hours,
    ).toEqual({ start: 23, end: 7 });
    expect(await sendSms('Own hours')).toEqual([{ status: 'queued', local: '07:00' }]);
    // No quiet hours: it goes now.
    expect((await w.call('PUT', '/api/v1/campaign-settings', { quiet_hours: null })).json().quiet_hours).toBe(
      null,
    );
    expect((await sendSms('Off')).map((r) => r.status)).toEqual(['sent']);
    // Each change is audited with its before and after.
    const audit = await w.db.execute<{ changes: Record<string, unknown> }>(
      sql`select changes from audit_log where workspace_id = ${w.workspaceId}
          and action = 'campaign_settings.updated' order by created_at`,
    );
    expect(audit.rows.map((r) => r.changes.quiet_hours)).toEqual([
      { before: { start: 21, end: 9 }, after: { start: 23, end: 7 } },
      { before: { start: 23, end: 7 }, after: null },
    ]);
  });

  it('cancel also cancels the held recipients; the copy of a decided test tests again', async () => {
    const w = await world(6);
    const id = (
      await w.call('POST', '/api/v1/campaigns', {
        name: 'Cancel me',
        channel: 'email',
        content: twoVariants,
        audience: { client_ids: w.ids },
        ab_test: AB,
      })
    ).json().id;
    await w.call('POST', `/api/v1/campaigns/${id}/send`, {});
    await work();
    expect((await w.call('POST', `/api/v1/campaigns/${id}/cancel`)).statusCode).toBe(200);
    expect((await w.ledger(id)).filter((r) => r.status === 'held')).toHaveLength(0);
    expect((await w.ledger(id)).filter((r) => r.status === 'cancelled')).toHaveLength(3);
    const copy = (await w.call('POST', `/api/v1/campaigns/${id}/duplicate`, {})).json();
    expect(copy.ab_test).toEqual(AB);
  });

  it('a scheduled A/B test decides wait_hours after the scheduled time, not after the press of Send', async () => {
    const w = await world(4);
    const id = (
      await w.call('POST', '/api/v1/campaigns', {
        name: 'Later A/B',
        channel: 'email',
        content: twoVariants,
        audience: { client_ids: w.ids },
        ab_test: AB,
      })
    ).json().id;
    const at = new Date(Date.now() + 2 * 86_400_000);
    await w.call('POST', `/api/v1/campaigns/${id}/send`, { at: at.toISOString() });
    await work();
    const campaign = (await w.call('GET', `/api/v1/campaigns/${id}`)).json();
    expect(campaign.status).toBe('scheduled');
    expect(new Date(campaign.ab_test.decide_at).getTime()).toBe(at.getTime() + 4 * 3_600_000);
  });

  it('refuses variants without A/B settings, settings without variants, and names a blank variant', async () => {
    const w = await world(1);
    const base = { name: 'x', channel: 'email', audience: { client_ids: w.ids } };
    const noSettings = await w.call('POST', '/api/v1/campaigns', { ...base, content: twoVariants });
    expect(noSettings.statusCode).toBe(400);
    expect(noSettings.json().error.details).toEqual([expect.objectContaining({ path: '/ab_test' })]);
    const noVariants = await w.call('POST', '/api/v1/campaigns', {
      ...base,
      content: { subject: 's', body: 'b' },
      ab_test: AB,
    });
    expect(noVariants.json().error.details).toEqual([expect.objectContaining({ path: '/content/variants' })]);
    const blank = await w.call('POST', '/api/v1/campaigns', {
      ...base,
      content: {
        variants: [
          { subject: 's', body: 'b' },
          { subject: ' ', body: 'b' },
        ],
      },
      ab_test: AB,
    });
    expect(blank.json().error.details).toEqual([
      expect.objectContaining({ path: '/content/variants/1/subject' }),
    ]);
    const five = await w.call('POST', '/api/v1/campaigns', {
      ...base,
      content: { variants: Array(5).fill({ subject: 's', body: 'b' }) },
      ab_test: AB,
    });
    expect(five.statusCode).toBe(400);
  });
});

describe('exclusion by hand', () => {
  it('excluded clients are skipped as `excluded` in the review and at the snapshot; workspace B can neither see nor use them', async () => {
    const w = await world(5);
    const id = (
      await w.call('POST', '/api/v1/campaigns', {
        name: 'Excl',
        channel: 'email',
        content: { subject: 'Hola', body: 'x' },
        audience: { client_ids: w.ids },
      })
    ).json().id;
    const excluded = await w.call('POST', `/api/v1/campaigns/${id}/exclusions`, {
      client_ids: [w.ids[0], w.ids[1], w.ids[1]],
    });
    expect(excluded.statusCode, excluded.body).toBe(200);
    expect(excluded.json().added).toBe(2);
    expect(
      excluded
        .json()
        .exclusions.map((e: { client_id: string }) => e.client_id)
        .sort(),
    ).toEqual([w.ids[0], w.ids[1]].sort());
    const review = (await w.call('GET', `/api/v1/campaigns/${id}/review`)).json();
    expect(review).toMatchObject({ audience: 5, eligible: 3 });
    expect(review.skipped_by_reason).toEqual([{ reason: 'excluded', channel: 'email', count: 2 }]);

    // Put one back, then send.
    expect((await w.call('DELETE', `/api/v1/campaigns/${id}/exclusions/${w.ids[1]}`)).statusCode).toBe(204);
    expect((await w.call('DELETE', `/api/v1/campaigns/${id}/exclusions/${w.ids[1]}`)).statusCode).toBe(404);

    const other = await segmentWorld(t);
    const [theirs] = await insertClients(other.db, other.workspaceId, [{ first_name: 'Z', email: 'z@x.io' }]);
    expect((await other.call('GET', `/api/v1/campaigns/${id}/exclusions`)).statusCode).toBe(404);
    expect(
      (await other.call('POST', `/api/v1/campaigns/${id}/exclusions`, { client_ids: [theirs] })).statusCode,
    ).toBe(404);
    const foreign = await w.call('POST', `/api/v1/campaigns/${id}/exclusions`, { client_ids: [theirs] });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().error.details[0].path).toBe('/client_ids/0');

    await w.call('POST', `/api/v1/campaigns/${id}/send`, {});
    await work();
    const rows = await w.ledger(id);
    expect(rows.find((r) => r.client_id === w.ids[0])).toMatchObject({
      status: 'skipped',
      skip_reason: 'excluded',
    });
    expect(rows.filter((r) => r.status === 'sent')).toHaveLength(4);
    // Sending: no more changes.
    expect(
      (await w.call('POST', `/api/v1/campaigns/${id}/exclusions`, { client_ids: [w.ids[2]] })).statusCode,
    ).toBe(422);
  });

  it('a scheduled campaign with its recipients fixed: an exclusion skips the queued delivery now, and cannot be undone', async () => {
    const w = await world(3);
    const id = (
      await w.call('POST', '/api/v1/campaigns', {
        name: 'Later',
        channel: 'email',
        content: { subject: 'Hola', body: 'x' },
        audience: { client_ids: w.ids },
      })
    ).json().id;
    const at = new Date(Date.now() + 3 * 86_400_000).toISOString();
    await w.call('POST', `/api/v1/campaigns/${id}/send`, { at });
    await work();
    expect((await w.call('GET', `/api/v1/campaigns/${id}`)).json()).toMatchObject({ status: 'scheduled' });
    expect((await w.ledger(id)).every((r) => r.status === 'queued')).toBe(true);
    await w.call('POST', `/api/v1/campaigns/${id}/exclusions`, { client_ids: [w.ids[2]] });
    const rows = await w.ledger(id);
    expect(rows.find((r) => r.client_id === w.ids[2])).toMatchObject({
      status: 'skipped',
      skip_reason: 'excluded',
    });
    expect(rows.filter((r) => r.status === 'queued')).toHaveLength(2);
    expect((await w.call('DELETE', `/api/v1/campaigns/${id}/exclusions/${w.ids[2]}`)).statusCode).toBe(422);
  });
});

describe('costs', () => {
  const prices = {
    currency: 'EUR',
    email: 0.001,
    sms_segment: 0.05,
    whatsapp: { marketing: 0.06, utility: 0.02, authentication: 0.03, service: 0 },
  };

  it('prices in the settings (admins, validated); the estimate in the review counts SMS segments; the actual counts what was sent', async () => {
    const w = await world(0);
    const ids = await insertClients(w.db, w.workspaceId, [
      { first_name: 'Ana', phone: '+34600000001', consent: { sms: true } },
      { first_name: 'Bea', phone: '+34600000002', consent: { sms: true } },
      { first_name: 'Cai', phone: '+34600000003' },
    ]);
    const bad = await w.call('PUT', '/api/v1/campaign-settings', { prices: { ...prices, email: -1 } });
    expect(bad.statusCode).toBe(400);
    const marketer = withKey(t, await newApiKey(t, w.workspaceId, 'marketer'));
    expect((await marketer('PUT', '/api/v1/campaign-settings', { prices })).statusCode).toBe(403);
    const put = await w.call('PUT', '/api/v1/campaign-settings', { prices });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toEqual({ frequency_cap_7d: null, prices, quiet_hours: null });
    // Setting the cap alone keeps the prices.
    expect((await w.call('PUT', '/api/v1/campaign-settings', { frequency_cap_7d: 3 })).json().prices).toEqual(
      prices,
    );

    // 200 GSM characters: two segments (153 per part).
    const id = (
      await w.call('POST', '/api/v1/campaigns', {
        name: 'SMS',
        channel: 'sms',
        content: { body: 'x'.repeat(200) },
        audience: { client_ids: ids },
      })
    ).json().id;
    const review = (await w.call('GET', `/api/v1/campaigns/${id}/review`)).json();
    expect(review.cost_estimate).toEqual({
      currency: 'EUR',
      total: 0.2,
      lines: [
        {
          channel: 'sms',
          messages: 2,
          segments_per_message: 2,
          units: 4,
          unit_price: 0.05,
          whatsapp_category: null,
          amount: 0.2,
        },
      ],
    });
    await w.call('POST', `/api/v1/campaigns/${id}/send`, {});
    await work();
    const stats = (await w.call('GET', `/api/v1/campaigns/${id}/stats`)).json();
    expect(stats.cost_actual).toMatchObject({
      total: 0.2,
      lines: [{ channel: 'sms', messages: 2, units: 4 }],
    });

    // No prices: no figure.
    await w.call('PUT', '/api/v1/campaign-settings', { prices: null });
    expect((await w.call('GET', `/api/v1/campaigns/${id}/review`)).json().cost_estimate).toBeNull();
  });

  it('a marketing WhatsApp message is billed at the marketing price', async () => {
    const w = await world(0);
    const ids = await insertClients(w.db, w.workspaceId, [
      { first_name: 'Ana', phone: '+34600000001', consent: { whatsapp: true } },
    ]);
    await w.call('PUT', '/api/v1/campaign-settings', { prices });
    const id = (
      await w.call('POST', '/api/v1/campaigns', {
        name: 'WA',
        channel: 'whatsapp',
        content: { body: 'Hola' },
        audience: { client_ids: ids },
      })
    ).json().id;
    const review = (await w.call('GET', `/api/v1/campaigns/${id}/review`)).json();
    expect(review.cost_estimate.lines).toEqual([
      expect.objectContaining({ channel: 'whatsapp', whatsapp_category: 'marketing', amount: 0.06 }),
    ]);
  });
});

describe('inline WhatsApp template', () => {
  it("the campaign's own approved template and its parameters (variables) go out with each message", async () => {
    const w = await world(0);
    const ids = await insertClients(w.db, w.workspaceId, [
      { first_name: 'Ana', phone: '+34600000001', consent: { whatsapp: true } },
    ]);
    const id = (
      await w.call('POST', '/api/v1/campaigns', {
        name: 'WA template',
        channel: 'whatsapp',
        content: {
          body: 'Hola {{ client.first_name }}',
          whatsapp_template: { name: 'spring_offer', language: 'es', parameters: ['client.first_name'] },
        },
        audience: { client_ids: ids },
      })
    ).json().id;
    await w.call('POST', `/api/v1/campaigns/${id}/send`, {});
    await work();
    const messages = (await w.call('GET', `/api/v1/outbox?campaign_id=${id}&limit=10`)).json().messages;
    expect(messages).toHaveLength(1);
    expect(messages[0].whatsapp_template).toMatchObject({
      name: 'spring_offer',
      language: 'es',
      bodyParameters: ['Ana'],
    });
  });
});

describe('campaign page figures', () => {
  it('funnel with replies within 72 h, sends and deliveries over time, failures by reason', async () => {
    const w = await world(0);
    const ids = await insertClients(w.db, w.workspaceId, [
      { first_name: 'Ana', phone: '+34600000001', consent: { sms: true } },
      { first_name: 'Bea', phone: '+34600000002', consent: { sms: true } },
      { first_name: 'Cai', phone: '+34600000003', consent: { sms: true } },
      { first_name: 'Dan', phone: '+34600000004', consent: { sms: true } },
      { first_name: 'Eli', phone: '+34600000005' },
    ]);
    const id = (
      await w.call('POST', '/api/v1/campaigns', {
        name: 'Funnel',
        channel: 'sms',
        content: { body: 'Hola' },
        audience: { client_ids: ids },
      })
    ).json().id;
    await w.call('POST', `/api/v1/campaigns/${id}/send`, {});
    await work();
    // Ana read and clicked, Bea delivered, Cai failed; Ana replies within 72 h, Bea after 72 h.
    await w.db.execute(sql`update deliveries d set status = x.status, error = x.error,
        sent_at = case when x.status = 'failed' then null else d.sent_at end
      from (values (${ids[0]}::uuid, 'clicked', null), (${ids[1]}::uuid, 'delivered', null),
                   (${ids[2]}::uuid, 'failed', 'INVALID_NUMBER: not a mobile')) as x(client_id, status, error)
      where d.campaign_id = ${id} and d.client_id = x.client_id`);
    const sentAt = (
      await w.db.execute<{ sent_at: string }>(
        sql`select sent_at from deliveries where campaign_id = ${id} and client_id = ${ids[0]}`,
      )
    ).rows[0]!.sent_at;
    const at = (hours: number) => new Date(new Date(sentAt).getTime() + hours * 3_600_000);
    await insertEvents(w.db, w.workspaceId, [
      { client_id: ids[0]!, type: 'sms_inbound', occurred_at: at(2), amount: null, location_id: null },
      { client_id: ids[1]!, type: 'sms_inbound', occurred_at: at(80), amount: null, location_id: null },
      { client_id: ids[3]!, type: 'booking', occurred_at: at(1), amount: null, location_id: null },
    ]);
    const stats = (await w.call('GET', `/api/v1/campaigns/${id}/stats`)).json();
    expect(stats.funnel).toEqual({
      audience: 5,
      eligible: 4,
      sent: 3,
      delivered: 2,
      opened: 1,
      clicked: 1,
      replied: 1,
    });
    expect(stats.over_time.bucket).toBe('minute');
    const totals = stats.over_time.points.reduce(
      (sum: { sent: number; delivered: number }, p: { sent: number; delivered: number }) => ({
        sent: sum.sent + p.sent,
        delivered: sum.delivered + p.delivered,
      }),
      { sent: 0, delivered: 0 },
    );
    expect(totals).toEqual({ sent: 3, delivered: 2 });
    expect(stats.failures).toEqual([
      { status: 'failed', reason: 'INVALID_NUMBER', example: 'INVALID_NUMBER: not a mobile', count: 1 },
    ]);
    const other = await segmentWorld(t);
    expect((await other.call('GET', `/api/v1/campaigns/${id}/stats`)).statusCode).toBe(404);
  });
});
