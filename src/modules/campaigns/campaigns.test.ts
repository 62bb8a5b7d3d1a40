import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newApiKey, setupTestApp, withKey } from '../../../test/support/app.ts';
import { createSuppressionList } from '../consent/suppressions.service.ts';
import { snapshotAudience } from '../deliveries/audience.ts';
import { insertClients, segmentWorld } from '../segments/segment-test-helpers.ts';
import { compileAudience } from '../segments/segments.service.ts';

const t = setupTestApp();

async function world() {
  const w = await segmentWorld(t, { locations: 0 });
  const role = async (r: 'viewer' | 'agent' | 'marketer' | 'admin') =>
    withKey(t, await newApiKey(t, w.workspaceId, r));
  return { ...w, role };
}

const emailDraft = (audience: unknown) => ({
  name: 'Spring offer',
  channel: 'email',
  content: { subject: 'Hello {{ client.first_name }}', body: 'Our spring offer' },
  audience,
});

describe('campaigns: drafts', () => {
  it('creates, lists, changes, duplicates and deletes a draft, audited; roles below marketer cannot write', async () => {
    const w = await world();
    const created = await w.call('POST', '/api/v1/campaigns', emailDraft({ definition: { all: [] } }));
    expect(created.statusCode, created.body).toBe(201);
    const campaign = created.json();
    expect(campaign).toMatchObject({
      name: 'Spring offer',
      channel: 'email',
      status: 'draft',
      channel_id: null,
      fallback_channels: [],
      marketing: true,
      audience: { definition: { all: [] } },
    });

    const viewer = await w.role('viewer');
    expect((await viewer('GET', `/api/v1/campaigns/${campaign.id}`)).statusCode).toBe(200);
    expect(
      (await viewer('POST', '/api/v1/campaigns', emailDraft({ definition: { all: [] } }))).statusCode,
    ).toBe(403);
    expect(
      (await (await w.role('agent'))('PATCH', `/api/v1/campaigns/${campaign.id}`, { name: 'x' })).statusCode,
    ).toBe(403);

    const changed = await w.call('PATCH', `/api/v1/campaigns/${campaign.id}`, {
      name: 'Spring offer 2',
      channel: 'sms',
      content: { body: 'Spring offer, reply STOP to opt out' },
      fallback_channels: ['email'],
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({
      name: 'Spring offer 2',
      channel: 'sms',
      fallback_channels: ['email'],
    });

    const copy = await w.call('POST', `/api/v1/campaigns/${campaign.id}/duplicate`, {});
    expect(copy.statusCode).toBe(201);
    expect(copy.json()).toMatchObject({ name: 'Spring offer 2 (copy)', status: 'draft', channel: 'sms' });

    const list = (await w.call('GET', '/api/v1/campaigns?limit=1')).json();
    expect(list.campaigns.map((c: { id: string }) => c.id)).toEqual([copy.json().id]);
    const next = (await w.call('GET', `/api/v1/campaigns?limit=1&cursor=${list.next_cursor}`)).json();
    expect(next.campaigns.map((c: { id: string }) => c.id)).toEqual([campaign.id]);

    expect((await w.call('DELETE', `/api/v1/campaigns/${campaign.id}`)).statusCode).toBe(204);
    expect((await w.call('GET', `/api/v1/campaigns/${campaign.id}`)).statusCode).toBe(404);
    const audit = await w.db.execute<{ action: string }>(
      sql`select action from audit_log where workspace_id = ${w.workspaceId} and entity_type = 'campaign' order by created_at, action`,
    );
    expect(audit.rows.map((r) => r.action)).toEqual([
      'campaign.created',
      'campaign.updated',
      'campaign.duplicated',
      'campaign.deleted',
    ]);
  });

  it('names every problem: blank subject of an email, fallbacks repeating the channel, a bad tree, foreign clients', async () => {
    const w = await world();
    const other = await world();
    const [foreign] = await insertClients(other.db, other.workspaceId, [{ first_name: 'Not yours' }]);
    const bad = await w.call('POST', '/api/v1/campaigns', {
      name: 'x',
      channel: 'email',
      content: { body: 'no subject' },
      fallback_channels: ['sms', 'sms'],
      audience: { client_ids: [foreign] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details).toEqual([
      { path: '/content/subject', message: 'an email needs a subject' },
      { path: '/fallback_channels/1', message: "'sms' is listed twice" },
      { path: '/audience/client_ids/0', message: 'no such client in this workspace' },
    ]);
    const tree = await w.call(
      'POST',
      '/api/v1/campaigns',
      emailDraft({ definition: { all: [{ field: 'email', op: 'gt', value: 'a' }] } }),
    );
    expect(tree.statusCode).toBe(400);
    expect(tree.json().error).toMatchObject({
      code: 'INVALID_SEGMENT',
      details: [{ path: '/audience/definition/all/0/op' }],
    });
    const missingSegment = await w.call(
      'POST',
      '/api/v1/campaigns',
      emailDraft({ segment_id: '00000000-0000-4000-8000-000000000000' }),
    );
    expect(missingSegment.statusCode).toBe(404);
    const own = await w.call('POST', '/api/v1/campaigns', {
      ...emailDraft({ definition: { all: [] } }),
      fallback_channels: ['email'],
    });
    expect(own.json().error.details).toEqual([
      { path: '/fallback_channels/0', message: "'email' is the campaign's own channel" },
    ]);
    const extra = await w.call('POST', '/api/v1/campaigns', {
      ...emailDraft({ definition: { all: [] } }),
      send: true,
    });
    expect(extra.statusCode).toBe(400);
    const emoji = await w.call('POST', '/api/v1/campaigns', {
      ...emailDraft({ definition: { all: [] } }),
      name: 'Rebajas 🌸 d’été',
    });
    expect(emoji.json().name).toBe('Rebajas 🌸 d’été');
  });

  it("channel_id must be a channel of this workspace that carries the campaign's kind (400 naming /channel_id)", async () => {
    const w = await world();
    const other = await world();
    const smtp = async (x: typeof w) =>
      (
        await x.call('POST', '/api/v1/channels', {
          provider: 'smtp',
          name: 'Mail relay',
          settings: { host: '127.0.0.1', port: 2525, secure: false, from_email: 'hola@clinic.example' },
        })
      ).json().id as string;
    const mine = await smtp(w);
    const theirs = await smtp(other);
    const withChannel = (channel_id: string, channel = 'email') => ({
      ...emailDraft({ definition: { all: [] } }),
      ...(channel === 'sms' ? { content: { body: 'Hola' } } : {}),
      channel,
      channel_id,
    });
    for (const [input, message] of [
      [withChannel(theirs), 'no such channel in this workspace'],
      [withChannel('00000000-0000-4000-8000-000000000000'), 'no such channel in this workspace'],
      [withChannel(mine, 'sms'), "'Mail relay' sends email, not sms"],
    ] as const) {
      const refused = await w.call('POST', '/api/v1/campaigns', input);
      expect(refused.statusCode, refused.body).toBe(400);
      expect(refused.json().error.details).toEqual([{ path: '/channel_id', message }]);
    }
    const created = await w.call('POST', '/api/v1/campaigns', withChannel(mine));
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id;
    // A change of account, or of kind alone, is checked the same way; nothing half-written.
    const patched = await w.call('PATCH', `/api/v1/campaigns/${id}`, { channel_id: theirs });
    expect(patched.json().error.details).toEqual([
      { path: '/channel_id', message: 'no such channel in this workspace' },
    ]);
    const kind = await w.call('PATCH', `/api/v1/campaigns/${id}`, {
      channel: 'sms',
      content: { body: 'Hola' },
    });
    expect(kind.json().error.details).toEqual([
      { path: '/channel_id', message: "'Mail relay' sends email, not sms" },
    ]);
    expect((await w.call('GET', `/api/v1/campaigns/${id}`)).json()).toMatchObject({
      channel: 'email',
      channel_id: mine,
    });
    const both = await w.call('PATCH', `/api/v1/campaigns/${id}`, {
      channel: 'sms',
      channel_id: null,
      content: { body: 'Hola' },
    });
    expect(both.statusCode, both.body).toBe(200);
  });

  it('shows on its segment\'s "used by", and marks the segment used', async () => {
    const w = await world();
    const segment = (
      await w.call('POST', '/api/v1/segments', {
        name: 'Madrid',
        definition: { field: 'city', op: 'eq', value: 'Madrid' },
      })
    ).json();
    const campaign = (
      await w.call('POST', '/api/v1/campaigns', emailDraft({ segment_id: segment.id }))
    ).json();
    const seen = (await w.call('GET', `/api/v1/segments/${segment.id}`)).json();
    expect(seen.used_by).toEqual([
      { type: 'campaign', id: campaign.id, name: 'Spring offer', pending: false },
    ]);
    expect(seen.last_used_at).not.toBeNull();
  });

  it('refuses to change or delete a campaign that is no longer a draft', async () => {
    const w = await world();
    const campaign = (
      await w.call('POST', '/api/v1/campaigns', emailDraft({ definition: { all: [] } }))
    ).json();
    await w.db.execute(sql`update campaigns set status = 'sending' where id = ${campaign.id}`);
    const patch = await w.call('PATCH', `/api/v1/campaigns/${campaign.id}`, { name: 'late' });
    expect(patch.statusCode).toBe(422);
    expect(patch.json().error.code).toBe('NOT_ALLOWED_NOW');
    expect((await w.call('DELETE', `/api/v1/campaigns/${campaign.id}`)).statusCode).toBe(422);
    expect((await w.call('GET', `/api/v1/campaigns/${campaign.id}`)).json().name).toBe('Spring offer');
  });
});

describe('campaigns: eligibility (review and snapshot)', () => {
  it('skips each recipient with the first reason that applies, falls back to the next channel, one message per address', async () => {
    const w = await world();
    const ids = await insertClients(w.db, w.workspaceId, [
      { first_name: 'Ok', phone: '+34600000001', consent: { whatsapp: true } },
      { first_name: 'NoPhone', email: 'np@example.com', consent: { whatsapp: true, email: true } },
      { first_name: 'NoConsent', phone: '+34600000003', email: 'nc@example.com' },
      { first_name: 'BadPhone', phone: '600 000', consent: { whatsapp: true } },
      // Two clients sharing a phone: the older one gets the message.
      {
        first_name: 'SharedA',
        phone: '+34600000005',
        consent: { whatsapp: true },
        created_at: new Date('2024-01-01'),
      },
      {
        first_name: 'SharedB',
        phone: '+34600000005',
        consent: { whatsapp: true },
        created_at: new Date('2023-01-01'),
      },
      { first_name: 'Suppressed', phone: '+34600000007', consent: { whatsapp: true } },
      { first_name: 'Erased', phone: '+34600000008', consent: { whatsapp: true }, erased: true },
      { first_name: 'Capped', phone: '+34600000009', consent: { whatsapp: true } },
    ]);
    // An erased client left the number on the suppression list; a live client who has it is skipped.
    const [gone] = await insertClients(w.db, w.workspaceId, [{ first_name: 'Gone', phone: '+34600000007' }]);
    expect((await w.call('POST', `/api/v1/clients/${gone}/erase`, { confirm: true })).statusCode).toBe(200);
    // Capped got 2 marketing messages this week (and 1 non-marketing one, which does not count).
    const past = (await w.call('POST', '/api/v1/campaigns', emailDraft({ definition: { all: [] } }))).json();
    for (const [i, marketing] of [true, true, false].entries())
      await w.db.execute(sql`insert into deliveries (workspace_id, campaign_id, client_id, channel, status, sent_at, marketing)
        values (${w.workspaceId}, ${past.id}, ${ids[8]}, ${['email', 'sms', 'whatsapp'][i]}, 'sent', now() - interval '2 days', ${marketing})`);
    expect((await w.call('PUT', '/api/v1/campaign-settings', { frequency_cap_7d: 2 })).json()).toEqual({
      frequency_cap_7d: 2,
      prices: null,
      quiet_hours: null,
    });

    const campaign = (
      await w.call('POST', '/api/v1/campaigns', {
        name: 'WhatsApp first',
        channel: 'whatsapp',
        fallback_channels: ['email'],
        content: { body: 'Hola {{ client.first_name }}' },
        // The erased client can't be picked (400 naming it), so the audience is the other eight.
        audience: { client_ids: ids.filter((_, i) => i !== 7) },
      })
    ).json();
    const review = await w.call('GET', `/api/v1/campaigns/${campaign.id}/review`);
    expect(review.statusCode, review.body).toBe(200);
    const body = review.json();
    // NoPhone falls back to email.
    expect(body).toMatchObject({
      audience: 8,
      eligible: 3,
      eligible_by_channel: { whatsapp: 2, email: 1 },
      skipped: 5,
      frequency_cap_7d: 2,
    });
    expect(body.skipped_by_reason).toEqual([
      { reason: 'duplicate_address', channel: 'whatsapp', count: 1 },
      { reason: 'frequency_cap', channel: 'whatsapp', count: 1 },
      { reason: 'invalid_address', channel: 'whatsapp', count: 1 },
      { reason: 'no_consent', channel: 'whatsapp', count: 1 },
      { reason: 'suppressed', channel: 'whatsapp', count: 1 },
    ]);

    // The snapshot writes exactly what the review said, and a second one adds nobody.
    const audience = await compileAudience(w.db, w.workspaceId, { client_ids: ids });
    const rules = {
      workspaceId: w.workspaceId,
      channels: ['whatsapp', 'email'] as const,
      marketing: true,
      frequencyCap: 2,
      workspaceTimezone: 'Europe/Madrid',
      now: new Date(),
    };
    // The app's own list (its secret key) decides "suppressed": the test reads it through the review above;
    // the snapshot with another key must then miss that one suppression, proving the key matters.
    const otherKey = createSuppressionList('not-the-app-secret-key-0123456789');
    expect(await snapshotAudience(w.db, campaign.id, audience, rules, otherKey)).toBe(8);
    expect(await snapshotAudience(w.db, campaign.id, audience, rules, otherKey)).toBe(0);
    const rows = await w.db.execute<{
      first_name: string;
      channel: string;
      status: string;
      skip_reason: string | null;
    }>(
      sql`select c.first_name, d.channel, d.status, d.skip_reason from deliveries d join clients c on c.id = d.client_id
          where d.campaign_id = ${campaign.id} order by c.first_name`,
    );
    expect(rows.rows).toEqual([
      { first_name: 'BadPhone', channel: 'whatsapp', status: 'skipped', skip_reason: 'invalid_address' },
      { first_name: 'Capped', channel: 'whatsapp', status: 'skipped', skip_reason: 'frequency_cap' },
      { first_name: 'NoConsent', channel: 'whatsapp', status: 'skipped', skip_reason: 'no_consent' },
      { first_name: 'NoPhone', channel: 'email', status: 'queued', skip_reason: null },
      { first_name: 'Ok', channel: 'whatsapp', status: 'queued', skip_reason: null },
      { first_name: 'SharedA', channel: 'whatsapp', status: 'skipped', skip_reason: 'duplicate_address' },
      { first_name: 'SharedB', channel: 'whatsapp', status: 'queued', skip_reason: null },
      { first_name: 'Suppressed', channel: 'whatsapp', status: 'queued', skip_reason: null },
    ]);

    // The ledger joins the client's life: the timeline shows the message, an erase scrubs the address.
    const timeline = (await w.call('GET', `/api/v1/clients/${ids[0]}/timeline?types=message`)).json();
    expect(timeline.items).toMatchObject([
      {
        kind: 'message',
        type: 'queued',
        data: { campaign_id: campaign.id, channel: 'whatsapp', address: '+34600000001' },
      },
    ]);
    expect((await w.call('POST', `/api/v1/clients/${ids[0]}/erase`, { confirm: true })).statusCode).toBe(200);
    const scrubbed = await w.db.execute<{ address: string | null; status: string }>(
      sql`select address, status from deliveries where campaign_id = ${campaign.id} and client_id = ${ids[0]}`,
    );
    expect(scrubbed.rows).toEqual([{ address: null, status: 'queued' }]);
  });

  it('a transactional campaign ignores the frequency cap; another workspace cannot review it', async () => {
    const w = await world();
    const ids = await insertClients(w.db, w.workspaceId, [
      { first_name: 'A', email: 'a@example.com', consent: { email: true } },
    ]);
    const past = (await w.call('POST', '/api/v1/campaigns', emailDraft({ definition: { all: [] } }))).json();
    await w.db.execute(sql`insert into deliveries (workspace_id, campaign_id, client_id, channel, status, sent_at)
      values (${w.workspaceId}, ${past.id}, ${ids[0]}, 'email', 'sent', now())`);
    await w.call('PUT', '/api/v1/campaign-settings', { frequency_cap_7d: 1 });
    const marketing = (await w.call('POST', '/api/v1/campaigns', emailDraft({ client_ids: ids }))).json();
    const notice = (
      await w.call('POST', '/api/v1/campaigns', { ...emailDraft({ client_ids: ids }), marketing: false })
    ).json();
    expect((await w.call('GET', `/api/v1/campaigns/${marketing.id}/review`)).json()).toMatchObject({
      eligible: 0,
      skipped_by_reason: [{ reason: 'frequency_cap', channel: 'email', count: 1 }],
    });
    expect((await w.call('GET', `/api/v1/campaigns/${notice.id}/review`)).json()).toMatchObject({
      eligible: 1,
      skipped: 0,
    });
    const other = await world();
    expect((await other.call('GET', `/api/v1/campaigns/${marketing.id}/review`)).statusCode).toBe(404);
    expect(
      (await other.call('PATCH', `/api/v1/campaigns/${marketing.id}`, { name: 'mine' })).statusCode,
    ).toBe(404);
    expect(
      (await (await w.role('marketer'))('PUT', '/api/v1/campaign-settings', { frequency_cap_7d: 3 }))
        .statusCode,
    ).toBe(403);
    expect((await w.call('PUT', '/api/v1/campaign-settings', { frequency_cap_7d: 0 })).statusCode).toBe(400);
  });
});

describe('campaigns: send times', () => {
  it('puts each recipient at the same wall-clock time in their own zone, and moves SMS out of quiet hours', async () => {
    const w = await world();
    const [madrid, mexico, noZone] = await insertClients(w.db, w.workspaceId, [
      { first_name: 'Madrid', phone: '+34600000001', consent: { sms: true } },
      {
        first_name: 'Mexico',
        phone: '+525500000002',
        consent: { sms: true },
      },
      // No zone of their own: the workspace's (Europe/Lisbon here).
      { first_name: 'NoZone', phone: '+351900000003', consent: { sms: true } },
    ]);
    await w.db.execute(sql`update clients set timezone = 'Europe/Madrid' where id = ${madrid}`);
    await w.db.execute(sql`update clients set timezone = 'America/Mexico_City' where id = ${mexico}`);
    const campaign = (
      await w.call('POST', '/api/v1/campaigns', {
        name: 'SMS',
        channel: 'sms',
        content: { body: 'Hola' },
        audience: { client_ids: [madrid, mexico, noZone] },
      })
    ).json();
    const rules = {
      workspaceId: w.workspaceId,
      channels: ['sms'] as const,
      marketing: true,
      frequencyCap: null,
      workspaceTimezone: 'Europe/Lisbon',
      now: new Date(),
    };
    const audience = await compileAudience(w.db, w.workspaceId, { client_ids: [madrid!, mexico!, noZone!] });
    const sendAfter = async () =>
      Object.fromEntries(
        (
          await w.db.execute<{ client_id: string; send_after: string }>(
            sql`select client_id, send_after from deliveries where campaign_id = ${campaign.id}`,
          )
        ).rows.map((r) => [r.client_id, new Date(r.send_after).toISOString()]),
      );
    const list = createSuppressionList('k'.repeat(40));
    await snapshotAudience(w.db, campaign.id, audience, rules, list, {
      localTime: '2030-01-15T10:00',
      quietHours: null,
    });
    expect(await sendAfter()).toEqual({
      [madrid!]: '2030-01-15T09:00:00.000Z',
      [mexico!]: '2030-01-15T16:00:00.000Z',
      [noZone!]: '2030-01-15T10:00:00.000Z',
    });
    // 22:00 local falls in the quiet hours (21:00–09:00): the SMS waits until 09:00 the next morning, local.
    await w.db.execute(sql`delete from deliveries where campaign_id = ${campaign.id}`);
    await snapshotAudience(w.db, campaign.id, audience, rules, list, {
      localTime: '2030-01-15T22:00',
      quietHours: { start: 21, end: 9 },
    });
    expect(await sendAfter()).toEqual({
      [madrid!]: '2030-01-16T08:00:00.000Z',
      [mexico!]: '2030-01-16T15:00:00.000Z',
      [noZone!]: '2030-01-16T09:00:00.000Z',
    });
    // Early morning (07:30 local) waits until 09:00 the same day.
    await w.db.execute(sql`delete from deliveries where campaign_id = ${campaign.id}`);
    await snapshotAudience(w.db, campaign.id, audience, rules, list, {
      localTime: '2030-01-15T07:30',
      quietHours: { start: 21, end: 9 },
    });
    expect((await sendAfter())[madrid!]).toBe('2030-01-15T08:00:00.000Z');
  });
});
