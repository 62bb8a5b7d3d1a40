import { describe, expect, it } from 'vitest';
import {
  SEGMENT_PROBLEM_CODES,
  type SegmentProblemCode,
  type ValidationContext,
  validateDefinition,
} from './segment-definition.ts';

const LOCATION = '8f0d6c3e-1b7a-4d5e-9f10-2a3b4c5d6e7f';
const context: ValidationContext = {
  customFields: [
    { key: 'shoe_size', type: 'number', options: [], archived: false },
    { key: 'plan', type: 'select', options: ['basic', 'pro'], archived: false },
    { key: 'interests', type: 'multi_select', options: ['ski', 'surf'], archived: false },
    { key: 'member', type: 'boolean', options: [], archived: false },
    { key: 'visit_day', type: 'date', options: [], archived: false },
    { key: 'website', type: 'url', options: [], archived: false },
    { key: 'old_code', type: 'text', options: [], archived: true },
  ],
  labels: ['prospect', 'customer', 'affiliate'],
  locations: [LOCATION],
};
const full = (tree: unknown) => validateDefinition(tree, context);
/** Path and message only: the codes and params are checked in their own tests. */
const check = (tree: unknown) => full(tree).map(({ path, message }) => ({ path, message }));

const EXAMPLE = {
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

function nest(levels: number, leaf: unknown = { field: 'city', op: 'is_set' }): unknown {
  let node = leaf;
  for (let i = 0; i < levels; i += 1) node = { not: node };
  return node;
}

describe('validateDefinition accepts', () => {
  it('the example of SEGMENTS.md and every field with every operator of its type', () => {
    expect(check(EXAMPLE)).toEqual([]);
    const valid = [
      { field: 'name', op: 'contains', value: 'ana' },
      { field: 'email', op: 'ends_with', value: '@example.com' },
      { field: 'phone', op: 'starts_with', value: '+34' },
      { field: 'country', op: 'not_in', value: ['ES', 'FR'] },
      { field: 'external_id', op: 'is_not_set' },
      { field: 'label', op: 'eq', value: 'customer' },
      { field: 'label', op: 'in', value: ['prospect', 'affiliate'] },
      { field: 'location_id', op: 'neq', value: LOCATION },
      { field: 'lifetime_value', op: 'between', value: [10, 10] },
      { field: 'risk_score', op: 'gte', value: 70 },
      { field: 'created_at', op: 'between', value: ['2025-01-01', '2025-01-31'] },
      { field: 'created_at', op: 'after', value: '2025-03-01T09:30:00Z' },
      { field: 'last_activity_at', op: 'before', value: '2025-03-01T09:30:00.123+01:00' },
      { field: 'last_contacted_at', op: 'more_than_days_ago', value: 0 },
      { field: 'tags', op: 'has_all', value: ['vip', 'kayak'] },
      { field: 'consent.email', op: 'is', value: false },
      { field: 'consent.push', op: 'is_set' },
      { field: 'custom.shoe_size', op: 'lt', value: 42.5 },
      { field: 'custom.plan', op: 'in', value: ['pro'] },
      { field: 'custom.interests', op: 'has_none', value: ['ski', 'surf'] },
      { field: 'custom.member', op: 'is', value: true },
      { field: 'custom.member', op: 'is_not_set', value: null },
      { field: 'custom.visit_day', op: 'within_last_days', value: 30 },
      { field: 'custom.website', op: 'contains', value: 'https://' },
      { engagement: 'opened', op: 'has', within_days: 30, channel: 'email' },
      { engagement: 'clicked', op: 'has_not', campaign_id: LOCATION },
      {
        event: 'rental',
        measure: 'count',
        op: 'eq',
        value: 0,
        location_id: LOCATION,
        properties: { category: 'kayak', seats: 2, paid: true },
      },
    ];
    for (const condition of valid) expect(check(condition), JSON.stringify(condition)).toEqual([]);
    expect(check({ all: valid })).toEqual([]);
  });

  it('an empty all (everyone), six levels, 100 conditions and 50 children', () => {
    expect(check({ all: [] })).toEqual([]);
    expect(check(nest(5))).toEqual([]);
    const fifty = Array.from({ length: 50 }, () => ({ field: 'city', op: 'is_set' }));
    expect(check({ all: [{ all: fifty }, { any: fifty }] })).toEqual([]);
  });
});

describe('validateDefinition reports', () => {
  it('every problem at once, with JSON Pointers into the tree, exact messages, codes and params', () => {
    const problems = full({
      all: [
        { field: 'city', op: 'eq', value: 'Madrid' },
        { field: 'favourite_colour', op: 'eq', value: 'red' },
        { field: 'email', op: 'gt', value: 'a' },
        { field: 'custom.nope', op: 'eq', value: 1 },
        { field: 'custom.old_code', op: 'eq', value: 'x' },
        { field: 'lifetime_value', op: 'gt', value: '500' },
        { field: 'created_at', op: 'before', value: '2025-02-30' },
        { field: 'tags', op: 'has_any', value: 'vip' },
        { any: [] },
        { event: 'Booking!', measure: 'avg', op: 'has', value: 'x', within_days: 0 },
      ],
    });
    expect(problems).toEqual([
      {
        path: '/all/1/field',
        message: "unknown field 'favourite_colour'",
        code: 'unknown_field',
        params: { field: 'favourite_colour' },
      },
      {
        path: '/all/2/op',
        message: "operator 'gt' is not valid for text field 'email'",
        code: 'operator_not_for_field',
        params: {
          op: 'gt',
          field: 'email',
          allowed: 'eq, neq, contains, not_contains, starts_with, ends_with, in, not_in, is_set, is_not_set',
        },
      },
      {
        path: '/all/3/field',
        message: "unknown custom field 'nope'",
        code: 'unknown_custom_field',
        params: { key: 'nope' },
      },
      {
        path: '/all/4/field',
        message: "custom field 'old_code' is archived",
        code: 'custom_field_archived',
        params: { key: 'old_code' },
      },
      {
        path: '/all/5/value',
        message: 'must be a number, not string',
        code: 'number_required',
        params: { got: 'text' },
      },
      {
        path: '/all/6/value',
        message: 'must be an ISO-8601 date (YYYY-MM-DD) or date-time with a zone (2025-03-01T09:30:00Z)',
        code: 'date_required',
      },
      {
        path: '/all/7/value',
        message: "must be a list for 'has_any'",
        code: 'list_required',
        params: { op: 'has_any' },
      },
      {
        path: '/all/8/any',
        message: 'an empty "any" matches nobody: add a condition or remove the group',
        code: 'empty_any',
      },
      {
        path: '/all/9/event',
        message: 'must be an event type such as booking (lower-case letters, digits and _)',
        code: 'event_type_invalid',
      },
      { path: '/all/9/measure', message: 'must be count or sum', code: 'measure_invalid' },
      {
        path: '/all/9/op',
        message: "operator 'has' is not valid for an event condition; use eq, neq, lt, lte, gt, gte",
        code: 'operator_not_for_event',
        params: { op: 'has', allowed: 'eq, neq, lt, lte, gt, gte' },
      },
      {
        path: '/all/9/value',
        message: 'must be a number, not string',
        code: 'number_required',
        params: { got: 'text' },
      },
      {
        path: '/all/9/within_days',
        message: 'must be a whole number of days from 1 to 3650',
        code: 'days_out_of_range',
        params: { min: 1, max: 3650 },
      },
    ]);
  });

  it('gives every problem one of the documented codes, and each code names one kind of problem', () => {
    const codeOf = (tree: unknown) => full(tree).map((p) => p.code);
    const many = Array.from({ length: 101 }, () => ({ field: 'city', op: 'is_set' }));
    const cases: Array<[unknown, SegmentProblemCode[]]> = [
      [nest(7), ['too_deep']],
      [42, ['not_a_node']],
      [{ all: [], any: [] }, ['mixed_group']],
      [{ not: { field: 'city', op: 'is_set' }, x: 1 }, ['key_not_allowed']],
      [{ all: 'x' }, ['group_not_list']],
      [{ any: [] }, ['empty_any']],
      [{ any: Array.from({ length: 51 }, () => ({ field: 'city', op: 'is_set' })) }, ['too_many_children']],
      [
        { all: [{ all: many.slice(0, 34) }, { all: many.slice(34, 68) }, { all: many.slice(68) }] },
        ['too_many_conditions'],
      ],
      [{ field: 'city', op: 'is_set', x: 1 }, ['unknown_key']],
      [{ field: 1, op: 'eq' }, ['field_missing']],
      [{ field: 'nope', op: 'eq', value: 1 }, ['unknown_field']],
      [{ field: 'custom.nope', op: 'eq', value: 1 }, ['unknown_custom_field']],
      [{ field: 'custom.old_code', op: 'eq', value: 1 }, ['custom_field_archived']],

      [{ field: 'city', op: 'frob', value: 1 }, ['unknown_operator']],
      [{ field: 'city', op: 'gt', value: 1 }, ['operator_not_for_field']],
      [{ field: 'city' }, ['operator_required']],
      [{ field: 'city', op: 'is_set', value: 'x' }, ['value_not_taken']],
      [{ field: 'city', op: 'eq' }, ['value_required']],
      [{ field: 'city', op: 'in', value: 'x' }, ['list_required']],
      [{ field: 'city', op: 'in', value: [] }, ['list_empty']],
      [{ field: 'city', op: 'in', value: Array.from({ length: 101 }, () => 'x') }, ['too_many_values']],
      [{ field: 'city', op: 'eq', value: ['x'] }, ['single_value_required']],
      [{ field: 'city', op: 'eq', value: 1 }, ['text_required']],
      [{ field: 'city', op: 'eq', value: '' }, ['text_empty']],
      [{ field: 'city', op: 'eq', value: 'x'.repeat(501) }, ['text_too_long']],
      [{ field: 'lifetime_value', op: 'gt', value: 'x' }, ['number_required']],
      [{ event: 'booking', measure: 'count', op: 'gt', value: Number.NaN }, ['number_not_finite']],
      [{ field: 'lifetime_value', op: 'gt', value: 1e308 }, ['number_out_of_range']],
      [{ field: 'created_at', op: 'within_last_days', value: -1 }, ['days_out_of_range']],
      [{ field: 'created_at', op: 'after', value: 'yesterday' }, ['date_required']],
      [{ field: 'consent.sms', op: 'is', value: 'yes' }, ['boolean_required']],
      [{ field: 'label', op: 'eq', value: 'vip' }, ['unknown_label']],
      [{ field: 'custom.plan', op: 'eq', value: 'gold' }, ['unknown_option']],
      [{ field: 'location_id', op: 'eq', value: 'nope' }, ['unknown_location']],
      [{ field: 'tags', op: 'has', value: ' ' }, ['tag_required']],
      [{ field: 'tags', op: 'has', value: 'x'.repeat(65) }, ['tag_too_long']],
      [{ field: 'lifetime_value', op: 'between', value: [1] }, ['range_required']],
      [{ field: 'lifetime_value', op: 'between', value: [2, 1] }, ['range_reversed']],
      [{ event: 'Booking', measure: 'count', op: 'gt', value: 1 }, ['event_type_invalid']],
      [{ event: 'booking', measure: 'avg', op: 'gt', value: 1 }, ['measure_invalid']],
      [{ event: 'booking', measure: 'count', op: 'in', value: 1 }, ['operator_not_for_event']],
      [{ engagement: 'opened', op: 'eq' }, ['operator_not_for_engagement']],
      [{ engagement: 'bounced', op: 'has' }, ['engagement_invalid']],
      [{ engagement: 'opened', op: 'has', campaign_id: 'x' }, ['campaign_id_invalid']],
      [{ engagement: 'opened', op: 'has', channel: 'fax' }, ['channel_invalid']],
      [{ event: 'booking', measure: 'count', op: 'gt', value: 1, properties: [] }, ['properties_not_object']],
      [
        {
          event: 'booking',
          measure: 'count',
          op: 'gt',
          value: 1,
          properties: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`p${i}`, 1])),
        },
        ['too_many_properties'],
      ],
      [
        { event: 'booking', measure: 'count', op: 'gt', value: 1, properties: { 'a b': 1 } },
        ['property_name_invalid'],
      ],
      [
        { event: 'booking', measure: 'count', op: 'gt', value: 1, properties: { a: null } },
        ['property_value_invalid'],
      ],
    ];
    for (const [tree, codes] of cases)
      expect(codeOf(tree), JSON.stringify(tree).slice(0, 120)).toEqual(codes);
    // A custom field of a type segments cannot compare (none today; a future type until it is mapped).
    expect(
      validateDefinition(
        { field: 'custom.blob', op: 'eq', value: 1 },
        { ...context, customFields: [{ key: 'blob', type: 'file', options: [], archived: false }] },
      ).map((p) => p.code),
    ).toEqual(['custom_field_uncomparable']);
    const capped = full({
      all: Array.from({ length: 50 }, () => ({
        all: Array.from({ length: 50 }, () => ({ field: 'city', op: 'gt', value: 1 })),
      })),
    });
    expect(capped.at(-1)).toMatchObject({ code: 'more_problems', params: { count: 2401 } });
    // Every documented code is reached by some tree above, and nothing outside the list is produced.
    const reached = new Set([
      ...cases.flatMap(([, codes]) => codes),
      'more_problems',
      'custom_field_uncomparable',
    ]);
    expect([...reached].sort()).toEqual([...SEGMENT_PROBLEM_CODES].sort());
    // Params are plain text and numbers: a translation can place them.
    expect(full({ field: 'custom.plan', op: 'eq', value: 'gold' })[0]!.params).toEqual({
      value: 'gold',
      allowed: 'basic, pro',
    });
    expect(full({ field: 'consent.sms', op: 'is', value: [1] })[0]).toMatchObject({
      code: 'single_value_required',
      params: { op: 'is' },
    });
  });

  it('wrong value types for every type, unknown labels, options and locations', () => {
    const messages = (tree: unknown) => check(tree).map((p) => `${p.path} ${p.message}`);
    expect(messages({ field: 'consent.sms', op: 'is', value: 'yes' })).toEqual([
      '/value must be true or false, not string',
    ]);
    expect(messages({ field: 'label', op: 'eq', value: 'vip-gold' })).toEqual([
      "/value unknown label 'vip-gold'; this field takes prospect, customer, affiliate",
    ]);
    expect(messages({ field: 'location_id', op: 'in', value: ['nope', LOCATION.toUpperCase()] })).toEqual([
      '/value/0 no such location in this workspace',
    ]);
    expect(messages({ field: 'custom.plan', op: 'eq', value: 'gold' })).toEqual([
      "/value unknown option 'gold'; this field takes basic, pro",
    ]);
    expect(messages({ field: 'custom.interests', op: 'has', value: 'golf' })).toEqual([
      "/value unknown option 'golf'; this field takes ski, surf",
    ]);
    expect(messages({ field: 'custom.interests', op: 'eq', value: 'ski' })).toEqual([
      "/op operator 'eq' is not valid for multi-select field 'custom.interests'",
    ]);
    expect(messages({ field: 'city', op: 'is_set', value: 'x' })).toEqual(["/value 'is_set' takes no value"]);
    expect(messages({ field: 'city', op: 'eq' })).toEqual(["/value is required for 'eq'"]);
    expect(messages({ field: 'city', op: 'eq', value: '' })).toEqual([
      '/value must not be empty (use is_set / is_not_set for empty values)',
    ]);
    expect(messages({ field: 'city', op: 'in', value: [] })).toEqual(['/value must not be an empty list']);
    expect(messages({ field: 'city', op: 'eq', value: ['a'] })).toEqual([
      "/value must be a single value for 'eq', not a list",
    ]);
    expect(messages({ field: 'city', op: 'frobnicate', value: 'a' })).toEqual([
      "/op unknown operator 'frobnicate'; text fields take eq, neq, contains, not_contains, starts_with, ends_with, in, not_in, is_set, is_not_set",
    ]);
    expect(messages({ field: 'risk_score', op: 'between', value: [80, 20] })).toEqual([
      '/value the first value must not be after the second',
    ]);
    expect(messages({ field: 'risk_score', op: 'between', value: [1] })).toEqual([
      "/value must be a list of two values [from, to] for 'between'",
    ]);
    expect(messages({ field: 'created_at', op: 'between', value: ['2025-02-01', '2025-01-01'] })).toEqual([
      '/value the first value must not be after the second',
    ]);
    expect(messages({ field: 'created_at', op: 'within_last_days', value: 1.5 })).toEqual([
      '/value must be a whole number of days from 0 to 36500',
    ]);
    expect(messages({ field: 'created_at', op: 'after', value: '2025-03-01T09:30:00' })).toEqual([
      '/value must be an ISO-8601 date (YYYY-MM-DD) or date-time with a zone (2025-03-01T09:30:00Z)',
    ]);
    expect(messages({ field: 'created_at', op: 'after', value: '2025-03-01T25:30:00Z' })).toHaveLength(1);
    expect(messages({ engagement: 'bounced', op: 'eq', channel: 'fax', campaign_id: 'x' })).toEqual([
      '/engagement must be one of sent, delivered, opened, clicked, failed',
      "/op operator 'eq' is not valid for an engagement condition; use has or has_not",
      '/campaign_id must be a campaign id',
      '/channel must be one of email, sms, whatsapp',
    ]);
    expect(
      messages({ event: 'booking', measure: 'count', op: 'gt', value: 1, location_id: 'x', properties: [] }),
    ).toEqual([
      '/location_id no such location in this workspace',
      '/properties must be an object of property names and values',
    ]);
    expect(
      messages({
        event: 'booking',
        measure: 'count',
        op: 'gt',
        value: 1,
        properties: { 'a b': 1, ok: { nested: true }, n: Number.NaN },
      }),
    ).toEqual([
      '/properties/a b a property name has 1 to 64 letters, digits, _, . or -',
      '/properties/ok must be text, a number or true/false, not an object',
      '/properties/n must be a finite number',
    ]);
  });

  it('unknown keys, nodes that are nothing or two things, escaped pointers', () => {
    expect(check({ all: [], any: [] })).toEqual([
      { path: '/', message: 'a node is one of all, any or not; this one has all and any' },
    ]);
    expect(check({ all: [{ field: 'city', op: 'is_set', extra: 1, 'a/b~c': 2 }] })).toEqual([
      { path: '/all/0/extra', message: "'extra' is not a known key here" },
      { path: '/all/0/a~1b~0c', message: "'a/b~c' is not a known key here" },
    ]);
    expect(check({ not: { field: 'city', op: 'is_set' }, note: 'x' })).toEqual([
      { path: '/note', message: "'note' is not allowed beside 'not'" },
    ]);
    for (const bad of [null, 1, 'x', [], true, {}, { hello: 1 }])
      expect(check(bad)[0]!.message, JSON.stringify(bad)).toMatch(/must be a group/);
    expect(check({ all: 'x' })).toEqual([
      { path: '/all', message: 'must be a list of conditions and groups' },
    ]);
  });

  it('limits: depth, number of conditions, children per group', () => {
    expect(check(nest(6))).toEqual([
      {
        path: '/not/not/not/not/not/not',
        message: 'too deep: a tree has at most 6 levels of groups and conditions',
      },
    ]);
    const conditions = (n: number) => Array.from({ length: n }, () => ({ field: 'city', op: 'is_set' }));
    expect(
      check({ all: [{ all: conditions(50) }, { all: conditions(50) }, { all: conditions(1) }] }),
    ).toEqual([{ path: '/', message: 'a tree has at most 100 conditions, this one has 101' }]);
    expect(check({ any: conditions(51) })).toEqual([
      { path: '/any', message: 'a group has at most 50 children, this one has 51' },
    ]);
  });
});

describe('validateDefinition on hostile input', () => {
  it('treats __proto__, constructor and prototype as unknown names, never as properties', () => {
    const parsed = JSON.parse(
      '{"all":[{"__proto__":{"field":"city"}},{"field":"__proto__","op":"eq","value":"x"},{"field":"constructor","op":"toString","value":1},{"field":"custom.__proto__","op":"eq","value":1},{"field":"custom.constructor","op":"eq","value":1},{"field":"city","op":"eq","value":"x","__proto__":{"op":"gt"}},{"event":"booking","measure":"count","op":"gt","value":1,"properties":{"__proto__":"x","constructor":1}}]}',
    );
    const messages = check(parsed).map((p) => `${p.path} ${p.message}`);
    expect(messages).toEqual([
      '/all/0 must be a group {"all": [...]} or {"any": [...]}, {"not": ...}, or a condition with "field", "event" or "engagement"',
      "/all/1/field unknown field '__proto__'",
      "/all/2/field unknown field 'constructor'",
      "/all/2/op unknown operator 'toString'",
      "/all/3/field unknown custom field '__proto__'",
      "/all/4/field unknown custom field 'constructor'",
      "/all/5/__proto__ '__proto__' is not a known key here",
      '/all/6/properties/__proto__ a property name has 1 to 64 letters, digits, _, . or -',
      '/all/6/properties/constructor a property name has 1 to 64 letters, digits, _, . or -',
    ]);
    expect(({} as Record<string, unknown>).field).toBeUndefined();
  });

  it('rejects 1e308, NaN-like strings, huge lists and long strings as errors', () => {
    const messages = (tree: unknown) => check(tree).map((p) => `${p.path} ${p.message}`);
    expect(messages({ field: 'lifetime_value', op: 'gt', value: 1e308 })).toEqual([
      '/value must be between -1000000000000000 and 1000000000000000',
    ]);
    expect(messages({ field: 'lifetime_value', op: 'gt', value: 'NaN' })).toEqual([
      '/value must be a number, not string',
    ]);
    expect(messages({ field: 'lifetime_value', op: 'between', value: ['Infinity', '-0'] })).toEqual([
      '/value/0 must be a number, not string',
      '/value/1 must be a number, not string',
    ]);
    expect(messages({ field: 'created_at', op: 'before', value: 'NaN-NaN-NaN' })).toHaveLength(1);
    expect(messages({ field: 'city', op: 'in', value: Array.from({ length: 100_000 }, () => 'x') })).toEqual([
      '/value at most 100 values',
    ]);
    expect(messages({ field: 'city', op: 'eq', value: 'x'.repeat(501) })).toEqual([
      '/value at most 500 characters',
    ]);
    const huge = { all: Array.from({ length: 100_000 }, () => ({ field: 'nope', op: 'eq', value: 1 })) };
    const problems = check(huge);
    expect(problems[0]).toEqual({
      path: '/all',
      message: 'a group has at most 50 children, this one has 100000',
    });
    expect(problems.length).toBeLessThanOrEqual(101);
  });

  it('walks 10,000 levels of nesting without recursion, in milliseconds, with one problem', () => {
    const deep = nest(10_000);
    const started = performance.now();
    const problems = check(deep);
    expect(performance.now() - started).toBeLessThan(50);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/too deep/);
    const wide = nest(10_000, { all: [{ any: [] }] });
    expect(check({ any: [deep, wide] })).toEqual([
      {
        path: '/any/0/not/not/not/not/not',
        message: 'too deep: a tree has at most 6 levels of groups and conditions',
      },
      {
        path: '/any/1/not/not/not/not/not',
        message: 'too deep: a tree has at most 6 levels of groups and conditions',
      },
    ]);
  });

  it('caps the list of problems and says how many more there were', () => {
    const many = {
      all: Array.from({ length: 50 }, () => ({
        all: Array.from({ length: 50 }, () => ({ field: 'city', op: 'gt', value: 1 })),
      })),
    };
    const problems = check(many);
    expect(problems).toHaveLength(101);
    expect(problems.at(-1)!.message).toMatch(/^and \d+ more problems$/);
  });
});
