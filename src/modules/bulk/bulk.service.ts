import { and, desc, eq, sql } from 'drizzle-orm';
import type { Actor, WorkspaceContext } from '../../platform/auth/context.ts';
import { hasRole, type Role } from '../../platform/auth/roles.ts';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { UUID } from '../../platform/db/ids.ts';
import { AppError, type ErrorDetail, pgErrorCode } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { afterCursor, decodeCursor, page } from '../../platform/pagination.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { sendCampaign } from '../campaigns/campaigns.send.ts';
import { createCampaign, MAX_AUDIENCE_IDS } from '../campaigns/campaigns.service.ts';
import {
  addTagsToClients,
  archiveClientsByIds,
  BULK_SETTABLE,
  type BulkSettable,
  deleteClientsByIds,
  removeTagsFromClients,
  setClientColumn,
  setClientCustomValue,
  unarchiveClientsByIds,
} from '../clients/clients.bulk-actions.ts';
import { CONTACT_METHODS, listLabels } from '../clients/clients.service.ts';
import {
  type CouponTermsInput,
  checkCouponTerms,
  createCouponBatch,
  issueCoupons,
  setBatchCampaign,
  termsJson,
} from '../coupons/coupons.service.ts';
import { listCustomFields, normalizeCustomValue } from '../custom-fields/custom-fields.service.ts';
import type { MessageChannel } from '../deliveries/audience.ts';
import { createExport, type ExportDeps, type ExportFormat, getExport } from '../exports/exports.service.ts';
import { getLocation } from '../locations/locations.service.ts';
import type { Audience } from '../segments/segments.service.ts';
import { validateTagName } from '../tags/tags.service.ts';
import { getTemplateRow } from '../templates/templates.service.ts';
import { getWorkspace, membershipOf } from '../workspaces/workspaces.service.ts';
import { bulkActions } from './bulk.schema.ts';
import {
  checkSelectionShape,
  countSelection,
  describeSelection,
  type Selection,
  type SelectionScope,
  sampleSelection,
  selectionIds,
} from './bulk.selection.ts';

export const BULK_TASK = 'bulk.run';
export const BULK_ACTIONS = [
  'add_tags',
  'remove_tags',
  'set_label',
  'set_field',
  'set_custom_field',
  'assign_manager',
  'send',
  'export',
  'delete',
  'archive',
  'unarchive',
  'coupons',
] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** Viewers cannot act; agents tag and export; marketers also edit fields, send and issue coupons; admins delete. */
export const BULK_MIN_ROLE: Record<BulkAction, Role> = {
  add_tags: 'agent',
  remove_tags: 'agent',
  export: 'agent',
  set_label: 'marketer',
  set_field: 'marketer',
  set_custom_field: 'marketer',
  assign_manager: 'marketer',
  send: 'marketer',
  coupons: 'marketer',
  delete: 'admin',
  archive: 'admin',
  unarchive: 'admin',
};

/** Actions whose count the person types to confirm, and the verb the 400 uses. */
const CONFIRMED: Partial<Record<BulkAction, string>> = {
  delete: 'deleted',
  archive: 'archived',
  unarchive: 'restored',
};

/**
 * Which clients a selection is read among: the live, active ones for every action, except a
 * restore (archived ones: the ticked rows of the Archived view), and a delete or an export (ticked
 * rows of either view). A query selection keeps its own status filter whatever the action.
 */
const SCOPE: Partial<Record<BulkAction, SelectionScope>> = {
  unarchive: 'archived',
  delete: 'any',
  export: 'any',
};

/** From this many clients an action runs as a job with progress and cancel. */
export const JOB_THRESHOLD = 1000;
/** Clients per statement (and per progress step) of a run. */
const CHUNK = 10_000;

export const bulkTestHooks: { chunkSize: number | null; afterChunk: ((id: string) => Promise<void>) | null } =
  {
    chunkSize: null,
    afterChunk: null,
  };

export interface BulkDeps {
  exports: ExportDeps;
}

type BulkRow = typeof bulkActions.$inferSelect;

export function toBulkJson(row: BulkRow) {
  const skippedTotal = Object.values(row.skipped).reduce((a, b) => a + b, 0);
  return {
    id: row.id,
    action: row.action as BulkAction,
    status: row.status as 'queued' | 'running' | 'completed' | 'failed' | 'cancelled',
    selection: row.selection,
    params: row.params,
    total: row.total,
    processed: row.processed,
    done: row.done,
    skipped: skippedTotal,
    skipped_by_reason: Object.entries(row.skipped)
      .filter(([, n]) => n > 0)
      .map(([reason, count]) => ({ reason, count })),
    result: row.result,
    error: row.error,
    created_by: row.createdByLabel,
    created_at: iso(row.createdAt),
    started_at: iso(row.startedAt),
    finished_at: iso(row.finishedAt),
  };
}
export type BulkJson = ReturnType<typeof toBulkJson>;

// ---- parameters ------------------------------------------------------------------------------------

export interface BulkRequest {
  selection: Record<string, unknown>;
  [param: string]: unknown;
}

type Params = Record<string, unknown>;

function fail(problems: ErrorDetail[]) {
  if (problems.length) throw AppError.validation(problems);
}

async function checkFieldValue(db: DbOrTx, ctx: WorkspaceContext, field: BulkSettable, raw: unknown) {
  const problems: ErrorDetail[] = [];
  if (raw !== null && typeof raw !== 'string') {
    fail([{ path: '/value', message: 'must be text or null' }]);
  }
  const value = (raw as string | null)?.trim() || null;
  if (value !== null) {
    if (field === 'label') {
      const labels = (await listLabels(db, ctx.workspaceId)).map((l) => l.key);
      if (!labels.includes(value))
        problems.push({ path: '/value', message: `unknown label; this workspace has ${labels.join(', ')}` });
    } else if (field === 'location_id') {
      const found =
        UUID.test(value) &&
        (await getLocation(db, ctx.workspaceId, value).then(
          () => true,
          () => false,
        ));
      if (!found) problems.push({ path: '/value', message: 'no such location in this workspace' });
    } else if (field === 'account_manager_id') {
      if (!(UUID.test(value) && (await membershipOf(db, ctx.workspaceId, value))))
        problems.push({ path: '/value', message: 'not a member of this workspace' });
    } else if (field === 'preferred_contact_method') {
      if (!(CONTACT_METHODS as readonly string[]).includes(value))
        problems.push({ path: '/value', message: `must be one of ${CONTACT_METHODS.join(', ')}` });
    } else if (field === 'country') {
      if (!/^[A-Za-z]{2}$/.test(value))
        problems.push({ path: '/value', message: 'a two-letter country code' });
    } else if (field === 'locale') {
      if (!/^[a-z]{2,3}(-[A-Za-z]{2,4})?$/.test(value))
        problems.push({ path: '/value', message: 'a language tag such as es, fr or en-GB' });
    } else if (field === 'timezone') {
      try {
        new Intl.DateTimeFormat('en', { timeZone: value });
      } catch {
        problems.push({ path: '/value', message: 'not an IANA time zone such as Europe/Madrid' });
      }
    } else if (value.length > 200) problems.push({ path: '/value', message: 'at most 200 characters' });
  }
  fail(problems);
  return field === 'country' && value ? value.toUpperCase() : value;
}

function checkTags(raw: unknown): string[] {
  if (!Array.isArray(raw) || !raw.length) fail([{ path: '/tags', message: 'give at least one tag' }]);
  const names = raw as unknown[];
  const problems = names
    .map((n, i) => validateTagName(n, `/tags/${i}`))
    .filter((p): p is ErrorDetail => p !== null);
  fail(problems);
  return [...new Set((names as string[]).map((n) => n.trim()))];
}

/** Each action's parameters checked before anything is written; what a run needs, normalized. */
async function checkParams(
  db: DbOrTx,
  ctx: WorkspaceContext,
  action: BulkAction,
  body: Params,
): Promise<Params> {
  switch (action) {
    case 'add_tags':
    case 'remove_tags':
      return { tags: checkTags(body.tags) };
    case 'set_label':
      return { field: 'label', value: await checkFieldValue(db, ctx, 'label', body.label ?? null) };
    case 'assign_manager':
      return {
        field: 'account_manager_id',
        value: await checkFieldValue(db, ctx, 'account_manager_id', body.user_id ?? null),
      };
    case 'set_field': {
      const field = body.field as string;
      if (!(field in BULK_SETTABLE))
        fail([{ path: '/field', message: `one of ${Object.keys(BULK_SETTABLE).join(', ')}` }]);
      return { field, value: await checkFieldValue(db, ctx, field as BulkSettable, body.value ?? null) };
    }
    case 'set_custom_field': {
      const key = String(body.key ?? '');
      const field = (await listCustomFields(db, ctx.workspaceId, true)).find((f) => f.key === key);
      if (!field || field.archivedAt || !hasRole(ctx.role, field.visibleMinRole as Role))
        fail([{ path: '/key', message: 'no such custom field in this workspace' }]);
      if (!hasRole(ctx.role, field!.editableMinRole as Role))
        throw new AppError(
          'FORBIDDEN',
          `Only ${field!.editableMinRole}s and above may change "${field!.label}"`,
        );
      const { defaultCountry } = await getWorkspace(db, ctx.workspaceId);
      const normalized = normalizeCustomValue(field!, body.value ?? null, defaultCountry);
      if ('error' in normalized) fail([{ path: '/value', message: normalized.error }]);
      return { key, value: (normalized as { value: unknown }).value };
    }
    case 'delete':
    case 'archive':
    case 'unarchive':
      if (!Number.isInteger(body.confirm_count))
        fail([
          {
            path: '/confirm_count',
            message: `type the number of clients to be ${CONFIRMED[action]} to confirm`,
          },
        ]);
      return { confirm_count: body.confirm_count };
    case 'export':
      return {
        format: body.format ?? 'csv',
        ...(body.fields ? { fields: body.fields } : {}),
        ...(body.csv_delimiter ? { csv_delimiter: body.csv_delimiter } : {}),
        ...(body.bom !== undefined ? { bom: body.bom } : {}),
      };
    case 'send':
      return checkSendParams(db, ctx, body, '');
    case 'coupons': {
      const terms = await checkCouponTerms(db, ctx.workspaceId, body as unknown as CouponTermsInput);
      const notify = body.notify as Params | undefined;
      return {
        ...termsJson(terms),
        ...(notify ? { notify: await checkSendParams(db, ctx, notify, '/notify') } : {}),
      };
    }
  }
}

async function checkSendParams(db: DbOrTx, ctx: WorkspaceContext, body: Params, prefix: string) {
  const problems: ErrorDetail[] = [];
  const channel = body.channel as MessageChannel;
  if (!['email', 'sms', 'whatsapp'].includes(channel))
    problems.push({ path: `${prefix}/channel`, message: 'one of email, sms, whatsapp' });
  const templateId = body.template_id as string | undefined;
  if (templateId) {
    const template = UUID.test(templateId)
      ? await getTemplateRow(db, ctx.workspaceId, templateId).catch(() => null)
      : null;
    if (!template)
      problems.push({ path: `${prefix}/template_id`, message: 'no such template in this workspace' });
    else if (template.channel !== channel)
      problems.push({
        path: `${prefix}/template_id`,
        message: `the template is for ${template.channel}, not ${channel}`,
      });
  } else if (typeof body.body !== 'string' || !body.body.trim())
    problems.push({ path: `${prefix}/template_id`, message: 'choose a template (or give body and subject)' });
  if (body.at !== undefined && Number.isNaN(Date.parse(String(body.at))))
    problems.push({ path: `${prefix}/at`, message: 'a date-time with its zone' });
  fail(problems);
  return {
    channel,
    ...(templateId ? { template_id: templateId } : { subject: body.subject, body: body.body }),
    ...(body.name ? { name: String(body.name) } : {}),
    ...(body.at ? { at: String(body.at) } : {}),
    ...(body.recipient_time_zone ? { recipient_time_zone: true } : {}),
    ...(body.channel_id ? { channel_id: String(body.channel_id) } : {}),
  };
}

// ---- selection → campaign audience / export selection -------------------------------------------

/** The selection as a campaign audience: a segment or tree as is, a list as the ids it matches now. */
async function audienceOf(db: DbOrTx, ctx: WorkspaceContext, selection: Selection): Promise<Audience> {
  if ('segment_id' in selection) return { segment_id: selection.segment_id };
  if ('definition' in selection) return { definition: selection.definition };
  const ids = await selectionIds(db, ctx, selection);
  if (ids.length > MAX_AUDIENCE_IDS)
    throw AppError.validation([
      {
        path: '/selection',
        message: `a list selection sends to at most ${MAX_AUDIENCE_IDS} clients; save these filters as a segment and send to it`,
      },
    ]);
  if (!ids.length) throw new AppError('NOT_ALLOWED_NOW', 'The selection matches no clients');
  return { client_ids: ids };
}

async function exportSelectionOf(db: DbOrTx, ctx: WorkspaceContext, selection: Selection) {
  if ('segment_id' in selection) return { kind: 'segment', segment_id: selection.segment_id };
  if ('query' in selection) return { kind: 'filter', query: selection.query as Record<string, string> };
  return { kind: 'ids', ids: await selectionIds(db, ctx, selection, 'any') };
}

function actorUserId(ctx: WorkspaceContext) {
  return ctx.actor.type === 'user' ? ctx.actor.id : null;
}

async function startCampaign(
  db: Database,
  ctx: WorkspaceContext,
  audience: Audience,
  params: Params,
  fallbackName: string,
  beforeSend?: (campaignId: string) => Promise<void>,
) {
  const campaign = await createCampaign(
    db,
    ctx,
    {
      name: (params.name as string) || fallbackName,
      channel: params.channel as MessageChannel,
      ...(params.channel_id ? { channel_id: params.channel_id as string } : {}),
      content: params.template_id
        ? { template_id: params.template_id as string }
        : { body: params.body as string, ...(params.subject ? { subject: params.subject as string } : {}) },
      audience,
    },
    actorUserId(ctx),
  );
  await beforeSend?.(campaign.id);
  const sent = await sendCampaign(db, ctx, campaign.id, {
    ...(params.at ? { at: params.at as string } : {}),
    ...(params.recipient_time_zone ? { recipient_time_zone: true } : {}),
  });
  return sent;
}

// ---- start, run, cancel ----------------------------------------------------------------------------

/** The exact number the confirmation dialog shows (re-evaluated when the action runs). */
export async function previewSelection(
  db: DbOrTx,
  ctx: WorkspaceContext,
  rawSelection: Record<string, unknown>,
  action?: BulkAction,
) {
  const selection = checkSelectionShape(rawSelection);
  const scope = (action && SCOPE[action]) ?? 'active';
  return {
    count: await countSelection(db, ctx, selection, scope),
    sample_client_ids: await sampleSelection(db, ctx, selection, 3, scope),
  };
}

function contextOf(row: BulkRow): WorkspaceContext {
  const actor = row.actor as unknown as Actor & { role: Role };
  return {
    workspaceId: row.workspaceId,
    role: actor.role,
    actor: { type: actor.type, id: actor.id, label: actor.label } as Actor,
    ip: null,
    requestId: null,
  };
}

/**
 * Starts a bulk action: parameters and selection are checked (400 naming the field), the
 * selection counted, the request audited with the selection and the count. Sending and exporting
 * hand over to the campaign engine and the exports module (which run their own jobs); the others
 * run here below JOB_THRESHOLD clients and as a job from it on.
 */
export async function startBulkAction(
  db: Database,
  deps: BulkDeps,
  ctx: WorkspaceContext,
  action: BulkAction,
  body: BulkRequest,
): Promise<{ queued: boolean; action: BulkJson }> {
  if (!hasRole(ctx.role, BULK_MIN_ROLE[action]))
    throw new AppError(
      'FORBIDDEN',
      `This needs the ${BULK_MIN_ROLE[action]} role or above; yours is ${ctx.role}`,
    );
  const selection = checkSelectionShape(body.selection ?? {});
  const scope = SCOPE[action] ?? 'active';
  if (scope === 'archived' && !('client_ids' in selection || 'query' in selection))
    throw AppError.validation([
      {
        path: '/selection',
        message: 'segments hold no archived clients: give client_ids, or query with status archived',
      },
    ]);
  const { selection: _ignored, ...rest } = body;
  const params = await checkParams(db, ctx, action, rest);
  const total = await countSelection(db, ctx, selection, scope);
  const verb = CONFIRMED[action];
  if (verb && params.confirm_count !== total)
    throw AppError.validation(
      [{ path: '/confirm_count', message: `type ${total}, the number of clients that will be ${verb}` }],
      'The confirmation does not match the number of clients',
    );
  const described = await describeSelection(db, ctx, selection);
  const inline = action === 'send' || action === 'export' || total < JOB_THRESHOLD;

  const row = await db.transaction(async (tx) => {
    const [created] = await tx
      .insert(bulkActions)
      .values({
        workspaceId: ctx.workspaceId,
        action,
        selection: selection as Record<string, unknown>,
        params,
        total,
        actor: { ...ctx.actor, role: ctx.role },
        createdByLabel: ctx.actor.label,
      })
      .returning();
    await recordAudit(tx, ctx, {
      action: `bulk.${action}`,
      entityType: 'bulk_action',
      entityId: created!.id,
      changes: {
        selection: { before: null, after: described },
        count: { before: null, after: total },
        params: { before: null, after: action === 'set_custom_field' ? { key: params.key } : params },
      },
    });
    if (!inline)
      await tx.execute(sql`select graphile_worker.add_job(${BULK_TASK},
        json_build_object('workspace_id', ${ctx.workspaceId}::text, 'bulk_action_id', ${created!.id}::text),
        job_key => ${`${BULK_TASK}:${created!.id}`}, max_attempts => 3)`);
    return created!;
  });
  if (!inline) return { queued: true, action: toBulkJson(row) };

  if (action === 'send' || action === 'export') {
    try {
      const result =
        action === 'send'
          ? {
              campaign_id: (
                await startCampaign(
                  db,
                  ctx,
                  await audienceOf(db, ctx, selection),
                  params,
                  `Bulk send ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`,
                )
              ).id,
            }
          : {
              export_id: (
                await createExport(db, deps.exports, ctx, {
                  selection: await exportSelectionOf(db, ctx, selection),
                  format: params.format as ExportFormat,
                  ...(params.fields ? { fields: params.fields as string[] } : {}),
                  ...(params.csv_delimiter ? { csv_delimiter: params.csv_delimiter as ',' | ';' } : {}),
                  ...(params.bom !== undefined ? { bom: params.bom as boolean } : {}),
                })
              ).id,
            };
      const [finished] = await db
        .update(bulkActions)
        .set({
          status: 'completed',
          processed: total,
          done: total,
          result,
          startedAt: new Date(),
          finishedAt: new Date(),
        })
        .where(eq(bulkActions.id, row.id))
        .returning();
      return { queued: false, action: toBulkJson(finished!) };
    } catch (error) {
      // Nothing was handed over: the request fails as a whole, and the record says why.
      await db
        .update(bulkActions)
        .set({
          status: 'failed',
          error: error instanceof Error ? error.message : String(error),
          finishedAt: new Date(),
        })
        .where(eq(bulkActions.id, row.id));
      throw error;
    }
  }
  return { queued: false, action: await runBulkAction(db, ctx.workspaceId, row.id) };
}

/** Applies one chunk of clients; returns how many really changed. */
async function applyChunk(tx: DbOrTx, ctx: WorkspaceContext, row: BulkRow, ids: string[]): Promise<number> {
  const p = row.params;
  switch (row.action as BulkAction) {
    case 'add_tags':
      return addTagsToClients(tx, ctx, ids, p.tags as string[]);
    case 'remove_tags':
      return removeTagsFromClients(tx, ctx, ids, p.tags as string[]);
    case 'set_label':
    case 'set_field':
    case 'assign_manager':
      return setClientColumn(tx, ctx, ids, p.field as BulkSettable, p.value as string | null);
    case 'set_custom_field':
      return setClientCustomValue(tx, ctx, ids, p.key as string, p.value);
    case 'delete':
      return deleteClientsByIds(tx, ctx, ids);
    case 'archive':
      return archiveClientsByIds(tx, ctx, ids);
    case 'unarchive':
      return unarchiveClientsByIds(tx, ctx, ids);
    case 'coupons':
      return issueCoupons(
        tx,
        ctx.workspaceId,
        row.result.batch_id as string,
        (p.prefix as string | null) ?? null,
        ids,
      );
    default:
      throw new Error(`${row.action} does not run in chunks`);
  }
}

/** Why the clients of a chunk that were not changed were skipped. */
const SKIP_REASON: Partial<Record<BulkAction, string>> = {
  add_tags: 'already_tagged',
  remove_tags: 'not_tagged',
  set_label: 'unchanged',
  set_field: 'unchanged',
  set_custom_field: 'unchanged',
  assign_manager: 'unchanged',
  delete: 'gone',
  archive: 'already_archived',
  unarchive: 'not_archived',
  coupons: 'already_has_coupon',
};

/**
 * A chunk whose clients are deleted, merged away or erased while it writes their tag rows or
 * timeline entries fails as a whole (foreign_key_violation, the checks of migration 0026), since
 * nothing may stay behind on such a client. It runs again: its statements only touch live clients
 * of the workspace, so the retry leaves the clients that went away out (counted as skipped).
 */
async function againIfClientsWentAway<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= 3 || pgErrorCode(error) !== '23503') throw error;
    }
  }
}

/**
 * The run: the selection is evaluated again now, then walked in chunks of CHUNK clients, each
 * chunk one transaction (set-based statements, progress with it). Between chunks the row is
 * locked and read: a cancel stops the run there, with what was done kept and reported.
 */
export async function runBulkAction(db: Database, workspaceId: string, id: string): Promise<BulkJson> {
  const [initial] = await db
    .select()
    .from(bulkActions)
    .where(and(eq(bulkActions.workspaceId, workspaceId), eq(bulkActions.id, id)));
  if (!initial) throw AppError.notFound('Bulk action');
  if (['completed', 'cancelled', 'failed'].includes(initial.status)) return toBulkJson(initial);
  const ctx = contextOf(initial);
  try {
    const ids = await selectionIds(
      db,
      ctx,
      initial.selection as Selection,
      SCOPE[initial.action as BulkAction] ?? 'active',
    );
    let result = initial.result;
    if (initial.action === 'coupons' && !result.batch_id) {
      const p = initial.params;
      const batchId = await createCouponBatch(
        db,
        ctx,
        {
          discountType: p.discount_type as 'percentage' | 'fixed',
          discountValue: Number(p.discount_value),
          currency: (p.currency as string | null) ?? null,
          expiresAt: new Date(p.expires_at as string),
          usageLimit: Number(p.usage_limit),
          reason: (p.reason as string | null) ?? null,
          prefix: (p.prefix as string | null) ?? null,
        },
        id,
      );
      result = { batch_id: batchId };
    }
    const [started] = await db
      .update(bulkActions)
      .set({
        status: 'running',
        total: ids.length,
        processed: 0,
        done: 0,
        skipped: {},
        result,
        startedAt: new Date(),
      })
      .where(eq(bulkActions.id, id))
      .returning();
    let row = started!;
    const size = bulkTestHooks.chunkSize ?? CHUNK;
    const reason = SKIP_REASON[row.action as BulkAction] ?? 'skipped';
    let cancelled = false;
    for (let at = 0; at < ids.length; at += size) {
      const chunk = ids.slice(at, at + size);
      const next = await againIfClientsWentAway(() =>
        db.transaction(async (tx) => {
          const [locked] = await tx.select().from(bulkActions).where(eq(bulkActions.id, id)).for('update');
          if (locked!.status === 'cancelled') return null;
          const changed = await applyChunk(tx, ctx, locked!, chunk);
          const skipped = { ...locked!.skipped };
          if (chunk.length - changed > 0) skipped[reason] = (skipped[reason] ?? 0) + chunk.length - changed;
          const [updated] = await tx
            .update(bulkActions)
            .set({ processed: locked!.processed + chunk.length, done: locked!.done + changed, skipped })
            .where(eq(bulkActions.id, id))
            .returning();
          return updated!;
        }),
      );
      if (!next) {
        cancelled = true;
        break;
      }
      row = next;
      await bulkTestHooks.afterChunk?.(id);
    }
    if (!cancelled && row.action === 'coupons' && row.params.notify) {
      const notify = row.params.notify as Params;
      const batchId = row.result.batch_id as string;
      const campaign = await startCampaign(
        db,
        ctx,
        await audienceOf(db, ctx, row.selection as Selection),
        notify,
        `Coupons ${row.params.prefix ?? ''} ${new Date().toISOString().slice(0, 10)}`.replace(/\s+/g, ' '),
        (campaignId) => setBatchCampaign(db, workspaceId, batchId, campaignId),
      );
      row = { ...row, result: { ...row.result, campaign_id: campaign.id } };
    }
    return await db.transaction(async (tx) => {
      const [locked] = await tx.select().from(bulkActions).where(eq(bulkActions.id, id)).for('update');
      const status = cancelled || locked!.status === 'cancelled' ? 'cancelled' : 'completed';
      const [finished] = await tx
        .update(bulkActions)
        .set({ status, result: row.result, finishedAt: new Date() })
        .where(eq(bulkActions.id, id))
        .returning();
      await recordAudit(tx, ctx, {
        action: `bulk.${status}`,
        entityType: 'bulk_action',
        entityId: id,
        changes: {
          action: { before: null, after: finished!.action },
          done: { before: null, after: finished!.done },
          skipped: { before: null, after: finished!.skipped },
          processed: { before: null, after: finished!.processed },
        },
      });
      return toBulkJson(finished!);
    });
  } catch (error) {
    await db
      .update(bulkActions)
      .set({
        status: 'failed',
        error: error instanceof Error ? error.message : String(error),
        finishedAt: new Date(),
      })
      .where(eq(bulkActions.id, id));
    if (error instanceof AppError) {
      const [failed] = await db.select().from(bulkActions).where(eq(bulkActions.id, id));
      return toBulkJson(failed!);
    }
    throw error;
  }
}

async function findRow(db: DbOrTx, workspaceId: string, id: string) {
  const [row] = UUID.test(id)
    ? await db
        .select()
        .from(bulkActions)
        .where(and(eq(bulkActions.workspaceId, workspaceId), eq(bulkActions.id, id)))
    : [];
  if (!row) throw AppError.notFound('Bulk action');
  return row;
}

/**
 * One action; an export's carries the export's own progress and signed download link, so whoever
 * may export in bulk (agents too) can follow it and download it from the bulk dialog.
 */
export async function getBulkAction(db: DbOrTx, deps: BulkDeps, ctx: WorkspaceContext, id: string) {
  const json = toBulkJson(await findRow(db, ctx.workspaceId, id));
  if (json.action === 'export' && typeof json.result.export_id === 'string') {
    const exported = await getExport(db, deps.exports, ctx.workspaceId, json.result.export_id);
    json.result = {
      ...json.result,
      export: {
        status: exported.status,
        total_rows: exported.total_rows,
        processed_rows: exported.processed_rows,
        download_url: exported.download_url,
        error: exported.error,
      },
    };
  }
  return json;
}

/** Stops a queued or running action between two chunks; what was done stays done. */
export async function cancelBulkAction(db: Database, ctx: WorkspaceContext, id: string) {
  return db.transaction(async (tx) => {
    await findRow(tx, ctx.workspaceId, id);
    const [row] = await tx.select().from(bulkActions).where(eq(bulkActions.id, id)).for('update');
    if (row!.status !== 'queued' && row!.status !== 'running')
      throw new AppError('NOT_ALLOWED_NOW', `This action is already ${row!.status}`);
    const [updated] = await tx
      .update(bulkActions)
      .set({ status: 'cancelled', finishedAt: new Date() })
      .where(eq(bulkActions.id, id))
      .returning();
    await recordAudit(tx, ctx, {
      action: 'bulk.cancel_requested',
      entityType: 'bulk_action',
      entityId: id,
      changes: { status: { before: row!.status, after: 'cancelled' } },
    });
    return toBulkJson(updated!);
  });
}

export async function listBulkActions(
  db: DbOrTx,
  ctx: WorkspaceContext,
  options: { cursor?: string; limit: number },
) {
  const cursor = decodeCursor(options.cursor);
  const rows = await db
    .select()
    .from(bulkActions)
    .where(
      and(
        eq(bulkActions.workspaceId, ctx.workspaceId),
        afterCursor(bulkActions.createdAt, bulkActions.id, cursor),
      ),
    )
    .orderBy(desc(bulkActions.createdAt), desc(bulkActions.id))
    .limit(options.limit + 1);
  const { items, nextCursor } = page(rows, options.limit, (r) => [r.createdAt, r.id]);
  return { actions: items.map(toBulkJson), next_cursor: nextCursor };
}
