import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newApiKey, newWorkspace, setupTestApp, withKey } from '../../../test/support/app.ts';
import { systemContext } from '../../platform/auth/context.ts';
import { consentParticipant, recordConsentChanges } from './consent.service.ts';
import { createSuppressionList, suppressionHash } from './suppressions.service.ts';

const t = setupTestApp();

async function setup(role: 'agent' | 'admin' | 'owner' = 'admin') {
  const workspace = await newWorkspace(t);
  const key = await newApiKey(t, workspace.id, role);
  const call = withKey(t, key);
  const client = async (payload: Record<string, unknown> = {}) => {
    const response = await call('POST', '/api/v1/clients', { first_name: 'Lola', ...payload });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id as string;
  };
  return { workspace, key, call, client };
}

function patchFrom(key: string, url: string, payload: unknown, ip: string, userAgent: string) {
  return t.inject({
    method: 'PATCH',
    url,
    remoteAddress: ip,
    headers: { authorization: `Bearer ${key}`, 'user-agent': userAgent },
    payload: payload as object,
  });
}

async function eventCount(clientId: string) {
  const result = await t.app.dbHandle.db.execute<{ n: number }>(
    sql`select count(*)::int as n from consent_events where client_id = ${clientId}`,
  );
  return result.rows[0]!.n;
}

describe('consent', () => {
  it('starts with nothing granted and keeps a complete history of grant, withdrawal and re-grant', async () => {
    const { key, call, client } = await setup();
    const id = await client();
    const url = `/api/v1/clients/${id}/consent`;
    expect((await call('GET', url)).json()).toEqual({
      consent: { email: false, sms: false, whatsapp: false, push: false },
      history: [],
    });

    const granted = await patchFrom(
      key,
      url,
      {
        changes: { email: true, sms: true },
        source: 'form',
        evidence: 'Signup form, box 2',
        wording_version: 'v3',
      },
      '203.0.113.7',
      'Mozilla/5.0 (Test) Form',
    );
    expect(granted.statusCode, granted.body).toBe(200);
    expect(granted.json().consent).toEqual({ email: true, sms: true, whatsapp: false, push: false });
    expect(granted.json().changed).toEqual([
      { channel: 'email', granted: true },
      { channel: 'sms', granted: true },
    ]);

    const withdrawn = await patchFrom(
      key,
      url,
      { changes: { email: false }, source: 'unsubscribe_link', evidence: 'List-Unsubscribe one-click' },
      '198.51.100.2',
      'Gmail one-click',
    );
    expect(withdrawn.json().consent.email).toBe(false);
    await patchFrom(key, url, { changes: { email: true }, source: 'admin' }, '192.0.2.1', 'Dashboard');

    const { consent, history } = (await call('GET', url)).json();
    expect(consent).toEqual({ email: true, sms: true, whatsapp: false, push: false });
    expect(history).toHaveLength(4);
    const emailHistory = history.filter((h: { channel: string }) => h.channel === 'email');
    expect(emailHistory).toMatchObject([
      { granted: true, source: 'admin', ip: '192.0.2.1', user_agent: 'Dashboard', evidence: null },
      {
        granted: false,
        source: 'unsubscribe_link',
        ip: '198.51.100.2',
        user_agent: 'Gmail one-click',
        evidence: 'List-Unsubscribe one-click',
      },
      {
        granted: true,
        source: 'form',
        ip: '203.0.113.7',
        user_agent: 'Mozilla/5.0 (Test) Form',
        evidence: 'Signup form, box 2',
        wording_version: 'v3',
      },
    ]);
    for (const entry of history) {
      expect(entry.actor.type).toBe('api_key');
      expect(entry.actor.label).toMatch(/^key-/);
      expect(Date.parse(entry.occurred_at)).not.toBeNaN();
    }
    const times = history.map((h: { occurred_at: string }) => Date.parse(h.occurred_at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    const audit = (
      await call('GET', `/api/v1/audit-log?action=client.consent_changed&entity_id=${id}`)
    ).json();
    expect(audit.entries).toHaveLength(3);
    expect(audit.entries[2].changes).toEqual({
      consent_email: { before: false, after: true },
      consent_sms: { before: false, after: true },
      source: { before: null, after: 'form' },
    });
    expect(JSON.stringify(audit.entries)).not.toContain('Signup form');
  });

  it('requires a source and rejects unknown channels, sources and non-booleans', async () => {
    const { call, client } = await setup();
    const id = await client();
    const url = `/api/v1/clients/${id}/consent`;
    const cases: [unknown, string][] = [
      [{ changes: { email: true } }, '/source'],
      [{ changes: { email: true }, source: 'guess' }, '/source'],
      [{ changes: { fax: true }, source: 'api' }, '/changes/fax'],
      [{ changes: { email: 'yes' }, source: 'api' }, '/changes/email'],
      [{ source: 'api' }, '/changes'],
      [{ changes: { email: true }, source: 'api', evidence: 'x'.repeat(2001) }, '/evidence'],
    ];
    for (const [payload, path] of cases) {
      const response = await call('PATCH', url, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    expect(await eventCount(id)).toBe(0);
  });

  it('records nothing when nothing changes', async () => {
    const { workspace, call, client } = await setup();
    const id = await client();
    const url = `/api/v1/clients/${id}/consent`;
    const none = await call('PATCH', url, { changes: { email: false, push: false }, source: 'api' });
    expect(none.statusCode).toBe(200);
    expect(none.json().changed).toEqual([]);
    expect((await call('PATCH', url, { changes: {}, source: 'api' })).json().changed).toEqual([]);
    expect(await eventCount(id)).toBe(0);
    await call('PATCH', url, { changes: { whatsapp: true }, source: 'api' });
    const again = await call('PATCH', url, { changes: { whatsapp: true, email: false }, source: 'api' });
    expect(again.json().changed).toEqual([]);
    expect(await eventCount(id)).toBe(1);
    const audits = await t.app.dbHandle.db.execute<{ n: number }>(
      sql`select count(*)::int as n from audit_log where workspace_id = ${workspace.id} and action = 'client.consent_changed'`,
    );
    expect(audits.rows[0]!.n).toBe(1);
  });

  it('records one change when two identical requests race', async () => {
    const { call, client } = await setup();
    const id = await client();
    const url = `/api/v1/clients/${id}/consent`;
    const results = await Promise.all(
      Array.from({ length: 5 }, () => call('PATCH', url, { changes: { sms: true }, source: 'api' })),
    );
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(await eventCount(id)).toBe(1);
  });

  it('records consent given at creation with source api and its evidence', async () => {
    const { call, client } = await setup();
    const id = await client({ consent: { email: true, whatsapp: true }, consent_evidence: 'Booking form' });
    const { consent, history } = (await call('GET', `/api/v1/clients/${id}/consent`)).json();
    expect(consent).toEqual({ email: true, sms: false, whatsapp: true, push: false });
    expect(history).toHaveLength(2);
    for (const entry of history)
      expect(entry).toMatchObject({ source: 'api', evidence: 'Booking form', granted: true });
  });

  it('lets a viewer read but not change, and answers 404 for unknown clients', async () => {
    const { workspace, client } = await setup();
    const id = await client();
    const viewer = withKey(t, await newApiKey(t, workspace.id, 'viewer'));
    expect((await viewer('GET', `/api/v1/clients/${id}/consent`)).statusCode).toBe(200);
    expect(
      (await viewer('PATCH', `/api/v1/clients/${id}/consent`, { changes: { email: true }, source: 'api' }))
        .statusCode,
    ).toBe(403);
    const agent = withKey(t, await newApiKey(t, workspace.id, 'agent'));
    const unknown = `/api/v1/clients/${crypto.randomUUID()}/consent`;
    expect((await agent('GET', unknown)).statusCode).toBe(404);
    expect((await agent('PATCH', unknown, { changes: { email: true }, source: 'api' })).statusCode).toBe(404);
  });

  it('after a merge, each channel takes the state of its most recent event across both clients', async () => {
    const { call, client } = await setup();
    const keep = await client({ first_name: 'Keep', email: 'keep@example.com' });
    const other = await client({ first_name: 'Other', email: 'other@example.com' });
    const patch = (id: string, changes: Record<string, boolean>) =>
      call('PATCH', `/api/v1/clients/${id}/consent`, { changes, source: 'api' });
    await patch(keep, { email: true, push: true }); // keep: email granted first…
    await patch(other, { email: true, sms: true });
    await patch(other, { email: false }); // …other withdrew email later
    await patch(keep, { push: false });
    await patch(other, { push: true }); // push: other's grant is newer than keep's withdrawal
    const merged = await call('POST', `/api/v1/clients/${keep}/merge`, { other_id: other });
    expect(merged.statusCode, merged.body).toBe(200);
    const { consent, history } = (await call('GET', `/api/v1/clients/${keep}/consent`)).json();
    expect(consent).toEqual({ email: false, sms: true, whatsapp: false, push: true });
    expect(history).toHaveLength(7);
  });

  it('strips evidence, IP and user agent on erase but keeps the proof', async () => {
    const { workspace, key, client } = await setup();
    const id = await client();
    await patchFrom(
      key,
      `/api/v1/clients/${id}/consent`,
      { changes: { email: true }, source: 'form', evidence: 'Signed by Lola', wording_version: 'v1' },
      '203.0.113.9',
      'UA',
    );
    const db = t.app.dbHandle.db;
    await db.transaction((tx) => consentParticipant.erase(tx, workspace.id, id));
    const [row] = (await consentParticipant.exportFor(db, workspace.id, id)) as Record<string, unknown>[];
    expect(row).toMatchObject({
      channel: 'email',
      granted: true,
      source: 'form',
      evidence: null,
      ip: null,
      user_agent: null,
    });
    const timeline = await consentParticipant.timeline(db, workspace.id, id, {
      before: null,
      from: null,
      to: null,
      limit: 10,
    });
    expect(timeline[0]).toMatchObject({ kind: 'consent', type: 'granted', data: { channel: 'email' } });
  });

  it('offers recordConsentChanges to other modules, with the caller as actor', async () => {
    const { workspace, client } = await setup();
    const id = await client();
    const ctx = systemContext(workspace.id, 'sms-inbound');
    const changed = await t.app.dbHandle.db.transaction((tx) =>
      recordConsentChanges(
        tx,
        ctx,
        id,
        { sms: false, whatsapp: true },
        {
          source: 'sms_keyword',
          evidence: 'STOP',
          occurredAt: new Date('2024-05-01T10:00:00Z'),
        },
      ),
    );
    expect(changed).toEqual([{ channel: 'whatsapp', granted: true }]);
    const [event] = (await consentParticipant.exportFor(t.app.dbHandle.db, workspace.id, id)) as Record<
      string,
      unknown
    >[];
    expect(event).toMatchObject({
      source: 'sms_keyword',
      actor: { type: 'system', id: null, label: 'sms-inbound' },
      occurred_at: '2024-05-01T10:00:00.000Z',
      ip: null,
    });
  });
});

describe('suppressions', () => {
  it('stores keyed hashes only and matches normalized emails and phones', async () => {
    const { workspace, call } = await setup('admin');
    const secret = 'test-secret';
    const list = createSuppressionList(secret);
    const db = t.app.dbHandle.db;
    expect(await list.suppress(db, workspace.id, 'email', ' Someone@Example.COM ', 'unsubscribed')).toBe(
      true,
    );
    expect(await list.suppress(db, workspace.id, 'email', 'someone@example.com', 'bounced')).toBe(false);
    await list.suppress(db, workspace.id, 'phone', '+34612345678', 'erased');
    const rows = await db.execute<{ kind: string; value_hash: string; reason: string }>(
      sql`select kind, value_hash, reason from suppressions where workspace_id = ${workspace.id} order by kind`,
    );
    expect(rows.rows).toEqual([
      {
        kind: 'email',
        value_hash: createHmac('sha256', secret).update('email:someone@example.com').digest('hex'),
        reason: 'unsubscribed',
      },
      { kind: 'phone', value_hash: suppressionHash(secret, 'phone', '+34 612 34 56 78'), reason: 'erased' },
    ]);
    expect(JSON.stringify(rows.rows)).not.toContain('example.com');
    expect(await list.isSuppressed(db, workspace.id, { email: 'SOMEONE@example.com' })).toBe(true);
    expect(
      await list.isSuppressed(db, workspace.id, { phone: '612 345 678' }, { defaultCountry: 'ES' }),
    ).toBe(true);
    expect(
      await list.isSuppressed(db, workspace.id, { email: 'other@example.com', phone: '+34600000000' }),
    ).toBe(false);
    expect(await list.isSuppressed(db, (await newWorkspace(t)).id, { email: 'someone@example.com' })).toBe(
      false,
    );
    expect(
      await createSuppressionList('another-secret').isSuppressed(db, workspace.id, {
        email: 'someone@example.com',
      }),
    ).toBe(false);
    const many = await list.suppressedValues(db, workspace.id, 'email', [
      'a@b.c',
      'someone@example.com',
      'SOMEONE@example.com',
    ]);
    expect([...many].sort()).toEqual(['SOMEONE@example.com', 'someone@example.com']);
    // The same HMAC computed by PostgreSQL, for set-based checks (campaign audiences); a key longer
    // than SHA-256's block is hashed first, as RFC 2104 says.
    for (const [key, ok] of [
      [secret, true],
      ['another-secret', false],
    ] as const) {
      const inSql = await db.execute<{ email: boolean; phone: boolean; other: boolean }>(
        sql`select ${createSuppressionList(key).suppressedSql(workspace.id, 'email', sql`${'someone@example.com'}`)} as email,
                   ${createSuppressionList(key).suppressedSql(workspace.id, 'phone', sql`${'+34612345678'}`)} as phone,
                   ${createSuppressionList(key).suppressedSql(workspace.id, 'email', sql`${'a@b.c'}`)} as other`,
      );
      expect(inSql.rows[0]).toEqual({ email: ok, phone: ok, other: false });
    }
    const longKey = 'k'.repeat(100);
    await createSuppressionList(longKey).suppress(
      db,
      workspace.id,
      'email',
      'long@example.com',
      'unsubscribed',
    );
    const longInSql = await db.execute<{ found: boolean }>(
      sql`select ${createSuppressionList(longKey).suppressedSql(workspace.id, 'email', sql`${'long@example.com'}`)} as found`,
    );
    expect(longInSql.rows[0]?.found).toBe(true);

    // Through the API: listed without values; the app checks with its own secret key, not this test's.
    const listed = (await call('GET', '/api/v1/suppressions')).json();
    expect(listed.suppressions).toHaveLength(3);
    expect(Object.keys(listed.suppressions[0]).sort()).toEqual(['created_at', 'id', 'kind', 'reason']);
    expect((await call('GET', '/api/v1/suppressions?kind=phone')).json().suppressions).toHaveLength(1);
    const page1 = (await call('GET', '/api/v1/suppressions?limit=1')).json();
    expect(page1.next_cursor).not.toBeNull();
    const page2 = (await call('GET', `/api/v1/suppressions?limit=1&cursor=${page1.next_cursor}`)).json();
    expect(page2.suppressions[0].id).not.toBe(page1.suppressions[0].id);
    expect(
      (await call('POST', '/api/v1/suppressions/check', { email: 'someone@example.com' })).json(),
    ).toEqual({
      suppressed: false,
    });
    expect((await call('POST', '/api/v1/suppressions/check', {})).statusCode).toBe(400);
  });

  it('is admin-only to list and agent-level to check', async () => {
    const { workspace } = await setup();
    const agent = withKey(t, await newApiKey(t, workspace.id, 'agent'));
    expect((await agent('GET', '/api/v1/suppressions')).statusCode).toBe(403);
    expect((await agent('POST', '/api/v1/suppressions/check', { phone: '+34612345678' })).json()).toEqual({
      suppressed: false,
    });
  });
});
