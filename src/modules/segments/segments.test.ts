import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newApiKey, setupTestApp, withKey } from '../../../test/support/app.ts';
import { insertClients, insertEvents, segmentWorld } from './segment-test-helpers.ts';
import { segments } from './segments.schema.ts';
import { countWorkspaceSegments, refreshPresets } from './segments.service.ts';

const t = setupTestApp();
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

async function world() {
  const w = await segmentWorld(t, { locations: 1 });
  const role = async (r: 'viewer' | 'agent' | 'marketer' | 'admin') =>
    withKey(t, await newApiKey(t, w.workspaceId, r));
  return { ...w, role };
}

async function auditActions(workspaceId: string, entityId: string) {
  const rows = await t.app.dbHandle.db.execute<{ action: string; actor_label: string }>(
    sql`select action, actor_label from audit_log where workspace_id = ${workspaceId} and entity_id = ${entityId} order by created_at`,
  );
  return rows.rows.map((r) => r.action);
}

describe('POST /api/v1/segments/evaluate', () => {
  it('counts and previews with the list JSON of clients, pages with a cursor, counts only with limit 0', async () => {
    const w = await world();
    const ids = await insertClients(
      w.db,
      w.workspaceId,
      Array.from({ length: 7 }, (_, i) => ({
        first_name: `Client ${i}`,
        email: `c${i}@example.com`,
        city: i % 2 ? 'Madrid' : 'Sevilla',
        created_at: ago(10 - i),
        tags: i === 1 ? ['VIP'] : [],
      })),
    );
    const tree = { field: 'city', op: 'eq', value: 'MADRID' };
    const first = await w.call('POST', '/api/v1/segments/evaluate', { definition: tree, limit: 2 });
    expect(first.statusCode).toBe(200);
    const body = first.json();
    expect(body.count).toBe(3);
    expect(body.clients.map((c: { id: string }) => c.id)).toEqual([ids[5], ids[3]]);
    expect(body.clients[0]).toMatchObject({
      name: 'Client 5',
      email: 'c5@example.com',
      city: 'Madrid',
      tags: [],
      consent: { email: false, sms: false, whatsapp: false, push: false },
    });
    const second = (
      await w.call('POST', '/api/v1/segments/evaluate', {
        definition: tree,
        limit: 2,
        cursor: body.next_cursor,
      })
    ).json();
    expect(second.clients.map((c: { id: string }) => c.id)).toEqual([ids[1]]);
    expect(second.clients[0].tags).toEqual(['VIP']);
    expect(second.next_cursor).toBeNull();
    const countOnly = (
      await w.call('POST', '/api/v1/segments/evaluate', { definition: { all: [] }, limit: 0 })
    ).json();
    expect(countOnly).toEqual({ count: 7, clients: [], next_cursor: null });
    // The builder's preview asks for the page alone: same clients and cursor, no count.
    const pageOnly = (
      await w.call('POST', '/api/v1/segments/evaluate', { definition: tree, limit: 2, count: false })
    ).json();
    expect(pageOnly).toEqual({ ...body, count: null });
    const badCursor = await w.call('POST', '/api/v1/segments/evaluate', { definition: tree, cursor: 'nope' });
    expect(badCursor.statusCode).toBe(400);
  });

  it('answers 400 INVALID_SEGMENT with every problem, its pointer into the tree, its code and params', async () => {
    const w = await world();
    const response = await w.call('POST', '/api/v1/segments/evaluate', {
      definition: {
        all: [
          { field: 'email', op: 'gt', value: 'a' },
          { field: 'custom.nope', op: 'eq', value: 1 },
          { field: 'created_at', op: 'before', value: 'yesterday' },
        ],
      },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toEqual({
      code: 'INVALID_SEGMENT',
      message: 'The segment definition is invalid',
      details: [
        {
          path: '/all/0/op',
          message: "operator 'gt' is not valid for text field 'email'",
          code: 'operator_not_for_field',
          params: {
            op: 'gt',
            field: 'email',
            allowed:
              'eq, neq, contains, not_contains, starts_with, ends_with, in, not_in, is_set, is_not_set',
          },
        },
        {
          path: '/all/1/field',
          message: "unknown custom field 'nope'",
          code: 'unknown_custom_field',
          params: { key: 'nope' },
        },
        {
          path: '/all/2/value',
          message: 'must be an ISO-8601 date (YYYY-MM-DD) or date-time with a zone (2025-03-01T09:30:00Z)',
          code: 'date_required',
        },
      ],
    });
    // The OpenAPI document names the two additive fields of a problem.
    const doc = (await t.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const detail =
      doc.paths['/api/v1/segments/evaluate'].post.responses['400'].content['application/json'].schema
        .properties.error.properties.details.items;
    expect(Object.keys(detail.properties)).toEqual(expect.arrayContaining(['code', 'params']));
    const body = await w.call('POST', '/api/v1/segments/evaluate', {
      definition: { all: [] },
      limit: 500,
      extra: 1,
    });
    expect(body.statusCode).toBe(400);
    expect(body.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('hostile bodies: 5 MB → 413, 10,000 levels → 400 fast, __proto__ → 400, metacharacters stay values', async () => {
    const w = await world();
    const huge = JSON.stringify({
      definition: { field: 'city', op: 'eq', value: 'x'.repeat(5 * 1024 * 1024) },
    });
    const tooLarge = await t.inject({
      method: 'POST',
      url: '/api/v1/segments/evaluate',
      headers: {
        authorization: (await keyHeader(w.workspaceId)).authorization,
        'content-type': 'application/json',
      },
      payload: huge,
    });
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json().error.code).toBe('PAYLOAD_TOO_LARGE');

    let deep = '{"field":"city","op":"is_set"}';
    for (let i = 0; i < 10_000; i += 1) deep = `{"not":${deep}}`;
    const started = Date.now();
    const nested = await t.inject({
      method: 'POST',
      url: '/api/v1/segments/evaluate',
      headers: { ...(await keyHeader(w.workspaceId)), 'content-type': 'application/json' },
      payload: `{"definition":${deep}}`,
    });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(nested.statusCode).toBe(400);
    expect(nested.json().error.details).toHaveLength(1);
    expect(nested.json().error.details[0].message).toMatch(/too deep/);

    const proto = await t.inject({
      method: 'POST',
      url: '/api/v1/segments/evaluate',
      headers: { ...(await keyHeader(w.workspaceId)), 'content-type': 'application/json' },
      payload: '{"definition":{"field":"city","op":"eq","value":"x","__proto__":{"op":"gt"}}}',
    });
    expect(proto.statusCode).toBe(400);
    const ctorField = await w.call('POST', '/api/v1/segments/evaluate', {
      definition: { field: 'constructor', op: 'eq', value: 'x' },
    });
    expect(ctorField.statusCode).toBe(400);
    expect(ctorField.json().error.details).toEqual([
      {
        path: '/field',
        message: "unknown field 'constructor'",
        code: 'unknown_field',
        params: { field: 'constructor' },
      },
    ]);

    for (const value of [1e308, -1e308, 'NaN', 'Infinity']) {
      const r = await w.call('POST', '/api/v1/segments/evaluate', {
        definition: { field: 'lifetime_value', op: 'gt', value },
      });
      expect(r.statusCode, String(value)).toBe(400);
    }
    const wide = await w.call('POST', '/api/v1/segments/evaluate', {
      definition: { any: Array.from({ length: 20_000 }, () => ({ field: 'city', op: 'is_set' })) },
    });
    expect(wide.statusCode).toBe(400);
    const [meta] = await insertClients(w.db, w.workspaceId, [
      { first_name: "Robert'); DROP TABLE clients;--" },
    ]);
    const injection = await w.call('POST', '/api/v1/segments/evaluate', {
      definition: { field: 'first_name', op: 'eq', value: "robert'); drop table clients;--" },
    });
    expect(injection.json().clients.map((c: { id: string }) => c.id)).toEqual([meta]);
  });

  it('lets a viewer evaluate; hides custom fields the role may not see', async () => {
    const w = await world();
    await w.call('POST', '/api/v1/custom-fields', {
      key: 'salary',
      label: 'Salary',
      type: 'number',
      visible_min_role: 'admin',
    });
    await insertClients(w.db, w.workspaceId, [{ first_name: 'Rich', custom: { salary: 100_000 } }]);
    const viewer = await w.role('viewer');
    const tree = { field: 'custom.salary', op: 'gt', value: 50_000 };
    const asViewer = await viewer('POST', '/api/v1/segments/evaluate', { definition: tree });
    expect(asViewer.statusCode).toBe(400);
    expect(asViewer.json().error.details).toEqual([
      {
        path: '/field',
        message: "unknown custom field 'salary'",
        code: 'unknown_custom_field',
        params: { key: 'salary' },
      },
    ]);
    const admin = await w.role('admin');
    expect((await admin('POST', '/api/v1/segments/evaluate', { definition: tree })).json().count).toBe(1);
    // The page of members hides the field's value from the viewer, not from the admin.
    const everyone = { definition: { field: 'first_name', op: 'eq', value: 'Rich' } };
    const viewerPage = (await viewer('POST', '/api/v1/segments/evaluate', everyone)).json();
    expect(viewerPage.clients).toHaveLength(1);
    expect(viewerPage.clients[0].custom).toEqual({});
    const adminPage = (await admin('POST', '/api/v1/segments/evaluate', everyone)).json();
    expect(adminPage.clients[0].custom).toEqual({ salary: 100_000 });
  });
});

async function keyHeader(workspaceId: string) {
  return { authorization: `Bearer ${await newApiKey(t, workspaceId, 'owner')}` };
}

describe('saved segments', () => {
  it('create, get, list, patch, duplicate, archive and restore, each audited; roles enforced', async () => {
    const w = await world();
    const marketer = await w.role('marketer');
    const viewer = await w.role('viewer');
    await insertClients(w.db, w.workspaceId, [
      { first_name: 'A', city: 'Madrid' },
      { first_name: 'B', city: 'Bilbao' },
    ]);
    const definition = { field: 'city', op: 'eq', value: 'madrid' };
    expect((await viewer('POST', '/api/v1/segments', { name: 'x', definition })).statusCode).toBe(403);
    const created = await marketer('POST', '/api/v1/segments', {
      name: '  Madrid  ',
      description: 'Clients in Madrid',
      definition,
    });
    expect(created.statusCode).toBe(201);
    const segment = created.json();
    expect(segment).toMatchObject({
      name: 'Madrid',
      description: 'Clients in Madrid',
      kind: 'dynamic',
      definition,
      preset: null,
      archived: false,
      last_count: null,
      used_by: [],
      problems: [],
    });
    const got = (await viewer('GET', `/api/v1/segments/${segment.id}`)).json();
    expect(got).toMatchObject({ id: segment.id, name: 'Madrid' });
    const members = (await viewer('GET', `/api/v1/segments/${segment.id}/clients?limit=10`)).json();
    expect(members.count).toBe(1);
    expect(members.clients[0].name).toBe('A');
    expect((await viewer('GET', `/api/v1/segments/${segment.id}`)).json().last_count).toBe(1);

    const invalid = await marketer('PATCH', `/api/v1/segments/${segment.id}`, {
      definition: { field: 'city', op: 'gt', value: 1 },
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().error.code).toBe('INVALID_SEGMENT');
    const patched = await marketer('PATCH', `/api/v1/segments/${segment.id}`, {
      name: 'Bilbao',
      definition: { field: 'city', op: 'eq', value: 'bilbao' },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ name: 'Bilbao', definition: { value: 'bilbao' } });

    const copy = await marketer('POST', `/api/v1/segments/${segment.id}/duplicate`, {});
    expect(copy.statusCode).toBe(201);
    expect(copy.json()).toMatchObject({
      name: 'Bilbao (copy)',
      kind: 'dynamic',
      definition: { value: 'bilbao' },
    });
    expect(copy.json().id).not.toBe(segment.id);

    expect((await marketer('DELETE', `/api/v1/segments/${segment.id}`)).statusCode).toBe(204);
    expect((await marketer('DELETE', `/api/v1/segments/${segment.id}`)).statusCode).toBe(204);
    const listed = (await viewer('GET', '/api/v1/segments')).json().segments.map((s: { id: string }) => s.id);
    expect(listed).not.toContain(segment.id);
    expect(listed).toContain(copy.json().id);
    const withArchived = (await viewer('GET', '/api/v1/segments?include_archived=true')).json();
    expect(withArchived.segments.find((s: { id: string }) => s.id === segment.id)).toMatchObject({
      archived: true,
    });
    const restored = await marketer('PATCH', `/api/v1/segments/${segment.id}`, { archived: false });
    expect(restored.json()).toMatchObject({ archived: false, archived_at: null });

    expect(await auditActions(w.workspaceId, segment.id)).toEqual([
      'segment.created',
      'segment.updated',
      'segment.archived',
      'segment.updated',
    ]);
    expect(await auditActions(w.workspaceId, copy.json().id)).toEqual(['segment.created']);
  });

  it('archive and restore take a marketer whichever way they are asked (PATCH or DELETE); below that 403 and nothing changes', async () => {
    const w = await world();
    const segment = (
      await w.call('POST', '/api/v1/segments', {
        name: 'Roles',
        definition: { field: 'city', op: 'eq', value: 'madrid' },
      })
    ).json();
    const path = `/api/v1/segments/${segment.id}`;
    const archived = async () => (await w.call('GET', path)).json().archived as boolean;
    for (const role of ['viewer', 'agent'] as const) {
      const call = await w.role(role);
      expect((await call('PATCH', path, { archived: true })).statusCode, role).toBe(403);
      expect((await call('DELETE', path)).statusCode, role).toBe(403);
      expect(await archived()).toBe(false);
    }
    for (const role of ['marketer', 'admin'] as const) {
      const call = await w.role(role);
      expect((await call('PATCH', path, { archived: true })).statusCode, role).toBe(200);
      expect(await archived()).toBe(true);
      expect((await call('PATCH', path, { archived: false })).statusCode, role).toBe(200);
      expect((await call('DELETE', path)).statusCode, role).toBe(204);
      expect(await archived()).toBe(true);
      // A viewer or agent cannot restore it either.
      for (const below of ['viewer', 'agent'] as const)
        expect((await (await w.role(below))('PATCH', path, { archived: false })).statusCode).toBe(403);
      expect((await call('PATCH', path, { archived: false })).statusCode, role).toBe(200);
    }
    // A marketer of another workspace finds no such segment, either way.
    const stranger = await (await world()).role('marketer');
    expect((await stranger('DELETE', path)).statusCode).toBe(404);
    expect((await stranger('PATCH', path, { archived: true })).statusCode).toBe(404);
    expect(await archived()).toBe(false);
    // The OpenAPI document says the same least role for both ways of archiving.
    const doc = (await t.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const operations = doc.paths['/api/v1/segments/{id}'];
    expect(operations.patch['x-min-role']).toBe('marketer');
    expect(operations.delete['x-min-role']).toBe('marketer');
  });

  it('lists the campaigns and bulk actions that use it, and is not archived while one still has to read it', async () => {
    const w = await world();
    await insertClients(w.db, w.workspaceId, [
      { first_name: 'Ana', email: 'ana@example.com', city: 'Madrid', consent: { email: true } },
      { first_name: 'Bruno', email: 'bruno@example.com', city: 'Bilbao', consent: { email: true } },
    ]);
    const segment = (
      await w.call('POST', '/api/v1/segments', {
        name: 'Madrid',
        definition: { field: 'city', op: 'eq', value: 'madrid' },
      })
    ).json();
    const tagged = await w.call('POST', '/api/v1/bulk/add_tags', {
      selection: { segment_id: segment.id },
      tags: ['spring'],
    });
    expect(tagged.json()).toMatchObject({ status: 'completed', done: 1 });
    const afterBulk = (await w.call('GET', `/api/v1/segments/${segment.id}`)).json();
    expect(afterBulk.used_by).toEqual([
      { type: 'bulk_action', id: tagged.json().id, name: 'add_tags', pending: false },
    ]);
    expect(afterBulk.last_used_at).not.toBeNull();

    // A campaign that picks its recipients at send time still has to read the segment.
    const campaign = (
      await w.call('POST', '/api/v1/campaigns', {
        name: 'Spring',
        channel: 'email',
        content: { subject: 'Hola', body: '<p>Hola</p>' },
        audience: { segment_id: segment.id },
      })
    ).json();
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const scheduled = await w.call('POST', `/api/v1/campaigns/${campaign.id}/send`, {
      at,
      determine_recipients: 'at_send',
    });
    expect(scheduled.json()).toMatchObject({ status: 'scheduled' });
    const listed = (await w.call('GET', '/api/v1/segments')).json().segments;
    expect(listed.find((s: { id: string }) => s.id === segment.id).used_by).toEqual([
      { type: 'campaign', id: campaign.id, name: 'Spring', pending: true },
      { type: 'bulk_action', id: tagged.json().id, name: 'add_tags', pending: false },
    ]);
    const admin = await w.role('admin');
    for (const refused of [
      await admin('DELETE', `/api/v1/segments/${segment.id}`),
      await w.call('PATCH', `/api/v1/segments/${segment.id}`, { archived: true }),
    ]) {
      expect(refused.statusCode).toBe(409);
      expect(refused.json().error).toMatchObject({
        code: 'CONFLICT',
        message: '"Madrid" cannot be archived yet: a campaign or bulk action still has to read its members',
        details: [
          {
            path: '/used_by/0',
            message: `campaign "Spring" (${campaign.id}) reads this segment when it runs: send, cancel or change it first`,
          },
        ],
      });
    }
    expect((await w.call('GET', `/api/v1/segments/${segment.id}`)).json().archived).toBe(false);

    // Cancelled, it no longer needs the segment: archiving goes through.
    expect((await w.call('POST', `/api/v1/campaigns/${campaign.id}/cancel`)).statusCode).toBe(200);
    expect((await w.call('GET', `/api/v1/segments/${segment.id}`)).json().used_by[0]).toMatchObject({
      type: 'campaign',
      pending: false,
    });
    expect((await admin('DELETE', `/api/v1/segments/${segment.id}`)).statusCode).toBe(204);
  });

  it('reports a saved tree that no longer evaluates (an archived custom field) instead of failing the list', async () => {
    const w = await world();
    const field = (
      await w.call('POST', '/api/v1/custom-fields', { key: 'tier', label: 'Tier', type: 'text' })
    ).json();
    const segment = (
      await w.call('POST', '/api/v1/segments', {
        name: 'Gold',
        definition: { field: 'custom.tier', op: 'eq', value: 'gold' },
      })
    ).json();
    await w.call('DELETE', `/api/v1/custom-fields/${field.id}`);
    const got = (await w.call('GET', `/api/v1/segments/${segment.id}`)).json();
    expect(got.problems).toEqual([
      {
        path: '/field',
        message: "custom field 'tier' is archived",
        code: 'custom_field_archived',
        params: { key: 'tier' },
      },
    ]);
    const members = await w.call('GET', `/api/v1/segments/${segment.id}/clients`);
    expect(members.statusCode).toBe(400);
    expect(members.json().error).toMatchObject({
      code: 'INVALID_SEGMENT',
      message: 'The definition of the segment "Gold" is no longer valid; edit it',
    });
    expect((await w.call('GET', '/api/v1/segments')).statusCode).toBe(200);
  });

  it('validates names, kinds and definitions together', async () => {
    const w = await world();
    const response = await w.call('POST', '/api/v1/segments', {
      name: ' ',
      kind: 'static',
      definition: { all: [] },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.details).toEqual([
      { path: '/name', message: 'is required' },
      { path: '/definition', message: 'a static segment has members, not a definition' },
    ]);
    const missing = await w.call('POST', '/api/v1/segments', { name: 'x' });
    expect(missing.json().error.details).toEqual([
      { path: '/definition', message: 'a dynamic segment needs a definition' },
    ]);
  });
});

describe('static segments', () => {
  it('from client ids (another workspace’s id → 400 naming its index), add and remove members, freeze, duplicate', async () => {
    const w = await world();
    const other = await world();
    const [otherClient] = await insertClients(other.db, other.workspaceId, [{ first_name: 'Theirs' }]);
    const ids = await insertClients(
      w.db,
      w.workspaceId,
      Array.from({ length: 5 }, (_, i) => ({
        first_name: `C${i}`,
        city: i < 3 ? 'Madrid' : 'Lyon',
        created_at: ago(10 - i),
      })),
    );
    const [erased] = await insertClients(w.db, w.workspaceId, [{ first_name: 'Erased', erased: true }]);
    const refused = await w.call('POST', '/api/v1/segments', {
      name: 'List',
      kind: 'static',
      client_ids: [ids[0], otherClient, ids[1], erased],
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.details).toEqual([
      { path: '/client_ids/1', message: 'no such client in this workspace' },
      { path: '/client_ids/3', message: 'no such client in this workspace' },
    ]);
    const created = await w.call('POST', '/api/v1/segments', {
      name: 'List',
      kind: 'static',
      client_ids: [ids[0], ids[1], ids[1]],
    });
    expect(created.statusCode).toBe(201);
    const list = created.json();
    expect(list).toMatchObject({ kind: 'static', definition: null, last_count: 2 });
    const changed = await w.call('POST', `/api/v1/segments/${list.id}/members`, {
      add: [ids[4]],
      remove: [ids[0]],
    });
    expect(changed.json()).toEqual({ added: 1, removed: 1, count: 2 });
    const badAdd = await w.call('POST', `/api/v1/segments/${list.id}/members`, {
      add: [ids[2], otherClient],
    });
    expect(badAdd.json().error.details).toEqual([
      { path: '/add/1', message: 'no such client in this workspace' },
    ]);
    const members = (await w.call('GET', `/api/v1/segments/${list.id}/clients`)).json();
    expect(members.clients.map((c: { id: string }) => c.id)).toEqual([ids[4], ids[1]]);

    const dynamic = (
      await w.call('POST', '/api/v1/segments', {
        name: 'Madrid',
        definition: { field: 'city', op: 'eq', value: 'Madrid' },
      })
    ).json();
    const notStatic = await w.call('POST', `/api/v1/segments/${dynamic.id}/members`, { add: [ids[0]] });
    expect(notStatic.statusCode).toBe(422);
    const frozen = await w.call('POST', `/api/v1/segments/${dynamic.id}/freeze`, { name: 'Madrid in June' });
    expect(frozen.statusCode).toBe(201);
    expect(frozen.json()).toMatchObject({
      name: 'Madrid in June',
      kind: 'static',
      definition: null,
      last_count: 3,
    });
    // Later changes to the clients don't change a frozen segment.
    await w.db.execute(sql`update clients set city = 'Lyon' where id = ${ids[0]}`);
    const frozenMembers = (await w.call('GET', `/api/v1/segments/${frozen.json().id}/clients`)).json();
    expect(frozenMembers.count).toBe(3);
    expect((await w.call('GET', `/api/v1/segments/${dynamic.id}/clients`)).json().count).toBe(2);
    // A static segment is usable wherever a segment is, e.g. in another freeze or a copy.
    const copy = (await w.call('POST', `/api/v1/segments/${list.id}/duplicate`, { name: 'Copy' })).json();
    expect(copy).toMatchObject({ name: 'Copy', kind: 'static', last_count: 2 });
    expect((await w.call('GET', `/api/v1/segments/${copy.id}/clients`)).json().count).toBe(2);
    expect(await auditActions(w.workspaceId, frozen.json().id)).toEqual(['segment.frozen']);
    expect(await auditActions(w.workspaceId, list.id)).toEqual([
      'segment.created',
      'segment.members_changed',
    ]);
    const patchStatic = await w.call('PATCH', `/api/v1/segments/${list.id}`, { definition: { all: [] } });
    expect(patchStatic.statusCode).toBe(400);
  });
});

describe('the segment list, page by page', () => {
  it('reaches the 250th of 250 segments by cursor, searches names and descriptions (case, accents, LIKE characters), shows archived ones alone, per workspace', async () => {
    const w = await world();
    const other = await world();
    const presets = (await w.call('GET', '/api/v1/segments?limit=200')).json().segments.length;
    // 250 segments, the oldest first, so newest-first pages end with "Campaña 0".
    await w.db.insert(segments).values(
      Array.from({ length: 250 }, (_, i) => ({
        workspaceId: w.workspaceId,
        name: i === 7 ? 'Rebajas 50% off' : `Campaña ${i}`,
        description: i === 3 ? 'Clientes de Málaga' : null,
        kind: 'dynamic' as const,
        definition: { all: [] },
        createdAt: new Date(Date.UTC(2025, 0, 1) + i * 60_000),
      })),
    );
    const readAll = async (query: string, limit: number) => {
      const names: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await w.call(
          'GET',
          `/api/v1/segments?limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        expect(page.statusCode).toBe(200);
        const body = page.json();
        names.push(...body.segments.map((s: { name: string }) => s.name));
        cursor = body.next_cursor;
        pages += 1;
      } while (cursor && pages < 20);
      return { names, pages };
    };
    const everything = await readAll('', 100);
    expect(everything.pages).toBe(Math.ceil((250 + presets) / 100));
    expect(everything.names).toHaveLength(250 + presets);
    expect(new Set(everything.names).size).toBe(everything.names.length);
    expect(everything.names.at(-1)).toBe('Campaña 0');

    // Search: every word, case and accents folded; paged like the list.
    const campaigns = await readAll('&q=CAMPANA', 100);
    expect(campaigns.names).toHaveLength(249);
    expect(campaigns.pages).toBe(3);
    expect((await readAll(`&q=${encodeURIComponent('campaña 249')}`, 50)).names).toEqual(['Campaña 249']);
    expect((await readAll('&q=malaga', 50)).names).toEqual(['Campaña 3']);
    // % and _ are characters to find, not patterns.
    expect((await readAll('&q=0%25', 50)).names).toEqual(['Rebajas 50% off']);
    expect((await readAll('&q=_', 50)).names).toEqual([]);
    // Another workspace finds none of these.
    expect((await other.call('GET', '/api/v1/segments?q=campana')).json().segments).toEqual([]);

    // Archived ones: alone with archived=true, beside the live ones with include_archived=true.
    const listed = (await w.call('GET', '/api/v1/segments?q=campana&limit=2')).json().segments;
    for (const segment of listed)
      expect((await w.call('DELETE', `/api/v1/segments/${segment.id}`)).statusCode).toBe(204);
    expect((await readAll('&archived=true', 50)).names).toEqual(['Campaña 249', 'Campaña 248']);
    expect((await readAll('&archived=true&q=248', 50)).names).toEqual(['Campaña 248']);
    expect((await readAll('&q=campana', 100)).names).toHaveLength(247);
    expect((await readAll('&include_archived=true&q=campana', 100)).names).toHaveLength(249);
    expect((await readAll('&archived=false&include_archived=true&q=campana', 100)).names).toHaveLength(247);
    expect((await w.call('GET', `/api/v1/segments?q=${'x'.repeat(201)}`)).statusCode).toBe(400);
  });
});

describe('presets', () => {
  it('a workspace starts with its presets the first time it lists segments, editable like any segment', async () => {
    const w = await world();
    await insertClients(
      w.db,
      w.workspaceId,
      Array.from({ length: 20 }, (_, i) => ({
        first_name: `C${i}`,
        lifetime_value: (i + 1) * 10,
        label: i < 5 ? 'customer' : null,
      })),
    );
    const listed = (await w.call('GET', '/api/v1/segments')).json().segments;
    // Named in the workspace's language (Spanish by default); they are data, editable like any segment.
    expect(listed.map((s: { name: string }) => s.name)).toEqual([
      'Sin contactar en 30 días',
      'Nuevos este mes',
      'VIP (10 % con más gasto)',
      'En riesgo (riesgo ≥ 70)',
      'Prospect',
      'Customer',
      'Affiliate',
    ]);
    const vip = listed.find((s: { preset: string }) => s.preset === 'vip_ltv_top10');
    expect(vip.definition).toEqual({ field: 'lifetime_value', op: 'gte', value: 180 });
    expect(vip.auto_refresh).toBe(true);
    expect((await w.call('GET', `/api/v1/segments/${vip.id}/clients?limit=0`)).json().count).toBe(3);
    const customers = listed.find((s: { preset: string }) => s.preset === 'label:customer');
    expect((await w.call('GET', `/api/v1/segments/${customers.id}/clients?limit=0`)).json().count).toBe(5);
    const month = listed.find((s: { preset: string }) => s.preset === 'new_this_month');
    expect(month.definition).toMatchObject({ field: 'created_at', op: 'after' });
    expect((await w.call('GET', `/api/v1/segments/${month.id}/clients?limit=0`)).json().count).toBe(20);
    // Listing again adds nothing; archived presets stay archived.
    await w.call('DELETE', `/api/v1/segments/${customers.id}`);
    expect((await w.call('GET', '/api/v1/segments')).json().segments).toHaveLength(6);

    // New money moves the VIP threshold on the next refresh, until someone edits the preset.
    await w.db.execute(
      sql`update clients set lifetime_value = lifetime_value * 10 where workspace_id = ${w.workspaceId}`,
    );
    expect(await refreshPresets(w.db, w.workspaceId)).toBe(1);
    expect((await w.call('GET', `/api/v1/segments/${vip.id}`)).json().definition.value).toBe(1800);
    const edited = await w.call('PATCH', `/api/v1/segments/${vip.id}`, {
      definition: { field: 'lifetime_value', op: 'gte', value: 1000 },
    });
    expect(edited.json().auto_refresh).toBe(false);
    await w.db.execute(
      sql`update clients set lifetime_value = lifetime_value * 10 where workspace_id = ${w.workspaceId}`,
    );
    expect(await refreshPresets(w.db, w.workspaceId)).toBe(0);
    expect((await w.call('GET', `/api/v1/segments/${vip.id}`)).json().definition.value).toBe(1000);
    const audit = await t.app.dbHandle.db.execute<{ actor_label: string }>(
      sql`select actor_label from audit_log where workspace_id = ${w.workspaceId} and entity_id = ${vip.id} order by created_at limit 1`,
    );
    expect(audit.rows[0]!.actor_label).toBe('segment presets');
  });

  it('VIP is "LTV > 0" while the 90th percentile is 0', async () => {
    const w = await world();
    await insertClients(w.db, w.workspaceId, [{ first_name: 'Nobody spent' }]);
    const vip = (await w.call('GET', '/api/v1/segments'))
      .json()
      .segments.find((s: { preset: string }) => s.preset === 'vip_ltv_top10');
    expect(vip.definition).toEqual({ field: 'lifetime_value', op: 'gt', value: 0 });
  });
});

describe('count history', () => {
  it('the job counts every live saved segment and keeps the figures for the sparkline', async () => {
    const w = await world();
    await insertClients(w.db, w.workspaceId, [{ first_name: 'A', city: 'Madrid' }, { first_name: 'B' }]);
    const segment = (
      await w.call('POST', '/api/v1/segments', {
        name: 'Madrid',
        definition: { field: 'city', op: 'eq', value: 'Madrid' },
      })
    ).json();
    const first = await countWorkspaceSegments(w.db, w.workspaceId, {
      timeoutMs: 5000,
      now: new Date(Date.now() - 2 * 3_600_000),
    });
    expect(first.failed).toEqual([]);
    expect(first.counted).toBe(8);
    await insertClients(w.db, w.workspaceId, [{ first_name: 'C', city: 'madrid' }]);
    await countWorkspaceSegments(w.db, w.workspaceId, { timeoutMs: 5000 });
    const history = (await w.call('GET', `/api/v1/segments/${segment.id}/counts?days=30`)).json();
    expect(history.counts.map((c: { count: number }) => c.count)).toEqual([1, 2]);
    const got = (await w.call('GET', `/api/v1/segments/${segment.id}`)).json();
    expect(got.last_count).toBe(2);
    expect(Date.parse(got.last_counted_at)).toBeGreaterThan(Date.now() - 60_000);
    expect((await w.call('GET', `/api/v1/segments/${segment.id}/counts?days=0`)).statusCode).toBe(400);
  });

  it('registers the hourly cron job and its per-workspace task', () => {
    expect(t.app.jobs.cron.find((c) => c.identifier === 'segments.count')).toMatchObject({
      match: '41 * * * *',
    });
    expect(Object.keys(t.app.jobs.tasks)).toEqual(
      expect.arrayContaining(['segments.count', 'segments.count_workspace']),
    );
  });
});

describe('the one-line query syntax', () => {
  it('POST /segments/parse reads a query into the tree; syntax errors name their column', async () => {
    const w = await world();
    const viewer = await w.role('viewer');
    const parsed = await viewer('POST', '/api/v1/segments/parse', {
      q: 'tag:vip city:Madrid,Valencia ltv>500 booking.count(180d)>=3 -tag:blocked',
    });
    expect(parsed.statusCode).toBe(200);
    expect(parsed.json()).toEqual({
      definition: {
        all: [
          { field: 'tags', op: 'has', value: 'vip' },
          { field: 'city', op: 'in', value: ['Madrid', 'Valencia'] },
          { field: 'lifetime_value', op: 'gt', value: 500 },
          { event: 'booking', measure: 'count', op: 'gte', value: 3, within_days: 180 },
          { not: { field: 'tags', op: 'has', value: 'blocked' } },
        ],
      },
      query: 'tag:vip city:Madrid,Valencia ltv>500 booking.count(180d)>=3 -tag:blocked',
      problems: [],
    });
    const evaluated = await viewer('POST', '/api/v1/segments/evaluate', {
      definition: parsed.json().definition,
    });
    expect(evaluated.statusCode).toBe(200);

    const broken = await viewer('POST', '/api/v1/segments/parse', { q: 'tag:vip (city:Madrid' });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error).toEqual({
      code: 'VALIDATION_FAILED',
      message: 'The query has errors',
      details: [
        { path: '/q', column: 9, length: 1, code: 'unclosed_paren', message: "unclosed '(': add a ')'" },
      ],
    });
    // Each syntax error carries its code and the values of its message, for a client to word it.
    const misspelt = await viewer('POST', '/api/v1/segments/parse', { q: 'citi:Madrid ltv>abc' });
    expect(misspelt.json().error.details).toEqual([
      {
        path: '/q',
        column: 1,
        length: 4,
        code: 'unknown_field',
        message: "unknown field 'citi'; did you mean 'city'?",
        params: { name: 'citi', suggestion: 'city' },
      },
      {
        path: '/q',
        column: 17,
        length: 3,
        code: 'not_a_number',
        message: "'abc' is not a number",
        params: { text: 'abc' },
      },
    ]);
    // The OpenAPI document describes both, with the list of codes.
    const doc = (await t.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const detail =
      doc.paths['/api/v1/segments/parse'].post.responses['400'].content['application/json'].schema.properties
        .error.properties.details.items.properties;
    expect(detail.code.description).toContain('unknown_field, unknown_field_maybe_event');
    expect(detail.params.description).toContain('suggestion');

    const unknownLabel = (await viewer('POST', '/api/v1/segments/parse', { q: 'label:gold' })).json();
    expect(unknownLabel.definition).toEqual({ field: 'label', op: 'eq', value: 'gold' });
    expect(unknownLabel.problems).toEqual([
      {
        path: '/value',
        message: "unknown label 'gold'; this field takes prospect, customer, affiliate",
        code: 'unknown_label',
        params: { value: 'gold', allowed: 'prospect, customer, affiliate' },
      },
    ]);
  });

  it('a saved segment shows its tree as a query, or null when the tree has no text form', async () => {
    const w = await world();
    const create = async (body: object) =>
      (await w.call('POST', '/api/v1/segments', { name: 'S', ...body })).json();
    const plain = await create({
      definition: {
        all: [
          { field: 'tags', op: 'has', value: 'vip' },
          { field: 'lifetime_value', op: 'gt', value: 500 },
        ],
      },
    });
    expect((await w.call('GET', `/api/v1/segments/${plain.id}`)).json().query).toBe('tag:vip ltv>500');
    const oneChild = await create({ definition: { all: [{ field: 'tags', op: 'has', value: 'vip' }] } });
    expect((await w.call('GET', `/api/v1/segments/${oneChild.id}`)).json().query).toBeNull();
    const fixed = await create({ kind: 'static' });
    expect((await w.call('GET', `/api/v1/segments/${fixed.id}`)).json().query).toBeNull();
  });
});

describe('events in saved segments', () => {
  it('evaluates event conditions through the API', async () => {
    const w = await world();
    const [a, b] = await insertClients(w.db, w.workspaceId, [{ first_name: 'A' }, { first_name: 'B' }]);
    await insertEvents(w.db, w.workspaceId, [
      { client_id: a!, type: 'booking', occurred_at: ago(1), amount: null, location_id: w.locations[0]! },
    ]);
    const none = (
      await w.call('POST', '/api/v1/segments/evaluate', {
        definition: { event: 'booking', measure: 'count', op: 'eq', value: 0 },
      })
    ).json();
    expect(none.clients.map((c: { id: string }) => c.id)).toEqual([b]);
  });
});

describe('the client list search box with a one-line query', () => {
  it('filters the list and its counts by the query, together with the other filters', async () => {
    const w = await world();
    const ids = await insertClients(w.db, w.workspaceId, [
      { first_name: 'Ana', city: 'Madrid', lifetime_value: 900, tags: ['VIP'] },
      { first_name: 'Luis', city: 'Madrid', lifetime_value: 100, tags: ['VIP'] },
      { first_name: 'Eva', city: 'Valencia', lifetime_value: 700, tags: ['vip'], label: 'customer' },
      { first_name: 'Noa', city: 'Madrid', lifetime_value: 800 },
    ]);
    const list = async (query: string) =>
      (await w.call('GET', `/api/v1/clients?sort=name&${query}`)).json() as {
        clients: Array<{ id: string }>;
        total: number;
      };
    const filter = encodeURIComponent('tag:vip city:Madrid,Valencia ltv>500');
    const found = await list(`filter=${filter}`);
    expect(found.clients.map((c) => c.id)).toEqual([ids[0], ids[2]]);
    expect(found.total).toBe(2);
    // With the list's own filters and search on top.
    expect((await list(`filter=${filter}&label=customer`)).clients.map((c) => c.id)).toEqual([ids[2]]);
    expect((await list(`filter=${filter}&q=ana`)).clients.map((c) => c.id)).toEqual([ids[0]]);
    expect((await w.call('GET', `/api/v1/clients/count?filter=${filter}`)).json()).toEqual({ total: 2 });

    const wrong = await w.call('GET', `/api/v1/clients?filter=${encodeURIComponent('city:Madrid ltv>>5')}`);
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.details[0]).toMatchObject({
      path: '/query/filter',
      column: 17,
      code: 'not_a_number',
      params: { text: '>5' },
    });
    const unknown = await w.call('GET', `/api/v1/clients?filter=${encodeURIComponent('label:nope')}`);
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.code).toBe('INVALID_SEGMENT');
  });
});

describe('static segment from an uploaded list', () => {
  it('reads emails, phones and external ids into clients, and lists what matched nobody', async () => {
    const w = await world();
    const ids = await insertClients(w.db, w.workspaceId, [
      { first_name: 'Ana', email: 'ana@example.com' },
      { first_name: 'Luis', phone: '+34612345678' },
      { first_name: 'Eva', external_id: '100234' },
    ]);
    const agent = await w.role('agent');
    expect((await agent('POST', '/api/v1/segments/resolve-list', { values: ['x'] })).statusCode).toBe(403);
    const resolved = await w.call('POST', '/api/v1/segments/resolve-list', {
      values: [' ANA@example.com ', '612 34 56 78', '100234', 'nobody@example.com', '', 'ana@example.com'],
    });
    expect(resolved.statusCode, resolved.body).toBe(200);
    expect(resolved.json()).toEqual({
      client_ids: [ids[0], ids[1], ids[2]],
      matched: 3,
      unmatched: [{ index: 3, value: 'nobody@example.com' }],
    });
    const created = await w.call('POST', '/api/v1/segments', {
      name: 'From the fair',
      kind: 'static',
      client_ids: resolved.json().client_ids,
    });
    expect(created.json()).toMatchObject({ kind: 'static', last_count: 3 });
  });
});
