import { type SQL, sql } from 'drizzle-orm';
import { tagKey } from '../tags/tags.service.ts';
import { keptEventClients, type WantedWindow, windowKey } from './event-windows.ts';
import {
  type CompareOp,
  type CustomFieldInfo,
  type DateValue,
  type EngagementCond,
  type EventCond,
  type FieldCond,
  isAll,
  isAny,
  isEngagement,
  isEvent,
  isField,
  isNot,
  MAX_DEPTH,
  type Node,
  parseDateValue,
  type ResolvedField,
  resolveField,
} from './segment-definition.ts';
import { engagementSources } from './segments.registry.ts';

/**
 * The segment compiler: a VALID tree (validateDefinition first) → ONE parameterized query over
 * `clients c`. User values only ever travel as parameters; column names, operators and SQL
 * functions come from the fixed tables below, never from the tree.
 *
 * Two-valued logic. Every condition compiles to a boolean expression that is never NULL:
 * a positive comparison is `(<value> is not null and <comparison>)` (or coalesce(…, false)), so an
 * unset value makes it false; the negative operators (neq, not_contains, not_in, has_not,
 * has_none, is_not_set) are `not (<positive>)`, so an unset value makes them true; `not` is
 * therefore the exact complement and groups are plain and/or.
 *
 * Sets. Tags and engagement become a derived table of client ids (one row per client) LEFT JOINed
 * once; the condition reads whether the client has a row, so it stays one hash join under `not`
 * and `or` however big the set. A positive tag condition among the WHERE's own conjuncts (only
 * `all` groups above it) is `c.id in (…)` instead, a semi-join there.
 *
 * Events. Each EventCond becomes a pre-aggregated derived table — the workspace's events of that
 * type (and window, location, properties) grouped by client — LEFT JOINed once on client id, and
 * the comparison reads `coalesce(e.v, 0)`: a client with no such event has count 0 and sum 0, so
 * `eq 0` and `lt` include them. One aggregate pass over the events instead of a subquery per
 * client. Where no `not` encloses the condition and 0 fails the comparison (`gte 3`, `gt 500`),
 * it reads `e.v` itself: a client without events gets NULL, which a WHERE treats as false there,
 * and the comparison being strict lets PostgreSQL turn the outer join into a join that starts
 * from the (filtered) aggregate. When the tree narrows the clients first — its root `all` holds a
 * positive equality on a text or select field or a positive tag condition, as "in Madrid, tagged
 * vip, with ≥ 3 bookings" — each EventCond is instead a correlated aggregate over the client's own
 * events (an index range per client, coalesced to 0), which PostgreSQL evaluates only for the
 * clients the cheaper conditions left, instead of aggregating every client's events
 * (bench/segments.ts: the example tree of SEGMENTS.md on 1M clients and 10M events). Its count
 * puts the root's other conditions behind a fence (narrowedCount), so those aggregates run only
 * for the clients they leave; and an event condition mixed with others under `not` or `any`
 * there, which no fence can defer, reads its kept window (below) when there is one.
 *
 * Kept windows. An event condition on a type and window the workspace keeps (event-windows.ts:
 * no location or property filter, `now` not before the window's T0) reads the kept per-client
 * values instead of aggregating the events: the set of clients whose value passes (or, where 0
 * passes, fails, negated), exact at `now`. A tree that is a single positive set condition (a tag,
 * or such a kept event condition) is counted from the set itself minus the few erased clients,
 * without visiting the live clients at all (`count`); its page is compiled apart (`page`), each
 * event condition as a correlated aggregate, since the newest 20 members are found after a few
 * clients and never need everyone's aggregate.
 *
 * Time. `now` is a parameter (the caller's clock), so one evaluation sees one instant. "n days"
 * is n × 24 hours. A date-only value is that day's start in the workspace time zone (PostgreSQL's
 * `timestamp at time zone`), and for `between`'s upper bound the whole day (before the next day's
 * start). A custom date field holds a calendar day and compares as that day's start.
 */

export interface CompileContext {
  workspaceId: string;
  /** The workspace's default time zone (IANA name). */
  timezone: string;
  now: Date;
  customFields: ReadonlyMap<string, CustomFieldInfo>;
  /** The workspace's kept event windows (event-windows.ts): key → T0. None: events are aggregated. */
  keptWindows?: ReadonlyMap<string, Date>;
  /** Archived clients match too (the client list's one-line filter in its Archived view); else they never do. */
  includeArchived?: boolean;
  /**
   * The workspace had no archived client when the environment was read: a count then has none to
   * subtract (see `live`). Absent: it may have some.
   */
  noArchivedClients?: boolean;
}

export interface CompiledSegment {
  /** `clients c` and the LEFT JOINs of event aggregates. */
  from: SQL;
  /** The workspace's live clients that match. */
  where: SQL;
  /** A cheaper query of the same count (`n`), when the tree allows one. */
  count?: SQL;
  /** The same members compiled for paging, when it differs. */
  page?: { from: SQL; where: SQL };
  /** Event windows the tree could read kept (to request or keep alive). */
  windows?: WantedWindow[];
}

const DAY_MS = 86_400_000;

function cutoff(now: Date, days: number): string {
  return new Date(now.getTime() - days * DAY_MS).toISOString();
}

function numeric(value: number): SQL {
  return sql`${String(value)}::numeric`;
}

/** A comparison of an event measure: integers stay integers, so a kept count column's index applies. */
function compareMeasure(cond: EventCond, value: SQL): SQL {
  const literal = Number.isInteger(cond.value) ? sql`${String(cond.value)}::int` : numeric(cond.value);
  return cond.op === 'neq'
    ? NOT(sql`(${value} = ${literal})`)
    : sql`(${value} ${COMPARE_SQL[cond.op]} ${literal})`;
}

/** The live clients among a set of client ids (one column, `client_id`, each client once). */
function countLive(workspaceId: string, set: SQL, noArchivedClients: boolean): SQL {
  const archived = noArchivedClients
    ? sql``
    : sql` and not exists (
    select 1 from clients x where x.workspace_id = ${workspaceId} and x.archived_at is not null and x.id = s.client_id)`;
  return sql`select count(*)::int as n from (${set}) s where not exists (
    select 1 from clients x where x.workspace_id = ${workspaceId} and x.erased_at is not null and x.id = s.client_id)${archived}`;
}

const NOT = (positive: SQL) => sql`(not ${positive})`;

// ---- field expressions -------------------------------------------------------------------------

const TEXT_COLUMNS = new Map<string, SQL>([
  ['first_name', sql`c.first_name`],
  ['last_name', sql`c.last_name`],
  ['name', sql`concat_ws(' ', nullif(c.first_name, ''), nullif(c.last_name, ''))`],
  ['email', sql`c.email`],
  ['phone', sql`c.phone`],
  ['city', sql`c.city`],
  ['country', sql`c.country`],
  ['locale', sql`c.locale`],
  ['source', sql`c.source`],
  ['external_id', sql`c.external_id`],
]);
const NUMBER_COLUMNS = new Map<string, SQL>([
  ['lifetime_value', sql`c.lifetime_value`],
  // The effective risk: a person's override wins over the computed score.
  ['risk_score', sql`coalesce(c.risk_override, c.risk_score)`],
]);
const DATE_COLUMNS = new Map<string, SQL>([
  ['created_at', sql`c.created_at`],
  ['last_activity_at', sql`c.last_activity_at`],
  ['last_contacted_at', sql`c.last_contacted_at`],
]);
const CONSENT_COLUMNS = new Map<string, SQL>([
  ['consent.email', sql`c.consent_email`],
  ['consent.sms', sql`c.consent_sms`],
  ['consent.whatsapp', sql`c.consent_whatsapp`],
  ['consent.push', sql`c.consent_push`],
]);

const customJson = (key: string) => sql`(c.custom -> ${key})`;
const customText = (key: string) => sql`(c.custom ->> ${key})`;

const COMPARE_SQL: Record<Exclude<CompareOp, 'neq'>, SQL> = {
  eq: sql`=`,
  lt: sql`<`,
  lte: sql`<=`,
  gt: sql`>`,
  gte: sql`>=`,
};

/** Equality-like conditions on a client's own values: what makes a tree "narrow the clients first". */
const NARROWING_OPS: Record<string, ReadonlySet<string>> = {
  text: new Set(['eq', 'in']),
  select: new Set(['eq', 'in']),
  tags: new Set(['has', 'has_any', 'has_all']),
};

/** Whether 0 (a client with no such events) satisfies the comparison. */
function zeroMatches(op: CompareOp, value: number): boolean {
  switch (op) {
    case 'eq':
      return value === 0;
    case 'neq':
      return value !== 0;
    case 'lt':
      return 0 < value;
    case 'lte':
      return 0 <= value;
    case 'gt':
      return 0 > value;
    case 'gte':
      return 0 >= value;
  }
}

/** A condition made of event conditions alone (with all / any / not): it reads only the client's id. */
function eventsOnly(node: Node): boolean {
  return (
    isEvent(node) ||
    (isAll(node) && node.all.length > 0 && node.all.every(eventsOnly)) ||
    (isAny(node) && node.any.length > 0 && node.any.every(eventsOnly)) ||
    (isNot(node) && eventsOnly(node.not))
  );
}

class Compiler {
  private joins: SQL[] = [];
  /** Events as correlated aggregates (the tree narrows the clients first), not joined aggregates. */
  private correlated = false;
  /**
   * While compiling a root conjunct that mixes events with other conditions (under `not` or
   * `any`, as "not (tagged Newsletter and no visit in 90 days)"), even when the tree narrows the
   * clients first: such a conjunct cannot be deferred behind the narrowing fence (narrowedCount),
   * so a correlated aggregate would run for every client the narrowing leaves (65,680 of them
   * for the `not` tree of bench/segments.ts); a kept window's set is one hash join instead.
   */
  private keptInMixed = false;
  /** Some event condition was compiled as a kept window's set (the page is then compiled apart). */
  private readKept = false;
  /** Event conditions on a type and window that could be kept (no location or property filter). */
  readonly windows: WantedWindow[] = [];
  constructor(
    private readonly ctx: CompileContext,
    private readonly forPage = false,
  ) {}

  /** A child of the root `all` that keeps only clients equal to a value (see the header). */
  private narrows(node: Node): boolean {
    if (!isField(node)) return false;
    const resolved = resolveField(node.field, this.ctx.customFields);
    return !('error' in resolved) && (NARROWING_OPS[resolved.type]?.has(node.op) ?? false);
  }

  /**
   * The workspace's live clients. For a count, archived ones (few) are an anti-join with their
   * partial index rather than `c.archived_at is null`, which no index on the live clients holds:
   * that test sent every count back to the table's rows (bench/segments.ts: the city count
   * 9 → 264 ms once migration 0023 added the column); the anti-join keeps the counts index-only.
   * Members and pages read the rows anyway and keep the plain test: with the anti-join in the
   * members' query the bulk archive job of clients.archive.test.ts timed out (30 s instead of 4;
   * the cause was not diagnosed).
   * A workspace without archived clients (most of them) needs no anti-join at all: even against an
   * empty hash, probing it cost the city count of 70,364 clients 3–5 ms of 15–20 (bench/segments.ts).
   * A client archived between that reading and the count is counted once, as if the count had run
   * a moment earlier; members and pages keep their plain test whatever the reading.
   */
  private live(forCount = false): SQL {
    const live = sql`c.workspace_id = ${this.ctx.workspaceId} and c.erased_at is null`;
    if (this.ctx.includeArchived || (forCount && this.ctx.noArchivedClients)) return live;
    return forCount
      ? sql`${live} and not exists (select 1 from clients xa where xa.workspace_id = ${this.ctx.workspaceId} and xa.archived_at is not null and xa.id = c.id)`
      : sql`${live} and c.archived_at is null`;
  }

  compile(node: Node): CompiledSegment {
    this.correlated = this.forPage || (isAll(node) && node.all.some((child) => this.narrows(child)));
    const predicate =
      this.correlated && !this.forPage && isAll(node) && node.all.length
        ? sql`(${sql.join(
            node.all.map((child) => {
              this.keptInMixed = !eventsOnly(child);
              const compiled = this.node(child, 2, true, true);
              this.keptInMixed = false;
              return compiled;
            }),
            sql` and `,
          )})`
        : this.node(node, 1, true, true);
    const compiled: CompiledSegment = {
      from: sql.join([sql`clients c`, ...this.joins], sql` `),
      where: sql`${this.live()} and ${predicate}`,
      windows: this.windows,
    };
    if (this.forPage) return compiled;
    const set = this.singleSet(node);
    if (set) compiled.count = countLive(this.ctx.workspaceId, set, this.ctx.noArchivedClients === true);
    else {
      const narrowed = this.correlated ? new Compiler(this.ctx).narrowedCount(node) : null;
      compiled.count =
        narrowed ??
        sql`select count(*)::int as n from ${compiled.from} where ${this.live(true)} and ${predicate}`;
    }
    if ((!this.correlated && this.windows.length) || this.readKept)
      compiled.page = new Compiler(this.ctx, true).compile(node);
    return compiled;
  }

  /**
   * The count of a tree whose root `all` narrows the clients first (see the header): the root's
   * conditions on the client's own values and tags are counted first, behind a fence (`offset 0`),
   * and only the clients they leave have their events aggregated. Without the fence PostgreSQL
   * pushes the per-client event aggregates into the first scan, before the tag join, and runs
   * them for every client of the city instead of the few thousand the tag leaves (bench/segments.ts,
   * the example of SEGMENTS.md: 34,560 aggregates instead of 6,110). Null when the root has no such
   * split (no condition made of events alone, or nothing else).
   */
  private narrowedCount(node: Node): SQL | null {
    if (!isAll(node)) return null;
    this.correlated = true;
    const later = node.all.filter(eventsOnly);
    const first = node.all.filter((child) => !eventsOnly(child));
    if (!later.length || !first.length) return null;
    this.keptInMixed = true;
    const narrowing = this.node({ all: first }, 1, true, true);
    this.keptInMixed = false;
    // Correlated event conditions read only `c.id`, which the fenced subquery keeps.
    const events = this.node({ all: later }, 1, true, true);
    return sql`select count(*)::int as n from (select c.id from ${sql.join([sql`clients c`, ...this.joins], sql` `)}
      where ${this.live(true)} and ${narrowing} offset 0) c where ${events}`;
  }

  /** The members as a set of client ids, when the tree is one positive tag or kept event condition. */
  private singleSet(node: Node): SQL | null {
    let single = node;
    while (isAll(single) && single.all.length === 1) single = single.all[0]!;
    if (isField(single) && single.field === 'tags' && ['has', 'has_any', 'has_all'].includes(single.op)) {
      const names = single.op === 'has' ? [single.value as string] : (single.value as string[]);
      return this.tagSet(names, single.op === 'has_all', true);
    }
    if (isEvent(single) && !zeroMatches(single.op, single.value)) {
      const kept = this.keptEvent(single);
      return kept ? kept((value) => compareMeasure(single, value)) : null;
    }
    return null;
  }

  /**
   * `positive`: no `not` encloses the node, so only whether it is true matters (a WHERE treats
   * NULL as false); under a `not` it must be exactly true or false.
   */
  private node(node: Node, depth: number, positive: boolean, top: boolean): SQL {
    if (depth > MAX_DEPTH) throw new Error('segment tree deeper than validated');
    if (isAll(node)) {
      if (node.all.length === 0) return sql`true`;
      return sql`(${sql.join(
        node.all.map((child) => this.node(child, depth + 1, positive, top)),
        sql` and `,
      )})`;
    }
    if (isAny(node)) {
      if (node.any.length === 0) return sql`false`;
      return sql`(${sql.join(
        node.any.map((child) => this.node(child, depth + 1, positive, false)),
        sql` or `,
      )})`;
    }
    if (isNot(node)) return NOT(this.node(node.not, depth + 1, !positive, false));
    if (isField(node)) return this.field(node, top);
    if (isEvent(node)) return this.event(node, positive, top);
    if (isEngagement(node)) return this.engagement(node);
    throw new Error('not a segment node');
  }

  // ---- fields ----

  /** `top`: the condition is one of the WHERE's own conjuncts (only `all` groups above it). */
  private field(cond: FieldCond, top: boolean): SQL {
    const resolved = resolveField(cond.field, this.ctx.customFields);
    if ('error' in resolved) throw new Error(resolved.error);
    switch (resolved.type) {
      case 'text':
        return this.text(cond, resolved);
      case 'number':
        return this.number(cond, resolved);
      case 'date':
        return this.date(cond, resolved);
      case 'boolean':
        return this.boolean(cond, resolved);
      case 'select':
        return this.select(cond, resolved);
      case 'multi_select':
        return this.multiSelect(cond, resolved);
      case 'tags':
        return this.tags(cond, top);
    }
  }

  private text(cond: FieldCond, field: ResolvedField): SQL {
    const col = field.custom ? customText(field.custom) : TEXT_COLUMNS.get(cond.field)!;
    const low = sql`lower(${col})`;
    const like = (pattern: string) => sql`(${col} is not null and ${low} like lower(${pattern}))`;
    const escapeLike = (v: string) => v.replace(/[\\%_]/g, (ch) => `\\${ch}`);
    const value = cond.value as string;
    const values = () => cond.value as string[];
    const isIn = () =>
      sql`(${col} is not null and ${low} in (${sql.join(
        values().map((v) => sql`lower(${v})`),
        sql`, `,
      )}))`;
    switch (cond.op) {
      case 'eq':
        return sql`(${col} is not null and ${low} = lower(${value}))`;
      case 'neq':
        return NOT(sql`(${col} is not null and ${low} = lower(${value}))`);
      case 'contains':
        return like(`%${escapeLike(value)}%`);
      case 'not_contains':
        return NOT(like(`%${escapeLike(value)}%`));
      case 'starts_with':
        return like(`${escapeLike(value)}%`);
      case 'ends_with':
        return like(`%${escapeLike(value)}`);
      case 'in':
        return isIn();
      case 'not_in':
        return NOT(isIn());
      case 'is_set':
        return sql`(${col} is not null and ${col} <> '')`;
      case 'is_not_set':
        return NOT(sql`(${col} is not null and ${col} <> '')`);
    }
    throw new Error(`operator ${cond.op} on text`);
  }

  private number(cond: FieldCond, field: ResolvedField): SQL {
    const col = field.custom
      ? sql`(case when jsonb_typeof(${customJson(field.custom)}) = 'number' then ${customText(field.custom)}::numeric end)`
      : NUMBER_COLUMNS.get(cond.field)!;
    switch (cond.op) {
      case 'eq':
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte':
        return sql`(${col} is not null and ${col} ${COMPARE_SQL[cond.op]} ${numeric(cond.value as number)})`;
      case 'neq':
        return NOT(sql`(${col} is not null and ${col} = ${numeric(cond.value as number)})`);
      case 'between': {
        const [min, max] = cond.value as [number, number];
        return sql`(${col} is not null and ${col} between ${numeric(min)} and ${numeric(max)})`;
      }
      case 'is_set':
        return sql`(${col} is not null)`;
      case 'is_not_set':
        return sql`(${col} is null)`;
    }
    throw new Error(`operator ${cond.op} on number`);
  }

  /** A day's start in the workspace time zone, or an instant. */
  private start(value: DateValue): SQL {
    return value.kind === 'day'
      ? sql`((${value.day})::date::timestamp at time zone ${this.ctx.timezone})`
      : sql`${value.at.toISOString()}::timestamptz`;
  }

  private date(cond: FieldCond, field: ResolvedField): SQL {
    const col = field.custom
      ? sql`(case when ${customText(field.custom)} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then (${customText(field.custom)})::date::timestamp at time zone ${this.ctx.timezone} end)`
      : DATE_COLUMNS.get(cond.field)!;
    const set = (comparison: SQL) => sql`(${col} is not null and ${comparison})`;
    const parse = (v: unknown) => parseDateValue(v)!;
    switch (cond.op) {
      case 'before':
        return set(sql`${col} < ${this.start(parse(cond.value))}`);
      case 'after':
        return set(sql`${col} > ${this.start(parse(cond.value))}`);
      case 'between': {
        const [from, to] = (cond.value as [string, string]).map(parse) as [DateValue, DateValue];
        const upper =
          to.kind === 'day'
            ? sql`${col} < (((${to.day})::date + 1)::timestamp at time zone ${this.ctx.timezone})`
            : sql`${col} <= ${to.at.toISOString()}::timestamptz`;
        return set(sql`${col} >= ${this.start(from)} and ${upper}`);
      }
      case 'within_last_days':
        return set(sql`${col} >= ${cutoff(this.ctx.now, cond.value as number)}::timestamptz`);
      case 'more_than_days_ago':
        return set(sql`${col} < ${cutoff(this.ctx.now, cond.value as number)}::timestamptz`);
      case 'is_set':
        return sql`(${col} is not null)`;
      case 'is_not_set':
        return sql`(${col} is null)`;
    }
    throw new Error(`operator ${cond.op} on date`);
  }

  private boolean(cond: FieldCond, field: ResolvedField): SQL {
    if (!field.custom) {
      // Consent is never unset: a client who never gave it has false.
      const col = CONSENT_COLUMNS.get(cond.field)!;
      if (cond.op === 'is') return sql`(${col} = ${cond.value === true})`;
      return cond.op === 'is_set' ? sql`true` : sql`false`;
    }
    const value = customJson(field.custom);
    const set = sql`coalesce(jsonb_typeof(${value}) = 'boolean', false)`;
    switch (cond.op) {
      case 'is':
        return sql`coalesce(${value} = ${cond.value === true ? 'true' : 'false'}::jsonb, false)`;
      case 'is_set':
        return set;
      case 'is_not_set':
        return NOT(set);
    }
    throw new Error(`operator ${cond.op} on boolean`);
  }

  private select(cond: FieldCond, field: ResolvedField): SQL {
    const isLocation = cond.field === 'location_id';
    const col = field.custom ? customText(field.custom) : isLocation ? sql`c.location_id` : sql`c.label`;
    const literal = (v: string) => (isLocation ? sql`${v}::uuid` : sql`${v}`);
    const isIn = (values: string[]) =>
      sql`(${col} is not null and ${col} in (${sql.join(values.map(literal), sql`, `)}))`;
    const set = isLocation ? sql`(${col} is not null)` : sql`(${col} is not null and ${col} <> '')`;
    switch (cond.op) {
      case 'eq':
        return isIn([cond.value as string]);
      case 'neq':
        return NOT(isIn([cond.value as string]));
      case 'in':
        return isIn(cond.value as string[]);
      case 'not_in':
        return NOT(isIn(cond.value as string[]));
      case 'is_set':
        return set;
      case 'is_not_set':
        return NOT(set);
    }
    throw new Error(`operator ${cond.op} on select`);
  }

  private multiSelect(cond: FieldCond, field: ResolvedField): SQL {
    const value = customJson(field.custom!);
    const contains = (values: string[]) => sql`coalesce(${value} @> ${JSON.stringify(values)}::jsonb, false)`;
    const any = (values: string[]) =>
      sql`coalesce(jsonb_typeof(${value}) = 'array' and jsonb_exists_any(${value}, ${sql.param(values)}::text[]), false)`;
    switch (cond.op) {
      case 'has':
        return contains([cond.value as string]);
      case 'has_not':
        return NOT(contains([cond.value as string]));
      case 'has_all':
        return contains(cond.value as string[]);
      case 'has_any':
        return any(cond.value as string[]);
      case 'has_none':
        return NOT(any(cond.value as string[]));
    }
    throw new Error(`operator ${cond.op} on multi_select`);
  }

  /**
   * A set of clients (one `client_id` column, each client at most once) LEFT JOINed once on
   * client id; the condition is whether the client is in it. Unlike `c.id in (…)`, which under
   * `not` or `or` becomes a per-row subplan once the set outgrows work_mem, a join stays one hash
   * join whatever the set's size, and the test is never NULL.
   */
  private inSet(clientIds: SQL): SQL {
    const alias = sql.raw(`j${this.joins.length}`);
    this.joins.push(sql`left join (${clientIds}) ${alias} on ${alias}.client_id = c.id`);
    return sql`(${alias}.client_id is not null)`;
  }

  /**
   * Clients with the tags (any, or all of them), each once. The tag ids are looked up first (an
   * InitPlan), so client_tags is one range of its (tag_id, client_id) index, read index-only, and
   * the planner estimates it from that index rather than from a join with `tags`, which it guessed
   * at a third of its size and then built the whole tag set as a hash before any cheaper
   * condition. `ownWorkspace`: the set is counted by itself (countLive), not joined with the
   * workspace's clients, so its rows are checked to be the workspace's too.
   */
  private tagSet(names: string[], all: boolean, ownWorkspace = false): SQL {
    const keys = [...new Set(names.map(tagKey))];
    const ws = this.ctx.workspaceId;
    const tagIds =
      keys.length === 1
        ? sql`ct.tag_id = (select t.id from tags t where t.workspace_id = ${ws} and t.name_key = ${keys[0]})`
        : sql`ct.tag_id = any(array(select t.id from tags t where t.workspace_id = ${ws} and t.name_key = any(${sql.param(keys)}::text[])))`;
    // One key is one tag (unique per workspace), so each client at most once (the primary key of
    // client_tags): no grouping, whose hash table every parallel worker would build again.
    const grouping =
      keys.length === 1
        ? sql``
        : sql` group by ct.client_id${all ? sql` having count(*) = ${keys.length}` : sql``}`;
    const own = ownWorkspace ? sql` and ct.workspace_id = ${ws}` : sql``;
    return sql`select ct.client_id from client_tags ct where ${tagIds}${own}${grouping}`;
  }

  /**
   * Tags by name, case-insensitively (tags.name_key is the folded name). A positive tag condition
   * that is one of the WHERE's own conjuncts is `c.id in (…)`, which PostgreSQL plans as a
   * semi-join (never a subplan there); anywhere else, a joined set (inSet).
   */
  private tags(cond: FieldCond, top: boolean): SQL {
    const tagged = (names: string[], all: boolean, semi = false) => {
      const set = this.tagSet(names, all);
      return semi ? sql`(c.id in (${set}))` : this.inSet(set);
    };
    switch (cond.op) {
      case 'has':
        return tagged([cond.value as string], false, top);
      case 'has_not':
        return NOT(tagged([cond.value as string], false));
      case 'has_any':
        return tagged(cond.value as string[], false, top);
      case 'has_all':
        return tagged(cond.value as string[], true, top);
      case 'has_none':
        return NOT(tagged(cond.value as string[], false));
    }
    throw new Error(`operator ${cond.op} on tags`);
  }

  // ---- events ----

  /**
   * The kept window of an event condition, as a function of the comparison, or null when it is not
   * kept (or has filters a kept window does not hold). Notes the window as wanted either way.
   */
  private keptEvent(cond: EventCond): ((compare: (value: SQL) => SQL) => SQL) | null {
    if (cond.location_id !== undefined || Object.keys(cond.properties ?? {}).length) return null;
    const days = cond.within_days ?? 0;
    if (!this.windows.some((w) => w.type === cond.event && w.days === days))
      this.windows.push({ type: cond.event, days });
    const computedAt = this.ctx.keptWindows?.get(windowKey(cond.event, days));
    if (!computedAt || computedAt.getTime() > this.ctx.now.getTime()) return null;
    return (compare) =>
      keptEventClients({
        workspaceId: this.ctx.workspaceId,
        type: cond.event,
        days,
        computedAt,
        now: this.ctx.now,
        measure: cond.measure,
        compare,
      });
  }

  private event(cond: EventCond, positive: boolean, top: boolean): SQL {
    const kept = this.keptEvent(cond);
    if (kept && (!this.correlated || this.keptInMixed)) {
      this.readKept = true;
      const passes = (value: SQL) => compareMeasure(cond, value);
      // The set holds only clients with events: where 0 passes, the condition is "not among those failing".
      if (zeroMatches(cond.op, cond.value)) return NOT(this.inSet(kept((value) => NOT(passes(value)))));
      return positive && top ? sql`(c.id in (${kept(passes)}))` : this.inSet(kept(passes));
    }
    const filters: SQL[] = [sql`ev.workspace_id = ${this.ctx.workspaceId}`, sql`ev.type = ${cond.event}`];
    if (cond.within_days !== undefined) {
      filters.push(sql`ev.occurred_at >= ${cutoff(this.ctx.now, cond.within_days)}::timestamptz`);
      filters.push(sql`ev.occurred_at <= ${this.ctx.now.toISOString()}::timestamptz`);
    }
    if (cond.location_id !== undefined) filters.push(sql`ev.location_id = ${cond.location_id}::uuid`);
    for (const [key, value] of Object.entries(cond.properties ?? {})) {
      if (typeof value === 'string')
        filters.push(
          sql`jsonb_typeof(ev.properties -> ${key}) = 'string' and lower(ev.properties ->> ${key}) = lower(${value})`,
        );
      else filters.push(sql`ev.properties -> ${key} = ${JSON.stringify(value)}::jsonb`);
    }
    const measure = cond.measure === 'sum' ? sql`coalesce(sum(ev.amount), 0)` : sql`count(*)`;
    const compare = (v: SQL) =>
      cond.op === 'neq'
        ? NOT(sql`(${v} = ${numeric(cond.value)})`)
        : sql`(${v} ${COMPARE_SQL[cond.op]} ${numeric(cond.value)})`;
    if (this.correlated) {
      // One aggregate row per client, never NULL (0 without events).
      return compare(sql`(select ${measure} from events ev
        where ${sql.join([...filters, sql`ev.client_id = c.id`], sql` and `)})::numeric`);
    }
    const alias = sql.raw(`j${this.joins.length}`);
    this.joins.push(
      sql`left join (select ev.client_id, ${measure}::numeric as v from events ev
        where ${sql.join(filters, sql` and `)} group by ev.client_id) ${alias} on ${alias}.client_id = c.id`,
    );
    // No events means 0; where 0 fails the comparison and only truth matters, NULL does as well.
    if (positive && !zeroMatches(cond.op, cond.value)) {
      const v = sql`${alias}.v`;
      return cond.op === 'neq' ? sql`(${v} <> ${numeric(cond.value)})` : compare(v);
    }
    return compare(sql`coalesce(${alias}.v, 0)`);
  }

  // ---- engagement ----

  private engagement(cond: EngagementCond): SQL {
    const sources = engagementSources();
    const query = {
      workspaceId: this.ctx.workspaceId,
      engagement: cond.engagement,
      campaignId: cond.campaign_id ?? null,
      channel: cond.channel ?? null,
      since:
        cond.within_days !== undefined ? new Date(this.ctx.now.getTime() - cond.within_days * DAY_MS) : null,
    };
    // No source registered (no campaigns module yet): nobody has any engagement.
    const has = sources.length
      ? this.inSet(
          sql`select eng.client_id from (${sql.join(
            sources.map((s) => sql`(${s.clientIds(query)})`),
            sql` union all `,
          )}) eng where eng.client_id is not null group by eng.client_id`,
        )
      : sql`false`;
    return cond.op === 'has' ? has : NOT(has);
  }
}

/** Compiles a validated tree for one workspace. */
export function compileSegment(node: Node, ctx: CompileContext): CompiledSegment {
  return new Compiler(ctx).compile(node);
}

/** A static segment: its stored members that are still live clients of the workspace. */
export function compileStaticSegment(workspaceId: string, segmentId: string): CompiledSegment {
  return {
    from: sql`clients c`,
    where: sql`c.workspace_id = ${workspaceId} and c.erased_at is null and c.archived_at is null and c.id in (
      select sm.client_id from segment_members sm where sm.segment_id = ${segmentId} and sm.workspace_id = ${workspaceId})`,
  };
}

/** A list of client ids (a selection, a campaign's hand-picked audience): those still live in the workspace. */
export function compileClientList(workspaceId: string, clientIds: readonly string[]): CompiledSegment {
  return {
    from: sql`clients c`,
    where: sql`c.workspace_id = ${workspaceId} and c.erased_at is null and c.archived_at is null and c.id = any(${`{${clientIds.join(',')}}`}::uuid[])`,
  };
}

export function countSql(segment: CompiledSegment): SQL {
  return segment.count ?? sql`select count(*)::int as n from ${segment.from} where ${segment.where}`;
}

/** The members' ids as one column, `client_id`: what other modules INSERT … SELECT from. */
export function memberIdsSql(segment: CompiledSegment): SQL {
  return sql`select c.id as client_id from ${segment.from} where ${segment.where}`;
}

/**
 * One page of members, newest clients first, after a keyset position: `columns` of `c` (`c.id`,
 * `c.*`) of up to `limit` clients.
 */
export function pageSql(
  segment: CompiledSegment,
  limit: number,
  after: { at: string; id: string } | null,
  columns: SQL = sql`c.id`,
): SQL {
  const keyset = after
    ? sql` and (c.created_at, c.id) < (${after.at}::timestamptz, ${after.id}::uuid)`
    : sql``;
  const paged = segment.page ?? segment;
  // `desc nulls last`, as clients_workspace_id_created_at_id_index is built: a plain `desc` (nulls
  // first) cannot walk that index and sorted every match instead (bench/segments.ts).
  return sql`select ${columns} from ${paged.from} where ${paged.where}${keyset}
    order by c.created_at desc nulls last, c.id desc nulls last limit ${limit}`;
}
