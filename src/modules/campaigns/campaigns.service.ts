import type { SQL } from 'drizzle-orm';
import type { WorkspaceContext } from '../../platform/auth/context.ts';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { AppError, type ErrorDetail } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { decodeCursor, page } from '../../platform/pagination.ts';
import { type Changes, diff, recordAudit } from '../audit/audit.service.ts';
import {
  channelKindsOf,
  lockChannelsForSend,
  syncedWhatsappTemplateStatuses,
} from '../channels/channels.service.ts';
import type { SuppressionList } from '../consent/suppressions.service.ts';
import {
  type EligibilityRules,
  type EligibilitySummary,
  type MessageChannel,
  summarizeEligibility,
} from '../deliveries/audience.ts';
import {
  campaignFunnel,
  failuresByReason,
  sendsAndDeliveriesOverTime,
  sentPerChannel,
} from '../deliveries/deliveries.figures.ts';
import { campaignRecipientRows, deliveryCounts, sentPerMinute } from '../deliveries/deliveries.repo.ts';
import { DELIVERY_STATUSES, SKIP_REASONS } from '../deliveries/deliveries.schema.ts';
import { inboundReplyWithin } from '../events/events.repo.ts';
import {
  type Audience,
  checkClientIds,
  compileAudience,
  markSegmentUsed,
} from '../segments/segments.service.ts';
import { getTemplateRow } from '../templates/templates.service.ts';
import { getWorkspace } from '../workspaces/workspaces.service.ts';
import {
  type AbTestSettings,
  type AbTestState,
  abTestStats,
  type CampaignContent,
  checkAbTest,
  contentVariants,
  REPLY_WINDOW_HOURS,
  type SingleContent,
} from './campaigns.ab.ts';
import type { AudienceSnapshot } from './campaigns.audience.ts';
import { costOf, type Prices, smsSegmentsPerMessage } from './campaigns.costs.ts';
import {
  type CampaignRow,
  deleteExclusion,
  excludedFromCampaignSql,
  findCampaign,
  findCampaignSettings,
  insertCampaign,
  insertExclusions,
  listCampaignRows,
  listExclusionRows,
  skipExcludedDeliveries,
  updateCampaignRow,
  upsertCampaignSettings,
} from './campaigns.repo.ts';
import {
  CAMPAIGN_CHANNELS,
  CAMPAIGN_STATUSES,
  DEFAULT_QUIET_HOURS,
  type QuietHours,
} from './campaigns.schema.ts';
import type { MessagePipeline } from './campaigns.send.ts';

export { CAMPAIGN_CHANNELS, CAMPAIGN_STATUSES };
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** Only these may still change: once sending starts, what was sent is history. */
const EDITABLE: readonly CampaignStatus[] = ['draft', 'scheduled'];
export const MAX_AUDIENCE_IDS = 10_000;
export const FREQUENCY_CAP_MAX = 100;

export type { CampaignContent };

export interface CampaignInput {
  name?: string;
  objective?: string | null;
  channel?: MessageChannel;
  channel_id?: string | null;
  content?: CampaignContent;
  audience?: Audience;
  fallback_channels?: MessageChannel[];
  marketing?: boolean;
  ab_test?: AbTestSettings | null;
}

export interface CampaignDeps {
  suppressions: SuppressionList;
  /**
   * The provider account each kind of message goes through, whose synced WhatsApp templates are
   * checked (the app always gives it; a benchmark of the snapshot SQL alone may not).
   */
  pipeline?: Pick<MessagePipeline, 'channel'>;
}

export function toCampaignJson(row: CampaignRow) {
  return {
    id: row.id,
    name: row.name,
    objective: row.objective,
    channel: row.channel,
    channel_id: row.channelId,
    content: row.content as CampaignContent,
    audience: row.audience as Audience,
    fallback_channels: row.fallbackChannels as MessageChannel[],
    marketing: row.marketing,
    ab_test: (row.abTest as AbTestState | null) ?? null,
    status: row.status,
    status_reason: row.statusReason,
    scheduled_at: row.scheduledAt ? iso(row.scheduledAt) : null,
    recipient_time_zone: row.recipientTimeZone,
    determine_recipients: row.determineRecipients,
    snapshot_at: row.snapshotAt ? iso(row.snapshotAt) : null,
    audience_count: row.audienceCount,
    audience_snapshot: (row.audienceSnapshot as AudienceSnapshot | null) ?? null,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}
export type CampaignJson = ReturnType<typeof toCampaignJson>;

const AUDITED = [
  'name',
  'objective',
  'channel',
  'channel_id',
  'content',
  'audience',
  'fallback_channels',
  'marketing',
  'ab_test',
] as const;
function auditShape(row: CampaignRow) {
  const json = toCampaignJson(row);
  return Object.fromEntries(AUDITED.map((k) => [k, json[k]])) as Record<(typeof AUDITED)[number], unknown>;
}

/** The rules the shapes of TypeBox cannot say; every problem at once, with its path. */
function checkInput(input: CampaignInput, channel: MessageChannel, problems: ErrorDetail[]) {
  if (input.name !== undefined && !input.name.trim())
    problems.push({ path: '/name', message: 'must not be blank' });
  const content = input.content;
  if (content && 'variants' in content)
    content.variants.forEach((variant, i) => {
      checkSingleContent(variant, channel, `/content/variants/${i}`, problems);
    });
  else if (content) checkSingleContent(content, channel, '/content', problems);
  if (input.ab_test !== undefined) checkAbTest(content, input.ab_test, problems);
  const fallbacks = input.fallback_channels ?? [];
  fallbacks.forEach((fallback, i) => {
    if (fallback === channel)
      problems.push({
        path: `/fallback_channels/${i}`,
        message: `'${fallback}' is the campaign's own channel`,
      });
    else if (fallbacks.indexOf(fallback) !== i)
      problems.push({ path: `/fallback_channels/${i}`, message: `'${fallback}' is listed twice` });
  });
}

function checkSingleContent(
  content: SingleContent,
  channel: MessageChannel,
  at: string,
  problems: ErrorDetail[],
) {
  if ('template_id' in content) return;
  if (!content.body.trim()) problems.push({ path: `${at}/body`, message: 'must not be blank' });
  if (channel === 'email' && !content.subject?.trim())
    problems.push({ path: `${at}/subject`, message: 'an email needs a subject' });
  if (channel !== 'email' && content.subject !== undefined)
    problems.push({ path: `${at}/subject`, message: `a ${channel} message has no subject` });
  if (channel !== 'whatsapp' && content.whatsapp_template)
    problems.push({
      path: `${at}/whatsapp_template`,
      message: 'only a WhatsApp campaign uses a WhatsApp template',
    });
}

/** The provider account chosen for the campaign: one of this workspace's, carrying its kind of message. */
async function checkChannelId(
  db: DbOrTx,
  workspaceId: string,
  channelId: string | null | undefined,
  channel: MessageChannel,
  problems: ErrorDetail[],
) {
  if (!channelId) return;
  const found = await channelKindsOf(db, workspaceId, channelId);
  if (!found) problems.push({ path: '/channel_id', message: 'no such channel in this workspace' });
  else if (!found.kinds.includes(channel))
    problems.push({
      path: '/channel_id',
      message: `'${found.name}' sends ${found.kinds.join(', ')}, not ${channel}`,
    });
}

async function checkAudience(db: DbOrTx, workspaceId: string, audience: Audience, problems: ErrorDetail[]) {
  if ('client_ids' in audience) {
    const { problems: found } = await checkClientIds(
      db,
      workspaceId,
      audience.client_ids,
      '/audience/client_ids',
    );
    problems.push(...found);
    return;
  }
  // A missing segment answers 404 and an invalid tree 400 INVALID_SEGMENT with /audience/definition/… paths.
  await compileAudience(db, workspaceId, audience, { pathPrefix: '/audience/definition' });
}

/** The workspace's campaign (row-locked when `lock`), or 404. */
export async function getCampaignRow(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  lock = false,
): Promise<CampaignRow> {
  const row = await findCampaign(db, workspaceId, id, lock);
  if (!row) throw AppError.notFound('Campaign');
  return row;
}

/**
 * Draft and scheduled campaigns; also a failed one that never fixed its recipients (it failed before
 * writing any: its segment was archived, its channel deleted…), so it can be fixed and sent again.
 */
function assertEditable(row: CampaignRow) {
  if (!EDITABLE.includes(row.status) && !(row.status === 'failed' && !row.snapshotAt))
    throw new AppError(
      'NOT_ALLOWED_NOW',
      `A ${row.status} campaign can no longer be changed; duplicate it instead`,
    );
}

export async function createCampaign(
  db: Database,
  ctx: WorkspaceContext,
  input: Required<Pick<CampaignInput, 'name' | 'channel' | 'content' | 'audience'>> & CampaignInput,
  actorUserId: string | null,
) {
  const problems: ErrorDetail[] = [];
  checkInput({ ...input, ab_test: input.ab_test ?? null }, input.channel, problems);
  await checkChannelId(db, ctx.workspaceId, input.channel_id, input.channel, problems);
  await checkAudience(db, ctx.workspaceId, input.audience, problems);
  if (problems.length) throw AppError.validation(problems);
  return db.transaction(async (tx) => {
    const row = await insertCampaign(tx, {
      workspaceId: ctx.workspaceId,
      name: input.name.trim(),
      objective: input.objective ?? null,
      channel: input.channel,
      channelId: input.channel_id ?? null,
      content: input.content as Record<string, unknown>,
      audience: input.audience as Record<string, unknown>,
      fallbackChannels: input.fallback_channels ?? [],
      marketing: input.marketing ?? true,
      abTest: input.ab_test ? { ...input.ab_test } : null,
      createdBy: actorUserId,
    });
    if ('segment_id' in input.audience) await markSegmentUsed(tx, ctx.workspaceId, input.audience.segment_id);
    await recordAudit(tx, ctx, {
      action: 'campaign.created',
      entityType: 'campaign',
      entityId: row.id,
      changes: diff(null, auditShape(row), AUDITED),
    });
    return toCampaignJson(row);
  });
}

export async function listCampaigns(
  db: DbOrTx,
  ctx: WorkspaceContext,
  query: { status?: CampaignStatus; limit: number; cursor?: string },
) {
  const rows = await listCampaignRows(db, ctx.workspaceId, {
    status: query.status,
    after: decodeCursor(query.cursor),
    limit: query.limit + 1,
  });
  const { items, nextCursor } = page(rows, query.limit, (r) => [r.createdAt, r.id]);
  return { campaigns: items.map(toCampaignJson), next_cursor: nextCursor };
}

export async function getCampaign(db: DbOrTx, ctx: WorkspaceContext, id: string) {
  return toCampaignJson(await getCampaignRow(db, ctx.workspaceId, id));
}

export async function updateCampaign(db: Database, ctx: WorkspaceContext, id: string, input: CampaignInput) {
  const current = await getCampaignRow(db, ctx.workspaceId, id);
  assertEditable(current);
  // A scheduled campaign whose recipients were fixed when it was scheduled: who gets it and through
  // which channel are in the ledger already; only the content (rendered at send time) may change.
  if (
    current.snapshotAt &&
    (input.audience !== undefined ||
      input.channel !== undefined ||
      input.fallback_channels !== undefined ||
      input.marketing !== undefined ||
      input.channel_id !== undefined ||
      input.ab_test !== undefined ||
      (input.content !== undefined &&
        'variants' in input.content !== 'variants' in (current.content as CampaignContent)))
  )
    throw new AppError(
      'NOT_ALLOWED_NOW',
      'The recipients of this scheduled campaign are already fixed: cancel it and duplicate it to change them',
    );
  const channel = input.channel ?? current.channel;
  const problems: ErrorDetail[] = [];
  // The content and fallbacks are checked against the channel they will have after the change.
  checkInput(
    {
      ...input,
      content: input.content ?? (current.content as CampaignContent),
      fallback_channels: input.fallback_channels ?? (current.fallbackChannels as MessageChannel[]),
      // Content and A/B settings are checked together whichever of them changes.
      ab_test:
        input.ab_test !== undefined || input.content !== undefined
          ? input.ab_test === undefined
            ? ((current.abTest as AbTestSettings | null) ?? null)
            : input.ab_test
          : undefined,
    },
    channel,
    problems,
  );
  // The account is checked against the kind it will have after the change (a kind changed alone too).
  if (input.channel_id !== undefined || input.channel !== undefined)
    await checkChannelId(
      db,
      ctx.workspaceId,
      input.channel_id === undefined ? current.channelId : input.channel_id,
      channel,
      problems,
    );
  if (input.audience) await checkAudience(db, ctx.workspaceId, input.audience, problems);
  if (problems.length) throw AppError.validation(problems);
  return db.transaction(async (tx) => {
    const locked = await getCampaignRow(tx, ctx.workspaceId, id, true);
    assertEditable(locked);
    // A scheduled campaign moved to another channel (or kind) uses it from now on: held as a Send
    // holds it, so a delete of that channel at this instant waits and then sees the campaign.
    if (locked.status === 'scheduled' && (input.channel_id !== undefined || input.channel !== undefined))
      await lockChannelsForSend(
        tx,
        ctx.workspaceId,
        input.channel_id === undefined ? locked.channelId : input.channel_id,
      );
    const row = await updateCampaignRow(tx, ctx.workspaceId, id, {
      name: input.name?.trim(),
      objective: input.objective,
      channel: input.channel,
      channelId: input.channel_id,
      content: input.content as Record<string, unknown> | undefined,
      audience: input.audience as Record<string, unknown> | undefined,
      fallbackChannels: input.fallback_channels,
      marketing: input.marketing,
      abTest: input.ab_test === undefined ? undefined : input.ab_test ? { ...input.ab_test } : null,
    });
    const changes: Changes = diff(auditShape(locked), auditShape(row), AUDITED);
    if (Object.keys(changes).length)
      await recordAudit(tx, ctx, {
        action: 'campaign.updated',
        entityType: 'campaign',
        entityId: id,
        changes,
      });
    return toCampaignJson(row);
  });
}

/** Drafts only: a campaign that sent anything stays, with its ledger, for the record. */
export async function deleteCampaign(db: Database, ctx: WorkspaceContext, id: string) {
  await db.transaction(async (tx) => {
    const row = await getCampaignRow(tx, ctx.workspaceId, id, true);
    if (row.status !== 'draft')
      throw new AppError('NOT_ALLOWED_NOW', `Only a draft can be deleted; this campaign is ${row.status}`);
    await updateCampaignRow(tx, ctx.workspaceId, id, { deletedAt: new Date() });
    await recordAudit(tx, ctx, {
      action: 'campaign.deleted',
      entityType: 'campaign',
      entityId: id,
      changes: diff(auditShape(row), null, AUDITED),
    });
  });
}

export async function duplicateCampaign(
  db: Database,
  ctx: WorkspaceContext,
  id: string,
  input: { name?: string },
  actorUserId: string | null,
) {
  const source = await getCampaignRow(db, ctx.workspaceId, id);
  return db.transaction(async (tx) => {
    const row = await insertCampaign(tx, {
      workspaceId: ctx.workspaceId,
      name: input.name?.trim() || `${source.name} (copy)`,
      objective: source.objective,
      channel: source.channel,
      channelId: source.channelId,
      content: source.content,
      audience: source.audience,
      fallbackChannels: source.fallbackChannels,
      marketing: source.marketing,
      // The test's settings, not its decision: the copy tests again.
      abTest: source.abTest
        ? {
            test_share_percent: source.abTest.test_share_percent,
            criterion: source.abTest.criterion,
            wait_hours: source.abTest.wait_hours,
          }
        : null,
      createdBy: actorUserId,
    });
    await recordAudit(tx, ctx, {
      action: 'campaign.duplicated',
      entityType: 'campaign',
      entityId: row.id,
      changes: { duplicated_from: { before: null, after: source.id } },
    });
    return toCampaignJson(row);
  });
}

// ---- settings ------------------------------------------------------------------------------------

export type CampaignSettings = {
  frequency_cap_7d: number | null;
  prices: Prices | null;
  quiet_hours: QuietHours | null;
};

function settingsJson(row: Awaited<ReturnType<typeof findCampaignSettings>>): CampaignSettings {
  return {
    frequency_cap_7d: row?.frequencyCap7d ?? null,
    prices: (row?.prices as Prices | null | undefined) ?? null,
    quiet_hours: row ? (row.quietHours ?? null) : DEFAULT_QUIET_HOURS,
  };
}

export async function getCampaignSettings(db: DbOrTx, ctx: WorkspaceContext): Promise<CampaignSettings> {
  return settingsJson(await findCampaignSettings(db, ctx.workspaceId));
}

/**
 * Only the fields given change (`prices: null` removes the prices, `quiet_hours: null` lets SMS and
 * WhatsApp go at any hour).
 */
export async function setCampaignSettings(
  db: Database,
  ctx: WorkspaceContext,
  input: { frequency_cap_7d?: number | null; prices?: Prices | null; quiet_hours?: QuietHours | null },
) {
  if (input.quiet_hours && input.quiet_hours.start === input.quiet_hours.end)
    throw AppError.validation([
      { path: '/quiet_hours/end', message: 'must differ from start (null turns quiet hours off)' },
    ]);
  return db.transaction(async (tx) => {
    const before = await getCampaignSettings(tx, ctx);
    const row = await upsertCampaignSettings(tx, ctx.workspaceId, {
      frequencyCap7d: input.frequency_cap_7d,
      prices: input.prices === undefined ? undefined : input.prices ? { ...input.prices } : null,
      quietHours:
        input.quiet_hours === undefined
          ? undefined
          : input.quiet_hours && { start: input.quiet_hours.start, end: input.quiet_hours.end },
    });
    const after = settingsJson(row);
    const changes = diff(before, after, ['frequency_cap_7d', 'prices', 'quiet_hours']);
    if (Object.keys(changes).length)
      await recordAudit(tx, ctx, {
        action: 'campaign_settings.updated',
        entityType: 'workspace',
        entityId: ctx.workspaceId,
        changes,
      });
    return after;
  });
}

// ---- eligibility that depends on the provider account --------------------------------------------

/**
 * Channels none of whose messages may go out, with the skip reason: WhatsApp when a template the
 * campaign sends (inline or from a saved template, any A/B variant) is not APPROVED in the list last
 * synced from the WhatsApp account it goes through (a template missing from that list is not
 * approved either). Meta refuses such a template for every client, so each is skipped with
 * `template_not_approved` (or falls back to the next channel) instead of failing one by one. An
 * account whose list was never synced (Twilio, the Outbox) cannot tell: nothing is blocked.
 */
export async function blockedChannelsOf(
  db: Database,
  row: CampaignRow,
  pipeline: Pick<MessagePipeline, 'channel'>,
): Promise<EligibilityRules['blockedChannels']> {
  const channels = [row.channel, ...(row.fallbackChannels as MessageChannel[])];
  if (!channels.includes('whatsapp')) return {};
  const refs: Array<{ name: string; language: string }> = [];
  for (const content of contentVariants(row.content as CampaignContent)) {
    const ref =
      'template_id' in content
        ? // A deleted template: its deliveries fail at render time, with that reason.
          (await getTemplateRow(db, row.workspaceId, content.template_id).catch(() => null))?.whatsappTemplate
        : content.whatsapp_template;
    if (ref?.name && ref.language) refs.push({ name: ref.name, language: ref.language });
  }
  if (!refs.length) return {};
  const account = await pipeline.channel(
    db,
    row.workspaceId,
    row.channel === 'whatsapp' ? row.channelId : null,
    'whatsapp',
  );
  const statuses = await syncedWhatsappTemplateStatuses(db, row.workspaceId, account.id);
  if (!statuses) return {};
  const approved = refs.every((ref) => statuses.get(`${ref.name}:${ref.language}`) === 'APPROVED');
  return approved ? {} : { whatsapp: 'template_not_approved' };
}

// ---- review --------------------------------------------------------------------------------------

export interface CampaignReview extends EligibilitySummary {
  frequency_cap_7d: number | null;
  /** Eligible recipients × the prices of the campaign settings; null when no prices are set. */
  cost_estimate: ReturnType<typeof costOf>;
  evaluated_at: string;
}

/**
 * The Review step: who the audience is right now, who would be messaged through which channel
 * and every reason the others would be skipped, computed exactly as the snapshot at Send will
 * be (same SQL), without writing anything.
 */
export async function reviewCampaign(
  db: Database,
  ctx: WorkspaceContext,
  id: string,
  deps: CampaignDeps,
  now = new Date(),
): Promise<CampaignReview> {
  const row = await getCampaignRow(db, ctx.workspaceId, id);
  const audience = await compileAudience(db, ctx.workspaceId, row.audience as Audience, { now });
  const { frequency_cap_7d, prices } = await getCampaignSettings(db, ctx);
  const summary = await summarizeEligibility(
    db,
    audience,
    {
      workspaceId: ctx.workspaceId,
      channels: [row.channel, ...(row.fallbackChannels as MessageChannel[])],
      marketing: row.marketing,
      frequencyCap: frequency_cap_7d,
      blockedChannels: deps.pipeline ? await blockedChannelsOf(db, row, deps.pipeline) : {},
      excluded: excludedFromCampaignSql(row.id),
      workspaceTimezone: (await getWorkspace(db, ctx.workspaceId)).defaultTimezone,
      now,
    },
    deps.suppressions,
  );
  const cost_estimate = costOf(prices, summary.eligible_by_channel, {
    smsSegments: await smsSegmentsFor(db, row, prices),
    marketing: row.marketing,
  });
  return { ...summary, frequency_cap_7d, cost_estimate, evaluated_at: now.toISOString() };
}

async function smsSegmentsFor(db: DbOrTx, row: CampaignRow, prices: Prices | null) {
  const usesSms = row.channel === 'sms' || (row.fallbackChannels as string[]).includes('sms');
  if (!prices || !usesSms) return 1;
  // The content is written for the campaign's channel; an SMS fallback of an email sends the same body.
  return smsSegmentsPerMessage(db, row.workspaceId, row.content as CampaignContent);
}

// ---- the campaign page: stats and recipients ---------------------------------------------------

export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export type SkipReason = (typeof SKIP_REASONS)[number];
export { DELIVERY_STATUSES, SKIP_REASONS };

/** Still to happen: everything else has its outcome (sent, skipped, failed, unknown, cancelled…). */
const PENDING: readonly string[] = ['queued', 'sending', 'held'];

/**
 * What the campaign page shows and polls while sending: counts per delivery status, every skip
 * reason with its count, the sends per minute for the chart, and the progress (deliveries with an
 * outcome over all of them).
 */
export async function campaignStats(db: DbOrTx, ctx: WorkspaceContext, id: string) {
  const row = await getCampaignRow(db, ctx.workspaceId, id);
  const replied = (clientId: SQL, sentAt: SQL) =>
    inboundReplyWithin(ctx.workspaceId, clientId, sentAt, REPLY_WINDOW_HOURS);
  // Before the snapshot is complete its ledger rows are part of an audience (written in halves by
  // the prepare job, campaigns.send.ts): nothing is counted yet.
  const snapshotted = row.snapshotAt !== null;
  const [groups, perMinute, funnel, overTime, failures, sentByChannel, abTest, settings] = await Promise.all([
    snapshotted ? deliveryCounts(db, ctx.workspaceId, id) : [],
    sentPerMinute(db, ctx.workspaceId, id),
    snapshotted
      ? campaignFunnel(db, ctx.workspaceId, id, replied)
      : { audience: 0, eligible: 0, sent: 0, delivered: 0, opened: 0, clicked: 0, replied: 0 },
    sendsAndDeliveriesOverTime(db, ctx.workspaceId, id),
    failuresByReason(db, ctx.workspaceId, id),
    sentPerChannel(db, ctx.workspaceId, id),
    abTestStats(db, row),
    getCampaignSettings(db, ctx),
  ]);
  const cost_actual = costOf(settings.prices, sentByChannel, {
    smsSegments: await smsSegmentsFor(db, row, settings.prices),
    marketing: row.marketing,
  });
  const counts = Object.fromEntries(DELIVERY_STATUSES.map((s) => [s, 0])) as Record<DeliveryStatus, number>;
  const skipped = new Map<string, { reason: SkipReason; channel: MessageChannel; count: number }>();
  let total = 0;
  let pending = 0;
  for (const group of groups) {
    counts[group.status as DeliveryStatus] += group.n;
    total += group.n;
    if (PENDING.includes(group.status)) pending += group.n;
    if (group.skip_reason) {
      const key = `${group.skip_reason}/${group.channel}`;
      const entry = skipped.get(key) ?? {
        reason: group.skip_reason as SkipReason,
        channel: group.channel as MessageChannel,
        count: 0,
      };
      entry.count += group.n;
      skipped.set(key, entry);
    }
  }
  return {
    status: row.status,
    status_reason: row.statusReason,
    counts,
    skipped_by_reason: [...skipped.values()].sort((a, b) => b.count - a.count),
    sent_per_minute: perMinute.map((m) => ({ minute: iso(m.minute), count: m.count })),
    progress: { done: total - pending, total },
    funnel,
    over_time: {
      bucket: overTime.bucket,
      points: overTime.points.map((p) => ({ at: iso(p.at), sent: p.sent, delivered: p.delivered })),
    },
    failures,
    ab_test: abTest,
    cost_actual,
  };
}

export async function campaignRecipients(
  db: DbOrTx,
  ctx: WorkspaceContext,
  id: string,
  query: { status?: DeliveryStatus; q?: string; limit: number; cursor?: string },
) {
  const row = await getCampaignRow(db, ctx.workspaceId, id);
  const after = decodeCursor(query.cursor);
  // No recipients before the snapshot is complete (see campaignStats).
  const rows = !row.snapshotAt
    ? []
    : await campaignRecipientRows(db, ctx.workspaceId, id, {
        status: query.status,
        q: query.q?.trim() || undefined,
        after,
        limit: query.limit + 1,
      });
  const { items, nextCursor } = page(rows, query.limit, (r) => [new Date(r.created_at), r.id]);
  return {
    recipients: items.map((r) => ({
      id: r.id,
      client_id: r.client_id,
      client_name: [r.first_name, r.last_name].filter(Boolean).join(' ') || null,
      address: r.address,
      channel: r.channel as MessageChannel,
      status: r.status as DeliveryStatus,
      skip_reason: r.skip_reason as SkipReason | null,
      error: r.error,
      sent_at: r.sent_at ? iso(new Date(r.sent_at)) : null,
    })),
    next_cursor: nextCursor,
  };
}

// ---- exclusions by hand --------------------------------------------------------------------------

function exclusionJson(r: Awaited<ReturnType<typeof listExclusionRows>>[number]) {
  return {
    client_id: r.client_id,
    client_name: [r.first_name, r.last_name].filter(Boolean).join(' ') || null,
    email: r.email,
    phone: r.phone,
    created_at: iso(new Date(r.created_at)),
  };
}

export async function listExclusions(db: DbOrTx, ctx: WorkspaceContext, id: string) {
  await getCampaignRow(db, ctx.workspaceId, id);
  return { exclusions: (await listExclusionRows(db, ctx.workspaceId, id)).map(exclusionJson) };
}

/**
 * Takes clients out of a draft or scheduled campaign's audience. Before the snapshot they are kept
 * out of it (as `skipped`, reason `excluded`); when the recipients of a scheduled campaign are
 * already fixed, their queued deliveries become skipped the same way now.
 */
export async function excludeClients(
  db: Database,
  ctx: WorkspaceContext,
  id: string,
  clientIds: string[],
  actorUserId: string | null,
) {
  const unique = [...new Set(clientIds)];
  // Another workspace's campaign is 404 before anything is said about the client ids.
  await getCampaignRow(db, ctx.workspaceId, id);
  const { problems } = await checkClientIds(db, ctx.workspaceId, unique, '/client_ids');
  if (problems.length) throw AppError.validation(problems);
  return db.transaction(async (tx) => {
    const row = await getCampaignRow(tx, ctx.workspaceId, id, true);
    assertEditable(row);
    const added = await insertExclusions(tx, ctx.workspaceId, id, unique, actorUserId);
    const skipped = row.snapshotAt ? await skipExcludedDeliveries(tx, ctx.workspaceId, id) : 0;
    if (added)
      await recordAudit(tx, ctx, {
        action: 'campaign.clients_excluded',
        entityType: 'campaign',
        entityId: id,
        changes: {
          excluded: { before: null, after: unique },
          skipped_deliveries: { before: null, after: skipped },
        },
      });
    return { added, ...(await listExclusions(tx, ctx, id)) };
  });
}

/** Puts a client back, only while the audience is not fixed (after it, duplicate the campaign). */
export async function includeClientAgain(db: Database, ctx: WorkspaceContext, id: string, clientId: string) {
  return db.transaction(async (tx) => {
    const row = await getCampaignRow(tx, ctx.workspaceId, id, true);
    assertEditable(row);
    if (row.snapshotAt)
      throw new AppError(
        'NOT_ALLOWED_NOW',
        'The recipients of this scheduled campaign are already fixed: cancel it and duplicate it to include this client',
      );
    if (!(await deleteExclusion(tx, ctx.workspaceId, id, clientId))) throw AppError.notFound('Exclusion');
    await recordAudit(tx, ctx, {
      action: 'campaign.client_included',
      entityType: 'campaign',
      entityId: id,
      changes: { included: { before: null, after: clientId } },
    });
  });
}
