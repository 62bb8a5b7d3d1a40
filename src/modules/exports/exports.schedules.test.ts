import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { runOnce } from 'graphile-worker';
import { describe, expect, it } from 'vitest';
import { newApiKey, newWorkspace, setupTestApp, withKey } from '../../../test/support/app.ts';
import { systemContext } from '../../platform/auth/context.ts';
import { createSecretBox } from '../../platform/crypto.ts';
import { silentWorkerLogger } from '../../platform/db/db.ts';
import { createClient } from '../clients/clients.service.ts';
import { nextRunAfter, runDueSchedules } from './exports.schedules.ts';

const dataDir = mkdtempSync(path.join(tmpdir(), 'clientela-schedules-'));
const t = setupTestApp({ CLIENTELA_DATA_DIR: dataDir });

describe('scheduled exports', () => {
  it('computes the next run in the workspace time zone, across a daylight-saving change', () => {
    // Madrid is UTC+1 in winter: 07:00 local = 06:00 UTC.
    const after = new Date('2026-01-05T10:15:00Z'); // a Monday
    expect(
      nextRunAfter(after, { frequency: 'daily', weekday: null, hour: 7 }, 'Europe/Madrid').toISOString(),
    ).toBe('2026-01-06T06:00:00.000Z');
    expect(
      nextRunAfter(after, { frequency: 'weekly', weekday: 1, hour: 7 }, 'Europe/Madrid').toISOString(),
    ).toBe('2026-01-12T06:00:00.000Z');
    // 29 March 2026: clocks go forward; 07:00 local is 05:00 UTC from then on.
    expect(
      nextRunAfter(
        new Date('2026-03-28T08:00:00Z'),
        { frequency: 'daily', weekday: null, hour: 7 },
        'Europe/Madrid',
      ).toISOString(),
    ).toBe('2026-03-29T05:00:00.000Z');
  });

  it('creates a schedule, runs it when due (one export as its creator), lists its past files, deletes it', async () => {
    const workspace = await newWorkspace(t);
    const api = withKey(t, await newApiKey(t, workspace.id, 'marketer'));
    const db = t.app.dbHandle.db;
    await createClient(db, systemContext(workspace.id), { first_name: 'Ana', email: 'ana@example.com' });
    const bad = await api('POST', '/api/v1/export-schedules', {
      name: 'Weekly',
      frequency: 'weekly',
      hour: 7,
      selection: { kind: 'all' },
      format: 'csv',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].path).toBe('/weekday');
    const created = await api('POST', '/api/v1/export-schedules', {
      name: 'Monday list',
      frequency: 'weekly',
      weekday: 1,
      hour: 7,
      selection: { kind: 'all' },
      fields: ['first_name', 'email'],
      format: 'xlsx',
    });
    expect(created.statusCode, created.body).toBe(201);
    const schedule = created.json();
    expect(new Date(schedule.next_run_at).getTime()).toBeGreaterThan(Date.now());

    const deps = { secrets: createSecretBox('s'.repeat(40)), exportsDir: path.join(dataDir, 'exports') };
    expect(await runDueSchedules(db, deps)).toBe(0); // not due yet
    await db.execute(
      sql`update export_schedules set next_run_at = now() - interval '1 minute' where id = ${schedule.id}`,
    );
    expect(await runDueSchedules(db, deps)).toBe(1);
    expect(await runDueSchedules(db, deps)).toBe(0); // moved to its next time
    await runOnce({ pgPool: t.app.dbHandle.pool, taskList: t.app.jobs.tasks, logger: silentWorkerLogger() });

    const listed = (await api('GET', '/api/v1/export-schedules')).json().schedules;
    expect(listed).toHaveLength(1);
    expect(listed[0].last_run_at).not.toBeNull();
    expect(listed[0].past_files).toHaveLength(1);
    expect(listed[0].past_files[0]).toMatchObject({ status: 'completed', format: 'xlsx', total_rows: 1 });
    expect(listed[0].past_files[0].download_url).toMatch(/download\?token=/);

    const audit = await db.execute<{ action: string }>(
      sql`select action from audit_log where workspace_id = ${workspace.id} and action like 'export%' order by created_at`,
    );
    expect(audit.rows.map((r) => r.action)).toEqual([
      'export_schedule.created',
      'export.requested',
      'export.completed',
    ]);

    expect((await api('DELETE', `/api/v1/export-schedules/${schedule.id}`)).statusCode).toBe(204);
    expect((await api('GET', `/api/v1/export-schedules/${schedule.id}`)).statusCode).toBe(404);
  });
});
