import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseForTest } from './support/db.ts';

const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, '../bin/clientela.mjs');

/** The CLI against this file's own database, through DATABASE_URL like a scaled-out install. */
let env: NodeJS.ProcessEnv;
let drop: () => Promise<void>;
beforeAll(async () => {
  const database = await createDatabaseForTest();
  drop = database.drop;
  env = {
    ...process.env,
    DATABASE_URL: database.url,
    LOG_LEVEL: 'warn',
    // `import` checks the suppression list, keyed by the secret key.
    SECRET_KEY: 'cli-test-secret-key-0123456789abcdef',
  };
});
afterAll(async () => drop());

async function cli(...args: string[]) {
  try {
    const { stdout, stderr } = await run('node', [BIN, ...args], { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('clientela CLI', () => {
  it('creates a workspace, a user in it and an API key, with pure JSON on stdout', async () => {
    const workspace = await cli('workspace', 'create', '--name', 'Clínica Sol', '--json');
    expect(workspace.code).toBe(0);
    const { id } = JSON.parse(workspace.stdout);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const user = await cli(
      '--json',
      'user',
      'create',
      '--email',
      'Ana@Example.com',
      '--password',
      'correct-horse-battery',
      '--workspace',
      id,
      '--role',
      'admin',
    );
    expect(user.code).toBe(0);
    expect(JSON.parse(user.stdout)).toMatchObject({ email: 'ana@example.com', created: true, workspace: id });
    const key = await cli(
      '--json',
      'api-key',
      'create',
      '--workspace',
      id,
      '--role',
      'agent',
      '--name',
      'booking',
    );
    expect(key.code).toBe(0);
    expect(JSON.parse(key.stdout)).toMatchObject({ role: 'agent', name: 'booking' });
    expect(JSON.parse(key.stdout).key).toMatch(/^ck_/);
  }, 90_000);

  it('explains bad input and exits non-zero', async () => {
    const badRole = await cli(
      'api-key',
      'create',
      '--workspace',
      '00000000-0000-4000-8000-000000000000',
      '--role',
      'boss',
      '--name',
      'x',
    );
    expect(badRole.code).not.toBe(0);
    expect(badRole.stderr).toMatch(/boss/);
    const noWorkspace = await cli(
      '--json',
      'api-key',
      'create',
      '--workspace',
      '00000000-0000-4000-8000-000000000000',
      '--name',
      'x',
    );
    expect(noWorkspace.code).toBe(1);
    expect(JSON.parse(noWorkspace.stdout).error.code).toBe('NOT_FOUND');
    const shortPassword = await cli(
      '--json',
      'user',
      'create',
      '--email',
      'bob@example.com',
      '--password',
      'short',
    );
    expect(JSON.parse(shortPassword.stdout).error.message).toMatch(/password.*10/);
  }, 90_000);

  it('counts a one-line segment query, and points at the column of a mistake', async () => {
    const { id } = JSON.parse((await cli('workspace', 'create', '--name', 'Rentals', '--json')).stdout);
    const seeded = await cli('seed-demo', '--workspace', id, '--clients', '60', '--json');
    expect(seeded.code, seeded.stderr).toBe(0);
    const all = JSON.parse(
      (await cli('--json', 'segment', 'count', 'created<3650d', '--workspace', id)).stdout,
    );
    expect(all.count).toBe(60);
    const some = await cli(
      '--json',
      'segment',
      'count',
      'consent:email -tag:nobody',
      '--workspace',
      id,
      '--limit',
      '3',
    );
    expect(some.code, some.stderr).toBe(0);
    const body = JSON.parse(some.stdout);
    expect(body.definition).toEqual({
      all: [
        { field: 'consent.email', op: 'is', value: true },
        { not: { field: 'tags', op: 'has', value: 'nobody' } },
      ],
    });
    expect(body.count).toBeGreaterThan(0);
    expect(body.count).toBeLessThan(60);
    expect(body.clients).toHaveLength(3);
    const wrong = await cli('segment', 'count', 'city:Madrid ltv>>5', '--workspace', id);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`city:Madrid ltv>>5\n${' '.repeat(2 + 16)}^`);
  }, 120_000);

  it('imports a file: --dry-run writes nothing, --map and --on-duplicate apply, bad files exit 1', async () => {
    const { id } = JSON.parse((await cli('workspace', 'create', '--name', 'Imports', '--json')).stdout);
    const file = path.resolve(import.meta.dirname, 'fixtures/imports/spanish-excel.csv');
    const dry = await cli(
      '--json',
      'import',
      file,
      '--workspace',
      id,
      '--dry-run',
      '--map',
      'Gasto=new.gasto',
    );
    expect(dry.code, dry.stderr).toBe(0);
    const preview = JSON.parse(dry.stdout);
    expect(preview.counts).toMatchObject({ created: 3, invalid: 0 });
    expect(preview.preview[0].client).toMatchObject({
      first_name: 'José',
      phone: '+34912345678',
      birthday: '1985-04-03',
      // a new field takes the column's detected type: 1.234,56 read as a number with a decimal comma
      custom: { gasto: 1234.56 },
    });
    const real = await cli(
      '--json',
      'import',
      file,
      '--workspace',
      id,
      '--map',
      'Ciudad=ignore',
      '--tag',
      'cli',
    );
    expect(real.code, real.stderr).toBe(0);
    expect(JSON.parse(real.stdout)).toMatchObject({ status: 'completed', counts: { created: 3 } });
    const again = await cli(
      '--json',
      'import',
      file,
      '--workspace',
      id,
      '--on-duplicate',
      'update',
      '--map',
      'Ciudad=city',
    );
    expect(JSON.parse(again.stdout)).toMatchObject({ counts: { created: 0, duplicates: 3, updated: 3 } });
    const text = await cli(
      'import',
      path.resolve(import.meta.dirname, 'fixtures/imports/binary.csv'),
      '--workspace',
      id,
    );
    expect(text.code).toBe(1);
    expect(text.stderr).toMatch(/not a text file/);
  }, 120_000);

  it('has --help for every command', async () => {
    for (const command of [
      [],
      ['serve'],
      ['worker'],
      ['migrate'],
      ['workspace', 'create'],
      ['user', 'create'],
      ['api-key', 'create'],
      ['seed-demo'],
      ['segment', 'count'],
      ['import'],
    ]) {
      const help = await cli(...command, '--help');
      expect(help.code, command.join(' ')).toBe(0);
      expect(help.stdout, command.join(' ')).toMatch(/Usage: clientela/);
    }
  }, 90_000);
});
