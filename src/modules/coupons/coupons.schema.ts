import { sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  numeric,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { clients } from '../clients/clients.schema.ts';
import { workspaces } from '../workspaces/workspaces.schema.ts';

const ts = () => timestamp({ withTimezone: true, precision: 3 });
const money = () => numeric({ precision: 14, scale: 2, mode: 'number' });

/** One issue of personal coupons (a bulk action): the terms every coupon of it shares. */
export const couponBatches = pgTable(
  'coupon_batches',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    /** The bulk action that issued it (no FK: the bulk module owns that table). */
    bulkActionId: uuid(),
    prefix: text(),
    discountType: text().notNull(),
    discountValue: money().notNull(),
    currency: text(),
    expiresAt: ts().notNull(),
    usageLimit: integer().notNull().default(1),
    reason: text(),
    /** The campaign that told the clients (its templates read `coupon.*`), if any. */
    campaignId: uuid(),
    issued: integer().notNull().default(0),
    createdByLabel: text().notNull(),
    createdAt: ts().notNull().defaultNow(),
  },
  (t) => [
    index().on(t.workspaceId, t.createdAt.desc()),
    index().on(t.campaignId),
    check('coupon_batches_type_check', sql`${t.discountType} in ('percentage', 'fixed')`),
  ],
);

/** A personal coupon: one client, one unguessable code, used at most `usage_limit` times. */
export const coupons = pgTable(
  'coupons',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    batchId: uuid()
      .notNull()
      .references(() => couponBatches.id, { onDelete: 'cascade' }),
    clientId: uuid().references(() => clients.id, { onDelete: 'set null' }),
    code: text().notNull(),
    uses: integer().notNull().default(0),
    revokedAt: ts(),
    revokedReason: text(),
    createdAt: ts().notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex().on(t.workspaceId, t.code),
    uniqueIndex().on(t.batchId, t.clientId),
    index().on(t.clientId),
    check('coupons_uses_check', sql`${t.uses} >= 0`),
  ],
);

/** One use of a coupon by an order of the business's shop or booking system. */
export const couponRedemptions = pgTable(
  'coupon_redemptions',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    couponId: uuid()
      .notNull()
      .references(() => coupons.id, { onDelete: 'cascade' }),
    clientId: uuid().references(() => clients.id, { onDelete: 'set null' }),
    orderReference: text().notNull(),
    amount: money(),
    actorLabel: text().notNull(),
    redeemedAt: ts().notNull().defaultNow(),
  },
  (t) => [uniqueIndex().on(t.couponId, t.orderReference), index().on(t.clientId, t.redeemedAt.desc())],
);
