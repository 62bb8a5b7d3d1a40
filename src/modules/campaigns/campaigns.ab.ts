import { sql } from 'drizzle-orm';
import type { Task } from 'graphile-worker';
import { systemContext, type WorkspaceContext } from '../../platform/auth/context.ts';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { AppError, type ErrorDetail } from '../../platform/errors.ts';
import type { JobDefinitions } from '../../platform/queue/queue.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { quietEndSql, recipientTimezoneSql } from '../deliveries/audience.ts';
import { inboundReplyWithin } from '../events/events.repo.ts';
import { getWorkspace } from '../workspaces/workspaces.service.ts';
import { type CampaignRow, updateCampaignRow } from './campaigns.repo.ts';
import { DISPATCH_LANES, DISPATCH_TASK } from './campaigns.send.ts';
import { getCampaignRow, getCampaignSettings, toCampaignJson } from './campaigns.service.ts';

/**
 * A/B test: 2–4 content variants go to a random test share of the eligible recipients (split evenly
 * between the variants); the others wait in the ledger as `held`. After `wait_hours` a job picks the
 * variant with the best rate on the chosen criterion (or a person picks it by hand before) and the
 * held recipients are released with that variant to the rest of the send.
 */

export const AB_CRITERIA = ['opened', 'clicked', 'replied'] as const;
export type AbCriterion = (typeof AB_CRITERIA)[number];
export const AB_DECIDE_TASK = 'campaigns.ab_decide';
export const MAX_VARIANTS = 4;
/** A reply counts towards a message when it comes within this many hours of it. */
export const REPLY_WINDOW_HOURS = 72;

export type SingleContent =
  | { template_id: string }
  | {
      subject?: string;
      body: string;
      whatsapp_template?: { name: string; language: string; parameters?: string[] };
    };
export type CampaignContent = SingleContent | { variants: SingleContent[] };

export interface AbTestSettings {
  /** Of the eligible recipients, the share (in %) that receives the test, split between the variants. */
  test_share_percent: number;
  criterion: AbCriterion;
  /** How long after the test starts the winner is chosen. */
  wait_hours: number;
}

export interface AbTestState extends AbTestSettings {
  /** When the job will choose (set when the audience is fixed). */
  decide_at?: string | null;
  winner?: number | null;
  decided_at?: string | null;
  decided_by?: 'rate' | 'hand' | null;
}

/** The content variants of a campaign: one (variant 0) unless it is an A/B test. */
export function contentVariants(content: CampaignContent): SingleContent[] {
  return 'variants' in content ? content.variants : [content];
}

/**
 * THE dispatch hook: what a delivery of `variant` renders. A variant out of range (the content was
 * edited down while deliveries waited) falls back to the first, never to nothing.
 */
export function contentForVariant(content: CampaignContent, variant: number): SingleContent {
  const variants = contentVariants(content);
  return variants[variant] ?? variants[0]!;
}

/** The content and the A/B settings agree; problems with their paths. */
export function checkAbTest(
  content: CampaignContent | undefined,
  abTest: AbTestSettings | null | undefined,
  problems: ErrorDetail[],
) {
  if (!content) return;
  const hasVariants = 'variants' in content;
  if (hasVariants && !abTest)
    problems.push({
      path: '/ab_test',
      message: 'content with variants needs ab_test (test share, criterion and wait hours)',
    });
  if (!hasVariants && abTest)
    problems.push({ path: '/content/variants', message: 'an A/B test needs 2 to 4 content variants' });
}

function stateOf(row: CampaignRow): AbTestState | null {
  return (row.abTest as AbTestState | null) ?? null;
}

async function enqueueDecide(db: DbOrTx, campaignId: string, at: Date) {
  await db.execute(
    sql`select graphile_worker.add_job(${AB_DECIDE_TASK}, json_build_object('campaign_id', ${campaignId}::text),
          job_key => ${`${AB_DECIDE_TASK}:${campaignId}`}, run_at => ${at.toISOString()}::timestamptz, max_attempts => 25)`,
  );
}

/**
 * Called right after the audience snapshot (same transaction): splits the queued recipients of an
 * A/B campaign into the test groups (variant 0..k-1, evenly, in random order) and the held rest, and
 * queues the decision `wait_hours` after the first test message is due. Nothing for other campaigns.
 */
export async function startAbTest(tx: DbOrTx, row: CampaignRow, now: Date): Promise<void> {
  const state = stateOf(row);
  const content = row.content as CampaignContent;
  if (!state || !('variants' in content)) return;
  const k = content.variants.length;
  const share = state.test_share_percent / 100;
  // At least one recipient per variant when there are that many; ceil so a small audience still tests.
  const result = await tx.execute<{ first_due: string | null }>(sql`
    with q as (
      select id, row_number() over (order by random()) as rn, count(*) over () as n
      from deliveries where campaign_id = ${row.id} and status = 'queued'
    ), split as (
      update deliveries d set
        variant = case when q.rn <= greatest(ceil(q.n * ${share}::float8), least(q.n, ${k})) then ((q.rn - 1) % ${k})::int else 0 end,
        status = case when q.rn <= greatest(ceil(q.n * ${share}::float8), least(q.n, ${k})) then 'queued' else 'held' end,
        updated_at = now()
      from q where d.id = q.id
      returning d.status, d.send_after
    )
    select min(coalesce(send_after, now())) filter (where status = 'queued') as first_due from split`);
  // The test starts with its first message: a scheduled campaign's time, a recipient's own time, or now.
  const starts = [now, result.rows[0]?.first_due ? new Date(result.rows[0].first_due) : now];
  if (row.scheduledAt && !row.recipientTimeZone) starts.push(row.scheduledAt);
  const start = new Date(Math.max(...starts.map((d) => d.getTime())));
  const decideAt = new Date(start.getTime() + state.wait_hours * 3_600_000);
  await updateCampaignRow(tx, row.workspaceId, row.id, {
    abTest: { ...state, decide_at: decideAt.toISOString(), winner: null, decided_at: null, decided_by: null },
  });
  await enqueueDecide(tx, row.id, decideAt);
}

export interface VariantStats {
  variant: number;
  /** Test recipients of the variant (queued or with an outcome); the held rest is not counted. */
  recipients: number;
  sent: number;
  delivered: number;
  opened: number;
  clicked: number;
  replied: number;
  /** The criterion's count over the sent, 0 when none was sent. */
  rate: number;
}

/** Per variant: how its messages did, and its rate on the criterion. The held are not counted. */
export async function variantStats(
  db: DbOrTx,
  workspaceId: string,
  campaignId: string,
  variants: number,
  criterion: AbCriterion,
): Promise<VariantStats[]> {
  const replied = inboundReplyWithin(workspaceId, sql`d.client_id`, sql`d.sent_at`, REPLY_WINDOW_HOURS);
  const result = await db.execute<Omit<VariantStats, 'rate'>>(sql`
    select d.variant,
      count(*)::int as recipients,
      count(*) filter (where d.sent_at is not null)::int as sent,
      count(*) filter (where d.status in ('delivered', 'read', 'clicked'))::int as delivered,
      count(*) filter (where d.status in ('read', 'clicked'))::int as opened,
      count(*) filter (where d.status = 'clicked')::int as clicked,
      count(*) filter (where d.sent_at is not null and ${replied})::int as replied
    from deliveries d
    where d.workspace_id = ${workspaceId} and d.campaign_id = ${campaignId}
      and d.status not in ('held', 'skipped', 'cancelled')
    group by d.variant`);
  const byVariant = new Map(result.rows.map((r) => [r.variant, r]));
  return Array.from({ length: variants }, (_, variant) => {
    const row = byVariant.get(variant) ?? {
      variant,
      recipients: 0,
      sent: 0,
      delivered: 0,
      opened: 0,
      clicked: 0,
      replied: 0,
    };
    return { ...row, rate: row.sent ? row[criterion] / row.sent : 0 };
  });
}

/** The best rate wins; a tie goes to the earlier variant (the author's first choice). */
export function bestVariant(stats: VariantStats[]): number {
  let best = stats[0]!;
  for (const s of stats) if (s.rate > best.rate) best = s;
  return best.variant;
}

async function restartLanes(tx: DbOrTx, campaignId: string) {
  for (let lane = 0; lane < DISPATCH_LANES; lane++)
    await tx.execute(
      sql`select graphile_worker.add_job(${DISPATCH_TASK}, json_build_object('campaign_id', ${campaignId}::text),
            job_key => ${`${DISPATCH_TASK}:${campaignId}:${lane}`}, max_attempts => 25)`,
    );
}

/**
 * Chooses the winner (`variant` by hand, else the best rate now) and releases the held recipients
 * with it: queued again, sent by the lanes (restarted when the campaign is sending; a paused one
 * sends them on resume). Once only: a second decision answers 422, a late job does nothing.
 */
async function decide(
  db: Database,
  ctx: WorkspaceContext,
  campaignId: string,
  by: { hand: number } | { rate: true },
) {
  return db.transaction(async (tx) => {
    const row = await getCampaignRow(tx, ctx.workspaceId, campaignId, true);
    const state = stateOf(row);
    const content = row.content as CampaignContent;
    if (!state || !('variants' in content))
      throw new AppError('NOT_ALLOWED_NOW', 'This campaign is not an A/B test');
    if (state.winner !== null && state.winner !== undefined)
      throw new AppError('NOT_ALLOWED_NOW', `Variant ${state.winner + 1} already won`);
    if (!row.snapshotAt)
      throw new AppError('NOT_ALLOWED_NOW', 'The test has not started: the audience is not fixed yet');
    if (['cancelled', 'failed'].includes(row.status))
      throw new AppError('NOT_ALLOWED_NOW', `This campaign is ${row.status}`);
    const k = content.variants.length;
    if ('hand' in by && (by.hand < 0 || by.hand >= k))
      throw AppError.validation([{ path: '/variant', message: `must be between 0 and ${k - 1}` }]);
    const stats = await variantStats(tx, ctx.workspaceId, campaignId, k, state.criterion);
    const winner = 'hand' in by ? by.hand : bestVariant(stats);
    // Released now: SMS and WhatsApp still wait out the quiet hours of each recipient's zone, as at
    // the snapshot (a release at 22:00 goes at 09:00 local, never at night and never dropped).
    const { defaultTimezone } = await getWorkspace(tx, ctx.workspaceId);
    const { quiet_hours } = await getCampaignSettings(tx, ctx);
    const quietEnd = quiet_hours
      ? sql`(select ${quietEndSql(quiet_hours, sql`now()`, recipientTimezoneSql(defaultTimezone), sql`d.channel`)} from clients c where c.id = d.client_id)`
      : sql`null::timestamptz`;
    const released = await tx.execute(sql`
      update deliveries d set status = 'queued', variant = ${winner}, updated_at = now(),
        send_after = greatest(d.send_after, ${quietEnd})
      where d.campaign_id = ${campaignId} and d.status = 'held'`);
    const decided: AbTestState = {
      ...state,
      winner,
      decided_at: new Date().toISOString(),
      decided_by: 'hand' in by ? 'hand' : 'rate',
    };
    let updated = await updateCampaignRow(tx, ctx.workspaceId, campaignId, { abTest: { ...decided } });
    // The test groups may all be done (the lanes stopped, the campaign waited): the rest goes now.
    if ((released.rowCount ?? 0) > 0 && row.status === 'sent')
      updated = await updateCampaignRow(tx, ctx.workspaceId, campaignId, { status: 'sending' });
    if ((released.rowCount ?? 0) > 0 && updated.status === 'sending') await restartLanes(tx, campaignId);
    await recordAudit(tx, ctx, {
      action: 'campaign.ab_winner',
      entityType: 'campaign',
      entityId: campaignId,
      changes: {
        winner: { before: null, after: winner },
        decided_by: { before: null, after: decided.decided_by },
        rates: {
          before: null,
          after: stats.map((s) => ({ variant: s.variant, rate: s.rate, sent: s.sent })),
        },
        released: { before: null, after: released.rowCount ?? 0 },
      },
    });
    return { campaign: toCampaignJson(updated), released: released.rowCount ?? 0 };
  });
}

/** `POST /campaigns/{id}/ab-test/winner`: a person picks the winner before (or instead of) the job. */
export function chooseWinnerByHand(db: Database, ctx: WorkspaceContext, campaignId: string, variant: number) {
  return decide(db, ctx, campaignId, { hand: variant });
}

/** The A/B part of the stats: the settings, the decision, and each variant's figures. */
export async function abTestStats(db: DbOrTx, row: CampaignRow) {
  const state = stateOf(row);
  const content = row.content as CampaignContent;
  if (!state || !('variants' in content)) return null;
  const [held] = (
    await db.execute<{ n: number }>(
      sql`select count(*)::int as n from deliveries where campaign_id = ${row.id} and status = 'held'`,
    )
  ).rows;
  return {
    test_share_percent: state.test_share_percent,
    criterion: state.criterion,
    wait_hours: state.wait_hours,
    decide_at: state.decide_at ?? null,
    winner: state.winner ?? null,
    decided_at: state.decided_at ?? null,
    decided_by: state.decided_by ?? null,
    held: held?.n ?? 0,
    variants: await variantStats(db, row.workspaceId, row.id, content.variants.length, state.criterion),
  };
}

export function abJobs(db: Database): JobDefinitions {
  const decideTask: Task = async (payload) => {
    const id = (payload as { campaign_id?: unknown })?.campaign_id;
    if (typeof id !== 'string') throw new Error('A/B job without campaign_id');
    const rows = await db.execute<{ workspace_id: string; decided: boolean }>(
      sql`select workspace_id, (ab_test->>'winner') is not null as decided from campaigns
          where id = ${id} and deleted_at is null and status not in ('cancelled', 'failed', 'draft')`,
    );
    const found = rows.rows[0];
    if (!found || found.decided) return;
    await decide(db, systemContext(found.workspace_id, 'campaign'), id, { rate: true });
  };
  return { tasks: { [AB_DECIDE_TASK]: decideTask }, cron: [] };
}
