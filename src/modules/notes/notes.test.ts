import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  join,
  newApiKey,
  newUser,
  newWorkspace,
  setupTestApp,
  signIn,
  type TestApp,
  withKey,
} from '../../../test/support/app.ts';
import { notesParticipant } from './notes.service.ts';

const t = setupTestApp();

async function clientIn(test: TestApp, key: string, payload: Record<string, unknown> = {}) {
  const response = await withKey(test, key)('POST', '/api/v1/clients', { first_name: 'Ana', ...payload });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id as string;
}

/** A workspace with an owner key, a client, and signed-in members of each role we need. */
async function team() {
  const owner = await newUser(t, 'Owner');
  const workspace = await newWorkspace(t, owner);
  const ownerKey = await newApiKey(t, workspace.id, 'owner');
  const clientId = await clientIn(t, ownerKey);
  const members: Record<string, Awaited<ReturnType<typeof signIn>> & { id: string; email: string }> = {};
  for (const [name, role] of [
    ['agent1', 'agent'],
    ['agent2', 'agent'],
    ['admin', 'admin'],
    ['viewer', 'viewer'],
  ] as const) {
    const user = await newUser(t, name);
    await join(t, workspace.id, user, role);
    members[name] = { ...(await signIn(t, user.email)), id: user.id, email: user.email };
  }
  const as = (who: keyof typeof members) => (method: string, url: string, payload?: unknown) =>
    members[who]!.request(method, url, {
      workspace: workspace.id,
      ...(payload !== undefined ? { payload } : {}),
    });
  return { workspace, ownerKey, clientId, members, as };
}

describe('notes', () => {
  it('lets the author or an admin edit and delete, and nobody else', async () => {
    const { clientId, members, as } = await team();
    const url = `/api/v1/clients/${clientId}/notes`;
    const created = await as('agent1')('POST', url, { body: 'Prefers mornings', type: 'info' });
    expect(created.statusCode, created.body).toBe(201);
    const note = created.json();
    expect(note).toMatchObject({
      body: 'Prefers mornings',
      type: 'info',
      visibility: 'internal',
      pinned: false,
      client_id: clientId,
      author: { user_id: members.agent1!.id, label: members.agent1!.email },
      can_edit: true,
    });

    expect((await as('agent2')('PATCH', `${url}/${note.id}`, { body: 'hijacked' })).statusCode).toBe(403);
    expect((await as('agent2')('DELETE', `${url}/${note.id}`)).statusCode).toBe(403);
    expect((await as('viewer')('PATCH', `${url}/${note.id}`, { pinned: true })).statusCode).toBe(403);
    expect((await as('viewer')('POST', url, { body: 'viewer note' })).statusCode).toBe(403);

    const seenByOther = (await as('agent2')('GET', url)).json().notes[0];
    expect(seenByOther.can_edit).toBe(false);
    expect((await as('viewer')('GET', url)).statusCode).toBe(200);

    const edited = await as('agent1')('PATCH', `${url}/${note.id}`, {
      body: 'Prefers afternoons',
      type: 'warning',
    });
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({ body: 'Prefers afternoons', type: 'warning' });

    const byAdmin = await as('admin')('PATCH', `${url}/${note.id}`, { pinned: true });
    expect(byAdmin.statusCode).toBe(200);
    expect(byAdmin.json()).toMatchObject({ pinned: true, author: { user_id: members.agent1!.id } });
    expect((await as('admin')('DELETE', `${url}/${note.id}`)).statusCode).toBe(204);
    expect((await as('agent1')('GET', url)).json().notes).toEqual([]);
    expect((await as('agent1')('DELETE', `${url}/${note.id}`)).statusCode).toBe(404);
  });

  it('treats an API key as the author of its own notes only', async () => {
    const workspace = await newWorkspace(t);
    const keyA = await newApiKey(t, workspace.id, 'agent');
    const keyB = await newApiKey(t, workspace.id, 'agent');
    const clientId = await clientIn(t, keyA);
    const url = `/api/v1/clients/${clientId}/notes`;
    const note = (await withKey(t, keyA)('POST', url, { body: 'From the booking system' })).json();
    expect(note.author.user_id).toBeNull();
    expect(note.author.label).toMatch(/^key-/);
    expect((await withKey(t, keyB)('PATCH', `${url}/${note.id}`, { body: 'x' })).statusCode).toBe(403);
    expect((await withKey(t, keyA)('PATCH', `${url}/${note.id}`, { body: 'edited' })).statusCode).toBe(200);
    expect((await withKey(t, keyA)('DELETE', `${url}/${note.id}`)).statusCode).toBe(204);
  });

  it('lists pinned notes first, then newest first, across pages', async () => {
    const workspace = await newWorkspace(t);
    const key = await newApiKey(t, workspace.id, 'agent');
    const call = withKey(t, key);
    const clientId = await clientIn(t, key);
    const url = `/api/v1/clients/${clientId}/notes`;
    const ids: Record<string, string> = {};
    for (const [name, pinned] of [
      ['old', false],
      ['pinned-old', true],
      ['middle', false],
      ['pinned-new', true],
      ['new', false],
    ] as const) {
      ids[name] = (await call('POST', url, { body: name, pinned })).json().id;
      await new Promise((r) => setTimeout(r, 5));
    }
    const expected = ['pinned-new', 'pinned-old', 'new', 'middle', 'old'];
    expect((await call('GET', url)).json().notes.map((n: { body: string }) => n.body)).toEqual(expected);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await call('GET', `${url}?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(response.statusCode, response.body).toBe(200);
      const pageBody: { notes: { body: string }[]; next_cursor: string | null } = response.json();
      seen.push(...pageBody.notes.map((n) => n.body));
      cursor = pageBody.next_cursor;
    } while (cursor);
    expect(seen).toEqual(expected);

    // Unpinning moves a note back into date order.
    await call('PATCH', `${url}/${ids['pinned-new']}`, { pinned: false });
    expect((await call('GET', url)).json().notes.map((n: { body: string }) => n.body)).toEqual([
      'pinned-old',
      'new',
      'pinned-new',
      'middle',
      'old',
    ]);
    expect((await call('GET', `${url}?pinned=true`)).json().notes).toHaveLength(1);
    expect((await call('GET', `${url}?cursor=garbage`)).statusCode).toBe(400);
  });

  it('rejects bad input and keeps the text exactly as written', async () => {
    const workspace = await newWorkspace(t);
    const key = await newApiKey(t, workspace.id, 'agent');
    const call = withKey(t, key);
    const clientId = await clientIn(t, key);
    const url = `/api/v1/clients/${clientId}/notes`;
    for (const body of [
      {},
      { body: '' },
      { body: '   \n ' },
      { body: 'x'.repeat(10_001) },
      { body: 'ok', type: 'urgent' },
      { body: 'ok', visibility: 'public' },
      { body: 'ok', pinned: 'yes' },
      { body: 'ok', author: 'me' },
    ]) {
      const response = await call('POST', url, body);
      expect(response.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(response.json().error.details.length).toBeGreaterThan(0);
    }
    const text = '  Allergic to 🥜 — «pénicilline» / حساسية\n  second line';
    const created = await call('POST', url, { body: text, visibility: 'shared', type: 'action' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ body: text, visibility: 'shared', type: 'action' });
    expect((await call('POST', url, { body: 'y'.repeat(10_000) })).statusCode).toBe(201);
  });

  it('answers 404 for another client or an unknown client', async () => {
    const workspace = await newWorkspace(t);
    const key = await newApiKey(t, workspace.id, 'admin');
    const call = withKey(t, key);
    const first = await clientIn(t, key, { first_name: 'First' });
    const second = await clientIn(t, key, { first_name: 'Second' });
    const note = (await call('POST', `/api/v1/clients/${first}/notes`, { body: 'on first' })).json();
    expect(
      (await call('PATCH', `/api/v1/clients/${second}/notes/${note.id}`, { body: 'x' })).statusCode,
    ).toBe(404);
    expect((await call('DELETE', `/api/v1/clients/${second}/notes/${note.id}`)).statusCode).toBe(404);
    expect((await call('GET', `/api/v1/clients/${crypto.randomUUID()}/notes`)).statusCode).toBe(404);
    expect(
      (await call('POST', `/api/v1/clients/${crypto.randomUUID()}/notes`, { body: 'x' })).statusCode,
    ).toBe(404);
  });

  it('audits ids, types and lengths, never the text', async () => {
    const workspace = await newWorkspace(t);
    const key = await newApiKey(t, workspace.id, 'admin');
    const call = withKey(t, key);
    const clientId = await clientIn(t, key);
    const url = `/api/v1/clients/${clientId}/notes`;
    const secret = 'Diagnosed with something private';
    const note = (await call('POST', url, { body: secret, type: 'warning' })).json();
    await call('PATCH', `${url}/${note.id}`, { body: `${secret}, updated` });
    await call('PATCH', `${url}/${note.id}`, { body: `${secret}, updated` }); // no change → no audit row
    await call('DELETE', `${url}/${note.id}`);
    const entries = (await call('GET', `/api/v1/audit-log?entity_type=note&entity_id=${note.id}`)).json()
      .entries;
    expect(entries.map((e: { action: string }) => e.action)).toEqual([
      'note.deleted',
      'note.updated',
      'note.created',
    ]);
    expect(entries[2].changes).toMatchObject({
      client_id: { before: null, after: clientId },
      type: { before: null, after: 'warning' },
      body_length: { before: null, after: secret.length },
    });
    expect(JSON.stringify(entries)).not.toContain('private');
  });

  it('moves, exports, erases and shows notes on the timeline as a participant', async () => {
    const workspace = await newWorkspace(t);
    const key = await newApiKey(t, workspace.id, 'admin');
    const call = withKey(t, key);
    const keep = await clientIn(t, key, { first_name: 'Keep', email: 'keep@example.com' });
    const other = await clientIn(t, key, { first_name: 'Other', email: 'other@example.com' });
    await call('POST', `/api/v1/clients/${keep}/notes`, { body: 'kept note' });
    await call('POST', `/api/v1/clients/${other}/notes`, { body: 'moved note', type: 'action' });
    const merged = await call('POST', `/api/v1/clients/${keep}/merge`, { other_id: other });
    expect(merged.statusCode, merged.body).toBe(200);
    const notes = (await call('GET', `/api/v1/clients/${keep}/notes`)).json().notes;
    expect(notes.map((n: { body: string }) => n.body).sort()).toEqual(['kept note', 'moved note']);

    const db = t.app.dbHandle.db;
    const exported = (await notesParticipant.exportFor(db, workspace.id, keep)) as { body: string }[];
    expect(exported).toHaveLength(2);
    const timeline = await notesParticipant.timeline(db, workspace.id, keep, {
      before: null,
      from: null,
      to: null,
      limit: 1,
    });
    expect(timeline).toHaveLength(1);
    expect(timeline[0]).toMatchObject({ kind: 'note', type: 'action', actor: { type: 'api_key' } });
    const older = await notesParticipant.timeline(db, workspace.id, keep, {
      before: { at: timeline[0]!.occurred_at, id: timeline[0]!.id },
      from: null,
      to: null,
      limit: 10,
    });
    expect(older.map((i) => i.data.body)).toEqual(['kept note']);

    await db.transaction((tx) => notesParticipant.erase(tx, workspace.id, keep));
    const left = await db.execute(sql`select count(*)::int as n from notes where client_id = ${keep}`);
    expect(left.rows[0]).toEqual({ n: 0 });
  });
});
