/**
 * One-line query syntax for segments (docs/SEGMENT-QUERY.md).
 *
 * `parseSegmentQuery` turns text such as
 *   tag:vip city:Madrid,Valencia ltv>500 booking.count(180d)>=3 -tag:blocked (label:prospect OR created<30d)
 * into the condition tree of the segment contract (SEGMENTS.md); `printSegmentQuery` writes a tree
 * back as canonical text. Pure functions: no database, no I/O.
 *
 * Guarantees: parse(print(tree)) deep-equals tree for every tree that prints, and print(parse(text))
 * is the canonical form of text. Trees the parser accepts respect the contract's limits (depth ≤ 6,
 * ≤ 100 conditions, 1..50 children per group), so they never reach the validator in an invalid shape.
 */

// ─────────────── Tree types: exactly the JSON shapes of the segment contract ───────────────

import { OPS_BY_TYPE } from './segment-definition.ts';

export type TextField =
  | 'first_name'
  | 'last_name'
  | 'name'
  | 'email'
  | 'phone'
  | 'city'
  | 'country'
  | 'locale'
  | 'source'
  | 'external_id';
export type SelectField = 'label' | 'location_id';
export type NumberField = 'lifetime_value' | 'risk_score';
export type DateField = 'created_at' | 'last_activity_at' | 'last_contacted_at';
export type ConsentField = 'consent.email' | 'consent.sms' | 'consent.whatsapp' | 'consent.push';
export type BuiltInField = TextField | SelectField | NumberField | DateField | 'tags' | ConsentField;
export type CustomFieldName = `custom.${string}`;
export type FieldName = BuiltInField | CustomFieldName;

export type TextOp =
  | 'eq'
  | 'neq'
  | 'contains'
  | 'not_contains'
  | 'starts_with'
  | 'ends_with'
  | 'in'
  | 'not_in'
  | 'is_set'
  | 'is_not_set';
export type NumberOp = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' | 'between' | 'is_set' | 'is_not_set';
export type DateOp =
  | 'before'
  | 'after'
  | 'between'
  | 'within_last_days'
  | 'more_than_days_ago'
  | 'is_set'
  | 'is_not_set';
export type BooleanOp = 'is' | 'is_set' | 'is_not_set';
export type SelectOp = 'eq' | 'neq' | 'in' | 'not_in' | 'is_set' | 'is_not_set';
export type TagsOp = 'has' | 'has_not' | 'has_any' | 'has_all' | 'has_none';
export type FieldOp = TextOp | NumberOp | DateOp | BooleanOp | SelectOp | TagsOp;
/** string (text, select, tags, ISO date), number, boolean, string[] (in/not_in/has_*), [min, max] (between). */
export type FieldValue = string | number | boolean | string[] | [number, number] | [string, string];

export interface FieldCond {
  field: FieldName;
  op: FieldOp;
  value?: FieldValue;
}

export type CompareOp = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte';
export type EventPropertyValue = string | number | boolean;

export interface EventCond {
  event: string;
  measure: 'count' | 'sum';
  op: CompareOp;
  value: number;
  within_days?: number;
  location_id?: string;
  properties?: Record<string, EventPropertyValue>;
}

export type EngagementKind = 'sent' | 'delivered' | 'opened' | 'clicked' | 'failed';
export type EngagementChannel = 'email' | 'sms' | 'whatsapp';

export interface EngagementCond {
  engagement: EngagementKind;
  campaign_id?: string;
  channel?: EngagementChannel;
  within_days?: number;
  op: 'has' | 'has_not';
}

export interface AllGroup {
  all: Node[];
}
export interface AnyGroup {
  any: Node[];
}
export interface NotNode {
  not: Node;
}
export type Group = AllGroup | AnyGroup;
export type Condition = FieldCond | EventCond | EngagementCond;
export type Node = AllGroup | AnyGroup | NotNode | Condition;
/** Same as `Node`, for importers that already have a DOM-ish `Node` in scope. */
export type SegmentNode = Node;

// ─────────────── API types ───────────────

export type CustomFieldType =
  | 'text'
  | 'number'
  | 'date'
  | 'boolean'
  | 'select'
  | 'multi_select'
  | 'url'
  | 'email'
  | 'phone';

export interface CustomFieldInfo {
  key: string;
  type: CustomFieldType;
}

export interface ParseOptions {
  /** The workspace's custom fields; their type decides how `custom.<key>:…` is read. */
  customFields: readonly CustomFieldInfo[];
  /** "Today" for `3m` / `1y` durations (calendar months back, in UTC). Defaults to the current time. */
  now?: Date;
}

/**
 * What each query error is, stable for programs: the dashboard words an error in the reader's language
 * from its `code` and `params`; `message` stays the English sentence for the CLI and API users.
 */
export const QUERY_ERROR_CODES = [
  // Structure: AND / OR / NOT / '-', parentheses, quotes
  'or_needs_term_before',
  'or_needs_term_after',
  'and_needs_term_before',
  'and_needs_term_after',
  'not_needs_term_after',
  'minus_needs_term',
  'too_many_negations',
  'unmatched_close_paren',
  'unclosed_paren',
  'empty_parentheses',
  'parentheses_too_deep',
  'unterminated_quote',
  // Conditions and fields
  'not_a_condition',
  'quoted_value_alone',
  'unknown_field',
  'unknown_field_maybe_event',
  'unknown_custom_field',
  'custom_needs_key',
  'unknown_condition',
  'missing_operator',
  'spaces_around_operator',
  'space_after_operator',
  'missing_value',
  'missing_tag',
  'comparison_not_for_field',
  'negation_needs_minus',
  // Values: lists and wildcards
  'empty_value',
  'empty_list_value',
  'empty_value_before_separator',
  'list_ends_with_separator',
  'wildcard_misplaced',
  'wildcard_alone',
  'wildcard_in_list',
  'wildcard_not_supported',
  'mixed_separators',
  // Numbers
  'number_quoted',
  'not_a_number',
  'decimal_comma',
  'number_too_large',
  'number_list',
  'range_needs_colon',
  'range_reversed',
  // Dates and durations
  'date_quoted',
  'not_a_date',
  'duration_out_of_range',
  'date_strict_comparison',
  'duration_needs_comparison',
  'datetime_needs_comparison',
  // Yes/no fields, consent, has:/no:
  'yes_no_field',
  'consent_syntax',
  'consent_one_channel',
  'unknown_consent_channel',
  'presence_needs_field',
  'presence_not_for_tags',
  'unexpected_after',
  // Engagement and events, and their (…) arguments
  'engagement_syntax',
  'event_type_invalid',
  'event_needs_comparison',
  'missing_number',
  'event_range',
  'unclosed_arguments',
  'empty_arguments',
  'empty_argument',
  'unexpected_paren_in_arguments',
  'duplicate_argument',
  'duplicate_property',
  'location_not_for_engagement',
  'empty_location',
  'unknown_event_argument',
  'unknown_engagement_argument',
  'argument_missing_name',
  'argument_missing_value',
  'property_name_reserved',
  // Limits of the segment contract and of the text
  'too_deep',
  'too_many_terms',
  'too_many_conditions',
  'query_too_long',
  'not_text',
] as const;
export type QueryErrorCode = (typeof QUERY_ERROR_CODES)[number];
/**
 * The variable parts of an error's message: the text as written, a field's display name, a limit, a
 * corrected spelling (`fix`, `example`). `suggestion`, when present, is the closest known name ("did
 * you mean").
 */
export type QueryErrorParams = Record<string, string | number>;

/** A problem in the query text. `column` is 1-based, in UTF-16 code units (as JS strings and inputs count). */
export interface QueryError {
  column: number;
  length: number;
  code: QueryErrorCode;
  message: string;
  params?: QueryErrorParams;
}

export type ParseResult = { ok: true; definition: Node } | { ok: false; errors: QueryError[] };
/** `path` is a JSON Pointer to the node that has no text form ('' = the root). */
export type PrintResult = { ok: true; text: string } | { ok: false; reason: string; path: string };

export const SEGMENT_LIMITS = { maxDepth: 6, maxConditions: 100, maxGroupChildren: 50 } as const;
/** Longer texts are rejected before parsing. */
export const MAX_QUERY_LENGTH = 20_000;
/** Parentheses nested deeper than this are rejected (the tree could not be valid anyway). */
export const MAX_PAREN_NESTING = 16;
const MAX_ERRORS = 20;
const MAX_DAYS = 3650;
const DAY_MS = 86_400_000;

// ─────────────── Fields ───────────────

type Kind = 'text' | 'select' | 'number' | 'date' | 'boolean' | 'tags';

interface FieldInfo {
  field: FieldName;
  kind: Kind;
  /** The name the printer writes. */
  display: string;
}

/** The contract's operators per type, from the validator: one list for parser and validator. */
const OPS_BY_KIND: Record<Kind, readonly FieldOp[]> = {
  text: OPS_BY_TYPE.text,
  select: OPS_BY_TYPE.select,
  number: OPS_BY_TYPE.number,
  date: OPS_BY_TYPE.date,
  boolean: OPS_BY_TYPE.boolean,
  tags: OPS_BY_TYPE.tags,
};

/** field, kind, then aliases (the first alias is the canonical spelling). */
const BUILT_INS: ReadonlyArray<readonly [BuiltInField, Kind, ...string[]]> = [
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
  ['location_id', 'select', 'location'],
  ['lifetime_value', 'number', 'ltv'],
  ['risk_score', 'number', 'risk'],
  ['created_at', 'date', 'created'],
  ['last_activity_at', 'date', 'active', 'last_activity'],
  ['last_contacted_at', 'date', 'contacted', 'last_contacted'],
  ['tags', 'tags', 'tag'],
  ['consent.email', 'boolean'],
  ['consent.sms', 'boolean'],
  ['consent.whatsapp', 'boolean'],
  ['consent.push', 'boolean'],
];

const FIELD_BY_NAME = new Map<string, FieldInfo>();
const FIELD_BY_FIELD = new Map<string, FieldInfo>();
for (const [field, kind, ...aliases] of BUILT_INS) {
  const info: FieldInfo = { field, kind, display: aliases[0] ?? field };
  FIELD_BY_FIELD.set(field, info);
  FIELD_BY_NAME.set(field, info);
  for (const alias of aliases) FIELD_BY_NAME.set(alias, info);
}

const ENGAGEMENT_KINDS: readonly EngagementKind[] = ['sent', 'delivered', 'opened', 'clicked', 'failed'];
const CHANNELS: readonly EngagementChannel[] = ['email', 'sms', 'whatsapp'];
const CONSENT_CHANNELS = ['email', 'sms', 'whatsapp', 'push'] as const;

/** Bare words that never name a custom field (write `custom.<key>` for a custom field with such a key). */
const RESERVED = new Set<string>([
  ...FIELD_BY_NAME.keys(),
  ...ENGAGEMENT_KINDS,
  'consent',
  'custom',
  'has',
  'no',
  'or',
  'and',
  'not',
]);

function kindOfCustom(type: string): Kind | null {
  switch (type) {
    case 'text':
    case 'url':
    case 'email':
    case 'phone':
      return 'text';
    case 'select':
      return 'select';
    case 'multi_select':
      return 'tags';
    case 'number':
      return 'number';
    case 'date':
      return 'date';
    case 'boolean':
      return 'boolean';
    default:
      return null;
  }
}

// ─────────────── Lexical helpers ───────────────

const WS_RE = /\s/;
const isWs = (ch: string | undefined): boolean => ch !== undefined && WS_RE.test(ch);
/** A field, alias, keyword, event (`booking.count`) or engagement name. */
const NAME_RE = /[\p{L}_][\p{L}\p{M}\p{N}_.-]*/uy;
const NUMBER_RE = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const DURATION_RE = /^(\d+)([dwmy])$/i;
const DATE_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:[Zz]|[+-](\d{2}):?(\d{2}))?)?$/;
const DATE_ONLY_RE = /^\d{4}-\d{2}-\d{2}$/;
const EVENT_TYPE_RE = /^[a-z][a-z0-9_]{0,39}$/;
const CUSTOM_KEY_RE = /^[a-z][a-z0-9_]{0,62}$/;

/** Index of the quote closing the one at `open`, or -1. Backslash escapes the next character. */
function quoteEnd(s: string, open: number): number {
  for (let i = open + 1; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\') i++;
    else if (ch === '"') return i;
  }
  return -1;
}

const unescapeQuoted = (body: string): string => body.replace(/\\(.)/gsu, '$1');
const quote = (s: string): string => `"${s.replace(/["\\]/g, '\\$&')}"`;

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}…` : s;
}

/** Optimal string alignment distance (Levenshtein with adjacent transpositions). */
function distance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const prev = rows[i - 1]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

function closest(word: string, candidates: Iterable<string>): string | null {
  if (word.length === 0 || word.length > 64) return null;
  // One- and two-letter words are too short for a useful guess.
  if (word.length <= 2) return null;
  const limit = word.length <= 4 ? 1 : word.length <= 7 ? 2 : 3;
  let best: string | null = null;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    if (Math.abs(c.length - word.length) > limit) continue;
    const d = distance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

const didYouMean = (s: string | null): string => (s ? `; did you mean '${s}'?` : '');
/** `params` with the "did you mean" name when there is one (a translation adds its own sentence for it). */
const withSuggestion = (params: QueryErrorParams, suggestion: string | null): QueryErrorParams =>
  suggestion ? { ...params, suggestion } : params;

function isValidDate(text: string): boolean {
  const m = DATE_RE.exec(text);
  if (!m) return false;
  const [, y, mo, d, h, mi, sec, oh, om] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  if (day > new Date(Date.UTC(2000, month, 0)).getUTCDate()) return false;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return false;
  if (h !== undefined && (Number(h) > 23 || Number(mi) > 59 || (sec !== undefined && Number(sec) > 59)))
    return false;
  if (oh !== undefined && (Number(oh) > 23 || Number(om) > 59)) return false;
  return true;
}

/** Days between `now` and the same day `months` calendar months earlier (UTC; clamped to month end). */
function daysInMonthsBack(now: Date, months: number): number {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  const target = m - months;
  const ty = y + Math.floor(target / 12);
  const tm = ((target % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(ty, tm + 1, 0)).getUTCDate();
  return Math.round((Date.UTC(y, m, d) - Date.UTC(ty, tm, Math.min(d, lastDay))) / DAY_MS);
}

type OpSym = ':' | '=' | '!=' | '<' | '<=' | '>' | '>=';

interface OpTok {
  sym: OpSym;
  start: number;
  end: number;
}

interface Span {
  start: number;
  end: number;
}

type Piece =
  | { t: 'text'; text: string; quoted: boolean; start: number; end: number }
  | { t: 'sym'; ch: string; start: number; end: number };

interface Item {
  pieces: Piece[];
  start: number;
  end: number;
}

interface Args {
  days?: number;
  location?: string;
  channel?: EngagementChannel;
  campaign?: string;
  properties?: Record<string, EventPropertyValue>;
}

const COMPARE: Record<OpSym, CompareOp> = {
  ':': 'eq',
  '=': 'eq',
  '!=': 'neq',
  '<': 'lt',
  '<=': 'lte',
  '>': 'gt',
  '>=': 'gte',
};
const isMatch = (op: OpTok): boolean => op.sym === ':' || op.sym === '=';

/** Marks an argument of `(…)` invalid; without a code the error was already reported. */
type BadArgument = (
  start: number,
  end: number,
  code?: QueryErrorCode,
  message?: string,
  params?: QueryErrorParams,
) => undefined;

interface Ctx {
  custom: ReadonlyMap<string, Kind>;
  now: Date;
}

// ─────────────── Parser ───────────────

class Parser {
  pos = 0;
  readonly errors: QueryError[] = [];
  /** Where each produced node came from, for limit errors. */
  readonly spans = new WeakMap<object, Span>();
  private stopped = false;
  private candidates: string[] | null = null;

  constructor(
    private readonly src: string,
    private readonly ctx: Ctx,
  ) {}

  fail(start: number, end: number, code: QueryErrorCode, message: string, params?: QueryErrorParams): null {
    if (this.stopped) return null;
    this.errors.push({
      column: start + 1,
      length: Math.max(1, end - start),
      code,
      message,
      ...(params ? { params } : {}),
    });
    if (this.errors.length >= MAX_ERRORS) {
      this.stopped = true;
      this.pos = this.src.length;
    }
    return null;
  }

  private mark<T extends object>(node: T, start: number, end: number): T {
    this.spans.set(node, { start, end });
    return node;
  }

  private get done(): boolean {
    return this.stopped || this.pos >= this.src.length;
  }

  private skipWs(): void {
    while (this.pos < this.src.length && isWs(this.src[this.pos])) this.pos++;
  }

  private atBoundary(i: number): boolean {
    const ch = this.src[i];
    return ch === undefined || ch === '(' || ch === ')' || isWs(ch);
  }

  private keyword(word: 'or' | 'and' | 'not'): Span | null {
    const end = this.pos + word.length;
    if (this.src.slice(this.pos, end).toLowerCase() !== word || !this.atBoundary(end)) return null;
    return { start: this.pos, end };
  }

  /** At the end of an and-group: end of input, ')' or OR. */
  private atGroupEnd(): boolean {
    return this.done || this.src[this.pos] === ')' || this.keyword('or') !== null;
  }

  parse(): Node | null {
    let node = this.parseOr(0);
    for (;;) {
      this.skipWs();
      if (this.done) break;
      // parseOr only stops early at a ')' that closes nothing.
      this.fail(this.pos, this.pos + 1, 'unmatched_close_paren', "unmatched ')'");
      this.pos++;
      const more = this.parseOr(0);
      if (more) node = node ? { all: [node, more] } : more;
    }
    return node;
  }

  private parseOr(depth: number): Node | null {
    const parts: Node[] = [];
    const first = this.parseAnd(depth);
    if (first.node) parts.push(first.node);
    let previousHadTerm = first.saw;
    let danglingReported = false;
    for (;;) {
      this.skipWs();
      if (this.stopped) break;
      const or = this.keyword('or');
      if (!or) break;
      if (!previousHadTerm && !danglingReported)
        this.fail(or.start, or.end, 'or_needs_term_before', 'OR needs a term before it');
      this.pos = or.end;
      const next = this.parseAnd(depth);
      danglingReported = !next.saw;
      if (!next.saw) this.fail(or.start, or.end, 'or_needs_term_after', 'OR needs a term after it');
      if (next.node) parts.push(next.node);
      previousHadTerm = next.saw;
    }
    if (parts.length <= 1) return parts[0] ?? null;
    return this.mark({ any: parts }, this.spans.get(parts[0]!)!.start, this.spans.get(parts.at(-1)!)!.end);
  }

  private parseAnd(depth: number): { node: Node | null; saw: boolean } {
    const terms: Node[] = [];
    let saw = false;
    for (;;) {
      this.skipWs();
      if (this.atGroupEnd()) break;
      const and = this.keyword('and');
      if (and) {
        this.pos = and.end;
        if (!saw) this.fail(and.start, and.end, 'and_needs_term_before', 'AND needs a term before it');
        this.skipWs();
        if (this.atGroupEnd() || this.keyword('and'))
          this.fail(and.start, and.end, 'and_needs_term_after', 'AND needs a term after it');
        continue;
      }
      saw = true;
      const term = this.parseUnary(depth);
      if (term) terms.push(term);
    }
    if (terms.length <= 1) return { node: terms[0] ?? null, saw };
    const start = this.spans.get(terms[0]!)!.start;
    return { node: this.mark({ all: terms }, start, this.spans.get(terms.at(-1)!)!.end), saw };
  }

  private parseUnary(depth: number): Node | null {
    const negations: number[] = [];
    for (;;) {
      if (this.src[this.pos] === '-') {
        const after = this.src[this.pos + 1];
        if (after === undefined || after === ')' || isWs(after)) {
          this.fail(
            this.pos,
            this.pos + 1,
            'minus_needs_term',
            "'-' must be written right before a term, without a space: -tag:vip",
          );
          this.pos++;
          this.skipWs();
          if (this.atGroupEnd() || this.keyword('and')) return null;
          continue;
        }
        negations.push(this.pos++);
        continue;
      }
      const not = this.keyword('not');
      if (not) {
        negations.push(not.start);
        this.pos = not.end;
        this.skipWs();
        if (this.atGroupEnd() || this.keyword('and'))
          return this.fail(not.start, not.end, 'not_needs_term_after', 'NOT needs a term after it');
        continue;
      }
      break;
    }
    let node = this.parsePrimary(depth);
    if (!node) return null;
    if (negations.length > SEGMENT_LIMITS.maxDepth - 1) {
      const first = negations[0]!;
      return this.fail(
        first,
        negations.at(-1)! + 1,
        'too_many_negations',
        `too many negations in a row (${negations.length})`,
        { count: negations.length, max: SEGMENT_LIMITS.maxDepth - 1 },
      );
    }
    const end = this.spans.get(node)!.end;
    for (let i = negations.length - 1; i >= 0; i--) node = this.mark({ not: node }, negations[i]!, end);
    return node;
  }

  private parsePrimary(depth: number): Node | null {
    const start = this.pos;
    if (this.src[start] !== '(') return this.parseCondition();
    if (depth >= MAX_PAREN_NESTING) {
      this.fail(
        start,
        start + 1,
        'parentheses_too_deep',
        `parentheses nested too deeply (at most ${MAX_PAREN_NESTING} levels)`,
        { max: MAX_PAREN_NESTING },
      );
      this.skipBalanced(start);
      return null;
    }
    this.pos++;
    const errorsBefore = this.errors.length;
    const inner = this.parseOr(depth + 1);
    this.skipWs();
    if (this.src[this.pos] === ')') {
      this.pos++;
      if (!inner && this.errors.length === errorsBefore)
        this.fail(start, this.pos, 'empty_parentheses', 'empty parentheses');
    } else if (!this.stopped) {
      this.fail(start, start + 1, 'unclosed_paren', "unclosed '(': add a ')'");
    }
    return inner ? this.mark(inner, start, this.pos) : null;
  }

  /** Skips from the '(' at `open` past its matching ')' (or to the end), iteratively. */
  private skipBalanced(open: number): void {
    let level = 0;
    for (let i = open; i < this.src.length; i++) {
      const ch = this.src[i];
      if (ch === '"') {
        const close = quoteEnd(this.src, i);
        if (close < 0) break;
        i = close;
      } else if (ch === '(') level++;
      else if (ch === ')' && --level === 0) {
        this.pos = i + 1;
        return;
      }
    }
    // Unclosed: nothing after this point can be trusted, and the enclosing '(' are unclosed too.
    this.pos = this.src.length;
    this.stopped = true;
  }

  /** Reads a value up to whitespace or an unquoted parenthesis; quoted parts may hold anything. */
  private readRaw(): Span & { broken: boolean } {
    const start = this.pos;
    let i = start;
    while (i < this.src.length) {
      const ch = this.src[i];
      if (ch === '"') {
        const close = quoteEnd(this.src, i);
        if (close < 0) {
          this.fail(i, this.src.length, 'unterminated_quote', 'unterminated quote: add a closing "');
          this.pos = this.src.length;
          return { start, end: i, broken: true };
        }
        i = close + 1;
        continue;
      }
      if (ch === '(' || ch === ')' || isWs(ch)) break;
      i++;
    }
    this.pos = i;
    return { start, end: i, broken: false };
  }

  private readOperator(): OpTok | null {
    const start = this.pos;
    const two = this.src.slice(start, start + 2);
    if (two === '>=' || two === '<=' || two === '!=') {
      this.pos += 2;
      return { sym: two, start, end: start + 2 };
    }
    const one = this.src[start];
    if (one === ':' || one === '=' || one === '<' || one === '>') {
      this.pos += 1;
      return { sym: one, start, end: start + 1 };
    }
    return null;
  }

  /** Splits src[start, end) into text (bare or quoted) and the given one-character symbols. */
  private pieces(start: number, end: number, symbols: string): Piece[] {
    const out: Piece[] = [];
    let buf = '';
    let bufStart = start;
    let i = start;
    const flush = () => {
      if (buf) out.push({ t: 'text', text: buf, quoted: false, start: bufStart, end: i });
      buf = '';
    };
    while (i < end) {
      const ch = this.src[i]!;
      if (ch === '"') {
        flush();
        const close = quoteEnd(this.src, i);
        const stop = close < 0 || close >= end ? end : close + 1;
        out.push({
          t: 'text',
          text: unescapeQuoted(this.src.slice(i + 1, stop - 1)),
          quoted: true,
          start: i,
          end: stop,
        });
        i = stop;
        continue;
      }
      if (symbols.includes(ch)) {
        flush();
        out.push({ t: 'sym', ch, start: i, end: i + 1 });
        i++;
        continue;
      }
      if (!buf) bufStart = i;
      buf += ch;
      i++;
    }
    flush();
    return out;
  }

  /** Splits pieces at separator symbols; reports empty items. */
  private items(pieces: Piece[], separators: string, raw: Span): { items: Item[]; seps: string[] } | null {
    const items: Item[] = [];
    const seps: string[] = [];
    let current: Piece[] = [];
    let ok = true;
    const close = (sep: Piece | null) => {
      if (current.length === 0) {
        ok = false;
        if (sep) {
          const separator = this.src[sep.start]!;
          this.fail(sep.start, sep.end, 'empty_value_before_separator', `empty value before '${separator}'`, {
            separator,
          });
        } else
          this.fail(raw.end - 1, raw.end, 'list_ends_with_separator', 'a list cannot end with a separator');
      } else {
        items.push({ pieces: current, start: current[0]!.start, end: current.at(-1)!.end });
      }
      current = [];
    };
    for (const piece of pieces) {
      if (piece.t === 'sym' && separators.includes(piece.ch)) {
        close(piece);
        seps.push(piece.ch);
      } else current.push(piece);
    }
    close(null);
    return ok ? { items, seps } : null;
  }

  private suggestField(word: string): string | null {
    if (!this.candidates) {
      const custom = [...this.ctx.custom.keys()].map((k) => (RESERVED.has(k) ? `custom.${k}` : k));
      this.candidates = [...FIELD_BY_NAME.keys(), ...ENGAGEMENT_KINDS, 'consent', ...custom];
    }
    return closest(word.toLowerCase(), this.candidates);
  }

  // ── Conditions

  private parseCondition(): Node | null {
    const start = this.pos;
    NAME_RE.lastIndex = start;
    const m = NAME_RE.exec(this.src);
    if (!m) {
      const raw = this.readRaw();
      const end = Math.max(raw.end, start + 1);
      this.pos = Math.max(this.pos, end);
      const text = this.src.slice(start, end);
      if (this.src[start] === '"')
        return this.fail(
          start,
          end,
          'quoted_value_alone',
          'a quoted value must follow a field and an operator, e.g. name:"Ana María"',
        );
      return this.fail(
        start,
        end,
        'not_a_condition',
        `unexpected '${clip(text)}': conditions look like field:value, e.g. city:Madrid`,
        { text: clip(text) },
      );
    }
    const name = m[0];
    const lower = name.toLowerCase();
    const nameEnd = start + name.length;
    this.pos = nameEnd;
    const next = this.src[nameEnd];

    if ((lower === 'has' || lower === 'no') && next === ':')
      return this.parsePresence(start, lower === 'has');
    if ((ENGAGEMENT_KINDS as readonly string[]).includes(lower)) {
      if (this.atBoundary(nameEnd) || next === '(')
        return this.parseEngagement(start, lower as EngagementKind, 'has');
      this.readRaw();
      return this.fail(
        start,
        this.pos,
        'engagement_syntax',
        `'${lower}' is an engagement condition: write ${lower} or ${lower}(30d)`,
        { name: lower },
      );
    }
    const parts = lower.split('.');
    const measure = parts.at(-1);
    if (
      parts.length >= 2 &&
      (measure === 'count' || measure === 'sum') &&
      parts[0] !== 'custom' &&
      parts[0] !== 'consent'
    )
      return this.parseEvent(start, nameEnd, parts.slice(0, -1).join('.'), measure);
    if (lower === 'consent') return this.parseConsent(start);

    const op = this.readOperator();
    if (!op) return this.missingOperator(name, lower, start, nameEnd);
    const field = this.resolveField(name, start, nameEnd, op);
    const raw = this.readRaw();
    if (!field || raw.broken) return null;
    if (raw.start === raw.end) {
      if (this.spacedValue(start, op)) return null;
      const written = this.src.slice(start, op.end);
      if (field.kind === 'tags')
        return this.fail(start, op.end, 'missing_tag', `missing value after '${written}'`, { text: written });
      return this.fail(
        start,
        op.end,
        'missing_value',
        `missing value after '${written}' (for any value / no value write has:${field.display} / no:${field.display})`,
        { text: written, field: field.display },
      );
    }
    let node: FieldCond | null;
    switch (field.kind) {
      case 'text':
      case 'select':
        node = this.textValue(field, op, raw);
        break;
      case 'tags':
        node = this.tagsValue(field, op, raw);
        break;
      case 'number':
        node = this.numberValue(field, op, raw);
        break;
      case 'date':
        node = this.dateValue(field, op, raw);
        break;
      case 'boolean':
        node = this.booleanValue(field, op, raw);
        break;
    }
    return node ? this.mark(node, start, raw.end) : null;
  }

  private missingOperator(name: string, lower: string, start: number, nameEnd: number): null {
    if (this.spacedOperator(start, nameEnd, lower)) return null;
    const known = FIELD_BY_NAME.get(lower) ?? null;
    if (this.src[nameEnd] === '(') {
      // `opend(30d)`: a misspelt engagement or event; skip its parentheses with it.
      this.skipBalanced(nameEnd);
      const suggestion = this.suggestField(lower);
      return this.fail(
        start,
        nameEnd,
        'unknown_condition',
        `unknown condition '${clip(name)}'${didYouMean(suggestion)}`,
        withSuggestion({ name: clip(name) }, suggestion),
      );
    }
    this.readRaw();
    if (known) {
      const d = known.display;
      const example: Record<Kind, string> = {
        text: `${d}:value`,
        select: `${d}:value`,
        number: `${d}>100`,
        date: `${d}<30d`,
        boolean: `${d}:true`,
        tags: `${d}:vip`,
      };
      return this.fail(
        start,
        nameEnd,
        'missing_operator',
        `'${clip(name)}' needs an operator and a value, e.g. ${example[known.kind]}`,
        { name: clip(name), example: example[known.kind] },
      );
    }
    const suggestion = this.suggestField(lower);
    if (suggestion)
      return this.fail(
        start,
        nameEnd,
        'unknown_field',
        `unknown field '${clip(name)}'${didYouMean(suggestion)}`,
        withSuggestion({ name: clip(name) }, suggestion),
      );
    const text = clip(this.src.slice(start, this.pos));
    return this.fail(
      start,
      this.pos,
      'not_a_condition',
      `'${text}' is not a condition: conditions look like field:value, e.g. city:Madrid`,
      { text },
    );
  }

  /** `ltv > 500`, `booking.count >= 3`: one error for an operator written between spaces. */
  private spacedOperator(start: number, from: number, label: string): boolean {
    let j = from;
    while (isWs(this.src[j])) j++;
    if (j === from || !/[:=<>!]/.test(this.src[j] ?? '')) return false;
    this.pos = j;
    const sym = this.readOperator()?.sym ?? this.src[this.pos++];
    this.skipWs();
    const raw = this.readRaw();
    const fix = `${clip(label)}${sym}${clip(this.src.slice(raw.start, raw.end))}`;
    this.fail(start, raw.end, 'spaces_around_operator', `remove the spaces: write ${fix}`, { fix });
    return true;
  }

  /** `city: Madrid`: a value separated from its operator by spaces (but not a next condition). */
  private spacedValue(start: number, op: OpTok): boolean {
    let j = this.pos;
    while (isWs(this.src[j])) j++;
    const ch = this.src[j];
    if (j === this.pos || ch === undefined || ch === '(' || ch === ')' || ch === '-') return false;
    const rest = this.src.slice(j, j + 200);
    if (/^(?:or|and|not)(?:[\s()]|$)/i.test(rest) || /^[\p{L}_][\p{L}\p{M}\p{N}_.-]*[:=<>!(]/u.test(rest))
      return false;
    this.pos = j;
    const raw = this.readRaw();
    const label = this.src.slice(start, op.end);
    const fix = `${label}${clip(this.src.slice(raw.start, raw.end))}`;
    this.fail(start, raw.end, 'space_after_operator', `remove the space after '${label}': write ${fix}`, {
      text: label,
      fix,
    });
    return true;
  }

  private resolveField(name: string, start: number, end: number, op?: OpTok): FieldInfo | null {
    const lower = name.toLowerCase();
    if (lower.startsWith('custom.')) {
      const key = lower.slice('custom.'.length);
      const kind = this.ctx.custom.get(key);
      if (kind) return { field: `custom.${key}`, kind, display: `custom.${key}` };
      const closestKey = closest(key, this.ctx.custom.keys());
      const suggestion = closestKey && `custom.${closestKey}`;
      return this.fail(
        start,
        end,
        'unknown_custom_field',
        `unknown custom field '${clip(key)}'${didYouMean(suggestion)}`,
        withSuggestion({ key: clip(key) }, suggestion),
      );
    }
    const builtIn = FIELD_BY_NAME.get(lower);
    if (builtIn) return builtIn;
    if (!RESERVED.has(lower)) {
      const kind = this.ctx.custom.get(lower);
      if (kind) return { field: `custom.${lower}`, kind, display: `custom.${lower}` };
    }
    if (lower === 'custom')
      return this.fail(
        start,
        end,
        'custom_needs_key',
        'custom fields are written custom.<key>, e.g. custom.size:M',
      );
    const suggestion = this.suggestField(lower);
    if (!suggestion && op && !isMatch(op) && EVENT_TYPE_RE.test(lower))
      return this.fail(
        start,
        end,
        'unknown_field_maybe_event',
        `unknown field '${clip(name)}' (for events write ${lower}.count>0)`,
        { name: clip(name), example: `${lower}.count>0` },
      );
    return this.fail(
      start,
      end,
      'unknown_field',
      `unknown field '${clip(name)}'${didYouMean(suggestion)}`,
      withSuggestion({ name: clip(name) }, suggestion),
    );
  }

  private fieldCond(field: FieldInfo, op: FieldOp, value?: FieldValue): FieldCond {
    return value === undefined ? { field: field.field, op } : { field: field.field, op, value };
  }

  private noComparison(field: FieldInfo, op: OpTok): null {
    const kind = field.kind === 'tags' ? 'tag' : field.kind;
    return this.fail(
      op.start,
      op.end,
      'comparison_not_for_field',
      `'${op.sym}' compares numbers and dates; ${field.display} is a ${kind} field, use ':'`,
      { op: op.sym, field: field.display, kind },
    );
  }

  private textOf(item: Item): string {
    let s = '';
    for (const p of item.pieces) s += p.t === 'text' ? p.text : p.ch;
    return s;
  }

  private textValue(field: FieldInfo, op: OpTok, raw: Span): FieldCond | null {
    if (op.sym !== ':' && op.sym !== '=' && op.sym !== '!=') return this.noComparison(field, op);
    const split = this.items(this.pieces(raw.start, raw.end, ',*'), ',', raw);
    if (!split) return null;
    const negated = op.sym === '!=';
    const d = field.display;
    if (split.items.length === 1) {
      const item = split.items[0]!;
      const { pieces } = item;
      const lead = pieces[0]?.t === 'sym';
      const trail = pieces.length > 1 && pieces.at(-1)?.t === 'sym';
      const inner = pieces.slice(lead ? 1 : 0, trail ? -1 : undefined);
      const stray = inner.find((p) => p.t === 'sym');
      if (stray)
        return this.fail(
          stray.start,
          stray.end,
          'wildcard_misplaced',
          "'*' only goes at the start or end of a value (quote a literal *)",
        );
      const text = inner.map((p) => (p.t === 'text' ? p.text : '')).join('');
      if (text === '') {
        if (lead || trail)
          return this.fail(
            item.start,
            item.end,
            'wildcard_alone',
            `'*' alone matches any value: write has:${d}`,
            { field: d },
          );
        return this.fail(
          item.start,
          item.end,
          'empty_value',
          `empty value: to find clients without a ${d} write no:${d}`,
          { field: d },
        );
      }
      if ((lead || trail) && field.kind === 'select')
        return this.fail(
          item.start,
          item.end,
          'wildcard_not_supported',
          `${d} is a select field: wildcards (*) are not supported`,
          { field: d },
        );
      if (lead && trail) return this.fieldCond(field, negated ? 'not_contains' : 'contains', text);
      if (lead || trail) {
        if (negated) {
          const kind = lead ? 'end' : 'start';
          const fix = `-${d}:${clip(this.src.slice(raw.start, raw.end))}`;
          return this.fail(
            op.start,
            op.end,
            'negation_needs_minus',
            `there is no "does not ${kind} with": write ${fix}`,
            { fix },
          );
        }
        return this.fieldCond(field, lead ? 'ends_with' : 'starts_with', text);
      }
      return this.fieldCond(field, negated ? 'neq' : 'eq', text);
    }
    const values: string[] = [];
    for (const item of split.items) {
      const star = item.pieces.find((p) => p.t === 'sym');
      if (star)
        return this.fail(star.start, star.end, 'wildcard_in_list', "wildcards (*) can't be used in a list");
      const text = this.textOf(item);
      if (text === '') return this.fail(item.start, item.end, 'empty_list_value', 'empty value in the list');
      values.push(text);
    }
    return this.fieldCond(field, negated ? 'not_in' : 'in', values);
  }

  private tagsValue(field: FieldInfo, op: OpTok, raw: Span): FieldCond | null {
    if (op.sym !== ':' && op.sym !== '=' && op.sym !== '!=') return this.noComparison(field, op);
    const pieces = this.pieces(raw.start, raw.end, ',+*');
    const star = pieces.find((p) => p.t === 'sym' && p.ch === '*');
    if (star)
      return this.fail(
        star.start,
        star.end,
        'wildcard_not_supported',
        `${field.display} does not support wildcards (quote a literal *)`,
        { field: field.display },
      );
    const split = this.items(pieces, ',+', raw);
    if (!split) return null;
    const negated = op.sym === '!=';
    const values: string[] = [];
    for (const item of split.items) {
      const text = this.textOf(item);
      if (text === '') return this.fail(item.start, item.end, 'empty_list_value', 'empty value');
      values.push(text);
    }
    const seps = new Set(split.seps);
    if (seps.size > 1) {
      const plus = pieces.find((p) => p.t === 'sym' && p.ch === '+')!;
      return this.fail(
        plus.start,
        plus.end,
        'mixed_separators',
        `can't mix ',' (any of) and '+' (all of) in one term: write two terms, e.g. ${field.display}:a+b ${field.display}:c,d`,
        { field: field.display },
      );
    }
    const [first] = values;
    if (values.length === 1) return this.fieldCond(field, negated ? 'has_not' : 'has', first);
    if (seps.has('+')) {
      if (negated) {
        const fix = `-${field.display}:${values.join('+')}`;
        return this.fail(
          op.start,
          op.end,
          'negation_needs_minus',
          `there is no "has not all of": write ${fix}`,
          {
            fix,
          },
        );
      }
      return this.fieldCond(field, 'has_all', values);
    }
    return this.fieldCond(field, negated ? 'has_none' : 'has_any', values);
  }

  private plainValue(raw: Span, what: 'numbers' | 'dates'): string | null {
    const text = this.src.slice(raw.start, raw.end);
    const q = text.indexOf('"');
    if (q >= 0)
      return this.fail(
        raw.start + q,
        raw.end,
        what === 'numbers' ? 'number_quoted' : 'date_quoted',
        `${what} are written without quotes`,
      );
    return text;
  }

  private number(text: string, start: number): number | null {
    if (!NUMBER_RE.test(text)) {
      const params = { text: clip(text) };
      if (/^-?\d+,\d+$/.test(text))
        return this.fail(
          start,
          start + text.length,
          'decimal_comma',
          `'${clip(text)}' is not a number (use a dot for decimals)`,
          params,
        );
      return this.fail(start, start + text.length, 'not_a_number', `'${clip(text)}' is not a number`, params);
    }
    const n = Number(text);
    if (!Number.isFinite(n))
      return this.fail(start, start + text.length, 'number_too_large', `'${clip(text)}' is too large`, {
        text: clip(text),
      });
    return n;
  }

  /** A range written high to low (numbers or dates): refused, with the same range the right way round. */
  private reversedRange(raw: Span, d: string, lo: number | string, hi: number | string): null {
    return this.fail(raw.start, raw.end, 'range_reversed', `the range is reversed: write ${d}:${hi}..${lo}`, {
      fix: `${d}:${hi}..${lo}`,
    });
  }

  private numberValue(field: FieldInfo, op: OpTok, raw: Span): FieldCond | null {
    const text = this.plainValue(raw, 'numbers');
    if (text === null) return null;
    const d = field.display;
    const range = text.indexOf('..');
    if (range >= 0) {
      if (!isMatch(op))
        return this.fail(
          op.start,
          raw.end,
          'range_needs_colon',
          `a range goes after ':', e.g. ${d}:100..500 (for "not between" write -${d}:…)`,
          { example: `${d}:100..500` },
        );
      const lo = this.number(text.slice(0, range), raw.start);
      const hi = this.number(text.slice(range + 2), raw.start + range + 2);
      if (lo === null || hi === null) return null;
      if (lo > hi) return this.reversedRange(raw, d, lo, hi);
      return this.fieldCond(field, 'between', [lo, hi]);
    }
    if (text.includes(',') && !/^-?\d+,\d+$/.test(text))
      return this.fail(
        raw.start,
        raw.end,
        'number_list',
        `number fields take one value or a range (${d}:100..500), not a list`,
        { example: `${d}:100..500` },
      );
    const n = this.number(text, raw.start);
    if (n === null) return null;
    return this.fieldCond(field, COMPARE[op.sym], n);
  }

  /** A duration (`30d`, `2w`, `3m`, `1y`) in days, checked against 1..3650. */
  private duration(text: string, start: number): number | null {
    const m = DURATION_RE.exec(text);
    if (!m) return null;
    const n = Number(m[1]);
    const unit = m[2]!.toLowerCase();
    let days = Number.POSITIVE_INFINITY;
    if (n <= 100_000) {
      if (unit === 'd') days = n;
      else if (unit === 'w') days = n * 7;
      else days = daysInMonthsBack(this.ctx.now, unit === 'm' ? n : n * 12);
    }
    if (!(days >= 1 && days <= MAX_DAYS)) {
      this.fail(
        start,
        start + text.length,
        'duration_out_of_range',
        `'${clip(text)}' must be between 1 and ${MAX_DAYS} days`,
        { text: clip(text), min: 1, max: MAX_DAYS },
      );
      return Number.NaN;
    }
    return days;
  }

  private date(text: string, start: number): string | null {
    if (isValidDate(text)) return text;
    return this.fail(
      start,
      start + text.length,
      'not_a_date',
      `'${clip(text)}' is not a valid date: use YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM], or a duration such as 30d`,
      { text: clip(text) },
    );
  }

  private dateValue(field: FieldInfo, op: OpTok, raw: Span): FieldCond | null {
    const text = this.plainValue(raw, 'dates');
    if (text === null) return null;
    const d = field.display;
    if (op.sym === '<=' || op.sym === '>=')
      return this.fail(
        op.start,
        op.end,
        'date_strict_comparison',
        `dates compare strictly: use '${op.sym[0]}' or a range, e.g. ${d}:2025-01-01..2025-03-31`,
        { op: op.sym[0]!, example: `${d}:2025-01-01..2025-03-31` },
      );
    if (op.sym === '!=')
      return this.fail(
        op.start,
        op.end,
        'negation_needs_minus',
        `'!=' does not apply to dates: write -${d}:${clip(text)}`,
        { fix: `-${d}:${clip(text)}` },
      );
    const range = text.indexOf('..');
    if (op.sym === '<' || op.sym === '>') {
      if (range >= 0)
        return this.fail(
          op.start,
          raw.end,
          'range_needs_colon',
          `a range goes after ':', e.g. ${d}:2025-01-01..2025-03-31`,
          { example: `${d}:2025-01-01..2025-03-31` },
        );
      const days = this.duration(text, raw.start);
      if (days !== null) {
        if (Number.isNaN(days)) return null;
        return this.fieldCond(field, op.sym === '<' ? 'within_last_days' : 'more_than_days_ago', days);
      }
      const date = this.date(text, raw.start);
      return date === null ? null : this.fieldCond(field, op.sym === '<' ? 'before' : 'after', date);
    }
    if (range >= 0) {
      const a = text.slice(0, range);
      const b = text.slice(range + 2);
      const lo = this.date(a, raw.start);
      const hi = this.date(b, raw.start + range + 2);
      if (lo === null || hi === null) return null;
      if (DATE_ONLY_RE.test(lo) && DATE_ONLY_RE.test(hi) && lo > hi)
        return this.reversedRange(raw, d, lo, hi);
      return this.fieldCond(field, 'between', [lo, hi]);
    }
    if (DURATION_RE.test(text))
      return this.fail(
        raw.start,
        raw.end,
        'duration_needs_comparison',
        `write ${d}<${text} (within the last ${text}) or ${d}>${text} (more than ${text} ago)`,
        { field: d, text },
      );
    if (!DATE_ONLY_RE.test(text) && isValidDate(text))
      return this.fail(
        raw.start,
        raw.end,
        'datetime_needs_comparison',
        `a single date-time is an instant: use ${d}<…, ${d}>… or a range`,
        { field: d },
      );
    const date = this.date(text, raw.start);
    return date === null ? null : this.fieldCond(field, 'between', [date, date]);
  }

  private booleanValue(field: FieldInfo, op: OpTok, raw: Span): FieldCond | null {
    const text = this.src.slice(raw.start, raw.end).toLowerCase();
    if (!isMatch(op)) {
      return this.fail(
        op.start,
        op.end,
        'yes_no_field',
        `${field.display} is a yes/no field: write ${field.display}:true or ${field.display}:false`,
        { field: field.display },
      );
    }
    if (text !== 'true' && text !== 'false')
      return this.fail(
        raw.start,
        raw.end,
        'yes_no_field',
        `${field.display} is a yes/no field: its value is true or false`,
        { field: field.display },
      );
    return this.fieldCond(field, 'is', text === 'true');
  }

  private parseConsent(start: number): Node | null {
    const op = this.readOperator();
    const raw = this.readRaw();
    if (raw.broken) return null;
    if (!op || !isMatch(op))
      return this.fail(
        start,
        this.pos,
        'consent_syntax',
        'write consent:whatsapp (has consent) or -consent:whatsapp (has not)',
      );
    const text = this.src.slice(raw.start, raw.end).toLowerCase();
    if (text.includes(','))
      return this.fail(
        raw.start,
        raw.end,
        'consent_one_channel',
        'one channel per term: consent:whatsapp consent:email',
      );
    if (!(CONSENT_CHANNELS as readonly string[]).includes(text)) {
      const suggestion = closest(text, CONSENT_CHANNELS);
      return this.fail(
        raw.start,
        Math.max(raw.end, raw.start + 1),
        'unknown_consent_channel',
        `unknown consent channel '${clip(text)}' (email, sms, whatsapp, push)${didYouMean(suggestion)}`,
        withSuggestion({ channel: clip(text), allowed: CONSENT_CHANNELS.join(', ') }, suggestion),
      );
    }
    const node: FieldCond = { field: `consent.${text}` as ConsentField, op: 'is', value: true };
    return this.mark(node, start, raw.end);
  }

  /** `has:field` / `no:field`, and `no:opened(30d)` for engagement. The position is at the ':'. */
  private parsePresence(start: number, positive: boolean): Node | null {
    this.pos++;
    const nameStart = this.pos;
    NAME_RE.lastIndex = nameStart;
    const m = NAME_RE.exec(this.src);
    const word = positive ? 'has' : 'no';
    if (!m) {
      this.readRaw();
      return this.fail(
        start,
        Math.max(this.pos, nameStart),
        'presence_needs_field',
        `${word}: needs a field name, e.g. ${word}:email`,
        { word },
      );
    }
    const lower = m[0].toLowerCase();
    const nameEnd = nameStart + m[0].length;
    this.pos = nameEnd;
    if (
      (ENGAGEMENT_KINDS as readonly string[]).includes(lower) &&
      (this.atBoundary(nameEnd) || this.src[nameEnd] === '(')
    )
      return this.parseEngagement(start, lower as EngagementKind, positive ? 'has' : 'has_not');
    const field = this.resolveField(m[0], nameStart, nameEnd);
    if (!this.atBoundary(this.pos)) {
      const from = this.pos;
      this.readRaw();
      const text = clip(this.src.slice(from, this.pos));
      return this.fail(from, this.pos, 'unexpected_after', `unexpected '${text}' after ${word}:${m[0]}`, {
        text,
        after: `${word}:${m[0]}`,
      });
    }
    if (!field) return null;
    if (field.kind === 'tags') {
      return this.fail(
        start,
        nameEnd,
        'presence_not_for_tags',
        `${field.display} has no "${word}:" form: use ${field.display}:name or -${field.display}:name`,
        { field: field.display, word },
      );
    }
    return this.mark(this.fieldCond(field, positive ? 'is_set' : 'is_not_set'), start, nameEnd);
  }

  private parseEngagement(start: number, kind: EngagementKind, op: 'has' | 'has_not'): Node | null {
    let args: Args = {};
    if (this.src[this.pos] === '(') {
      const parsed = this.parseArgs(false, kind);
      if (!parsed) return null;
      args = parsed;
    }
    if (!this.atBoundary(this.pos)) {
      const from = this.pos;
      this.readRaw();
      const text = clip(this.src.slice(from, this.pos));
      return this.fail(from, this.pos, 'unexpected_after', `unexpected '${text}' after ${kind}`, {
        text,
        after: kind,
      });
    }
    const node: EngagementCond = { engagement: kind, op };
    if (args.days !== undefined) node.within_days = args.days;
    if (args.channel !== undefined) node.channel = args.channel;
    if (args.campaign !== undefined) node.campaign_id = args.campaign;
    return this.mark(node, start, this.pos);
  }

  private parseEvent(start: number, nameEnd: number, type: string, measure: 'count' | 'sum'): Node | null {
    const label = clip(`${type}.${measure}`);
    let ok = true;
    if (!EVENT_TYPE_RE.test(type)) {
      ok = false;
      this.fail(
        start,
        nameEnd - measure.length - 1,
        'event_type_invalid',
        `'${clip(type)}' is not an event type (lowercase letters, digits, _)`,
        { text: clip(type) },
      );
    }
    let args: Args = {};
    if (this.src[this.pos] === '(') {
      const parsed = this.parseArgs(true, label);
      if (!parsed && this.done) return null;
      if (!parsed) ok = false;
      else args = parsed;
    }
    const op = this.readOperator();
    if (!op) {
      if (this.spacedOperator(start, this.pos, this.src.slice(start, this.pos))) return null;
      this.readRaw();
      return this.fail(
        start,
        this.pos,
        'event_needs_comparison',
        `${label} needs a comparison right after it, e.g. ${label}>=1`,
        { label },
      );
    }
    const raw = this.readRaw();
    if (raw.broken) return null;
    const text = this.plainValue(raw, 'numbers');
    if (text === null) return null;
    if (text === '') {
      const written = this.src.slice(start, op.end);
      return this.fail(start, op.end, 'missing_number', `missing number after '${written}'`, {
        text: written,
      });
    }
    if (text.includes('..'))
      return this.fail(
        raw.start,
        raw.end,
        'event_range',
        `events compare with one number: write ${label}>=1 ${label}<=5`,
        { label },
      );
    const value = this.number(text, raw.start);
    if (value === null || !ok) return null;
    const node: EventCond = { event: type, measure, op: COMPARE[op.sym], value };
    if (args.days !== undefined) node.within_days = args.days;
    if (args.location !== undefined) node.location_id = args.location;
    if (args.properties !== undefined) node.properties = args.properties;
    return this.mark(node, start, raw.end);
  }

  /** `(30d, email, campaign:ID)` for engagement, `(180d, @location, key:value)` for events. */
  private parseArgs(forEvent: boolean, label: string): Args | null {
    const open = this.pos;
    // Without a closing ')' the rest of the query would be read as arguments: one error, and stop.
    for (let i = open + 1; ; i++) {
      const ch = this.src[i];
      if (ch === ')') break;
      if (ch === '"') {
        const close = quoteEnd(this.src, i);
        if (close >= 0) {
          i = close;
          continue;
        }
      }
      if (ch === undefined || ch === '"') {
        this.fail(open, open + 1, 'unclosed_arguments', `unclosed '(' after ${label}: add a ')'`, { label });
        this.pos = this.src.length;
        return null;
      }
    }
    this.pos++;
    const args: Args = {};
    let ok = true;
    let count = 0;
    const bad: BadArgument = (start, end, code, message, params) => {
      ok = false;
      if (code) this.fail(start, end, code, message ?? '', params);
    };
    const usage = forEvent
      ? `${label}(…) takes a period (180d), @location and property:value`
      : `${label}(…) takes a period (30d), a channel (email, sms, whatsapp) and campaign:<id>`;
    for (;;) {
      this.skipWs();
      if (this.stopped) return null;
      const ch = this.src[this.pos];
      if (ch === undefined) {
        this.fail(open, open + 1, 'unclosed_arguments', `unclosed '(' after ${label}: add a ')'`, { label });
        return null;
      }
      if (ch === ')') {
        this.pos++;
        break;
      }
      if (ch === ',') {
        bad(this.pos, this.pos + 1, 'empty_argument', 'empty argument');
        this.pos++;
        continue;
      }
      if (ch === '(') {
        bad(this.pos, this.pos + 1, 'unexpected_paren_in_arguments', `unexpected '(' inside ${label}(…)`, {
          label,
        });
        this.pos++;
        continue;
      }
      // One argument: up to whitespace, ',' or a parenthesis, outside quotes.
      const start = this.pos;
      let i = start;
      while (i < this.src.length) {
        const c = this.src[i];
        if (c === '"') {
          const close = quoteEnd(this.src, i);
          if (close < 0) {
            this.fail(i, this.src.length, 'unterminated_quote', 'unterminated quote: add a closing "');
            this.pos = this.src.length;
            return null;
          }
          i = close + 1;
          continue;
        }
        if (c === ',' || c === '(' || c === ')' || isWs(c)) break;
        i++;
      }
      this.pos = i;
      count++;
      this.argument(start, i, forEvent, args, bad, usage, label);
      this.skipWs();
      if (this.src[this.pos] === ',') this.pos++;
    }
    if (count === 0)
      bad(open, this.pos, 'empty_arguments', `empty parentheses: write ${label} without them`, { label });
    return ok ? args : null;
  }

  private argument(
    start: number,
    end: number,
    forEvent: boolean,
    args: Args,
    bad: BadArgument,
    usage: string,
    label: string,
  ): undefined {
    const text = this.src.slice(start, end);
    const duplicate = (what: 'period' | 'location' | 'channel' | 'campaign') =>
      bad(start, end, 'duplicate_argument', `the ${what} is given twice`, { argument: what });
    if (DURATION_RE.test(text)) {
      if (args.days !== undefined) return duplicate('period');
      const days = this.duration(text, start);
      // duration() has reported why (NaN); no code marks the argument bad without a second error.
      if (days === null || Number.isNaN(days)) return bad(start, end);
      args.days = days;
      return;
    }
    if (text.startsWith('@')) {
      if (!forEvent)
        return bad(start, end, 'location_not_for_engagement', `@location is for events only; ${usage}`, {
          label,
        });
      if (args.location !== undefined) return duplicate('location');
      const value = this.pieces(start + 1, end, '')
        .map((p) => (p.t === 'text' ? p.text : ''))
        .join('');
      if (!value) return bad(start, end, 'empty_location', 'empty location after @');
      args.location = value;
      return;
    }
    const pieces = this.pieces(start, end, ':');
    const colon = pieces.findIndex((p) => p.t === 'sym');
    if (colon < 0) {
      const lower = text.toLowerCase();
      if (!forEvent && (CHANNELS as readonly string[]).includes(lower)) {
        if (args.channel !== undefined) return duplicate('channel');
        args.channel = lower as EngagementChannel;
        return;
      }
      const suggestion = forEvent ? null : closest(lower, CHANNELS);
      return bad(
        start,
        end,
        forEvent ? 'unknown_event_argument' : 'unknown_engagement_argument',
        `unknown argument '${clip(text)}'${didYouMean(suggestion)}: ${usage}`,
        withSuggestion({ text: clip(text), label }, suggestion),
      );
    }
    const join = (ps: Piece[]) => ps.map((p) => (p.t === 'text' ? p.text : p.ch)).join('');
    const key = join(pieces.slice(0, colon));
    const valuePieces = pieces.slice(colon + 1);
    const value = join(valuePieces);
    if (!key) return bad(start, end, 'argument_missing_name', 'missing name before ":"');
    const quotedOnly = valuePieces.length === 1 && valuePieces[0]!.t === 'text' && valuePieces[0]!.quoted;
    if (!value && !(forEvent && quotedOnly))
      return bad(start, end, 'argument_missing_value', `missing value after '${clip(key)}:'`, {
        name: clip(key),
      });
    if (!forEvent) {
      if (key.toLowerCase() !== 'campaign')
        return bad(start, end, 'unknown_engagement_argument', `unknown argument '${clip(key)}': ${usage}`, {
          text: clip(key),
          label,
        });
      if (args.campaign !== undefined) return duplicate('campaign');
      args.campaign = value;
      return;
    }
    if (key === '__proto__')
      return bad(start, end, 'property_name_reserved', `'${key}' cannot be a property name`, { name: key });
    args.properties ??= {};
    if (Object.hasOwn(args.properties, key))
      return bad(start, end, 'duplicate_property', `property '${clip(key)}' is given twice`, {
        name: clip(key),
      });
    let typed: EventPropertyValue = value;
    if (!quotedOnly) {
      const lower = value.toLowerCase();
      if (lower === 'true' || lower === 'false') typed = lower === 'true';
      else if (NUMBER_RE.test(value) && Number.isFinite(Number(value))) typed = Number(value);
    }
    args.properties[key] = typed;
  }

  // ── Limits of the contract, checked on the finished tree

  checkLimits(root: Node): void {
    let conditions = 0;
    const walk = (node: Node, level: number): void => {
      if (this.stopped) return;
      const span = this.spans.get(node) ?? { start: 0, end: this.src.length };
      if (level > SEGMENT_LIMITS.maxDepth) {
        this.fail(
          span.start,
          span.end,
          'too_deep',
          `nested too deeply: a segment has at most ${SEGMENT_LIMITS.maxDepth} levels (groups, negations and the condition itself each count)`,
          { max: SEGMENT_LIMITS.maxDepth },
        );
        return;
      }
      if ('all' in node || 'any' in node) {
        const children = 'all' in node ? node.all : node.any;
        const extra = children[SEGMENT_LIMITS.maxGroupChildren];
        if (extra) {
          const at = this.spans.get(extra) ?? span;
          this.fail(
            at.start,
            at.end,
            'too_many_terms',
            `more than ${SEGMENT_LIMITS.maxGroupChildren} terms in one group: put some of them in parentheses`,
            { max: SEGMENT_LIMITS.maxGroupChildren },
          );
        }
        for (const child of children) walk(child, level + 1);
        return;
      }
      if ('not' in node) {
        walk(node.not, level + 1);
        return;
      }
      conditions++;
      if (conditions === SEGMENT_LIMITS.maxConditions + 1)
        this.fail(
          span.start,
          span.end,
          'too_many_conditions',
          `too many conditions: a segment has at most ${SEGMENT_LIMITS.maxConditions}`,
          { max: SEGMENT_LIMITS.maxConditions },
        );
    };
    walk(root, 1);
  }
}

function contextOf(options: ParseOptions | undefined): Ctx {
  const custom = new Map<string, Kind>();
  const list = Array.isArray(options?.customFields) ? options.customFields : [];
  for (const f of list) {
    if (!f || typeof f.key !== 'string') continue;
    const kind = kindOfCustom(f.type);
    if (kind) custom.set(f.key.toLowerCase(), kind);
  }
  const now = options?.now instanceof Date && !Number.isNaN(options.now.getTime()) ? options.now : new Date();
  return { custom, now };
}

/**
 * Parses the one-line query syntax into a segment condition tree. An empty query is `{ "all": [] }`
 * (every client). On failure, every error the parser could find (up to 20), in column order.
 */
export function parseSegmentQuery(text: string, options: ParseOptions): ParseResult {
  if (typeof text !== 'string')
    return {
      ok: false,
      errors: [{ column: 1, length: 1, code: 'not_text', message: 'the query must be text' }],
    };
  if (text.length > MAX_QUERY_LENGTH) {
    return {
      ok: false,
      errors: [
        {
          column: MAX_QUERY_LENGTH + 1,
          length: text.length - MAX_QUERY_LENGTH,
          code: 'query_too_long',
          message: `the query is too long: ${text.length} characters, at most ${MAX_QUERY_LENGTH}`,
          params: { length: text.length, max: MAX_QUERY_LENGTH },
        },
      ],
    };
  }
  const parser = new Parser(text, contextOf(options));
  const node = parser.parse();
  if (node) parser.checkLimits(node);
  if (parser.errors.length) {
    const errors = [...parser.errors].sort((a, b) => a.column - b.column);
    return { ok: false, errors };
  }
  return { ok: true, definition: node ?? { all: [] } };
}

// ─────────────── Printer ───────────────

class PrintFailure {
  constructor(
    readonly path: string,
    readonly message: string,
  ) {}
}

function refuse(path: string, message: string): never {
  throw new PrintFailure(path, message);
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep equality of JSON-like values; numbers by Object.is; keys holding undefined are ignored. */
function sameTree(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b);
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameTree(x, b[i]));
  }
  if (!isRecord(a) || !isRecord(b)) return false;
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameTree(a[k], b[k]));
}

function formatNumber(n: unknown, path: string): string {
  if (typeof n !== 'number' || !Number.isFinite(n))
    refuse(path, `${JSON.stringify(n) ?? String(n)} is not a finite number`);
  return Object.is(n, -0) ? '-0' : String(n);
}

const TEXT_UNSAFE = /[\s"(),*]/;
const TAG_UNSAFE = /[\s"(),*+]/;
const ARG_UNSAFE = /[\s"(),]/;
const KEY_UNSAFE = /[\s"(),:]|^@/;

function bare(s: string, unsafe: RegExp): string {
  return s === '' || unsafe.test(s) ? quote(s) : s;
}

const SYMBOL: Record<CompareOp, string> = { eq: '=', neq: '!=', lt: '<', lte: '<=', gt: '>', gte: '>=' };
const FIXED_NOW = new Date(Date.UTC(2000, 0, 1));

/** The custom field type a condition implies (for reading its text back), or null when any would do. */
function impliedKind(op: string, value: unknown): Kind | null {
  switch (op) {
    case 'has':
    case 'has_not':
    case 'has_any':
    case 'has_all':
    case 'has_none':
      return 'tags';
    case 'is':
      return 'boolean';
    case 'before':
    case 'after':
    case 'within_last_days':
    case 'more_than_days_ago':
      return 'date';
    case 'between':
      return Array.isArray(value) && typeof value[0] === 'string' ? 'date' : 'number';
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      return 'number';
    case 'eq':
    case 'neq':
      return typeof value === 'number' ? 'number' : 'text';
    case 'is_set':
    case 'is_not_set':
      return null;
    default:
      return 'text';
  }
}

class Printer {
  private conditions = 0;
  /** Custom key → implied kind (and where it was first seen). */
  readonly custom = new Map<string, { kind: Kind | null; path: string }>();

  customFields(): CustomFieldInfo[] {
    const type: Record<Kind, CustomFieldType> = {
      text: 'text',
      select: 'select',
      number: 'number',
      date: 'date',
      boolean: 'boolean',
      tags: 'multi_select',
    };
    return [...this.custom].map(([key, v]) => ({ key, type: type[v.kind ?? 'text'] }));
  }

  node(node: unknown, path: string, level: number): string {
    if (level > SEGMENT_LIMITS.maxDepth)
      refuse(
        path,
        `deeper than ${SEGMENT_LIMITS.maxDepth} levels (groups, negations and conditions each count)`,
      );
    if (!isRecord(node)) refuse(path, 'not a segment node (expected an object)');
    const keys = Object.keys(node);
    for (const kind of ['all', 'any'] as const) {
      if (!(kind in node)) continue;
      if (keys.length !== 1) refuse(path, `a group must have only the '${kind}' key`);
      return this.group(kind, node[kind], path, level);
    }
    if ('not' in node) {
      if (keys.length !== 1) refuse(path, "a negation must have only the 'not' key");
      const child = node.not;
      const text = this.node(child, `${path}/not`, level + 1);
      return isRecord(child) && ('all' in child || 'any' in child) ? `-(${text})` : `-${text}`;
    }
    this.conditions++;
    if (this.conditions > SEGMENT_LIMITS.maxConditions)
      refuse(path, `more than ${SEGMENT_LIMITS.maxConditions} conditions in the tree`);
    let text: string;
    if ('field' in node) text = this.field(node, path);
    else if ('event' in node) text = this.event(node, path);
    else if ('engagement' in node) text = this.engagement(node, path);
    else refuse(path, 'not a segment node (no all, any, not, field, event or engagement)');
    this.check(text, node, path);
    return text;
  }

  /** Reads a condition's text back: the text form must give exactly the same condition. */
  private check(text: string, node: Record<string, unknown>, path: string): void {
    const back = parseSegmentQuery(text, { customFields: this.customFields(), now: FIXED_NOW });
    if (!back.ok) refuse(path, `its text '${clip(text)}' is not valid: ${back.errors[0]?.message}`);
    if (!sameTree(back.definition, node))
      refuse(
        path,
        `has no exact text form ('${clip(text)}' reads back as ${clip(JSON.stringify(back.definition))})`,
      );
  }

  private group(kind: 'all' | 'any', children: unknown, path: string, level: number): string {
    if (!Array.isArray(children)) refuse(path, `'${kind}' must be a list`);
    if (children.length === 0) {
      if (kind === 'all' && level === 1) return '';
      refuse(
        path,
        kind === 'all'
          ? "an empty 'all' (every client) has a text form only as the whole segment: the empty query"
          : "an empty 'any' is invalid",
      );
    }
    if (children.length === 1)
      refuse(
        path,
        `a group with one child has no text form: it means its child (simplifySegment removes it)`,
      );
    if (children.length > SEGMENT_LIMITS.maxGroupChildren)
      refuse(path, `more than ${SEGMENT_LIMITS.maxGroupChildren} children in one group`);
    const parts = children.map((child: unknown, i: number) => {
      const text = this.node(child, `${path}/${kind}/${i}`, level + 1);
      const childKind = isRecord(child) ? ('all' in child ? 'all' : 'any' in child ? 'any' : null) : null;
      const paren = kind === 'all' ? childKind !== null : childKind === 'any';
      return paren ? `(${text})` : text;
    });
    return parts.join(kind === 'all' ? ' ' : ' OR ');
  }

  private field(node: Record<string, unknown>, path: string): string {
    const { field, op, value } = node;
    if (typeof field !== 'string') refuse(path, "'field' must be a string");
    if (typeof op !== 'string') refuse(path, "'op' must be a string");
    let info: FieldInfo;
    if (field.startsWith('custom.')) {
      const key = field.slice('custom.'.length);
      if (!CUSTOM_KEY_RE.test(key)) refuse(path, `custom field key '${clip(key)}' has no text form`);
      const kind = impliedKind(op, value);
      const seen = this.custom.get(key);
      if (seen?.kind && kind && seen.kind !== kind)
        refuse(
          path,
          `custom.${key} is used as a ${kind} field here and as a ${seen.kind} field at ${seen.path || '/'}`,
        );
      if (!seen || !seen.kind) this.custom.set(key, { kind, path });
      info = { field: field as CustomFieldName, kind: kind ?? 'text', display: `custom.${key}` };
    } else {
      const builtIn = FIELD_BY_FIELD.get(field);
      if (!builtIn) refuse(path, `unknown field '${clip(field)}'`);
      info = builtIn;
    }
    if (!(OPS_BY_KIND[info.kind] as readonly string[]).includes(op))
      refuse(
        path,
        `operator '${clip(op)}' is not valid for ${info.kind === 'tags' ? 'a tags' : `a ${info.kind}`} field`,
      );
    const d = info.display;
    if (op === 'is_set') return `has:${d}`;
    if (op === 'is_not_set') return `no:${d}`;
    const unsafe = info.kind === 'tags' ? TAG_UNSAFE : TEXT_UNSAFE;
    const str = (v: unknown): string => {
      if (typeof v !== 'string') refuse(path, `the value of '${op}' must be a string`);
      return bare(v, unsafe);
    };
    const list = (v: unknown, sep: string, single: string): string => {
      if (!Array.isArray(v)) refuse(path, `the value of '${op}' must be a list`);
      if (v.length === 0) refuse(path, `'${op}' with an empty list has no text form`);
      if (v.length === 1)
        refuse(
          path,
          `'${op}' with one value has no text form: it means '${single}' (simplifySegment rewrites it)`,
        );
      return v.map(str).join(sep);
    };
    switch (op) {
      case 'eq':
      case 'neq':
        if (info.kind === 'number') return `${d}${SYMBOL[op]}${formatNumber(value, path)}`;
        return `${d}${op === 'eq' ? ':' : '!='}${str(value)}`;
      case 'in':
        return `${d}:${list(value, ',', 'eq')}`;
      case 'not_in':
        return `${d}!=${list(value, ',', 'neq')}`;
      case 'contains':
        return `${d}:*${str(value)}*`;
      case 'not_contains':
        return `${d}!=*${str(value)}*`;
      case 'starts_with':
        return `${d}:${str(value)}*`;
      case 'ends_with':
        return `${d}:*${str(value)}`;
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte':
        return `${d}${SYMBOL[op]}${formatNumber(value, path)}`;
      case 'between': {
        if (!Array.isArray(value) || value.length !== 2) refuse(path, "'between' takes [min, max]");
        const [lo, hi] = value as unknown[];
        if (info.kind === 'number') return `${d}:${formatNumber(lo, path)}..${formatNumber(hi, path)}`;
        if (typeof lo !== 'string' || typeof hi !== 'string') refuse(path, "'between' dates must be strings");
        return lo === hi && DATE_ONLY_RE.test(lo) ? `${d}:${lo}` : `${d}:${lo}..${hi}`;
      }
      case 'before':
      case 'after':
        if (typeof value !== 'string') refuse(path, `the value of '${op}' must be a date string`);
        return `${d}${op === 'before' ? '<' : '>'}${value}`;
      case 'within_last_days':
      case 'more_than_days_ago':
        return `${d}${op === 'within_last_days' ? '<' : '>'}${formatNumber(value, path)}d`;
      case 'is':
        if (typeof value !== 'boolean') refuse(path, "the value of 'is' must be true or false");
        if (value && field.startsWith('consent.')) return `consent:${field.slice('consent.'.length)}`;
        return `${d}:${value}`;
      case 'has':
        return `${d}:${str(value)}`;
      case 'has_not':
        return `${d}!=${str(value)}`;
      case 'has_any':
        return `${d}:${list(value, ',', 'has')}`;
      case 'has_all':
        return `${d}:${list(value, '+', 'has')}`;
      case 'has_none':
        return `${d}!=${list(value, ',', 'has_not')}`;
      default:
        return refuse(path, `unknown operator '${clip(op)}'`);
    }
  }

  private event(node: Record<string, unknown>, path: string): string {
    const { event, measure, op, value, within_days, location_id, properties } = node;
    if (typeof event !== 'string' || !EVENT_TYPE_RE.test(event))
      refuse(
        path,
        `event type ${clip(JSON.stringify(event) ?? '')} has no text form (lowercase letters, digits, _)`,
      );
    if (event === 'custom' || event === 'consent')
      refuse(path, `event type '${event}' has no text form (custom. and consent. name fields)`);
    if (measure !== 'count' && measure !== 'sum') refuse(path, "'measure' must be count or sum");
    if (typeof op !== 'string' || !Object.hasOwn(SYMBOL, op))
      refuse(path, `unknown operator ${clip(String(op))}`);
    const args: string[] = [];
    if (within_days !== undefined) args.push(`${formatNumber(within_days, path)}d`);
    if (location_id !== undefined) {
      if (typeof location_id !== 'string') refuse(path, "'location_id' must be a string");
      args.push(`@${bare(location_id, ARG_UNSAFE)}`);
    }
    if (properties !== undefined) {
      if (!isRecord(properties)) refuse(path, "'properties' must be an object");
      const entries = Object.entries(properties);
      if (entries.length === 0) refuse(path, "empty 'properties' have no text form (leave the key out)");
      for (const [key, v] of entries) {
        let text: string;
        if (typeof v === 'string') {
          const looksTyped = /^(true|false)$/i.test(v) || NUMBER_RE.test(v);
          text = looksTyped ? quote(v) : bare(v, ARG_UNSAFE);
        } else if (typeof v === 'boolean') text = String(v);
        else text = formatNumber(v, path);
        args.push(`${bare(key, KEY_UNSAFE)}:${text}`);
      }
    }
    const argText = args.length ? `(${args.join(',')})` : '';
    return `${event}.${measure}${argText}${SYMBOL[op as CompareOp]}${formatNumber(value, path)}`;
  }

  private engagement(node: Record<string, unknown>, path: string): string {
    const { engagement, op, within_days, channel, campaign_id } = node;
    if (typeof engagement !== 'string' || !(ENGAGEMENT_KINDS as readonly string[]).includes(engagement))
      refuse(path, `unknown engagement ${clip(JSON.stringify(engagement) ?? '')}`);
    if (op !== 'has' && op !== 'has_not') refuse(path, "engagement 'op' must be has or has_not");
    const args: string[] = [];
    if (within_days !== undefined) args.push(`${formatNumber(within_days, path)}d`);
    if (channel !== undefined) {
      if (typeof channel !== 'string' || !(CHANNELS as readonly string[]).includes(channel))
        refuse(path, `unknown channel ${clip(JSON.stringify(channel) ?? '')}`);
      args.push(channel);
    }
    if (campaign_id !== undefined) {
      if (typeof campaign_id !== 'string') refuse(path, "'campaign_id' must be a string");
      args.push(`campaign:${bare(campaign_id, ARG_UNSAFE)}`);
    }
    const argText = args.length ? `(${args.join(',')})` : '';
    return `${op === 'has_not' ? 'no:' : ''}${engagement}${argText}`;
  }
}

/**
 * Writes a tree in the canonical text form. Fails, naming the node (JSON Pointer), for trees the
 * syntax cannot express exactly: one-child groups, one-value lists, a nested empty `all`, trees over
 * the contract's limits, values the parser would refuse, unknown fields or operators.
 * Custom fields are printed as `custom.<key>`; their type is implied by the operator and value.
 */
export function printSegmentQuery(definition: Node): PrintResult {
  const printer = new Printer();
  let text: string;
  try {
    text = printer.node(definition, '', 1);
  } catch (e) {
    if (!(e instanceof PrintFailure)) throw e;
    return { ok: false, path: e.path, reason: `${e.path || '(root)'}: ${e.message}` };
  }
  // The whole text reads back as the whole tree (every condition was already checked on its own).
  const back = parseSegmentQuery(text, { customFields: printer.customFields(), now: FIXED_NOW });
  if (!back.ok)
    return { ok: false, path: '', reason: `(root): the text form is not valid: ${back.errors[0]?.message}` };
  if (!sameTree(back.definition, definition))
    return { ok: false, path: '', reason: '(root): the tree has no exact text form' };
  return { ok: true, text };
}

/**
 * Rewrites a tree into an equivalent one that prints where the original may not: one-child groups
 * become their child, one-value lists become the single-value operator (in [x] → eq x, has_any [x] →
 * has x, …), empty `all` children of an `all` are dropped. Matches exactly the same clients.
 */
export function simplifySegment(node: Node): Node {
  const single: Partial<Record<string, FieldOp>> = {
    in: 'eq',
    not_in: 'neq',
    has_any: 'has',
    has_all: 'has',
    has_none: 'has_not',
  };
  const isEmptyAll = (c: unknown) => isRecord(c) && Array.isArray(c.all) && c.all.length === 0;
  const walk = (n: unknown, level: number): unknown => {
    if (level > 64 || !isRecord(n)) return n;
    if (Array.isArray(n.all)) {
      const children = n.all.map((c) => walk(c, level + 1)).filter((c) => !isEmptyAll(c));
      return children.length === 1 ? children[0] : { all: children };
    }
    if (Array.isArray(n.any)) {
      const children = n.any.map((c) => walk(c, level + 1));
      if (children.some(isEmptyAll)) return { all: [] };
      return children.length === 1 ? children[0] : { any: children };
    }
    if ('not' in n) return { not: walk(n.not, level + 1) };
    const op = typeof n.op === 'string' ? single[n.op] : undefined;
    if ('field' in n && op && Array.isArray(n.value) && n.value.length === 1)
      return { ...n, op, value: n.value[0] };
    return n;
  };
  return walk(node, 1) as Node;
}
