import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newApiKey, newWorkspace, setupTestApp, withKey } from '../../../test/support/app.ts';

const t = setupTestApp();

describe('audit log', () => {
  it('records API-key actions with actor, IP and request id, newest first, with cursor paging', async () => {
    const workspace = await newWorkspace(t);
    const call = withKey(t, await newApiKey(t, workspace.id, 'admin'));
    const created = [];
    for (let i = 0; i < 5; i++)
      created.push((await call('POST', '/api/v1/api-keys', { name: `k${i}`, role: 'viewer' })).json());
    const first = (await call('GET', '/api/v1/audit-log?action=api_key.created&limit=2')).json();
    expect(first.entries).toHaveLength(2);
    expect(first.entries[0].entity_id).toBe(created[4].id);
    expect(first.entries[0].actor.type).toBe('api_key');
    expect(first.entries[0].ip).toBe('127.0.0.1');
    expect(first.entries[0].request_id).toMatch(/[0-9a-f-]{36}/);
    const seen = [...first.entries];
    let cursor = first.next_cursor;
    while (cursor) {
      const next = (
        await call('GET', `/api/v1/audit-log?action=api_key.created&limit=2&cursor=${cursor}`)
      ).json();
      seen.push(...next.entries);
      cursor = next.next_cursor;
    }
    // 5 created here + the test key created by the fixture.
    expect(seen.map((e) => e.entity_id)).toEqual(expect.arrayContaining(created.map((c) => c.id)));
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    expect(seen).toHaveLength(6);
  });

  it('filters by entity, actor type, action prefix and date range', async () => {
    const workspace = await newWorkspace(t);
    const call = withKey(t, await newApiKey(t, workspace.id, 'admin'));
    const { id } = (await call('POST', '/api/v1/api-keys', { name: 'target', role: 'viewer' })).json();
    await call('DELETE', `/api/v1/api-keys/${id}`);
    const byEntity = (await call('GET', `/api/v1/audit-log?entity_type=api_key&entity_id=${id}`)).json()
      .entries;
    expect(byEntity.map((e: { action: string }) => e.action)).toEqual(['api_key.revoked', 'api_key.created']);
    const byPrefix = (await call('GET', '/api/v1/audit-log?action=api_key')).json().entries;
    expect(byPrefix.every((e: { action: string }) => e.action.startsWith('api_key.'))).toBe(true);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await call('GET', `/api/v1/audit-log?from=${future}`)).json().entries).toEqual([]);
    const systemOnly = (await call('GET', '/api/v1/audit-log?actor_type=system')).json().entries;
    expect(systemOnly.length).toBeGreaterThan(0);
    expect(systemOnly.every((e: { actor: { type: string } }) => e.actor.type === 'system')).toBe(true);
  });

  it('is append-only: the database refuses UPDATE, DELETE and TRUNCATE', async () => {
    const workspace = await newWorkspace(t);
    const db = t.app.dbHandle.db;
    const refusal = (query: Promise<unknown>) =>
      query.then(
        () => 'accepted',
        (error: Error & { cause?: Error }) => error.cause?.message ?? error.message,
      );
    expect(
      await refusal(
        db.execute(sql`update audit_log set action = 'forged' where workspace_id = ${workspace.id}`),
      ),
    ).toMatch(/append-only/);
    expect(
      await refusal(db.execute(sql`delete from audit_log where workspace_id = ${workspace.id}`)),
    ).toMatch(/append-only/);
    expect(await refusal(db.execute(sql`truncate audit_log`))).toMatch(/append-only/);
    const count = await db.execute<{ n: number }>(
      sql`select count(*)::int as n from audit_log where workspace_id = ${workspace.id}`,
    );
    expect(count.rows[0]!.n).toBeGreaterThan(0);
  });

  it('is readable by admins only', async () => {
    const workspace = await newWorkspace(t);
    const marketer = withKey(t, await newApiKey(t, workspace.id, 'marketer'));
    expect((await marketer('GET', '/api/v1/audit-log')).statusCode).toBe(403);
  });
});
