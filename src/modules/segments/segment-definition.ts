/**
 * The segment condition tree of SEGMENTS.md: its TypeScript types, the field catalogue, the
 * operators each type takes, and `validateDefinition`, which reports every problem of a tree at
 * once as `{ path, message, code, params }` with a JSON Pointer into the tree. Pure: no database.
 *
 * The validator never trusts the shape of its input. It walks iteratively with an explicit stack
 * and stops descending past the depth limit, so a 10,000-level tree costs a few microseconds and
 * never a stack overflow; it reads keys with Object.hasOwn and looks names up in Maps, so
 * `__proto__` or `constructor` are just unknown names; it walks at most 50 children of a group.
 */

export const MAX_DEPTH = 6;
export const MAX_CONDITIONS = 100;
export const MAX_CHILDREN = 50;
export const MAX_LIST_VALUES = 100;
export const MAX_TEXT_VALUE = 500;
export const MAX_ABS_NUMBER = 1e15;
export const MAX_DAYS = 36_500;
export const MAX_WITHIN_DAYS = 3650;
export const MAX_EVENT_PROPERTIES = 20;
/** Beyond this many problems the list ends with one that says how many more there were. */
export const MAX_REPORTED_PROBLEMS = 100;

// ---- the tree ----------------------------------------------------------------------------------

export type Node = AllGroup | AnyGroup | NotNode | Condition;
export interface AllGroup {
  all: Node[];
}
export interface AnyGroup {
  any: Node[];
}
export interface NotNode {
  not: Node;
}
export type Condition = FieldCond | EventCond | EngagementCond;

export type Scalar = string | number | boolean;
export type FieldValue = Scalar | Array<string | number>;

export interface FieldCond {
  field: string;
  op: FieldOp;
  value?: FieldValue | null;
}

export const COMPARE_OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte'] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];

export interface EventCond {
  event: string;
  measure: 'count' | 'sum';
  op: CompareOp;
  value: number;
  within_days?: number;
  location_id?: string;
  properties?: Record<string, Scalar>;
}

export const ENGAGEMENTS = ['sent', 'delivered', 'opened', 'clicked', 'failed'] as const;
export type Engagement = (typeof ENGAGEMENTS)[number];
export const ENGAGEMENT_CHANNELS = ['email', 'sms', 'whatsapp'] as const;
export type EngagementChannel = (typeof ENGAGEMENT_CHANNELS)[number];

export interface EngagementCond {
  engagement: Engagement;
  campaign_id?: string;
  channel?: EngagementChannel;
  within_days?: number;
  op: 'has' | 'has_not';
}

// ---- fields and operators ----------------------------------------------------------------------

export type FieldType = 'text' | 'number' | 'date' | 'boolean' | 'select' | 'multi_select' | 'tags';

export const OPS_BY_TYPE = {
  text: [
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
  ],
  number: ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'between', 'is_set', 'is_not_set'],
  date: ['before', 'after', 'between', 'within_last_days', 'more_than_days_ago', 'is_set', 'is_not_set'],
  boolean: ['is', 'is_set', 'is_not_set'],
  select: ['eq', 'neq', 'in', 'not_in', 'is_set', 'is_not_set'],
  multi_select: ['has', 'has_not', 'has_any', 'has_all', 'has_none'],
  tags: ['has', 'has_not', 'has_any', 'has_all', 'has_none'],
} as const satisfies Record<FieldType, readonly string[]>;

export type FieldOp = (typeof OPS_BY_TYPE)[FieldType][number];
const ALL_FIELD_OPS = new Set<string>(Object.values(OPS_BY_TYPE).flat());

/** The built-in fields and their types (custom fields are `custom.<key>`). */
export const BUILTIN_FIELDS = new Map<string, FieldType>([
  ['first_name', 'text'],
  ['last_name', 'text'],
  ['name', 'text'],
  ['email', 'text'],
  ['phone', 'text'],
  ['city', 'text'],
  ['country', 'text'],
  ['locale', 'text'],
  ['source', 'text'],
  ['external_id', 'text'],
  ['label', 'select'],
  ['lifetime_value', 'number'],
  ['risk_score', 'number'],
  ['created_at', 'date'],
  ['last_activity_at', 'date'],
  ['last_contacted_at', 'date'],
  ['tags', 'tags'],
  ['location_id', 'select'],
  ['consent.email', 'boolean'],
  ['consent.sms', 'boolean'],
  ['consent.whatsapp', 'boolean'],
  ['consent.push', 'boolean'],
]);

/** Custom-field types and the segment type they compare as (url, email and phone are text). */
export const CUSTOM_TYPE_AS = new Map<string, FieldType>([
  ['text', 'text'],
  ['url', 'text'],
  ['email', 'text'],
  ['phone', 'text'],
  ['number', 'number'],
  ['date', 'date'],
  ['boolean', 'boolean'],
  ['select', 'select'],
  ['multi_select', 'multi_select'],
]);

/** What the validator needs to know about one custom field. */
export interface CustomFieldInfo {
  key: string;
  type: string;
  options: string[];
  archived: boolean;
}

export interface ValidationContext {
  /** The custom fields the caller may see, archived ones included (they are reported as archived). */
  customFields: CustomFieldInfo[];
  /** Label keys of the workspace. */
  labels: string[];
  /** Location ids of the workspace (archived locations included: clients may still be there). */
  locations: string[];
  now?: Date;
}

/**
 * What each problem is, stable for programs: the dashboard shows a problem in the user's language
 * from its `code` and `params`; `message` stays the English sentence for API users.
 */
export const SEGMENT_PROBLEM_CODES = [
  'too_deep',
  'not_a_node',
  'mixed_group',
  'key_not_allowed',
  'group_not_list',
  'empty_any',
  'too_many_children',
  'too_many_conditions',
  'more_problems',
  'unknown_key',
  'field_missing',
  'unknown_field',
  'unknown_custom_field',
  'custom_field_archived',
  'custom_field_uncomparable',
  'unknown_operator',
  'operator_not_for_field',
  'operator_required',
  'value_not_taken',
  'value_required',
  'list_required',
  'list_empty',
  'too_many_values',
  'single_value_required',
  'text_required',
  'text_empty',
  'text_too_long',
  'number_required',
  'number_not_finite',
  'number_out_of_range',
  'days_out_of_range',
  'date_required',
  'boolean_required',
  'unknown_label',
  'unknown_option',
  'unknown_location',
  'tag_required',
  'tag_too_long',
  'range_required',
  'range_reversed',
  'event_type_invalid',
  'measure_invalid',
  'operator_not_for_event',
  'operator_not_for_engagement',
  'engagement_invalid',
  'campaign_id_invalid',
  'channel_invalid',
  'properties_not_object',
  'too_many_properties',
  'property_name_invalid',
  'property_value_invalid',
] as const;
export type SegmentProblemCode = (typeof SEGMENT_PROBLEM_CODES)[number];
/** The variable parts of a problem's message (a field, an operator, a limit, what was given…). */
export type ProblemParams = Record<string, string | number>;

export interface SegmentProblem {
  path: string;
  message: string;
  code: SegmentProblemCode;
  params?: ProblemParams;
}

/** A problem without its place: what the checks below answer, the caller adds the path. */
interface Finding {
  message: string;
  code: SegmentProblemCode;
  params?: ProblemParams;
}

/** A resolved field: its type and, for a custom field, its key. */
export interface ResolvedField {
  type: FieldType;
  custom: string | null;
  options: string[] | null;
}

export function resolveField(
  name: string,
  customFields: ReadonlyMap<string, CustomFieldInfo>,
): ResolvedField | { error: string; finding: Finding } {
  const builtin = BUILTIN_FIELDS.get(name);
  if (builtin) return { type: builtin, custom: null, options: null };
  const refused = (message: string, code: SegmentProblemCode, params: ProblemParams) => ({
    error: message,
    finding: { message, code, params },
  });
  if (name.startsWith('custom.')) {
    const key = name.slice(7);
    const field = customFields.get(key);
    if (!field) return refused(`unknown custom field '${key}'`, 'unknown_custom_field', { key });
    if (field.archived) return refused(`custom field '${key}' is archived`, 'custom_field_archived', { key });
    const type = CUSTOM_TYPE_AS.get(field.type);
    if (!type)
      return refused(
        `custom field '${key}' has a type segments cannot compare`,
        'custom_field_uncomparable',
        { key },
      );
    return {
      type,
      custom: key,
      options: type === 'select' || type === 'multi_select' ? field.options : null,
    };
  }
  return refused(`unknown field '${name}'`, 'unknown_field', { field: quote(name) });
}

// ---- values ------------------------------------------------------------------------------------

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:\d{2})$/;
// The same pattern as platform/db/ids.ts's UUID, kept here: this module is pure and the dashboard
// bundles it (web/src/api/segments.ts), so it imports nothing from the server's platform.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const EVENT_TYPE = /^[a-z][a-z0-9_]{0,39}$/;
const PROPERTY_KEY = /^[A-Za-z0-9_.-]{1,64}$/;

function realDate(y: number, m: number, d: number): boolean {
  if (y < 1 || y > 9999) return false;
  const date = new Date(Date.UTC(y, m - 1, d));
  date.setUTCFullYear(y);
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** A date value: a calendar day (read in the workspace time zone) or an instant. */
export type DateValue = { kind: 'day'; day: string } | { kind: 'instant'; at: Date };

export function parseDateValue(value: unknown): DateValue | null {
  if (typeof value !== 'string' || value.length > 40) return null;
  const day = DATE_ONLY.exec(value);
  if (day) return realDate(+day[1]!, +day[2]!, +day[3]!) ? { kind: 'day', day: value } : null;
  const m = DATE_TIME.exec(value);
  if (!m) return null;
  if (!realDate(+m[1]!, +m[2]!, +m[3]!) || +m[4]! > 23 || +m[5]! > 59 || +(m[6] ?? 0) > 59) return null;
  const zone = m[8]!;
  if (zone !== 'Z' && (+zone.slice(1, 3) > 18 || +zone.slice(4, 6) > 59)) return null;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : { kind: 'instant', at };
}

const DATE_HINT = 'an ISO-8601 date (YYYY-MM-DD) or date-time with a zone (2025-03-01T09:30:00Z)';
const DATE_REQUIRED: Finding = { message: `must be ${DATE_HINT}`, code: 'date_required' };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapeToken(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const short = text === undefined ? String(value) : text;
  return short.length > 60 ? `${short.slice(0, 57)}...` : short;
}

/** What a value is, as a stable word (a problem's `got` param) and in the English message. */
function kindOf(value: unknown): 'null' | 'list' | 'object' | 'text' | 'number' | 'boolean' | 'nothing' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'number' || typeof value === 'bigint') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  return typeof value === 'object' ? 'object' : 'nothing';
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : typeof value;
}

function checkNumber(value: unknown): Finding | null {
  if (typeof value !== 'number')
    return {
      message: `must be a number, not ${describe(value)}`,
      code: 'number_required',
      params: { got: kindOf(value) },
    };
  if (!Number.isFinite(value)) return { message: 'must be a finite number', code: 'number_not_finite' };
  if (Math.abs(value) > MAX_ABS_NUMBER)
    return {
      message: `must be between -${MAX_ABS_NUMBER} and ${MAX_ABS_NUMBER}`,
      code: 'number_out_of_range',
      params: { max: MAX_ABS_NUMBER },
    };
  return null;
}

function checkDays(value: unknown, min: number, max: number): Finding | null {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    return {
      message: `must be a whole number of days from ${min} to ${max}`,
      code: 'days_out_of_range',
      params: { min, max },
    };
  return null;
}

// ---- the walk ------------------------------------------------------------------------------------

interface Pending {
  node: unknown;
  path: string;
  depth: number;
}

const GROUP_KEYS = ['all', 'any', 'not'] as const;
const FIELD_KEYS = new Set(['field', 'op', 'value']);
const EVENT_KEYS = new Set(['event', 'measure', 'op', 'value', 'within_days', 'location_id', 'properties']);
const ENGAGEMENT_KEYS = new Set(['engagement', 'campaign_id', 'channel', 'within_days', 'op']);
const NODE_HINT =
  'must be a group {"all": [...]} or {"any": [...]}, {"not": ...}, or a condition with "field", "event" or "engagement"';

/**
 * Every problem of a tree at once, in document order ([] when it is valid). Each has a JSON
 * Pointer into the tree ("/" is the whole tree) and a message for a person.
 */
export function validateDefinition(tree: unknown, context: ValidationContext): SegmentProblem[] {
  const problems: SegmentProblem[] = [];
  let more = 0;
  const report: Report = (path, message, code, params) => {
    if (problems.length < MAX_REPORTED_PROBLEMS)
      problems.push({ path: path || '/', message, code, ...(params ? { params } : {}) });
    else more += 1;
  };
  const fields = new Map(context.customFields.map((f) => [f.key, f]));
  const labels = new Set(context.labels);
  const locations = new Set(context.locations.map((l) => l.toLowerCase()));
  let conditions = 0;

  const stack: Pending[] = [{ node: tree, path: '', depth: 1 }];
  while (stack.length) {
    const { node, path, depth } = stack.pop()!;
    if (depth > MAX_DEPTH) {
      // Reported once per branch, where it crosses the limit; nothing below is walked.
      report(path, `too deep: a tree has at most ${MAX_DEPTH} levels of groups and conditions`, 'too_deep', {
        max: MAX_DEPTH,
      });
      continue;
    }
    if (!isPlainObject(node)) {
      report(path, NODE_HINT, 'not_a_node');
      continue;
    }
    const keys = Object.keys(node);
    const groupKeys = GROUP_KEYS.filter((k) => Object.hasOwn(node, k));
    const kind =
      groupKeys.length === 1
        ? groupKeys[0]!
        : groupKeys.length === 0
          ? Object.hasOwn(node, 'field')
            ? 'field'
            : Object.hasOwn(node, 'event')
              ? 'event'
              : Object.hasOwn(node, 'engagement')
                ? 'engagement'
                : null
          : 'mixed';
    if (kind === null) {
      report(path, NODE_HINT, 'not_a_node');
      continue;
    }
    if (kind === 'mixed') {
      report(
        path,
        `a node is one of all, any or not; this one has ${groupKeys.join(' and ')}`,
        'mixed_group',
        {
          keys: groupKeys.join(', '),
        },
      );
      continue;
    }
    if (kind === 'all' || kind === 'any' || kind === 'not') {
      for (const key of keys)
        if (key !== kind)
          report(
            `${path}/${escapeToken(key)}`,
            `'${quote(key)}' is not allowed beside '${kind}'`,
            'key_not_allowed',
            {
              key: quote(key),
              group: kind,
            },
          );
      const inner = node[kind];
      if (kind === 'not') {
        stack.push({ node: inner, path: `${path}/not`, depth: depth + 1 });
        continue;
      }
      if (!Array.isArray(inner)) {
        report(`${path}/${kind}`, `must be a list of conditions and groups`, 'group_not_list');
        continue;
      }
      if (inner.length === 0 && kind === 'any')
        report(
          `${path}/any`,
          'an empty "any" matches nobody: add a condition or remove the group',
          'empty_any',
        );
      if (inner.length > MAX_CHILDREN)
        report(
          `${path}/${kind}`,
          `a group has at most ${MAX_CHILDREN} children, this one has ${inner.length}`,
          'too_many_children',
          { max: MAX_CHILDREN, count: inner.length },
        );
      const walked = Math.min(inner.length, MAX_CHILDREN);
      for (let i = walked - 1; i >= 0; i -= 1)
        stack.push({ node: inner[i], path: `${path}/${kind}/${i}`, depth: depth + 1 });
      continue;
    }
    conditions += 1;
    if (kind === 'field') validateField(node, path, keys, fields, labels, locations, report);
    else if (kind === 'event') validateEvent(node, path, keys, locations, report);
    else validateEngagement(node, path, keys, report);
  }
  if (conditions > MAX_CONDITIONS)
    report(
      '',
      `a tree has at most ${MAX_CONDITIONS} conditions, this one has ${conditions}`,
      'too_many_conditions',
      {
        max: MAX_CONDITIONS,
        count: conditions,
      },
    );
  if (more > 0)
    problems.push({
      path: '/',
      message: `and ${more} more problems`,
      code: 'more_problems',
      params: { count: more },
    });
  return problems;
}

type Report = (path: string, message: string, code: SegmentProblemCode, params?: ProblemParams) => void;

const found = (report: Report, path: string, finding: Finding) =>
  report(path, finding.message, finding.code, finding.params);

function unknownKeys(path: string, keys: string[], allowed: Set<string>, report: Report) {
  for (const key of keys)
    if (!allowed.has(key))
      report(`${path}/${escapeToken(key)}`, `'${quote(key)}' is not a known key here`, 'unknown_key', {
        key: quote(key),
      });
}

function validateField(
  node: Record<string, unknown>,
  path: string,
  keys: string[],
  fields: ReadonlyMap<string, CustomFieldInfo>,
  labels: ReadonlySet<string>,
  locations: ReadonlySet<string>,
  report: Report,
) {
  unknownKeys(path, keys, FIELD_KEYS, report);
  const name = node.field;
  if (typeof name !== 'string') {
    report(`${path}/field`, 'must be a field name such as email, tags or custom.<key>', 'field_missing');
    return;
  }
  const resolved = resolveField(name, fields);
  const op = Object.hasOwn(node, 'op') ? node.op : undefined;
  if ('error' in resolved) {
    found(report, `${path}/field`, resolved.finding);
    if (op !== undefined && (typeof op !== 'string' || !ALL_FIELD_OPS.has(op)))
      report(`${path}/op`, `unknown operator '${quote(op)}'`, 'unknown_operator', { op: quote(op) });
    return;
  }
  const { type } = resolved;
  const ops = OPS_BY_TYPE[type] as readonly string[];
  if (op === undefined) {
    report(`${path}/op`, `is required: one of ${ops.join(', ')}`, 'operator_required', {
      allowed: ops.join(', '),
    });
    return;
  }
  if (typeof op !== 'string' || !ops.includes(op)) {
    const kind = type === 'tags' ? 'tags' : `${type.replace('_', '-')}`;
    if (typeof op === 'string' && ALL_FIELD_OPS.has(op))
      report(
        `${path}/op`,
        `operator '${op}' is not valid for ${kind} field '${name}'`,
        'operator_not_for_field',
        {
          op,
          field: name,
          allowed: ops.join(', '),
        },
      );
    else
      report(
        `${path}/op`,
        `unknown operator '${quote(op)}'; ${kind} fields take ${ops.join(', ')}`,
        'unknown_operator',
        { op: quote(op), allowed: ops.join(', ') },
      );
    return;
  }
  const hasValue = Object.hasOwn(node, 'value') && node.value !== null;
  const value = node.value;
  const vpath = `${path}/value`;
  if (op === 'is_set' || op === 'is_not_set') {
    if (hasValue) report(vpath, `'${op}' takes no value`, 'value_not_taken', { op });
    return;
  }
  if (!hasValue) {
    report(vpath, `is required for '${op}'`, 'value_required', { op });
    return;
  }

  const list = op === 'in' || op === 'not_in' || op === 'has_any' || op === 'has_all' || op === 'has_none';
  const eachOf = (check: (item: unknown, itemPath: string) => void) => {
    if (!Array.isArray(value)) {
      report(vpath, `must be a list for '${op}'`, 'list_required', { op });
      return;
    }
    if (value.length === 0) report(vpath, `must not be an empty list`, 'list_empty');
    if (value.length > MAX_LIST_VALUES) {
      report(vpath, `at most ${MAX_LIST_VALUES} values`, 'too_many_values', { max: MAX_LIST_VALUES });
      return;
    }
    value.forEach((item, i) => {
      check(item, `${vpath}/${i}`);
    });
  };
  const single = (check: (item: unknown, itemPath: string) => void) => {
    if (Array.isArray(value))
      report(vpath, `must be a single value for '${op}', not a list`, 'single_value_required', { op });
    else check(value, vpath);
  };
  const apply = (check: (item: unknown, itemPath: string) => void) => (list ? eachOf(check) : single(check));

  switch (type) {
    case 'text':
      apply((item, p) => {
        if (typeof item !== 'string') textRequired(report, p, item);
        else if (item === '')
          report(p, `must not be empty (use is_set / is_not_set for empty values)`, 'text_empty');
        else if (item.length > MAX_TEXT_VALUE)
          report(p, `at most ${MAX_TEXT_VALUE} characters`, 'text_too_long', { max: MAX_TEXT_VALUE });
      });
      return;
    case 'number':
      if (op === 'between') return checkRange(value, vpath, report, checkNumber, (a, b) => a > b);
      single((item, p) => {
        const problem = checkNumber(item);
        if (problem) found(report, p, problem);
      });
      return;
    case 'date':
      if (op === 'within_last_days' || op === 'more_than_days_ago') {
        single((item, p) => {
          const problem = checkDays(item, 0, MAX_DAYS);
          if (problem) found(report, p, problem);
        });
        return;
      }
      if (op === 'between')
        return checkRange(
          value,
          vpath,
          report,
          (item) => (parseDateValue(item) ? null : DATE_REQUIRED),
          (a, b) => dateOrder(a, b) > 0,
        );
      single((item, p) => {
        if (!parseDateValue(item)) found(report, p, DATE_REQUIRED);
      });
      return;
    case 'boolean':
      single((item, p) => {
        if (typeof item !== 'boolean')
          report(p, `must be true or false, not ${describe(item)}`, 'boolean_required', {
            got: kindOf(item),
          });
      });
      return;
    case 'select': {
      const allowed =
        name === 'label'
          ? { has: (v: string) => labels.has(v), list: [...labels], what: 'label' }
          : name === 'location_id'
            ? {
                has: (v: string) => UUID.test(v) && locations.has(v.toLowerCase()),
                list: null,
                what: 'location',
              }
            : {
                has: (v: string) => resolved.options!.includes(v),
                list: resolved.options!,
                what: 'option',
              };
      apply((item, p) => {
        if (typeof item !== 'string') textRequired(report, p, item);
        else if (!allowed.has(item)) {
          if (allowed.list)
            report(
              p,
              `unknown ${allowed.what} '${quote(item)}'; this field takes ${allowed.list.join(', ') || 'no values yet'}`,
              allowed.what === 'label' ? 'unknown_label' : 'unknown_option',
              { value: quote(item), allowed: allowed.list.join(', ') },
            );
          else report(p, `no such location in this workspace`, 'unknown_location');
        }
      });
      return;
    }
    case 'multi_select':
      apply((item, p) => {
        if (typeof item !== 'string') textRequired(report, p, item);
        else if (!resolved.options!.includes(item))
          report(
            p,
            `unknown option '${quote(item)}'; this field takes ${resolved.options!.join(', ')}`,
            'unknown_option',
            { value: quote(item), allowed: resolved.options!.join(', ') },
          );
      });
      return;
    case 'tags':
      apply((item, p) => {
        if (typeof item !== 'string' || !item.trim()) report(p, 'must be a tag name', 'tag_required');
        else if (item.trim().length > 64)
          report(p, 'a tag name has at most 64 characters', 'tag_too_long', { max: 64 });
      });
      return;
  }
}

function checkRange(
  value: unknown,
  vpath: string,
  report: Report,
  check: (item: unknown) => Finding | null,
  reversed: (a: never, b: never) => boolean,
) {
  if (!Array.isArray(value) || value.length !== 2) {
    report(vpath, `must be a list of two values [from, to] for 'between'`, 'range_required');
    return;
  }
  const [a, b] = [check(value[0]), check(value[1])];
  if (a) found(report, `${vpath}/0`, a);
  if (b) found(report, `${vpath}/1`, b);
  if (!a && !b && reversed(value[0] as never, value[1] as never))
    report(vpath, 'the first value must not be after the second', 'range_reversed');
}

function textRequired(report: Report, path: string, item: unknown) {
  report(path, `must be text, not ${describe(item)}`, 'text_required', { got: kindOf(item) });
}

/** Orders two valid date values approximately (a day as its UTC midnight): only to catch reversed ranges. */
function dateOrder(a: string, b: string): number {
  const at = (v: string) => {
    const parsed = parseDateValue(v)!;
    return parsed.kind === 'day' ? Date.parse(`${parsed.day}T00:00:00Z`) : parsed.at.getTime();
  };
  const [x, y] = [at(a), at(b)];
  // A day against an instant may legitimately be within a day of each other in some zone.
  const slack = DATE_ONLY.test(a) !== DATE_ONLY.test(b) ? 2 * 86_400_000 : 0;
  return x - y > slack ? 1 : 0;
}

function validateEvent(
  node: Record<string, unknown>,
  path: string,
  keys: string[],
  locations: ReadonlySet<string>,
  report: Report,
) {
  unknownKeys(path, keys, EVENT_KEYS, report);
  if (typeof node.event !== 'string' || !EVENT_TYPE.test(node.event))
    report(
      `${path}/event`,
      'must be an event type such as booking (lower-case letters, digits and _)',
      'event_type_invalid',
    );
  if (node.measure !== 'count' && node.measure !== 'sum')
    report(`${path}/measure`, 'must be count or sum', 'measure_invalid');
  if (typeof node.op !== 'string' || !(COMPARE_OPS as readonly string[]).includes(node.op)) {
    const allowed = COMPARE_OPS.join(', ');
    if (typeof node.op === 'string' && ALL_FIELD_OPS.has(node.op))
      report(
        `${path}/op`,
        `operator '${node.op}' is not valid for an event condition; use ${allowed}`,
        'operator_not_for_event',
        { op: node.op, allowed },
      );
    else report(`${path}/op`, `must be one of ${allowed}`, 'unknown_operator', { allowed });
  }
  if (!Object.hasOwn(node, 'value')) report(`${path}/value`, 'is required', 'value_required');
  else {
    const problem = checkNumber(node.value);
    if (problem) found(report, `${path}/value`, problem);
  }
  if (Object.hasOwn(node, 'within_days')) {
    const problem = checkDays(node.within_days, 1, MAX_WITHIN_DAYS);
    if (problem) found(report, `${path}/within_days`, problem);
  }
  if (Object.hasOwn(node, 'location_id')) {
    const id = node.location_id;
    if (typeof id !== 'string' || !UUID.test(id) || !locations.has(id.toLowerCase()))
      report(`${path}/location_id`, 'no such location in this workspace', 'unknown_location');
  }
  if (Object.hasOwn(node, 'properties')) {
    const properties = node.properties;
    if (!isPlainObject(properties)) {
      report(`${path}/properties`, 'must be an object of property names and values', 'properties_not_object');
      return;
    }
    const entries = Object.keys(properties);
    if (entries.length > MAX_EVENT_PROPERTIES) {
      report(`${path}/properties`, `at most ${MAX_EVENT_PROPERTIES} properties`, 'too_many_properties', {
        max: MAX_EVENT_PROPERTIES,
      });
      return;
    }
    for (const key of entries) {
      const p = `${path}/properties/${escapeToken(key)}`;
      const value = properties[key];
      if (!PROPERTY_KEY.test(key) || key === '__proto__' || key === 'constructor' || key === 'prototype')
        report(p, 'a property name has 1 to 64 letters, digits, _, . or -', 'property_name_invalid');
      else if (typeof value === 'string') {
        if (value.length > MAX_TEXT_VALUE)
          report(p, `at most ${MAX_TEXT_VALUE} characters`, 'text_too_long', { max: MAX_TEXT_VALUE });
      } else if (typeof value === 'number') {
        const problem = checkNumber(value);
        if (problem) found(report, p, problem);
      } else if (typeof value !== 'boolean')
        report(p, `must be text, a number or true/false, not ${describe(value)}`, 'property_value_invalid', {
          got: kindOf(value),
        });
    }
  }
}

function validateEngagement(node: Record<string, unknown>, path: string, keys: string[], report: Report) {
  unknownKeys(path, keys, ENGAGEMENT_KEYS, report);
  if (typeof node.engagement !== 'string' || !(ENGAGEMENTS as readonly string[]).includes(node.engagement))
    report(`${path}/engagement`, `must be one of ${ENGAGEMENTS.join(', ')}`, 'engagement_invalid', {
      allowed: ENGAGEMENTS.join(', '),
    });
  if (node.op !== 'has' && node.op !== 'has_not') {
    if (typeof node.op === 'string' && ALL_FIELD_OPS.has(node.op))
      report(
        `${path}/op`,
        `operator '${node.op}' is not valid for an engagement condition; use has or has_not`,
        'operator_not_for_engagement',
        { op: node.op, allowed: 'has, has_not' },
      );
    else report(`${path}/op`, 'must be has or has_not', 'unknown_operator', { allowed: 'has, has_not' });
  }
  if (
    Object.hasOwn(node, 'campaign_id') &&
    (typeof node.campaign_id !== 'string' || !UUID.test(node.campaign_id))
  )
    report(`${path}/campaign_id`, 'must be a campaign id', 'campaign_id_invalid');
  if (
    Object.hasOwn(node, 'channel') &&
    (typeof node.channel !== 'string' || !(ENGAGEMENT_CHANNELS as readonly string[]).includes(node.channel))
  )
    report(`${path}/channel`, `must be one of ${ENGAGEMENT_CHANNELS.join(', ')}`, 'channel_invalid', {
      allowed: ENGAGEMENT_CHANNELS.join(', '),
    });
  if (Object.hasOwn(node, 'within_days')) {
    const problem = checkDays(node.within_days, 1, MAX_WITHIN_DAYS);
    if (problem) found(report, `${path}/within_days`, problem);
  }
}

// ---- reading a valid tree ----------------------------------------------------------------------

export function isAll(node: Node): node is AllGroup {
  return Object.hasOwn(node, 'all');
}
export function isAny(node: Node): node is AnyGroup {
  return Object.hasOwn(node, 'any');
}
export function isNot(node: Node): node is NotNode {
  return Object.hasOwn(node, 'not');
}
export function isField(node: Node): node is FieldCond {
  return Object.hasOwn(node, 'field');
}
export function isEvent(node: Node): node is EventCond {
  return Object.hasOwn(node, 'event');
}
export function isEngagement(node: Node): node is EngagementCond {
  return Object.hasOwn(node, 'engagement');
}

/** How many conditions (leaves) a valid tree has. */
export function countConditions(node: Node): number {
  let n = 0;
  const stack: Node[] = [node];
  while (stack.length) {
    const current = stack.pop()!;
    if (isAll(current)) stack.push(...current.all);
    else if (isAny(current)) stack.push(...current.any);
    else if (isNot(current)) stack.push(current.not);
    else n += 1;
  }
  return n;
}
