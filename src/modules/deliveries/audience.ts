import { type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';
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
  now: Date;
}

// Addresses are stored normalized by the clients module (lower-case email, E.164 phone); these only
// catch what an older import or a direct SQL write may have left.
const EMAIL_SHAPE = '^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$';
const PHONE_SHAPE = '^\\+[1-9][0-9]{6,14}$';

/**
 * One row per audience member: the channel chosen for them (the first of `channels` through which
 * they can be reached, else the main one), the address, and why they are skipped (null when
 * eligible). Set-based: one query for a million clients.
 *
 * Reasons, first that applies: no address, invalid address, no consent for the channel,
 * suppressed address, channel blocked, frequency cap; then among the eligible, a second client
 * with the same address on the same channel is `duplicate_address` (one message per address; the
 * oldest client keeps it).
 */
export function eligibilitySql(
  audience: CompiledSegment,
  rules: EligibilityRules,
  suppressions: SuppressionList,
): SQL {
  const ws = rules.workspaceId;
  const since = new Date(rules.now.getTime() - 7 * DAY_MS).toISOString();
  const options = rules.channels.map(
    (channel, i) => sql`select ${i}::int as ord, ${channel}::text as channel`,
  );
  const blocked = Object.entries(rules.blockedChannels ?? {}).map(
    ([channel, reason]) => sql`when o.channel = ${channel} then ${reason}::text`,
  );
  const cap =
    rules.frequencyCap === null || !rules.marketing
      ? sql``
      : sql`when o.client_id in (select d.client_id from deliveries d
              where d.workspace_id = ${ws} and d.sent_at >= ${since}::timestamptz and d.marketing
              group by d.client_id having count(*) >= ${rules.frequencyCap}) then 'frequency_cap'`;
  const suppressed = (kind: 'email' | 'phone') => suppressions.suppressedSql(ws, kind, sql`o.address`);
  return sql`
    with members as (
      select c.id as client_id, c.created_at, c.email, c.phone,
             c.consent_email, c.consent_sms, c.consent_whatsapp
      from ${audience.from} where ${audience.where}
    ), options as (
      select m.client_id, m.created_at, ch.ord, ch.channel,
             nullif(case ch.channel when 'email' then m.email else m.phone end, '') as address,
             case ch.channel when 'email' then m.consent_email when 'sms' then m.consent_sms else m.consent_whatsapp end as consent
      from members m cross join (${sql.join(options, sql` union all `)}) ch
    ), judged as (
      select o.client_id, o.created_at, o.ord, o.channel, o.address,
        case
          when o.address is null then 'no_address'
          when o.channel = 'email' and o.address !~ ${EMAIL_SHAPE} then 'invalid_address'
          when o.channel <> 'email' and o.address !~ ${PHONE_SHAPE} then 'invalid_address'
          when not o.consent then 'no_consent'
          when o.channel = 'email' and ${suppressed('email')} then 'suppressed'
          when o.channel <> 'email' and ${suppressed('phone')} then 'suppressed'
          ${sql.join(blocked, sql` `)}
          ${cap}
          else null
        end as reason
      from options o
    ), chosen as (
      ${
        rules.channels.length === 1
          ? sql`select client_id, created_at, channel, address, reason from judged`
          : sql`select distinct on (client_id) client_id, created_at, channel, address, reason
                from judged order by client_id, (reason is null) desc, ord`
      }
    )
    select client_id, channel, address,
      coalesce(reason, case when row_number() over (
        partition by channel, address, reason is null order by created_at, client_id) > 1
        then 'duplicate_address' end) as reason
    from chosen`;
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
  const rows = await db.execute<{ channel: MessageChannel; reason: SkipReason | null; n: number }>(
    sql`select channel, reason, count(*)::int as n from (${eligibilitySql(audience, rules, suppressions)}) e
        group by channel, reason`,
  );
  const summary: EligibilitySummary = {
    audience: 0,
    eligible: 0,
    eligible_by_channel: {},
    skipped: 0,
    skipped_by_reason: [],
  };
  for (const { channel, reason, n } of rows.rows) {
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
 * Writes the audience into the deliveries ledger: eligible recipients `queued`, the others
 * `skipped` with their reason. Idempotent: (campaign, client, channel) is unique and a second
 * snapshot adds nobody already there. Returns how many rows it added.
 */
export async function snapshotAudience(
  db: DbOrTx,
  campaignId: string,
  audience: CompiledSegment,
  rules: EligibilityRules,
  suppressions: SuppressionList,
): Promise<number> {
  const result = await db.execute(sql`
    insert into deliveries (workspace_id, campaign_id, client_id, channel, address, status, skip_reason, marketing)
    select ${rules.workspaceId}::uuid, ${campaignId}::uuid, e.client_id, e.channel, e.address,
           case when e.reason is null then 'queued' else 'skipped' end, e.reason, ${rules.marketing}
    from (${eligibilitySql(audience, rules, suppressions)}) e
    on conflict (campaign_id, client_id, channel) do nothing`);
  return result.rowCount ?? 0;
}
