import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { runOnce } from 'graphile-worker';
import { afterAll, beforeAll } from 'vitest';
import { type Clientela, createClientela } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createApiKey } from '../../src/modules/api-keys/api-keys.service.ts';
import { upsertCampaignSettings } from '../../src/modules/campaigns/campaigns.repo.ts';
import { addMember, createWorkspace } from '../../src/modules/workspaces/workspaces.service.ts';
import { systemContext } from '../../src/platform/auth/context.ts';
import type { Role } from '../../src/platform/auth/roles.ts';
import { createPasswordUser, type User } from '../../src/platform/auth/users.ts';
import { silentWorkerLogger } from '../../src/platform/db/db.ts';
import { createDatabaseForTest } from './db.ts';

export const ORIGIN = 'http://clientela.test';
export const PASSWORD = 'correct-horse-battery';

export interface TestApp {
  app: Clientela;
  url: string;
  inject: Clientela['http']['inject'];
}

/**
 * One product instance per test file, on the file's own database. Tests create their own
 * workspaces through `workspaceWith…` helpers, so no two tests share data.
 */
export function setupTestApp(env: Record<string, string> = {}): TestApp {
  const holder = {} as TestApp;
  let drop: () => Promise<void> = async () => {};
  beforeAll(async () => {
    const database = await createDatabaseForTest();
    drop = database.drop;
    const config = loadConfig({ CLIENTELA_DATA_DIR: '/nonexistent', LOG_LEVEL: 'silent', ...env });
    holder.app = await createClientela({
      config,
      databaseUrl: database.url,
      secretKey: randomBytes(32).toString('hex'),
      logger: false,
      webDist: null,
    });
    holder.app.markReady();
    // As `listen` does at a real start: every route's validators and serializers are compiled here
    // (seconds), not inside whichever test's first request comes first, which timed tests would count.
    await holder.app.http.ready();
    holder.url = database.url;
    holder.inject = holder.app.http.inject.bind(holder.app.http);
  });
  afterAll(async () => {
    await holder.app?.close();
    await drop();
  });
  return holder;
}

function unique(label: string): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}

export async function newUser(t: TestApp, name = 'Test user'): Promise<User> {
  return createPasswordUser(t.app.dbHandle.db, {
    email: `${unique('user')}@example.com`,
    password: PASSWORD,
    name,
  });
}

/**
 * A workspace of its own for a test. Without quiet hours: an SMS or WhatsApp sent "now" must not
 * wait until 09:00 because the suite runs at night. Tests of quiet hours set them
 * (PUT /api/v1/campaign-settings) and pick the hour with the clients' time zones.
 */
export async function newWorkspace(t: TestApp, owner?: User) {
  const db = t.app.dbHandle.db;
  const workspace = await createWorkspace(db, { name: unique('Workspace') }, { user: owner ?? null });
  await upsertCampaignSettings(db, workspace.id, { quietHours: null });
  return workspace;
}

export async function join(t: TestApp, workspaceId: string, user: User, role: Role) {
  await addMember(t.app.dbHandle.db, systemContext(workspaceId, 'test'), user, role);
}

export async function newApiKey(t: TestApp, workspaceId: string, role: Role = 'owner'): Promise<string> {
  const created = await createApiKey(t.app.dbHandle.db, systemContext(workspaceId, 'test'), {
    name: unique('key'),
    role,
  });
  return created.key;
}

/** A dashboard session: signs in through better-auth and keeps the cookie. */
export async function signIn(t: TestApp, email: string, password = PASSWORD) {
  const response = await t.inject({
    method: 'POST',
    url: '/api/auth/sign-in/email',
    headers: { origin: ORIGIN, host: 'clientela.test' },
    payload: { email, password },
  });
  if (response.statusCode !== 200) throw new Error(`sign-in failed: ${response.statusCode} ${response.body}`);
  const cookie = cookieHeader(response);
  return {
    cookie,
    /** Same-origin request as the dashboard makes it; pass a workspace to select it. */
    request: (
      method: string,
      url: string,
      options: { payload?: unknown; workspace?: string; headers?: Record<string, string> } = {},
    ) =>
      t.inject({
        method: method as 'GET',
        url,
        headers: {
          cookie,
          origin: ORIGIN,
          host: 'clientela.test',
          ...(options.workspace ? { 'x-workspace-id': options.workspace } : {}),
          ...options.headers,
        },
        ...(options.payload !== undefined ? { payload: options.payload as object } : {}),
      }),
  };
}

export function cookieHeader(response: LightMyRequestResponse): string {
  const raw = response.headers['set-cookie'];
  const list = Array.isArray(raw) ? raw : raw ? [raw] : [];
  return list.map((c) => c.split(';')[0]).join('; ');
}

export function withKey(t: TestApp, key: string) {
  return (method: string, url: string, payload?: unknown) =>
    t.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
}

/**
 * Runs the app's jobs that are due now, once, as a worker would (the test waits for them); only
 * those of `tasks` when given (the others stay queued).
 */
export async function runDueJobs(t: TestApp, tasks?: string[]): Promise<void> {
  const all = t.app.jobs.tasks;
  const taskList = tasks ? Object.fromEntries(tasks.map((name) => [name, all[name]!])) : all;
  await runOnce({ pgPool: t.app.dbHandle.pool, taskList, logger: silentWorkerLogger() });
}
