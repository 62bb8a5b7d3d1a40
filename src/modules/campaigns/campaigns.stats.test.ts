import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { runDueJobs, setupTestApp } from '../../../test/support/app.ts';
import { insertClients, segmentWorld } from '../segments/segment-test-helpers.ts';

const t = setupTestApp();

const work = () => runDueJobs(t);

async function world() {
  const w = await segmentWorld(t);
  const ids = await insertClients(w.db, w.workspaceId, [
    { first_name: 'Ana', last_name: 'Ruiz', email: 'ana@example.com', consent: { email: true } },
    { first_name: 'Bruno', email: 'bruno@example.com', consent: { email: true } },
    { first_name: 'Chloé', email: 'chloe@example.com', consent: { email: true } },
    { first_name: 'Eva', email: 'eva@example.com' },
    { first_name: 'Flor', consent: { email: true } },
  ]);
  const campaign = (
    await w.call('POST', '/api/v1/campaigns', {
      name: 'Spring',
      channel: 'email',
      content: { subject: 'Hola {{ client.first_name }}', body: '<p>Oferta</p>' },
      audience: { client_ids: ids },
    })
  ).json();
  return { ...w, ids, campaign };
}

describe('campaign stats and recipients', () => {
  it('a draft has no deliveries yet: zero counts, 0/0 progress, no recipients', async () => {
    const w = await world();
    const stats = await w.call('GET', `/api/v1/campaigns/${w.campaign.id}/stats`);
    expect(stats.statusCode, stats.body).toBe(200);
    expect(stats.json()).toMatchObject({
      status: 'draft',
      progress: { done: 0, total: 0 },
      skipped_by_reason: [],
      sent_per_minute: [],
    });
    expect(Object.values(stats.json().counts).every((n) => n === 0)).toBe(true);
    expect(Object.keys(stats.json().counts)).toContain('unknown');
    const recipients = await w.call('GET', `/api/v1/campaigns/${w.campaign.id}/recipients`);
    expect(recipients.json()).toEqual({ recipients: [], next_cursor: null });
  });

  it('after sending: counts per status, skip reasons, sends per minute, progress, recipients filtered and paged', async () => {
    const w = await world();
    expect((await w.call('POST', `/api/v1/campaigns/${w.campaign.id}/send`, {})).statusCode).toBe(200);
    await work();
    // One failed delivery, to see errors come through (the outbox never fails on its own).
    await w.db.execute(sql`update deliveries set status = 'failed', error = 'mailbox full', sent_at = null
      where campaign_id = ${w.campaign.id} and address = 'chloe@example.com'`);

    const stats = (await w.call('GET', `/api/v1/campaigns/${w.campaign.id}/stats`)).json();
    expect(stats.status).toBe('sent');
    expect(stats.counts).toMatchObject({ sent: 2, failed: 1, skipped: 2, queued: 0, sending: 0 });
    expect(stats.progress).toEqual({ done: 5, total: 5 });
    expect(stats.skipped_by_reason).toEqual(
      expect.arrayContaining([
        { reason: 'no_consent', channel: 'email', count: 1 },
        { reason: 'no_address', channel: 'email', count: 1 },
      ]),
    );
    expect(stats.skipped_by_reason).toHaveLength(2);
    const sentTotal = stats.sent_per_minute.reduce((sum: number, m: { count: number }) => sum + m.count, 0);
    expect(sentTotal).toBe(2);
    expect(new Date(stats.sent_per_minute[0].minute).getUTCSeconds()).toBe(0);

    const all = (await w.call('GET', `/api/v1/campaigns/${w.campaign.id}/recipients`)).json();
    expect(all.recipients).toHaveLength(5);
    const ana = all.recipients.find((r: { client_name: string }) => r.client_name === 'Ana Ruiz');
    expect(ana).toMatchObject({ address: 'ana@example.com', channel: 'email', status: 'sent', error: null });
    expect(ana.sent_at).toEqual(expect.any(String));

    const failed = (
      await w.call('GET', `/api/v1/campaigns/${w.campaign.id}/recipients?status=failed`)
    ).json();
    expect(failed.recipients).toEqual([
      expect.objectContaining({ client_name: 'Chloé', status: 'failed', error: 'mailbox full' }),
    ]);
    const skipped = (
      await w.call('GET', `/api/v1/campaigns/${w.campaign.id}/recipients?status=skipped`)
    ).json();
    expect(skipped.recipients.map((r: { skip_reason: string }) => r.skip_reason).sort()).toEqual([
      'no_address',
      'no_consent',
    ]);
    // q matches the name or the address, case-insensitively; % is taken literally.
    const byName = (await w.call('GET', `/api/v1/campaigns/${w.campaign.id}/recipients?q=bRUn`)).json();
    expect(byName.recipients.map((r: { client_name: string }) => r.client_name)).toEqual(['Bruno']);
    const byAddress = (await w.call('GET', `/api/v1/campaigns/${w.campaign.id}/recipients?q=EVA@`)).json();
    expect(byAddress.recipients.map((r: { client_name: string }) => r.client_name)).toEqual(['Eva']);
    const percent = (await w.call('GET', `/api/v1/campaigns/${w.campaign.id}/recipients?q=%25`)).json();
    expect(percent.recipients).toEqual([]);

    // Pages of 2 walk all 5 once each.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const pageOf = (
        await w.call('GET', `/api/v1/campaigns/${w.campaign.id}/recipients?limit=2${query}`)
      ).json();
      seen.push(...pageOf.recipients.map((r: { id: string }) => r.id));
      cursor = pageOf.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);

    const bad = await w.call('GET', `/api/v1/campaigns/${w.campaign.id}/recipients?status=lost`);
    expect(bad.statusCode).toBe(400);
  });

  it("another workspace's key gets 404 for both", async () => {
    const w = await world();
    const other = await world();
    expect((await other.call('GET', `/api/v1/campaigns/${w.campaign.id}/stats`)).statusCode).toBe(404);
    expect((await other.call('GET', `/api/v1/campaigns/${w.campaign.id}/recipients`)).statusCode).toBe(404);
  });
});
