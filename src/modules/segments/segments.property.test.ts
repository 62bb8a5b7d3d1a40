import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../../../test/support/app.ts';
import { refreshEventWindows, requestEventWindows, windowKey } from './event-windows.ts';
import { type Node, validateDefinition } from './segment-definition.ts';
import { type RefClient, type RefEvent, type RefWorld, referenceMembers } from './segment-reference.ts';
import { insertClients, insertEvents, segmentWorld } from './segment-test-helpers.ts';
import { countMembers, memberIds } from './segments.repo.ts';
import { compileFor, segmentEnvironment } from './segments.service.ts';

/**
 * The correctness proof of the compiler: random clients (unset values, accents, SQL
 * metacharacters, custom fields of every type, tags, consents, events) go into a fresh workspace,
 * random trees are evaluated by the SQL compiler and by the in-memory reference evaluator written
 * from the contract (segment-reference.ts), and both must return the same members. Each run
 * inserts one dataset and checks TREES_PER_RUN trees against it; RUNS × TREES_PER_RUN ≥ 1,000.
 * On a difference fast-check shrinks the dataset and the trees to a minimal failing case.
 *
 * Kept event windows (event-windows.ts) are part of the proof: every window the trees use is built
 * at a random T0 up to 5 days before NOW, then some events are written and some clients erased
 * (after T0, as a live workspace would between refreshes), and every other tree is evaluated
 * through the kept windows (members and count), the rest by aggregating the events.
 */
const t = setupTestApp();

const RUNS = Number(process.env.SEGMENT_PROPERTY_RUNS ?? 25);
const TREES_PER_RUN = 100;
const DAY = 86_400_000;
/** Shortly after the end of summer time in Europe (26 Oct 2025, 01:00 UTC). */
const NOW = new Date('2025-10-27T09:15:00.000Z');
const TIMEZONES = ['Europe/Madrid', 'America/New_York', 'Asia/Kolkata', 'UTC', 'Australia/Sydney'];

const CUSTOM_FIELDS = [
  { key: 'note', label: 'Note', type: 'text' },
  { key: 'site', label: 'Site', type: 'url' },
  { key: 'score', label: 'Score', type: 'number' },
  { key: 'day', label: 'Day', type: 'date' },
  { key: 'flag', label: 'Flag', type: 'boolean' },
  { key: 'plan', label: 'Plan', type: 'select', options: ['basic', 'pro', 'élite'] },
  { key: 'hobbies', label: 'Hobbies', type: 'multi_select', options: ['ski', 'surf', 'golf'] },
];
const CUSTOM_TYPES = Object.fromEntries(CUSTOM_FIELDS.map((f) => [f.key, f.type]));

// ---- data ------------------------------------------------------------------------------------------

const STORED_TEXT = [
  'Ana',
  'ana',
  'ÁNGEL',
  'ángel',
  'José',
  'JOSÉ',
  'Zoë',
  "O'Brien",
  '50% off',
  'a_b',
  'x\\y',
  'Madrid',
  'madrid ',
  'València',
  'Niño',
  '',
];
const QUERY_TEXT = [
  'ana',
  'ÁN',
  'josé',
  'jose',
  'zoë',
  "o'b",
  '%',
  '_',
  '\\',
  'madrid',
  'valència',
  'a',
  'é',
  'ri',
  "'",
  '50% OFF',
  'ñ',
];
const TAGS = ['vip', 'VIP', 'kayak', 'Niño', 'blocked'];
const TAG_QUERIES = ['vip', ' VIP', 'Kayak', 'NIÑO', 'nobody-has-this'];
const LABELS = ['prospect', 'customer', 'affiliate'];

const text = fc.option(fc.constantFrom(...STORED_TEXT), { nil: null });
const offsetMs = (min: number, max: number) => fc.integer({ min: min * DAY, max: max * DAY });
const at = (offset: number) => new Date(NOW.getTime() + offset);
const dayString = fc
  .integer({ min: -60, max: 10 })
  .map((d) => new Date(NOW.getTime() + d * DAY).toISOString().slice(0, 10));
const cents = (max: number) => fc.integer({ min: 0, max }).map((c) => c / 100);

const clientArb = fc.record({
  first_name: text,
  last_name: text,
  email: fc.option(fc.constantFrom('ana@example.com', 'JOSE@Example.org', 'x_y@z.es'), { nil: null }),
  city: text,
  country: fc.option(fc.constantFrom('ES', 'FR', 'es'), { nil: null }),
  source: text,
  external: fc.boolean(),
  label: fc.option(fc.constantFrom(...LABELS), { nil: null }),
  location: fc.option(fc.constantFrom(0, 1), { nil: null }),
  lifetime_value: cents(200_000),
  risk_score: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
  risk_override: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null, freq: 4 }),
  created: offsetMs(-90, 0),
  last_activity: fc.option(offsetMs(-90, 0), { nil: null }),
  last_contacted: fc.option(offsetMs(-90, 0), { nil: null }),
  consent: fc.record({ email: fc.boolean(), sms: fc.boolean(), whatsapp: fc.boolean(), push: fc.boolean() }),
  custom: fc.record(
    {
      note: fc.constantFrom(...STORED_TEXT),
      site: fc.constantFrom('https://example.com/a_b', 'https://ángel.es/%20'),
      score: fc.integer({ min: -100, max: 100 }).map((n) => n / 2),
      day: dayString,
      flag: fc.boolean(),
      plan: fc.constantFrom('basic', 'pro', 'élite'),
      hobbies: fc.subarray(['ski', 'surf', 'golf']),
    },
    { requiredKeys: [] },
  ),
  tags: fc.subarray(TAGS),
  erased: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  archived: fc.integer({ min: 0, max: 9 }).map((n) => n === 1),
});

const eventArb = (clients: number) =>
  fc.record({
    client: fc.integer({ min: 0, max: Math.max(0, clients - 1) }),
    type: fc.constantFrom('booking', 'payment'),
    offset: offsetMs(-400, 10),
    amount: fc.option(cents(60_000), { nil: null }),
    location: fc.option(fc.constantFrom(0, 1), { nil: null }),
    properties: fc.record(
      {
        category: fc.constantFrom('kayak', 'Kayak', 'bike'),
        seats: fc.constantFrom<number | string>(1, 2, '2'),
        paid: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
    /** Written after the kept windows were built. */
    late: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
  });

const datasetArb = fc
  .record({
    timezone: fc.constantFrom(...TIMEZONES),
    clients: fc.array(clientArb, { minLength: 12, maxLength: 40 }),
  })
  .chain((d) =>
    fc.record({
      timezone: fc.constant(d.timezone),
      clients: fc.constant(d.clients),
      events: fc.array(eventArb(d.clients.length), { minLength: 5, maxLength: 150 }),
      /** T0 of the kept windows, before NOW. */
      keptBeforeMs: fc.integer({ min: 0, max: 5 * DAY }),
    }),
  );

// ---- trees -------------------------------------------------------------------------------------------

const pick = <T>(...values: T[]) => fc.constantFrom(...values);
const someOf = <T>(values: T[]) =>
  fc.subarray(values, { minLength: 1, maxLength: Math.min(3, values.length) });

const dateValue = fc.oneof(
  dayString,
  offsetMs(-60, 5).map((o) => at(o).toISOString()),
  offsetMs(-60, 5).map((o) => {
    // The same instant written with a +05:30 offset.
    const local = new Date(at(o).getTime() + 5.5 * 3_600_000).toISOString().slice(0, 19);
    return `${local}+05:30`;
  }),
);
const dateRange = fc
  .tuple(offsetMs(-60, 5), offsetMs(0, 30), fc.boolean(), fc.boolean())
  .map(([start, length, dayA, dayB]) => {
    const a = at(start);
    const b = at(start + length);
    return [
      dayA ? a.toISOString().slice(0, 10) : a.toISOString(),
      dayB ? b.toISOString().slice(0, 10) : b.toISOString(),
    ];
  });
const numberRange = (arb: fc.Arbitrary<number>) =>
  fc.tuple(arb, arb).map(([a, b]) => (a <= b ? [a, b] : [b, a]));

const textCond = fc.record({
  field: pick(
    'first_name',
    'last_name',
    'name',
    'email',
    'city',
    'country',
    'source',
    'external_id',
    'custom.note',
    'custom.site',
  ),
  cmp: fc.oneof(
    fc.record({
      op: pick('eq', 'neq', 'contains', 'not_contains', 'starts_with', 'ends_with'),
      value: pick(...QUERY_TEXT, ...STORED_TEXT.filter(Boolean)),
    }),
    fc.record({ op: pick('in', 'not_in'), value: someOf([...QUERY_TEXT, ...STORED_TEXT.filter(Boolean)]) }),
    fc.record({ op: pick('is_set', 'is_not_set') }),
  ),
});
const numberArb = fc.oneof(
  fc.integer({ min: -10, max: 100 }),
  cents(200_000),
  fc.integer({ min: -100, max: 100 }).map((n) => n / 2),
);
const numberCond = fc.record({
  field: pick('lifetime_value', 'risk_score', 'custom.score'),
  cmp: fc.oneof(
    fc.record({ op: pick('eq', 'neq', 'lt', 'lte', 'gt', 'gte'), value: numberArb }),
    fc.record({ op: pick('between'), value: numberRange(numberArb) }),
    fc.record({ op: pick('is_set', 'is_not_set') }),
  ),
});
const dateCond = fc.record({
  field: pick('created_at', 'last_activity_at', 'last_contacted_at', 'custom.day'),
  cmp: fc.oneof(
    fc.record({ op: pick('before', 'after'), value: dateValue }),
    fc.record({ op: pick('between'), value: dateRange }),
    fc.record({
      op: pick('within_last_days', 'more_than_days_ago'),
      value: fc.integer({ min: 0, max: 100 }),
    }),
    fc.record({ op: pick('is_set', 'is_not_set') }),
  ),
});
const booleanCond = fc.record({
  field: pick('consent.email', 'consent.sms', 'consent.whatsapp', 'consent.push', 'custom.flag'),
  cmp: fc.oneof(
    fc.record({ op: pick('is'), value: fc.boolean() }),
    fc.record({ op: pick('is_set', 'is_not_set') }),
  ),
});
const selectCond = fc.oneof(
  fc.record({
    field: pick('label'),
    cmp: fc.oneof(
      fc.record({ op: pick('eq', 'neq'), value: pick(...LABELS) }),
      fc.record({ op: pick('in', 'not_in'), value: someOf(LABELS) }),
      fc.record({ op: pick('is_set', 'is_not_set') }),
    ),
  }),
  fc.record({
    field: pick('location_id'),
    cmp: fc.oneof(
      fc.record({ op: pick('eq', 'neq'), value: pick('LOC0', 'LOC1') }),
      fc.record({ op: pick('in', 'not_in'), value: someOf(['LOC0', 'LOC1']) }),
      fc.record({ op: pick('is_set', 'is_not_set') }),
    ),
  }),
  fc.record({
    field: pick('custom.plan'),
    cmp: fc.oneof(
      fc.record({ op: pick('eq', 'neq'), value: pick('basic', 'pro', 'élite') }),
      fc.record({ op: pick('in', 'not_in'), value: someOf(['basic', 'pro', 'élite']) }),
      fc.record({ op: pick('is_set', 'is_not_set') }),
    ),
  }),
);
const multiCond = fc.oneof(
  fc.record({
    field: pick('tags'),
    cmp: fc.oneof(
      fc.record({ op: pick('has', 'has_not'), value: pick(...TAG_QUERIES) }),
      fc.record({ op: pick('has_any', 'has_all', 'has_none'), value: someOf(TAG_QUERIES) }),
    ),
  }),
  fc.record({
    field: pick('custom.hobbies'),
    cmp: fc.oneof(
      fc.record({ op: pick('has', 'has_not'), value: pick('ski', 'surf', 'golf') }),
      fc.record({ op: pick('has_any', 'has_all', 'has_none'), value: someOf(['ski', 'surf', 'golf']) }),
    ),
  }),
);
const fieldCond = fc
  .oneof(textCond, numberCond, dateCond, booleanCond, selectCond, multiCond)
  .map(({ field, cmp }) => ({ field, ...cmp }));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
const eventCond = fc
  .record({
    event: fc.constantFrom('booking', 'booking', 'payment', 'payment', 'rental'),
    measure: pick('count', 'sum'),
    op: pick('eq', 'neq', 'lt', 'lte', 'gt', 'gte'),
    value: pick(0, 1, 2, 3, 0.5, 100, 250.5, 600),
    within_days: maybe(pick(1, 7, 30, 90, 365)),
    // Filtered half the time: a condition without filters can read a kept window.
    location_id: fc.option(pick('LOC0', 'LOC1'), { nil: undefined, freq: 2 }),
    properties: fc.option(
      fc.record(
        {
          category: pick('kayak', 'KAYAK', 'bike'),
          seats: pick<number | string>(1, 2, '2'),
          paid: fc.boolean(),
        },
        { requiredKeys: [] },
      ),
      { nil: undefined, freq: 2 },
    ),
  })
  .map((e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)));
const engagementCond = fc.record(
  {
    engagement: pick('sent', 'delivered', 'opened', 'clicked', 'failed'),
    op: pick('has', 'has_not'),
    channel: pick('email', 'sms', 'whatsapp'),
    within_days: pick(7, 30),
  },
  { requiredKeys: ['engagement', 'op'] },
);
const condition = fc.oneof(
  { arbitrary: fieldCond, weight: 8 },
  { arbitrary: eventCond, weight: 3 },
  { arbitrary: engagementCond, weight: 1 },
);

const { tree } = fc.letrec<{ tree: unknown; all: unknown; any: unknown; not: unknown }>((tie) => ({
  tree: fc.oneof({ maxDepth: 4, depthIdentifier: 'segment' }, condition, tie('all'), tie('any'), tie('not')),
  all: fc.oneof(
    {
      arbitrary: fc.record({
        all: fc.array(tie('tree'), { minLength: 1, maxLength: 3, depthIdentifier: 'segment' }),
      }),
      weight: 9,
    },
    { arbitrary: fc.constant({ all: [] }), weight: 1 },
  ),
  any: fc.record({ any: fc.array(tie('tree'), { minLength: 1, maxLength: 3, depthIdentifier: 'segment' }) }),
  not: fc.record({ not: tie('tree') }),
}));

// ---- the property ------------------------------------------------------------------------------------

type Dataset = typeof datasetArb extends fc.Arbitrary<infer D> ? D : never;

async function load(dataset: Dataset) {
  const w = await segmentWorld(t, { timezone: dataset.timezone, customFields: CUSTOM_FIELDS, locations: 2 });
  const location = (i: number | null) => (i === null ? null : w.locations[i]!);
  const specs = dataset.clients.map((c, i) => ({
    first_name: c.first_name,
    last_name: c.last_name,
    email: c.email,
    city: c.city,
    country: c.country,
    source: c.source,
    external_id: c.external ? `EXT_${i}%` : null,
    label: c.label,
    location_id: location(c.location),
    lifetime_value: c.lifetime_value,
    risk_score: c.risk_score,
    risk_override: c.risk_override,
    created_at: at(c.created),
    last_activity_at: c.last_activity === null ? null : at(c.last_activity),
    last_contacted_at: c.last_contacted === null ? null : at(c.last_contacted),
    consent: { ...c.consent },
    custom: { ...c.custom } as Record<string, unknown>,
    tags: [...c.tags],
    erased: c.erased,
    archived: c.archived,
  }));
  // Every other erased client is erased after the kept windows are built.
  const erasedLate = (i: number) => dataset.clients[i]!.erased && i % 2 === 0;
  // Likewise every other archived client is archived after them (kept rows include it).
  const archivedLate = (i: number) => dataset.clients[i]!.archived && i % 2 === 0;
  const ids = await insertClients(
    w.db,
    w.workspaceId,
    specs.map((s, i) => ({
      ...s,
      erased: s.erased && !erasedLate(i),
      archived: s.archived && !archivedLate(i),
    })),
  );
  const clients: RefClient[] = specs.map((s, i) => ({
    ...s,
    id: ids[i]!,
    phone: null,
    locale: null,
    created_at: s.created_at,
  }));
  const events: RefEvent[] = dataset.events.map((e) => ({
    client_id: ids[e.client]!,
    type: e.type,
    occurred_at: at(e.offset),
    amount: e.amount,
    location_id: location(e.location),
    properties: { ...e.properties } as RefEvent['properties'],
  }));
  await insertEvents(
    w.db,
    w.workspaceId,
    events.filter((_, i) => !dataset.events[i]!.late),
  );
  /** Builds the windows the trees use at T0, then writes what came after. */
  const keep = async (trees: unknown[]) => {
    const env = await segmentEnvironment(w.db, { workspaceId: w.workspaceId, role: 'owner' });
    const wanted = trees.flatMap((node) => compileFor(env, node as Node, NOW).windows ?? []);
    await requestEventWindows(w.db, w.workspaceId, wanted);
    await refreshEventWindows(w.db, w.workspaceId, {
      maxAgeMs: 0,
      asOf: new Date(NOW.getTime() - dataset.keptBeforeMs),
    });
    await insertEvents(
      w.db,
      w.workspaceId,
      events.filter((_, i) => dataset.events[i]!.late),
    );
    const late = ids.filter((_, i) => erasedLate(i));
    if (late.length)
      await w.db.execute(
        sql`update clients set erased_at = now() where id = any(${sql.param(late)}::uuid[])`,
      );
    const lateArchived = ids.filter((_, i) => archivedLate(i));
    if (lateArchived.length)
      await w.db.execute(
        sql`update clients set archived_at = now() where id = any(${sql.param(lateArchived)}::uuid[])`,
      );
  };
  const world: RefWorld = {
    clients,
    events,
    customTypes: CUSTOM_TYPES,
    timezone: dataset.timezone,
    now: NOW,
  };
  const withLocations = (node: unknown) =>
    JSON.parse(
      JSON.stringify(node)
        .replaceAll('"LOC0"', `"${w.locations[0]}"`)
        .replaceAll('"LOC1"', `"${w.locations[1]}"`),
    );
  return { w, world, withLocations, keep };
}

describe('the SQL compiler agrees with the reference evaluator of the contract', () => {
  it(`on ${RUNS * TREES_PER_RUN} random trees over random clients`, { timeout: 240_000 }, async () => {
    let checked = 0;
    let split = 0;
    let keptTrees = 0;
    await fc.assert(
      fc.asyncProperty(
        datasetArb,
        fc.array(tree, { minLength: TREES_PER_RUN, maxLength: TREES_PER_RUN }),
        async (dataset, trees) => {
          const { w, world, withLocations, keep } = await load(dataset);
          const nodes = trees.map(withLocations);
          await keep(nodes);
          const kept = await segmentEnvironment(w.db, { workspaceId: w.workspaceId, role: 'owner' });
          const aggregated = { ...kept, keptWindows: new Map<string, Date>() };
          for (const [index, node] of nodes.entries()) {
            const env = index % 2 === 0 ? kept : aggregated;
            expect(validateDefinition(node, env.validation), JSON.stringify(node)).toEqual([]);
            const compiled = compileFor(env, node, NOW);
            if (
              env === kept &&
              compiled.windows?.some((x) => kept.keptWindows.has(windowKey(x.type, x.days)))
            )
              keptTrees += 1;
            const bySql = new Set(await memberIds(w.db, compiled));
            const byReference = referenceMembers(node, world);
            expect(await countMembers(w.db, compiled), `count of ${JSON.stringify(node)}`).toBe(
              byReference.size,
            );
            const name = (id: string) => {
              const c = world.clients.find((x) => x.id === id)!;
              return JSON.stringify({ ...c, id: undefined });
            };
            const onlySql = [...bySql].filter((id) => !byReference.has(id)).map(name);
            const onlyReference = [...byReference].filter((id) => !bySql.has(id)).map(name);
            expect(
              { onlySql, onlyReference },
              `tree ${JSON.stringify(node)} in ${dataset.timezone}; events ${JSON.stringify(world.events)}`,
            ).toEqual({ onlySql: [], onlyReference: [] });
            checked += 1;
            const live = world.clients.filter((c) => !c.erased && !c.archived).length;
            if (bySql.size > 0 && bySql.size < live) split += 1;
            else if (process.env.SEGMENT_PROPERTY_DEBUG)
              console.log('TRIVIAL', bySql.size, JSON.stringify(node).slice(0, 300));
          }
        },
      ),
      {
        numRuns: RUNS,
        endOnFailure: process.env.SEGMENT_PROPERTY_NO_SHRINK === '1',
        // Shrinking reloads a dataset per attempt: stop it in time to report the smallest case found.
        interruptAfterTimeLimit: 200_000,
        markInterruptAsFailure: true,
      },
    );
    expect(checked).toBeGreaterThanOrEqual(RUNS * TREES_PER_RUN);
    // Most trees split the clients: they are not trivially everyone or nobody.
    expect(split / checked).toBeGreaterThan(0.3);
    // A good share of the trees read kept windows: about 5 % of a random draw (4.9 % in one CI run,
    // which failed a 5 % bound), so the bound is 3 %.
    expect(keptTrees / checked).toBeGreaterThan(0.03);
  });
});
