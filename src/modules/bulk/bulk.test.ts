import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { join, newApiKey, newUser, runDueJobs, setupTestApp, withKey } from '../../../test/support/app.ts';
import { insertClients, segmentWorld } from '../segments/segment-test-helpers.ts';
import { createSegment } from '../segments/segments.service.ts';
import { createTemplate } from '../templates/templates.service.ts';
import { bulkTestHooks } from './bulk.service.ts';

const t = setupTestApp({ CLIENTELA_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'clientela-bulk-')) });

const work = () => runDueJobs(t);

afterEach(() => {
  bulkTestHooks.chunkSize = null;
  bulkTestHooks.afterChunk = null;
});

async function world() {
  const w = await segmentWorld(t, {
    customFields: [{ key: 'tier', label: 'Tier', type: 'select', options: ['gold', 'silver'] }],
  });
  const ids = await insertClients(w.db, w.workspaceId, [
    { first_name: 'Ana', email: 'ana@example.com', city: 'Madrid', tags: ['vip'], consent: { email: true } },
    { first_name: 'Bruno', email: 'bruno@example.com', city: 'Madrid', consent: { email: true } },
    { first_name: 'Chloé', email: 'chloe@example.com', city: 'Sevilla', tags: ['vip'] },
    { first_name: 'Dani', city: 'Valencia' },
  ]);
  const tagsOf = async (id: string) =>
    (
      await w.db.execute<{
        name: string;
      }>(sql`select t.name from client_tags ct join tags t on t.id = ct.tag_id
        where ct.client_id = ${id} order by t.name`)
    ).rows.map((r) => r.name);
  const column = async (id: string, name: string) =>
    (
      await w.db.execute<Record<string, unknown>>(
        sql`select ${sql.identifier(name)} as v from clients where id = ${id}`,
      )
    ).rows[0]?.v;
  const audit = async (action: string) =>
    (
      await w.db.execute<{ changes: Record<string, { after: unknown }> }>(sql`select changes from audit_log
        where workspace_id = ${w.workspaceId} and action = ${action} order by created_at desc`)
    ).rows;
  return { ...w, ids, tagsOf, column, audit };
}

describe('bulk actions', () => {
  it('previews the exact count of each kind of selection, re-evaluated on the server', async () => {
    const w = await world();
    const count = async (selection: unknown) => {
      const r = await w.call('POST', '/api/v1/bulk/preview', { selection });
      expect(r.statusCode, r.body).toBe(200);
      return r.json().count;
    };
    expect(await count({ client_ids: [w.ids[0], w.ids[1]] })).toBe(2);
    expect(await count({ definition: { field: 'city', op: 'eq', value: 'madrid' } })).toBe(2);
    expect(await count({ query: { tag: 'vip' } })).toBe(2);
    expect(await count({ query: { filter: 'city:Madrid' } })).toBe(2);
    expect(await count({ query: { q: 'chlo' } })).toBe(1);
    const segment = await createSegment(w.db, w.ctx, {
      name: 'Not Madrid',
      definition: { not: { field: 'city', op: 'eq', value: 'Madrid' } },
    });
    expect(await count({ segment_id: segment.id })).toBe(2);
    // Exactly one kind; a bad tree names its path under /selection/definition.
    const two = await w.call('POST', '/api/v1/bulk/preview', {
      selection: { client_ids: [], segment_id: segment.id },
    });
    expect(two.statusCode).toBe(400);
    const bad = await w.call('POST', '/api/v1/bulk/preview', {
      selection: { definition: { field: 'email', op: 'gt', value: 3 } },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].path).toMatch(/^\/selection\/definition/);
  });

  it('adds and removes tags set-based, on the timeline, audited with the selection and the count', async () => {
    const w = await world();
    const added = await w.call('POST', '/api/v1/bulk/add_tags', {
      selection: { query: { filter: 'city:Madrid' } },
      tags: ['vip', 'spring'],
    });
    expect(added.statusCode, added.body).toBe(200);
    expect(added.json()).toMatchObject({ status: 'completed', total: 2, processed: 2, done: 2, skipped: 0 });
    expect(await w.tagsOf(w.ids[0]!)).toEqual(['spring', 'vip']);
    expect(await w.tagsOf(w.ids[1]!)).toEqual(['spring', 'vip']);
    expect(await w.tagsOf(w.ids[3]!)).toEqual([]);
    // Again: nothing new, both skipped as already tagged.
    const again = await w.call('POST', '/api/v1/bulk/add_tags', {
      selection: { query: { filter: 'city:Madrid' } },
      tags: ['spring'],
    });
    expect(again.json()).toMatchObject({
      done: 0,
      skipped: 2,
      skipped_by_reason: [{ reason: 'already_tagged', count: 2 }],
    });
    const history = await w.db.execute<{ data: { added: string[] } }>(sql`
      select data from client_history where client_id = ${w.ids[1]} and kind = 'tags'`);
    expect(history.rows.map((r) => r.data.added)).toEqual([['spring', 'vip']]);
    const [entry] = await w.audit('bulk.add_tags');
    expect(entry!.changes.count!.after).toBe(2);
    expect(entry!.changes.selection!.after).toEqual({ query: { filter: 'city:Madrid' } });

    const removed = await w.call('POST', '/api/v1/bulk/remove_tags', {
      selection: { client_ids: w.ids },
      tags: ['VIP'],
    });
    expect(removed.json()).toMatchObject({ total: 4, done: 3, skipped: 1 });
    expect(await w.tagsOf(w.ids[0]!)).toEqual(['spring']);
    expect(await w.tagsOf(w.ids[2]!)).toEqual([]);
  });

  it('sets a label, a field, a custom field and an account manager, checking each value first', async () => {
    const w = await world();
    const madrid = { definition: { field: 'city', op: 'eq', value: 'Madrid' } };
    const label = await w.call('POST', '/api/v1/bulk/set_label', { selection: madrid, label: 'customer' });
    expect(label.json()).toMatchObject({ status: 'completed', done: 2 });
    expect(await w.column(w.ids[0]!, 'label')).toBe('customer');
    expect(await w.column(w.ids[3]!, 'label')).toBeNull();
    const unknownLabel = await w.call('POST', '/api/v1/bulk/set_label', {
      selection: madrid,
      label: 'martian',
    });
    expect(unknownLabel.statusCode).toBe(400);
    expect(unknownLabel.json().error.details[0].path).toBe('/value');

    const field = await w.call('POST', '/api/v1/bulk/set_field', {
      selection: { client_ids: [w.ids[3]] },
      field: 'timezone',
      value: 'Europe/Paris',
    });
    expect(field.json()).toMatchObject({ done: 1 });
    expect(await w.column(w.ids[3]!, 'timezone')).toBe('Europe/Paris');
    const badZone = await w.call('POST', '/api/v1/bulk/set_field', {
      selection: { client_ids: [w.ids[3]] },
      field: 'timezone',
      value: 'Mars/Olympus',
    });
    expect(badZone.statusCode).toBe(400);

    const custom = await w.call('POST', '/api/v1/bulk/set_custom_field', {
      selection: madrid,
      key: 'tier',
      value: 'gold',
    });
    expect(custom.json()).toMatchObject({ done: 2 });
    expect(await w.column(w.ids[0]!, 'custom')).toEqual({ tier: 'gold' });
    const badOption = await w.call('POST', '/api/v1/bulk/set_custom_field', {
      selection: madrid,
      key: 'tier',
      value: 'platinum',
    });
    expect(badOption.statusCode).toBe(400);
    const fields = await w.db.execute<{ data: { changes: Record<string, unknown> } }>(sql`
      select data from client_history where client_id = ${w.ids[0]} and kind = 'fields' order by occurred_at`);
    expect(fields.rows.map((r) => Object.keys(r.data.changes)[0])).toEqual(['label', 'custom.tier']);

    const user = await newUser(t, 'Marta Manager');
    const notMember = await w.call('POST', '/api/v1/bulk/assign_manager', {
      selection: madrid,
      user_id: user.id,
    });
    expect(notMember.statusCode).toBe(400);
    await join(t, w.workspaceId, user, 'agent');
    const assigned = await w.call('POST', '/api/v1/bulk/assign_manager', {
      selection: madrid,
      user_id: user.id,
    });
    expect(assigned.json()).toMatchObject({ done: 2 });
    expect(await w.column(w.ids[1]!, 'account_manager_id')).toBe(user.id);
  });

  it('touches nothing of another workspace: its client ids match nobody', async () => {
    const a = await world();
    const b = await world();
    const attempt = await b.call('POST', '/api/v1/bulk/add_tags', {
      selection: { client_ids: a.ids },
      tags: ['hacked'],
    });
    expect(attempt.json()).toMatchObject({ total: 0, done: 0 });
    for (const id of a.ids) expect(await a.tagsOf(id)).not.toContain('hacked');
    const del = await b.call('POST', '/api/v1/bulk/delete', {
      selection: { client_ids: a.ids },
      confirm_count: 0,
    });
    expect(del.json()).toMatchObject({ total: 0, done: 0 });
    expect(await a.column(a.ids[0]!, 'id')).toBe(a.ids[0]);
    // Nor can it read another workspace's bulk action.
    expect((await b.call('GET', `/api/v1/bulk/actions/${attempt.json().id}`)).statusCode).toBe(200);
    expect((await a.call('GET', `/api/v1/bulk/actions/${attempt.json().id}`)).statusCode).toBe(404);
  });

  it('lets viewers do nothing, agents tag and export, marketers send and issue coupons, admins delete', async () => {
    const w = await world();
    const as = async (role: 'viewer' | 'agent' | 'marketer' | 'admin') =>
      withKey(t, await newApiKey(t, w.workspaceId, role));
    const selection = { client_ids: [w.ids[0]] };
    const coupons = { selection, discount_type: 'percentage', discount_value: 10, valid_days: 30 };
    const viewer = await as('viewer');
    expect((await viewer('POST', '/api/v1/bulk/add_tags', { selection, tags: ['x'] })).statusCode).toBe(403);
    expect((await viewer('POST', '/api/v1/bulk/preview', { selection })).statusCode).toBe(403);
    const agent = await as('agent');
    expect((await agent('POST', '/api/v1/bulk/add_tags', { selection, tags: ['x'] })).statusCode).toBe(200);
    expect((await agent('POST', '/api/v1/bulk/export', { selection, format: 'csv' })).statusCode).toBe(200);
    expect((await agent('POST', '/api/v1/bulk/coupons', coupons)).statusCode).toBe(403);
    expect((await agent('POST', '/api/v1/bulk/set_label', { selection, label: 'customer' })).statusCode).toBe(
      403,
    );
    const marketer = await as('marketer');
    expect((await marketer('POST', '/api/v1/bulk/coupons', coupons)).statusCode).toBe(200);
    expect((await marketer('POST', '/api/v1/bulk/delete', { selection, confirm_count: 1 })).statusCode).toBe(
      403,
    );
    const admin = await as('admin');
    expect((await admin('POST', '/api/v1/bulk/delete', { selection, confirm_count: 1 })).statusCode).toBe(
      200,
    );
  });

  it('deletes only when the typed count matches what the selection matches now', async () => {
    const w = await world();
    const selection = { query: { filter: 'city:Madrid' } };
    const wrong = await w.call('POST', '/api/v1/bulk/delete', { selection, confirm_count: 3 });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.details[0]).toMatchObject({ path: '/confirm_count' });
    expect(wrong.json().error.details[0].message).toContain('2');
    expect(await w.column(w.ids[0]!, 'id')).toBe(w.ids[0]);
    const right = await w.call('POST', '/api/v1/bulk/delete', { selection, confirm_count: 2 });
    expect(right.json()).toMatchObject({ status: 'completed', done: 2 });
    expect(await w.column(w.ids[0]!, 'id')).toBeUndefined();
    expect(await w.column(w.ids[2]!, 'id')).toBe(w.ids[2]);
    expect((await w.audit('bulk.delete'))[0]!.changes.count!.after).toBe(2);
  });

  it('sends through the campaign engine, so the ledger keeps who was skipped and why', async () => {
    const w = await world();
    const template = await createTemplate(w.db, w.ctx, {
      name: 'Hello',
      channel: 'email',
      subject: 'Hola {{ client.first_name }}',
      body: '<p>Hola</p>',
    });
    const sent = await w.call('POST', '/api/v1/bulk/send', {
      selection: { query: { filter: 'city:Madrid' } },
      channel: 'email',
      template_id: template.id,
      name: 'Madrid hello',
    });
    expect(sent.statusCode, sent.body).toBe(200);
    const campaignId = sent.json().result.campaign_id;
    expect(campaignId).toBeTruthy();
    const wrongChannel = await w.call('POST', '/api/v1/bulk/send', {
      selection: { client_ids: w.ids },
      channel: 'sms',
      template_id: template.id,
    });
    expect(wrongChannel.statusCode).toBe(400);
    // Everyone in the selection, also those who will be skipped.
    const all = await w.call('POST', '/api/v1/bulk/send', {
      selection: { client_ids: w.ids },
      channel: 'email',
      template_id: template.id,
    });
    await work();
    const campaign = (await w.call('GET', `/api/v1/campaigns/${campaignId}`)).json();
    expect(campaign).toMatchObject({ name: 'Madrid hello', status: 'sent', audience_count: 2 });
    const skipped = await w.db.execute<{ reason: string; n: number }>(sql`
      select skip_reason as reason, count(*)::int as n from deliveries where campaign_id = ${all.json().result.campaign_id}
      and status = 'skipped' group by 1 order by 1`);
    expect(skipped.rows).toEqual([
      { reason: 'no_address', n: 1 },
      { reason: 'no_consent', n: 1 },
    ]);
  });

  it('exports through the exports module', async () => {
    const w = await world();
    const r = await w.call('POST', '/api/v1/bulk/export', {
      selection: { definition: { field: 'tags', op: 'has', value: 'vip' } },
      format: 'csv',
      fields: ['first_name', 'email'],
    });
    expect(r.statusCode, r.body).toBe(200);
    await work();
    const exported = (await w.call('GET', `/api/v1/exports/${r.json().result.export_id}`)).json();
    expect(exported).toMatchObject({ status: 'completed', total_rows: 2 });
    const file = await t.inject({ method: 'GET', url: exported.download_url });
    expect(file.body).toContain('Ana');
    expect(file.body).toContain('Chloé');
    expect(file.body).not.toContain('Bruno');
  });

  it('runs 1,000 clients or more as a job with progress, and a cancel stops it between chunks', async () => {
    const w = await world();
    const many = await insertClients(
      w.db,
      w.workspaceId,
      Array.from({ length: 1200 }, (_, i) => ({ first_name: `C${i}`, city: 'Bilbao' })),
    );
    const selection = { query: { filter: 'city:Bilbao' } };
    const queued = await w.call('POST', '/api/v1/bulk/add_tags', { selection, tags: ['north'] });
    expect(queued.statusCode, queued.body).toBe(202);
    expect(queued.json()).toMatchObject({ status: 'queued', total: 1200, processed: 0 });
    bulkTestHooks.chunkSize = 500;
    const seen: number[] = [];
    bulkTestHooks.afterChunk = async (id) => {
      seen.push((await w.call('GET', `/api/v1/bulk/actions/${id}`)).json().processed);
    };
    await work();
    expect(seen).toEqual([500, 1000, 1200]);
    const done = (await w.call('GET', `/api/v1/bulk/actions/${queued.json().id}`)).json();
    expect(done).toMatchObject({ status: 'completed', total: 1200, processed: 1200, done: 1200 });
    const tagged = await w.db.execute<{ n: number }>(sql`select count(*)::int as n from client_tags ct
      join tags t on t.id = ct.tag_id where t.name = 'north' and ct.workspace_id = ${w.workspaceId}`);
    expect(tagged.rows[0]!.n).toBe(1200);

    const second = (await w.call('POST', '/api/v1/bulk/add_tags', { selection, tags: ['cancelled'] })).json();
    bulkTestHooks.afterChunk = async (id) => {
      const r = await w.call('POST', `/api/v1/bulk/actions/${id}/cancel`);
      expect(r.statusCode).toBe(200);
    };
    await work();
    const cancelled = (await w.call('GET', `/api/v1/bulk/actions/${second.id}`)).json();
    expect(cancelled).toMatchObject({ status: 'cancelled', total: 1200, processed: 500, done: 500 });
    expect((await w.call('POST', `/api/v1/bulk/actions/${second.id}/cancel`)).statusCode).toBe(422);
    expect((await w.audit('bulk.cancelled')).length).toBe(1);
    expect(many.length).toBe(1200);
    const list = (await w.call('GET', '/api/v1/bulk/actions')).json();
    expect(list.actions[0]).toMatchObject({ id: second.id, status: 'cancelled' });
  });
});
