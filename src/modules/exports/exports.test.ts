import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { runOnce } from 'graphile-worker';
import { describe, expect, it } from 'vitest';
import { newApiKey, newWorkspace, setupTestApp, withKey } from '../../../test/support/app.ts';
import { systemContext } from '../../platform/auth/context.ts';
import { createSecretBox } from '../../platform/crypto.ts';
import { silentWorkerLogger } from '../../platform/db/db.ts';
import { createClient } from '../clients/clients.service.ts';
import { createCustomField } from '../custom-fields/custom-fields.service.ts';
import { createLocation } from '../locations/locations.service.ts';
import { createSegment } from '../segments/segments.service.ts';
import { createExport, neutralizeCell, removeExpiredExportFiles, runExport } from './exports.service.ts';

const t = setupTestApp({ CLIENTELA_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'clientela-exports-')) });

async function setup() {
  const workspace = await newWorkspace(t);
  const key = await newApiKey(t, workspace.id, 'owner');
  const api = withKey(t, key);
  const db = t.app.dbHandle.db;
  const ctx = systemContext(workspace.id, 'test');
  await createCustomField(db, ctx, { key: 'shoe_size', label: 'Shoe size', type: 'number' });
  await createCustomField(db, ctx, { key: 'member_since', label: 'Member since', type: 'date' });
  const ana = await createClient(db, ctx, {
    first_name: 'Ana',
    last_name: '=HYPERLINK("http://evil.example","click")',
    email: 'ana@example.com',
    phone: '+34612345678',
    city: '@SUM(1+1)',
    tags: ['vip'],
    custom: { shoe_size: 38.5, member_since: '2020-02-29' },
    birthday: '1985-04-03',
  });
  const bob = await createClient(db, ctx, {
    first_name: 'Bob',
    last_name: '-2+3',
    email: 'bob@example.com',
    city: 'Madrid',
  });
  await createClient(db, ctx, {
    first_name: 'Cleo',
    email: 'cleo@example.com',
    city: 'Sevilla',
    tags: ['vip'],
  });
  return { workspace, api, ana, bob, db, ctx };
}

async function runJobs() {
  await runOnce({ pgPool: t.app.dbHandle.pool, taskList: t.app.jobs.tasks, logger: silentWorkerLogger() });
}

async function exportAndDownload(api: ReturnType<typeof withKey>, body: Record<string, unknown>) {
  const created = await api('POST', '/api/v1/exports', body);
  expect(created.statusCode, created.body).toBe(202);
  await runJobs();
  const done = (await api('GET', `/api/v1/exports/${created.json().id}`)).json();
  expect(done.status, JSON.stringify(done)).toBe('completed');
  const file = await t.inject({ method: 'GET', url: done.download_url });
  expect(file.statusCode).toBe(200);
  return { done, file };
}

describe('exports', () => {
  it('exports CSV (RFC 4180, ; and BOM for Excel) with formula injection neutralized, and audits it', async () => {
    const { api } = await setup();
    const { done, file } = await exportAndDownload(api, {
      selection: { kind: 'all' },
      fields: ['first_name', 'last_name', 'email', 'phone', 'city', 'tags', 'custom.shoe_size'],
      format: 'csv',
      csv_delimiter: ';',
      bom: true,
    });
    expect(done).toMatchObject({ total_rows: 3, processed_rows: 3, format: 'csv' });
    expect(file.headers['content-type']).toMatch(/text\/csv/);
    const text = file.body;
    expect(text.startsWith('\uFEFF')).toBe(true);
    const lines = text.slice(1).split('\r\n');
    expect(lines[0]).toBe('first_name;last_name;email;phone;city;tags;custom.shoe_size');
    const ana = lines.find((l) => l.startsWith('Ana;'))!;
    // quotes doubled (RFC 4180), formula prefixed with an apostrophe, E.164 phone kept
    expect(ana).toBe(
      `Ana;"'=HYPERLINK(""http://evil.example"",""click"")";ana@example.com;+34612345678;'@SUM(1+1);vip;38.5`,
    );
    expect(lines.find((l) => l.startsWith('Bob;'))).toBe("Bob;'-2+3;bob@example.com;;Madrid;;");
    const audit = (await api('GET', '/api/v1/audit-log?entity_type=export&limit=10')).json();
    const requested = audit.entries.find((e: { action: string }) => e.action === 'export.requested');
    expect(requested.changes).toMatchObject({
      selection: { after: { kind: 'all' } },
      rows: { after: 3 },
      fields: { after: expect.arrayContaining(['email', 'custom.shoe_size']) },
    });
  });

  it('makes the same CSV bytes with COPY as the page-by-page writer, for every field and awkward values', async () => {
    const { workspace, db, ctx, ana, bob } = await setup();
    await createCustomField(db, ctx, {
      key: 'interests',
      label: 'Interests',
      type: 'multi_select',
      options: ['ski', 'surf', '=cmd'],
    });
    await createCustomField(db, ctx, { key: 'vip', label: 'VIP', type: 'boolean' });
    await createCustomField(db, ctx, { key: 'note', label: 'Note', type: 'text' });
    await createClient(db, ctx, {
      first_name: 'Dora "the" Explorer',
      last_name: 'Línea\nnueva, con coma',
      email: 'dora@example.com',
      city: '\tTabbed',
      custom: {
        interests: ['ski', '=cmd'],
        vip: true,
        note: '+1 (call)',
        shoe_size: -3,
        member_since: '2001-09-09',
      },
    });
    await db.execute(sql`update clients set lifetime_value = -12.5, visit_frequency_days = 3.25, booking_count = 7,
      risk_override = 80, last_booking_at = '2025-03-04T05:06:07.089Z', consent_sms = true
      where id = ${ana.id}`);
    await db.execute(sql`update clients set lifetime_value = 100 where id = ${bob.id}`);
    // The home location by its name (made inert like any text), not only its id.
    const centre = await createLocation(db, ctx, { name: '=Centro, Norte' });
    await db.execute(sql`update clients set location_id = ${centre.id} where id = ${bob.id}`);
    const fields = [
      'id',
      'first_name',
      'last_name',
      'email',
      'phone',
      'city',
      'country',
      'locale',
      'timezone',
      'source',
      'label',
      'external_id',
      'location_id',
      'location',
      'birthday',
      'tags',
      'consent_email',
      'consent_sms',
      'consent_whatsapp',
      'consent_push',
      'lifetime_value',
      'booking_count',
      'visit_frequency_days',
      'risk_score',
      'last_booking_at',
      'last_activity_at',
      'created_at',
      'updated_at',
      'custom.shoe_size',
      'custom.member_since',
      'custom.interests',
      'custom.vip',
      'custom.note',
    ];
    const deps = {
      secrets: createSecretBox('e'.repeat(64)),
      exportsDir: mkdtempSync(path.join(tmpdir(), 'clientela-exports-cmp-')),
    };
    const files: string[] = [];
    for (const csvByPages of [false, true])
      for (const delimiter of [',', ';'] as const) {
        const requested = await createExport(db, deps, ctx, {
          selection: { kind: 'all' },
          fields,
          format: 'csv',
          csv_delimiter: delimiter,
          bom: true,
        });
        const done = await runExport(db, deps, workspace.id, requested.id, { csvByPages });
        expect(done.processed_rows).toBe(4);
        const row = await db.execute<{ file_path: string }>(
          sql`select file_path from exports where id = ${requested.id}`,
        );
        files.push(readFileSync(row.rows[0]!.file_path, 'utf8'));
      }
    expect(files[0]).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(files[0]).toContain(',"Línea\nnueva, con coma",');
    expect(files[0]).toContain(`'-12.5`);
    expect(files[0]).toContain(`,${centre.id},"'=Centro, Norte",`);
    expect(files[1]).toContain(`;${centre.id};'=Centro, Norte;`);
    expect(files[0]!.split('\r\n')).toHaveLength(6);
    expect(files[0]).toBe(files[2]);
    expect(files[1]).toBe(files[3]);
  });

  it('exports XLSX with typed cells and formulas kept as inert text', async () => {
    const { api } = await setup();
    const { file } = await exportAndDownload(api, {
      selection: { kind: 'filter', query: { tag: 'vip' } },
      fields: [
        'first_name',
        'last_name',
        'birthday',
        'custom.shoe_size',
        'custom.member_since',
        'consent_email',
        'created_at',
      ],
      format: 'xlsx',
    });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(file.rawPayload as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.rowCount).toBe(3);
    const anaRow = [2, 3].map((n) => sheet.getRow(n)).find((r) => r.getCell(1).value === 'Ana')!;
    const lastName = anaRow.getCell(2);
    expect(lastName.type).toBe(ExcelJS.ValueType.String);
    expect(lastName.value).toBe(`'=HYPERLINK("http://evil.example","click")`);
    expect(anaRow.getCell(3).value).toEqual(new Date('1985-04-03T00:00:00Z'));
    expect(anaRow.getCell(4).value).toBe(38.5);
    expect(anaRow.getCell(5).value).toEqual(new Date('2020-02-29T00:00:00Z'));
    expect(anaRow.getCell(6).value).toBe(false);
    expect(anaRow.getCell(7).value).toBeInstanceOf(Date);
  });

  it('exports ids and segments as JSON and NDJSON; bad fields are 400; links are signed and expire', async () => {
    const { api, ana, bob, db, ctx } = await setup();
    const { file: json } = await exportAndDownload(api, {
      selection: { kind: 'ids', ids: [ana.id, bob.id] },
      fields: ['email', 'tags', 'custom.shoe_size', 'consent_email'],
      format: 'json',
    });
    const parsed = JSON.parse(json.body) as Array<Record<string, unknown>>;
    expect(parsed).toHaveLength(2);
    expect(parsed.find((r) => r.email === 'ana@example.com')).toEqual({
      email: 'ana@example.com',
      tags: ['vip'],
      'custom.shoe_size': 38.5,
      consent_email: false,
    });
    const segment = await createSegment(db, ctx, {
      name: 'Madrid',
      kind: 'dynamic',
      definition: { field: 'city', op: 'eq', value: 'Madrid' },
    });
    const { file: nd } = await exportAndDownload(api, {
      selection: { kind: 'segment', segment_id: segment.id },
      fields: ['first_name', 'city'],
      format: 'ndjson',
    });
    expect(
      nd.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([{ first_name: 'Bob', city: 'Madrid' }]);

    const bad = await api('POST', '/api/v1/exports', {
      selection: { kind: 'all' },
      fields: ['email', 'password'],
      format: 'csv',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].path).toBe('/fields/1');
    const badFilter = await api('POST', '/api/v1/exports', {
      selection: { kind: 'filter', query: { filter: 'city:' } },
      format: 'csv',
    });
    expect(badFilter.statusCode).toBe(400);

    const list = (await api('GET', '/api/v1/exports')).json();
    const url: string = list.exports[0].download_url;
    const tampered = url.replace(/token=(.)/, (_m, c: string) => `token=${c === 'A' ? 'B' : 'A'}`);
    expect((await t.inject({ method: 'GET', url: tampered })).statusCode).toBe(403);
    const other = url.replace(/exports\/[0-9a-f-]+\//, `exports/${list.exports[1].id}/`);
    expect((await t.inject({ method: 'GET', url: other })).statusCode).toBe(403);
  });

  it('keeps each workspace to its own clients', async () => {
    const a = await setup();
    const b = await setup();
    const { file } = await exportAndDownload(a.api, {
      selection: { kind: 'ids', ids: [a.ana.id, b.ana.id, b.bob.id] },
      fields: ['id'],
      format: 'ndjson',
    });
    expect(
      file.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).id),
    ).toEqual([a.ana.id]);
    const theirs = await b.api('POST', '/api/v1/exports', { selection: { kind: 'all' }, format: 'csv' });
    expect((await a.api('GET', `/api/v1/exports/${theirs.json().id}`)).statusCode).toBe(404);
  });

  it('removes the files of expired exports; their links then fail', async () => {
    const { api, db } = await setup();
    const { done } = await exportAndDownload(api, { selection: { kind: 'all' }, format: 'ndjson' });
    const [row] = (
      await db.execute<{ file_path: string }>(sql`select file_path from exports where id = ${done.id}`)
    ).rows;
    expect(existsSync(row!.file_path)).toBe(true);
    await db.execute(sql`update exports set expires_at = now() - interval '1 minute' where id = ${done.id}`);
    expect(await removeExpiredExportFiles(db)).toBeGreaterThanOrEqual(1);
    expect(existsSync(row!.file_path)).toBe(false);
    // the file is gone: even a link whose token has not expired yet answers 404
    expect((await t.inject({ method: 'GET', url: done.download_url })).statusCode).toBe(404);
    expect((await api('GET', `/api/v1/exports/${done.id}`)).json().download_url).toBeNull();
  });

  it('neutralizes every formula lead character', () => {
    for (const lead of ['=', '+', '-', '@', '\t', '\r'])
      expect(neutralizeCell(`${lead}1+1`)).toBe(`'${lead}1+1`);
    expect(neutralizeCell('+34612345678')).toBe('+34612345678');
    expect(neutralizeCell('plain')).toBe('plain');
  });
});
