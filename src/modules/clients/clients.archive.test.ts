import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { newApiKey, runDueJobs, setupTestApp, withKey } from '../../../test/support/app.ts';
import { bulkTestHooks } from '../bulk/bulk.service.ts';
import { insertClients, segmentWorld } from '../segments/segment-test-helpers.ts';
import { createSegment } from '../segments/segments.service.ts';
import { createTemplate } from '../templates/templates.service.ts';

const t = setupTestApp({ CLIENTELA_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'clientela-archive-')) });

const work = () => runDueJobs(t);

afterEach(() => {
  bulkTestHooks.chunkSize = null;
  bulkTestHooks.afterChunk = null;
});

async function world() {
  const w = await segmentWorld(t);
  const ids = await insertClients(w.db, w.workspaceId, [
    { first_name: 'Ana', email: 'ana@example.com', city: 'Madrid', tags: ['vip'], consent: { email: true } },
    {
      first_name: 'Bruno',
      email: 'bruno@example.com',
      city: 'Madrid',
      tags: ['vip'],
      consent: { email: true },
    },
    { first_name: 'Chloé', email: 'chloe@example.com', city: 'Sevilla', consent: { email: true } },
  ]);
  const [ana, bruno] = ids as [string, string, string];
  const listIds = async (query = '') =>
    ((await w.call('GET', `/api/v1/clients${query}`)).json().clients as Array<{ id: string }>).map(
      (c) => c.id,
    );
  const count = async (query = '') => (await w.call('GET', `/api/v1/clients/count${query}`)).json().total;
  const segmentCount = async (definition: unknown) => {
    const r = await w.call('POST', '/api/v1/segments/evaluate', { definition, limit: 0 });
    expect(r.statusCode, r.body).toBe(200);
    return r.json().count as number;
  };
  const history = async (id: string) =>
    (
      await w.db.execute<{ kind: string; actor_label: string }>(
        sql`select kind, actor_label from client_history where client_id = ${id} order by occurred_at, id`,
      )
    ).rows;
  const audit = async (action: string) =>
    (
      await w.db.execute<{ entity_id: string | null; changes: Record<string, { after: unknown }> }>(
        sql`select entity_id, changes from audit_log where workspace_id = ${w.workspaceId} and action = ${action}
          order by created_at desc`,
      )
    ).rows;
  return { ...w, ids, ana, bruno, listIds, count, segmentCount, history, audit };
}

describe('archiving a client', () => {
  it('hides it from the list, search, counts, segments, home and campaigns until it is restored', async () => {
    const w = await world();
    const vip = { field: 'tags', op: 'has', value: 'vip' };
    const madrid = { field: 'city', op: 'eq', value: 'Madrid' };
    const segment = await createSegment(w.db, w.ctx, { name: 'VIP', definition: vip });
    expect(await w.segmentCount(vip)).toBe(2);

    const archived = await w.call('POST', `/api/v1/clients/${w.ana}/archive`);
    expect(archived.statusCode, archived.body).toBe(200);
    expect(archived.json()).toMatchObject({ id: w.ana, archived_by: expect.any(String) });
    expect(Date.parse(archived.json().archived_at)).not.toBeNaN();

    // Gone from the default list, search, count, both kinds of segment count, a saved segment and home.
    expect(await w.listIds()).not.toContain(w.ana);
    expect(await w.listIds('?q=ana')).toEqual([]);
    expect(await w.count()).toBe(2);
    expect(await w.segmentCount(vip)).toBe(1); // the kept-set fast path (tag members minus archived)
    expect(await w.segmentCount(madrid)).toBe(1); // the compiled query
    expect(await w.segmentCount({ all: [] })).toBe(2);
    const members = (await w.call('GET', `/api/v1/segments/${segment.id}/clients`)).json();
    expect(members.clients.map((c: { id: string }) => c.id)).toEqual([w.bruno]);
    expect((await w.call('GET', '/api/v1/home')).json().clients.total).toBe(2);
    // …and from bulk selections of every kind.
    const preview = async (selection: unknown) =>
      (await w.call('POST', '/api/v1/bulk/preview', { selection })).json().count;
    expect(await preview({ client_ids: w.ids })).toBe(2);
    expect(await preview({ segment_id: segment.id })).toBe(1);
    expect(await preview({ query: { tag: 'vip' } })).toBe(1);

    // Visible through the Archived filter; its page still opens.
    expect(await w.listIds('?status=archived')).toEqual([w.ana]);
    expect(await w.count('?status=archived')).toBe(1);
    // The one-line filter matches on the fields; the view decides active or archived.
    expect(await w.listIds('?status=archived&filter=city%3AMadrid')).toEqual([w.ana]);
    expect(await w.listIds('?filter=city%3AMadrid')).toEqual([w.bruno]);
    expect((await w.listIds('?status=all')).sort()).toEqual([...w.ids].sort());
    expect((await w.call('GET', '/api/v1/clients?status=gone')).statusCode).toBe(400);
    const page = await w.call('GET', `/api/v1/clients/${w.ana}`);
    expect(page.statusCode).toBe(200);
    expect(page.json().archived_at).toBe(archived.json().archived_at);

    // Archiving again changes nothing and is not written twice.
    expect((await w.call('POST', `/api/v1/clients/${w.ana}/archive`)).json().archived_at).toBe(
      archived.json().archived_at,
    );

    // A campaign to the segment tree never includes it.
    const template = await createTemplate(w.db, w.ctx, {
      name: 'Hi',
      channel: 'email',
      subject: 'Hi',
      body: '<p>Hi</p>',
    });
    const sent = await w.call('POST', '/api/v1/bulk/send', {
      selection: { definition: vip },
      channel: 'email',
      template_id: template.id,
    });
    expect(sent.statusCode, sent.body).toBe(200);
    await work();
    const recipients = await w.db.execute<{ client_id: string }>(
      sql`select client_id from deliveries where campaign_id = ${sent.json().result.campaign_id}`,
    );
    expect(recipients.rows.map((r) => r.client_id)).toEqual([w.bruno]);

    // Restored: back everywhere.
    const restored = await w.call('POST', `/api/v1/clients/${w.ana}/unarchive`);
    expect(restored.statusCode).toBe(200);
    expect(restored.json()).toMatchObject({ archived_at: null, archived_by: null });
    expect(await w.listIds()).toContain(w.ana);
    expect(await w.listIds('?q=ana')).toEqual([w.ana]);
    expect(await w.count()).toBe(3);
    expect(await w.segmentCount(vip)).toBe(2);
    expect(await w.segmentCount(madrid)).toBe(2);
    expect(await w.listIds('?status=archived')).toEqual([]);

    // On the timeline and in the audit log, once each.
    expect((await w.history(w.ana)).map((h) => h.kind)).toEqual(['archived', 'unarchived']);
    expect((await w.audit('client.archived')).map((a) => a.entity_id)).toEqual([w.ana]);
    expect((await w.audit('client.unarchived')).map((a) => a.entity_id)).toEqual([w.ana]);
    const timeline = (await w.call('GET', `/api/v1/clients/${w.ana}/timeline`)).json();
    expect(JSON.stringify(timeline)).toContain('archived');
  });

  it('records events for an archived client and matches its identity instead of creating a second one', async () => {
    const w = await world();
    await w.call('POST', `/api/v1/clients/${w.ana}/archive`);
    const created = await w.call('POST', '/api/v1/clients', { first_name: 'Ana', email: 'ana@example.com' });
    expect(created.statusCode).toBe(409);
    expect(created.json().error.message).toContain('archived');
    expect(created.json().error.details[0]).toMatchObject({ path: '/email' });
    // allow_duplicate allows a second active client, never a copy of an archived one.
    const forced = await w.call('POST', '/api/v1/clients', {
      first_name: 'Ana',
      email: 'ana@example.com',
      allow_duplicate: true,
    });
    expect(forced.statusCode).toBe(409);
    const event = await w.call('POST', '/api/v1/events', {
      events: [{ email: 'ana@example.com', type: 'booking', occurred_at: new Date().toISOString() }],
      create_client: true,
    });
    expect(event.json(), event.body).toMatchObject({ accepted: 1, created_clients: 0 });
    const events = await w.db.execute<{ n: number }>(
      sql`select count(*)::int as n from events where client_id = ${w.ana}`,
    );
    expect(events.rows[0]!.n).toBe(1);
    const clients = await w.db.execute<{ n: number }>(
      sql`select count(*)::int as n from clients where workspace_id = ${w.workspaceId}`,
    );
    expect(clients.rows[0]!.n).toBe(3);
    // Still archived.
    expect(await w.listIds('?status=archived')).toEqual([w.ana]);
  });

  it('is impossible from another workspace: 404, and its bulk selections match nobody', async () => {
    const a = await world();
    const b = await world();
    for (const verb of ['archive', 'unarchive'])
      expect((await b.call('POST', `/api/v1/clients/${a.ana}/${verb}`)).statusCode).toBe(404);
    await a.call('POST', `/api/v1/clients/${a.bruno}/archive`);
    expect((await b.call('GET', `/api/v1/clients/${a.bruno}`)).statusCode).toBe(404);
    expect(await b.listIds('?status=archived')).toEqual([]);
    const bulk = await b.call('POST', '/api/v1/bulk/archive', {
      selection: { client_ids: a.ids },
      confirm_count: 0,
    });
    expect(bulk.json()).toMatchObject({ total: 0, done: 0 });
    const restore = await b.call('POST', '/api/v1/bulk/unarchive', {
      selection: { client_ids: a.ids },
      confirm_count: 0,
    });
    expect(restore.json()).toMatchObject({ total: 0, done: 0 });
    expect(await a.listIds('?status=archived')).toEqual([a.bruno]);
    expect(await a.count()).toBe(2);
  });
});

describe('bulk archive and restore', () => {
  it('is for admins only, and runs only when the typed count matches', async () => {
    const w = await world();
    const selection = { query: { tag: 'vip' } };
    for (const role of ['viewer', 'agent', 'marketer'] as const) {
      const call = withKey(t, await newApiKey(t, w.workspaceId, role));
      expect((await call('POST', '/api/v1/bulk/archive', { selection, confirm_count: 2 })).statusCode).toBe(
        403,
      );
      expect((await call('POST', '/api/v1/bulk/unarchive', { selection, confirm_count: 0 })).statusCode).toBe(
        403,
      );
      expect((await call('POST', `/api/v1/clients/${w.ana}/archive`)).statusCode).toBe(403);
    }
    const admin = withKey(t, await newApiKey(t, w.workspaceId, 'admin'));
    const wrong = await admin('POST', '/api/v1/bulk/archive', { selection, confirm_count: 3 });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.details[0].path).toBe('/confirm_count');
    expect(wrong.json().error.details[0].message).toContain('2');
    const missing = await admin('POST', '/api/v1/bulk/archive', { selection });
    expect(missing.statusCode).toBe(400);
    expect(JSON.stringify(missing.json().error)).toContain('confirm_count');
    expect(await w.count()).toBe(3);

    const done = await admin('POST', '/api/v1/bulk/archive', { selection, confirm_count: 2 });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ status: 'completed', total: 2, done: 2 });
    expect((await w.listIds('?status=archived')).sort()).toEqual([w.ana, w.bruno].sort());
    expect((await w.history(w.bruno)).map((h) => h.kind)).toEqual(['archived']);
    const [entry] = await w.audit('bulk.archive');
    expect(entry!.changes.count!.after).toBe(2);

    // Restore: the ticked rows of the Archived view, counted among archived clients only.
    const count = (
      await w.call('POST', '/api/v1/bulk/preview', {
        selection: { client_ids: w.ids },
        action: 'unarchive',
      })
    ).json().count;
    expect(count).toBe(2);
    // Ticked rows of the Archived view can be exported and deleted too; other actions skip them.
    for (const [action, expected] of [
      ['export', 3],
      ['delete', 3],
      ['add_tags', 1],
    ] as const)
      expect(
        (await w.call('POST', '/api/v1/bulk/preview', { selection: { client_ids: w.ids }, action })).json()
          .count,
      ).toBe(expected);
    const wrongRestore = await admin('POST', '/api/v1/bulk/unarchive', {
      selection: { client_ids: w.ids },
      confirm_count: 3,
    });
    expect(wrongRestore.statusCode).toBe(400);
    expect(wrongRestore.json().error.details[0].path).toBe('/confirm_count');
    const bySegment = await admin('POST', '/api/v1/bulk/unarchive', {
      selection: { definition: { all: [] } },
      confirm_count: 2,
    });
    expect(bySegment.statusCode).toBe(400);
    expect(bySegment.json().error.details[0].path).toBe('/selection');
    const restored = await admin('POST', '/api/v1/bulk/unarchive', {
      selection: { client_ids: [w.ana] },
      confirm_count: 1,
    });
    expect(restored.json()).toMatchObject({ status: 'completed', total: 1, done: 1 });
    // The rest by the Archived view's "all matching".
    const rest = await admin('POST', '/api/v1/bulk/unarchive', {
      selection: { query: { status: 'archived' } },
      confirm_count: 1,
    });
    expect(rest.json()).toMatchObject({ status: 'completed', total: 1, done: 1 });
    expect(await w.count()).toBe(3);
    expect((await w.history(w.bruno)).map((h) => h.kind)).toEqual(['archived', 'unarchived']);
    expect((await w.audit('bulk.unarchive')).length).toBe(2);
  });

  it('archives 1,000 clients or more as a job with progress that can be cancelled', async () => {
    const w = await world();
    await insertClients(
      w.db,
      w.workspaceId,
      Array.from({ length: 1100 }, (_, i) => ({ first_name: `N${i}`, city: 'Bilbao' })),
    );
    const selection = { query: { filter: 'city:Bilbao' } };
    const queued = await w.call('POST', '/api/v1/bulk/archive', { selection, confirm_count: 1100 });
    expect(queued.statusCode, queued.body).toBe(202);
    bulkTestHooks.chunkSize = 500;
    const seen: number[] = [];
    bulkTestHooks.afterChunk = async (id) => {
      const progress = (await w.call('GET', `/api/v1/bulk/actions/${id}`)).json().processed;
      seen.push(progress);
      if (progress === 1000) await w.call('POST', `/api/v1/bulk/actions/${id}/cancel`);
    };
    await work();
    expect(seen).toEqual([500, 1000]);
    const cancelled = (await w.call('GET', `/api/v1/bulk/actions/${queued.json().id}`)).json();
    expect(cancelled).toMatchObject({ status: 'cancelled', total: 1100, processed: 1000, done: 1000 });
    expect(await w.count('?status=archived')).toBe(1000);
    expect(await w.count()).toBe(103);
    // The rest, then everything back in one restore job.
    bulkTestHooks.afterChunk = null;
    const rest = await w.call('POST', '/api/v1/bulk/archive', { selection, confirm_count: 100 });
    expect(rest.json()).toMatchObject({ status: 'completed', done: 100 });
    const back = await w.call('POST', '/api/v1/bulk/unarchive', {
      selection: { query: { status: 'archived' } },
      confirm_count: 1100,
    });
    expect(back.statusCode).toBe(202);
    await work();
    expect((await w.call('GET', `/api/v1/bulk/actions/${back.json().id}`)).json()).toMatchObject({
      status: 'completed',
      done: 1100,
    });
    expect(await w.count()).toBe(1103);
  });
});
