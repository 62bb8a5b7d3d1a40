import { Type } from '@sinclair/typebox';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import {
  ErrorResponse,
  errors,
  IdParams,
  Nullable,
  StringEnum,
  Timestamp,
  Uuid,
} from '../../platform/http/schemas.ts';
import {
  COUPON_STATUSES,
  DISCOUNT_TYPES,
  getCouponByCode,
  listCouponBatches,
  listCoupons,
  redeemCoupon,
  revokeCoupon,
  revokeCouponBatch,
} from './coupons.service.ts';

export const CouponJson = Type.Object({
  id: Uuid,
  code: Type.String(),
  status: StringEnum(COUPON_STATUSES),
  valid: Type.Boolean({ description: 'Can be redeemed now' }),
  client_id: Nullable(Uuid),
  client_name: Nullable(Type.String()),
  batch_id: Uuid,
  discount_type: StringEnum(DISCOUNT_TYPES),
  discount_value: Type.Number(),
  currency: Nullable(Type.String()),
  value: Type.String({ description: 'As shown to the client: "15%", "€10.00"' }),
  expires_at: Timestamp,
  usage_limit: Type.Integer(),
  uses: Type.Integer(),
  uses_left: Type.Integer(),
  reason: Nullable(Type.String()),
  revoked_at: Nullable(Timestamp),
  revoked_reason: Nullable(Type.String()),
  created_at: Timestamp,
});

const BatchJson = Type.Object({
  id: Uuid,
  prefix: Nullable(Type.String()),
  discount_type: StringEnum(DISCOUNT_TYPES),
  discount_value: Type.Number(),
  currency: Nullable(Type.String()),
  value: Type.String(),
  expires_at: Timestamp,
  usage_limit: Type.Integer(),
  reason: Nullable(Type.String()),
  campaign_id: Nullable(Uuid),
  bulk_action_id: Nullable(Uuid),
  created_by: Type.String(),
  created_at: Timestamp,
  issued: Type.Integer(),
  redeemed: Type.Integer({ description: 'Coupons used at least once' }),
  revoked: Type.Integer(),
  redemptions: Type.Integer(),
  redemption_rate: Type.Number({ description: 'redeemed / issued, 0..1' }),
  revenue: Type.Number({ description: 'Sum of the redeeming orders’ amounts' }),
});

const CodeParams = Type.Object({ code: Type.String({ minLength: 1, maxLength: 40 }) });

/** 422 with the reason a coupon cannot be redeemed: expired, revoked or used_up. */
const RefusedResponse = Type.Object({
  error: Type.Object({
    ...ErrorResponse.properties.error.properties,
    reason: Type.Optional(StringEnum(['expired', 'revoked', 'used_up'] as const)),
  }),
});

export function registerCouponRoutes(app: HttpApp, deps: { db: Database }) {
  const { db } = deps;
  const tags = ['Coupons'];
  app.get(
    '/api/v1/coupons',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Coupons, newest first, by status, batch, client or code',
        querystring: Type.Object({
          status: Type.Optional(StringEnum(COUPON_STATUSES)),
          batch_id: Type.Optional(Uuid),
          client_id: Type.Optional(Uuid),
          q: Type.Optional(Type.String({ maxLength: 40, description: 'Part of a code' })),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          cursor: Type.Optional(Type.String({ maxLength: 300 })),
        }),
        response: {
          200: Type.Object({ coupons: Type.Array(CouponJson), next_cursor: Nullable(Type.String()) }),
          ...errors,
        },
      },
    },
    async (request) => listCoupons(db, workspaceOf(request), request.query),
  );
  app.get(
    '/api/v1/coupons/batches',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Coupon batches with their stats: issued, redeemed, rate, revenue',
        response: { 200: Type.Object({ batches: Type.Array(BatchJson) }), ...errors },
      },
    },
    async (request) => ({ batches: await listCouponBatches(db, workspaceOf(request)) }),
  );
  app.post(
    '/api/v1/coupons/batches/:id/revoke',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Revoke every coupon of a batch',
        params: IdParams,
        body: Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) })),
        response: { 200: Type.Object({ batch_id: Uuid, revoked: Type.Integer() }), ...errors },
      },
    },
    async (request) => revokeCouponBatch(db, workspaceOf(request), request.params.id, request.body?.reason),
  );
  app.get(
    '/api/v1/coupons/:code',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary:
          'Check a coupon (for the shop or booking system): valid?, discount, owner, expiry, uses left',
        params: CodeParams,
        response: { 200: CouponJson, ...errors },
      },
    },
    async (request) => getCouponByCode(db, workspaceOf(request), request.params.code),
  );
  app.post(
    '/api/v1/coupons/:code/redeem',
    {
      config: { access: { minRole: 'agent' } },
      schema: {
        tags,
        summary: 'Redeem a coupon for an order (idempotent per order_reference)',
        description:
          'The same order_reference again answers the first redemption (replayed: true) and uses nothing. Expired, revoked or used up: 422 with error.reason.',
        params: CodeParams,
        body: Type.Object(
          {
            order_reference: Type.String({ minLength: 1, maxLength: 200 }),
            amount: Type.Optional(
              Type.Number({ description: "The order's amount, for the batch's revenue" }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            replayed: Type.Boolean(),
            redemption: Type.Object({
              id: Uuid,
              order_reference: Type.String(),
              amount: Nullable(Type.Number()),
              redeemed_at: Timestamp,
            }),
            coupon: CouponJson,
          }),
          ...errors,
          422: RefusedResponse,
        },
      },
    },
    async (request) => redeemCoupon(db, workspaceOf(request), request.params.code, request.body),
  );
  app.post(
    '/api/v1/coupons/:code/revoke',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Revoke one coupon',
        params: CodeParams,
        body: Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) })),
        response: { 200: CouponJson, ...errors },
      },
    },
    async (request) => revokeCoupon(db, workspaceOf(request), request.params.code, request.body?.reason),
  );
}
