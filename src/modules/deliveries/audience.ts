import { randomBytes } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import type pg from 'pg';
import { type DbOrTx, withConnection } from '../../platform/db/db.ts';
import type { SuppressionList } from '../consent/suppressions.service.ts';
import type { CompiledSegment } from '../segments/segment-sql.ts';
import type { SKIP_REASONS } from './deliveries.schema.ts';

export type MessageChannel = 'email' | 'sms' | 'whatsapp';
export type SkipReason = (typeof SKIP_REASONS)[number];

const DAY_MS = 86_400_000;

/** What decides who of an audience can be messaged, and through which channel. */
export interface EligibilityRules {
  workspaceId: string;
  /** The campaign's channel first, then its fallbacks, in order. */
  channels: readonly MessageChannel[];
  /** Marketing messages carry an unsubscribe link and count towards the frequency cap. */
  marketing: boolean;
  /** At most this many marketing messages per client in the last 7 days (all campaigns), or null. */
  frequencyCap: number | null;
  /** Channels whose messages cannot go out at all (e.g. WhatsApp without an approved template). */
  blockedChannels?: Partial<Record<MessageChannel, SkipReason>>;
  /** Clients taken out of the audience by hand: given the client id column, true when excluded. */
  excluded?: (clientId: SQL) => SQL;
  /** For clients with no time zone of their own or of their location. */
  workspaceTimezone: string;
  now: Date;
}

/** When the snapshot's deliveries may go out. */
export interface SendTiming {
  /**
   * Each recipient at this wall-clock time in their own time zone (client, else location, else
   * workspace): `YYYY-MM-DDTHH:MM`, no zone. Null: as soon as possible.
   */
  localTime: string | null;
  /** Hours (local to the recipient) when SMS and WhatsApp wait: from `start` to `end`, e.g. 21 → 9. */
  quietHours: { start: number; end: number } | null;
}

// Addresses are stored normalized by the clients module (lower-case email, E.164 phone); these only
// catch what an older import or a direct SQL write may have left.
const EMAIL_SHAPE = '^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$';
const PHONE_SHAPE = '^\\+[1-9][0-9]{6,14}$';

/**
 * One row per audience member: the channel chosen for them (the first of `channels` through which
 * they can be reached, else the main one), the address, and why they are skipped (null when
 * eligible). Reasons, first that applies: excluded by hand, no address, invalid address, no consent for the channel,
 * suppressed address, channel blocked, frequency cap. One row per client with every channel's
 * verdict side by side, so no sort and no join: a million clients in one pass. A second client with
 * the same address (`duplicate_address`) is decided afterwards, among the eligible only.
 *
 * Per row, only hashed lookups: the suppression list, the frequency cap and the hand exclusions are
 * each read once into a hash table (`x in (select …)` with no outer reference), not probed through
 * an index once per client; the address's HMAC is computed only for a client the earlier rules
 * left eligible, and not at all when the workspace's list is empty (an empty hash table answers
 * without evaluating its left side). With `timezone`, a `timezone` column too (the recipient's
 * zone, see `recipientTimezoneSql`), from a hash join with the locations.
 *
 * `offset 0` keeps the verdicts' subquery from being pulled up into the query around it: pulled
 * up, each use of a verdict (the channel, the address, the reason, the duplicates' window) got its
 * own copy of the whole CASE, about fifteen evaluations per client instead of one (EXPLAIN of a
 * million-client snapshot: 9 s in that scan, and 8 s more in the window).
 */
export function eligibilitySql(
  audience: CompiledSegment,
  rules: EligibilityRules,
  suppressions: SuppressionList,
  options: { timezone?: boolean } = {},
): SQL {
  const ws = rules.workspaceId;
  const since = new Date(rules.now.getTime() - 7 * DAY_MS).toISOString();
  const capped =
    rules.frequencyCap === null || !rules.marketing
      ? null
      : sql`m.client_id in (select d.client_id from deliveries d
              where d.workspace_id = ${ws} and d.sent_at >= ${since}::timestamptz and d.marketing
              group by d.client_id having count(*) >= ${rules.frequencyCap})`;
  const suppressed = (kind: 'email' | 'phone', address: SQL) =>
    sql`${suppressions.hashSql(kind, address)} in (select s.value_hash from suppressions s where s.workspace_id = ${ws} and s.kind = ${kind})`;
  const verdict = (channel: MessageChannel) => {
    const address = channel === 'email' ? sql`m.email` : sql`m.phone`;
    const consent = sql.raw(`m.consent_${channel}`);
    const blocked = rules.blockedChannels?.[channel];
    const excluded = rules.excluded?.(sql`m.client_id`);
    return sql`case
      ${excluded ? sql`when ${excluded} then 'excluded'` : sql``}
      when ${address} is null then 'no_address'
      when ${address} !~ ${channel === 'email' ? EMAIL_SHAPE : PHONE_SHAPE} then 'invalid_address'
      when not ${consent} then 'no_consent'
      when ${suppressed(channel === 'email' ? 'email' : 'phone', address)} then 'suppressed'
      ${blocked ? sql`when true then ${blocked}::text` : sql``}
      ${capped ? sql`when ${capped} then 'frequency_cap'` : sql``}
      end`;
  };
  const columns = rules.channels.map(
    (channel, i) =>
      sql`${verdict(channel)} as ${sql.raw(`r${i}`)}, ${channel === 'email' ? sql`m.email` : sql`m.phone`} as ${sql.raw(`a${i}`)}`,
  );
  const pick = (what: (i: number, channel: MessageChannel) => SQL, otherwise: SQL) =>
    sql`case ${sql.join(
      rules.channels.map((channel, i) => sql`when ${sql.raw(`r${i}`)} is null then ${what(i, channel)}`),
      sql` `,
    )} else ${otherwise} end`;
  const timezone = options.timezone
    ? {
        column: sql`, coalesce(nullif(c.timezone, ''), snapshot_location.timezone, ${rules.workspaceTimezone}) as timezone`,
        join: sql` left join locations snapshot_location on snapshot_location.id = c.location_id and snapshot_location.workspace_id = c.workspace_id`,
        out: sql`, timezone`,
      }
    : { column: sql``, join: sql``, out: sql`` };
  return sql`
    select client_id, created_at${timezone.out},
      ${pick((_, channel) => sql`${channel}::text`, sql`${rules.channels[0]}::text`)} as channel,
      ${pick((i) => sql.raw(`a${i}`), sql.raw('a0'))} as address,
      ${pick(() => sql`null::text`, sql.raw('r0'))} as reason
    from (
      select m.client_id, m.created_at${timezone.out}, ${sql.join(columns, sql`, `)}
      from (select c.id as client_id, c.created_at, nullif(c.email, '') as email, nullif(c.phone, '') as phone,
                   c.consent_email, c.consent_sms, c.consent_whatsapp${timezone.column}
            from ${audience.from}${timezone.join} where ${audience.where}) m
      offset 0
    ) j`;
}

export interface EligibilitySummary {
  audience: number;
  eligible: number;
  eligible_by_channel: Partial<Record<MessageChannel, number>>;
  skipped: number;
  /** Per reason and channel, e.g. `{ reason: 'no_consent', channel: 'whatsapp', count: 412 }`, largest first. */
  skipped_by_reason: Array<{ reason: SkipReason; channel: MessageChannel; count: number }>;
}

/** The Review step: how many would be messaged and why the others would not, without writing anything. */
export async function summarizeEligibility(
  db: DbOrTx,
  audience: CompiledSegment,
  rules: EligibilityRules,
  suppressions: SuppressionList,
): Promise<EligibilitySummary> {
  // The eligible rows are read twice (by reason, and by address for duplicates): a materialized CTE.
  const rows = await withWorkMem(db, (tx) =>
    tx.execute<{ channel: MessageChannel; reason: SkipReason | null; n: number }>(
      sql`with e as materialized (${eligibilitySql(audience, rules, suppressions)})
          select channel, reason, count(*)::int as n from e group by channel, reason
          union all
          select channel, 'duplicate_address', sum(n - 1)::int from (
            select channel, address, count(*) as n from e where reason is null
            group by channel, address having count(*) > 1) d
          group by channel`,
    ),
  );
  const summary: EligibilitySummary = {
    audience: 0,
    eligible: 0,
    eligible_by_channel: {},
    skipped: 0,
    skipped_by_reason: [],
  };
  for (const { channel, reason, n } of rows.rows) {
    if (reason === 'duplicate_address') {
      // Counted among the eligible by the first query: move them to the skipped.
      summary.eligible -= n;
      summary.eligible_by_channel[channel] = (summary.eligible_by_channel[channel] ?? 0) - n;
      summary.skipped += n;
      summary.skipped_by_reason.push({ reason, channel, count: n });
      continue;
    }
    summary.audience += n;
    if (reason === null) {
      summary.eligible += n;
      summary.eligible_by_channel[channel] = (summary.eligible_by_channel[channel] ?? 0) + n;
    } else {
      summary.skipped += n;
      summary.skipped_by_reason.push({ reason, channel, count: n });
    }
  }
  summary.skipped_by_reason.sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return summary;
}

/**
 * A delivery's earliest send time, in SQL over `e` (channel, timezone): the local wall-clock time in
 * the recipient's zone, then moved out of the quiet hours (SMS and WhatsApp only: delayed to their
 * end, never dropped). Null = now. The quiet-hours check of an immediate send uses the snapshot's now.
 */
function sendAfterSql(timing: SendTiming): SQL {
  const local = timing.localTime ? sql`(${timing.localTime}::timestamp at time zone e.timezone)` : null;
  if (!timing.quietHours) return local ?? sql`null::timestamptz`;
  const quietEnd = quietEndSql(timing.quietHours, local ?? sql`now()`, sql`e.timezone`, sql`e.channel`);
  return sql`coalesce(${quietEnd}, ${local ?? sql`null::timestamptz`})`;
}

/**
 * When `at` falls in the quiet hours of the recipient's zone and the channel is SMS or WhatsApp: the
 * end of that quiet period (the time the message may go); otherwise null. SQL over the given
 * expressions, so a later release (an A/B test's held recipients) applies the same rule.
 */
export function quietEndSql(
  quietHours: { start: number; end: number },
  at: SQL,
  timezone: SQL,
  channel: SQL,
): SQL {
  const { start, end } = quietHours;
  // Local wall clock of the planned moment, its hour, and the end of the quiet period it falls in
  // (hours are integers the service checked: inlined, so no comparison can happen on text).
  const [from, to] = [sql.raw(String(Math.trunc(start))), sql.raw(String(Math.trunc(end)))];
  const wall = sql`(${at} at time zone ${timezone})`;
  const hour = sql`extract(hour from ${wall})`;
  const inQuiet =
    start > end
      ? sql`(${hour} >= ${from} or ${hour} < ${to})`
      : sql`(${hour} >= ${from} and ${hour} < ${to})`;
  const nextDay =
    start > end
      ? sql`case when ${hour} >= ${from} then interval '1 day' else interval '0 day' end`
      : sql`interval '0 day'`;
  const quietEndAt = sql`((date_trunc('day', ${wall}) + ${nextDay} + interval '${to} hours') at time zone ${timezone})`;
  return sql`case when ${channel} <> 'email' and ${inQuiet} then ${quietEndAt} end`;
}

/**
 * A client's time zone (their own, else their location's, else the workspace's), over `clients c`:
 * the same rule as the snapshot's.
 */
export function recipientTimezoneSql(workspaceTimezone: string): SQL {
  return sql`coalesce(nullif(c.timezone, ''),
    (select l.timezone from locations l where l.id = c.location_id and l.workspace_id = c.workspace_id),
    ${workspaceTimezone})`;
}

/** Sorting a million addresses for the duplicates needs more than the default 4–16 MB, or it spills to disk. */
const WORK_MEM = '256MB';
async function withWorkMem<T>(db: DbOrTx, fn: (tx: DbOrTx) => Promise<T>): Promise<T> {
  const run = async (tx: DbOrTx) => {
    await tx.execute(sql`select set_config('work_mem', ${WORK_MEM}, true)`);
    return fn(tx);
  };
  return 'transaction' in db ? db.transaction(run) : run(db);
}

/**
 * Time-ordered UUIDs (version 7, RFC 9562) for the rows of one statement, in client id order: the
 * statement's Unix milliseconds (48 bits), 38 random bits drawn once for the statement, and a
 * 36-bit counter (`row_number()` in the statement's order) in the last bits. A million new ledger
 * rows append to the primary key's right edge instead of touching a random page each, and each id
 * is one string and one cast: computing the clock, numeric epoch, strong random UUID and bit fields
 * per row, as before, took 2.7 s a million (this: about 0.8 s). Two statements of the same
 * millisecond differ by their random bits. Two halves written at once (writeAudienceInHalves) get
 * different milliseconds (`offsetMs`), so each appends to its own pages.
 */
function timeOrderedIdSql(orderBy: SQL, offsetMs: number): SQL {
  const ms = (Date.now() + offsetMs).toString(16).padStart(12, '0').slice(-12);
  const random = randomBytes(5).toString('hex');
  const variant = (8 + (Number.parseInt(random[3]!, 16) & 3)).toString(16);
  const prefix = `${ms.slice(0, 8)}-${ms.slice(8)}-7${random.slice(0, 3)}-${variant}${random.slice(4, 7)}-${random.slice(7, 10)}`;
  return sql`(${prefix} || lpad(to_hex(row_number() over (order by ${orderBy})), 9, '0'))::uuid`;
}

/**
 * The audience's clients whose address is also another client's: the only ones that can be a
 * `duplicate_address`. From the clients' email and phone indexes (one ordered pass each, no sort),
 * so the duplicates are decided among a few clients instead of sorting a million addresses (the
 * window over every eligible row spilled 150 MB to disk and took about 3 s at a million).
 */
function sharedAddressSql(workspaceId: string, channels: readonly MessageChannel[]) {
  const kinds: Array<'email' | 'phone'> = [];
  if (channels.includes('email')) kinds.push('email');
  if (channels.some((c) => c !== 'email')) kinds.push('phone');
  // Materialized: computed once, whatever the planner thinks of the tables (on clients not yet
  // analysed, a plain `in (select … group by …)` was planned as a subquery run again for each client).
  const ctes = kinds.map(
    (k) => sql`${sql.raw(`shared_${k}`)} as materialized (select s.${sql.raw(k)} as address from clients s
      where s.workspace_id = ${workspaceId} and s.${sql.raw(k)} <> ''
      group by s.${sql.raw(k)} having count(*) > 1)`,
  );
  const tests = kinds.map(
    (k) => sql`nullif(c.${sql.raw(k)}, '') in (select address from ${sql.raw(`shared_${k}`)})`,
  );
  return {
    with: ctes.length ? sql`with ${sql.join(ctes, sql`, `)}` : sql``,
    where: tests.length ? sql`(${sql.join(tests, sql` or `)})` : sql`false`,
  };
}

/**
 * The client ids of the audience that are `duplicate_address`: of the eligible clients with the
 * same address on the same channel, all but the oldest (created_at, then id). Decided among the
 * clients whose address another client also has (sharedAddressSql), which is every member of every
 * such group: the same answer as a window over the whole audience. Read in one snapshot of the
 * database, it is the same for every chunk of a snapshot taken in parts (writeAudience).
 */
export function duplicateLosersSql(
  audience: CompiledSegment,
  rules: EligibilityRules,
  suppressions: SuppressionList,
): SQL {
  const shared = sharedAddressSql(rules.workspaceId, rules.channels);
  const candidates: CompiledSegment = {
    from: audience.from,
    where: sql`${audience.where} and ${shared.where}`,
  };
  return sql`${shared.with} select client_id from (
      select client_id, reason, row_number() over (
        partition by channel, address collate "C", reason is null order by created_at, client_id) as n
      from (${eligibilitySql(candidates, rules, suppressions)}) j
    ) r where reason is null and n > 1`;
}

/** A part of the audience by client id: `from` inclusive, `to` exclusive; null = unbounded. */
export interface ClientIdRange {
  from: string | null;
  to: string | null;
}

/**
 * Writes the audience (or the part of it in `range`) into the deliveries ledger, inside the
 * caller's transaction: eligible recipients `queued`, the others `skipped` with their reason;
 * the duplicates' losers (duplicateLosersSql) `duplicate_address`. Idempotent: (campaign, client,
 * channel) is unique and a second write adds nobody already there. Returns how many rows it added.
 */
export async function writeAudience(
  tx: DbOrTx,
  campaignId: string,
  audience: CompiledSegment,
  rules: EligibilityRules,
  suppressions: SuppressionList,
  timing: SendTiming,
  range: ClientIdRange = { from: null, to: null },
): Promise<number> {
  // Before any wait: the lower half (called first) takes its milliseconds first, and the upper half's are later.
  const id = timeOrderedIdSql(sql`e.client_id`, range.from === null ? 0 : 1);
  await tx.execute(sql`select set_config('work_mem', ${WORK_MEM}, true)`);
  const zoned = timing.localTime !== null || timing.quietHours !== null;
  const bounds = [
    range.from ? sql` and c.id >= ${range.from}::uuid` : sql``,
    range.to ? sql` and c.id < ${range.to}::uuid` : sql``,
  ];
  const part: CompiledSegment = {
    from: audience.from,
    where: sql`${audience.where}${bounds[0]}${bounds[1]}`,
  };
  // The losers once (a materialized CTE: pulled up, the hashed subquery was built once per use, two
  // builds of 1.3 s each at a million), over the whole audience; `offset 0` computes each row's flag once.
  // The INSERT first: it is what pg_stat_activity shows of the statement (its first 1,024 characters).
  const result = await tx.execute(sql`
    insert into deliveries (id, workspace_id, campaign_id, client_id, channel, address, status, skip_reason, marketing, send_after)
    with losers as materialized (${duplicateLosersSql(audience, rules, suppressions)})
    select ${id}, ${rules.workspaceId}::uuid, ${campaignId}::uuid, e.client_id, e.channel, e.address,
           case when e.reason is null and not e.duplicate then 'queued' else 'skipped' end,
           case when e.reason is null and e.duplicate then 'duplicate_address' else e.reason end,
           ${rules.marketing}, ${sendAfterSql(timing)}
    from (
      select e.*, e.reason is null and e.client_id in (select client_id from losers) as duplicate
      from (${eligibilitySql(part, rules, suppressions, { timezone: zoned })}) e
      offset 0
    ) e
    order by e.client_id
    on conflict (campaign_id, client_id, channel) do nothing`);
  return result.rowCount ?? 0;
}

/**
 * The whole audience in one statement, in its own transaction (or the caller's): see writeAudience.
 * The prepare job of a large audience writes it in parts instead (campaigns.send.ts).
 */
export async function snapshotAudience(
  db: DbOrTx,
  campaignId: string,
  audience: CompiledSegment,
  rules: EligibilityRules,
  suppressions: SuppressionList,
  timing: SendTiming = { localTime: null, quietHours: null },
): Promise<number> {
  const run = (tx: DbOrTx) => writeAudience(tx, campaignId, audience, rules, suppressions, timing);
  return 'transaction' in db ? db.transaction(run) : run(db);
}

/**
 * The middle client id of the workspace's live clients (read from their index, no sort): where a
 * snapshot in two halves splits, about half of any audience spread over the clients on each side.
 */
export async function middleClientId(db: DbOrTx, workspaceId: string): Promise<string | undefined> {
  const result = await db.execute<{ id: string }>(
    sql`select id from clients where workspace_id = ${workspaceId} and erased_at is null order by id
      offset (select count(*) / 2 from clients where workspace_id = ${workspaceId} and erased_at is null) limit 1`,
  );
  return result.rows[0]?.id;
}

/**
 * `write` for the clients below `middle` and for the others at once, on two connections of the
 * pool, each half in a transaction of its own committed when both are written (a failure of
 * either rolls both back). Both read one snapshot of the database (the first half exports it, the
 * second imports it): the same clients, consents, suppressions, frequency counts and duplicates'
 * losers. Two halves can still not commit as one: the caller keeps the rows out of use until it
 * has recorded the snapshot as complete (campaigns.send.ts, prepareCampaign). Returns the rows added.
 */
export async function writeAudienceInHalves(
  pool: pg.Pool,
  middle: string,
  write: (tx: DbOrTx, range: ClientIdRange) => Promise<number>,
): Promise<number> {
  return withConnection(pool, (second) =>
    withConnection(pool, async (first) => {
      await first.execute(sql`begin isolation level repeatable read`);
      const exported = await first.execute<{ id: string }>(sql`select pg_export_snapshot() as id`);
      await second.execute(sql`begin isolation level repeatable read`);
      // A snapshot id is PostgreSQL's own token (hex digits and dashes); SET takes no parameter.
      const id = exported.rows[0]!.id;
      if (!/^[0-9A-F-]+$/i.test(id)) throw new Error(`unexpected snapshot id ${id}`);
      await second.execute(sql.raw(`set transaction snapshot '${id}'`));
      const halves = await Promise.allSettled([
        write(first, { from: null, to: middle }),
        write(second, { from: middle, to: null }),
      ]);
      let added = 0;
      for (const half of halves) {
        // Thrown: withConnection closes both connections, and their transactions roll back.
        if (half.status === 'rejected') throw half.reason;
        added += half.value;
      }
      await second.execute(sql`commit`);
      await first.execute(sql`commit`);
      return added;
    }),
  );
}
