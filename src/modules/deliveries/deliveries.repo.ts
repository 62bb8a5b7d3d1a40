import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';
import { CLAIM_OWNER_LOCK_SPACE } from './claim-owner.ts';
import { deliveries } from './deliveries.schema.ts';

export type DeliveryRow = typeof deliveries.$inferSelect;

/**
 * A merge moves the merged-away client's deliveries to the one kept; a (campaign, channel) both
 * had stays with the merged-away id, as the history of what that address received.
 */
export async function moveDeliveryRows(
  db: DbOrTx,
  workspaceId: string,
  fromClientId: string,
  toClientId: string,
) {
  await db.execute(sql`
    update deliveries d set client_id = ${toClientId}, updated_at = now()
    where d.workspace_id = ${workspaceId} and d.client_id = ${fromClientId}
      and not exists (select 1 from deliveries x
        where x.campaign_id = d.campaign_id and x.client_id = ${toClientId} and x.channel = d.channel)`);
}

/** An erase keeps that a message was sent (the campaign's counts stay true) but not where to. */
export async function scrubDeliveryRows(db: DbOrTx, workspaceId: string, clientId: string) {
  await db
    .update(deliveries)
    .set({ address: null, error: null, updatedAt: new Date() })
    .where(and(eq(deliveries.workspaceId, workspaceId), eq(deliveries.clientId, clientId)));
}

export async function allDeliveryRows(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
): Promise<DeliveryRow[]> {
  return db
    .select()
    .from(deliveries)
    .where(and(eq(deliveries.workspaceId, workspaceId), eq(deliveries.clientId, clientId)))
    .orderBy(desc(deliveries.createdAt), desc(deliveries.id));
}

/** The statuses a delivery's timeline items can have: its timeline types. */
export const MESSAGE_STEP_STATUSES = [
  'queued',
  'held',
  'skipped',
  'sent',
  'delivered',
  'read',
  'failed',
  'unknown',
  'cancelled',
] as const;

/** One status change of one delivery, as the client's timeline shows it (timelineDeliveryRows). */
export interface DeliveryTimelineRow {
  /** Stable: md5(delivery id, step, status) as a uuid, so the timeline's (occurred_at, id) keyset works. */
  id: string;
  occurredAt: Date;
  deliveryId: string;
  /** 0 = queued or skipped at the snapshot, then each change in the order it happened. */
  step: number;
  status: string;
  /** The skip reason, or the provider's error code. */
  code: string | null;
  message: string | null;
  /** A failed attempt that was (or will be) tried again: not the delivery's outcome. */
  retried: boolean;
  campaignId: string;
  campaignName: string | null;
  campaignDeleted: boolean;
  channel: string;
  /** The email address or phone it went to (null once the client is erased). */
  address: string | null;
  deliveryStatus: string;
  attempts: number;
}

/**
 * Every status change of a client's deliveries, newest first by (occurred_at, id), in ONE
 * statement. The ledger row gives the start (queued, or skipped with its reason, at created_at)
 * and an outcome only it knows (a failure before any provider call, `unknown` from a worker that
 * died, a late skip, a cancel: at updated_at); each channel message of the delivery gives every
 * entry of its `status_history` (sent, delivered, read, failed…, written by sends and webhooks).
 * Email opens and clicks and inbound replies are events (email_opened, email_clicked,
 * sms_inbound, whatsapp_inbound) and stay in the events stream.
 *
 * A delivery's items keep the order they happened in: a provider's timestamp can be earlier than
 * ours (Meta's have whole seconds), so each item is at least 1 ms after the one before it. Hence
 * every item is at or after its delivery's created_at, and a page before (at, id) only needs the
 * deliveries created at or before `at` (the deliveries_client_index range). The first page reads
 * all of the client's deliveries: a change can come any time after the send, and nothing indexed
 * says which delivery changed last.
 *
 * `limit: null` reads everything (the GDPR export). `types` (the timeline filter) keeps every
 * item for `message`, else only the listed statuses (MESSAGE_STEP_STATUSES).
 */
export async function timelineDeliveryRows(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
  window: {
    before: { at: string; id: string } | null;
    from: string | null;
    to: string | null;
    limit: number | null;
    types?: string[] | null;
  },
): Promise<DeliveryTimelineRow[]> {
  const bound: SQL[] = [];
  if (window.before) bound.push(sql`and created_at <= ${window.before.at}::timestamptz`);
  if (window.to) bound.push(sql`and created_at < ${window.to}::timestamptz`);
  const where: SQL[] = [sql`true`];
  if (window.before)
    where.push(sql`(i.occurred_at, i.id) < (${window.before.at}::timestamptz, ${window.before.id}::uuid)`);
  if (window.from) where.push(sql`i.occurred_at >= ${window.from}::timestamptz`);
  if (window.to) where.push(sql`i.occurred_at < ${window.to}::timestamptz`);
  if (window.types && !window.types.includes('message')) {
    const statuses = window.types.filter((t) => (MESSAGE_STEP_STATUSES as readonly string[]).includes(t));
    if (!statuses.length) return [];
    where.push(sql`i.status = any(${`{${statuses.join(',')}}`}::text[])`);
  }
  const result = await db.execute<{
    id: string;
    occurred_at: string;
    delivery_id: string;
    step: number;
    status: string;
    code: string | null;
    message: string | null;
    retried: boolean;
    campaign_id: string;
    campaign_name: string | null;
    campaign_deleted: boolean;
    channel: string;
    address: string | null;
    delivery_status: string;
    attempts: number;
  }>(sql`
    with d as (
      select id, campaign_id, channel, address, status, skip_reason, attempts, error, created_at, updated_at
      from deliveries
      where workspace_id = ${workspaceId} and client_id = ${clientId} ${sql.join(bound, sql` `)}
    ), m as (
      select m.id, m.delivery_id, m.status, m.status_history, m.created_at
      from channel_messages m
      where m.workspace_id = ${workspaceId} and m.client_id = ${clientId}
        and m.delivery_id in (select id from d)
    ), steps as (
      select d.id as delivery_id, 0 as part, d.created_at as part_at, null::uuid as part_id, 0::bigint as n,
        -- A recipient held back for an A/B test's winner shows as waiting, not queued, until released.
        case when d.status = 'skipped' and d.attempts = 0 then 'skipped' when d.status = 'held' then 'held'
          else 'queued' end as status,
        d.created_at as at,
        case when d.status = 'skipped' and d.attempts = 0 then d.skip_reason end as code,
        null::text as message
      from d
      union all
      select m.delivery_id, 1, m.created_at, m.id, e.n, e.entry->>'status',
        coalesce((e.entry->>'at')::timestamptz, m.created_at), e.entry->>'code', e.entry->>'message'
      from m cross join lateral jsonb_array_elements(m.status_history) with ordinality as e(entry, n)
      union all
      select d.id, 2, d.updated_at, null, 0, d.status, d.updated_at,
        case when d.status = 'skipped' then d.skip_reason end,
        case when d.status = 'skipped' then null else d.error end
      from d
      where (d.status in ('failed', 'unknown', 'cancelled') or (d.status = 'skipped' and d.attempts > 0))
        and not exists (select 1 from m where m.delivery_id = d.id and m.status = d.status)
    ), numbered as (
      select s.*, (row_number() over (partition by s.delivery_id order by s.part, s.part_at, s.part_id, s.n) - 1)::int as step
      from steps s
    ), items as (
      select n.delivery_id, n.step, n.status, n.code, n.message,
        date_trunc('milliseconds',
          max(n.at - n.step * interval '1 millisecond') over w + n.step * interval '1 millisecond') as occurred_at,
        md5(n.delivery_id::text || ':' || n.step || ':' || n.status)::uuid as id,
        n.status = 'failed' and lead(n.step) over w is not null as failed_before_another
      from numbered n
      window w as (partition by n.delivery_id order by n.step)
    ), page as (
      select i.id, i.occurred_at, i.delivery_id, i.step, i.status, i.code, i.message,
        i.failed_before_another or (i.status = 'failed' and d.status = 'queued') as retried,
        d.campaign_id, d.channel, d.address, d.status as delivery_status, d.attempts::int as attempts
      from items i join d on d.id = i.delivery_id
      where ${sql.join(where, sql` and `)}
      order by i.occurred_at desc, i.id desc
      ${window.limit === null ? sql`` : sql`limit ${window.limit}`}
    )
    -- The campaign's name for the page's items only, one primary-key probe each (a lateral
    -- subquery: as a plain join, the planner read every campaign of the workspace).
    select page.*, c.name as campaign_name, c.deleted_at is not null as campaign_deleted
    from page left join lateral (
      select name, deleted_at from campaigns
      where id = page.campaign_id and workspace_id = ${workspaceId} offset 0
    ) c on true
    order by page.occurred_at desc, page.id desc`);
  return result.rows.map((r) => ({
    id: r.id,
    occurredAt: new Date(r.occurred_at),
    deliveryId: r.delivery_id,
    step: r.step,
    status: r.status,
    code: r.code,
    message: r.message,
    retried: r.retried,
    campaignId: r.campaign_id,
    campaignName: r.campaign_name,
    campaignDeleted: r.campaign_deleted,
    channel: r.channel,
    address: r.address,
    deliveryStatus: r.delivery_status,
    attempts: r.attempts,
  }));
}

// ---- the send loop -----------------------------------------------------------------------------

export type ClaimedDelivery = {
  id: string;
  client_id: string;
  channel: 'email' | 'sms' | 'whatsapp';
  address: string;
  attempts: number;
  /** The A/B variant whose content it renders (0 without a test). */
  variant: number;
  /** The client's consent for the channel right now (checked again at each claim). */
  consent: boolean;
};

/**
 * One client row by primary key, as a lateral subquery: the `offset 0` keeps it a parameterized
 * index probe per row. As a plain join, on clients freshly imported (not yet analysed), the planner
 * hashed every client of the table for a batch of 100: 10 ms per statement at 20,000 clients,
 * growing with the table (bench/campaigns-send.ts).
 */
const clientById = (id: SQL) => sql`
  select consent_email, consent_sms, consent_whatsapp, erased_at, archived_at from clients where id = ${id} offset 0`;

/** The claim statement (claimDeliveries); apart so a test can read its plan. */
export function claimSql(campaignId: string, limit: number, owner: string, after: string | null = null): SQL {
  return sql`
    with due as (
      select d.id from deliveries d
      where d.campaign_id = ${campaignId} and d.status = 'queued' and (d.send_after is null or d.send_after <= now())
        ${after ? sql`and d.send_after is null and d.id > ${after}::uuid` : sql``}
      order by d.send_after nulls first, d.id
      limit ${limit}
      for update skip locked
    ), claimed as (
      update deliveries d set status = 'sending', claimed_at = now(), claimed_by = ${owner},
        attempts = d.attempts + 1, updated_at = now()
      from due where d.id = due.id
      returning d.id, d.client_id, d.channel, d.address, d.attempts, d.variant, d.send_after
    )
    select claimed.id, claimed.client_id, claimed.channel, claimed.address, claimed.attempts::int, claimed.variant,
      claimed.send_after is null as unscheduled,
      case claimed.channel when 'email' then c.consent_email when 'sms' then c.consent_sms
        else c.consent_whatsapp end and c.erased_at is null and c.archived_at is null as consent
    from claimed, lateral (${clientById(sql`claimed.client_id`)}) c`;
}

/**
 * Where a worker's next claim starts: after the last delivery it claimed among those due at any
 * time (no `send_after`), the first part of the due index. A claim reads the index from its start,
 * and every delivery already claimed there leaves an entry behind until the table is vacuumed:
 * from the start, the claims of a 100,000-recipient campaign took 27 ms each on average, reading
 * hundreds of index pages of claimed rows (bench/campaigns-send.ts). Only a shortcut: a claim from
 * a cursor that finds nothing is made again from the start before the worker concludes that
 * nothing is due (a claim handed back, or one another worker's claim skipped, lies behind it).
 */
export type ClaimCursor = { after: string | null };

/**
 * Takes up to `limit` due deliveries of a campaign for one worker: marked `sending` and committed
 * before any provider call, so a crash can never lead to a second send (a claim left `sending`
 * becomes `unknown`). SKIP LOCKED lets any number of workers claim side by side.
 */
export async function claimDeliveries(
  db: DbOrTx,
  campaignId: string,
  limit: number,
  /** The lane run's id (claim-owner.ts): its advisory lock tells the others it is alive. */
  owner: string,
  /** The worker's own cursor (ClaimCursor), moved by each claim; absent: from the start. */
  cursor: ClaimCursor = { after: null },
): Promise<ClaimedDelivery[]> {
  let result = await db.execute<ClaimedDelivery & { unscheduled: boolean }>(
    claimSql(campaignId, limit, owner, cursor.after),
  );
  if (!result.rows.length && cursor.after !== null)
    result = await db.execute(claimSql(campaignId, limit, owner, null));
  const rows = result.rows;
  // The cursor moves to the highest id claimed while every claimed row was due at any time; past
  // that part of the index (a scheduled or retried delivery), claims start from the start again.
  let last: string | null = null;
  for (const row of rows) {
    if (!row.unscheduled) {
      last = null;
      break;
    }
    if (last === null || row.id > last) last = row.id;
  }
  cursor.after = last;
  return rows.map(({ unscheduled: _, ...row }) => row);
}

/** The statement of consentWithdrawnSince; apart so a test can read its plan. */
export function consentWithdrawnSql(deliveryIds: readonly string[]): SQL {
  return sql`
    select d.id from unnest(${`{${deliveryIds.join(',')}}`}::uuid[]) as k(id),
      lateral (select id, client_id, channel from deliveries where id = k.id offset 0) d,
      lateral (${clientById(sql`d.client_id`)}) c
    where not coalesce(case d.channel when 'email' then c.consent_email when 'sms' then c.consent_sms
        else c.consent_whatsapp end and c.erased_at is null and c.archived_at is null, false)`;
}

/**
 * Of these claimed deliveries, those whose client withdrew consent for the delivery's channel (or
 * was erased or archived: an archived client is never messaged, like an erased one) since the
 * claim: one query for a batch, read again while a paced batch is sending.
 */
export async function consentWithdrawnSince(
  db: DbOrTx,
  deliveryIds: readonly string[],
): Promise<Set<string>> {
  if (!deliveryIds.length) return new Set();
  const result = await db.execute<{ id: string }>(consentWithdrawnSql(deliveryIds));
  return new Set(result.rows.map((r) => r.id));
}

export type DeliveryOutcome =
  | { id: string; status: 'sent'; providerMessageId: string }
  | { id: string; status: 'failed' | 'unknown' | 'cancelled'; error: string }
  | { id: string; status: 'skipped'; reason: 'no_consent' | 'suppressed' }
  | { id: string; status: 'queued'; error: string; retryAt: Date };

/** Records what happened to claimed deliveries, one statement for the batch. */
export async function recordOutcomes(db: DbOrTx, outcomes: DeliveryOutcome[]): Promise<void> {
  if (!outcomes.length) return;
  const rows = outcomes.map((o) => ({
    id: o.id,
    status: o.status,
    provider_message_id: o.status === 'sent' ? o.providerMessageId : null,
    error: 'error' in o ? o.error.slice(0, 1000) : null,
    skip_reason: o.status === 'skipped' ? o.reason : null,
    send_after: o.status === 'queued' ? o.retryAt.toISOString() : null,
  }));
  await db.execute(sql`
    update deliveries d set
      status = r.status,
      provider_message_id = coalesce(r.provider_message_id, d.provider_message_id),
      error = r.error,
      skip_reason = r.skip_reason,
      send_after = coalesce(r.send_after, d.send_after),
      sent_at = case when r.status = 'sent' then now() else d.sent_at end,
      claimed_at = null,
      claimed_by = null,
      updated_at = now()
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as r(id uuid, status text, provider_message_id text, error text, skip_reason text, send_after timestamptz)
    where d.id = r.id and d.status = 'sending'`);
}

/**
 * `(client_id, at)` of the deliveries among `deliveryIds` that the provider accepted: what moves
 * those clients' last contact (clients.repo.ts `advanceLastContacted`).
 */
export function sentContactsSql(deliveryIds: readonly string[]): SQL {
  return sql`select d.client_id, d.sent_at as at from deliveries d
    where d.id = any(${`{${deliveryIds.join(',')}}`}::uuid[]) and d.sent_at is not null`;
}

/** The same for every delivery of a campaign that was sent: the catch-up when the campaign ends. */
export function campaignContactsSql(campaignId: string): SQL {
  return sql`select d.client_id, d.sent_at as at from deliveries d
    where d.campaign_id = ${campaignId} and d.sent_at is not null`;
}

/**
 * Claims whose worker died between the claim and the record: the lane run that holds them no longer
 * holds its advisory lock (claim-owner.ts; its process is gone), or, for a claim without an owner,
 * it is older than `staleMs`. The provider may have the message, so they become `unknown` (shown
 * for a person to reconcile), never queued again.
 */
export async function reapStaleClaims(db: DbOrTx, campaignId: string, staleMs: number): Promise<number> {
  const result = await db.execute(sql`
    update deliveries set status = 'unknown', error = 'the worker stopped while sending; the provider may have it',
      claimed_at = null, claimed_by = null, updated_at = now()
    where campaign_id = ${campaignId} and status = 'sending'
      and (claimed_at < now() - make_interval(secs => ${staleMs / 1000})
        or (claimed_by is not null and pg_try_advisory_xact_lock(${CLAIM_OWNER_LOCK_SPACE}, hashtext(claimed_by))))`);
  return result.rowCount ?? 0;
}

/**
 * Claims handed back untouched: the worker claimed them ahead and then did not send them (the
 * campaign was paused meanwhile). Only for claims no provider call was made for.
 */
export async function releaseClaims(db: DbOrTx, ids: readonly string[]): Promise<void> {
  if (!ids.length) return;
  await db.execute(sql`
    update deliveries set status = 'queued', claimed_at = null, claimed_by = null, attempts = attempts - 1,
      updated_at = now()
    where id = any(${`{${ids.join(',')}}`}::uuid[]) and status = 'sending'`);
}

/** Counts per status of a campaign's deliveries, and when the next queued one is due. */
export async function deliveryProgress(db: DbOrTx, campaignId: string) {
  const result = await db.execute<{ status: string; n: number; next_due: string | null }>(sql`
    select status, count(*)::int as n,
      min(send_after) filter (where status = 'queued') as next_due
    from deliveries where campaign_id = ${campaignId} group by status`);
  const counts: Record<string, number> = {};
  let nextDue: Date | null = null;
  for (const row of result.rows) {
    counts[row.status] = row.n;
    if (row.next_due) nextDue = new Date(row.next_due);
  }
  return { counts, nextDue };
}

/** Cancel: what was not sent yet (queued, or held for an A/B winner) stays unsent, for the record. */
export async function cancelQueued(db: DbOrTx, campaignId: string): Promise<number> {
  const result = await db.execute(sql`
    update deliveries set status = 'cancelled', updated_at = now()
    where campaign_id = ${campaignId} and status in ('queued', 'held')`);
  return result.rowCount ?? 0;
}

// ---- read-only views for the campaign page ------------------------------------------------------

/** Counts per status and per (skip reason, channel) of a campaign's deliveries, in one pass. */
export async function deliveryCounts(db: DbOrTx, workspaceId: string, campaignId: string) {
  const result = await db.execute<{
    status: string;
    skip_reason: string | null;
    channel: string;
    n: number;
  }>(sql`
    select status, skip_reason, channel, count(*)::int as n
    from deliveries where workspace_id = ${workspaceId} and campaign_id = ${campaignId}
    group by status, skip_reason, channel`);
  return result.rows;
}

/**
 * Counts per status, with the messages the provider accepted in the last `windowS` seconds and the
 * first acceptance: what a live progress view needs for its rate, in one pass over the campaign.
 */
export async function deliveryPace(db: DbOrTx, workspaceId: string, campaignId: string, windowS = 10) {
  const result = await db.execute<{
    status: string;
    n: number;
    recent: number;
    first_sent: string | null;
    db_now: string;
  }>(sql`
    select status, count(*)::int as n,
      count(*) filter (where sent_at > now() - make_interval(secs => ${windowS}))::int as recent,
      min(sent_at) as first_sent, now() as db_now
    from deliveries where workspace_id = ${workspaceId} and campaign_id = ${campaignId}
    group by status`);
  const counts: Record<string, number> = {};
  let recent = 0;
  let firstSent: Date | null = null;
  let now = new Date();
  for (const row of result.rows) {
    counts[row.status] = row.n;
    recent += row.recent;
    now = new Date(row.db_now);
    if (row.first_sent && (!firstSent || new Date(row.first_sent) < firstSent))
      firstSent = new Date(row.first_sent);
  }
  // Over the last `windowS` seconds, or since the first message when that is more recent.
  const spanS = firstSent
    ? Math.min(windowS, Math.max(1, (now.getTime() - firstSent.getTime()) / 1000))
    : windowS;
  return { counts, ratePerSecond: recent / spanS };
}

/** Messages accepted by the provider per minute (UTC minute starts), oldest first, for the chart. */
export async function sentPerMinute(db: DbOrTx, workspaceId: string, campaignId: string) {
  const result = await db.execute<{ minute: string; n: number }>(sql`
    select date_trunc('minute', sent_at) as minute, count(*)::int as n
    from deliveries where workspace_id = ${workspaceId} and campaign_id = ${campaignId} and sent_at is not null
    group by 1 order by 1`);
  return result.rows.map((r) => ({ minute: new Date(r.minute), count: r.n }));
}

export type RecipientRow = {
  id: string;
  client_id: string;
  first_name: string | null;
  last_name: string | null;
  address: string | null;
  channel: string;
  status: string;
  skip_reason: string | null;
  error: string | null;
  sent_at: Date | string | null;
  created_at: Date | string;
};

/**
 * A campaign's recipients with their client's name, newest first by (created_at, id); `q` matches
 * the name or the address (substring, case-insensitive).
 */
export async function campaignRecipientRows(
  db: DbOrTx,
  workspaceId: string,
  campaignId: string,
  options: { status?: string; q?: string; after: { at: string; id: string } | null; limit: number },
): Promise<RecipientRow[]> {
  const filters: SQL[] = [];
  if (options.status) filters.push(sql`and d.status = ${options.status}`);
  if (options.q) {
    const pattern = `%${options.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    filters.push(sql`and (d.address ilike ${pattern}
      or concat_ws(' ', c.first_name, c.last_name) ilike ${pattern})`);
  }
  if (options.after)
    filters.push(
      sql`and (d.created_at, d.id) < (${options.after.at}::timestamptz, ${options.after.id}::uuid)`,
    );
  const result = await db.execute<RecipientRow>(sql`
    select d.id, d.client_id, c.first_name, c.last_name, d.address, d.channel, d.status, d.skip_reason,
      d.error, d.sent_at, d.created_at
    from deliveries d left join clients c on c.id = d.client_id and c.workspace_id = d.workspace_id
    where d.workspace_id = ${workspaceId} and d.campaign_id = ${campaignId} ${sql.join(filters, sql` `)}
    order by d.created_at desc, d.id desc
    limit ${options.limit}`);
  return result.rows;
}

/** The user's retry: these statuses back to the queue, due now. */
export async function requeueDeliveries(db: DbOrTx, campaignId: string, statuses: string[]): Promise<number> {
  if (!statuses.length) return 0;
  const result = await db.execute(sql`
    update deliveries set status = 'queued', send_after = null, error = null, claimed_at = null, claimed_by = null,
      updated_at = now()
    where campaign_id = ${campaignId} and status = any(${`{${statuses.join(',')}}`}::text[])`);
  return result.rowCount ?? 0;
}
