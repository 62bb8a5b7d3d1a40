import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MetaPeer, startMetaPeer } from '../../../test/peers/meta-graph.ts';
import { runDueJobs, setupTestApp } from '../../../test/support/app.ts';
import { insertClients, segmentWorld } from '../segments/segment-test-helpers.ts';

/** Issue 7: "WhatsApp template not approved" is a skip reason, through the fake WhatsApp Cloud API. */
const t = setupTestApp();
let meta: MetaPeer;
beforeAll(async () => {
  meta = await startMetaPeer();
});
afterAll(async () => {
  await meta?.close();
});

async function world() {
  const w = await segmentWorld(t);
  const channel = await w.call('POST', '/api/v1/channels', {
    provider: 'meta_whatsapp',
    name: 'WhatsApp',
    settings: meta.channelSettings(),
    rate_per_second: 100,
    daily_cap: null,
  });
  expect(channel.statusCode, channel.body).toBe(201);
  const channelId = channel.json().id as string;
  const prefix = `+3468${String(Math.floor(Math.random() * 9000) + 1000)}`;
  const [both, whatsappOnly] = await insertClients(w.db, w.workspaceId, [
    { first_name: 'Ana', phone: `${prefix}001`, consent: { whatsapp: true, sms: true } },
    { first_name: 'Bea', phone: `${prefix}002`, consent: { whatsapp: true } },
  ]);
  const toMeta = () => meta.sent.filter((m) => String(m.body.to).includes(prefix.slice(1)));
  const ledger = async (id: string) =>
    (
      await w.db.execute<{ client_id: string; channel: string; status: string; skip_reason: string | null }>(
        sql`select client_id, channel, status, skip_reason from deliveries where campaign_id = ${id} order by client_id`,
      )
    ).rows;
  const campaign = async (content: Record<string, unknown>) => {
    const created = await w.call('POST', '/api/v1/campaigns', {
      name: 'WhatsApp',
      channel: 'whatsapp',
      channel_id: channelId,
      content,
      audience: { client_ids: [both, whatsappOnly] },
      fallback_channels: ['sms'],
    });
    expect(created.statusCode, created.body).toBe(201);
    return created.json().id as string;
  };
  return { ...w, channelId, both: both!, whatsappOnly: whatsappOnly!, toMeta, ledger, campaign };
}

describe('WhatsApp template approval', () => {
  it('a template the account has not approved (pending, rejected or unknown to it) is skipped as template_not_approved, with the SMS fallback; Meta never gets it', async () => {
    const w = await world();
    const synced = await w.call('POST', `/api/v1/channels/${w.channelId}/whatsapp-templates/sync`);
    expect(synced.statusCode, synced.body).toBe(200);

    for (const name of ['spring_promo', 'old_offer', 'never_submitted']) {
      const id = await w.campaign({
        body: 'Hola {{ client.first_name }}',
        whatsapp_template: { name, language: name === 'spring_promo' ? 'es' : 'en_US' },
      });
      const review = (await w.call('GET', `/api/v1/campaigns/${id}/review`)).json();
      expect(review, name).toMatchObject({
        audience: 2,
        eligible: 1,
        eligible_by_channel: { sms: 1 },
        skipped_by_reason: [{ reason: 'template_not_approved', channel: 'whatsapp', count: 1 }],
      });
      expect((await w.call('POST', `/api/v1/campaigns/${id}/send`, {})).statusCode).toBe(200);
      await runDueJobs(t);
      const byClient = Object.fromEntries((await w.ledger(id)).map((d) => [d.client_id, d]));
      expect(byClient[w.both]).toMatchObject({ channel: 'sms', status: 'sent', skip_reason: null });
      expect(byClient[w.whatsappOnly]).toMatchObject({
        channel: 'whatsapp',
        status: 'skipped',
        skip_reason: 'template_not_approved',
      });
    }
    expect(w.toMeta()).toHaveLength(0);
  }, 60_000);

  it('an approved template (inline, or from a saved template) goes out to Meta; an account never synced cannot tell, so nothing is skipped', async () => {
    const w = await world();
    // Not synced yet: whether `spring_promo` is approved is unknown here, Meta's answer decides.
    const unsynced = await w.campaign({
      body: 'Hola',
      whatsapp_template: { name: 'spring_promo', language: 'es' },
    });
    expect((await w.call('GET', `/api/v1/campaigns/${unsynced}/review`)).json()).toMatchObject({
      eligible_by_channel: { whatsapp: 2 },
      skipped_by_reason: [],
    });

    await w.call('POST', `/api/v1/channels/${w.channelId}/whatsapp-templates/sync`);
    const template = await w.call('POST', '/api/v1/templates', {
      name: 'Welcome',
      channel: 'whatsapp',
      body: 'Welcome {{ client.first_name }}',
      whatsapp_template: { name: 'welcome', language: 'en_US', body_parameters: ['client.first_name'] },
    });
    expect(template.statusCode, template.body).toBe(201);
    const saved = await w.campaign({ template_id: template.json().id });
    expect((await w.call('GET', `/api/v1/campaigns/${saved}/review`)).json()).toMatchObject({
      eligible_by_channel: { whatsapp: 2 },
      skipped_by_reason: [],
    });
    expect((await w.call('POST', `/api/v1/campaigns/${saved}/send`, {})).statusCode).toBe(200);
    await runDueJobs(t);
    expect((await w.ledger(saved)).map((d) => `${d.channel}:${d.status}`)).toEqual([
      'whatsapp:sent',
      'whatsapp:sent',
    ]);
    expect(w.toMeta().map((m) => (m.body.template as { name: string }).name)).toEqual(['welcome', 'welcome']);
  }, 60_000);
});
