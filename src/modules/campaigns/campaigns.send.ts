import { sql } from 'drizzle-orm';
import type { Task } from 'graphile-worker';
import type pg from 'pg';
import { systemContext, type WorkspaceContext } from '../../platform/auth/context.ts';
import { type Database, type DbOrTx, withConnection } from '../../platform/db/db.ts';
import { AppError } from '../../platform/errors.ts';
import type { JobDefinitions } from '../../platform/queue/queue.ts';
import { recordAudit } from '../audit/audit.service.ts';
import type { OutgoingMessage, SendResult, WhatsappTemplateRef } from '../channels/channel-types.ts';
import { lockChannelsForSend } from '../channels/channels.service.ts';
import { recordContacted, refreshClientStatistics } from '../clients/clients.service.ts';
import type { SuppressionList } from '../consent/suppressions.service.ts';
import {
  type ClientIdRange,
  type MessageChannel,
  middleClientId,
  type SendTiming,
  writeAudience,
  writeAudienceInHalves,
} from '../deliveries/audience.ts';
import { holdClaimOwner } from '../deliveries/claim-owner.ts';
import {
  type ClaimCursor,
  type ClaimedDelivery,
  campaignContactsSql,
  cancelQueued,
  claimDeliveries,
  consentWithdrawnSince,
  type DeliveryOutcome,
  deliveryProgress,
  reapStaleClaims,
  recordOutcomes,
  releaseClaims,
  requeueDeliveries,
  sentContactsSql,
} from '../deliveries/deliveries.repo.ts';
import { paced } from '../deliveries/rate-limiter.ts';
import { type Audience, compileAudience, getSegment, markSegmentUsed } from '../segments/segments.service.ts';
import {
  getTemplateRow,
  localIso,
  type RenderedMessage,
  type RenderInput,
  recordTemplateUse,
} from '../templates/templates.service.ts';
import { getWorkspace } from '../workspaces/workspaces.service.ts';
import { type CampaignContent, contentForVariant, contentVariants, startAbTest } from './campaigns.ab.ts';
import { type AudienceSnapshot, audienceAsCompiled } from './campaigns.audience.ts';
import { notifyCampaignStopped } from './campaigns.notify.ts';
import {
  accountRefusedReason,
  FAILURE_RATE_REASON,
  type FailReason,
  failReasonText,
} from './campaigns.reasons.ts';
import { type CampaignRow, excludedFromCampaignSql, updateCampaignRow } from './campaigns.repo.ts';
import {
  blockedChannelsOf,
  getCampaignRow,
  getCampaignSettings,
  toCampaignJson,
} from './campaigns.service.ts';

export const PREPARE_TASK = 'campaigns.prepare';
export const DISPATCH_TASK = 'campaigns.dispatch';
export const RECOVER_TASK = 'campaigns.recover_lanes';
/** Workers that send one campaign side by side (each claims its own batches). */
export const DISPATCH_LANES = 3;
/**
 * Deliveries one lane claims at a time: all become `unknown` if its worker dies mid-batch. 200, not
 * 100: each batch pays fixed round trips (claim, consent re-read, outcomes), and at 100 the worker
 * sat idle a third of the time (bench/campaigns-send.ts: 1,189 → 1,353 messages/s at 20,000).
 */
const BATCH = 200;
/** A claim this old without an outcome: its worker died mid-send. */
const STALE_CLAIM_MS = 120_000;
const MAX_ATTEMPTS = 5;
/** Failures among the last sends that pause the campaign by itself. */
const FAILURE_WINDOW = 200;
const FAILURE_PAUSE_RATE = 0.2;

/** A message rendered for one client, in the shape the channel providers send. */
export type CampaignMessage = Omit<RenderedMessage, 'whatsappTemplate'> & {
  whatsappTemplate?: WhatsappTemplateRef;
};

/** What a campaign send needs from the templates and channels modules (campaigns.pipeline.ts). */
export interface MessagePipeline {
  /** One message for one client (the campaign's test send). */
  render(
    db: DbOrTx,
    workspaceId: string,
    input: RenderInput & { campaignId: string },
    options?: { track?: boolean },
  ): Promise<CampaignMessage>;
  /**
   * The campaign's content for one claimed batch after another: what is the same for every message
   * (workspace, template, inlined layout) is prepared once per run of a lane.
   */
  batchRenderer(
    db: DbOrTx,
    workspaceId: string,
    input: Omit<RenderInput, 'clientId' | 'coupon'> & { campaignId: string },
  ): Promise<{
    render(db: DbOrTx, clientIds: readonly string[]): Promise<Map<string, CampaignMessage | Error>>;
  }>;
  /**
   * Sends of one batch through one channel: checks and provider calls one by one (paced by the
   * caller), their `channel_messages` rows written together by `flush`.
   */
  openSendBatch(
    db: Database,
    ctx: WorkspaceContext,
    channelId: string,
    recipients: { whatsapp?: readonly string[] },
  ): Promise<{ send(message: OutgoingMessage): Promise<SendResult>; flush(tx?: DbOrTx): Promise<void> }>;
  /** The channel (provider account) a campaign sends through: its own, else the workspace's default for the kind. */
  channel(
    db: Database,
    workspaceId: string,
    channelId: string | null,
    kind: MessageChannel,
  ): Promise<{ id: string; ratePerSecond: number | null }>;
  send(
    db: Database,
    ctx: WorkspaceContext,
    channelId: string,
    message: OutgoingMessage,
    options?: { test?: boolean },
  ): Promise<SendResult>;
}

export interface SendDeps {
  suppressions: SuppressionList;
  pipeline: MessagePipeline;
  /** From how many clients of the workspace a snapshot is written in two parts (prepareCampaign). */
  snapshotSplitFrom?: number;
  /** The server can send email: a campaign that stops by itself tells its creator by email too. */
  mailConfigured?: boolean;
}

export interface SendInput {
  /** Later, at this instant; absent = now. */
  at?: string;
  /** `at`'s wall-clock time (in the workspace's zone) for each recipient in their own zone. */
  recipient_time_zone?: boolean;
  determine_recipients?: 'now' | 'at_send';
}

/** What a delivery renders: its A/B variant's content (variant 0 for a campaign without a test). */
function contentForRender(row: CampaignRow, variant = 0) {
  const content = contentForVariant(row.content as CampaignContent, variant);
  return 'template_id' in content
    ? { templateId: content.template_id }
    : {
        subject: content.subject,
        body: content.body,
        marketing: row.marketing,
        whatsappTemplate: content.whatsapp_template
          ? {
              name: content.whatsapp_template.name,
              language: content.whatsapp_template.language,
              body_parameters: content.whatsapp_template.parameters ?? [],
            }
          : undefined,
      };
}

async function enqueue(db: DbOrTx, task: string, campaignId: string, lane: number | null, runAt?: Date) {
  const key = lane === null ? `${task}:${campaignId}` : `${task}:${campaignId}:${lane}`;
  await db.execute(
    sql`select graphile_worker.add_job(${task}, json_build_object('campaign_id', ${campaignId}::text),
          job_key => ${key}, run_at => ${(runAt ?? new Date()).toISOString()}::timestamptz, max_attempts => 25)`,
  );
}

/**
 * Draft and scheduled campaigns can be sent; so can a failed one that never fixed its recipients
 * (it failed in the prepare: nothing was written to the ledger), once its problem is fixed.
 */
function canSend(row: CampaignRow): boolean {
  return row.status === 'draft' || row.status === 'scheduled' || (row.status === 'failed' && !row.snapshotAt);
}

/**
 * Send (or schedule) a draft or scheduled campaign. The row is locked: a double-clicked Send or two
 * tabs get one answer each, and only the first starts anything (the other: 422 NOT_ALLOWED_NOW).
 * The audience is snapshotted by a job, not in the request: a million recipients take seconds.
 */
export async function sendCampaign(db: Database, ctx: WorkspaceContext, id: string, input: SendInput) {
  const at = input.at ? new Date(input.at) : null;
  if (at && Number.isNaN(at.getTime()))
    throw AppError.validation([{ path: '/at', message: 'must be a date-time with a zone' }]);
  const later = at !== null && at.getTime() > Date.now() + 1000;
  if (input.recipient_time_zone && !at)
    throw AppError.validation([
      { path: '/recipient_time_zone', message: 'needs `at`: the time to send at in each zone' },
    ]);
  return db.transaction(async (tx) => {
    const row = await getCampaignRow(tx, ctx.workspaceId, id, true);
    if (!canSend(row))
      throw new AppError(
        'NOT_ALLOWED_NOW',
        row.status === 'failed'
          ? 'This campaign failed after its recipients were fixed; duplicate it to send it again'
          : `This campaign is already ${row.status}`,
      );
    // Refused now rather than failed later: a segment archived meanwhile (404), conditions that no
    // longer validate (400 INVALID_SEGMENT), e.g. when a failed campaign is sent again unchanged.
    // A scheduled campaign whose recipients are fixed already never reads its audience again.
    if (!row.snapshotAt)
      await compileAudience(tx, ctx.workspaceId, row.audience as Audience, {
        pathPrefix: '/audience/definition',
      });
    // Refused (409) when its channel was deleted since it was chosen. The channels are held until
    // this commits, so a delete of the one it will send through waits and then sees this campaign.
    await lockChannelsForSend(tx, ctx.workspaceId, row.channelId);
    const recipientTimeZone = input.recipient_time_zone === true;
    // With recipients' zones, the first of them may be due hours before `at` (Pacific/Kiritimati is UTC+14).
    const startAt = later ? (recipientTimeZone ? new Date(at.getTime() - 26 * 3_600_000) : at) : new Date();
    const updated = await updateCampaignRow(tx, ctx.workspaceId, id, {
      status: later && startAt.getTime() > Date.now() ? 'scheduled' : 'sending',
      scheduledAt: at ?? null,
      recipientTimeZone,
      determineRecipients: input.determine_recipients ?? 'now',
      statusReason: null,
    });
    await enqueue(
      tx,
      PREPARE_TASK,
      id,
      null,
      input.determine_recipients === 'at_send' ? startAt : new Date(),
    );
    const audience = row.audience as Audience;
    // Refused (409) when the segment was archived meanwhile, unless the recipients are fixed already.
    if ('segment_id' in audience)
      await markSegmentUsed(tx, ctx.workspaceId, audience.segment_id, { readsMembers: !row.snapshotAt });
    await recordAudit(tx, ctx, {
      action: updated.status === 'scheduled' ? 'campaign.scheduled' : 'campaign.sent',
      entityType: 'campaign',
      entityId: id,
      changes: {
        status: { before: row.status, after: updated.status },
        scheduled_at: { before: null, after: at?.toISOString() ?? null },
        recipient_time_zone: { before: null, after: recipientTimeZone },
      },
    });
    return toCampaignJson(updated);
  });
}

/** What the prepare step needs (bench/campaigns-snapshot.ts runs it by itself). */
type SnapshotDeps = Pick<SendDeps, 'suppressions' | 'snapshotSplitFrom'> & {
  /** To skip WhatsApp recipients whose template the account has not approved (absent: not checked). */
  pipeline?: Pick<MessagePipeline, 'channel'>;
};

/** The session advisory lock that makes one prepare job at a time work on a campaign. */
const PREPARE_LOCK_SPACE = 740_518;

/**
 * The snapshot, once: who gets it, through which channel, from when; then the dispatch lanes.
 *
 * A large audience (the workspace has `snapshotSplitFrom` clients or more) is written in two
 * halves by client id, on two connections at once: on two cores, a million recipients in about
 * half the time of one statement (bench/campaigns-snapshot.ts). The halves are two transactions
 * that cannot commit together, so:
 * - both read one snapshot of the database (the first exports it, the second imports it): the
 *   same clients, consents, suppressions and frequency counts, and the same `duplicate_address`
 *   losers, decided over the whole audience (duplicateLosersSql), so every address gets one message;
 * - nothing of the ledger counts until the final step sets `snapshot_at` (in one transaction with
 *   the A/B split, the campaign's counts and the dispatch lanes): no lane claims and no stats show
 *   a campaign's deliveries before (dispatchLane, campaignStats);
 * - a prepare that died with one half committed left rows of an unfinished snapshot: the next one
 *   deletes them and takes the whole snapshot again, in one new snapshot of the database (a resumed
 *   half would read other data than the committed one, and could disagree on the duplicates);
 * - a session advisory lock (held from the start to the final step, released by PostgreSQL if the
 *   process dies) keeps a second prepare of the campaign (the lane recovery queues one every minute
 *   for a sending campaign without snapshot) from deleting what a live one is writing.
 */
export async function prepareCampaign(
  db: Database,
  pool: pg.Pool,
  deps: SnapshotDeps,
  campaignId: string,
  workspaceId: string,
) {
  const splitFrom = deps.snapshotSplitFrom ?? DEFAULT_SNAPSHOT_SPLIT_FROM;
  // The snapshot and every batch's last-contact update are planned from these statistics.
  await refreshClientStatistics(db);
  const live = await db.execute<{ n: number }>(
    sql`select count(*)::int as n from (select 1 from clients where workspace_id = ${workspaceId} and erased_at is null
        limit ${splitFrom}) c`,
  );
  if (live.rows[0]!.n < splitFrom) {
    // One statement, in the final step's transaction, which holds the campaign's row throughout.
    await db.transaction(async (tx) => {
      const row = await getCampaignRow(tx, workspaceId, campaignId, true);
      if (row.snapshotAt || (row.status !== 'sending' && row.status !== 'scheduled')) return;
      // Rows of a prepare that died between two halves (when the workspace was larger): taken again.
      await tx.execute(sql`delete from deliveries where campaign_id = ${campaignId}`);
      await finishPrepare(db, tx, deps, campaignId, workspaceId, (snapshot) =>
        snapshot(tx, { from: null, to: null }),
      );
    });
  } else {
    await withConnection(pool, async (session) => {
      await session.execute(sql`select pg_advisory_lock(${PREPARE_LOCK_SPACE}, hashtext(${campaignId}))`);
      await prepareInHalves(db, session, pool, deps, campaignId, workspaceId);
      await session.execute(sql`select pg_advisory_unlock(${PREPARE_LOCK_SPACE}, hashtext(${campaignId}))`);
    });
  }
}

async function prepareInHalves(
  db: Database,
  session: Database,
  pool: pg.Pool,
  deps: SnapshotDeps,
  campaignId: string,
  workspaceId: string,
) {
  const middle = await session.transaction(async (tx) => {
    const row = await getCampaignRow(tx, workspaceId, campaignId, true);
    if (row.snapshotAt || (row.status !== 'sending' && row.status !== 'scheduled')) return null;
    // An earlier prepare died between its two halves: what it committed is taken again from scratch.
    await tx.execute(sql`delete from deliveries where campaign_id = ${campaignId}`);
    return (await middleClientId(tx, workspaceId)) ?? null;
  });
  if (middle === null) return;
  // Both halves committed by themselves (writeAudienceInHalves); the final step's transaction
  // (read committed) reads what they wrote once both are in.
  await session.transaction((tx) =>
    finishPrepare(db, tx, deps, campaignId, workspaceId, (snapshot) =>
      writeAudienceInHalves(pool, middle, snapshot),
    ),
  );
}

/** Where a snapshot is written in two parts when the configuration does not say. */
export const DEFAULT_SNAPSHOT_SPLIT_FROM = 50_000;

/**
 * The final step of a prepare, in one transaction (`tx`, holding the campaign's row): `write` writes
 * the audience (here, or on other connections before returning), then the A/B split, the scheduled
 * time, the counts and `snapshot_at`, and the dispatch lanes. A campaign paused or cancelled while
 * its halves were written keeps its status: the snapshot is recorded, a cancelled one's queued
 * deliveries are cancelled, and only a sending or scheduled one gets its lanes.
 */
async function finishPrepare(
  db: Database,
  tx: DbOrTx,
  deps: SnapshotDeps,
  campaignId: string,
  workspaceId: string,
  write: (snapshot: (db: DbOrTx, range: ClientIdRange) => Promise<number>) => Promise<number>,
) {
  const row = await getCampaignRow(tx, workspaceId, campaignId, true);
  if (row.snapshotAt) return;
  const workspace = await getWorkspace(tx, workspaceId);
  const now = new Date();
  const { frequency_cap_7d, quiet_hours } = await getCampaignSettings(tx, systemContext(workspaceId));
  const timing: SendTiming = {
    localTime:
      row.recipientTimeZone && row.scheduledAt
        ? localIso(row.scheduledAt, workspace.defaultTimezone).slice(0, 16)
        : null,
    quietHours: quiet_hours,
  };
  // What could make the campaign fail for good is checked before anything is written: the audience
  // (its segment, its conditions), the channel and the templates. A CampaignCannotRun ends it `failed`.
  const audience = await compileAudience(tx, workspaceId, row.audience as Audience, { now }).catch(
    async (error: unknown) => {
      throw await audienceFailure(tx, workspaceId, error, row.audience as Audience);
    },
  );
  const asCompiled = await audienceAsCompiled(tx, workspaceId, row.audience as Audience);
  await checkCanRun(db, tx, deps, row);
  const channels = [row.channel, ...(row.fallbackChannels as MessageChannel[])];
  const rules = {
    workspaceId,
    channels,
    marketing: row.marketing,
    frequencyCap: frequency_cap_7d,
    blockedChannels: deps.pipeline ? await blockedChannelsOf(db, row, deps.pipeline) : {},
    excluded: excludedFromCampaignSql(campaignId),
    workspaceTimezone: workspace.defaultTimezone,
    now,
  };
  const added = await write((db, range) =>
    writeAudience(db, campaignId, audience, rules, deps.suppressions, timing, range),
  );
  // Paused or cancelled while the snapshot was written in parts (the row was not held meanwhile).
  const live = row.status === 'sending' || row.status === 'scheduled';
  if (row.status === 'cancelled') await cancelQueued(tx, campaignId);
  // An A/B campaign: the test groups stay queued, the rest is held for the winner.
  if (row.status !== 'cancelled') await startAbTest(tx, row, now);
  // A campaign for one instant (not per recipient zone) goes out at that instant.
  if (row.scheduledAt && !row.recipientTimeZone)
    await tx.execute(sql`update deliveries set send_after = greatest(send_after, ${row.scheduledAt.toISOString()}::timestamptz)
      where campaign_id = ${campaignId} and status = 'queued'`);
  // A campaign for later stays `scheduled` (its audience fixed now) until its first send is due.
  const progress = await deliveryProgress(tx, campaignId);
  const firstDue = (progress.counts.queued ?? 0) > 0 ? progress.nextDue : null;
  const stillScheduled = firstDue !== null && firstDue.getTime() > Date.now() + 1000;
  await updateCampaignRow(tx, workspaceId, campaignId, {
    snapshotAt: now,
    audienceCount: added,
    audienceSnapshot: asCompiled(added) as AudienceSnapshot & Record<string, unknown>,
    ...(live ? { status: stillScheduled ? 'scheduled' : 'sending' } : {}),
  });
  const content = row.content as CampaignContent;
  if ('template_id' in content && live) {
    // The template's usage count and last use: the messages this campaign will send with it.
    await recordTemplateUse(tx, workspaceId, content.template_id, progress.counts.queued ?? 0);
  }
  if (live)
    for (let lane = 0; lane < DISPATCH_LANES; lane++)
      await enqueue(tx, DISPATCH_TASK, campaignId, lane, stillScheduled ? firstDue : undefined);
}

/**
 * A campaign that cannot run until the user changes something (its segment was archived, its
 * channel deleted…): retrying the job would fail the same way, so the campaign ends `failed`.
 */
export class CampaignCannotRun extends Error {
  constructor(readonly reason: FailReason) {
    super(failReasonText(reason));
    this.name = 'CampaignCannotRun';
  }
}

/** Errors the user has to fix (validation, not found): permanent. Anything else (the database, a timeout) is retried. */
const PERMANENT_CODES: readonly string[] = [
  'VALIDATION_FAILED',
  'INVALID_SEGMENT',
  'BAD_REQUEST',
  'NOT_FOUND',
];

function isPermanent(error: unknown): error is AppError {
  return error instanceof AppError && PERMANENT_CODES.includes(error.code);
}

/** The audience did not compile: its segment is gone, or its conditions no longer validate. */
async function audienceFailure(
  db: DbOrTx,
  workspaceId: string,
  error: unknown,
  audience: Audience,
): Promise<unknown> {
  if (!isPermanent(error)) return error;
  if (error.code === 'NOT_FOUND' && 'segment_id' in audience) {
    // An archived segment still has its name; one deleted from the database only its id.
    const segment = await getSegment(db, systemContext(workspaceId), audience.segment_id).catch(() => null);
    return new CampaignCannotRun({ kind: 'segment_gone', detail: segment?.name ?? audience.segment_id });
  }
  if (error.code === 'INVALID_SEGMENT')
    return new CampaignCannotRun({
      kind: 'audience_invalid',
      detail: error.details.length
        ? error.details.map((d) => `${d.path || '/'}: ${d.message}`).join('; ')
        : error.message,
    });
  return error;
}

/**
 * The channel the campaign sends through and the saved templates of its content still exist. (No
 * channel chosen: the workspace's default for the kind, else the Outbox, which cannot be deleted.)
 */
async function checkCanRun(db: Database, tx: DbOrTx, deps: SnapshotDeps, row: CampaignRow) {
  if (deps.pipeline && row.channelId)
    await deps.pipeline.channel(db, row.workspaceId, row.channelId, row.channel).catch((error: unknown) => {
      throw isPermanent(error) && error.code === 'NOT_FOUND'
        ? new CampaignCannotRun({ kind: 'channel_gone' })
        : error;
    });
  for (const content of contentVariants(row.content as CampaignContent))
    if ('template_id' in content)
      await getTemplateRow(tx, row.workspaceId, content.template_id).catch((error: unknown) => {
        throw isPermanent(error) && error.code === 'NOT_FOUND'
          ? new CampaignCannotRun({ kind: 'template_gone' })
          : error;
      });
}

/** The reason a prepare or a lane stopped for good; null when the error is worth retrying. */
function failReasonOfError(error: unknown): FailReason | null {
  if (error instanceof CampaignCannotRun) return error.reason;
  if (isPermanent(error)) return { kind: 'other', detail: error.message };
  return null;
}

/**
 * The campaign could not run: `failed`, with the reason the dashboard explains, in the audit log.
 * Its lanes are taken off the queue and whatever was still queued is cancelled, so nothing more is
 * sent and nothing retries it (the lane recovery only looks at `sending` campaigns). A campaign
 * paused or cancelled meanwhile keeps its status.
 */
export async function failCampaign(
  db: Database,
  workspaceId: string,
  campaignId: string,
  reason: FailReason,
  options: { mailConfigured: boolean },
) {
  const text = failReasonText(reason);
  return db.transaction(async (tx) => {
    const row = await getCampaignRow(tx, workspaceId, campaignId, true);
    if (row.status !== 'sending' && row.status !== 'scheduled') return false;
    const cancelled = await cancelQueued(tx, campaignId);
    for (let lane = 0; lane < DISPATCH_LANES; lane++)
      await tx.execute(sql`select graphile_worker.remove_job(${`${DISPATCH_TASK}:${campaignId}:${lane}`})`);
    await updateCampaignRow(tx, workspaceId, campaignId, { status: 'failed', statusReason: text });
    await recordAudit(tx, systemContext(workspaceId, 'campaign'), {
      action: 'campaign.failed',
      entityType: 'campaign',
      entityId: campaignId,
      changes: {
        status: { before: row.status, after: 'failed' },
        reason: { before: null, after: text },
        ...(cancelled ? { cancelled_deliveries: { before: null, after: cancelled } } : {}),
      },
    });
    await notifyCampaignStopped(tx, row, { status: 'failed', reason: text }, options);
    return true;
  });
}

/** When the earliest queued delivery of a campaign may go (null: now, or nothing queued). */
async function firstDueAt(db: DbOrTx, campaignId: string): Promise<Date | null> {
  const { counts, nextDue } = await deliveryProgress(db, campaignId);
  return (counts.queued ?? 0) > 0 ? nextDue : null;
}

/** The time of a scheduled campaign has come: it is `sending` from now on. */
async function startScheduled(db: Database, workspaceId: string, campaignId: string) {
  await db.transaction(async (tx) => {
    const row = await getCampaignRow(tx, workspaceId, campaignId, true);
    if (row.status !== 'scheduled' || !row.snapshotAt) return;
    await updateCampaignRow(tx, workspaceId, campaignId, { status: 'sending' });
    await recordAudit(tx, systemContext(workspaceId, 'campaign'), {
      action: 'campaign.started',
      entityType: 'campaign',
      entityId: campaignId,
      changes: { status: { before: 'scheduled', after: 'sending' } },
    });
  });
}

function backoffMs(attempt: number): number {
  // 30 s, 1 min, 2 min, 4 min… with ±20 % jitter so retries of a batch spread out.
  return 30_000 * 2 ** (attempt - 1) * (0.8 + Math.random() * 0.4);
}

function outcomeOf(
  delivery: ClaimedDelivery,
  result: Awaited<ReturnType<MessagePipeline['send']>>,
): DeliveryOutcome {
  if (result.status === 'sent')
    return { id: delivery.id, status: 'sent', providerMessageId: result.providerMessageId };
  if (result.status === 'unknown') return { id: delivery.id, status: 'unknown', error: result.message };
  if (result.consentWithdrawn) return { id: delivery.id, status: 'skipped', reason: 'no_consent' };
  // Not this message's fault: it waits in the queue while the campaign pauses (see sendBatch).
  if (result.accountBlocked)
    return {
      id: delivery.id,
      status: 'queued',
      error: `${result.code}: ${result.message}`,
      retryAt: new Date(),
    };
  if (result.retryable && delivery.attempts < MAX_ATTEMPTS)
    return {
      id: delivery.id,
      status: 'queued',
      error: `${result.code}: ${result.message}`,
      retryAt: new Date(Date.now() + Math.max(result.retryAfterMs ?? 0, backoffMs(delivery.attempts))),
    };
  return { id: delivery.id, status: 'failed', error: `${result.code}: ${result.message}` };
}

/**
 * One lane of a campaign's send: claim a batch, send it at the account's shared rate, record the
 * outcomes, until nothing is due; then come back when the next delivery is due. Stops at once when
 * the campaign is paused or cancelled (checked before every batch).
 */
async function dispatchLane(
  db: Database,
  deps: SendDeps,
  campaignId: string,
  workspaceId: string,
  lane: number,
  owner: string,
) {
  const ctx = systemContext(workspaceId, 'campaign');
  const first = await getCampaignRow(db, workspaceId, campaignId);
  // Before its snapshot is complete, a campaign's ledger rows are half an audience: never claimed
  // (the prepare's final step queues the lanes again).
  if (!first.snapshotAt) return;
  if (first.status === 'scheduled') {
    const due = await firstDueAt(db, campaignId);
    // Woken early (a retried job): come back at the time.
    if (due && due.getTime() > Date.now() + 1000) return enqueue(db, DISPATCH_TASK, campaignId, lane, due);
    await startScheduled(db, workspaceId, campaignId);
  }
  await reapStaleClaims(db, campaignId, STALE_CLAIM_MS);
  // Per kind, prepared once per run of the lane: the provider account (the campaign's own channel for
  // its kind, the workspace's default for a fallback kind, e.g. an email campaign falling back to
  // WhatsApp) and the renderer (workspace, template and email layout read and inlined once).
  const channels = new Map<MessageChannel, Promise<{ id: string; ratePerSecond: number | null }>>();
  const renderers = new Map<string, ReturnType<MessagePipeline['batchRenderer']>>();
  const once = <K, T>(cache: Map<K, T>, kind: K, make: () => T): T => {
    if (!cache.has(kind)) cache.set(kind, make());
    return cache.get(kind)!;
  };

  // Each claim of this run starts where its last one ended (deliveries.repo.ts, ClaimCursor).
  const cursor: ClaimCursor = { after: null };

  /** Claims the next batch (committed as `sending`) and renders it; null when nothing is due or the campaign stopped. */
  const prepareBatch = async (): Promise<PreparedBatch | null> => {
    const row = await getCampaignRow(db, workspaceId, campaignId);
    if (row.status !== 'sending') return null;
    const batch = await claimDeliveries(db, campaignId, BATCH, owner, cursor);
    if (!batch.length) return null;
    const prepared: PreparedBatch = { ids: batch.map((d) => d.id), outcomes: [], groups: [], handedOver: 0 };
    for (const kind of new Set(batch.map((d) => d.channel))) {
      const deliveries: ClaimedDelivery[] = [];
      for (const delivery of batch.filter((d) => d.channel === kind)) {
        // Consent is read again at the claim: an unsubscribe during the campaign stops it for that client.
        if (delivery.consent) deliveries.push(delivery);
        else prepared.outcomes.push({ id: delivery.id, status: 'skipped', reason: 'no_consent' });
      }
      if (!deliveries.length) continue;
      const channel = await once(channels, kind, () =>
        deps.pipeline.channel(db, workspaceId, kind === row.channel ? row.channelId : null, kind),
      );
      try {
        // One renderer per kind and A/B variant (a campaign without a test has variant null).
        const messages = new Map<string, CampaignMessage | Error>();
        for (const variant of new Set(deliveries.map((d) => d.variant))) {
          const renderer = await once(renderers, `${kind}:${variant}`, () =>
            deps.pipeline.batchRenderer(db, workspaceId, {
              channel: kind,
              content: contentForRender(row, variant),
              campaignId,
            }),
          );
          const rendered = await renderer.render(
            db,
            deliveries.filter((d) => d.variant === variant).map((d) => d.client_id),
          );
          for (const [clientId, message] of rendered) messages.set(clientId, message);
        }
        prepared.groups.push({ kind, channel, deliveries, messages });
      } catch (error) {
        // The content itself no longer renders (e.g. its template was deleted): none is sent.
        for (const key of [...renderers.keys()]) if (key.startsWith(`${kind}:`)) renderers.delete(key);
        for (const d of deliveries)
          prepared.outcomes.push({ id: d.id, status: 'failed', error: (error as Error).message });
      }
    }
    return prepared;
  };

  /** Sends a prepared batch at each account's shared rate; returns every claimed delivery's outcome. */
  const sendBatch = async (prepared: PreparedBatch) => {
    const outcomes = [...prepared.outcomes];
    const flushes: Array<(tx: DbOrTx) => Promise<void>> = [];
    // A paced batch can take seconds. Read again every 250 ms while it runs: the campaign's status
    // (a pause or cancel stops the remaining sends; they go back to the queue untouched) and the
    // consent of its clients (an unsubscribe meanwhile stops that client's message).
    let stopped = false;
    /** Set when the provider refused the account itself: the rest of the batch stays unsent. */
    let accountRefused: string | null = null;
    const unsent: string[] = [];
    const claimed = prepared.groups.flatMap((g) => g.deliveries.map((d) => d.id));
    // Read now too: the batch was claimed ahead, while the one before it was sending.
    let withdrawn = await consentWithdrawnSince(db, claimed);
    const watch = setInterval(() => {
      getCampaignRow(db, workspaceId, campaignId).then(
        (row) => {
          if (row.status !== 'sending') stopped = true;
        },
        () => {},
      );
      consentWithdrawnSince(db, claimed).then(
        (ids) => {
          withdrawn = ids;
        },
        () => {},
      );
    }, 250);
    try {
      await sendGroups();
    } finally {
      clearInterval(watch);
    }
    // The batch's channel messages and its ledger outcomes: two statements, one transaction.
    await db.transaction(async (tx) => {
      for (const flush of flushes) await flush(tx);
      await recordOutcomes(tx, outcomes);
      await releaseClaims(tx, unsent);
    });
    return { outcomes, accountRefused };

    async function sendGroups() {
      await Promise.all(
        prepared.groups.map(async ({ kind, channel, deliveries, messages }) => {
          const sending = await deps.pipeline.openSendBatch(db, ctx, channel.id, {
            whatsapp: kind === 'whatsapp' ? deliveries.map((d) => d.address) : undefined,
          });
          flushes.push((tx) => sending.flush(tx));
          const send = async (delivery: ClaimedDelivery) => {
            if (stopped) {
              unsent.push(delivery.id);
              return;
            }
            if (withdrawn.has(delivery.id)) {
              outcomes.push({ id: delivery.id, status: 'skipped', reason: 'no_consent' });
              return;
            }
            const message = messages.get(delivery.client_id);
            // A render problem (a template that no longer renders for this client): not sent, never retried.
            if (!message || message instanceof Error) {
              outcomes.push({
                id: delivery.id,
                status: 'failed',
                error: message?.message ?? 'the client could not be rendered',
              });
              return;
            }
            try {
              prepared.handedOver++;
              const result = await sending.send({
                channel: delivery.channel,
                to: delivery.address,
                subject: message.subject,
                html: message.html,
                text: message.text,
                marketing: message.marketing,
                unsubscribeUrl: message.unsubscribeUrl,
                whatsappTemplate: message.whatsappTemplate,
                workspaceId,
                clientId: delivery.client_id,
                campaignId,
                deliveryId: delivery.id,
              });
              outcomes.push(outcomeOf(delivery, result));
              if (result.status === 'failed' && result.accountBlocked) {
                stopped = true;
                accountRefused ??= `${result.code}: ${result.message}`;
              }
            } catch (error) {
              // A provider that threw instead of answering: it may have the message.
              outcomes.push({ id: delivery.id, status: 'unknown', error: (error as Error).message });
            }
          };
          if (!channel.ratePerSecond) {
            await Promise.all(deliveries.map(send));
            return;
          }
          // Every send of the batch may be in flight at once: the provider's client queues them on
          // its own connections (nodemailer's pool), so a send never misses its slot waiting for an
          // earlier one to finish — at a high rate (10,000/s) a cap of in-flight sends made most of
          // a batch late, and each late send a new reservation on the shared slots' row.
          await paced(db, `channel:${channel.id}`, channel.ratePerSecond, deliveries, send, {
            stopped: () => stopped,
            inFlight: deliveries.length,
          });
        }),
      );
    }
  };

  // The next batch is claimed and rendered while the current one is being sent, so the provider
  // never waits for the database. It is sent only if the campaign is still sending by then; if not,
  // its claim is handed back to the queue (no provider call was made for it).
  let next = prepareBatch();
  for (;;) {
    const current = await next;
    if (!current) break;
    if ((await getCampaignRow(db, workspaceId, campaignId)).status !== 'sending') {
      await releaseClaims(db, current.ids);
      return;
    }
    next = prepareBatch();
    let outcomes: DeliveryOutcome[];
    let accountRefused: string | null;
    try {
      ({ outcomes, accountRefused } = await sendBatch(current));
    } catch (error) {
      // The next batch was never sent: its claims go back to the queue. So do the current one's when
      // it failed before any message was handed to a channel (its channel was deleted, say);
      // otherwise they stay `sending`, and the reaper makes them `unknown` (the provider may have them).
      const pending = await next.catch(() => null);
      if (pending) await releaseClaims(db, pending.ids);
      if (current.handedOver === 0) await releaseClaims(db, current.ids).catch(() => undefined);
      throw error;
    }
    await advanceSentClients(db, workspaceId, outcomes);
    // The provider refused the account (locked, suspended, credentials): nothing more can go through it.
    if (accountRefused) {
      const pending = await next;
      if (pending) await releaseClaims(db, pending.ids);
      await pauseByItself(db, deps, workspaceId, campaignId, accountRefusedReason(accountRefused));
      return;
    }
    // The failure rate can only have passed the threshold when this batch failed somewhere.
    if (outcomes.some((o) => o.status === 'failed') && (await failuresPassThreshold(db, campaignId))) {
      const pending = await next;
      if (pending) await releaseClaims(db, pending.ids);
      await pauseByItself(db, deps, workspaceId, campaignId, FAILURE_RATE_REASON);
      return;
    }
  }
  await finishOrWait(db, campaignId, workspaceId, lane);
}

/**
 * The last contact of the clients a batch reached. After the batch's ledger transaction and outside
 * it: two lanes or campaigns updating the same clients in another order could deadlock, and a
 * failed update must never undo the record of messages that left. What it misses (an error here,
 * a worker killed just before) the campaign's end catches up (`finishOrWait`), so it is not retried.
 */
async function advanceSentClients(db: Database, workspaceId: string, outcomes: DeliveryOutcome[]) {
  const sent = outcomes.filter((o) => o.status === 'sent').map((o) => o.id);
  if (!sent.length) return;
  await recordContacted(db, workspaceId, sentContactsSql(sent)).catch(() => 0);
}

/** A claimed batch, rendered, waiting for its sends. */
interface PreparedBatch {
  ids: string[];
  /** Outcomes known before any send (no consent any more, content that no longer renders). */
  outcomes: DeliveryOutcome[];
  groups: Array<{
    kind: MessageChannel;
    channel: { id: string; ratePerSecond: number | null };
    deliveries: ClaimedDelivery[];
    messages: Map<string, CampaignMessage | Error>;
  }>;
  /** Messages handed to a channel so far: while 0, no provider can have any of the batch. */
  handedOver: number;
}

async function failuresPassThreshold(db: DbOrTx, campaignId: string): Promise<boolean> {
  const result = await db.execute<{ failed: number; total: number }>(sql`
    select count(*) filter (where status = 'failed')::int as failed, count(*)::int as total from (
      select status from deliveries where campaign_id = ${campaignId} and status in ('sent', 'delivered', 'read', 'clicked', 'failed', 'unknown')
      order by updated_at desc limit ${FAILURE_WINDOW}) recent`);
  const { failed, total } = result.rows[0]!;
  return total >= 20 && failed / total > FAILURE_PAUSE_RATE;
}

async function pauseByItself(
  db: Database,
  deps: SendDeps,
  workspaceId: string,
  campaignId: string,
  reason: string,
) {
  await db.transaction(async (tx) => {
    const row = await getCampaignRow(tx, workspaceId, campaignId, true);
    if (row.status !== 'sending') return;
    await updateCampaignRow(tx, workspaceId, campaignId, { status: 'paused', statusReason: reason });
    await notifyCampaignStopped(
      tx,
      row,
      { status: 'paused', reason },
      { mailConfigured: deps.mailConfigured ?? false },
    );
    await recordAudit(tx, systemContext(workspaceId, 'campaign'), {
      action: 'campaign.paused',
      entityType: 'campaign',
      entityId: campaignId,
      changes: { status: { before: 'sending', after: 'paused' }, reason: { before: null, after: reason } },
    });
  });
}

/** Nothing due now: done when nothing is queued or in flight, else come back when the next one is due. */
async function finishOrWait(db: Database, campaignId: string, workspaceId: string, lane: number) {
  // Paused (by hand or by itself) or cancelled meanwhile: the lane ends here; /resume queues the lanes
  // again. Queued again instead, it would come back at once for a delivery already due, forever.
  if ((await getCampaignRow(db, workspaceId, campaignId)).status !== 'sending') return;
  const { counts, nextDue } = await deliveryProgress(db, campaignId);
  if ((counts.queued ?? 0) > 0) {
    await enqueue(db, DISPATCH_TASK, campaignId, lane, nextDue ?? new Date(Date.now() + 5_000));
    return;
  }
  // An A/B test's held recipients: the winner's decision restarts the lanes (campaigns.ab.ts).
  if ((counts.held ?? 0) > 0) return;
  if ((counts.sending ?? 0) > 0) {
    // Another lane is finishing its batch, or a dead worker's claim waits for the reaper.
    await enqueue(db, DISPATCH_TASK, campaignId, lane, new Date(Date.now() + 15_000));
    return;
  }
  // Every client the campaign reached, including batches whose own update was missed.
  await recordContacted(db, workspaceId, campaignContactsSql(campaignId));
  await db.transaction(async (tx) => {
    const row = await getCampaignRow(tx, workspaceId, campaignId, true);
    // Not snapshotted yet (a lane queued again while the snapshot is still to be taken): not done.
    if (row.status !== 'sending' || !row.snapshotAt) return;
    await updateCampaignRow(tx, workspaceId, campaignId, { status: 'sent' });
    await recordAudit(tx, systemContext(workspaceId, 'campaign'), {
      action: 'campaign.completed',
      entityType: 'campaign',
      entityId: campaignId,
      changes: { status: { before: 'sending', after: 'sent' }, deliveries: { before: null, after: counts } },
    });
  });
}

/** Pause (sending → paused), resume (paused → sending, lanes restarted) and cancel (queued → cancelled). */
export async function changeCampaignState(
  db: Database,
  ctx: WorkspaceContext,
  id: string,
  action: 'pause' | 'resume' | 'cancel',
) {
  const json = await db.transaction(async (tx) => {
    const row = await getCampaignRow(tx, ctx.workspaceId, id, true);
    const allowed: Record<typeof action, CampaignRow['status'][]> = {
      pause: ['sending'],
      resume: ['paused'],
      cancel: ['scheduled', 'sending', 'paused'],
    };
    if (!allowed[action].includes(row.status))
      throw new AppError('NOT_ALLOWED_NOW', `A ${row.status} campaign cannot be ${action}d`);
    const status = action === 'pause' ? 'paused' : action === 'resume' ? 'sending' : 'cancelled';
    const updated = await updateCampaignRow(tx, ctx.workspaceId, id, { status, statusReason: null });
    let cancelled = 0;
    if (action === 'cancel') cancelled = await cancelQueued(tx, id);
    if (action === 'resume')
      for (let lane = 0; lane < DISPATCH_LANES; lane++) await enqueue(tx, DISPATCH_TASK, id, lane);
    await recordAudit(tx, ctx, {
      action: `campaign.${action === 'pause' ? 'paused' : action === 'resume' ? 'resumed' : 'cancelled'}`,
      entityType: 'campaign',
      entityId: id,
      changes: {
        status: { before: row.status, after: status },
        ...(action === 'cancel' ? { cancelled_deliveries: { before: null, after: cancelled } } : {}),
      },
    });
    return toCampaignJson(updated);
  });
  // What left before the cancel still moves its clients' last contact (as a finished campaign's end
  // does in finishOrWait): a batch's own update may have been missed, and no lane will finish it.
  // After the transaction, like every last-contact update (see advanceSentClients).
  if (action === 'cancel') await recordContacted(db, ctx.workspaceId, campaignContactsSql(id));
  return json;
}

function payloadOf(payload: unknown): { campaign_id: string } {
  const id = (payload as { campaign_id?: unknown })?.campaign_id;
  if (typeof id !== 'string') throw new Error('campaign job without campaign_id');
  return { campaign_id: id };
}

async function workspaceOfCampaign(db: Database, campaignId: string): Promise<string | null> {
  const result = await db.execute<{ workspace_id: string }>(
    sql`select workspace_id from campaigns where id = ${campaignId} and deleted_at is null`,
  );
  return result.rows[0]?.workspace_id ?? null;
}

/**
 * A transient error as graphile-worker records it for the retry. A failed query's message carries its
 * parameters, some binary (the suppression list's key): a NUL in it makes graphile-worker's own
 * update of the job fail, which would leave the job locked for 4 hours instead of retried.
 */
function retryable(error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const clean = message.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '�');
  if (clean === message && error instanceof Error) return error;
  return new Error(clean, { cause: error });
}

/** `pool`: the lanes hold their claim-owner lock on a connection of their own from it. */
export function campaignSendJobs(db: Database, pool: pg.Pool, deps: SendDeps): JobDefinitions {
  const fail = (workspaceId: string, campaignId: string, reason: FailReason) =>
    failCampaign(db, workspaceId, campaignId, reason, { mailConfigured: deps.mailConfigured ?? false });
  const prepare: Task = async (payload) => {
    const { campaign_id } = payloadOf(payload);
    const workspaceId = await workspaceOfCampaign(db, campaign_id);
    if (!workspaceId) return;
    try {
      await prepareCampaign(db, pool, deps, campaign_id, workspaceId);
    } catch (error) {
      // Permanent: the campaign fails, and the job ends (graphile-worker would retry it 25 times,
      // and the lane recovery queue it again every minute). Transient: thrown, so it is retried.
      const reason = failReasonOfError(error);
      if (!reason) throw retryable(error);
      await fail(workspaceId, campaign_id, reason);
    }
  };
  const dispatch: Task = async (payload, helpers) => {
    const { campaign_id } = payloadOf(payload);
    const workspaceId = await workspaceOfCampaign(db, campaign_id);
    const lane =
      Number(
        String(helpers.job.key ?? '')
          .split(':')
          .at(-1),
      ) || 0;
    if (!workspaceId) return;
    // Its channel or template deleted since the prepare (or while it was paused): it cannot go on.
    const row = await getCampaignRow(db, workspaceId, campaign_id);
    if (row.status === 'sending' || row.status === 'scheduled') {
      const cannot = await checkCanRun(db, db, deps, row).then(
        () => null,
        (error: unknown) => error,
      );
      if (cannot) {
        const reason = failReasonOfError(cannot);
        if (!reason) throw retryable(cannot);
        await fail(workspaceId, campaign_id, reason);
        return;
      }
    }
    let failure: FailReason | null = null;
    // Held while the lane sends: claims of a lane whose process died are known as orphans at once.
    const owner = await holdClaimOwner(pool);
    try {
      await dispatchLane(db, deps, campaign_id, workspaceId, lane, owner.id);
    } catch (error) {
      // Permanent (e.g. the channel deleted during this run): the campaign fails instead of being
      // retried forever. Anything else is retried.
      failure = failReasonOfError(error);
      if (!failure) throw retryable(error);
    } finally {
      await owner.release();
    }
    if (!failure) {
      // A lane that stopped because the campaign was cancelled or failed meanwhile handed its claimed,
      // unsent batches back to the queue, after the cancel had cancelled what was queued: those too.
      const after = await getCampaignRow(db, workspaceId, campaign_id);
      if (after.status === 'cancelled' || after.status === 'failed') await cancelQueued(db, campaign_id);
      return;
    }
    const precise = await checkCanRun(db, db, deps, row).then(
      () => null,
      (error: unknown) => (error instanceof CampaignCannotRun ? error.reason : null),
    );
    // This lane's claims (its owner lock is free now): whether their messages left is not known.
    await reapStaleClaims(db, campaign_id, STALE_CLAIM_MS);
    await fail(workspaceId, campaign_id, precise ?? failure);
  };
  /**
   * A worker killed mid-lane leaves its job locked (graphile-worker frees it only after 4 hours):
   * when a worker starts, and every minute, each sending campaign gets its lanes queued again.
   * A lane that is queued keeps its time; one that is running elsewhere gets a twin, which claims
   * its own batches like any lane (claims never overlap).
   */
  const recoverLanes: Task = async () => {
    const sending = await db.execute<{ id: string; snapshotted: boolean }>(
      sql`select id, snapshot_at is not null as snapshotted from campaigns where status = 'sending' and deleted_at is null`,
    );
    for (const { id, snapshotted } of sending.rows) {
      // Killed while taking the snapshot (its transaction rolled back): take it again first.
      const jobs = snapshotted
        ? Array.from({ length: DISPATCH_LANES }, (_, lane) => [
            DISPATCH_TASK,
            `${DISPATCH_TASK}:${id}:${lane}`,
          ])
        : [[PREPARE_TASK, `${PREPARE_TASK}:${id}`]];
      for (const [task, key] of jobs)
        await db.execute(
          sql`select graphile_worker.add_job(${task}, json_build_object('campaign_id', ${id}::text),
            job_key => ${key}, job_key_mode => 'preserve_run_at', max_attempts => 25)`,
        );
    }
  };
  return {
    tasks: { [PREPARE_TASK]: prepare, [DISPATCH_TASK]: dispatch, [RECOVER_TASK]: recoverLanes },
    cron: [{ task: RECOVER_TASK, match: '* * * * *', identifier: RECOVER_TASK }],
    // A killed worker's dispatch jobs stay locked for hours: a new worker recovers its lanes at once.
    onStart: [
      () =>
        db.execute(
          sql`select graphile_worker.add_job(${RECOVER_TASK}, '{}'::json, job_key => ${RECOVER_TASK})`,
        ),
    ],
  };
}

/**
 * Retry what the user picks: `failed` and/or `unknown` deliveries go back to the queue (an unknown
 * one may reach the client twice: that is the user's call, never ours) and the campaign sends again.
 */
export async function retryCampaign(
  db: Database,
  ctx: WorkspaceContext,
  id: string,
  statuses: Array<'failed' | 'unknown'>,
) {
  return db.transaction(async (tx) => {
    const row = await getCampaignRow(tx, ctx.workspaceId, id, true);
    if (!['sending', 'paused', 'sent'].includes(row.status))
      throw new AppError(
        'NOT_ALLOWED_NOW',
        row.status === 'failed'
          ? 'A failed campaign could not run: fix what its status_reason says, then send it again (or duplicate it)'
          : `A ${row.status} campaign has nothing to retry`,
      );
    const requeued = await requeueDeliveries(tx, id, statuses);
    const updated =
      requeued > 0 && row.status === 'sent'
        ? await updateCampaignRow(tx, ctx.workspaceId, id, { status: 'sending', statusReason: null })
        : row;
    if (requeued > 0 && updated.status === 'sending')
      for (let lane = 0; lane < DISPATCH_LANES; lane++) await enqueue(tx, DISPATCH_TASK, id, lane);
    await recordAudit(tx, ctx, {
      action: 'campaign.retried',
      entityType: 'campaign',
      entityId: id,
      changes: { statuses: { before: null, after: statuses }, requeued: { before: null, after: requeued } },
    });
    return { campaign: toCampaignJson(updated), requeued };
  });
}

/**
 * One message of the campaign, rendered for a real client of the workspace, to an address or
 * number the user gives: through the campaign's channel, marked as a test (the Outbox keeps it),
 * outside the ledger and the frequency cap.
 */
export async function testCampaign(
  db: Database,
  ctx: WorkspaceContext,
  id: string,
  input: { to: string; client_id: string; variant?: number },
  pipeline: MessagePipeline,
) {
  const row = await getCampaignRow(db, ctx.workspaceId, id);
  const variants = contentVariants(row.content as CampaignContent).length;
  if (input.variant !== undefined && input.variant >= variants)
    throw AppError.validation([{ path: '/variant', message: `must be between 0 and ${variants - 1}` }]);
  // Untracked: its pixel and links would record the client it is rendered for as having opened and
  // clicked the campaign whenever the person testing opens their own copy.
  const message = await pipeline.render(
    db,
    ctx.workspaceId,
    {
      channel: row.channel,
      content: contentForRender(row, input.variant),
      clientId: input.client_id,
      campaignId: id,
    },
    { track: false },
  );
  const channel = await pipeline.channel(db, ctx.workspaceId, row.channelId, row.channel);
  const result = await pipeline.send(
    db,
    ctx,
    channel.id,
    {
      channel: row.channel,
      to: input.to.trim(),
      subject: message.subject ? `[TEST] ${message.subject}` : undefined,
      html: message.html,
      text: message.text,
      marketing: message.marketing,
      unsubscribeUrl: message.unsubscribeUrl,
      whatsappTemplate: message.whatsappTemplate,
      workspaceId: ctx.workspaceId,
      clientId: input.client_id,
      campaignId: id,
    },
    { test: true },
  );
  if (result.status === 'failed' && result.code === 'INVALID_MESSAGE')
    throw AppError.validation([{ path: '/to', message: result.message }]);
  return result.status === 'sent'
    ? { status: 'sent' as const, provider_message_id: result.providerMessageId }
    : { status: result.status, error: result.message };
}
