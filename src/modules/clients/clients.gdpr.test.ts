import { createHmac } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { runOnce } from 'graphile-worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newApiKey, newWorkspace, setupTestApp, type TestApp, withKey } from '../../../test/support/app.ts';
import { type Clientela, createClientela } from '../../app.ts';
import { loadConfig } from '../../config.ts';
import { silentWorkerLogger } from '../../platform/db/db.ts';
import { createSuppressionList } from '../consent/suppressions.service.ts';
import { registerClientData } from './client-data.ts';
import { RETENTION_TASK, runRetentionJob, sweepRetentionSettings } from './clients.gdpr.ts';

const base = setupTestApp();

// A second instance on the same database with a secret key we know, to check the keyed hashes.
const SECRET = 'gdpr-test-secret-key';
const t = {} as TestApp;
let app: Clientela;
beforeAll(async () => {
  app = await createClientela({
    config: loadConfig({ CLIENTELA_DATA_DIR: '/nonexistent', LOG_LEVEL: 'silent' }),
    databaseUrl: base.url,
    secretKey: SECRET,
    logger: false,
    webDist: null,
  });
  app.markReady();
  Object.assign(t, { app, url: base.url, inject: app.http.inject.bind(app.http) });
});
afterAll(async () => {
  await app?.close();
});

// A participant that fails on demand: proves the erase is one transaction.
const failFor = new Set<string>();
registerClientData({
  name: 'test_failing',
  timelineKinds: [],
  move: async () => {},
  exportFor: async () => null,
  erase: async (_tx, _workspaceId, clientId) => {
    if (failFor.has(clientId)) throw new Error('participant failed');
  },
  timeline: async () => [],
});

const hmac = (value: string) => createHmac('sha256', SECRET).update(value).digest('hex');

async function setup(role: 'admin' | 'owner' = 'owner') {
  const workspace = await newWorkspace(t);
  const key = await newApiKey(t, workspace.id, role);
  return { workspace, key, call: withKey(t, key) };
}

/** A person whose every detail is unique to the calling test, so a scan of the database finds only theirs. */
function person() {
  const tag = Math.random().toString(36).slice(2, 8);
  const digits = String(Math.floor(Math.random() * 900_000) + 100_000);
  return {
    first_name: 'Zoéline',
    last_name: `Quixmarwood${tag}`,
    email: `Zoeline.Quixmarwood${tag}@Example.org`,
    phone: `+34 612 ${digits}`,
    city: `Villaquixa${tag}`,
    birthday: '1987-04-12',
    external_id: `BOOK-QX-${tag}`,
    tag,
    digits,
  };
}

async function richClient(call: ReturnType<typeof withKey>, key: string, p = person()) {
  const { tag, digits, ...PERSON } = p;
  expect(
    (
      await call('POST', '/api/v1/custom-fields', {
        key: 'allergy',
        label: 'Allergy',
        type: 'text',
        visible_min_role: 'admin',
      })
    ).statusCode,
  ).toBe(201);
  const created = await call('POST', '/api/v1/clients', {
    ...PERSON,
    tags: ['vip-quix'],
    custom: { allergy: `Quixpenicillin${tag}` },
    consent: { email: true, sms: true },
    consent_evidence: `Signed at desk by Zoéline Quixmarwood${tag}`,
  });
  expect(created.statusCode, created.body).toBe(201);
  const id = created.json().id as string;
  await call('PATCH', `/api/v1/clients/${id}`, { city: `Quixtown${tag}` });
  await call('POST', `/api/v1/clients/${id}/notes`, {
    body: `Zoéline Quixmarwood${tag} is allergic`,
    pinned: true,
  });
  await t.inject({
    method: 'PATCH',
    url: `/api/v1/clients/${id}/consent`,
    remoteAddress: '203.0.113.77',
    headers: { authorization: `Bearer ${key}`, 'user-agent': `QuixBrowser/${tag}` },
    payload: {
      changes: { whatsapp: true, sms: false },
      source: 'form',
      evidence: `Quixmarwood${tag} web form`,
    },
  });
  expect(digits).toHaveLength(6);
  return id;
}

/** Every row of every public table that mentions any of these strings. */
async function mentions(needles: string[]) {
  const tables = await t.app.dbHandle.db.execute<{ table_name: string }>(
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  const found: string[] = [];
  for (const { table_name } of tables.rows) {
    const rows = await t.app.dbHandle.db.execute<{ row: string }>(
      sql`select row_to_json(x)::text as row from ${sql.identifier(table_name)} x`,
    );
    for (const { row } of rows.rows)
      for (const needle of needles)
        if (row.toLowerCase().includes(needle.toLowerCase())) found.push(`${table_name}: ${row}`);
  }
  return found;
}

describe('GDPR export', () => {
  it('downloads everything about the client: every field, custom values, notes, consent history, field history', async () => {
    const { key, call, workspace } = await setup('admin');
    const p = person();
    const id = await richClient(call, key, p);
    const response = await call('GET', `/api/v1/clients/${id}/export`);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-disposition']).toBe(`attachment; filename="client-${id}.json"`);
    const data = response.json();
    expect(data).toMatchObject({
      format: 'clientela.client-export.v1',
      workspace_id: workspace.id,
      client: {
        id,
        first_name: 'Zoéline',
        last_name: p.last_name,
        email: p.email.toLowerCase(),
        phone: `+34612${p.digits}`,
        city: `Quixtown${p.tag}`,
        external_id: p.external_id,
        birthday: '1987-04-12',
        custom: { allergy: `Quixpenicillin${p.tag}` },
        tags: ['vip-quix'],
        consent: { email: true, sms: false, whatsapp: true, push: false },
        lifetime_value: 0,
      },
    });
    expect(data.notes).toEqual([
      expect.objectContaining({ body: `Zoéline ${p.last_name} is allergic`, pinned: true }),
    ]);
    expect(data.consent).toHaveLength(4);
    expect(data.consent[0]).toMatchObject({
      source: 'form',
      ip: '203.0.113.77',
      user_agent: `QuixBrowser/${p.tag}`,
    });
    expect(data.history.map((h: { type: string }) => h.type)).toEqual(
      expect.arrayContaining(['created', 'fields']),
    );
    expect('test_failing' in data).toBe(true);
    const audit = (await call('GET', `/api/v1/audit-log?action=client.exported&entity_id=${id}`)).json()
      .entries;
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain('Quix');
  });

  it('is for admins and above', async () => {
    const { workspace, key, call } = await setup();
    const id = await richClient(call, key);
    const agent = withKey(t, await newApiKey(t, workspace.id, 'marketer'));
    expect((await agent('GET', `/api/v1/clients/${id}/export`)).statusCode).toBe(403);
    expect((await agent('POST', `/api/v1/clients/${id}/erase`, { confirm: true })).statusCode).toBe(403);
  });
});

describe('GDPR erase', () => {
  it('removes the personal data everywhere, in one go, and keeps only what it must', async () => {
    const { workspace, key, call } = await setup('admin');
    const p = person();
    const id = await richClient(call, key, p);
    const needles = [
      `Quixmarwood${p.tag}`,
      `Villaquixa${p.tag}`,
      `Quixtown${p.tag}`,
      `Quixpenicillin${p.tag}`,
      `612${p.digits}`,
      p.external_id,
      `QuixBrowser/${p.tag}`,
    ];
    expect((await mentions(needles)).length).toBeGreaterThan(5);

    expect((await call('POST', `/api/v1/clients/${id}/erase`, {})).statusCode).toBe(400);
    const refused = await call('POST', `/api/v1/clients/${id}/erase`, { confirm: false });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.details[0].path).toBe('/confirm');

    const erased = await call('POST', `/api/v1/clients/${id}/erase`, { confirm: true });
    expect(erased.statusCode, erased.body).toBe(200);
    expect(erased.json()).toMatchObject({ client_id: id, consent_withdrawn: 2, suppression_entries: 2 });

    // Nothing personal left in any table (the audit log included).
    expect(await mentions(needles)).toEqual([]);

    const db = t.app.dbHandle.db;
    const row = (await db.execute(sql`select * from clients where id = ${id}`)).rows[0] as Record<
      string,
      unknown
    >;
    expect(row).toMatchObject({
      first_name: null,
      last_name: null,
      email: null,
      phone: null,
      city: null,
      birthday: null,
      external_id: null,
      custom: {},
      search_text: '',
      consent_email: false,
      consent_sms: false,
      consent_whatsapp: false,
    });
    expect(row.erased_at).not.toBeNull();
    const count = async (table: string) =>
      (
        await db.execute<{ n: number }>(
          sql`select count(*)::int as n from ${sql.identifier(table)} where client_id = ${id}`,
        )
      ).rows[0]!.n;
    expect(await count('notes')).toBe(0);
    expect(await count('client_tags')).toBe(0);
    expect(await count('client_history')).toBe(0);

    // Consent proof stays: channel, granted, source, actor, time — and ends withdrawn.
    const consent = await db.execute<Record<string, unknown>>(
      sql`select channel, granted, source, evidence, ip, user_agent from consent_events where client_id = ${id} order by occurred_at, id`,
    );
    expect(consent.rows).toHaveLength(6);
    for (const r of consent.rows) expect(r).toMatchObject({ evidence: null, ip: null, user_agent: null });
    const last = new Map(consent.rows.map((r) => [r.channel, r]));
    expect([...last.values()].map((r) => r.granted)).toEqual([false, false, false]);
    expect(last.get('email')).toMatchObject({ granted: false, source: 'admin' });
    expect(last.get('whatsapp')).toMatchObject({ granted: false, source: 'admin' });

    // The suppression list holds the keyed hashes of the email and phone it had.
    const suppressions = await db.execute<{ kind: string; value_hash: string; reason: string }>(
      sql`select kind, value_hash, reason from suppressions where workspace_id = ${workspace.id} order by kind`,
    );
    expect(suppressions.rows).toEqual([
      { kind: 'email', value_hash: hmac(`email:${p.email.toLowerCase()}`), reason: 'erased' },
      { kind: 'phone', value_hash: hmac(`phone:+34612${p.digits}`), reason: 'erased' },
    ]);

    // The audit entry: the id and counts, nothing of what was erased.
    const audit = (await call('GET', `/api/v1/audit-log?action=client.erased&entity_id=${id}`)).json()
      .entries;
    expect(audit).toHaveLength(1);
    const text = JSON.stringify(audit[0]).toLowerCase();
    for (const needle of ['quix', 'zoeline', 'zoéline', p.digits, 'example.org', '1987-04-12'])
      expect(text).not.toContain(needle);
    expect(audit[0].changes.suppression_entries.after).toBe(2);

    // Gone as a client: 404 on reads, on notes and consent, and on a second erase.
    expect((await call('GET', `/api/v1/clients/${id}`)).statusCode).toBe(404);
    expect((await call('GET', `/api/v1/clients/${id}/export`)).statusCode).toBe(404);
    expect((await call('GET', `/api/v1/clients/${id}/consent`)).statusCode).toBe(404);
    expect((await call('POST', `/api/v1/clients/${id}/notes`, { body: 'x' })).statusCode).toBe(404);
    expect((await call('POST', `/api/v1/clients/${id}/erase`, { confirm: true })).statusCode).toBe(404);
  });

  it('keeps the person suppressed when the same email comes back', async () => {
    const { workspace, call } = await setup('admin');
    const first = await call('POST', '/api/v1/clients', {
      first_name: 'Back',
      email: 'back.again@example.net',
      phone: '+34 699 11 22 33',
    });
    await call('POST', `/api/v1/clients/${first.json().id}/erase`, { confirm: true });
    const again = await call('POST', '/api/v1/clients', {
      first_name: 'Back',
      email: 'Back.Again@example.net',
    });
    expect(again.statusCode, again.body).toBe(201);
    const list = createSuppressionList(SECRET);
    const db = t.app.dbHandle.db;
    expect(await list.isSuppressed(db, workspace.id, { email: again.json().email })).toBe(true);
    expect(
      await list.isSuppressed(db, workspace.id, { phone: '699 112 233' }, { defaultCountry: 'ES' }),
    ).toBe(true);
    expect(await list.isSuppressed(db, workspace.id, { email: 'someone.else@example.net' })).toBe(false);
    expect(
      (await call('POST', '/api/v1/suppressions/check', { email: ' back.again@EXAMPLE.net' })).json(),
    ).toEqual({
      suppressed: true,
    });
    expect((await call('POST', '/api/v1/suppressions/check', { phone: '699112233' })).json()).toEqual({
      suppressed: true,
    });
    const listed = (await call('GET', '/api/v1/suppressions')).json().suppressions;
    expect(listed.map((s: { kind: string; reason: string }) => `${s.kind}:${s.reason}`).sort()).toEqual([
      'email:erased',
      'phone:erased',
    ]);
  });

  it('changes nothing when any part of the erase fails', async () => {
    const { workspace, key, call } = await setup('admin');
    const p = person();
    const id = await richClient(call, key, p);
    failFor.add(id);
    const response = await call('POST', `/api/v1/clients/${id}/erase`, { confirm: true });
    failFor.delete(id);
    expect(response.statusCode).toBe(500);
    const client = (await call('GET', `/api/v1/clients/${id}`)).json();
    expect(client).toMatchObject({ last_name: p.last_name, email: p.email.toLowerCase() });
    expect((await call('GET', `/api/v1/clients/${id}/notes`)).json().notes).toHaveLength(1);
    const db = t.app.dbHandle.db;
    const evidence = await db.execute(
      sql`select count(*)::int as n from consent_events where client_id = ${id} and evidence is not null`,
    );
    expect(evidence.rows[0]).toEqual({ n: 4 });
    const suppressed = await db.execute(
      sql`select count(*)::int as n from suppressions where workspace_id = ${workspace.id}`,
    );
    expect(suppressed.rows[0]).toEqual({ n: 0 });
    expect((await call('GET', `/api/v1/audit-log?action=client.erased`)).json().entries).toEqual([]);
  });
});

describe('retention', () => {
  async function clientsWithActivity(call: ReturnType<typeof withKey>) {
    const make = async (name: string, email: string) =>
      (await call('POST', '/api/v1/clients', { first_name: name, email })).json().id as string;
    const old = await make('Old', 'old@example.com');
    const never = await make('Never', 'never@example.com');
    const recent = await make('Recent', 'recent@example.com');
    const db = t.app.dbHandle.db;
    await db.execute(
      sql`update clients set last_activity_at = now() - interval '14 months' where id = ${old}`,
    );
    await db.execute(sql`update clients set created_at = now() - interval '3 years' where id = ${never}`);
    await db.execute(
      sql`update clients set last_activity_at = now() - interval '2 months', created_at = now() - interval '5 years' where id = ${recent}`,
    );
    return { old, never, recent };
  }

  it('previews who would be erased', async () => {
    const { workspace, call } = await setup('admin');
    const { old, never } = await clientsWithActivity(call);
    const preview = await call('POST', '/api/v1/clients/retention/preview', { inactive_months: 12 });
    expect(preview.statusCode, preview.body).toBe(200);
    const body = preview.json();
    expect(body.total).toBe(2);
    expect(body.clients.map((c: { id: string }) => c.id)).toEqual([never, old]);
    expect(body.clients[1].name).toBe('Old');
    expect(Date.parse(body.inactive_since)).toBeLessThan(Date.now() - 364 * 86_400_000);
    expect(
      (await call('POST', '/api/v1/clients/retention/preview', { inactive_months: 120 })).json().total,
    ).toBe(0);
    expect(
      (await call('POST', '/api/v1/clients/retention/preview', { inactive_months: 1 })).json().total,
    ).toBe(3);
    for (const months of [0, 601, 1.5, '12'])
      expect(
        (await call('POST', '/api/v1/clients/retention/preview', { inactive_months: months })).statusCode,
      ).toBe(400);
    // Nothing was erased by looking.
    const live = await t.app.dbHandle.db.execute(
      sql`select count(*)::int as n from clients where workspace_id = ${workspace.id} and erased_at is null`,
    );
    expect(live.rows[0]).toEqual({ n: 3 });
  });

  it('runs as an owner-only background job that erases in batches, skips the newly active, and is idempotent', async () => {
    const { workspace, call } = await setup('owner');
    const { old, never, recent } = await clientsWithActivity(call);
    const admin = withKey(t, await newApiKey(t, workspace.id, 'admin'));
    expect(
      (await admin('POST', '/api/v1/clients/retention/run', { inactive_months: 12, confirm: true }))
        .statusCode,
    ).toBe(403);
    expect(
      (await call('POST', '/api/v1/clients/retention/run', { inactive_months: 12, confirm: false }))
        .statusCode,
    ).toBe(400);

    const run = await call('POST', '/api/v1/clients/retention/run', { inactive_months: 12, confirm: true });
    expect(run.statusCode, run.body).toBe(202);
    expect(run.json()).toMatchObject({ inactive_months: 12, total: 2 });
    // Asking again before the worker ran replaces the pending job instead of adding one.
    const again = await call('POST', '/api/v1/clients/retention/run', { inactive_months: 12, confirm: true });
    expect(again.json().job_id).toBe(run.json().job_id);

    const db = t.app.dbHandle.db;
    const jobs = await db.execute<{ id: string; task_identifier: string; payload: Record<string, unknown> }>(
      sql`select j.id::text, t.identifier as task_identifier, j.payload
          from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
          where j.key = ${`${RETENTION_TASK}:${workspace.id}`}`,
    );
    expect(jobs.rows).toHaveLength(1);
    expect(jobs.rows[0]).toMatchObject({ id: run.json().job_id, task_identifier: RETENTION_TASK });
    expect(jobs.rows[0]!.payload).toMatchObject({ workspace_id: workspace.id, inactive_months: 12 });

    // "Never" becomes active after the request: the job re-checks and keeps them.
    await db.execute(sql`update clients set last_activity_at = now() where id = ${never}`);
    await runOnce({ pgPool: t.app.dbHandle.pool, taskList: t.app.jobs.tasks, logger: silentWorkerLogger() });

    const states = await db.execute<{ id: string; erased: boolean; email: string | null }>(
      sql`select id, erased_at is not null as erased, email from clients where workspace_id = ${workspace.id}`,
    );
    const byId = new Map(states.rows.map((r) => [r.id, r]));
    expect(byId.get(old)).toMatchObject({ erased: true, email: null });
    expect(byId.get(never)).toMatchObject({ erased: false, email: 'never@example.com' });
    expect(byId.get(recent)).toMatchObject({ erased: false });
    // graphile-worker 0.17 completes a job without awaiting it, so runOnce may return a moment
    // before the job row is gone: wait for it rather than race it.
    await expect
      .poll(async () => {
        const left = await db.execute(
          sql`select count(*)::int as n from graphile_worker.jobs where key = ${`${RETENTION_TASK}:${workspace.id}`}`,
        );
        return left.rows[0];
      })
      .toEqual({ n: 0 });

    const audit = [
      ...(await call('GET', '/api/v1/audit-log?action=client')).json().entries,
      ...(await call('GET', '/api/v1/audit-log?action=clients')).json().entries,
    ] as {
      action: string;
      actor: { type: string; label: string };
      entity_id: string;
      changes: Record<string, { after: unknown }>;
    }[];
    const erasedEntries = audit.filter((e) => e.action === 'client.erased');
    expect(erasedEntries).toHaveLength(1);
    expect(erasedEntries[0]).toMatchObject({ entity_id: old, actor: { type: 'system', label: 'retention' } });
    const completed = audit.find((e) => e.action === 'clients.retention_completed');
    expect(completed?.changes.erased?.after).toBe(1);
    expect(audit.filter((e) => e.action === 'clients.retention_requested')).toHaveLength(2);

    // Running the same job again finds nothing more to do.
    const second = await runRetentionJob(
      db,
      { suppressions: createSuppressionList(SECRET) },
      jobs.rows[0]!.payload,
    );
    expect(second).toEqual({ erased: 0, skipped: 0, failed: 0 });
    expect(
      await createSuppressionList(SECRET).isSuppressed(db, workspace.id, { email: 'old@example.com' }),
    ).toBe(true);
  });

  it('keeps a retention setting that the nightly sweep turns into a job for that workspace only', async () => {
    const { workspace, call } = await setup('owner');
    const { old, never } = await clientsWithActivity(call);
    const bad = await call('PATCH', '/api/v1/workspace', { retention_inactive_months: 0 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].path).toBe('/retention_inactive_months');
    const admin = withKey(t, await newApiKey(t, workspace.id, 'admin'));
    const set = await admin('PATCH', '/api/v1/workspace', { retention_inactive_months: 12 });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().retention_inactive_months).toBe(12);
    expect((await call('GET', '/api/v1/workspace')).json().retention_inactive_months).toBe(12);
    // Another workspace with old clients but no setting is never swept.
    const other = await setup('owner');
    await clientsWithActivity(other.call);

    const db = t.app.dbHandle.db;
    const queued = await sweepRetentionSettings(db);
    expect(queued).toBeGreaterThanOrEqual(1);
    const keys = await db.execute<{ key: string; payload: Record<string, unknown> }>(
      sql`select key, payload from graphile_worker._private_jobs where key in (${`${RETENTION_TASK}:${workspace.id}`}, ${`${RETENTION_TASK}:${other.workspace.id}`})`,
    );
    expect(keys.rows).toHaveLength(1);
    expect(keys.rows[0]!.payload).toMatchObject({ inactive_months: 12, requested_by: 'retention setting' });
    await runOnce({ pgPool: t.app.dbHandle.pool, taskList: t.app.jobs.tasks, logger: silentWorkerLogger() });
    const erased = await db.execute<{ id: string }>(
      sql`select id from clients where workspace_id = ${workspace.id} and erased_at is not null order by id`,
    );
    expect(erased.rows.map((r) => r.id).sort()).toEqual([old, never].sort());
    const untouched = await db.execute(
      sql`select count(*)::int as n from clients where workspace_id = ${other.workspace.id} and erased_at is null`,
    );
    expect(untouched.rows[0]).toEqual({ n: 3 });

    // Off again: the sweep queues nothing for it.
    await call('PATCH', '/api/v1/workspace', { retention_inactive_months: null });
    await db.execute(
      sql`update clients set last_activity_at = now() - interval '3 years' where workspace_id = ${workspace.id}`,
    );
    await sweepRetentionSettings(db);
    const none = await db.execute(
      sql`select count(*)::int as n from graphile_worker.jobs where key = ${`${RETENTION_TASK}:${workspace.id}`}`,
    );
    expect(none.rows[0]).toEqual({ n: 0 });
  });

  it('erases many clients across several batches', async () => {
    const { workspace, call } = await setup('owner');
    const db = t.app.dbHandle.db;
    for (let i = 0; i < 230; i++) {
      await db.execute(
        sql`insert into clients (workspace_id, first_name, email, created_at) values (${workspace.id}, ${`Bulk ${i}`}, ${`bulk${i}@example.com`}, now() - interval '2 years')`,
      );
    }
    const preview = (await call('POST', '/api/v1/clients/retention/preview', { inactive_months: 6 })).json();
    expect(preview.total).toBe(230);
    expect(preview.clients).toHaveLength(200);
    const run = (
      await call('POST', '/api/v1/clients/retention/run', { inactive_months: 6, confirm: true })
    ).json();
    const [job] = (
      await db.execute<{ payload: unknown }>(
        sql`select payload from graphile_worker._private_jobs where id = ${run.job_id}::bigint`,
      )
    ).rows;
    const result = await runRetentionJob(db, { suppressions: createSuppressionList(SECRET) }, job!.payload);
    expect(result).toEqual({ erased: 230, skipped: 0, failed: 0 });
    const suppressed = await db.execute(
      sql`select count(*)::int as n from suppressions where workspace_id = ${workspace.id}`,
    );
    expect(suppressed.rows[0]).toEqual({ n: 230 });
  });
});
