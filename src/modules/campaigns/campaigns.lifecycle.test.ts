import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { runOnce } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpSink, startSmtpSink } from '../../../test/peers/smtp-sink.ts';
import { runDueJobs, setupTestApp } from '../../../test/support/app.ts';
import { silentWorkerLogger } from '../../platform/db/db.ts';
import { createSuppressionList } from '../consent/suppressions.service.ts';
import { insertClients, segmentWorld } from '../segments/segment-test-helpers.ts';
import { campaignPipeline } from './campaigns.pipeline.ts';
import { failReasonText } from './campaigns.reasons.ts';
import { campaignSendJobs, DISPATCH_TASK, PREPARE_TASK, RECOVER_TASK } from './campaigns.send.ts';

/**
 * The ends of a campaign's life the engine did not cover: the audience kept as it was compiled,
 * `failed` when the campaign cannot run (and only then), and the last-contact catch-up of a cancel.
 */
const t = setupTestApp();
let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink?.close();
});

/** Runs the queued jobs (only those of `tasks` when given) until none is ready. */
const work = (tasks?: string[]) => runDueJobs(t, tasks);

/**
 * A channel deleted behind the API's back, as DELETE does it (the row kept, its secrets wiped): the
 * API refuses while a campaign will still send through it (channels.test.ts), so this is how the
 * engine's own safeguard for a channel gone mid-campaign is reached.
 */
async function deleteChannelBehindTheApi(db: Awaited<ReturnType<typeof world>>['db'], channelId: string) {
  await db.execute(sql`update channels set deleted_at = now(), is_default = false, sealed_secrets = null,
    settings = '{}' where id = ${channelId}`);
}

async function world() {
  const w = await segmentWorld(t);
  const ids = await insertClients(w.db, w.workspaceId, [
    { first_name: 'Ana', city: 'Madrid', email: 'ana@example.com', consent: { email: true } },
    { first_name: 'Bruno', city: 'Madrid', email: 'bruno@example.com', consent: { email: true } },
    { first_name: 'Carla', city: 'Sevilla', email: 'carla@example.com', consent: { email: true } },
  ]);
  const createCampaign = async (audience: unknown, extra: Record<string, unknown> = {}) => {
    const created = await w.call('POST', '/api/v1/campaigns', {
      name: 'Spring',
      channel: 'email',
      content: { subject: 'Hola {{ client.first_name }}', body: '<p>Primavera</p>' },
      audience,
      ...extra,
    });
    expect(created.statusCode, created.body).toBe(201);
    return created.json().id as string;
  };
  const get = async (id: string) => (await w.call('GET', `/api/v1/campaigns/${id}`)).json();
  const deliveries = async (id: string) =>
    (
      await w.db.execute<{ n: number }>(
        sql`select count(*)::int as n from deliveries where campaign_id = ${id}`,
      )
    ).rows[0]!.n;
  /**
   * The campaign's jobs still in the queue (the prepare, the lanes). graphile-worker records a job's
   * completion without awaiting it, so runOnce may return just before: a job still locked by the
   * worker that ran it is waited for (its success deletes it, its failure records it).
   */
  const jobs = async (id: string) => {
    for (let wait = 0; ; wait++) {
      const rows = (
        await w.db.execute<{
          task_identifier: string;
          attempts: number;
          last_error: string | null;
          locked: boolean;
        }>(
          sql`select t.identifier as task_identifier, j.attempts, j.last_error, j.locked_at is not null as locked
              from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
              where j.payload->>'campaign_id' = ${id} order by t.identifier`,
        )
      ).rows;
      if (!rows.some((r) => r.locked) || wait === 100) return rows.map(({ locked: _, ...job }) => job);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const audit = async (id: string) =>
    (
      await w.db.execute<{ action: string; changes: Record<string, { after: unknown }> }>(
        sql`select action, changes from audit_log where entity_id = ${id} order by created_at, id`,
      )
    ).rows;
  return { ...w, ids, createCampaign, get, deliveries, jobs, audit };
}

describe('the audience as it was compiled', () => {
  it("keeps a saved segment's name and tree as they were when the recipients were fixed, through an edit of the segment; a duplicate starts without it", async () => {
    const w = await world();
    const tree = { field: 'city', op: 'eq', value: 'Madrid' };
    const segment = await w.call('POST', '/api/v1/segments', { name: 'Madrid', definition: tree });
    expect(segment.statusCode, segment.body).toBe(201);
    const id = await w.createCampaign({ segment_id: segment.json().id });
    expect((await w.get(id)).audience_snapshot).toBeNull();
    expect((await w.call('POST', `/api/v1/campaigns/${id}/send`, {})).statusCode).toBe(200);
    await work();

    const expected = {
      kind: 'segment',
      segment_id: segment.json().id,
      segment_name: 'Madrid',
      segment_kind: 'dynamic',
      definition: tree,
      count: 2,
    };
    const sent = await w.get(id);
    expect(sent).toMatchObject({ status: 'sent', audience_count: 2, audience_snapshot: expected });
    // The segment is renamed and now means Sevilla: the campaign still says who it was meant for.
    const edited = await w.call('PATCH', `/api/v1/segments/${segment.json().id}`, {
      name: 'Sevilla',
      definition: { field: 'city', op: 'eq', value: 'Sevilla' },
    });
    expect(edited.statusCode, edited.body).toBe(200);
    expect((await w.get(id)).audience_snapshot).toEqual(expected);
    expect((await w.get(id)).audience).toEqual({ segment_id: segment.json().id });
    // In the list too.
    const listed = (await w.call('GET', '/api/v1/campaigns')).json().campaigns;
    expect(listed.find((c: { id: string }) => c.id === id).audience_snapshot).toEqual(expected);

    const copy = await w.call('POST', `/api/v1/campaigns/${id}/duplicate`, {});
    expect(copy.statusCode, copy.body).toBe(201);
    expect(copy.json()).toMatchObject({ status: 'draft', audience_snapshot: null, snapshot_at: null });
  });

  it('is documented read-only in the OpenAPI document, and a PATCH cannot set it', async () => {
    const doc = (await t.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const campaign =
      doc.paths['/api/v1/campaigns/{id}'].get.responses['200'].content['application/json'].schema;
    const snapshot = JSON.stringify(campaign.properties.audience_snapshot);
    expect(snapshot).toContain('as it was compiled when the recipients were fixed');
    expect(snapshot).toContain('segment_name');
    const w = await world();
    const id = await w.createCampaign({ client_ids: w.ids });
    const patched = await w.call('PATCH', `/api/v1/campaigns/${id}`, {
      audience_snapshot: { kind: 'client_ids', count: 99 },
    });
    expect(patched.statusCode).toBe(400);
    expect((await w.get(id)).audience_snapshot).toBeNull();
  });

  it('keeps an inline tree as it was, and only the fact and count of a static segment or a list', async () => {
    const w = await world();
    const tree = {
      any: [
        { field: 'city', op: 'eq', value: 'Sevilla' },
        { field: 'first_name', op: 'eq', value: 'Ana' },
      ],
    };
    const inline = await w.createCampaign({ definition: tree });
    const listed = await w.createCampaign({ client_ids: w.ids });
    const frozen = await w.call('POST', '/api/v1/segments', {
      name: 'Front desk list',
      kind: 'static',
      client_ids: [w.ids[0], w.ids[2]],
    });
    expect(frozen.statusCode, frozen.body).toBe(201);
    const fromStatic = await w.createCampaign({ segment_id: frozen.json().id });
    for (const id of [inline, listed, fromStatic])
      expect((await w.call('POST', `/api/v1/campaigns/${id}/send`, {})).statusCode).toBe(200);
    await work();

    expect((await w.get(inline)).audience_snapshot).toEqual({
      kind: 'definition',
      definition: tree,
      count: 2,
    });
    expect((await w.get(listed)).audience_snapshot).toEqual({ kind: 'client_ids', count: 3 });
    expect((await w.get(fromStatic)).audience_snapshot).toEqual({
      kind: 'segment',
      segment_id: frozen.json().id,
      segment_name: 'Front desk list',
      segment_kind: 'static',
      count: 2,
    });
  });
});

describe('a campaign that cannot run', () => {
  it('fails for good when its segment was deleted: the reason, no delivery, no retry, no requeue by the lane recovery; fixed, it is sent again', async () => {
    const w = await world();
    const segment = (
      await w.call('POST', '/api/v1/segments', {
        name: 'Madrid VIP',
        definition: { field: 'city', op: 'eq', value: 'Madrid' },
      })
    ).json();
    const id = await w.createCampaign({ segment_id: segment.id });
    expect((await w.call('POST', `/api/v1/campaigns/${id}/send`, {})).json().status).toBe('sending');
    // Archived between the Send and its prepare job by a path that does not look at its uses (the
    // API refuses to archive a segment a sending campaign has yet to read).
    await w.db.execute(sql`update segments set archived_at = now() where id = ${segment.id}`);
    await work([PREPARE_TASK]);

    const reason = failReasonText({ kind: 'segment_gone', detail: 'Madrid VIP' });
    expect(await w.get(id)).toMatchObject({ status: 'failed', status_reason: reason, snapshot_at: null });
    expect(await w.deliveries(id)).toBe(0);
    // The job ended (not left to graphile-worker's 25 attempts), and no lane waits.
    expect(await w.jobs(id)).toEqual([]);
    // The lane recovery (every minute) queues nothing for it.
    await w.db.execute(sql`select graphile_worker.add_job(${RECOVER_TASK}, '{}'::json)`);
    await work([RECOVER_TASK]);
    expect(await w.jobs(id)).toEqual([]);
    expect((await w.get(id)).status).toBe('failed');
    const failed = (await w.audit(id)).find((a) => a.action === 'campaign.failed');
    expect(failed?.changes).toMatchObject({
      status: { before: 'sending', after: 'failed' },
      reason: { before: null, after: reason },
    });
    const stats = (await w.call('GET', `/api/v1/campaigns/${id}/stats`)).json();
    expect(stats).toMatchObject({ status: 'failed', status_reason: reason });

    // Nothing to retry; sent again unchanged it is refused at once, naming the missing segment.
    const retry = await w.call('POST', `/api/v1/campaigns/${id}/retry`, { statuses: ['failed'] });
    expect(retry.statusCode).toBe(422);
    expect((await w.call('POST', `/api/v1/campaigns/${id}/send`, {})).statusCode).toBe(404);
    // A duplicate is a fresh draft.
    const copy = await w.call('POST', `/api/v1/campaigns/${id}/duplicate`, {});
    expect(copy.statusCode, copy.body).toBe(201);
    expect(copy.json()).toMatchObject({ status: 'draft', status_reason: null });

    // The user restores the segment and sends the same campaign again.
    const restored = await w.call('PATCH', `/api/v1/segments/${segment.id}`, { archived: false });
    expect(restored.statusCode, restored.body).toBe(200);
    const again = await w.call('POST', `/api/v1/campaigns/${id}/send`, {});
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ status: 'sending', status_reason: null });
    await work();
    expect(await w.get(id)).toMatchObject({ status: 'sent', audience_count: 2 });
  });

  it('fails when its conditions no longer validate (an archived custom field); it can be changed and sent again', async () => {
    const w = await world();
    const field = (
      await w.call('POST', '/api/v1/custom-fields', { key: 'tier', label: 'Tier', type: 'text' })
    ).json();
    const id = await w.createCampaign({ definition: { field: 'custom.tier', op: 'eq', value: 'gold' } });
    expect((await w.call('POST', `/api/v1/campaigns/${id}/send`, {})).statusCode).toBe(200);
    expect((await w.call('DELETE', `/api/v1/custom-fields/${field.id}`)).statusCode).toBe(204);
    await work([PREPARE_TASK]);
    expect(await w.get(id)).toMatchObject({
      status: 'failed',
      status_reason: failReasonText({
        kind: 'audience_invalid',
        detail: "/field: custom field 'tier' is archived",
      }),
    });
    expect(await w.deliveries(id)).toBe(0);
    expect(await w.jobs(id)).toEqual([]);
    // Sent again as it is: the same problem, at once, with its path.
    const refused = await w.call('POST', `/api/v1/campaigns/${id}/send`, {});
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toMatchObject({
      code: 'INVALID_SEGMENT',
      details: [{ path: '/audience/definition/field', message: "custom field 'tier' is archived" }],
    });
    // A failed campaign that wrote no recipient is changed like a draft, then sent.
    const changed = await w.call('PATCH', `/api/v1/campaigns/${id}`, {
      audience: { definition: { field: 'city', op: 'eq', value: 'Sevilla' } },
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect((await w.call('POST', `/api/v1/campaigns/${id}/send`, {})).statusCode).toBe(200);
    await work();
    expect(await w.get(id)).toMatchObject({ status: 'sent', audience_count: 1 });
  });

  it('fails when its channel or its template was deleted', async () => {
    const w = await world();
    const smtp = await w.call('POST', '/api/v1/channels', {
      provider: 'smtp',
      name: 'Sink',
      settings: { host: sink.host, port: sink.port, secure: false, from_email: 'hola@clinic.example' },
    });
    expect(smtp.statusCode, smtp.body).toBe(201);
    const template = await w.call('POST', '/api/v1/templates', {
      name: 'Spring',
      channel: 'email',
      subject: 'Hola',
      body: '<p>Hola {{ client.first_name }}</p>',
    });
    expect(template.statusCode, template.body).toBe(201);
    const throughSmtp = await w.createCampaign({ client_ids: w.ids }, { channel_id: smtp.json().id });
    const withTemplate = await w.createCampaign(
      { client_ids: w.ids },
      { content: { template_id: template.json().id } },
    );
    for (const id of [throughSmtp, withTemplate])
      expect((await w.call('POST', `/api/v1/campaigns/${id}/send`, {})).statusCode).toBe(200);
    // The API refuses while the campaign will send through it.
    expect((await w.call('DELETE', `/api/v1/channels/${smtp.json().id}`)).statusCode).toBe(409);
    await deleteChannelBehindTheApi(w.db, smtp.json().id);
    expect((await w.call('DELETE', `/api/v1/templates/${template.json().id}`)).statusCode).toBe(204);
    await work();

    expect(await w.get(throughSmtp)).toMatchObject({
      status: 'failed',
      status_reason: failReasonText({ kind: 'channel_gone' }),
    });
    expect(await w.get(withTemplate)).toMatchObject({
      status: 'failed',
      status_reason: failReasonText({ kind: 'template_gone' }),
    });
    for (const id of [throughSmtp, withTemplate]) {
      expect(await w.deliveries(id)).toBe(0);
      expect(await w.jobs(id)).toEqual([]);
    }
    expect(sink.messages.length).toBe(0);
  });

  it('fails when its channel is deleted after its recipients were fixed: nothing more is sent, what waited is cancelled, no lane is left', async () => {
    const w = await world();
    const smtp = await w.call('POST', '/api/v1/channels', {
      provider: 'smtp',
      name: 'Sink',
      settings: { host: sink.host, port: sink.port, secure: false, from_email: 'hola@clinic.example' },
    });
    const id = await w.createCampaign({ client_ids: w.ids }, { channel_id: smtp.json().id });
    expect((await w.call('POST', `/api/v1/campaigns/${id}/send`, {})).statusCode).toBe(200);
    await work([PREPARE_TASK]);
    expect((await w.get(id)).snapshot_at).not.toBeNull();
    const before = sink.messages.length;
    await deleteChannelBehindTheApi(w.db, smtp.json().id);
    await work();

    expect(await w.get(id)).toMatchObject({
      status: 'failed',
      status_reason: failReasonText({ kind: 'channel_gone' }),
      audience_count: 3,
    });
    const statuses = (
      await w.db.execute<{ status: string }>(
        sql`select status from deliveries where campaign_id = ${id} order by status`,
      )
    ).rows.map((r) => r.status);
    expect(statuses).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(sink.messages.length).toBe(before);
    expect(await w.jobs(id)).toEqual([]);
    const failed = (await w.audit(id)).find((a) => a.action === 'campaign.failed');
    expect(failed?.changes).toMatchObject({ cancelled_deliveries: { after: 3 } });
    // Its recipients were fixed: it cannot be sent again as it is; a duplicate can.
    expect((await w.call('POST', `/api/v1/campaigns/${id}/send`, {})).statusCode).toBe(422);
    expect((await w.call('PATCH', `/api/v1/campaigns/${id}`, { name: 'x' })).statusCode).toBe(422);
    expect((await w.call('POST', `/api/v1/campaigns/${id}/duplicate`, {})).statusCode).toBe(201);
  });

  it('fails when its channel is deleted while a lane sends: what no provider was handed is cancelled, never unknown; what left keeps its record', async () => {
    const w = await world();
    const smtp = await w.call('POST', '/api/v1/channels', {
      provider: 'smtp',
      name: 'Sink',
      settings: { host: sink.host, port: sink.port, secure: false, from_email: 'hola@clinic.example' },
      rate_per_second: 10_000,
    });
    const channelId = smtp.json().id as string;
    // Two batches of the lane (200, then 60): the second is claimed while the first sends.
    const many = await insertClients(
      w.db,
      w.workspaceId,
      Array.from({ length: 260 }, (_, i) => ({ email: `client${i}@example.com`, consent: { email: true } })),
    );
    const id = await w.createCampaign({ client_ids: many }, { channel_id: channelId });
    expect((await w.call('POST', `/api/v1/campaigns/${id}/send`, {})).statusCode).toBe(200);
    await work([PREPARE_TASK]);
    const before = sink.messages.length;
    // The channel is deleted when its first message arrives: the first batch had its channel open,
    // the second cannot open it any more.
    sink.beforeNextAnswer(async () => {
      await deleteChannelBehindTheApi(w.db, channelId);
    });
    await work();
    // The lane that met the deleted channel is retried later; its retry finds the channel gone.
    await w.db.execute(
      sql`update graphile_worker._private_jobs set run_at = now() where payload->>'campaign_id' = ${id}`,
    );
    await work();

    expect(await w.get(id)).toMatchObject({
      status: 'failed',
      status_reason: failReasonText({ kind: 'channel_gone' }),
    });
    const counts: Record<string, number> = Object.fromEntries(
      (
        await w.db.execute<{ status: string; n: number }>(
          sql`select status, count(*)::int as n from deliveries where campaign_id = ${id} group by status`,
        )
      ).rows.map((r) => [r.status, r.n]),
    );
    const arrived = sink.messages.length - before;
    expect(arrived).toBeGreaterThan(0);
    // Each message at the peer is recorded as sent (the channel's row outlived it, so its batch's
    // record went through). What no provider was ever handed (the second batch, 60, which could
    // not open the channel) is cancelled: never `unknown`, nothing left claimed or queued.
    expect(counts).toEqual({ sent: arrived, cancelled: 260 - arrived });
    expect(await w.jobs(id)).toEqual([]);
  });

  it('keeps retrying a transient error (the database), and sends once it is over', async () => {
    const w = await world();
    const id = await w.createCampaign({ client_ids: w.ids });
    expect((await w.call('POST', `/api/v1/campaigns/${id}/send`, {})).statusCode).toBe(200);
    // A table the snapshot reads is unavailable for a while: a database error, not the user's.
    await w.db.execute(sql`alter table campaign_exclusions rename to campaign_exclusions_away`);
    try {
      await work([PREPARE_TASK]);
    } finally {
      await w.db.execute(sql`alter table campaign_exclusions_away rename to campaign_exclusions`);
    }
    expect(await w.get(id)).toMatchObject({ status: 'sending', status_reason: null });
    const [job] = await w.jobs(id);
    expect(job).toMatchObject({ task_identifier: PREPARE_TASK, attempts: 1 });
    expect(job!.last_error).toContain('campaign_exclusions');
    // Its retry (graphile-worker's backoff, brought forward) finds the database well again.
    await w.db.execute(
      sql`update graphile_worker._private_jobs set run_at = now() where payload->>'campaign_id' = ${id}`,
    );
    await work();
    expect(await w.get(id)).toMatchObject({ status: 'sent', audience_count: 3 });
    expect(await w.deliveries(id)).toBe(3);
  });

  it('in a large workspace (the snapshot written in halves) fails the same way, writes no half and frees its lock; a good one keeps its audience too', async () => {
    const w = await world();
    // The prepare of a workspace of 2 clients or more written in two halves, as a large one's.
    const split = campaignSendJobs(t.app.dbHandle.db, t.app.dbHandle.pool, {
      suppressions: createSuppressionList(randomBytes(32).toString('hex')),
      pipeline: campaignPipeline(t.app.channels, t.app.templates),
      snapshotSplitFrom: 2,
    });
    const prepareInHalves = () =>
      runOnce({
        pgPool: t.app.dbHandle.pool,
        taskList: { [PREPARE_TASK]: split.tasks[PREPARE_TASK]! },
        logger: silentWorkerLogger(),
      });
    const tree = { field: 'city', op: 'eq', value: 'Madrid' };
    const gone = (await w.call('POST', '/api/v1/segments', { name: 'Gone', definition: tree })).json();
    const kept = (await w.call('POST', '/api/v1/segments', { name: 'Kept', definition: tree })).json();
    const failing = await w.createCampaign({ segment_id: gone.id });
    const good = await w.createCampaign({ segment_id: kept.id });
    for (const id of [failing, good])
      expect((await w.call('POST', `/api/v1/campaigns/${id}/send`, {})).statusCode).toBe(200);
    await w.db.execute(sql`update segments set archived_at = now() where id = ${gone.id}`);
    await prepareInHalves();

    expect(await w.get(failing)).toMatchObject({
      status: 'failed',
      status_reason: failReasonText({ kind: 'segment_gone', detail: 'Gone' }),
    });
    expect(await w.deliveries(failing)).toBe(0);
    expect(await w.jobs(failing)).toEqual([]);
    // The prepare's session lock on the campaign is free (another prepare could take it).
    const client = await t.app.dbHandle.pool.connect();
    try {
      const lock = await client.query<{ taken: boolean }>(
        'select pg_try_advisory_lock(740518, hashtext($1)) as taken',
        [failing],
      );
      expect(lock.rows[0]!.taken).toBe(true);
      await client.query('select pg_advisory_unlock_all()');
    } finally {
      client.release();
    }

    expect(await w.get(good)).toMatchObject({
      audience_count: 2,
      audience_snapshot: {
        kind: 'segment',
        segment_id: kept.id,
        segment_name: 'Kept',
        segment_kind: 'dynamic',
        definition: tree,
        count: 2,
      },
    });
  });

  it('another workspace can neither read a failed campaign nor send it', async () => {
    const w = await world();
    const other = await segmentWorld(t);
    const segment = (
      await w.call('POST', '/api/v1/segments', {
        name: 'Madrid',
        definition: { field: 'city', op: 'eq', value: 'Madrid' },
      })
    ).json();
    const id = await w.createCampaign({ segment_id: segment.id });
    await w.call('POST', `/api/v1/campaigns/${id}/send`, {});
    await w.db.execute(sql`update segments set archived_at = now() where id = ${segment.id}`);
    await work([PREPARE_TASK]);
    expect((await w.get(id)).status).toBe('failed');
    expect((await other.call('GET', `/api/v1/campaigns/${id}`)).statusCode).toBe(404);
    expect((await other.call('GET', `/api/v1/campaigns/${id}/stats`)).statusCode).toBe(404);
    expect((await other.call('POST', `/api/v1/campaigns/${id}/send`, {})).statusCode).toBe(404);
    expect((await other.call('PATCH', `/api/v1/campaigns/${id}`, { name: 'mine' })).statusCode).toBe(404);
    expect((await other.call('POST', `/api/v1/campaigns/${id}/duplicate`, {})).statusCode).toBe(404);
  });
});

describe('cancelling a campaign', () => {
  it('cancels the batch a lane hands back to the queue after the cancel', async () => {
    const w = await world();
    const id = await w.createCampaign({ client_ids: w.ids });
    expect((await w.call('POST', `/api/v1/campaigns/${id}/send`, {})).statusCode).toBe(200);
    await work([PREPARE_TASK]);
    expect((await w.call('POST', `/api/v1/campaigns/${id}/cancel`, {})).statusCode).toBe(200);
    // A lane had two claimed when the cancel came; seeing it, it gives them back unsent (queued).
    await w.db.execute(sql`
      update deliveries set status = 'queued'
      where campaign_id = ${id} and client_id = any(${`{${w.ids[0]},${w.ids[1]}}`}::uuid[])`);
    await w.db.execute(
      sql`select graphile_worker.add_job(${DISPATCH_TASK}, json_build_object('campaign_id', ${id}::text))`,
    );
    await work([DISPATCH_TASK]);
    const statuses = (
      await w.db.execute<{ status: string }>(sql`select status from deliveries where campaign_id = ${id}`)
    ).rows.map((r) => r.status);
    expect(statuses).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect((await w.get(id)).status).toBe('cancelled');
  });

  it('moves the last contact of the clients its messages reached before the cancel', async () => {
    const w = await world();
    const id = await w.createCampaign({ client_ids: w.ids });
    expect((await w.call('POST', `/api/v1/campaigns/${id}/send`, {})).statusCode).toBe(200);
    await work([PREPARE_TASK]);
    // Two messages left before the cancel; their clients' own update was missed (a worker killed
    // between the batch's ledger commit and that update).
    const sentAt = new Date(Date.now() - 60_000);
    await w.db.execute(sql`
      update deliveries set status = 'sent', sent_at = ${sentAt.toISOString()}::timestamptz
      where campaign_id = ${id} and client_id = any(${`{${w.ids[0]},${w.ids[1]}}`}::uuid[])`);
    const cancel = await w.call('POST', `/api/v1/campaigns/${id}/cancel`, {});
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect(cancel.json().status).toBe('cancelled');

    const rows = (
      await w.db.execute<{ first_name: string; last_contacted_at: string | null; status: string }>(sql`
        select c.first_name, c.last_contacted_at, d.status from clients c
        join deliveries d on d.client_id = c.id and d.campaign_id = ${id} order by c.first_name`)
    ).rows;
    expect(rows.map((r) => [r.first_name, r.status])).toEqual([
      ['Ana', 'sent'],
      ['Bruno', 'sent'],
      ['Carla', 'cancelled'],
    ]);
    expect(new Date(rows[0]!.last_contacted_at!).getTime()).toBe(sentAt.getTime());
    expect(new Date(rows[1]!.last_contacted_at!).getTime()).toBe(sentAt.getTime());
    expect(rows[2]!.last_contacted_at).toBeNull();
  });
});
