import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  join,
  newApiKey,
  newUser,
  newWorkspace,
  setupTestApp,
  signIn,
  withKey,
} from '../../../test/support/app.ts';

const t = setupTestApp();

describe('API keys', () => {
  it('shows the key once, stores only its hash, and lists it by prefix', async () => {
    const workspace = await newWorkspace(t);
    const call = withKey(t, await newApiKey(t, workspace.id, 'admin'));
    const created = await call('POST', '/api/v1/api-keys', { name: 'Booking system', role: 'agent' });
    expect(created.statusCode).toBe(201);
    const { key, prefix, id } = created.json();
    expect(key).toMatch(/^ck_[\w-]{43}$/);
    expect(key.startsWith(prefix)).toBe(true);
    const listed = (await call('GET', '/api/v1/api-keys')).json().api_keys;
    const mine = listed.find((k: { id: string }) => k.id === id);
    expect(mine).toMatchObject({ name: 'Booking system', role: 'agent', prefix });
    expect(JSON.stringify(listed)).not.toContain(key);
    const stored = await t.app.dbHandle.db.execute(sql`select * from api_keys where id = ${id}`);
    expect(JSON.stringify(stored.rows)).not.toContain(key);
    const me = await withKey(t, key)('GET', '/api/v1/me');
    expect(me.json()).toMatchObject({ role: 'agent', api_key: { id, name: 'Booking system', prefix } });
  });

  it('stops a revoked or expired key at once with 401', async () => {
    const workspace = await newWorkspace(t);
    const admin = withKey(t, await newApiKey(t, workspace.id, 'admin'));
    const { key, id } = (await admin('POST', '/api/v1/api-keys', { name: 'temp', role: 'viewer' })).json();
    expect((await withKey(t, key)('GET', '/api/v1/me')).statusCode).toBe(200);
    expect((await admin('DELETE', `/api/v1/api-keys/${id}`)).statusCode).toBe(204);
    const after = await withKey(t, key)('GET', '/api/v1/me');
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('UNAUTHENTICATED');
    const soon = (
      await admin('POST', '/api/v1/api-keys', {
        name: 'short',
        role: 'viewer',
        expires_at: new Date(Date.now() + 1500).toISOString(),
      })
    ).json();
    expect((await withKey(t, soon.key)('GET', '/api/v1/me')).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    expect((await withKey(t, soon.key)('GET', '/api/v1/me')).statusCode).toBe(401);
  });

  it('rejects malformed or unknown bearer tokens without touching other routes', async () => {
    for (const header of ['Bearer ck_nope', 'Basic abc', 'Bearer', `Bearer ck_${'x'.repeat(43)}`]) {
      const response = await t.inject({
        method: 'GET',
        url: '/api/v1/me',
        headers: { authorization: header },
      });
      expect(response.statusCode, header).toBe(401);
    }
  });

  it('never lets anyone mint a key above their own role', async () => {
    const owner = await newUser(t);
    const admin = await newUser(t);
    const workspace = await newWorkspace(t, owner);
    await join(t, workspace.id, admin, 'admin');
    const session = await signIn(t, admin.email);
    const denied = await session.request('POST', '/api/v1/api-keys', {
      payload: { name: 'root', role: 'owner' },
      workspace: workspace.id,
    });
    expect(denied.statusCode).toBe(403);
    const allowed = await session.request('POST', '/api/v1/api-keys', {
      payload: { name: 'ops', role: 'admin' },
      workspace: workspace.id,
    });
    expect(allowed.statusCode).toBe(201);
  });

  it('records when a key was last used', async () => {
    const workspace = await newWorkspace(t);
    const admin = withKey(t, await newApiKey(t, workspace.id, 'admin'));
    const { key, id } = (await admin('POST', '/api/v1/api-keys', { name: 'used', role: 'viewer' })).json();
    await withKey(t, key)('GET', '/api/v1/me');
    await new Promise((r) => setTimeout(r, 100));
    const listed = (await admin('GET', '/api/v1/api-keys'))
      .json()
      .api_keys.find((k: { id: string }) => k.id === id);
    expect(listed.last_used_at).not.toBeNull();
  });
});

describe('API key cache across processes', () => {
  it('a key revoked through one server stops working on another server at once', async () => {
    const { createClientela } = await import('../../app.ts');
    const { loadConfig } = await import('../../config.ts');
    const second = await createClientela({
      config: loadConfig({ LOG_LEVEL: 'silent' }),
      databaseUrl: t.url,
      secretKey: 'x'.repeat(32),
      logger: false,
      webDist: null,
    });
    second.markReady();
    try {
      const workspace = await newWorkspace(t);
      const admin = withKey(t, await newApiKey(t, workspace.id, 'admin'));
      const { key, id } = (
        await admin('POST', '/api/v1/api-keys', { name: 'shared', role: 'viewer' })
      ).json();
      const onSecond = () =>
        second.http.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${key}` } });
      expect((await onSecond()).statusCode).toBe(200); // now cached on the second server
      expect((await admin('DELETE', `/api/v1/api-keys/${id}`)).statusCode).toBe(204);
      const deadline = Date.now() + 2000;
      let status = 200;
      while (status === 200 && Date.now() < deadline) {
        status = (await onSecond()).statusCode;
        if (status === 200) await new Promise((r) => setTimeout(r, 20));
      }
      expect(status).toBe(401);
    } finally {
      await second.close();
    }
  });
});
