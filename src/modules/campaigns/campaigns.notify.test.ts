import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { join, newUser, runDueJobs, setupTestApp } from '../../../test/support/app.ts';
import { insertClients, segmentWorld } from '../segments/segment-test-helpers.ts';
import { failReasonText } from './campaigns.reasons.ts';

/** A campaign that stops by itself says so to the people who would otherwise not notice. */
const t = setupTestApp();

async function world() {
  const w = await segmentWorld(t);
  const [owner, admin, marketer] = [
    await newUser(t, 'Olga'),
    await newUser(t, 'Adam'),
    await newUser(t, 'Marta'),
  ];
  await join(t, w.workspaceId, owner, 'owner');
  await join(t, w.workspaceId, admin, 'admin');
  await join(t, w.workspaceId, marketer, 'marketer');
  await insertClients(w.db, w.workspaceId, [
    { first_name: 'Ana', city: 'Madrid', email: 'ana@example.com', consent: { email: true } },
  ]);
  const segment = (
    await w.call('POST', '/api/v1/segments', {
      name: 'Madrid',
      definition: { field: 'city', op: 'eq', value: 'Madrid' },
    })
  ).json();
  /** A campaign on that segment whose segment is archived before its prepare runs: it fails. */
  const failingCampaign = async (createdBy: string | null) => {
    const created = await w.call('POST', '/api/v1/campaigns', {
      name: 'Primavera',
      channel: 'email',
      content: { subject: 'Hola', body: '<p>Primavera</p>' },
      audience: { segment_id: segment.id },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    await w.db.execute(sql`update campaigns set created_by = ${createdBy}::uuid where id = ${id}`);
    expect((await w.call('POST', `/api/v1/campaigns/${id}/send`, {})).statusCode).toBe(200);
    await w.db.execute(sql`update segments set archived_at = now() where id = ${segment.id}`);
    await runDueJobs(t);
    await w.db.execute(sql`update segments set archived_at = null where id = ${segment.id}`);
    expect((await w.call('GET', `/api/v1/campaigns/${id}`)).json().status).toBe('failed');
    return id;
  };
  const noticesOf = async (campaignId: string) =>
    (
      await w.db.execute<{ user_id: string; kind: string; title: string; body: string; link: string }>(
        sql`select user_id, kind, title, body, link from notifications
          where workspace_id = ${w.workspaceId} and data->>'campaign_id' = ${campaignId} order by user_id`,
      )
    ).rows;
  return { ...w, owner, admin, marketer, failingCampaign, noticesOf };
}

describe('campaign notices', () => {
  it('a failed campaign tells the member who created it, in the bell, with the reason and a link', async () => {
    const w = await world();
    await w.db.execute(sql`update workspaces set default_locale = 'en' where id = ${w.workspaceId}`);
    const id = await w.failingCampaign(w.marketer.id);
    const reason = failReasonText({ kind: 'segment_gone', detail: 'Madrid' });
    expect(await w.noticesOf(id)).toEqual([
      {
        user_id: w.marketer.id,
        kind: 'campaign_failed',
        title: 'Campaign “Primavera” could not be sent',
        body: `Open the campaign to see why and what to do. ${reason}`,
        link: `/campaigns/${id}`,
      },
    ]);
  });

  it('one created by an API key (or by someone who left) tells the owners and admins, in the workspace language; nobody elsewhere', async () => {
    const w = await world();
    await w.db.execute(sql`update workspaces set default_locale = 'fr' where id = ${w.workspaceId}`);
    const other = await world();
    const id = await w.failingCampaign(null);
    const notices = await w.noticesOf(id);
    expect(notices.map((n) => n.user_id).sort()).toEqual([w.owner.id, w.admin.id].sort());
    expect(notices[0]!.title).toBe('La campagne « Primavera » n’a pas pu être envoyée');
    // A creator who is no longer a member: the owners and admins hear instead.
    const stranger = await newUser(t, 'Gone');
    const second = await w.failingCampaign(stranger.id);
    expect((await w.noticesOf(second)).map((n) => n.user_id).sort()).toEqual([w.owner.id, w.admin.id].sort());
    // The other workspace's members got nothing.
    const elsewhere = await other.db.execute<{ n: number }>(
      sql`select count(*)::int as n from notifications where workspace_id = ${other.workspaceId}`,
    );
    expect(elsewhere.rows[0]!.n).toBe(0);
  });
});
