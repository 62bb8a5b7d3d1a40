import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { runDueJobs, setupTestApp } from '../../../test/support/app.ts';
import { insertClients, segmentWorld } from './segment-test-helpers.ts';

/**
 * Archiving a segment and scheduling a campaign on it, at the same moment. Both take the segment's
 * row lock, so whichever takes it first wins and the other is refused with a 409 that names why:
 * never an archived segment that a scheduled campaign still has to read.
 *
 * The order is made certain, not hoped for: a third session holds the segment's row lock while the
 * two requests arrive and queue behind it in a known order, then lets go.
 */
const t = setupTestApp();

/** Waits until `n` sessions of this database wait for a lock (the queued requests). */
async function waitersAtLeast(n: number) {
  const db = t.app.dbHandle.db;
  for (let i = 0; i < 400; i++) {
    const { rows } = await db.execute<{ n: number }>(sql`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`);
    if (rows[0]!.n >= n) return;
    await sleep(25);
  }
  throw new Error(`fewer than ${n} sessions ever waited for a lock`);
}

/** Holds the segment's row lock in its own transaction until the returned function is called. */
async function holdSegment(segmentId: string) {
  const client = await t.app.dbHandle.pool.connect();
  await client.query('begin');
  await client.query('select 1 from segments where id = $1 for update', [segmentId]);
  return async () => {
    await client.query('commit');
    client.release();
  };
}

async function scene() {
  const w = await segmentWorld(t);
  await insertClients(w.db, w.workspaceId, [
    { first_name: 'Ana', email: 'ana@example.com', city: 'Madrid', consent: { email: true } },
  ]);
  const segment = (
    await w.call('POST', '/api/v1/segments', {
      name: 'Madrid',
      definition: { field: 'city', op: 'eq', value: 'madrid' },
    })
  ).json();
  const campaign = (
    await w.call('POST', '/api/v1/campaigns', {
      name: 'Spring',
      channel: 'email',
      content: { subject: 'Hola', body: '<p>Hola</p>' },
      audience: { segment_id: segment.id },
    })
  ).json();
  const archive = () => w.call('PATCH', `/api/v1/segments/${segment.id}`, { archived: true });
  const schedule = () =>
    w.call('POST', `/api/v1/campaigns/${campaign.id}/send`, {
      at: new Date(Date.now() + 3_600_000).toISOString(),
      determine_recipients: 'at_send',
    });
  const state = async () => ({
    archived: (await w.call('GET', `/api/v1/segments/${segment.id}`)).json().archived as boolean,
    status: (await w.call('GET', `/api/v1/campaigns/${campaign.id}`)).json().status as string,
  });
  return { segment, campaign, archive, schedule, state, call: w.call };
}

describe('archiving a segment while a campaign is scheduled on it', () => {
  it('the archive first: the schedule that raced it answers 409 naming /audience/segment_id, the campaign stays a draft', async () => {
    const s = await scene();
    const release = await holdSegment(s.segment.id);
    const archiving = s.archive();
    await waitersAtLeast(1);
    const scheduling = s.schedule();
    await waitersAtLeast(2);
    await release();
    const [archived, scheduled] = await Promise.all([archiving, scheduling]);
    expect(archived.statusCode).toBe(200);
    expect(scheduled.statusCode).toBe(409);
    expect(scheduled.json().error).toMatchObject({
      code: 'CONFLICT',
      message: 'The segment "Madrid" was archived; restore it or pick another one',
      details: [{ path: '/audience/segment_id', message: 'this segment is archived' }],
    });
    expect(await s.state()).toEqual({ archived: true, status: 'draft' });
  });

  it('the schedule first: the archive that raced it answers 409 naming the campaign, the segment stays live', async () => {
    const s = await scene();
    const release = await holdSegment(s.segment.id);
    const scheduling = s.schedule();
    await waitersAtLeast(1);
    const archiving = s.archive();
    await waitersAtLeast(2);
    await release();
    const [scheduled, archived] = await Promise.all([scheduling, archiving]);
    expect(scheduled.statusCode).toBe(200);
    expect(archived.statusCode).toBe(409);
    expect(archived.json().error.details).toEqual([
      {
        path: '/used_by/0',
        message: `campaign "Spring" (${s.campaign.id}) reads this segment when it runs: send, cancel or change it first`,
      },
    ]);
    expect(await s.state()).toEqual({ archived: false, status: 'scheduled' });
  });

  it('a campaign whose recipients are fixed already still sends after its segment is archived', async () => {
    const s = await scene();
    const campaignPath = `/api/v1/campaigns/${s.campaign.id}`;
    // Scheduled with its recipients taken now: the prepare job fixes them at once.
    const scheduled = await s.call('POST', `${campaignPath}/send`, {
      at: new Date(Date.now() + 3_600_000).toISOString(),
      determine_recipients: 'now',
    });
    expect(scheduled.statusCode).toBe(200);
    await runDueJobs(t);
    const { rows } = await t.app.dbHandle.db.execute<{ fixed: boolean }>(
      sql`select snapshot_at is not null as fixed from campaigns where id = ${s.campaign.id}`,
    );
    expect(rows[0]!.fixed).toBe(true);
    // Nothing reads the segment any more: it may be archived, and the campaign still goes out now.
    expect((await s.archive()).statusCode).toBe(200);
    const sent = await s.call('POST', `${campaignPath}/send`, {});
    expect(sent.statusCode, sent.body).toBe(200);
    expect(sent.json().status).toBe('sending');
  });

  it('both at once, unordered: never an archived segment under a scheduled campaign', async () => {
    for (let round = 0; round < 5; round++) {
      const s = await scene();
      const [archived, scheduled] = await Promise.all([s.archive(), s.schedule()]);
      expect([archived.statusCode, scheduled.statusCode].sort()).toEqual([200, 409]);
      const state = await s.state();
      expect(state.archived && state.status === 'scheduled').toBe(false);
    }
  });
});
