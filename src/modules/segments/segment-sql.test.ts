import { sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setupTestApp } from '../../../test/support/app.ts';
import { ingestEvents } from '../events/events.service.ts';
import { refreshEventWindows, requestEventWindows } from './event-windows.ts';
import type { Node } from './segment-definition.ts';
import { compileSegment, countSql } from './segment-sql.ts';
import { insertClients, insertEvents, segmentWorld, sqlMembers } from './segment-test-helpers.ts';
import { registerEngagementSource, unregisterEngagementSource } from './segments.registry.ts';
import { countMembers, memberIds, memberPage } from './segments.repo.ts';
import { checkDefinition, compileFor, segmentEnvironment } from './segments.service.ts';

const t = setupTestApp();
const DAY = 86_400_000;
const NOW = new Date('2025-06-15T12:00:00.000Z');
const ago = (days: number, hours = 0) => new Date(NOW.getTime() - days * DAY - hours * 3_600_000);

const FIELDS = [
  { key: 'shoe_size', label: 'Shoe size', type: 'number' },
  { key: 'member', label: 'Member', type: 'boolean' },
  { key: 'plan', label: 'Plan', type: 'select', options: ['basic', 'pro'] },
  { key: 'interests', label: 'Interests', type: 'multi_select', options: ['ski', 'surf', 'golf'] },
  { key: 'visit_day', label: 'Visit day', type: 'date' },
  { key: 'nickname', label: 'Nickname', type: 'text' },
];

type World = Awaited<ReturnType<typeof segmentWorld>>;
let w: World;
/** name → id of the clients below */
let id: Record<string, string>;
const members = async (tree: unknown, world: World = w) => {
  const found = await sqlMembers(world.db, world.workspaceId, tree, NOW);
  const names = Object.entries(id)
    .filter(([, v]) => found.has(v))
    .map(([k]) => k);
  return names.sort();
};

beforeAll(async () => {
  w = await segmentWorld(t, { customFields: FIELDS, locations: 2, timezone: 'Europe/Madrid' });
  const specs = {
    ana: {
      first_name: 'Ana',
      last_name: 'García',
      email: 'ana@example.com',
      city: 'Madrid',
      label: 'customer',
      lifetime_value: 800,
      risk_score: 20,
      created_at: ago(400),
      last_contacted_at: ago(3),
      consent: { email: true, whatsapp: true },
      custom: {
        shoe_size: 38,
        member: true,
        plan: 'pro',
        interests: ['ski', 'surf'],
        visit_day: '2025-06-01',
        nickname: 'Anita',
      },
      tags: ['VIP', 'kayak'],
      location_id: undefined as string | undefined,
    },
    jose: {
      first_name: 'JOSÉ',
      last_name: '',
      email: 'jose@example.com',
      city: 'valencia',
      label: 'prospect',
      lifetime_value: 120.5,
      risk_score: 90,
      risk_override: 10,
      created_at: ago(20),
      last_contacted_at: ago(40),
      consent: { email: false },
      custom: { shoe_size: 44, member: false, plan: 'basic', interests: [] },
      tags: ['vip'],
    },
    empty: {
      first_name: '',
      last_name: null,
      email: 'empty@example.com',
      city: '',
      label: null,
      lifetime_value: 0,
      risk_score: null,
      created_at: ago(1),
      custom: { nickname: '' },
    },
    meta: {
      first_name: "O'Brien; DROP TABLE clients;--",
      city: '50% off',
      source: 'a_b',
      external_id: 'back\\slash',
      lifetime_value: 5,
      risk_score: 75,
      created_at: ago(10),
      custom: { nickname: "'; select pg_sleep(10); --" },
    },
    erased: { first_name: 'Gone', city: 'Madrid', erased: true, tags: ['vip'] },
  };
  specs.ana.location_id = w.locations[0];
  const names = Object.keys(specs) as Array<keyof typeof specs>;
  const ids = await insertClients(
    w.db,
    w.workspaceId,
    names.map((n) => specs[n]),
  );
  id = Object.fromEntries(names.filter((n) => n !== 'erased').map((n, i) => [n, ids[i]!]));
  await insertEvents(w.db, w.workspaceId, [
    {
      client_id: id.ana!,
      type: 'booking',
      occurred_at: ago(10),
      amount: null,
      location_id: w.locations[0]!,
      properties: { category: 'Kayak', seats: 2, paid: true },
    },
    {
      client_id: id.ana!,
      type: 'booking',
      occurred_at: ago(100),
      amount: null,
      location_id: w.locations[1]!,
      properties: { category: 'bike', seats: 1 },
    },
    {
      client_id: id.ana!,
      type: 'booking',
      occurred_at: ago(200),
      amount: null,
      location_id: null,
      properties: { category: 'kayak', seats: '2' },
    },
    { client_id: id.ana!, type: 'payment', occurred_at: ago(30), amount: 300.1, location_id: null },
    { client_id: id.ana!, type: 'payment', occurred_at: ago(300), amount: 250.2, location_id: null },
    { client_id: id.ana!, type: 'payment', occurred_at: ago(5), amount: null, location_id: null },
    { client_id: id.jose!, type: 'payment', occurred_at: ago(2), amount: 0.1, location_id: null },
    { client_id: id.jose!, type: 'payment', occurred_at: ago(1), amount: 0.2, location_id: null },
    // In the future: all-time counts include it, "within the last n days" does not.
    {
      client_id: id.jose!,
      type: 'booking',
      occurred_at: new Date(NOW.getTime() + 5 * DAY),
      amount: null,
      location_id: null,
    },
  ]);
});

afterEach(() => unregisterEngagementSource('test'));

describe('two-valued logic', () => {
  it('an unset value (NULL, empty string, missing custom key) fails positive comparisons and passes negative ones', async () => {
    expect(await members({ field: 'city', op: 'eq', value: 'madrid' })).toEqual(['ana']);
    expect(await members({ field: 'city', op: 'neq', value: 'madrid' })).toEqual(['empty', 'jose', 'meta']);
    expect(await members({ field: 'city', op: 'is_not_set' })).toEqual(['empty']);
    expect(await members({ field: 'city', op: 'not_contains', value: 'a' })).toEqual(['empty', 'meta']);
    expect(await members({ field: 'custom.nickname', op: 'is_set' })).toEqual(['ana', 'meta']);
    expect(await members({ field: 'custom.nickname', op: 'not_in', value: ['anita'] })).toEqual([
      'empty',
      'jose',
      'meta',
    ]);
    expect(await members({ field: 'custom.shoe_size', op: 'lt', value: 100 })).toEqual(['ana', 'jose']);
    expect(await members({ field: 'custom.shoe_size', op: 'neq', value: 38 })).toEqual([
      'empty',
      'jose',
      'meta',
    ]);
    expect(await members({ field: 'risk_score', op: 'lte', value: 100 })).toEqual(['ana', 'jose', 'meta']);
    expect(await members({ field: 'last_contacted_at', op: 'before', value: '2030-01-01' })).toEqual([
      'ana',
      'jose',
    ]);
    expect(await members({ field: 'last_contacted_at', op: 'is_not_set' })).toEqual(['empty', 'meta']);
    expect(await members({ field: 'custom.interests', op: 'has_not', value: 'ski' })).toEqual([
      'empty',
      'jose',
      'meta',
    ]);
    expect(await members({ field: 'custom.interests', op: 'has_none', value: ['ski', 'golf'] })).toEqual([
      'empty',
      'jose',
      'meta',
    ]);
    expect(await members({ field: 'tags', op: 'has_not', value: 'kayak' })).toEqual([
      'empty',
      'jose',
      'meta',
    ]);
    expect(await members({ field: 'custom.plan', op: 'neq', value: 'pro' })).toEqual([
      'empty',
      'jose',
      'meta',
    ]);
    expect(await members({ field: 'label', op: 'not_in', value: ['customer'] })).toEqual([
      'empty',
      'jose',
      'meta',
    ]);
  });

  it('not is the exact complement, whatever the values', async () => {
    const everyone = await members({ all: [] });
    const trees = [
      { field: 'city', op: 'eq', value: 'madrid' },
      { field: 'custom.shoe_size', op: 'gt', value: 40 },
      { field: 'custom.member', op: 'is', value: false },
      { field: 'last_contacted_at', op: 'within_last_days', value: 14 },
      { event: 'payment', measure: 'sum', op: 'gt', value: 500 },
      {
        any: [
          { field: 'risk_score', op: 'gte', value: 50 },
          { field: 'tags', op: 'has', value: 'kayak' },
        ],
      },
    ];
    for (const tree of trees) {
      const yes = await members(tree);
      const no = await members({ not: tree });
      expect([...yes, ...no].sort(), JSON.stringify(tree)).toEqual(everyone);
      expect(yes.filter((n) => no.includes(n))).toEqual([]);
    }
  });

  it('an empty all matches every live client of the workspace, never an erased one', async () => {
    expect(await members({ all: [] })).toEqual(['ana', 'empty', 'jose', 'meta']);
    expect(await members({ not: { all: [] } })).toEqual([]);
    expect(await members({ field: 'first_name', op: 'eq', value: 'gone' })).toEqual([]);
  });

  it('an unset custom boolean matches neither is true nor is false; consent is never unset', async () => {
    expect(await members({ field: 'custom.member', op: 'is', value: true })).toEqual(['ana']);
    expect(await members({ field: 'custom.member', op: 'is', value: false })).toEqual(['jose']);
    expect(await members({ field: 'custom.member', op: 'is_not_set' })).toEqual(['empty', 'meta']);
    // jose withdrew email consent, empty and meta never gave it: all three "is false".
    expect(await members({ field: 'consent.email', op: 'is', value: false })).toEqual([
      'empty',
      'jose',
      'meta',
    ]);
    expect(await members({ field: 'consent.email', op: 'is', value: true })).toEqual(['ana']);
    expect(await members({ field: 'consent.sms', op: 'is_set' })).toEqual(['ana', 'empty', 'jose', 'meta']);
    expect(await members({ field: 'consent.sms', op: 'is_not_set' })).toEqual([]);
  });
});

describe('fields', () => {
  it('compares text case-insensitively, accents included, and name as first and last', async () => {
    expect(await members({ field: 'first_name', op: 'eq', value: 'josé' })).toEqual(['jose']);
    expect(await members({ field: 'first_name', op: 'eq', value: 'jose' })).toEqual([]);
    expect(await members({ field: 'name', op: 'eq', value: 'ANA GARCÍA' })).toEqual(['ana']);
    expect(await members({ field: 'name', op: 'eq', value: 'josé' })).toEqual(['jose']);
    expect(await members({ field: 'name', op: 'is_not_set' })).toEqual(['empty']);
    expect(await members({ field: 'email', op: 'ends_with', value: '@EXAMPLE.com' })).toEqual(
      ['ana', 'empty', 'jose', 'meta'].filter((n) => n !== 'meta'),
    );
    expect(await members({ field: 'city', op: 'in', value: ['MADRID', 'Valencia'] })).toEqual([
      'ana',
      'jose',
    ]);
    expect(await members({ field: 'city', op: 'starts_with', value: 'VAL' })).toEqual(['jose']);
  });

  it('stores and matches SQL metacharacters literally', async () => {
    expect(await members({ field: 'first_name', op: 'eq', value: "o'brien; drop table clients;--" })).toEqual(
      ['meta'],
    );
    expect(await members({ field: 'city', op: 'contains', value: '%' })).toEqual(['meta']);
    expect(await members({ field: 'city', op: 'starts_with', value: '5_%' })).toEqual([]);
    expect(await members({ field: 'source', op: 'eq', value: 'a_b' })).toEqual(['meta']);
    expect(await members({ field: 'source', op: 'contains', value: '_' })).toEqual(['meta']);
    expect(await members({ field: 'external_id', op: 'ends_with', value: '\\slash' })).toEqual(['meta']);
    expect(await members({ field: 'external_id', op: 'contains', value: '\\' })).toEqual(['meta']);
    expect(await members({ field: 'custom.nickname', op: 'contains', value: 'pg_sleep(10); --' })).toEqual([
      'meta',
    ]);
    const count = await w.db.execute<{ n: number }>(
      sql`select count(*)::int as n from clients where workspace_id = ${w.workspaceId}`,
    );
    expect(count.rows[0]!.n).toBe(5);
  });

  it('sends every value as a parameter: the SQL text carries none of them', () => {
    const tree = {
      all: [
        { field: 'city', op: 'in', value: ["x'; drop table clients; --", 'MARKER_A'] },
        { field: 'tags', op: 'has_all', value: ['MARKER_B', 'vip'] },
        { field: 'custom.nickname', op: 'contains', value: 'MARKER_C' },
        { event: 'MARKER_d', measure: 'count', op: 'gt', value: 12345, properties: { MARKER_E: 'MARKER_F' } },
      ],
    };
    const compiled = compileSegment(tree as never, {
      workspaceId: '00000000-0000-0000-0000-000000000001',
      timezone: 'Europe/Madrid',
      now: NOW,
      customFields: new Map([['nickname', { key: 'nickname', type: 'text', options: [], archived: false }]]),
    });
    const query = new PgDialect().sqlToQuery(countSql(compiled));
    expect(query.sql).not.toMatch(/MARKER|drop table|12345|vip|nickname/i);
    expect(query.params).toEqual(
      expect.arrayContaining([
        'MARKER_A',
        '%MARKER\\_C%',
        'MARKER_d',
        'MARKER_E',
        'MARKER_F',
        '12345',
        ['marker_b', 'vip'],
      ]),
    );
  });

  it('numbers: the effective risk (override first), LTV between inclusive', async () => {
    expect(await members({ field: 'risk_score', op: 'gte', value: 70 })).toEqual(['meta']);
    expect(await members({ field: 'risk_score', op: 'eq', value: 10 })).toEqual(['jose']);
    expect(await members({ field: 'lifetime_value', op: 'between', value: [5, 120.5] })).toEqual([
      'jose',
      'meta',
    ]);
    expect(await members({ field: 'lifetime_value', op: 'is_not_set' })).toEqual([]);
  });

  it('tags by name whatever the case; select, multi-select and location fields', async () => {
    expect(await members({ field: 'tags', op: 'has', value: ' vip ' })).toEqual(['ana', 'jose']);
    expect(await members({ field: 'tags', op: 'has_all', value: ['VIP', 'Kayak'] })).toEqual(['ana']);
    expect(await members({ field: 'tags', op: 'has_any', value: ['kayak', 'nope'] })).toEqual(['ana']);
    expect(await members({ field: 'tags', op: 'has_all', value: ['vip', 'VIP'] })).toEqual(['ana', 'jose']);
    expect(await members({ field: 'custom.interests', op: 'has_all', value: ['surf', 'ski'] })).toEqual([
      'ana',
    ]);
    expect(await members({ field: 'custom.interests', op: 'has_any', value: ['golf', 'surf'] })).toEqual([
      'ana',
    ]);
    expect(await members({ field: 'custom.plan', op: 'in', value: ['basic', 'pro'] })).toEqual([
      'ana',
      'jose',
    ]);
    expect(await members({ field: 'label', op: 'eq', value: 'prospect' })).toEqual(['jose']);
    expect(await members({ field: 'label', op: 'is_set' })).toEqual(['ana', 'jose']);
    expect(await members({ field: 'location_id', op: 'eq', value: w.locations[0] })).toEqual(['ana']);
    expect(await members({ field: 'location_id', op: 'neq', value: w.locations[0] })).toEqual([
      'empty',
      'jose',
      'meta',
    ]);
  });
});

describe('plans', () => {
  it('tags and engagement are joined sets, never per-row subplans under not/or (which go quadratic past work_mem)', async () => {
    registerEngagementSource({
      name: 'test',
      clientIds: (query) =>
        sql`select id as client_id from clients where workspace_id = ${query.workspaceId}`,
    });
    const env = await segmentEnvironment(w.db, { workspaceId: w.workspaceId, role: 'owner' });
    for (const tree of [
      { not: { field: 'tags', op: 'has', value: 'vip' } },
      {
        any: [
          { field: 'tags', op: 'has_any', value: ['vip', 'kayak'] },
          { field: 'city', op: 'eq', value: 'x' },
        ],
      },
      { field: 'tags', op: 'has_none', value: ['vip'] },
      {
        any: [
          { engagement: 'opened', op: 'has' },
          { event: 'booking', measure: 'count', op: 'eq', value: 0 },
        ],
      },
      { not: { engagement: 'clicked', op: 'has' } },
    ]) {
      const query = countSql(compileFor(env, checkDefinition(env, tree), NOW));
      const plan = await w.db.transaction(async (tx) => {
        await tx.execute(sql`set local work_mem = '64kB'`);
        return tx.execute(sql`explain ${query}`);
      });
      const text = plan.rows.map((r) => Object.values(r).join(' ')).join('\n');
      expect(text, JSON.stringify(tree)).not.toMatch(/SubPlan/);
    }
  });
});

describe('archived clients', () => {
  it('a count subtracts archived clients only while the workspace has some, read at every evaluation', async () => {
    const world = await segmentWorld(t);
    const [ana, bruno] = await insertClients(world.db, world.workspaceId, [
      { city: 'Madrid', tags: ['vip'] },
      { city: 'Madrid', tags: ['vip'] },
      { city: 'Madrid', tags: ['vip'] },
    ]);
    await insertEvents(
      world.db,
      world.workspaceId,
      [ana!, bruno!].map((client_id) => ({
        client_id,
        type: 'booking',
        occurred_at: new Date(),
        amount: null,
        location_id: null,
      })),
    );
    const trees: Array<[string, unknown, number]> = [
      ['a field', { field: 'city', op: 'eq', value: 'Madrid' }, 3],
      ['one tag (a set counted alone)', { field: 'tags', op: 'has', value: 'vip' }, 3],
      [
        'a narrowing tree (its events counted behind a fence)',
        {
          all: [
            { field: 'city', op: 'eq', value: 'Madrid' },
            { event: 'booking', measure: 'count', op: 'gte', value: 1 },
          ],
        },
        2,
      ],
    ];
    const counts = async () => {
      const found: Record<string, number> = {};
      for (const [name, definition] of trees) {
        const response = await world.call('POST', '/api/v1/segments/evaluate', { definition, limit: 0 });
        expect(response.statusCode, response.body).toBe(200);
        found[name] = response.json().count;
      }
      return found;
    };
    const countQueries = async () => {
      const env = await segmentEnvironment(world.db, { workspaceId: world.workspaceId, role: 'owner' });
      const dialect = new PgDialect();
      return trees.map(
        ([, tree]) => dialect.sqlToQuery(countSql(compileFor(env, checkDefinition(env, tree)))).sql,
      );
    };
    const expected = (archived: string | null) =>
      Object.fromEntries(trees.map(([name, , n]) => [name, archived === ana ? n - 1 : n]));

    // No archived client: nothing to subtract, so no count pays for an anti-join with them.
    expect(await counts()).toEqual(expected(null));
    for (const query of await countQueries()) expect(query).not.toContain('archived_at');

    expect((await world.call('POST', `/api/v1/clients/${ana}/archive`)).statusCode).toBe(200);
    expect(await counts()).toEqual(expected(ana!));
    for (const query of await countQueries()) expect(query).toContain('archived_at is not null');

    expect((await world.call('POST', `/api/v1/clients/${ana}/unarchive`)).statusCode).toBe(200);
    expect(await counts()).toEqual(expected(null));
  });
});

describe('dates', () => {
  it('within_last_days / more_than_days_ago count from now and need a value', async () => {
    expect(await members({ field: 'created_at', op: 'within_last_days', value: 15 })).toEqual([
      'empty',
      'meta',
    ]);
    expect(await members({ field: 'created_at', op: 'more_than_days_ago', value: 15 })).toEqual([
      'ana',
      'jose',
    ]);
    expect(await members({ field: 'last_contacted_at', op: 'more_than_days_ago', value: 30 })).toEqual([
      'jose',
    ]);
    expect(await members({ not: { field: 'last_contacted_at', op: 'within_last_days', value: 30 } })).toEqual(
      ['empty', 'jose', 'meta'],
    );
  });

  it('reads a date-only value in the workspace time zone: the day start for after/before, the whole day for between', async () => {
    const ny = await segmentWorld(t, { timezone: 'America/New_York' });
    const madrid = await segmentWorld(t, { timezone: 'Europe/Madrid' });
    // 03:30 UTC on 1 March is still 28 February in New York, already 1 March in Madrid.
    const at = new Date('2025-03-01T03:30:00Z');
    const [inNy] = await insertClients(ny.db, ny.workspaceId, [{ first_name: 'N', last_contacted_at: at }]);
    const [inMadrid] = await insertClients(madrid.db, madrid.workspaceId, [
      { first_name: 'M', last_contacted_at: at },
    ]);
    const check = async (tree: unknown) => ({
      ny: (await sqlMembers(ny.db, ny.workspaceId, tree, NOW)).has(inNy!),
      madrid: (await sqlMembers(madrid.db, madrid.workspaceId, tree, NOW)).has(inMadrid!),
    });
    expect(await check({ field: 'last_contacted_at', op: 'before', value: '2025-03-01' })).toEqual({
      ny: true,
      madrid: false,
    });
    expect(await check({ field: 'last_contacted_at', op: 'after', value: '2025-03-01' })).toEqual({
      ny: false,
      madrid: true,
    });
    expect(
      await check({ field: 'last_contacted_at', op: 'between', value: ['2025-02-28', '2025-02-28'] }),
    ).toEqual({
      ny: true,
      madrid: false,
    });
    expect(
      await check({ field: 'last_contacted_at', op: 'between', value: ['2025-03-01', '2025-03-01'] }),
    ).toEqual({
      ny: false,
      madrid: true,
    });
    // A date-time value is an instant, the same everywhere; before/after are strict.
    expect(await check({ field: 'last_contacted_at', op: 'after', value: '2025-03-01T03:30:00Z' })).toEqual({
      ny: false,
      madrid: false,
    });
    expect(
      await check({
        field: 'last_contacted_at',
        op: 'between',
        value: ['2025-03-01T03:30:00Z', '2025-03-01T04:30:00+01:00'],
      }),
    ).toEqual({ ny: true, madrid: true });
    // The day start of 1 March in New York (05:00 UTC) is not strictly after itself.
    const [edge] = await insertClients(ny.db, ny.workspaceId, [
      { first_name: 'E', last_contacted_at: new Date('2025-03-01T05:00:00Z') },
    ]);
    expect(
      (
        await sqlMembers(
          ny.db,
          ny.workspaceId,
          { field: 'last_contacted_at', op: 'after', value: '2025-03-01' },
          NOW,
        )
      ).has(edge!),
    ).toBe(false);
    expect(
      (
        await sqlMembers(
          ny.db,
          ny.workspaceId,
          { field: 'last_contacted_at', op: 'before', value: '2025-03-02' },
          NOW,
        )
      ).has(edge!),
    ).toBe(true);
  });

  it('a custom date is a calendar day, compared as its start in the workspace time zone', async () => {
    expect(await members({ field: 'custom.visit_day', op: 'after', value: '2025-05-31' })).toEqual(['ana']);
    expect(await members({ field: 'custom.visit_day', op: 'after', value: '2025-06-01' })).toEqual([]);
    expect(
      await members({ field: 'custom.visit_day', op: 'between', value: ['2025-06-01', '2025-06-01'] }),
    ).toEqual(['ana']);
    expect(await members({ field: 'custom.visit_day', op: 'within_last_days', value: 15 })).toEqual(['ana']);
    expect(await members({ field: 'custom.visit_day', op: 'is_not_set' })).toEqual(['empty', 'jose', 'meta']);
  });
});

describe('events', () => {
  it('count and sum per client; clients without such events have 0', async () => {
    expect(await members({ event: 'booking', measure: 'count', op: 'eq', value: 0 })).toEqual([
      'empty',
      'meta',
    ]);
    expect(await members({ event: 'booking', measure: 'count', op: 'lt', value: 1 })).toEqual([
      'empty',
      'meta',
    ]);
    expect(await members({ event: 'booking', measure: 'count', op: 'gte', value: 3 })).toEqual(['ana']);
    expect(await members({ event: 'booking', measure: 'count', op: 'eq', value: 1 })).toEqual(['jose']);
    expect(await members({ event: 'payment', measure: 'sum', op: 'eq', value: 550.3 })).toEqual(['ana']);
    expect(await members({ event: 'payment', measure: 'sum', op: 'eq', value: 0.3 })).toEqual(['jose']);
    expect(await members({ event: 'payment', measure: 'sum', op: 'lte', value: 0 })).toEqual([
      'empty',
      'meta',
    ]);
    expect(await members({ event: 'never_seen', measure: 'sum', op: 'neq', value: 0 })).toEqual([]);
  });

  it('narrows by window, location and properties (strings case-insensitively, types strictly)', async () => {
    expect(
      await members({ event: 'booking', measure: 'count', op: 'gte', value: 3, within_days: 180 }),
    ).toEqual([]);
    expect(
      await members({ event: 'booking', measure: 'count', op: 'eq', value: 2, within_days: 199 }),
    ).toEqual(['ana']);
    // The window's start is inclusive: the booking exactly 200 days ago counts.
    expect(
      await members({ event: 'booking', measure: 'count', op: 'eq', value: 3, within_days: 200 }),
    ).toEqual(['ana']);
    // jose's future booking is not "in the last 30 days"
    expect(
      await members({ event: 'booking', measure: 'count', op: 'gte', value: 1, within_days: 30 }),
    ).toEqual(['ana']);
    expect(
      await members({ event: 'payment', measure: 'sum', op: 'gt', value: 300, within_days: 365 }),
    ).toEqual(['ana']);
    expect(
      await members({ event: 'payment', measure: 'sum', op: 'gt', value: 300, within_days: 60 }),
    ).toEqual(['ana']);
    expect(
      await members({ event: 'payment', measure: 'sum', op: 'gt', value: 301, within_days: 60 }),
    ).toEqual([]);
    expect(
      await members({ event: 'booking', measure: 'count', op: 'eq', value: 1, location_id: w.locations[1] }),
    ).toEqual(['ana']);
    expect(
      await members({
        event: 'booking',
        measure: 'count',
        op: 'eq',
        value: 2,
        properties: { category: 'KAYAK' },
      }),
    ).toEqual(['ana']);
    // seats "2" (text) is not seats 2 (number)
    expect(
      await members({
        event: 'booking',
        measure: 'count',
        op: 'eq',
        value: 1,
        properties: { category: 'kayak', seats: 2 },
      }),
    ).toEqual(['ana']);
    expect(
      await members({ event: 'booking', measure: 'count', op: 'eq', value: 1, properties: { paid: true } }),
    ).toEqual(['ana']);
    expect(
      await members({ event: 'booking', measure: 'count', op: 'eq', value: 0, properties: { paid: false } }),
    ).toEqual(['ana', 'empty', 'jose', 'meta']);
  });

  it('reads events that came in through the events API', async () => {
    const world = await segmentWorld(t);
    const [a, b] = await insertClients(world.db, world.workspaceId, [
      { first_name: 'A' },
      { first_name: 'B' },
    ]);
    await ingestEvents(world.db, world.ctx, {
      events: [
        {
          client_id: a!,
          type: 'rental',
          occurred_at: new Date(Date.now() - DAY).toISOString(),
          amount: 40,
          properties: { category: 'kayak' },
        },
        {
          client_id: a!,
          type: 'rental',
          occurred_at: new Date(Date.now() - 2 * DAY).toISOString(),
          amount: 60,
          properties: { category: 'Kayak' },
        },
      ],
    });
    const tree = {
      event: 'rental',
      measure: 'sum',
      op: 'gte',
      value: 100,
      within_days: 7,
      properties: { category: 'kayak' },
    };
    expect(await sqlMembers(world.db, world.workspaceId, tree)).toEqual(new Set([a]));
    expect(await sqlMembers(world.db, world.workspaceId, { not: tree })).toEqual(new Set([b]));
  });
});

describe('engagement', () => {
  it('with no engagement source registered, nobody has any engagement', async () => {
    expect(await members({ engagement: 'opened', op: 'has' })).toEqual([]);
    expect(await members({ engagement: 'opened', op: 'has_not', within_days: 30, channel: 'email' })).toEqual(
      ['ana', 'empty', 'jose', 'meta'],
    );
  });

  it('asks the registered sources (what the deliveries module will plug in)', async () => {
    const asked: unknown[] = [];
    registerEngagementSource({
      name: 'test',
      clientIds: (query) => {
        asked.push(query);
        return sql`select id as client_id from clients where workspace_id = ${query.workspaceId} and city = 'Madrid'`;
      },
    });
    expect(await members({ engagement: 'clicked', op: 'has', within_days: 30, channel: 'sms' })).toEqual([
      'ana',
    ]);
    expect(await members({ engagement: 'clicked', op: 'has_not' })).toEqual(['empty', 'jose', 'meta']);
    expect(asked[0]).toMatchObject({
      workspaceId: w.workspaceId,
      engagement: 'clicked',
      channel: 'sms',
      campaignId: null,
      since: new Date(NOW.getTime() - 30 * DAY),
    });
  });
});

describe('the example of SEGMENTS.md', () => {
  it('finds exactly the clients it describes', async () => {
    const world = await segmentWorld(t);
    const base = {
      city: 'Madrid',
      tags: ['vip'],
      consent: { whatsapp: true },
      last_contacted_at: ago(20),
    };
    const specs = {
      bookings: { ...base },
      spender: { ...base, city: 'VALENCIA' },
      neverContacted: { ...base, last_contacted_at: null },
      fewBookings: { ...base },
      recentlyMessaged: { ...base, last_contacted_at: ago(2) },
      noWhatsapp: { ...base, consent: {} },
      notVip: { ...base, tags: ['kayak'] },
      barcelona: { ...base, city: 'Barcelona' },
    };
    const names = Object.keys(specs) as Array<keyof typeof specs>;
    const ids = await insertClients(
      world.db,
      world.workspaceId,
      names.map((n) => ({ first_name: n, ...specs[n] })),
    );
    const byName = Object.fromEntries(names.map((n, i) => [n, ids[i]!]));
    const bookings = (client: string, n: number, days: number) =>
      Array.from({ length: n }, () => ({
        client_id: client,
        type: 'booking',
        occurred_at: ago(days),
        amount: null,
        location_id: null,
      }));
    await insertEvents(world.db, world.workspaceId, [
      ...bookings(byName.bookings!, 3, 100),
      { client_id: byName.spender!, type: 'payment', occurred_at: ago(200), amount: 400, location_id: null },
      {
        client_id: byName.spender!,
        type: 'payment',
        occurred_at: ago(300),
        amount: 100.01,
        location_id: null,
      },
      { client_id: byName.spender!, type: 'payment', occurred_at: ago(400), amount: 1000, location_id: null },
      ...bookings(byName.neverContacted!, 5, 10),
      ...bookings(byName.fewBookings!, 2, 10),
      ...bookings(byName.fewBookings!, 5, 190),
      ...bookings(byName.recentlyMessaged!, 3, 10),
      ...bookings(byName.noWhatsapp!, 3, 10),
      ...bookings(byName.notVip!, 3, 10),
      ...bookings(byName.barcelona!, 3, 10),
    ]);
    const example = {
      all: [
        { field: 'city', op: 'in', value: ['Madrid', 'Valencia'] },
        { field: 'tags', op: 'has', value: 'vip' },
        {
          any: [
            { event: 'booking', measure: 'count', op: 'gte', value: 3, within_days: 180 },
            { event: 'payment', measure: 'sum', op: 'gt', value: 500, within_days: 365 },
          ],
        },
        { field: 'consent.whatsapp', op: 'is', value: true },
        { not: { field: 'last_contacted_at', op: 'within_last_days', value: 14 } },
      ],
    };
    const found = await sqlMembers(world.db, world.workspaceId, example, NOW);
    expect(names.filter((n) => found.has(byName[n]!)).sort()).toEqual([
      'bookings',
      'neverContacted',
      'spender',
    ]);
  });

  it('is counted narrowed first: city, tag and consent behind a fence, then the events of the few left', async () => {
    const world = await segmentWorld(t);
    const base = { city: 'Madrid', tags: ['vip'], consent: { whatsapp: true } };
    const [booked, archived, unbooked] = await insertClients(world.db, world.workspaceId, [
      { first_name: 'booked', ...base },
      { first_name: 'archived', ...base, archived: true },
      { first_name: 'unbooked', ...base },
    ]);
    const booking = (client: string) => ({
      client_id: client,
      type: 'booking',
      occurred_at: ago(5),
      amount: null,
      location_id: null,
    });
    await insertEvents(world.db, world.workspaceId, [booking(booked!), booking(archived!)]);
    const tree: Node = {
      all: [
        { field: 'city', op: 'in', value: ['Madrid', 'Valencia'] },
        { field: 'tags', op: 'has', value: 'VIP' },
        { field: 'consent.whatsapp', op: 'is', value: true },
        { event: 'booking', measure: 'count', op: 'gte', value: 1, within_days: 30 },
      ],
    };
    const env = await segmentEnvironment(world.db, { workspaceId: world.workspaceId, role: 'owner' });
    const compiled = compileFor(env, tree, NOW);
    const count = new PgDialect().sqlToQuery(countSql(compiled)).sql;
    // The event aggregate sits outside the fenced subquery of the narrowing conditions.
    expect(count).toMatch(/offset 0\) c where .*from events ev/s);
    expect(count).not.toMatch(/archived_at is null/);
    expect(await countMembers(world.db, compiled)).toBe(1);
    expect(await memberIds(world.db, compiled)).toEqual([booked]);
    expect(unbooked).toBeDefined();
  });
});

describe('a narrowing tree with events under not', () => {
  it('reads the kept window for them, exact for clients whose events changed since it was kept', async () => {
    const world = await segmentWorld(t);
    const es = { locale: 'es', lifetime_value: 200, label: 'customer' };
    const specs = {
      visited: { ...es, tags: ['Newsletter'] },
      neverVisited: { ...es, tags: ['Newsletter'] },
      untagged: { ...es },
      visitedLongAgo: { ...es, tags: ['Newsletter'] },
      prospect: { ...es, label: 'prospect' },
      french: { ...es, locale: 'fr' },
      visitsAfterKept: { ...es, tags: ['Newsletter'] },
    };
    const names = Object.keys(specs) as Array<keyof typeof specs>;
    const ids = await insertClients(
      world.db,
      world.workspaceId,
      names.map((n) => ({ first_name: n, ...specs[n] })),
    );
    const byName = Object.fromEntries(names.map((n, i) => [n, ids[i]!])) as Record<
      keyof typeof specs,
      string
    >;
    const visit = (client: string, when: Date) => ({
      client_id: client,
      type: 'visit',
      occurred_at: when,
      amount: null,
      location_id: null,
    });
    await insertEvents(world.db, world.workspaceId, [
      visit(byName.visited, ago(10)),
      visit(byName.visitedLongAgo, ago(100)),
    ]);
    const tree: Node = {
      all: [
        { field: 'locale', op: 'eq', value: 'ES' },
        { field: 'lifetime_value', op: 'gt', value: 100 },
        {
          not: {
            any: [
              { field: 'label', op: 'eq', value: 'prospect' },
              {
                all: [
                  { field: 'tags', op: 'has', value: 'newsletter' },
                  { event: 'visit', measure: 'count', op: 'eq', value: 0, within_days: 90 },
                ],
              },
            ],
          },
        },
      ],
    };
    const before = await segmentEnvironment(world.db, { workspaceId: world.workspaceId, role: 'owner' });
    await requestEventWindows(world.db, world.workspaceId, compileFor(before, tree, NOW).windows ?? []);
    await refreshEventWindows(world.db, world.workspaceId, { maxAgeMs: 0, asOf: ago(0, 2) });
    // After the window was kept: a visit of a client the kept rows say never visited.
    await insertEvents(world.db, world.workspaceId, [visit(byName.visitsAfterKept, ago(0, 1))]);
    const env = await segmentEnvironment(world.db, { workspaceId: world.workspaceId, role: 'owner' });
    const compiled = compileFor(env, tree, NOW);
    const dialect = new PgDialect();
    expect(dialect.sqlToQuery(countSql(compiled)).sql).toContain('event_window_aggregates');
    // The page stays per client (the newest members are found after a few clients).
    expect(compiled.page).toBeDefined();
    expect(dialect.sqlToQuery(countSql(compiled.page!)).sql).not.toContain('event_window_aggregates');
    const expected = [byName.visited, byName.untagged, byName.visitsAfterKept].sort();
    expect((await memberIds(world.db, compiled)).sort()).toEqual(expected);
    expect(await countMembers(world.db, compiled)).toBe(expected.length);
    expect((await memberPage(world.db, compiled, 20, null)).map((c) => c.id).sort()).toEqual(expected);
  });
});

describe('isolation', () => {
  it("a tree of workspace A never returns B's clients, even with B's tag names and ids in it", async () => {
    const a = await segmentWorld(t);
    const b = await segmentWorld(t, { locations: 1 });
    const [bClient] = await insertClients(b.db, b.workspaceId, [
      { first_name: 'Secret', city: 'Madrid', tags: ['b-only-tag'], location_id: b.locations[0]! },
    ]);
    const [aClient] = await insertClients(a.db, a.workspaceId, [{ first_name: 'Mine', city: 'Madrid' }]);
    await insertEvents(b.db, b.workspaceId, [
      { client_id: bClient!, type: 'booking', occurred_at: ago(1), amount: 10, location_id: b.locations[0]! },
    ]);
    const ours = async (tree: unknown) => [...(await sqlMembers(a.db, a.workspaceId, tree, NOW))];
    expect(await ours({ field: 'tags', op: 'has', value: 'b-only-tag' })).toEqual([]);
    expect(await ours({ field: 'city', op: 'eq', value: 'madrid' })).toEqual([aClient]);
    expect(await ours({ event: 'booking', measure: 'count', op: 'gte', value: 1 })).toEqual([]);
    expect(await ours({ event: 'booking', measure: 'count', op: 'eq', value: 0 })).toEqual([aClient]);
    expect(await ours({ field: 'first_name', op: 'eq', value: 'secret' })).toEqual([]);
    // B's location ids are not A's: the tree is invalid in A, so it never runs.
    await expect(ours({ field: 'location_id', op: 'eq', value: b.locations[0] })).rejects.toMatchObject({
      code: 'INVALID_SEGMENT',
      details: [{ path: '/value', message: 'no such location in this workspace' }],
    });
    await expect(
      ours({ event: 'booking', measure: 'count', op: 'gte', value: 1, location_id: b.locations[0] }),
    ).rejects.toMatchObject({ code: 'INVALID_SEGMENT' });
  });
});
