import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { runOnce } from 'graphile-worker';
import { describe, expect, it } from 'vitest';
import { newApiKey, newWorkspace, setupTestApp, withKey } from '../../../test/support/app.ts';
import { manualClientAnalyses, stopAutoAnalyzeOfClients } from '../../../test/support/statistics.ts';
import { systemContext } from '../../platform/auth/context.ts';
import { silentWorkerLogger } from '../../platform/db/db.ts';
import { runStartupRecoveries } from '../../platform/queue/queue.ts';
import { createClient } from '../clients/clients.service.ts';
import { getConsent } from '../consent/consent.service.ts';
import { createSuppressionList } from '../consent/suppressions.service.ts';
import { requestDryRun, requeueStalledImports, runImport } from './imports.service.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/imports');
const MAX_BYTES = 200_000;
const t = setupTestApp({
  CLIENTELA_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'clientela-imports-')),
  IMPORT_MAX_BYTES: String(MAX_BYTES),
});

function multipart(fileName: string, content: Buffer | string, fields: Record<string, string> = {}) {
  const boundary = `----clientela${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields))
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
    Buffer.isBuffer(content) ? content : Buffer.from(content),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

async function setup() {
  const workspace = await newWorkspace(t);
  const key = await newApiKey(t, workspace.id, 'owner');
  const api = withKey(t, key);
  const upload = async (fileName: string, content?: Buffer | string, fields: Record<string, string> = {}) => {
    const body = multipart(fileName, content ?? readFileSync(path.join(FIXTURES, fileName)), fields);
    return t.inject({
      method: 'POST',
      url: '/api/v1/imports',
      headers: { authorization: `Bearer ${key}`, 'content-type': body.contentType },
      payload: body.payload,
    });
  };
  return { workspace, key, api, upload, db: t.app.dbHandle.db, ctx: systemContext(workspace.id, 'test') };
}

async function runJobs() {
  await runOnce({ pgPool: t.app.dbHandle.pool, taskList: t.app.jobs.tasks, logger: silentWorkerLogger() });
}

async function clientsOf(workspaceId: string) {
  const rows = await t.app.dbHandle.db.execute<Record<string, unknown>>(sql`
    select first_name, last_name, email, phone, city, country, birthday::text as birthday, external_id, custom
    from clients where workspace_id = ${workspaceId} order by created_at, email`);
  return rows.rows;
}

describe('imports', () => {
  it('uploads a Google Contacts export, proposes the mapping, dry-runs, runs as a job and audits', async () => {
    const { workspace, api, upload } = await setup();
    const uploaded = await upload('google-contacts.csv');
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    const imp = uploaded.json();
    expect(imp).toMatchObject({ status: 'uploaded', format: 'csv', encoding: 'utf-8', delimiter: ',' });
    const email = imp.columns.find((c: { header: string }) => c.header === 'E-mail 1 - Value');
    expect(email).toMatchObject({ target: 'email', detected_type: 'email' });
    expect(email.samples[0]).toBe('lucia.garcia@example.com');

    const dry = await api('POST', `/api/v1/imports/${imp.id}/dry-run`, {});
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json().counts).toEqual({ created: 3, updated: 0, duplicates: 0, invalid: 0, suppressed: 0 });
    expect(dry.json().preview[0]).toMatchObject({
      row: 2,
      action: 'create',
      client: {
        first_name: 'Lucía',
        phone: '+34612345678',
        birthday: '1985-04-03',
        tags: ['myContacts', 'VIP'],
      },
    });
    expect(await clientsOf(workspace.id)).toEqual([]);

    const started = await api('POST', `/api/v1/imports/${imp.id}/start`, { tags: ['google'] });
    expect(started.statusCode, started.body).toBe(202);
    expect(started.json().status).toBe('queued');
    await runJobs();
    const done = (await api('GET', `/api/v1/imports/${imp.id}`)).json();
    expect(done).toMatchObject({
      status: 'completed',
      total_rows: 3,
      processed_rows: 3,
      counts: { created: 3 },
    });
    const stored = await clientsOf(workspace.id);
    expect(stored.map((c) => c.phone).sort()).toEqual(['+33612345678', '+34612000111', '+34612345678']);
    const list = (await api('GET', '/api/v1/clients?tag=google&limit=10')).json();
    expect(list.clients).toHaveLength(3);
    const audit = (await api('GET', '/api/v1/audit-log?limit=50&entity_type=import')).json();
    const actions = audit.entries.map((e: { action: string }) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining(['import.uploaded', 'import.started', 'import.completed']),
    );

    const events = await api('GET', `/api/v1/imports/${imp.id}/events`);
    expect(events.headers['content-type']).toMatch(/text\/event-stream/);
    expect(events.body).toMatch(/^event: progress\ndata: \{.*"status":"completed"/);
  });

  it('imports the 5%-broken file: good rows in, each bad row reported with row, column, value and reason', async () => {
    const { workspace, api, upload } = await setup();
    const imp = (await upload('broken-5pct.csv')).json();
    await api('POST', `/api/v1/imports/${imp.id}/start`, {});
    await runJobs();
    const done = (await api('GET', `/api/v1/imports/${imp.id}`)).json();
    expect(done.counts).toEqual({ created: 95, updated: 0, duplicates: 0, invalid: 5, suppressed: 0 });
    expect(await clientsOf(workspace.id)).toHaveLength(95);
    const report = await api('GET', `/api/v1/imports/${imp.id}/errors.csv`);
    expect(report.statusCode).toBe(200);
    const lines = report.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe('row,column,value,reason');
    expect(lines.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual([
      '11,email,not-an-email',
      '31,phone,12',
      '51,birthday,31/02/1990',
      '71,,',
      '91,country,Atlantis',
    ]);
  });

  it('brings the clients’ statistics up to date when it wrote more than a tenth of them (a campaign may follow at once)', async () => {
    const { api, upload, db } = await setup();
    await stopAutoAnalyzeOfClients(db);
    await db.execute(sql`analyze clients`);
    const tuples = (
      await db.execute<{ n: number }>(
        sql`select reltuples::int as n from pg_class where oid = 'clients'::regclass`,
      )
    ).rows[0]!.n;
    const rows = Math.ceil(50 + 0.1 * Math.max(tuples, 0)) + 20;
    const csv = [
      'first_name,email',
      ...Array.from({ length: rows }, (_, i) => `Row ${i},row${i}@example.com`),
    ];
    const before = await manualClientAnalyses(db);
    const imp = (await upload('many.csv', csv.join('\n'))).json();
    expect((await api('POST', `/api/v1/imports/${imp.id}/start`, {})).statusCode).toBe(202);
    await runJobs();
    expect((await api('GET', `/api/v1/imports/${imp.id}`)).json().counts.created).toBe(rows);
    expect(await manualClientAnalyses(db)).toBe(before + 1);
  });

  it('deduplicates by external_id, then email, then phone, inside the file and against existing clients', async () => {
    const { workspace, api, upload, db, ctx } = await setup();
    await createClient(db, ctx, { external_id: 'ext-1', first_name: 'Existing', last_name: 'One' });
    await createClient(db, ctx, {
      email: 'existing@example.com',
      first_name: 'Existing',
      last_name: 'Two',
      city: 'Madrid',
    });

    const skip = (await upload('duplicates.csv')).json();
    const dry = (await api('POST', `/api/v1/imports/${skip.id}/dry-run`, { on_duplicate: 'skip' })).json();
    // ext-1, existing@, new.once@ twice (second is a duplicate), the phone twin of new.once
    expect(dry.counts).toEqual({ created: 2, updated: 0, duplicates: 4, invalid: 0, suppressed: 0 });
    const update = await api('POST', `/api/v1/imports/${skip.id}/start`, { on_duplicate: 'update' });
    expect(update.statusCode).toBe(202);
    await runJobs();
    const done = (await api('GET', `/api/v1/imports/${skip.id}`)).json();
    // existing@ has nothing empty to fill: a duplicate, not an update
    expect(done.counts).toEqual({ created: 2, updated: 1, duplicates: 4, invalid: 0, suppressed: 0 });
    const stored = await clientsOf(workspace.id);
    expect(stored).toHaveLength(4);
    // update fills empty fields only: Madrid stays, the external client gets its city, new.once gets Cádiz
    expect(stored.find((c) => c.external_id === 'ext-1')).toMatchObject({
      city: 'Valencia',
      last_name: 'One',
    });
    expect(stored.find((c) => c.email === 'existing@example.com')).toMatchObject({
      city: 'Madrid',
      last_name: 'Two',
    });
    expect(stored.find((c) => c.email === 'new.once@example.com')).toMatchObject({
      city: 'Cádiz',
      last_name: 'Once',
      phone: '+34600111222',
    });

    // overwrite replaces; undo puts the previous values back and removes the created clients
    const again = (await upload('duplicates.csv')).json();
    await api('POST', `/api/v1/imports/${again.id}/start`, { on_duplicate: 'overwrite' });
    await runJobs();
    const overwritten = await clientsOf(workspace.id);
    expect(overwritten.find((c) => c.email === 'existing@example.com')).toMatchObject({
      city: 'Toledo',
      last_name: 'ByEmail',
    });
    // Someone corrects the city the import wrote: undo must not throw that correction away.
    const byEmail = overwritten.find((c) => c.email === 'existing@example.com')!;
    const [{ id: byEmailId }] = (
      await db.execute<{ id: string }>(
        sql`select id from clients where workspace_id = ${workspace.id} and email = ${byEmail.email as string}`,
      )
    ).rows as [{ id: string }];
    const edited = await api('PATCH', `/api/v1/clients/${byEmailId}`, { city: 'Segovia' });
    expect(edited.statusCode, edited.body).toBe(200);
    const undo = await api('POST', `/api/v1/imports/${again.id}/undo`);
    expect(undo.statusCode, undo.body).toBe(200);
    expect(undo.json()).toMatchObject({ removed_clients: 0, import: { status: 'undone' } });
    expect((await clientsOf(workspace.id)).find((c) => c.email === 'existing@example.com')).toMatchObject({
      city: 'Segovia',
      last_name: 'Two',
    });
    const undoFirst = (await api('POST', `/api/v1/imports/${skip.id}/undo`)).json();
    expect(undoFirst.removed_clients).toBe(2);
    const left = await clientsOf(workspace.id);
    expect(left.map((c) => c.last_name).sort()).toEqual(['One', 'Two']);
    expect(left.find((c) => c.external_id === 'ext-1')!.city).toBeNull();
    expect((await api('POST', `/api/v1/imports/${skip.id}/undo`)).statusCode).toBe(422);

    // create makes another client, except for a taken external_id
    const create = (await upload('duplicates.csv')).json();
    const created = (
      await api('POST', `/api/v1/imports/${create.id}/dry-run`, { on_duplicate: 'create' })
    ).json();
    expect(created.counts).toMatchObject({ created: 5, duplicates: 4 });
  });

  it('matches a row to an archived client (never a second client), leaves it archived and says so in the report', async () => {
    const { workspace, api, upload, db, ctx } = await setup();
    const archived = await createClient(db, ctx, { email: 'kept@example.com', first_name: 'Kept' });
    expect((await api('POST', `/api/v1/clients/${archived.id}/archive`)).statusCode).toBe(200);
    for (const policy of ['update', 'create']) {
      const imp = (
        await upload('archived.csv', 'email,city\nkept@example.com,Lugo\nfresh@example.com,Soria\n')
      ).json();
      await api('POST', `/api/v1/imports/${imp.id}/start`, { on_duplicate: policy });
      await runJobs();
      const report = await api('GET', `/api/v1/imports/${imp.id}/errors.csv`);
      expect(report.body).toContain('matched an archived client');
    }
    const stored = await clientsOf(workspace.id);
    expect(stored.filter((c) => c.email === 'kept@example.com')).toEqual([
      expect.objectContaining({ city: 'Lugo' }),
    ]);
    const client = (await api('GET', `/api/v1/clients/${archived.id}`)).json();
    expect(client.archived_at).not.toBeNull();
  });

  it('sets consent only with evidence, records it as source import, and never re-subscribes suppressed people', async () => {
    const { workspace, api, upload, db, ctx } = await setup();
    const gone = await createClient(db, ctx, { email: 'client3@example.com', first_name: 'Gone' });
    const erased = await api('POST', `/api/v1/clients/${gone.id}/erase`, { confirm: true });
    expect(erased.statusCode, erased.body).toBe(200);
    const imp = (await upload('broken-5pct.csv')).json();
    const refused = await api('POST', `/api/v1/imports/${imp.id}/start`, { consent: { email: true } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.details[0].path).toBe('/consent_evidence');
    const ok = await api('POST', `/api/v1/imports/${imp.id}/start`, {
      consent: { email: true },
      consent_evidence: 'Paper form at the front desk, 2024',
    });
    expect(ok.statusCode, ok.body).toBe(202);
    await runJobs();
    const done = (await api('GET', `/api/v1/imports/${imp.id}`)).json();
    expect(done.counts).toMatchObject({ created: 94, invalid: 5, suppressed: 1 });
    const [first] = (
      await db.execute<{ id: string }>(sql`
      select id from clients where workspace_id = ${workspace.id} and email = 'client1@example.com'`)
    ).rows;
    const consent = await getConsent(db, workspace.id, first!.id);
    expect(consent.consent.email).toBe(true);
    expect(consent.history[0]).toMatchObject({
      channel: 'email',
      granted: true,
      source: 'import',
      evidence: 'Paper form at the front desk, 2024',
    });
    const report = (await api('GET', `/api/v1/imports/${imp.id}/errors.csv`)).body;
    expect(report).toContain('4,,,skipped: the email is on the suppression list');
  });

  it('never subscribes again a person who unsubscribed, whether the row updates them or would create them anew', async () => {
    const { workspace, api, upload, db, ctx } = await setup();
    const left = await createClient(db, ctx, { email: 'left@example.com', first_name: 'Left' });
    const consent = (changes: Record<string, boolean>, source: string) =>
      api('PATCH', `/api/v1/clients/${left.id}/consent`, { changes, source, evidence: 'test' });
    expect((await consent({ email: true }, 'form')).statusCode).toBe(200);
    expect((await consent({ email: false }, 'unsubscribe_link')).statusCode).toBe(200);
    // Never asked is not the same as unsubscribed: this one gets the import's consent.
    await createClient(db, ctx, { email: 'never@example.com', first_name: 'Never' });
    const file =
      'email,first_name,city\nleft@example.com,Left,Lugo\nnever@example.com,Never,Soria\nnew@example.com,New,Vigo\n';
    for (const policy of ['update', 'create']) {
      const imp = (await upload('consent.csv', file)).json();
      const options = {
        on_duplicate: policy,
        consent: { email: true, sms: true },
        consent_evidence: 'Signed form, 2025',
      };
      const dry = (await api('POST', `/api/v1/imports/${imp.id}/dry-run`, options)).json();
      expect(dry.counts).toMatchObject({ suppressed: 1 });
      expect(dry.preview[0]).toMatchObject({ row: 2, action: 'suppressed' });
      expect((await api('POST', `/api/v1/imports/${imp.id}/start`, options)).statusCode).toBe(202);
      await runJobs();
      const done = (await api('GET', `/api/v1/imports/${imp.id}`)).json();
      expect(done.counts).toMatchObject({ suppressed: 1 });
      const report = (await api('GET', `/api/v1/imports/${imp.id}/errors.csv`)).body;
      expect(report).toContain('2,,,skipped: this person unsubscribed from email');
    }
    const rows = await db.execute<{ email: string; consent_email: boolean; city: string | null }>(sql`
      select email, consent_email, city from clients where workspace_id = ${workspace.id} order by email, created_at`);
    // Still one left@, still unsubscribed, untouched; the others got the consent.
    expect(rows.rows.filter((r) => r.email === 'left@example.com')).toEqual([
      { email: 'left@example.com', consent_email: false, city: null },
    ]);
    expect(rows.rows.filter((r) => r.email !== 'left@example.com').every((r) => r.consent_email)).toBe(true);
    const history = await getConsent(db, workspace.id, left.id);
    expect(history.history.filter((h) => h.source === 'import')).toEqual([]);
  });

  it('gives the consent asked for to existing clients the file updates, even when the row brings nothing else new', async () => {
    const { workspace, api, upload, db, ctx } = await setup();
    const known = await createClient(db, ctx, { email: 'known@example.com', first_name: 'Known' });
    const imp = (await upload('consent.csv', 'email,first_name\nknown@example.com,Known\n')).json();
    const options = {
      on_duplicate: 'update',
      consent: { email: true },
      consent_evidence: 'Newsletter sign-up sheet, 2025',
    };
    const dry = (await api('POST', `/api/v1/imports/${imp.id}/dry-run`, options)).json();
    expect(dry.counts).toEqual({ created: 0, updated: 1, duplicates: 1, invalid: 0, suppressed: 0 });
    await api('POST', `/api/v1/imports/${imp.id}/start`, options);
    await runJobs();
    const done = (await api('GET', `/api/v1/imports/${imp.id}`)).json();
    expect(done.counts).toEqual({ created: 0, updated: 1, duplicates: 1, invalid: 0, suppressed: 0 });
    const consent = await getConsent(db, workspace.id, known.id);
    expect(consent.consent.email).toBe(true);
    expect(consent.history[0]).toMatchObject({
      source: 'import',
      evidence: 'Newsletter sign-up sheet, 2025',
    });
    // skip leaves existing clients as they are, consent included
    const skipped = (await upload('consent.csv', 'email,first_name\nknown@example.com,Known\n')).json();
    const skipDry = (
      await api('POST', `/api/v1/imports/${skipped.id}/dry-run`, { ...options, on_duplicate: 'skip' })
    ).json();
    expect(skipDry.counts).toMatchObject({ updated: 0, duplicates: 1 });
    // and undo takes it back
    expect((await api('POST', `/api/v1/imports/${imp.id}/undo`)).json()).toMatchObject({
      restored_clients: 1,
    });
    expect((await getConsent(db, workspace.id, known.id)).consent.email).toBe(false);
  });

  it('undo takes back the consent it granted to existing clients, unless the person decided since', async () => {
    const { workspace, api, upload, db, ctx } = await setup();
    const plain = await createClient(db, ctx, { email: 'plain@example.com', first_name: 'Plain' });
    const decided = await createClient(db, ctx, { email: 'decided@example.com', first_name: 'Decided' });
    const imp = (
      await upload('consent.csv', 'email,city\nplain@example.com,Lugo\ndecided@example.com,Soria\n')
    ).json();
    const started = await api('POST', `/api/v1/imports/${imp.id}/start`, {
      on_duplicate: 'update',
      consent: { email: true },
      consent_evidence: 'Signed form, 2025',
    });
    expect(started.statusCode, started.body).toBe(202);
    await runJobs();
    expect((await getConsent(db, workspace.id, plain.id)).consent.email).toBe(true);
    // After the import, this one leaves and comes back by themselves: undo must not take that away.
    for (const [granted, source] of [
      [false, 'unsubscribe_link'],
      [true, 'form'],
    ] as const) {
      const changed = await api('PATCH', `/api/v1/clients/${decided.id}/consent`, {
        changes: { email: granted },
        source,
        evidence: 'their own choice',
      });
      expect(changed.statusCode).toBe(200);
    }
    const undo = await api('POST', `/api/v1/imports/${imp.id}/undo`);
    expect(undo.statusCode, undo.body).toBe(200);
    const plainAfter = await getConsent(db, workspace.id, plain.id);
    expect(plainAfter.consent.email).toBe(false);
    expect(plainAfter.history[0]).toMatchObject({
      channel: 'email',
      granted: false,
      source: 'import',
      evidence: `import ${imp.id} undone`,
    });
    expect((await getConsent(db, workspace.id, decided.id)).consent.email).toBe(true);
    expect((await clientsOf(workspace.id)).map((c) => c.city)).toEqual([null, null]);
  });

  it('resumes after a crash from the last committed batch without duplicating rows, and can be cancelled', async () => {
    const { workspace, api, upload, db } = await setup();
    const rows = ['email,first_name'];
    for (let i = 0; i < 5000; i++) rows.push(`person${i}@example.com,Person ${i}`);
    const imp = (await upload('big.csv', `${rows.join('\n')}\n`)).json();
    expect((await api('POST', `/api/v1/imports/${imp.id}/start`, {})).statusCode).toBe(202);
    const deps = { suppressions: createSuppressionList('test-secret') };
    await expect(
      runImport(db, deps, workspace.id, imp.id, {
        batchSize: 2000,
        afterBatch: (n) => {
          if (n === 1) throw new Error('worker killed');
        },
      }),
    ).rejects.toThrow('worker killed');
    const crashed = (await api('GET', `/api/v1/imports/${imp.id}`)).json();
    expect(crashed).toMatchObject({ status: 'running', processed_rows: 2000, counts: { created: 2000 } });
    await runJobs(); // the queued job picks it up and resumes
    const done = (await api('GET', `/api/v1/imports/${imp.id}`)).json();
    expect(done).toMatchObject({
      status: 'completed',
      processed_rows: 5000,
      counts: { created: 5000, duplicates: 0 },
    });
    const count = await db.execute<{ n: number }>(
      sql`select count(*)::int as n, count(distinct email)::int as d from clients where workspace_id = ${workspace.id}`,
    );
    expect(count.rows[0]).toMatchObject({ n: 5000, d: 5000 });

    const other = (await upload('big.csv', `${rows.join('\n')}\n`)).json();
    await api('POST', `/api/v1/imports/${other.id}/start`, {});
    const cancelled = await api('POST', `/api/v1/imports/${other.id}/cancel`);
    expect(cancelled.json().status).toBe('cancelled');
    await runJobs();
    expect((await api('GET', `/api/v1/imports/${other.id}`)).json()).toMatchObject({
      status: 'cancelled',
      processed_rows: 0,
    });
  });

  it('in a workspace it alone fills, looks up only identities it may have written, and every identity once someone else adds a client', async () => {
    const { workspace, api, upload, db, ctx } = await setup();
    const deps = { suppressions: createSuppressionList('test-secret') };
    const rows = ['email,first_name,phone'];
    for (let i = 0; i < 3000; i++)
      rows.push(
        i === 2500
          ? 'u100@example.com,Again,' // the email of a row two batches earlier
          : i === 2800
            ? 'by.hand@example.com,Later,'
            : `u${i}@example.com,U ${i},+346${String(10_000_000 + i)}`,
      );
    const file = `${rows.join('\n')}\n`;

    // Alone in the workspace: only the keys it may have written are looked up, and the repeated
    // email of an earlier batch is still found.
    const first = (await upload('fresh.csv', file)).json();
    await api('POST', `/api/v1/imports/${first.id}/start`, {});
    const stats = { lookedUpKeys: -1 };
    await runImport(db, deps, workspace.id, first.id, { batchSize: 1000, stats });
    expect((await api('GET', `/api/v1/imports/${first.id}`)).json().counts).toEqual({
      created: 2999,
      updated: 0,
      duplicates: 1,
      invalid: 0,
      suppressed: 0,
    });
    expect(stats.lookedUpKeys).toBeGreaterThanOrEqual(1);
    expect(stats.lookedUpKeys).toBeLessThan(10); // of 5,999 identities

    // Someone adds a client by hand while a first import runs into another empty workspace: from
    // then on every identity is looked up, and the row with that client's email is a duplicate.
    const other = await setup();
    const second = (await other.upload('fresh.csv', file)).json();
    await other.api('POST', `/api/v1/imports/${second.id}/start`, {});
    const secondStats = { lookedUpKeys: -1 };
    await runImport(db, deps, other.workspace.id, second.id, {
      batchSize: 1000,
      stats: secondStats,
      afterBatch: async (n) => {
        if (n === 1)
          await createClient(other.db, other.ctx, { email: 'by.hand@example.com', first_name: 'Hand' });
      },
    });
    expect((await other.api('GET', `/api/v1/imports/${second.id}`)).json().counts).toMatchObject({
      created: 2998,
      duplicates: 2,
    });
    expect(secondStats.lookedUpKeys).toBeGreaterThan(3000);
    const stored = await db.execute<{ n: number }>(
      sql`select count(*)::int as n from clients where workspace_id = ${other.workspace.id} and email = 'by.hand@example.com'`,
    );
    expect(stored.rows[0]!.n).toBe(1);
    // The first workspace is untouched by the second import.
    expect((await clientsOf(workspace.id)).length).toBe(2999);
    expect(ctx.workspaceId).toBe(workspace.id);
  });

  it('re-queues an import whose worker died, and a stale runner never writes rows twice', async () => {
    const { workspace, api, upload, db } = await setup();
    const rows = ['email,first_name'];
    for (let i = 0; i < 4500; i++) rows.push(`w${i}@example.com,W ${i}`);
    const imp = (await upload('watch.csv', `${rows.join('\n')}\n`)).json();
    await api('POST', `/api/v1/imports/${imp.id}/start`, {});
    const deps = { suppressions: createSuppressionList('test-secret') };
    // The worker "dies" after its first batch: its job is gone (locked by a dead process), the import stays running.
    await expect(
      runImport(db, deps, workspace.id, imp.id, {
        batchSize: 2000,
        afterBatch: () => {
          throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    await db.execute(sql`select graphile_worker.remove_job(${`imports.run:${imp.id}`})`);
    expect(await requeueStalledImports(db)).toBe(0); // still fresh
    await db.execute(
      sql`update imports set progress_at = now() - interval '11 minutes' where id = ${imp.id}`,
    );
    expect(await requeueStalledImports(db)).toBe(1);
    const queued = await db.execute<{ n: number }>(
      sql`select count(*)::int as n from graphile_worker.jobs where key = ${`imports.run:${imp.id}`}`,
    );
    expect(queued.rows[0]!.n).toBe(1);
    // A second, stale runner started from the old position stops at its first batch instead of repeating it.
    const stale = runImport(db, deps, workspace.id, imp.id, {
      batchSize: 2000,
      afterBatch: async () => {},
    });
    await runJobs();
    await stale;
    const done = (await api('GET', `/api/v1/imports/${imp.id}`)).json();
    expect(done).toMatchObject({ status: 'completed', processed_rows: 4500, counts: { created: 4500 } });
    const count = await db.execute<{ n: number }>(
      sql`select count(*)::int as n from clients where workspace_id = ${workspace.id}`,
    );
    expect(count.rows[0]!.n).toBe(4500);
  });

  it('dry-runs a large file as a background job: 202 running, then the first 20 rows and the full counts; nothing written', async () => {
    const { workspace, api, upload, db, ctx } = await setup();
    const rows = ['email,first_name,phone'];
    for (let i = 0; i < 2500; i++) rows.push(`${i % 10 === 3 ? 'broken' : `dry${i}@example.com`},Dry ${i},`);
    rows.push('dry0@example.com,Again,');
    const imp = (await upload('dry.csv', `${rows.join('\n')}\n`)).json();
    const deps = { suppressions: createSuppressionList('test-secret') };
    // Any file above the threshold goes to the job (0 bytes here, so this small one does).
    const running = await requestDryRun(
      db,
      deps,
      { ...ctx, role: 'owner' },
      imp.id,
      { on_duplicate: 'skip' },
      0,
    );
    expect(running).toMatchObject({ status: 'running', total_rows: null, counts: null });
    const polled = await api('GET', `/api/v1/imports/${imp.id}/dry-run`);
    expect(polled.statusCode).toBe(200);
    expect(polled.json().status).toBe('running');
    await runJobs();
    const done = (await api('GET', `/api/v1/imports/${imp.id}/dry-run`)).json();
    expect(done).toMatchObject({
      status: 'completed',
      total_rows: 2501,
      counts: { created: 2250, duplicates: 1, invalid: 250, updated: 0, suppressed: 0 },
      error: null,
    });
    expect(done.preview).toHaveLength(20);
    expect(done.preview).toContainEqual(
      expect.objectContaining({
        row: 2,
        action: 'create',
        client: expect.objectContaining({ email: 'dry0@example.com' }),
      }),
    );
    expect(done.preview).toContainEqual(expect.objectContaining({ row: 5, action: 'invalid' }));
    const count = await db.execute<{ n: number }>(
      sql`select count(*)::int as n from clients where workspace_id = ${workspace.id}`,
    );
    expect(count.rows[0]!.n).toBe(0);
    expect((await api('GET', `/api/v1/imports/${imp.id}`)).json().status).toBe('uploaded');
    // Bad options are refused before any job; another workspace sees nothing.
    const bad = await api('POST', `/api/v1/imports/${imp.id}/dry-run`, { mapping: { nope: 'email' } });
    expect(bad.statusCode).toBe(400);
    const other = await newWorkspace(t);
    const otherApi = withKey(t, await newApiKey(t, other.id, 'owner'));
    expect((await otherApi('GET', `/api/v1/imports/${imp.id}/dry-run`)).statusCode).toBe(404);
    // A small file's dry run answers in the request, as before.
    const small = await api('POST', `/api/v1/imports/${imp.id}/dry-run`, {});
    expect(small.statusCode).toBe(200);
    expect(small.json()).toMatchObject({ status: 'completed', total_rows: 2501 });
  });

  it('queues again, when a worker starts, the imports and exports a killed process left running', async () => {
    const { workspace, api, upload, db } = await setup();
    const rows = ['email,first_name'];
    for (let i = 0; i < 3000; i++) rows.push(`boot${i}@example.com,Boot ${i}`);
    const imp = (await upload('boot.csv', `${rows.join('\n')}\n`)).json();
    await api('POST', `/api/v1/imports/${imp.id}/start`, {});
    const deps = { suppressions: createSuppressionList('test-secret') };
    await expect(
      runImport(db, deps, workspace.id, imp.id, {
        batchSize: 2000,
        afterBatch: () => {
          throw new Error('process killed');
        },
      }),
    ).rejects.toThrow('process killed');
    const exp = (await api('POST', '/api/v1/exports', { selection: { kind: 'all' }, format: 'csv' })).json();
    await db.execute(sql`update exports set status = 'running' where id = ${exp.id}`);
    // Both jobs are held by the dead process (locked), as after a kill -9.
    await db.execute(sql`
      update graphile_worker._private_jobs set locked_at = now(), locked_by = 'dead-worker'
      where key in (${`imports.run:${imp.id}`}, ${`exports.run:${exp.id}`})`);
    await runJobs();
    expect((await api('GET', `/api/v1/imports/${imp.id}`)).json()).toMatchObject({
      status: 'running',
      processed_rows: 2000,
    });
    expect((await api('GET', `/api/v1/exports/${exp.id}`)).json().status).toBe('running');

    await runStartupRecoveries(t.app.jobs, silentWorkerLogger());
    await runJobs();
    expect((await api('GET', `/api/v1/imports/${imp.id}`)).json()).toMatchObject({
      status: 'completed',
      processed_rows: 3000,
      counts: { created: 3000 },
    });
    const count = await db.execute<{ n: number }>(
      sql`select count(*)::int as n from clients where workspace_id = ${workspace.id}`,
    );
    expect(count.rows[0]!.n).toBe(3000);
    const done = (await api('GET', `/api/v1/exports/${exp.id}`)).json();
    expect(done).toMatchObject({ status: 'completed' });
    expect(done.processed_rows).toBeGreaterThan(0);
  });

  it('reads XLSX sheets by name, JSON and Latin-1 files; remembers the mapping for the same shape', async () => {
    const { workspace, api, upload } = await setup();
    const xlsx = await upload('hand-made-es.xlsx', undefined, { sheet: 'Clientes' });
    expect(xlsx.statusCode, xlsx.body).toBe(201);
    const x = xlsx.json();
    expect(x.headers).toContain('Móvil');
    const start = await api('POST', `/api/v1/imports/${x.id}/start`, { mapping: { Gasto: 'new.gasto' } });
    expect(start.statusCode, start.body).toBe(202);
    await runJobs();
    const stored = await clientsOf(workspace.id);
    expect(stored[0]).toMatchObject({
      first_name: 'Carmen',
      phone: '+34622333444',
      birthday: '1979-04-03',
      custom: { gasto: 1234.5 },
    });
    // the new field took the column's detected type
    const fields = (await api('GET', '/api/v1/custom-fields')).json().custom_fields;
    expect(fields.find((f: { key: string }) => f.key === 'gasto')).toMatchObject({ type: 'number' });

    const missing = await upload('hand-made-es.xlsx', undefined, { sheet: 'Nope' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.details[0].path).toBe('/sheet');

    // the same shape again: the saved mapping comes back
    const again = (await upload('hand-made-es.xlsx', undefined, { sheet: 'Clientes' })).json();
    expect(again.columns.find((c: { header: string }) => c.header === 'Gasto').target).toBe('custom.gasto');

    const json = (await upload('contacts.json')).json();
    expect((await api('POST', `/api/v1/imports/${json.id}/dry-run`, {})).json().counts.created).toBe(2);
    const latin = (await upload('latin1-fr.csv')).json();
    const preview = (await api('POST', `/api/v1/imports/${latin.id}/dry-run`, {})).json().preview;
    expect(preview[0].client).toMatchObject({
      first_name: 'Élodie',
      last_name: 'Lefèvre',
      phone: '+33698765432',
      country: 'FR',
    });
  });

  it('refuses bad files and uploads: too large (413), not multipart (415), binary, empty, bad mapping (400)', async () => {
    const { api, upload, key } = await setup();
    const big = await upload('big.csv', Buffer.alloc(MAX_BYTES * 2, 'a'));
    expect(big.statusCode).toBe(413);
    const slightly = await upload('big.csv', Buffer.alloc(MAX_BYTES + 20_000, 'a'));
    expect(slightly.statusCode).toBe(413);
    const json = await t.inject({
      method: 'POST',
      url: '/api/v1/imports',
      headers: { authorization: `Bearer ${key}` },
      payload: { file: 'x' },
    });
    expect(json.statusCode).toBe(415);
    const binary = await upload('binary.csv');
    expect(binary.statusCode).toBe(400);
    expect(binary.json().error.details[0].message).toMatch(/not a text file/);
    expect((await upload('empty.csv')).statusCode).toBe(400);
    const headerOnly = (await upload('header-only.csv')).json();
    expect((await api('POST', `/api/v1/imports/${headerOnly.id}/dry-run`, {})).json()).toMatchObject({
      total_rows: 0,
    });
    const bad = await api('POST', `/api/v1/imports/${headerOnly.id}/start`, {
      mapping: { email: 'nonsense', nope: 'email' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.map((d: { path: string }) => d.path)).toEqual([
      '/mapping/email',
      '/mapping/nope',
    ]);
  });
});
