import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/modules/api-keys/api-keys.service.ts';
import { startBulkAction } from '../src/modules/bulk/bulk.service.ts';
import { createCampaign } from '../src/modules/campaigns/campaigns.service.ts';
import { createClient } from '../src/modules/clients/clients.service.ts';
import { createLabel } from '../src/modules/clients/labels.ts';
import { createCustomField } from '../src/modules/custom-fields/custom-fields.service.ts';
import { ingestEvents, listEvents } from '../src/modules/events/events.service.ts';
import { createSchedule } from '../src/modules/exports/exports.schedules.ts';
import { createExport } from '../src/modules/exports/exports.service.ts';
import { createForm } from '../src/modules/forms/forms.service.ts';
import { createImport } from '../src/modules/imports/imports.service.ts';
import { createLocation } from '../src/modules/locations/locations.service.ts';
import { createNote } from '../src/modules/notes/notes.service.ts';
import { notifyMembers } from '../src/modules/notifications/notifications.service.ts';
import { createSegment } from '../src/modules/segments/segments.service.ts';
import { createTag } from '../src/modules/tags/tags.service.ts';
import { createTemplate } from '../src/modules/templates/templates.service.ts';
import { createInvitation } from '../src/modules/workspaces/workspaces.service.ts';
import { systemContext } from '../src/platform/auth/context.ts';
import { ROLES, type Role, roleRank } from '../src/platform/auth/roles.ts';
import type { User } from '../src/platform/auth/users.ts';
import { createSecretBox } from '../src/platform/crypto.ts';
import { newApiKey, newUser, newWorkspace, setupTestApp, signIn, type TestApp } from './support/app.ts';

/**
 * The cross-workspace isolation harness. It reads every /api/v1 operation from the OpenAPI
 * document, so a module's routes are covered the moment they exist:
 *   - no credentials → 401 (unless the route is public),
 *   - every role × every route → 403 below the route's declared least role, never 401/403/5xx above it,
 *   - workspace A's owner key with workspace B's ids → 404, and B's data untouched,
 *   - a signed-in member of A selecting workspace B → 403.
 * A parameterized route needs a fixture below that creates the entity in B; a missing fixture fails.
 */

interface Operation {
  method: string;
  path: string;
  minRole: string;
  body: JsonSchema | undefined;
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  format?: string;
  minimum?: number;
  minLength?: number;
  minItems?: number;
  anyOf?: JsonSchema[];
  allOf?: JsonSchema[];
  items?: JsonSchema;
};

interface World {
  t: TestApp;
  b: { workspaceId: string; owner: User };
}

/** Creates an entity in workspace B and returns the path parameters that address it. */
const FIXTURES: Record<string, (world: World) => Promise<Record<string, string>>> = {
  '/api/v1/api-keys/{id}': async ({ t, b }) => {
    const key = await createApiKey(t.app.dbHandle.db, systemContext(b.workspaceId), {
      name: 'b-key',
      role: 'viewer',
    });
    return { id: key.id };
  },
  '/api/v1/members/{user_id}': async ({ b }) => ({ user_id: b.owner.id }),
  '/api/v1/clients/{id}': async (world) => ({ id: (await clientInB(world)).id }),
  '/api/v1/clients/{id}/merge': async (world) => ({ id: (await clientInB(world)).id }),
  '/api/v1/clients/{id}/tags': async (world) => ({ id: (await clientInB(world)).id }),
  '/api/v1/clients/{id}/timeline': async (world) => ({ id: (await clientInB(world)).id }),
  '/api/v1/clients/{id}/timeline.csv': async (world) => ({ id: (await clientInB(world)).id }),
  '/api/v1/clients/{id}/risk/recompute': async (world) => ({ id: (await clientInB(world)).id }),
  '/api/v1/clients/{id}/risk-override': async (world) => ({ id: (await clientInB(world)).id }),
  '/api/v1/clients/{id}/consent': async (world) => ({ id: (await clientInB(world)).id }),
  '/api/v1/clients/{id}/export': async (world) => ({ id: (await clientInB(world)).id }),
  '/api/v1/clients/{id}/erase': async (world) => ({ id: (await clientInB(world)).id }),
  '/api/v1/clients/{id}/archive': async (world) => ({ id: (await clientInB(world)).id }),
  '/api/v1/clients/{id}/unarchive': async (world) => ({ id: (await clientInB(world)).id }),
  '/api/v1/clients/{client_id}/notes': async (world) => ({ client_id: (await clientInB(world)).id }),
  '/api/v1/clients/{client_id}/notes/{id}': async (world) => {
    const client = await clientInB(world);
    const ctx = systemContext(world.b.workspaceId);
    const note = await createNote(world.t.app.dbHandle.db, ctx, client.id, { body: 'B note' });
    return { client_id: client.id, id: note.id };
  },
  '/api/v1/events/{id}': async (world) => {
    const client = await clientInB(world);
    const ctx = systemContext(world.b.workspaceId);
    const db = world.t.app.dbHandle.db;
    await ingestEvents(db, ctx, {
      events: [{ client_id: client.id, type: 'payment', occurred_at: new Date().toISOString(), amount: 10 }],
    });
    return {
      id: (await listEvents(db, world.b.workspaceId, { client_id: client.id, limit: 1 })).events[0]!.id,
    };
  },
  '/api/v1/clients/by-external-id/{external_id}': async (world) => ({
    external_id: (await clientInB(world)).external_id!,
  }),
  '/api/v1/tags/{id}': async ({ t, b }) => ({
    id: (await createTag(t.app.dbHandle.db, systemContext(b.workspaceId), { name: `b-tag-${randomUUID()}` }))
      .id,
  }),
  '/api/v1/custom-fields/{id}': async ({ t, b }) => ({
    id: (
      await createCustomField(t.app.dbHandle.db, systemContext(b.workspaceId), {
        key: `f_${randomUUID().slice(0, 8)}`,
        label: 'B field',
        type: 'text',
      })
    ).id,
  }),
  '/api/v1/labels/{id}': async ({ t, b }) => ({
    id: (
      await createLabel(t.app.dbHandle.db, systemContext(b.workspaceId), {
        key: `l${randomUUID().slice(0, 8)}`,
        name: 'B label',
      })
    ).id,
  }),
  '/api/v1/channels/{id}': async (world) => ({ id: await channelInB(world) }),
  '/api/v1/channels/{id}/test': async (world) => ({ id: await channelInB(world) }),
  '/api/v1/channels/{id}/whatsapp-templates': async (world) => ({ id: await channelInB(world) }),
  '/api/v1/channels/{id}/whatsapp-templates/sync': async (world) => ({ id: await channelInB(world) }),
  '/api/v1/locations/{id}': async ({ t, b }) => ({
    id: (await createLocation(t.app.dbHandle.db, systemContext(b.workspaceId), { name: 'B clinic' })).id,
  }),
  '/api/v1/custom-fields/{id}/restore': (world) => FIXTURES['/api/v1/custom-fields/{id}']!(world),
  '/api/v1/locations/{id}/restore': (world) => FIXTURES['/api/v1/locations/{id}']!(world),
  '/api/v1/exports/{id}': async ({ t, b }) => {
    const deps = { secrets: createSecretBox(randomUUID() + randomUUID()), exportsDir: '/nonexistent' };
    const created = await createExport(t.app.dbHandle.db, deps, systemContext(b.workspaceId), {
      selection: { kind: 'all' },
      format: 'csv',
    });
    return { id: created.id };
  },
  '/api/v1/export-schedules/{id}': async ({ t, b }) => {
    const deps = { secrets: createSecretBox(randomUUID() + randomUUID()), exportsDir: '/nonexistent' };
    const created = await createSchedule(t.app.dbHandle.db, deps, systemContext(b.workspaceId), {
      name: 'B weekly',
      frequency: 'daily',
      hour: 6,
      selection: { kind: 'all' },
      format: 'csv',
    });
    return { id: created.id };
  },
  '/api/v1/imports/{id}': async (world) => ({ id: await importInB(world) }),
  '/api/v1/imports/{id}/dry-run': async (world) => ({ id: await importInB(world) }),
  '/api/v1/imports/{id}/start': async (world) => ({ id: await importInB(world) }),
  '/api/v1/imports/{id}/cancel': async (world) => ({ id: await importInB(world) }),
  '/api/v1/imports/{id}/undo': async (world) => ({ id: await importInB(world) }),
  '/api/v1/imports/{id}/errors.csv': async (world) => ({ id: await importInB(world) }),
  '/api/v1/imports/{id}/events': async (world) => ({ id: await importInB(world) }),
  '/api/v1/notifications/{id}/read': async ({ t, b }) => {
    await t.app.dbHandle.db.transaction((tx) =>
      notifyMembers(
        tx,
        b.workspaceId,
        [b.owner.id],
        { kind: 'test', title: 'B only' },
        { email: false, mailConfigured: false },
      ),
    );
    const rows = await t.app.dbHandle.db.execute<{ id: string }>(
      sql`select id from notifications where workspace_id = ${b.workspaceId} order by created_at desc limit 1`,
    );
    return { id: rows.rows[0]!.id };
  },
  '/api/v1/templates/{id}': async ({ t, b }) => ({
    id: (
      await createTemplate(t.app.dbHandle.db, systemContext(b.workspaceId), {
        name: 'B template',
        channel: 'sms',
        body: 'Hola {{ client.first_name }}',
      })
    ).id,
  }),
  '/api/v1/forms/{id}': async ({ t, b }) => ({
    id: (await createForm(t.app.dbHandle.db, systemContext(b.workspaceId), { name: 'B form' })).id,
  }),
  '/api/v1/privacy-requests/{id}': async (world) => {
    const client = await clientInB(world);
    const rows = await world.t.app.dbHandle.db.execute<{ id: string }>(
      sql`insert into privacy_requests (workspace_id, client_id, kind, due_at)
          values (${world.b.workspaceId}, ${client.id}, 'erasure', now() + interval '1 month') returning id`,
    );
    return { id: rows.rows[0]!.id };
  },
  '/api/v1/segments/{id}': async (world) => ({ id: (await segmentInB(world)).id }),
  '/api/v1/segments/{id}/duplicate': async (world) => ({ id: (await segmentInB(world)).id }),
  '/api/v1/segments/{id}/freeze': async (world) => ({ id: (await segmentInB(world)).id }),
  '/api/v1/segments/{id}/members': async (world) => ({ id: (await segmentInB(world, 'static')).id }),
  '/api/v1/segments/{id}/clients': async (world) => ({ id: (await segmentInB(world)).id }),
  '/api/v1/segments/{id}/counts': async (world) => ({ id: (await segmentInB(world)).id }),
  '/api/v1/segments/{id}/alert': async (world) => ({ id: (await segmentInB(world)).id }),
  '/api/v1/campaigns/{id}': async (world) => ({ id: (await campaignInB(world)).id }),
  '/api/v1/campaigns/{id}/duplicate': async (world) => ({ id: (await campaignInB(world)).id }),
  '/api/v1/campaigns/{id}/review': async (world) => ({ id: (await campaignInB(world)).id }),
  '/api/v1/campaigns/{id}/stats': async (world) => ({ id: (await campaignInB(world)).id }),
  '/api/v1/campaigns/{id}/events': async (world) => ({ id: (await campaignInB(world)).id }),
  '/api/v1/campaigns/{id}/recipients': async (world) => ({ id: (await campaignInB(world)).id }),
  '/api/v1/campaigns/{id}/send': async (world) => ({ id: (await campaignInB(world)).id }),
  '/api/v1/campaigns/{id}/pause': async (world) => ({ id: (await campaignInB(world)).id }),
  '/api/v1/campaigns/{id}/resume': async (world) => ({ id: (await campaignInB(world)).id }),
  '/api/v1/campaigns/{id}/cancel': async (world) => ({ id: (await campaignInB(world)).id }),
  '/api/v1/campaigns/{id}/retry': async (world) => ({ id: (await campaignInB(world)).id }),
  '/api/v1/campaigns/{id}/test': async (world) => ({ id: (await campaignInB(world)).id }),
  '/api/v1/bulk/actions/{id}': async (world) => ({ id: await bulkActionInB(world) }),
  '/api/v1/bulk/actions/{id}/cancel': async (world) => ({ id: await bulkActionInB(world) }),
  '/api/v1/coupons/{code}': async (world) => ({ code: (await couponInB(world)).code }),
  '/api/v1/coupons/{code}/redeem': async (world) => ({ code: (await couponInB(world)).code }),
  '/api/v1/coupons/{code}/revoke': async (world) => ({ code: (await couponInB(world)).code }),
  '/api/v1/coupons/batches/{id}/revoke': async (world) => ({ id: (await couponInB(world)).batchId }),
  '/api/v1/campaigns/{id}/ab-test/winner': async (world) => ({ id: (await campaignInB(world)).id }),
  '/api/v1/campaigns/{id}/exclusions': async (world) => ({ id: (await campaignInB(world)).id }),
  '/api/v1/campaigns/{id}/exclusions/{client_id}': async (world) => ({
    id: (await campaignInB(world)).id,
    client_id: (await clientInB(world)).id,
  }),
  '/api/v1/invitations/{id}': async ({ t, b }) => {
    const inv = await createInvitation(
      t.app.dbHandle.db,
      systemContext(b.workspaceId),
      { role: 'viewer' },
      'http://x',
    );
    return { id: inv.id };
  },
};

/** A finished bulk action in B (tags on one of its clients). */
async function bulkActionInB(world: World) {
  const client = await clientInB(world);
  const deps = {
    exports: { secrets: createSecretBox(randomUUID() + randomUUID()), exportsDir: '/nonexistent' },
  };
  const started = await startBulkAction(
    world.t.app.dbHandle.db,
    deps,
    systemContext(world.b.workspaceId),
    'add_tags',
    {
      selection: { client_ids: [client.id] },
      tags: ['b-bulk'],
    },
  );
  return started.action.id;
}

/** A coupon of one of B's clients: its code and its batch. */
async function couponInB(world: World) {
  const client = await clientInB(world);
  const deps = {
    exports: { secrets: createSecretBox(randomUUID() + randomUUID()), exportsDir: '/nonexistent' },
  };
  const started = await startBulkAction(
    world.t.app.dbHandle.db,
    deps,
    systemContext(world.b.workspaceId),
    'coupons',
    {
      selection: { client_ids: [client.id] },
      discount_type: 'percentage',
      discount_value: 10,
      valid_days: 30,
    },
  );
  const rows = await world.t.app.dbHandle.db.execute<{ code: string }>(
    sql`select code from coupons where batch_id = ${String(started.action.result.batch_id)}`,
  );
  return { code: rows.rows[0]!.code, batchId: String(started.action.result.batch_id) };
}

/** An uploaded (not started) import in B, read from a committed fixture file. */
async function importInB({ t, b }: World) {
  const file = new URL('./fixtures/imports/google-contacts.csv', import.meta.url).pathname;
  const created = await createImport(t.app.dbHandle.db, systemContext(b.workspaceId), {
    path: file,
    fileName: 'google-contacts.csv',
    sizeBytes: 1,
  });
  return created.id;
}

async function clientInB({ t, b }: World) {
  return createClient(t.app.dbHandle.db, systemContext(b.workspaceId), {
    first_name: 'Secret',
    email: `${randomUUID()}@b.example`,
    external_id: `b-${randomUUID()}`,
  });
}

/** A segment of B whose members are B's clients. */
async function segmentInB(world: World, kind: 'dynamic' | 'static' = 'dynamic') {
  const client = await clientInB(world);
  return createSegment(world.t.app.dbHandle.db, systemContext(world.b.workspaceId), {
    name: 'B segment',
    kind,
    ...(kind === 'static'
      ? { client_ids: [client.id] }
      : { definition: { field: 'first_name', op: 'eq', value: 'Secret' } }),
  });
}

async function campaignInB(world: World) {
  const client = await clientInB(world);
  return createCampaign(
    world.t.app.dbHandle.db,
    systemContext(world.b.workspaceId),
    {
      name: 'B campaign',
      channel: 'email',
      content: { subject: 'Secret', body: 'Secret' },
      audience: { client_ids: [client.id] },
    },
    null,
  );
}

/**
 * Routes where an unknown id in A's namespace legitimately creates something in A rather than
 * answering 404 (an upsert by external id). B must still be untouched.
 */
const CROSS_WORKSPACE_STATUS: Record<string, number[]> = {
  'PUT /api/v1/clients/by-external-id/{external_id}': [201, 400],
};

/** A minimal body that passes the schema, so requests reach the handler instead of stopping at 400. */
function sampleOf(schema: JsonSchema | undefined): unknown {
  if (!schema) return undefined;
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((s) => sampleOf(s) as object));
  if (schema.anyOf) return sampleOf(schema.anyOf.find((s) => s.type !== 'null') ?? schema.anyOf[0]);
  if (schema.enum) return schema.enum.includes('viewer') ? 'viewer' : schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const key of schema.required ?? []) out[key] = sampleOf(schema.properties?.[key]);
      return out;
    }
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => sampleOf(schema.items));
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return false;
    default:
      if (schema.format === 'uuid') return randomUUID();
      if (schema.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
      if (schema.format === 'email') return 'someone@example.com';
      return 'sample';
  }
}

function fill(path: string, params: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? randomUUID());
}

const t = setupTestApp();
const operations: Operation[] = [];
let world: World;

beforeAll(async () => {
  const doc = (await t.inject({ method: 'GET', url: '/api/openapi.json' })).json();
  for (const [path, methods] of Object.entries(
    doc.paths as Record<string, Record<string, Record<string, unknown>>>,
  )) {
    if (!path.startsWith('/api/v1')) continue;
    for (const [method, op] of Object.entries(methods)) {
      const content = (op.requestBody as { content?: Record<string, { schema: JsonSchema }> } | undefined)
        ?.content;
      operations.push({
        method: method.toUpperCase(),
        path,
        minRole: String(op['x-min-role']),
        body: content?.['application/json']?.schema,
      });
    }
  }
  const owner = await newUser(t, 'Owner of B');
  const workspace = await newWorkspace(t, owner);
  world = { t, b: { workspaceId: workspace.id, owner } };
});

const workspaceRoutes = () => operations.filter((o) => o.minRole !== 'public' && o.minRole !== 'user');

async function call(op: Operation, headers: Record<string, string>, params: Record<string, string> = {}) {
  const payload = sampleOf(op.body);
  return t.inject({
    method: op.method as 'GET',
    url: fill(op.path, params),
    headers,
    ...(payload !== undefined && op.method !== 'GET' ? { payload: payload as object } : {}),
  });
}

/** A WhatsApp channel of workspace B (the richest kind: every channel route applies to it). */
async function channelInB({ t, b }: World): Promise<string> {
  const channel = await t.app.channels.createChannel(t.app.dbHandle.db, systemContext(b.workspaceId), {
    provider: 'meta_whatsapp',
    settings: {
      base_url: 'http://127.0.0.1:9',
      phone_number_id: '1',
      business_account_id: '2',
      access_token: 'b-token',
      app_secret: 'b-secret',
      verify_token: 'b-verify',
    },
  });
  return channel.id;
}

describe('cross-workspace isolation harness', () => {
  it('finds the routes, and every parameterized workspace route has a fixture', () => {
    expect(operations.length).toBeGreaterThanOrEqual(15);
    const missing = workspaceRoutes()
      .filter((o) => o.path.includes('{') && !FIXTURES[o.path])
      .map((o) => `${o.method} ${o.path}`);
    expect(missing, 'add a fixture for these routes in test/isolation.test.ts').toEqual([]);
  });

  it('answers 401 to every non-public route without credentials', async () => {
    for (const op of operations.filter((o) => o.minRole !== 'public')) {
      const response = await call(op, {});
      expect(response.statusCode, `${op.method} ${op.path}`).toBe(401);
    }
  });

  it('enforces each route’s least role for every role, and never fails with 5xx', async () => {
    const a = await newWorkspace(t);
    const keys = Object.fromEntries(
      await Promise.all(ROLES.map(async (role) => [role, await newApiKey(t, a.id, role)] as const)),
    ) as Record<Role, string>;
    for (const op of workspaceRoutes()) {
      for (const role of ROLES) {
        const response = await call(op, { authorization: `Bearer ${keys[role]}` });
        const label = `${role} ${op.method} ${op.path} → ${response.statusCode} ${response.body.slice(0, 200)}`;
        expect(response.statusCode, label).toBeLessThan(500);
        if (roleRank(role) < roleRank(op.minRole as Role)) expect(response.statusCode, label).toBe(403);
        else expect([401, 403], label).not.toContain(response.statusCode);
      }
    }
    for (const op of operations.filter((o) => o.minRole === 'user')) {
      const response = await call(op, { authorization: `Bearer ${keys.owner}` });
      expect(response.statusCode, `${op.method} ${op.path} is for signed-in users`).toBe(403);
    }
  });

  it("gives workspace A's owner key 404 for every id of workspace B, and leaves B untouched", async () => {
    const a = await newWorkspace(t);
    const keyA = await newApiKey(t, a.id, 'owner');
    const keyIdA = (
      await t.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${keyA}` } })
    ).json().api_key.id;
    for (const op of workspaceRoutes().filter((o) => o.path.includes('{'))) {
      const params = await FIXTURES[op.path]!(world);
      const response = await call(op, { authorization: `Bearer ${keyA}` }, params);
      const expected = CROSS_WORKSPACE_STATUS[`${op.method} ${op.path}`] ?? [404];
      expect(
        expected,
        `${op.method} ${op.path} → ${response.statusCode} ${response.body.slice(0, 200)}`,
      ).toContain(response.statusCode);
    }
    const touched = await t.app.dbHandle.db.execute<{ n: number }>(
      sql`select count(*)::int as n from audit_log where workspace_id = ${world.b.workspaceId} and actor_id = ${keyIdA}`,
    );
    expect(touched.rows[0]!.n).toBe(0);
    const bOwner = await t.app.dbHandle.db.execute<{ role: string }>(
      sql`select role from workspace_members where workspace_id = ${world.b.workspaceId} and user_id = ${world.b.owner.id}`,
    );
    expect(bOwner.rows[0]!.role).toBe('owner');
  });

  it('refuses a member of A who selects workspace B, on every workspace route', async () => {
    const user = await newUser(t);
    await newWorkspace(t, user);
    const session = await signIn(t, user.email);
    for (const op of workspaceRoutes()) {
      const params = op.path.includes('{') ? await FIXTURES[op.path]!(world) : {};
      const response = await call(
        op,
        {
          cookie: session.cookie,
          origin: 'http://clientela.test',
          host: 'clientela.test',
          'x-workspace-id': world.b.workspaceId,
        },
        params,
      );
      expect(response.statusCode, `${op.method} ${op.path}`).toBe(403);
    }
  });
});
