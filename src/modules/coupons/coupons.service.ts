import { type SQL, sql } from 'drizzle-orm';
import type { WorkspaceContext } from '../../platform/auth/context.ts';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { UUID } from '../../platform/db/ids.ts';
import { AppError, type ErrorDetail } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { recordAudit } from '../audit/audit.service.ts';
import type { ClientDataParticipant, TimelineItem, TimelineWindow } from '../clients/client-data.ts';
import { getWorkspace } from '../workspaces/workspaces.service.ts';
import { generateCodes, normalizeCode, PREFIX_SHAPE } from './coupons.codes.ts';

export const DISCOUNT_TYPES = ['percentage', 'fixed'] as const;
export type DiscountType = (typeof DISCOUNT_TYPES)[number];
export const COUPON_STATUSES = ['active', 'redeemed', 'expired', 'revoked'] as const;
export type CouponStatus = (typeof COUPON_STATUSES)[number];
const DAY_MS = 86_400_000;
const CURRENCY = /^[A-Z]{3}$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** The terms of a batch as asked (POST /bulk/coupons). */
export interface CouponTermsInput {
  discount_type: DiscountType;
  discount_value: number;
  currency?: string;
  valid_days?: number;
  valid_until?: string;
  usage_limit?: number;
  reason?: string;
  prefix?: string;
}

export interface CouponTerms {
  discountType: DiscountType;
  discountValue: number;
  currency: string | null;
  expiresAt: Date;
  usageLimit: number;
  reason: string | null;
  prefix: string | null;
}

/** Checks the terms (every problem at once, with its path) and fixes the expiry instant. */
export async function checkCouponTerms(
  db: DbOrTx,
  workspaceId: string,
  input: CouponTermsInput,
  now = new Date(),
): Promise<CouponTerms> {
  const problems: ErrorDetail[] = [];
  const value = input.discount_value;
  if (!(value > 0)) problems.push({ path: '/discount_value', message: 'must be more than 0' });
  if (input.discount_type === 'percentage' && value > 100)
    problems.push({ path: '/discount_value', message: 'a percentage is at most 100' });
  if (input.discount_type === 'percentage' && input.currency)
    problems.push({ path: '/currency', message: 'only a fixed discount has a currency' });
  const currency = input.currency?.trim().toUpperCase() || null;
  if (input.discount_type === 'fixed' && !currency)
    problems.push({ path: '/currency', message: 'a fixed discount needs its currency, e.g. EUR' });
  if (currency && !CURRENCY.test(currency))
    problems.push({ path: '/currency', message: 'a three-letter ISO 4217 code, e.g. EUR' });
  const prefix = input.prefix?.trim().toUpperCase() || null;
  if (prefix && !PREFIX_SHAPE.test(prefix))
    problems.push({ path: '/prefix', message: 'letters and digits only, at most 12' });
  const usageLimit = input.usage_limit ?? 1;
  if (!Number.isInteger(usageLimit) || usageLimit < 1 || usageLimit > 1000)
    problems.push({ path: '/usage_limit', message: 'a whole number from 1 to 1000' });
  const reason = input.reason?.trim() || null;
  if (reason && reason.length > 500) problems.push({ path: '/reason', message: 'at most 500 characters' });
  let expiresAt: Date | null = null;
  if ((input.valid_days === undefined) === (input.valid_until === undefined)) {
    problems.push({ path: '/valid_days', message: 'give either valid_days or valid_until' });
  } else if (input.valid_days !== undefined) {
    if (!Number.isInteger(input.valid_days) || input.valid_days < 1 || input.valid_days > 3650)
      problems.push({ path: '/valid_days', message: 'a whole number of days from 1 to 3650' });
    else expiresAt = new Date(now.getTime() + input.valid_days * DAY_MS);
  } else {
    const raw = input.valid_until!;
    if (DATE_ONLY.test(raw) && !Number.isNaN(Date.parse(`${raw}T00:00:00Z`))) {
      // A day means the whole day in the workspace's time zone: valid until the next day starts.
      const { defaultTimezone } = await getWorkspace(db, workspaceId);
      const result = await db.execute<{ at: Date }>(
        sql`select ((${raw}::date + 1)::timestamp at time zone ${defaultTimezone}) as at`,
      );
      expiresAt = new Date(result.rows[0]!.at);
    } else if (!Number.isNaN(Date.parse(raw)) && /T/.test(raw)) expiresAt = new Date(raw);
    else problems.push({ path: '/valid_until', message: 'a date (YYYY-MM-DD) or a date-time with its zone' });
    if (expiresAt && expiresAt.getTime() <= now.getTime())
      problems.push({ path: '/valid_until', message: 'must be in the future' });
  }
  if (problems.length) throw AppError.validation(problems);
  return {
    discountType: input.discount_type,
    discountValue: Math.round(value * 100) / 100,
    currency,
    expiresAt: expiresAt!,
    usageLimit,
    reason,
    prefix,
  };
}

export function termsJson(terms: CouponTerms) {
  return {
    discount_type: terms.discountType,
    discount_value: terms.discountValue,
    currency: terms.currency,
    expires_at: terms.expiresAt.toISOString(),
    usage_limit: terms.usageLimit,
    reason: terms.reason,
    prefix: terms.prefix,
  };
}

/** The batch row the coupons of one bulk action belong to. */
export async function createCouponBatch(
  db: DbOrTx,
  ctx: WorkspaceContext,
  terms: CouponTerms,
  bulkActionId: string | null,
): Promise<string> {
  const result = await db.execute<{ id: string }>(sql`
    insert into coupon_batches (workspace_id, bulk_action_id, prefix, discount_type, discount_value, currency,
      expires_at, usage_limit, reason, created_by_label)
    values (${ctx.workspaceId}, ${bulkActionId}, ${terms.prefix}, ${terms.discountType}, ${terms.discountValue},
      ${terms.currency}, ${terms.expiresAt.toISOString()}::timestamptz, ${terms.usageLimit}, ${terms.reason}, ${ctx.actor.label})
    returning id`);
  return result.rows[0]!.id;
}

/** The campaign that announces the batch: its templates' `coupon.*` read this batch's coupons. */
export async function setBatchCampaign(db: DbOrTx, workspaceId: string, batchId: string, campaignId: string) {
  await db.execute(sql`
    update coupon_batches set campaign_id = ${campaignId} where id = ${batchId} and workspace_id = ${workspaceId}`);
}

/**
 * One coupon per client of the list in one INSERT … SELECT (live clients of the workspace only;
 * a client who already has one of the batch keeps it). A code that collides with an existing one
 * (odds about 2^-49 each) is drawn again for just those clients.
 */
export async function issueCoupons(
  db: DbOrTx,
  workspaceId: string,
  batchId: string,
  prefix: string | null,
  clientIds: string[],
): Promise<number> {
  let pending = clientIds;
  let issued = 0;
  for (let attempt = 0; attempt < 5 && pending.length; attempt++) {
    const codes = generateCodes(pending.length, prefix);
    const result = await db.execute<{ n: number; missing: string[] | null }>(sql`
      with wanted as (
        select s.id, s.code from unnest(${`{${pending.join(',')}}`}::uuid[], ${sql.param(codes)}::text[]) as s(id, code)
        join clients c on c.id = s.id and c.workspace_id = ${workspaceId} and c.erased_at is null
        where not exists (select 1 from coupons k where k.batch_id = ${batchId} and k.client_id = s.id)),
      inserted as (
        insert into coupons (workspace_id, batch_id, client_id, code)
        select ${workspaceId}, ${batchId}, id, code from wanted
        on conflict do nothing
        returning client_id)
      select (select count(*)::int from inserted) as n,
        (select array_agg(w.id) from wanted w where w.id not in (select client_id from inserted)) as missing`);
    issued += Number(result.rows[0]?.n ?? 0);
    pending = result.rows[0]?.missing ?? [];
  }
  if (pending.length) throw new Error(`could not draw unique coupon codes for ${pending.length} clients`);
  await db.execute(sql`
    update coupon_batches set issued = issued + ${issued} where id = ${batchId} and workspace_id = ${workspaceId}`);
  return issued;
}

// ---- reading ---------------------------------------------------------------------------------------

const STATUS_SQL = sql`case when k.revoked_at is not null then 'revoked'
  when k.uses >= b.usage_limit then 'redeemed'
  when b.expires_at <= now() then 'expired' else 'active' end`;

interface CouponRecord {
  id: string;
  code: string;
  status: CouponStatus;
  client_id: string | null;
  client_name: string | null;
  batch_id: string;
  discount_type: DiscountType;
  discount_value: number;
  currency: string | null;
  expires_at: Date;
  usage_limit: number;
  uses: number;
  reason: string | null;
  revoked_at: Date | null;
  revoked_reason: string | null;
  created_at: Date;
  locale?: string | null;
}

const COUPON_COLUMNS = sql`k.id, k.code, ${STATUS_SQL} as status, k.client_id,
  nullif(trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')), '') as client_name,
  k.batch_id, b.discount_type, b.discount_value, b.currency, b.expires_at, b.usage_limit, k.uses, b.reason,
  k.revoked_at, k.revoked_reason, k.created_at, c.locale`;
const COUPON_FROM = sql`coupons k join coupon_batches b on b.id = k.batch_id left join clients c on c.id = k.client_id`;

/** "15%", "€10.00" (in the client's language when known): what `{{ coupon.value }}` shows. */
export function formatDiscount(
  type: DiscountType,
  value: number,
  currency: string | null,
  locale?: string | null,
): string {
  const lang = (locale ?? 'en').slice(0, 2) || 'en';
  if (type === 'percentage') return `${Number(value)}%`;
  try {
    return new Intl.NumberFormat(lang, { style: 'currency', currency: currency ?? 'EUR' }).format(value);
  } catch {
    return `${value} ${currency ?? ''}`.trim();
  }
}

export function toCouponJson(row: CouponRecord) {
  return {
    id: row.id,
    code: row.code,
    status: row.status,
    valid: row.status === 'active',
    client_id: row.client_id,
    client_name: row.client_name,
    batch_id: row.batch_id,
    discount_type: row.discount_type,
    discount_value: Number(row.discount_value),
    currency: row.currency,
    value: formatDiscount(row.discount_type, Number(row.discount_value), row.currency, row.locale),
    expires_at: iso(new Date(row.expires_at)),
    usage_limit: row.usage_limit,
    uses: row.uses,
    uses_left: row.status === 'active' ? Math.max(0, row.usage_limit - row.uses) : 0,
    reason: row.reason,
    revoked_at: row.revoked_at ? iso(new Date(row.revoked_at)) : null,
    revoked_reason: row.revoked_reason,
    created_at: iso(new Date(row.created_at)),
  };
}
export type CouponJson = ReturnType<typeof toCouponJson>;

async function findByCode(db: DbOrTx, workspaceId: string, code: string, lock = false) {
  const result = await db.execute<CouponRecord & Record<string, unknown>>(sql`
    select ${COUPON_COLUMNS} from ${COUPON_FROM}
    where k.workspace_id = ${workspaceId} and k.code = ${normalizeCode(code)}
    ${lock ? sql`for update of k` : sql``}`);
  const row = result.rows[0];
  if (!row) throw AppError.notFound('Coupon');
  return row;
}

/** The shop's check: valid or why not, the discount, its owner, expiry and uses left. */
export async function getCouponByCode(db: DbOrTx, ctx: WorkspaceContext, code: string) {
  return toCouponJson(await findByCode(db, ctx.workspaceId, code));
}

/**
 * For templates of the campaign that announces a batch: this client's coupon of that batch, as
 * `{{ coupon.code }}`, `{{ coupon.value }}` and `{{ coupon.expires_at }}` (the day, YYYY-MM-DD).
 */
export async function couponForCampaign(
  db: DbOrTx,
  workspaceId: string,
  campaignId: string,
  clientId: string,
) {
  const result = await db.execute<CouponRecord & Record<string, unknown>>(sql`
    select ${COUPON_COLUMNS} from ${COUPON_FROM}
    where b.workspace_id = ${workspaceId} and b.campaign_id = ${campaignId} and k.client_id = ${clientId}
    order by k.created_at desc limit 1`);
  const row = result.rows[0];
  if (!row) return undefined;
  const json = toCouponJson(row);
  return { code: json.code, value: json.value, expires_at: json.expires_at.slice(0, 10) };
}

export interface CouponListQuery {
  status?: CouponStatus;
  batch_id?: string;
  client_id?: string;
  q?: string;
  limit: number;
  cursor?: string;
}

function encodeCursor(at: Date, id: string) {
  return Buffer.from(JSON.stringify([new Date(at).toISOString(), id])).toString('base64url');
}

function decodeCursor(raw: string): [string, string] {
  try {
    const [at, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (typeof at !== 'string' || !UUID.test(String(id))) throw new Error();
    return [at, id];
  } catch {
    throw AppError.validation([{ path: '/query/cursor', message: 'not a cursor this API returned' }]);
  }
}

export async function listCoupons(db: DbOrTx, ctx: WorkspaceContext, query: CouponListQuery) {
  const where: SQL[] = [sql`k.workspace_id = ${ctx.workspaceId}`];
  if (query.status) where.push(sql`${STATUS_SQL} = ${query.status}`);
  if (query.batch_id) where.push(sql`k.batch_id = ${query.batch_id}`);
  if (query.client_id) where.push(sql`k.client_id = ${query.client_id}`);
  if (query.q?.trim())
    where.push(sql`k.code like ${`%${normalizeCode(query.q).replace(/[\\%_]/g, '\\$&')}%`}`);
  if (query.cursor) {
    const [at, id] = decodeCursor(query.cursor);
    where.push(sql`(k.created_at, k.id) < (${at}::timestamptz, ${id}::uuid)`);
  }
  const result = await db.execute<CouponRecord & Record<string, unknown>>(sql`
    select ${COUPON_COLUMNS} from ${COUPON_FROM} where ${sql.join(where, sql` and `)}
    order by k.created_at desc, k.id desc limit ${query.limit + 1}`);
  const rows = result.rows.slice(0, query.limit);
  const last = rows.at(-1);
  return {
    coupons: rows.map(toCouponJson),
    next_cursor: result.rows.length > query.limit && last ? encodeCursor(last.created_at, last.id) : null,
  };
}

/** Every batch, newest first, with issued, redeemed, the redemption rate and the orders' revenue. */
export async function listCouponBatches(db: DbOrTx, ctx: WorkspaceContext, batchId?: string) {
  const result = await db.execute<Record<string, unknown>>(sql`
    select b.id, b.prefix, b.discount_type, b.discount_value, b.currency, b.expires_at, b.usage_limit, b.reason,
      b.campaign_id, b.bulk_action_id, b.created_by_label, b.created_at,
      (select count(*)::int from coupons k where k.batch_id = b.id) as issued,
      (select count(*)::int from coupons k where k.batch_id = b.id and k.uses > 0) as redeemed,
      (select count(*)::int from coupons k where k.batch_id = b.id and k.revoked_at is not null) as revoked,
      (select count(*)::int from coupon_redemptions r join coupons k on k.id = r.coupon_id where k.batch_id = b.id) as redemptions,
      (select coalesce(sum(r.amount), 0) from coupon_redemptions r join coupons k on k.id = r.coupon_id where k.batch_id = b.id) as revenue
    from coupon_batches b where b.workspace_id = ${ctx.workspaceId} ${batchId ? sql`and b.id = ${batchId}` : sql``}
    order by b.created_at desc limit 200`);
  return result.rows.map((r) => {
    const issued = Number(r.issued);
    const redeemed = Number(r.redeemed);
    return {
      id: String(r.id),
      prefix: (r.prefix as string | null) ?? null,
      discount_type: r.discount_type as DiscountType,
      discount_value: Number(r.discount_value),
      currency: (r.currency as string | null) ?? null,
      value: formatDiscount(r.discount_type as DiscountType, Number(r.discount_value), r.currency as string),
      expires_at: iso(new Date(r.expires_at as string)),
      usage_limit: Number(r.usage_limit),
      reason: (r.reason as string | null) ?? null,
      campaign_id: (r.campaign_id as string | null) ?? null,
      bulk_action_id: (r.bulk_action_id as string | null) ?? null,
      created_by: String(r.created_by_label),
      created_at: iso(new Date(r.created_at as string)),
      issued,
      redeemed,
      revoked: Number(r.revoked),
      redemptions: Number(r.redemptions),
      redemption_rate: issued ? Math.round((redeemed / issued) * 10_000) / 10_000 : 0,
      revenue: Number(r.revenue),
    };
  });
}

// ---- redeeming and revoking --------------------------------------------------------------------------

export interface RedeemInput {
  order_reference: string;
  amount?: number;
}

const REFUSALS: Record<Exclude<CouponStatus, 'active'>, { reason: string; message: string }> = {
  expired: { reason: 'expired', message: 'This coupon has expired' },
  revoked: { reason: 'revoked', message: 'This coupon was revoked' },
  redeemed: { reason: 'used_up', message: 'This coupon has no uses left' },
};

/**
 * Redeems a coupon for an order. The coupon row is locked, so concurrent redemptions queue and a
 * single-use coupon is used exactly once; the same order reference again answers the first
 * redemption (a shop retrying after a timeout must not be refused nor count twice).
 */
export async function redeemCoupon(db: Database, ctx: WorkspaceContext, code: string, input: RedeemInput) {
  const reference = input.order_reference.trim();
  const problems: ErrorDetail[] = [];
  if (!reference) problems.push({ path: '/order_reference', message: 'must not be blank' });
  if (input.amount !== undefined && !(input.amount >= 0))
    problems.push({ path: '/amount', message: 'must be 0 or more' });
  if (problems.length) throw AppError.validation(problems);
  return db.transaction(async (tx) => {
    const coupon = await findByCode(tx, ctx.workspaceId, code, true);
    const previous = await tx.execute<Record<string, unknown>>(sql`
      select id, order_reference, amount, redeemed_at from coupon_redemptions
      where coupon_id = ${coupon.id} and order_reference = ${reference}`);
    if (previous.rows[0])
      return { replayed: true, redemption: redemptionJson(previous.rows[0]), coupon: toCouponJson(coupon) };
    if (coupon.status !== 'active') {
      const refusal = REFUSALS[coupon.status];
      throw new AppError('NOT_ALLOWED_NOW', refusal.message, [{ path: '/code', message: refusal.reason }], {
        reason: refusal.reason,
      });
    }
    const inserted = await tx.execute<Record<string, unknown>>(sql`
      insert into coupon_redemptions (workspace_id, coupon_id, client_id, order_reference, amount, actor_label)
      values (${ctx.workspaceId}, ${coupon.id}, ${coupon.client_id}, ${reference}, ${input.amount ?? null}, ${ctx.actor.label})
      returning id, order_reference, amount, redeemed_at`);
    await tx.execute(sql`update coupons set uses = uses + 1 where id = ${coupon.id}`);
    await recordAudit(tx, ctx, {
      action: 'coupon.redeemed',
      entityType: 'coupon',
      entityId: coupon.id,
      changes: {
        uses: { before: coupon.uses, after: coupon.uses + 1 },
        order_reference: { before: null, after: reference },
      },
    });
    const after = await findByCode(tx, ctx.workspaceId, coupon.code);
    return { replayed: false, redemption: redemptionJson(inserted.rows[0]!), coupon: toCouponJson(after) };
  });
}

function redemptionJson(row: Record<string, unknown>) {
  return {
    id: String(row.id),
    order_reference: String(row.order_reference),
    amount: row.amount === null || row.amount === undefined ? null : Number(row.amount),
    redeemed_at: iso(new Date(row.redeemed_at as string)),
  };
}

export async function revokeCoupon(db: Database, ctx: WorkspaceContext, code: string, reason?: string) {
  return db.transaction(async (tx) => {
    const coupon = await findByCode(tx, ctx.workspaceId, code, true);
    if (coupon.revoked_at) return toCouponJson(coupon);
    await tx.execute(sql`update coupons set revoked_at = now(), revoked_reason = ${reason?.trim() || null}
      where id = ${coupon.id}`);
    await recordAudit(tx, ctx, {
      action: 'coupon.revoked',
      entityType: 'coupon',
      entityId: coupon.id,
      changes: { revoked: { before: false, after: true } },
    });
    return toCouponJson(await findByCode(tx, ctx.workspaceId, coupon.code));
  });
}

/** Revokes every not yet revoked coupon of a batch in one statement; returns how many. */
export async function revokeCouponBatch(
  db: Database,
  ctx: WorkspaceContext,
  batchId: string,
  reason?: string,
) {
  return db.transaction(async (tx) => {
    const found = UUID.test(batchId)
      ? await tx.execute(
          sql`select id from coupon_batches where id = ${batchId} and workspace_id = ${ctx.workspaceId} for update`,
        )
      : { rows: [] };
    if (!found.rows.length) throw AppError.notFound('Coupon batch');
    const result = await tx.execute(sql`
      update coupons set revoked_at = now(), revoked_reason = ${reason?.trim() || null}
      where batch_id = ${batchId} and workspace_id = ${ctx.workspaceId} and revoked_at is null`);
    const revoked = result.rowCount ?? 0;
    await recordAudit(tx, ctx, {
      action: 'coupon_batch.revoked',
      entityType: 'coupon_batch',
      entityId: batchId,
      changes: { revoked: { before: null, after: revoked } },
    });
    return { batch_id: batchId, revoked };
  });
}

// ---- the client's lifecycle -------------------------------------------------------------------------

async function timelineRows(db: DbOrTx, workspaceId: string, clientId: string, window: TimelineWindow) {
  const terms: SQL[] = [];
  if (window.before)
    terms.push(sql`(t.at, t.id) < (${window.before.at}::timestamptz, ${window.before.id}::uuid)`);
  if (window.from) terms.push(sql`t.at >= ${window.from}::timestamptz`);
  if (window.to) terms.push(sql`t.at < ${window.to}::timestamptz`);
  const result = await db.execute<Record<string, unknown>>(sql`
    select * from (
      select k.id, 'issued' as type, k.created_at as at, k.code, b.discount_type, b.discount_value, b.currency,
        b.expires_at, b.reason, b.created_by_label as actor, null::numeric as amount, null::text as order_reference
      from coupons k join coupon_batches b on b.id = k.batch_id
      where k.workspace_id = ${workspaceId} and k.client_id = ${clientId}
      union all
      select r.id, 'redeemed', r.redeemed_at, k.code, b.discount_type, b.discount_value, b.currency,
        b.expires_at, b.reason, r.actor_label, r.amount, r.order_reference
      from coupon_redemptions r join coupons k on k.id = r.coupon_id join coupon_batches b on b.id = k.batch_id
      where r.workspace_id = ${workspaceId} and r.client_id = ${clientId}
    ) t ${terms.length ? sql`where ${sql.join(terms, sql` and `)}` : sql``}
    order by t.at desc, t.id desc limit ${window.limit}`);
  return result.rows;
}

/** Coupons issued to and redeemed by a client: on their timeline, in their GDPR export, moved on merge. */
export const couponsParticipant: ClientDataParticipant = {
  name: 'coupons',
  timelineKinds: ['coupon'],
  async move(tx, workspaceId, fromClientId, toClientId) {
    await tx.execute(sql`update coupons set client_id = ${toClientId}
      where workspace_id = ${workspaceId} and client_id = ${fromClientId}`);
    await tx.execute(sql`update coupon_redemptions set client_id = ${toClientId}
      where workspace_id = ${workspaceId} and client_id = ${fromClientId}`);
  },
  async exportFor(db, workspaceId, clientId) {
    const result = await db.execute<CouponRecord & Record<string, unknown>>(sql`
      select ${COUPON_COLUMNS} from ${COUPON_FROM} where k.workspace_id = ${workspaceId} and k.client_id = ${clientId}
      order by k.created_at`);
    return result.rows.map(toCouponJson);
  },
  // The coupons and orders stay for the business's figures, no longer linked to the person.
  async erase(tx, workspaceId, clientId) {
    await tx.execute(
      sql`update coupons set client_id = null where workspace_id = ${workspaceId} and client_id = ${clientId}`,
    );
    await tx.execute(sql`update coupon_redemptions set client_id = null
      where workspace_id = ${workspaceId} and client_id = ${clientId}`);
  },
  async timeline(db, workspaceId, clientId, window) {
    return (await timelineRows(db, workspaceId, clientId, window)).map(
      (row): TimelineItem => ({
        id: String(row.id),
        kind: 'coupon',
        type: String(row.type),
        occurred_at: iso(new Date(row.at as string)),
        actor: { type: 'user', id: null, label: String(row.actor) },
        data: {
          code: row.code,
          value: formatDiscount(
            row.discount_type as DiscountType,
            Number(row.discount_value),
            row.currency as string,
          ),
          expires_at: iso(new Date(row.expires_at as string)),
          reason: row.reason ?? null,
          amount: row.amount === null ? null : Number(row.amount),
          order_reference: row.order_reference ?? null,
        },
      }),
    );
  },
};
