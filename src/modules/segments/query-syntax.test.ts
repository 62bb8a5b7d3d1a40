import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type CustomFieldInfo,
  MAX_QUERY_LENGTH,
  type Node,
  type ParseResult,
  parseSegmentQuery,
  printSegmentQuery,
  QUERY_ERROR_CODES,
  simplifySegment,
} from './query-syntax.ts';
import { BAD_QUERIES } from './query-syntax-test-cases.ts';

const CUSTOM: CustomFieldInfo[] = [
  { key: 'size', type: 'select' },
  { key: 'notes', type: 'text' },
  { key: 'website', type: 'url' },
  { key: 'n', type: 'number' },
  { key: 'birthday', type: 'date' },
  { key: 'vip', type: 'boolean' },
  { key: 'colors', type: 'multi_select' },
  { key: 'city', type: 'text' }, // collides with the built-in: only custom.city reaches it
  { key: 'opened', type: 'boolean' }, // collides with an engagement keyword
];
const NOW = new Date('2025-05-15T12:00:00Z');
const options = { customFields: CUSTOM, now: NOW };

function parse(text: string): ParseResult {
  return parseSegmentQuery(text, options);
}

function tree(text: string): Node {
  const r = parse(text);
  if (!r.ok) throw new Error(`${text}: ${JSON.stringify(r.errors)}`);
  return r.definition;
}

function print(node: Node): string {
  const r = printSegmentQuery(node);
  if (!r.ok) throw new Error(`${JSON.stringify(node)}: ${r.reason}`);
  return r.text;
}

function errors(text: string) {
  const r = parse(text);
  if (r.ok) throw new Error(`${text} parsed: ${JSON.stringify(r.definition)}`);
  return r.errors;
}

const tag = (value: string) => ({ field: 'tags', op: 'has', value }) as const;
const label = (value: string) => ({ field: 'label', op: 'eq', value }) as const;

describe('the example of the brief', () => {
  const text =
    'tag:vip city:Madrid,Valencia ltv>500 booking.count(180d)>=3 consent:whatsapp -tag:blocked (label:prospect OR created<30d)';
  const expected = {
    all: [
      { field: 'tags', op: 'has', value: 'vip' },
      { field: 'city', op: 'in', value: ['Madrid', 'Valencia'] },
      { field: 'lifetime_value', op: 'gt', value: 500 },
      { event: 'booking', measure: 'count', op: 'gte', value: 3, within_days: 180 },
      { field: 'consent.whatsapp', op: 'is', value: true },
      { not: { field: 'tags', op: 'has', value: 'blocked' } },
      {
        any: [
          { field: 'label', op: 'eq', value: 'prospect' },
          { field: 'created_at', op: 'within_last_days', value: 30 },
        ],
      },
    ],
  };

  it('parses to the exact tree', () => {
    expect(parse(text)).toStrictEqual({ ok: true, definition: expected });
  });

  it('prints back to the same text', () => {
    expect(printSegmentQuery(expected as Node)).toEqual({ ok: true, text });
  });

  it('the contract example prints, and reads back', () => {
    const contract = {
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
    } as Node;
    const text = print(contract);
    expect(text).toBe(
      'city:Madrid,Valencia tag:vip (booking.count(180d)>=3 OR payment.sum(365d)>500) consent:whatsapp -contacted<14d',
    );
    expect(tree(text)).toStrictEqual(contract);
  });
});

/** [text, tree, canonical text when it differs] */
const FORMS: Array<[string, object, string?]> = [
  // text
  ['city:Madrid', { field: 'city', op: 'eq', value: 'Madrid' }],
  ['city=Madrid', { field: 'city', op: 'eq', value: 'Madrid' }, 'city:Madrid'],
  ['city!=Madrid', { field: 'city', op: 'neq', value: 'Madrid' }],
  ['city:Madrid,Valencia', { field: 'city', op: 'in', value: ['Madrid', 'Valencia'] }],
  ['city!=Madrid,Valencia', { field: 'city', op: 'not_in', value: ['Madrid', 'Valencia'] }],
  ['name:*garcía*', { field: 'name', op: 'contains', value: 'garcía' }],
  ['name!=*test*', { field: 'name', op: 'not_contains', value: 'test' }],
  ['phone:+34*', { field: 'phone', op: 'starts_with', value: '+34' }],
  ['email:*@gmail.com', { field: 'email', op: 'ends_with', value: '@gmail.com' }],
  ['has:email', { field: 'email', op: 'is_set' }],
  ['no:phone', { field: 'phone', op: 'is_not_set' }],
  ['HAS:Email', { field: 'email', op: 'is_set' }, 'has:email'],
  ['city:"San Sebastián"', { field: 'city', op: 'eq', value: 'San Sebastián' }],
  ['city:"Madrid, Spain",Valencia', { field: 'city', op: 'in', value: ['Madrid, Spain', 'Valencia'] }],
  ['name:"a*b"', { field: 'name', op: 'eq', value: 'a*b' }],
  ['name:*"Mary Ann"*', { field: 'name', op: 'contains', value: 'Mary Ann' }],
  ['name:"say \\"hi\\" \\\\ bye"', { field: 'name', op: 'eq', value: 'say "hi" \\ bye' }],
  ['name:"Madrid"', { field: 'name', op: 'eq', value: 'Madrid' }, 'name:Madrid'],
  ['City:Madrid', { field: 'city', op: 'eq', value: 'Madrid' }, 'city:Madrid'],
  ['name:José🎉', { field: 'name', op: 'eq', value: 'José🎉' }],
  [
    'first_name:Zoë last_name:Nuñez',
    {
      all: [
        { field: 'first_name', op: 'eq', value: 'Zoë' },
        { field: 'last_name', op: 'eq', value: 'Nuñez' },
      ],
    },
  ],
  ['external_id:a\\b', { field: 'external_id', op: 'eq', value: 'a\\b' }],
  // select
  ['label:prospect', label('prospect')],
  ['label!=customer', { field: 'label', op: 'neq', value: 'customer' }],
  ['label:prospect,customer', { field: 'label', op: 'in', value: ['prospect', 'customer'] }],
  ['label!=prospect,customer', { field: 'label', op: 'not_in', value: ['prospect', 'customer'] }],
  ['location:3f2a', { field: 'location_id', op: 'eq', value: '3f2a' }],
  ['location_id:3f2a', { field: 'location_id', op: 'eq', value: '3f2a' }, 'location:3f2a'],
  ['no:label', { field: 'label', op: 'is_not_set' }],
  // numbers
  ['ltv>500', { field: 'lifetime_value', op: 'gt', value: 500 }],
  ['ltv>=500', { field: 'lifetime_value', op: 'gte', value: 500 }],
  ['ltv<50', { field: 'lifetime_value', op: 'lt', value: 50 }],
  ['ltv<=50', { field: 'lifetime_value', op: 'lte', value: 50 }],
  ['ltv=100', { field: 'lifetime_value', op: 'eq', value: 100 }],
  ['ltv:100', { field: 'lifetime_value', op: 'eq', value: 100 }, 'ltv=100'],
  ['ltv!=100', { field: 'lifetime_value', op: 'neq', value: 100 }],
  ['ltv:100..500', { field: 'lifetime_value', op: 'between', value: [100, 500] }],
  ['ltv=100..500', { field: 'lifetime_value', op: 'between', value: [100, 500] }, 'ltv:100..500'],
  ['lifetime_value>1e3', { field: 'lifetime_value', op: 'gt', value: 1000 }, 'ltv>1000'],
  ['risk>=0.75', { field: 'risk_score', op: 'gte', value: 0.75 }],
  ['risk_score:-1.5..2', { field: 'risk_score', op: 'between', value: [-1.5, 2] }, 'risk:-1.5..2'],
  ['has:ltv', { field: 'lifetime_value', op: 'is_set' }],
  // dates
  ['created<30d', { field: 'created_at', op: 'within_last_days', value: 30 }],
  ['created>30d', { field: 'created_at', op: 'more_than_days_ago', value: 30 }],
  ['created<2w', { field: 'created_at', op: 'within_last_days', value: 14 }, 'created<14d'],
  ['created<3m', { field: 'created_at', op: 'within_last_days', value: 89 }, 'created<89d'],
  ['created>1y', { field: 'created_at', op: 'more_than_days_ago', value: 365 }, 'created>365d'],
  ['created>2025-01-01', { field: 'created_at', op: 'after', value: '2025-01-01' }],
  ['created<2025-01-01', { field: 'created_at', op: 'before', value: '2025-01-01' }],
  [
    'created:2025-01-01..2025-03-31',
    { field: 'created_at', op: 'between', value: ['2025-01-01', '2025-03-31'] },
  ],
  ['created:2025-01-01', { field: 'created_at', op: 'between', value: ['2025-01-01', '2025-01-01'] }],
  [
    'created:2025-01-01..2025-01-01',
    { field: 'created_at', op: 'between', value: ['2025-01-01', '2025-01-01'] },
    'created:2025-01-01',
  ],
  ['created>2025-03-31T10:00:00Z', { field: 'created_at', op: 'after', value: '2025-03-31T10:00:00Z' }],
  [
    'created:2025-03-31T10:00+02:00..2025-04-01T00:00:00.5Z',
    { field: 'created_at', op: 'between', value: ['2025-03-31T10:00+02:00', '2025-04-01T00:00:00.5Z'] },
  ],
  ['active<7d', { field: 'last_activity_at', op: 'within_last_days', value: 7 }],
  ['last_activity>90d', { field: 'last_activity_at', op: 'more_than_days_ago', value: 90 }, 'active>90d'],
  ['last_activity_at>90d', { field: 'last_activity_at', op: 'more_than_days_ago', value: 90 }, 'active>90d'],
  ['contacted<14d', { field: 'last_contacted_at', op: 'within_last_days', value: 14 }],
  ['no:contacted', { field: 'last_contacted_at', op: 'is_not_set' }],
  // tags
  ['tag:vip', tag('vip')],
  ['tags:vip', tag('vip'), 'tag:vip'],
  ['tag!=vip', { field: 'tags', op: 'has_not', value: 'vip' }],
  ['tag:vip,gold', { field: 'tags', op: 'has_any', value: ['vip', 'gold'] }],
  ['tag:vip+gold', { field: 'tags', op: 'has_all', value: ['vip', 'gold'] }],
  ['tag!=vip,gold', { field: 'tags', op: 'has_none', value: ['vip', 'gold'] }],
  ['tag:"c++",rust', { field: 'tags', op: 'has_any', value: ['c++', 'rust'] }],
  ['tag:"new customer"', tag('new customer')],
  // consent
  ['consent:whatsapp', { field: 'consent.whatsapp', op: 'is', value: true }],
  ['consent:EMAIL', { field: 'consent.email', op: 'is', value: true }, 'consent:email'],
  ['consent.sms:true', { field: 'consent.sms', op: 'is', value: true }, 'consent:sms'],
  ['consent.push:false', { field: 'consent.push', op: 'is', value: false }],
  ['-consent:whatsapp', { not: { field: 'consent.whatsapp', op: 'is', value: true } }],
  // events
  ['booking.count>0', { event: 'booking', measure: 'count', op: 'gt', value: 0 }],
  ['booking.count(180d)>=3', { event: 'booking', measure: 'count', op: 'gte', value: 3, within_days: 180 }],
  ['payment.sum(365d)>500', { event: 'payment', measure: 'sum', op: 'gt', value: 500, within_days: 365 }],
  [
    'payment.sum(1y)>500',
    { event: 'payment', measure: 'sum', op: 'gt', value: 500, within_days: 365 },
    'payment.sum(365d)>500',
  ],
  ['booking.count=2', { event: 'booking', measure: 'count', op: 'eq', value: 2 }],
  ['booking.count:2', { event: 'booking', measure: 'count', op: 'eq', value: 2 }, 'booking.count=2'],
  ['booking.count!=2', { event: 'booking', measure: 'count', op: 'neq', value: 2 }],
  ['booking.count<2', { event: 'booking', measure: 'count', op: 'lt', value: 2 }],
  ['booking.count<=2', { event: 'booking', measure: 'count', op: 'lte', value: 2 }],
  [
    'rental.count(90d,@loc-1,category:kayak)>=1',
    {
      event: 'rental',
      measure: 'count',
      op: 'gte',
      value: 1,
      within_days: 90,
      location_id: 'loc-1',
      properties: { category: 'kayak' },
    },
  ],
  [
    'rental.count(category:kayak, 90d, @loc-1)>=1',
    {
      event: 'rental',
      measure: 'count',
      op: 'gte',
      value: 1,
      within_days: 90,
      location_id: 'loc-1',
      properties: { category: 'kayak' },
    },
    'rental.count(90d,@loc-1,category:kayak)>=1',
  ],
  [
    'visit.count(seats:2,paid:true,code:"42",note:"big kayak",flag:"true")>0',
    {
      event: 'visit',
      measure: 'count',
      op: 'gt',
      value: 0,
      properties: { seats: 2, paid: true, code: '42', note: 'big kayak', flag: 'true' },
    },
  ],
  ['Booking.Count>0', { event: 'booking', measure: 'count', op: 'gt', value: 0 }, 'booking.count>0'],
  // engagement
  ['opened', { engagement: 'opened', op: 'has' }],
  ['opened(30d)', { engagement: 'opened', op: 'has', within_days: 30 }],
  ['clicked(7d,whatsapp)', { engagement: 'clicked', op: 'has', within_days: 7, channel: 'whatsapp' }],
  [
    'delivered(email,campaign:c-42)',
    { engagement: 'delivered', op: 'has', channel: 'email', campaign_id: 'c-42' },
  ],
  ['no:delivered(7d)', { engagement: 'delivered', op: 'has_not', within_days: 7 }],
  ['-delivered(7d)', { not: { engagement: 'delivered', op: 'has', within_days: 7 } }],
  ['has:opened(30d)', { engagement: 'opened', op: 'has', within_days: 30 }, 'opened(30d)'],
  [
    'failed(SMS, 2w)',
    { engagement: 'failed', op: 'has', within_days: 14, channel: 'sms' },
    'failed(14d,sms)',
  ],
  ['sent', { engagement: 'sent', op: 'has' }],
  // custom fields
  ['size:M', { field: 'custom.size', op: 'eq', value: 'M' }, 'custom.size:M'],
  ['custom.size:M,L', { field: 'custom.size', op: 'in', value: ['M', 'L'] }],
  ['custom.notes:*allergy*', { field: 'custom.notes', op: 'contains', value: 'allergy' }],
  ['website:*.es', { field: 'custom.website', op: 'ends_with', value: '.es' }, 'custom.website:*.es'],
  ['custom.n>=3', { field: 'custom.n', op: 'gte', value: 3 }],
  ['n:1..2', { field: 'custom.n', op: 'between', value: [1, 2] }, 'custom.n:1..2'],
  ['custom.birthday<2000-01-01', { field: 'custom.birthday', op: 'before', value: '2000-01-01' }],
  ['custom.birthday<30d', { field: 'custom.birthday', op: 'within_last_days', value: 30 }],
  ['custom.vip:true', { field: 'custom.vip', op: 'is', value: true }],
  ['vip:FALSE', { field: 'custom.vip', op: 'is', value: false }, 'custom.vip:false'],
  ['custom.colors:red', { field: 'custom.colors', op: 'has', value: 'red' }],
  [
    'colors:red+blue',
    { field: 'custom.colors', op: 'has_all', value: ['red', 'blue'] },
    'custom.colors:red+blue',
  ],
  ['custom.colors!=red,blue', { field: 'custom.colors', op: 'has_none', value: ['red', 'blue'] }],
  [
    'custom.city:x city:y',
    {
      all: [
        { field: 'custom.city', op: 'eq', value: 'x' },
        { field: 'city', op: 'eq', value: 'y' },
      ],
    },
  ],
  [
    'custom.opened:true opened',
    {
      all: [
        { field: 'custom.opened', op: 'is', value: true },
        { engagement: 'opened', op: 'has' },
      ],
    },
  ],
  ['has:custom.birthday', { field: 'custom.birthday', op: 'is_set' }],
  ['no:size', { field: 'custom.size', op: 'is_not_set' }, 'no:custom.size'],
  // the empty query
  ['', { all: [] }],
  ['   ', { all: [] }, ''],
];

describe('operator forms', () => {
  it.each(FORMS)('%s', (text, expected, canonical) => {
    const definition = tree(text);
    expect(definition).toStrictEqual(expected);
    expect(print(definition)).toBe(canonical ?? text);
    expect(tree(print(definition))).toStrictEqual(expected);
  });
});

describe('precedence and grouping', () => {
  const a = tag('a');
  const b = tag('b');
  const c = tag('c');
  const d = tag('d');
  it.each<[string, object, string?]>([
    ['tag:a tag:b OR tag:c', { any: [{ all: [a, b] }, c] }],
    ['tag:a OR tag:b tag:c', { any: [a, { all: [b, c] }] }],
    ['tag:a tag:b or tag:c tag:d', { any: [{ all: [a, b] }, { all: [c, d] }] }, 'tag:a tag:b OR tag:c tag:d'],
    ['tag:a (tag:b OR tag:c)', { all: [a, { any: [b, c] }] }],
    ['tag:a OR tag:b OR tag:c', { any: [a, b, c] }],
    ['(tag:a OR tag:b) OR tag:c', { any: [{ any: [a, b] }, c] }],
    ['tag:a tag:b tag:c', { all: [a, b, c] }],
    ['(tag:a tag:b) tag:c', { all: [{ all: [a, b] }, c] }],
    ['(tag:a tag:b) OR tag:c', { any: [{ all: [a, b] }, c] }, 'tag:a tag:b OR tag:c'],
    ['tag:a AND tag:b', { all: [a, b] }, 'tag:a tag:b'],
    ['tag:a and tag:b OR tag:c', { any: [{ all: [a, b] }, c] }, 'tag:a tag:b OR tag:c'],
    ['((tag:a))', a, 'tag:a'],
    ['(tag:a)(tag:b OR tag:c)', { all: [a, { any: [b, c] }] }, 'tag:a (tag:b OR tag:c)'],
    ['tag:a(tag:b OR tag:c)', { all: [a, { any: [b, c] }] }, 'tag:a (tag:b OR tag:c)'],
    ['  tag:a\t\ttag:b  OR\ntag:c ', { any: [{ all: [a, b] }, c] }, 'tag:a tag:b OR tag:c'],
    ['tag:a OR(tag:b tag:c)', { any: [a, { all: [b, c] }] }, 'tag:a OR tag:b tag:c'],
  ])('%s', (text, expected, canonical) => {
    expect(tree(text)).toStrictEqual(expected);
    expect(print(tree(text))).toBe(canonical ?? text);
  });
});

describe('negation', () => {
  const a = tag('a');
  const b = tag('b');
  it.each<[string, object, string?]>([
    ['-tag:a', { not: a }],
    ['NOT tag:a', { not: a }, '-tag:a'],
    ['not tag:a', { not: a }, '-tag:a'],
    ['-(tag:a OR tag:b)', { not: { any: [a, b] } }],
    ['NOT (tag:a OR tag:b)', { not: { any: [a, b] } }, '-(tag:a OR tag:b)'],
    ['NOT(tag:a tag:b)', { not: { all: [a, b] } }, '-(tag:a tag:b)'],
    ['--tag:a', { not: { not: a } }],
    ['NOT NOT tag:a', { not: { not: a } }, '--tag:a'],
    ['-tag:a tag:b', { all: [{ not: a }, b] }],
    ['-no:email', { not: { field: 'email', op: 'is_not_set' } }],
    ['-(tag:a)', { not: a }, '-tag:a'],
    ['tag:a -tag:b OR -tag:a', { any: [{ all: [a, { not: b }] }, { not: a }] }],
  ])('%s', (text, expected, canonical) => {
    expect(tree(text)).toStrictEqual(expected);
    expect(print(tree(text))).toBe(canonical ?? text);
  });

  it('negative operators and NOT are different trees with the same meaning', () => {
    expect(tree('tag!=vip')).toStrictEqual({ field: 'tags', op: 'has_not', value: 'vip' });
    expect(tree('-tag:vip')).toStrictEqual({ not: { field: 'tags', op: 'has', value: 'vip' } });
    expect(tree('no:opened(30d)')).toStrictEqual({ engagement: 'opened', op: 'has_not', within_days: 30 });
    expect(tree('-opened(30d)')).toStrictEqual({ not: { engagement: 'opened', op: 'has', within_days: 30 } });
  });
});

describe('errors', () => {
  it.each<[string, Array<[number, number, RegExp]>]>([
    ['citi:Madrid', [[1, 4, /unknown field 'citi'; did you mean 'city'\?/]]],
    ['tag:vip lifetime:5', [[9, 8, /unknown field 'lifetime'/]]],
    ['tag:vip custom.sise:M', [[9, 11, /unknown custom field 'sise'; did you mean 'custom.size'\?/]]],
    ['opend(30d) tag:x', [[1, 5, /unknown condition 'opend'; did you mean 'opened'\?/]]],
    ['tag:vip (label:x', [[9, 1, /unclosed '\('/]]],
    ['tag:vip label:x)', [[16, 1, /unmatched '\)'/]]],
    ['tag:vip OR', [[9, 2, /OR needs a term after it/]]],
    ['OR tag:vip', [[1, 2, /OR needs a term before it/]]],
    ['tag:a OR OR tag:b', [[7, 2, /OR needs a term after it/]]],
    ['tag:a AND', [[7, 3, /AND needs a term after it/]]],
    ['NOT', [[1, 3, /NOT needs a term after it/]]],
    ['- tag:a', [[1, 1, /right before a term/]]],
    ['()', [[1, 2, /empty parentheses/]]],
    ['ltv>5x', [[5, 2, /'5x' is not a number/]]],
    ['ltv>1,5', [[5, 3, /use a dot for decimals/]]],
    ['ltv:500..100', [[5, 8, /reversed: write ltv:100..500/]]],
    ['ltv:1,2', [[5, 3, /use a dot for decimals|not a number/]]],
    ['ltv>"5"', [[5, 3, /without quotes/]]],
    ['created>2025-13-01', [[9, 10, /not a valid date/]]],
    ['created>2025-02-29', [[9, 10, /not a valid date/]]],
    ['created<0d', [[9, 2, /between 1 and 3650 days/]]],
    ['created<3651d', [[9, 5, /between 1 and 3650 days/]]],
    ['created>=30d', [[8, 2, /dates compare strictly/]]],
    ['created:30d', [[9, 3, /created<30d .*created>30d/]]],
    ['created!=2025-01-01', [[8, 2, /-created:2025-01-01/]]],
    ['created:2025-03-01..2025-01-01', [[9, 22, /reversed/]]],
    ['city>5', [[5, 1, /compares numbers and dates/]]],
    ['city:', [[1, 5, /missing value after 'city:'.*has:city/]]],
    ['city: Madrid', [[1, 12, /remove the space after 'city:'/]]],
    ['ltv > 500', [[1, 9, /remove the spaces: write ltv>500/]]],
    ['booking.count >= 3', [[1, 18, /remove the spaces: write booking.count>=3/]]],
    ['booking.count', [[1, 13, /needs a comparison/]]],
    ['booking.count(0d)>1', [[15, 2, /between 1 and 3650/]]],
    ['booking.count(9999d)>1', [[15, 5, /between 1 and 3650/]]],
    ['booking.count(30d,30d)>1', [[19, 3, /given twice/]]],
    ['booking.count(email)>1', [[15, 5, /unknown argument 'email'/]]],
    ['booking.count(180d>=3', [[14, 1, /unclosed '\(' after booking.count/]]],
    ['opened(@loc)', [[8, 4, /@location is for events only/]]],
    ['opened(emial)', [[8, 5, /did you mean 'email'/]]],
    ['opened()', [[7, 2, /empty parentheses/]]],
    ['opened>3', [[1, 8, /'opened' is an engagement condition/]]],
    ['city:Ma*rid', [[8, 1, /only goes at the start or end/]]],
    ['city:*', [[6, 1, /has:city/]]],
    ['city:""', [[6, 2, /no:city/]]],
    ['city:a,,b', [[8, 1, /empty value before ','/]]],
    ['city:a,', [[7, 1, /cannot end with a separator/]]],
    ['city:a*,b', [[7, 1, /can't be used in a list/]]],
    ['city!=Ma*', [[5, 2, /-city:Ma\*/]]],
    ['label:pro*', [[7, 4, /select field: wildcards/]]],
    ['tag:vip*', [[8, 1, /does not support wildcards/]]],
    ['tag:a,b+c', [[8, 1, /can't mix/]]],
    ['tag!=a+b', [[4, 2, /-tag:a\+b/]]],
    ['no:tag', [[1, 6, /tag has no "no:" form/]]],
    ['has:', [[1, 4, /has: needs a field name/]]],
    ['has:emial', [[5, 5, /did you mean 'email'/]]],
    ['consent:whatsap', [[9, 7, /did you mean 'whatsapp'/]]],
    ['consent:email,sms', [[9, 9, /one channel per term/]]],
    ['consent.sms:yes', [[13, 3, /true or false/]]],
    ['consent.sms!=true', [[12, 2, /yes\/no field/]]],
    ['name:"Ana', [[6, 4, /unterminated quote/]]],
    ['"Ana María"', [[1, 11, /quoted value must follow a field/]]],
    ['Madrid', [[1, 6, /'Madrid' is not a condition/]]],
    ['email', [[1, 5, /'email' needs an operator and a value/]]],
    ['custom:x', [[1, 6, /custom fields are written custom.<key>/]]],
    ['x:1', [[1, 1, /unknown field 'x'$/]]],
  ])('%s', (text, expected) => {
    const found = errors(text);
    expect(found.map((e) => [e.column, e.length])).toEqual(expected.map(([c, l]) => [c, l]));
    found.forEach((e, i) => {
      expect(e.message).toMatch(expected[i]![2]);
    });
  });

  it('reports every error it can recover from, in column order', () => {
    const found = errors('ltv>abc citi:x (tag:a OR) created>2025-99-99 tag:ok');
    expect(found.map((e) => [e.column, e.length])).toEqual([
      [5, 3],
      [9, 4],
      [23, 2],
      [35, 10],
    ]);
    expect(found.map((e) => e.message)).toEqual([
      "'abc' is not a number",
      "unknown field 'citi'; did you mean 'city'?",
      'OR needs a term after it',
      expect.stringMatching(/not a valid date/),
    ]);
  });

  it('counts columns in UTF-16 code units (as JS strings and inputs do)', () => {
    const text = 'name:🎉 citi:x';
    const [e] = errors(text);
    expect(e!.column).toBe(9);
    expect(text.slice(e!.column - 1, e!.column - 1 + e!.length)).toBe('citi');
  });

  it('an unknown bare word that is a custom key colliding with a built-in is the built-in', () => {
    expect(tree('city:x')).toStrictEqual({ field: 'city', op: 'eq', value: 'x' });
  });

  it('stops after 20 errors', () => {
    expect(errors('zz:1 '.repeat(500))).toHaveLength(20);
  });
});

describe('error codes', () => {
  it('every bad query gives its code, and every code is given by some query', () => {
    const known = new Set<string>(QUERY_ERROR_CODES);
    const produced = new Set<string>();
    for (const [text, code] of BAD_QUERIES) {
      const found = errors(text);
      for (const e of found) {
        expect(known.has(e.code), `${text.slice(0, 60)}: ${e.code}`).toBe(true);
        produced.add(e.code);
      }
      expect([...new Set(found.map((e) => e.code))], text.slice(0, 60)).toEqual([code]);
    }
    const notText = parseSegmentQuery(42 as unknown as string, options);
    expect(notText.ok ? [] : notText.errors.map((e) => e.code)).toEqual(['not_text']);
    produced.add('not_text');
    expect([...produced].sort()).toEqual([...QUERY_ERROR_CODES].sort());
  });

  it('params hold what the message interpolates; "did you mean" is its own optional param', () => {
    const [unknown] = errors('citi:Madrid');
    expect(unknown).toMatchObject({
      code: 'unknown_field',
      message: "unknown field 'citi'; did you mean 'city'?",
      params: { name: 'citi', suggestion: 'city' },
    });
    const [noGuess] = errors('x:1');
    expect(noGuess).toMatchObject({
      code: 'unknown_field',
      message: "unknown field 'x'",
      params: { name: 'x' },
    });
    expect(noGuess!.params).not.toHaveProperty('suggestion');
    expect(errors('ltv:500..100')[0]).toMatchObject({
      code: 'range_reversed',
      message: 'the range is reversed: write ltv:100..500',
      params: { fix: 'ltv:100..500' },
    });
    expect(errors('created<3651d')[0]).toMatchObject({
      code: 'duration_out_of_range',
      params: { text: '3651d', min: 1, max: 3650 },
    });
    expect(errors('tag:vip custom.sise:M')[0]!.params).toEqual({ key: 'sise', suggestion: 'custom.size' });
    // Params are plain text and numbers: a translation can place them.
    for (const [text] of BAD_QUERIES)
      for (const e of errors(text))
        for (const value of Object.values(e.params ?? {}))
          expect(['string', 'number'], `${e.code} ${value}`).toContain(typeof value);
  });
});

describe('limits of the contract', () => {
  it('depth 6 is accepted, 7 is an error at the offending term', () => {
    const six = 'tag:a (tag:b OR (tag:c (tag:d OR -tag:e)))';
    expect(parse(six).ok).toBe(true);
    const seven = 'tag:a (tag:b OR (tag:c (tag:d OR (tag:e -tag:f))))';
    const [e] = errors(seven);
    expect(e!.message).toMatch(/at most 6 levels/);
    // all → any → all → any → all → not → tag:f: the condition at level 7.
    expect(seven.slice(e!.column - 1, e!.column - 1 + e!.length)).toBe('tag:f');
  });

  it('100 conditions are accepted, 101 are an error at the 101st', () => {
    const group = (from: number) =>
      `(${Array.from({ length: 50 }, (_, i) => `external_id:${from + i}`).join(' ')})`;
    expect(parse(`${group(0)} ${group(50)}`).ok).toBe(true);
    const text = `${group(0)} ${group(50)} tag:extra`;
    const [e] = errors(text);
    expect(e!.message).toMatch(/at most 100/);
    expect(text.slice(e!.column - 1, e!.column - 1 + e!.length)).toBe('tag:extra');
  });

  it('more than 50 terms in one group is an error', () => {
    const text = Array.from({ length: 51 }, (_, i) => `tag:t${i}`).join(' ');
    const [e] = errors(text);
    expect(e!.message).toMatch(/more than 50 terms/);
    expect(text.slice(e!.column - 1, e!.column - 1 + e!.length)).toBe('tag:t50');
  });

  it('six negations in a row cannot fit in six levels', () => {
    expect(parse('-----tag:a').ok).toBe(true);
    expect(errors('------tag:a')[0]!.message).toMatch(/too many negations/);
  });
});

describe('hostile input', () => {
  it('10,000 nested parentheses give an error quickly', () => {
    const started = performance.now();
    const balanced = errors(`${'('.repeat(9_990)}tag:a${')'.repeat(9_990)}`);
    const tooLong = errors(`${'('.repeat(10_000)}tag:a${')'.repeat(10_000)}`);
    const open = errors(`${'('.repeat(10_000)}tag:a`);
    const closed = errors(')'.repeat(10_000));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(balanced).toEqual([
      {
        column: 17,
        length: 1,
        code: 'parentheses_too_deep',
        message: expect.stringMatching(/nested too deeply/),
        params: { max: 16 },
      },
    ]);
    expect(tooLong[0]!.message).toMatch(/too long/);
    expect(open[0]!.message).toMatch(/nested too deeply/);
    expect(closed[0]!.message).toMatch(/unmatched/);
    expect(closed.length).toBeLessThanOrEqual(20);
  });

  it('a 1 MB string is rejected at once', () => {
    const started = performance.now();
    const [e] = errors('tag:a '.repeat(200_000));
    expect(performance.now() - started).toBeLessThan(100);
    expect(e).toEqual({
      column: MAX_QUERY_LENGTH + 1,
      length: 1_200_000 - MAX_QUERY_LENGTH,
      code: 'query_too_long',
      message: expect.any(String),
      params: { length: 1_200_000, max: MAX_QUERY_LENGTH },
    });
  });

  it('stays fast near the length limit', () => {
    const inputs = [
      '-'.repeat(MAX_QUERY_LENGTH - 10),
      `${'a'.repeat(MAX_QUERY_LENGTH - 2)}:1`,
      `name:"${'x'.repeat(MAX_QUERY_LENGTH - 20)}`,
      `city:${'a,'.repeat((MAX_QUERY_LENGTH - 10) / 2)}b`,
      'zzzzzzzz:1 '.repeat(MAX_QUERY_LENGTH / 11),
      `booking.count(${'k:v,'.repeat(MAX_QUERY_LENGTH / 5)}`,
    ];
    const started = performance.now();
    for (const input of inputs) parseSegmentQuery(input, options);
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it('is not fooled by prototype keys', () => {
    expect(errors('visit.count(__proto__:1)>0')[0]!.message).toMatch(/cannot be a property name/);
    const t = tree('visit.count(constructor:1)>0') as { properties: Record<string, unknown> };
    expect(Object.getPrototypeOf(t.properties)).toBe(Object.prototype);
    expect(t.properties.constructor).toBe(1);
  });

  it('ignores a non-array customFields and an invalid now', () => {
    const r = parseSegmentQuery('created<3m tag:a', {
      customFields: null as unknown as CustomFieldInfo[],
      now: new Date(Number.NaN),
    });
    expect(r.ok).toBe(true);
  });
});

describe('printing', () => {
  it.each<[string, unknown, RegExp, string]>([
    ['a one-child group', { all: [tag('a')] }, /group with one child/, ''],
    ['a nested one-child group', { all: [tag('a'), { any: [tag('b')] }] }, /group with one child/, '/all/1'],
    ['a one-value list', { field: 'city', op: 'in', value: ['Madrid'] }, /one value.*'eq'/, ''],
    ['a nested empty all', { all: [tag('a'), { all: [] }] }, /only as the whole segment/, '/all/1'],
    ['an empty any', { any: [] }, /invalid/, ''],
    [
      'an unknown field',
      { all: [tag('a'), { field: 'nope', op: 'eq', value: 'x' }] },
      /unknown field 'nope'/,
      '/all/1',
    ],
    ['a wrong operator', { field: 'email', op: 'gt', value: 'x' }, /'gt' is not valid for a text field/, ''],
    ['a wrong value type', { field: 'city', op: 'eq', value: 5 }, /must be a string/, ''],
    ['an empty string', { field: 'city', op: 'eq', value: '' }, /empty value/, ''],
    ['a reversed range', { field: 'risk_score', op: 'between', value: [5, 1] }, /reversed/, ''],
    ['a bad date', { field: 'created_at', op: 'after', value: 'yesterday' }, /not a valid date/, ''],
    ['a long period', { field: 'created_at', op: 'within_last_days', value: 5000 }, /between 1 and 3650/, ''],
    ['a fractional period', { engagement: 'opened', op: 'has', within_days: 1.5 }, /not valid/, ''],
    [
      'an infinite number',
      { field: 'lifetime_value', op: 'gt', value: Number.POSITIVE_INFINITY },
      /finite/,
      '',
    ],
    ['an extra key', { field: 'city', op: 'eq', value: 'x', extra: 1 }, /no exact text form/, ''],
    ['an event type named custom', { event: 'custom', measure: 'count', op: 'gt', value: 0 }, /custom/, ''],
    ['an uppercase event type', { event: 'Booking', measure: 'count', op: 'gt', value: 0 }, /event type/, ''],
    [
      'empty properties',
      { event: 'booking', measure: 'count', op: 'gt', value: 0, properties: {} },
      /empty/,
      '',
    ],
    [
      'a custom field used with two types',
      {
        all: [
          { field: 'custom.x', op: 'gt', value: 1 },
          { field: 'custom.x', op: 'contains', value: 'a' },
        ],
      },
      /used as a text field here and as a number field at \/all\/0/,
      '/all/1',
    ],
    [
      'too deep',
      { not: { not: { not: { not: { not: { not: tag('a') } } } } } },
      /deeper than 6/,
      '/not/not/not/not/not/not',
    ],
    ['not a node', { all: [tag('a'), 'x'] }, /not a segment node/, '/all/1'],
    ['both all and any', { all: [], any: [] }, /only the 'all' key/, ''],
  ])('refuses %s, naming the node', (_, node, reason, path) => {
    const r = printSegmentQuery(node as Node);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toMatch(reason);
    expect(r.path).toBe(path);
    expect(r.reason.startsWith(path || '(root)')).toBe(true);
  });

  it('refuses more than 100 conditions', () => {
    const many = (n: number) => ({ all: Array.from({ length: n }, (_, i) => tag(`t${i}`)) });
    const r = printSegmentQuery({ all: [many(50), many(50), tag('x')] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/more than 100 conditions/);
  });

  it('refuses a tree 100,000 levels deep without overflowing the stack', () => {
    let node: Node = tag('a');
    for (let i = 0; i < 100_000; i++) node = { not: node };
    expect(printSegmentQuery(node).ok).toBe(false);
    expect(simplifySegment(node)).toBeDefined();
  });

  it('simplifySegment rewrites what has no text form into equivalent trees that print', () => {
    const original = {
      all: [
        { any: [{ field: 'city', op: 'in', value: ['Madrid'] }] },
        { all: [] },
        { field: 'tags', op: 'has_any', value: ['vip'] },
        { field: 'tags', op: 'has_none', value: ['x'] },
      ],
    } as Node;
    const simple = simplifySegment(original);
    expect(simple).toStrictEqual({
      all: [
        { field: 'city', op: 'eq', value: 'Madrid' },
        { field: 'tags', op: 'has', value: 'vip' },
        { field: 'tags', op: 'has_not', value: 'x' },
      ],
    });
    expect(print(simple)).toBe('city:Madrid tag:vip tag!=x');
    expect(simplifySegment({ all: [tag('a')] })).toStrictEqual(tag('a'));
    expect(simplifySegment({ any: [tag('a'), { all: [] }] })).toStrictEqual({ all: [] });
  });

  it('writes quotes only where needed and escapes them', () => {
    const cases: Array<[string, string]> = [
      ['plain', 'plain'],
      ['two words', '"two words"'],
      ['a,b', '"a,b"'],
      ['*star', '"*star"'],
      ['(x)', '"(x)"'],
      ['say "hi"', '"say \\"hi\\""'],
      ['tab\there', '"tab\there"'],
      ['nbsp\u00a0here', '"nbsp\u00a0here"'],
      ['+34 600', '"+34 600"'],
      ['+34600', '+34600'],
      ['OR', 'OR'],
      ['-x', '-x'],
      ['ünïcødé🎉', 'ünïcødé🎉'],
    ];
    for (const [value, printed] of cases) {
      const node = { field: 'name', op: 'eq', value } as Node;
      expect(print(node)).toBe(`name:${printed}`);
      expect(tree(print(node))).toStrictEqual(node);
    }
    expect(print({ field: 'tags', op: 'has', value: 'a+b' })).toBe('tag:"a+b"');
  });

  it('writes numbers so that they read back exactly', () => {
    for (const value of [0, -0, 1e21, -1.5e-7, 0.1 + 0.2, Number.MAX_SAFE_INTEGER, 123456.789]) {
      const node = { field: 'lifetime_value', op: 'gt', value } as Node;
      const back = tree(print(node)) as { value: number };
      expect(Object.is(back.value, value)).toBe(true);
    }
  });
});

// ─────────────── Round trip over generated trees ───────────────

/** Deterministic PRNG (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof rng>;

const STRINGS = [
  'Madrid',
  'São Paulo',
  'a,b',
  'x*y',
  '*',
  'say "hi"',
  'back\\slash',
  'emoji 🎉',
  '🎉',
  'OR',
  'not',
  '-neg',
  '(paren)',
  'tab\tin',
  '+34 600',
  '+34600',
  'über',
  'a+b',
  '..',
  'true',
  '123',
  ' lead',
  '日本語',
  'has:email',
  'x:y',
  '@home',
  'ltv>5',
];
const NUMBERS = [0, 1, 3, -5, 2.5, 500, 1e21, 1e-7, 123456.789, -0.001];
const DATES = ['2025-01-01', '2024-02-29', '2030-12-31', '1999-07-04'];
const DATE_TIMES = [
  '2025-03-31T10:00:00Z',
  '2025-03-31T10:00:00.123+02:00',
  '2025-06-01t08:30',
  '2025-01-01T00:00-0530',
];
const TEXT_FIELDS = [
  'first_name',
  'name',
  'email',
  'phone',
  'city',
  'external_id',
  'custom.notes',
  'custom.city',
];
const SELECT_FIELDS = ['label', 'location_id', 'custom.size'];
const NUMBER_FIELDS = ['lifetime_value', 'risk_score', 'custom.n'];
const DATE_FIELDS = ['created_at', 'last_activity_at', 'last_contacted_at', 'custom.birthday'];
const TAG_FIELDS = ['tags', 'custom.colors'];
const BOOLEAN_FIELDS = [
  'consent.email',
  'consent.sms',
  'consent.whatsapp',
  'consent.push',
  'custom.vip',
  'custom.opened',
];

function strings(r: Rng, n: number): string[] {
  return Array.from({ length: n }, () => r.pick(STRINGS));
}

function genCondition(r: Rng): Node {
  const kind = r.int(0, 7);
  if (kind === 0) {
    const field = r.pick(TEXT_FIELDS);
    const op = r.pick([
      'eq',
      'neq',
      'contains',
      'not_contains',
      'starts_with',
      'ends_with',
      'in',
      'not_in',
      'is_set',
      'is_not_set',
    ]);
    if (op === 'is_set' || op === 'is_not_set') return { field, op } as Node;
    return {
      field,
      op,
      value: op === 'in' || op === 'not_in' ? strings(r, r.int(2, 4)) : r.pick(STRINGS),
    } as Node;
  }
  if (kind === 1) {
    const field = r.pick(SELECT_FIELDS);
    const op = r.pick(['eq', 'neq', 'in', 'not_in', 'is_set', 'is_not_set']);
    if (op === 'is_set' || op === 'is_not_set') return { field, op } as Node;
    return {
      field,
      op,
      value: op === 'in' || op === 'not_in' ? strings(r, r.int(2, 3)) : r.pick(STRINGS),
    } as Node;
  }
  if (kind === 2) {
    const field = r.pick(NUMBER_FIELDS);
    const op = r.pick(['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'between', 'is_set', 'is_not_set']);
    if (op === 'is_set' || op === 'is_not_set') return { field, op } as Node;
    if (op === 'between') {
      const a = r.pick(NUMBERS);
      const b = r.pick(NUMBERS);
      return { field, op, value: [Math.min(a, b), Math.max(a, b)] } as Node;
    }
    return { field, op, value: r.pick(NUMBERS) } as Node;
  }
  if (kind === 3) {
    const field = r.pick(DATE_FIELDS);
    const op = r.pick([
      'before',
      'after',
      'between',
      'within_last_days',
      'more_than_days_ago',
      'is_set',
      'is_not_set',
    ]);
    if (op === 'is_set' || op === 'is_not_set') return { field, op } as Node;
    if (op === 'within_last_days' || op === 'more_than_days_ago')
      return { field, op, value: r.int(1, 3650) } as Node;
    const pool = r.chance(0.5) ? DATES : DATE_TIMES;
    if (op === 'between') {
      const pair = [r.pick(DATES), r.pick(DATES)].sort();
      const value =
        pool === DATES
          ? r.chance(0.3)
            ? [pair[0], pair[0]]
            : pair
          : [r.pick(DATE_TIMES), r.pick(DATE_TIMES)];
      return { field, op, value } as Node;
    }
    return { field, op, value: r.pick(pool) } as Node;
  }
  if (kind === 4) {
    const field = r.pick(TAG_FIELDS);
    const op = r.pick(['has', 'has_not', 'has_any', 'has_all', 'has_none']);
    return {
      field,
      op,
      value: op === 'has' || op === 'has_not' ? r.pick(STRINGS) : strings(r, r.int(2, 3)),
    } as Node;
  }
  if (kind === 5) {
    const field = r.pick(BOOLEAN_FIELDS);
    const op = r.pick(['is', 'is', 'is_set', 'is_not_set']);
    return (op === 'is' ? { field, op, value: r.chance(0.6) } : { field, op }) as Node;
  }
  if (kind === 6) {
    const node: Record<string, unknown> = {
      event: r.pick(['booking', 'payment', 'rental', 'visit_2', 'opened', 'email']),
      measure: r.pick(['count', 'sum']),
      op: r.pick(['eq', 'neq', 'lt', 'lte', 'gt', 'gte']),
      value: r.pick(NUMBERS),
    };
    if (r.chance(0.5)) node.within_days = r.int(1, 3650);
    if (r.chance(0.3)) node.location_id = r.pick(STRINGS);
    if (r.chance(0.4)) {
      const properties: Record<string, string | number | boolean> = {};
      for (let i = r.int(1, 3); i > 0; i--) {
        const key = r.pick(['category', 'seats', 'a b', 'x:y', '@at', '30d', 'ñ', 'paid']);
        properties[key] = r.pick<string | number | boolean>([...STRINGS, ...NUMBERS, true, false, '']);
      }
      node.properties = properties;
    }
    return node as unknown as Node;
  }
  const node: Record<string, unknown> = {
    engagement: r.pick(['sent', 'delivered', 'opened', 'clicked', 'failed']),
    op: r.pick(['has', 'has_not']),
  };
  if (r.chance(0.5)) node.within_days = r.int(1, 3650);
  if (r.chance(0.4)) node.channel = r.pick(['email', 'sms', 'whatsapp']);
  if (r.chance(0.3)) node.campaign_id = r.pick(STRINGS);
  return node as unknown as Node;
}

function genTree(r: Rng, level = 1): Node {
  const room = 6 - level;
  const roll = r.next();
  if (room >= 1 && roll < 0.45 - level * 0.06) {
    const children = Array.from({ length: r.int(2, 4) }, () => genTree(r, level + 1));
    return r.chance(0.5) ? { all: children } : { any: children };
  }
  if (room >= 1 && roll < 0.55) return { not: genTree(r, level + 1) };
  return genCondition(r);
}

function conditions(node: Node): number {
  if ('all' in node) return node.all.reduce((n, c) => n + conditions(c), 0);
  if ('any' in node) return node.any.reduce((n, c) => n + conditions(c), 0);
  if ('not' in node) return conditions(node.not);
  return 1;
}

/** A tree, then maybe broken in one of the ways that have no text form. */
function genWild(r: Rng): unknown {
  const t = JSON.parse(JSON.stringify(genTree(r))) as Node;
  const mutations: Array<(n: Record<string, unknown>) => void> = [
    (n) => {
      if (Array.isArray(n.all)) n.all = n.all.slice(0, 1);
    },
    (n) => {
      if (Array.isArray(n.value)) n.value = n.value.slice(0, 1);
    },
    (n) => {
      if (typeof n.value === 'string') n.value = '';
    },
    (n) => {
      if (Array.isArray(n.value) && typeof n.value[0] === 'number') n.value = [...n.value].reverse();
    },
    (n) => {
      if ('within_days' in n) n.within_days = 0;
    },
    (n) => {
      // Built-in fields only: a custom key the workspace lacks prints, but reads back as unknown.
      if (typeof n.field === 'string' && !n.field.startsWith('custom.')) n.field = `${n.field}x`;
    },
    (n) => {
      if (typeof n.value === 'string' && n.op === 'after') n.value = '2025-02-30';
    },
    (n) => {
      if ('not' in n) n.extra = true;
    },
    (n) => {
      if (Array.isArray(n.any)) n.any.push({ all: [] });
    },
  ];
  const walk = (n: unknown) => {
    if (typeof n !== 'object' || n === null) return;
    const rec = n as Record<string, unknown>;
    if (r.chance(0.15)) r.pick(mutations)(rec);
    for (const child of [rec.all, rec.any].flat()) walk(child);
    walk(rec.not);
  };
  walk(t);
  return t;
}

describe('round trip', () => {
  it('parse(print(tree)) deep-equals tree, and print is canonical, for 3,000 generated trees', () => {
    const r = rng(20251122);
    let tested = 0;
    for (let i = 0; tested < 3000; i++) {
      const t = genTree(r);
      if (conditions(t) > 100) continue;
      tested++;
      const printed = printSegmentQuery(t);
      if (!printed.ok) throw new Error(`#${i} does not print: ${printed.reason}\n${JSON.stringify(t)}`);
      const back = parseSegmentQuery(printed.text, options);
      if (!back.ok) throw new Error(`#${i} ${printed.text}\n${JSON.stringify(back.errors)}`);
      expect(back.definition).toStrictEqual(t);
      expect(printSegmentQuery(back.definition)).toEqual(printed);
    }
  });

  it('for broken trees: either no text form (with a reason and path) or an exact round trip', () => {
    const r = rng(7);
    let refused = 0;
    for (let i = 0; i < 2000; i++) {
      const t = genWild(r);
      const printed = printSegmentQuery(t as Node);
      if (!printed.ok) {
        refused++;
        expect(printed.reason).toMatch(/^(\(root\)|\/\S*): ./);
        continue;
      }
      const back = parseSegmentQuery(printed.text, options);
      expect(back.ok && back.definition).toStrictEqual(t);
    }
    expect(refused).toBeGreaterThan(200);
  });

  it('print(parse(text)) is a fixed point for random token soup, and parsing never throws', () => {
    const r = rng(99);
    const tokens = [
      'tag:',
      'vip',
      'city:',
      'Madrid',
      ',',
      '+',
      '*',
      '"',
      '"a b"',
      ' ',
      ' ',
      ' ',
      '(',
      ')',
      'OR',
      'or',
      'AND',
      'NOT ',
      '-',
      'ltv',
      '>',
      '>=',
      '<',
      '=',
      '!=',
      ':',
      '500',
      '..',
      '100',
      'created<30d',
      'created',
      '2025-01-01',
      '30d',
      'booking.count',
      '(180d)',
      'opened',
      '(7d,email)',
      'has:',
      'no:',
      'email',
      'consent:whatsapp',
      'custom.size:',
      'M',
      '🎉',
      'é',
      '\\',
      '@',
    ];
    let parsed = 0;
    for (let i = 0; i < 5000; i++) {
      const text = Array.from({ length: r.int(1, 14) }, () => r.pick(tokens)).join('');
      const first = parseSegmentQuery(text, options);
      if (!first.ok) {
        for (const e of first.errors) {
          expect(e.column).toBeGreaterThanOrEqual(1);
          expect(e.column).toBeLessThanOrEqual(text.length + 1);
          expect(e.length).toBeGreaterThanOrEqual(1);
        }
        continue;
      }
      parsed++;
      const canonical = printSegmentQuery(first.definition);
      if (!canonical.ok)
        throw new Error(`${JSON.stringify(text)} parsed but does not print: ${canonical.reason}`);
      const again = parseSegmentQuery(canonical.text, options);
      expect(again.ok && again.definition).toStrictEqual(first.definition);
      expect(printSegmentQuery((again as { definition: Node }).definition)).toEqual(canonical);
    }
    expect(parsed).toBeGreaterThan(100);
  });
});

describe('docs/SEGMENT-QUERY.md', () => {
  const doc = readFileSync(new URL('../../../docs/SEGMENT-QUERY.md', import.meta.url), 'utf8');
  const blocks = [...doc.matchAll(/```query\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const lines = blocks.flatMap((b) => b.split('\n')).filter((l) => l.trim() !== '');

  it('has examples', () => {
    expect(lines.length).toBeGreaterThan(20);
  });

  it.each(lines)('%s parses and is canonical', (line) => {
    const r = parseSegmentQuery(line, {
      customFields: [...CUSTOM, { key: 'shoe_size', type: 'number' }],
      now: NOW,
    });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(printSegmentQuery(r.definition)).toEqual({ ok: true, text: line });
  });
});
