import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from '../../platform/auth/auth.schema.ts';
import { clients } from '../clients/clients.schema.ts';
import { workspaces } from '../workspaces/workspaces.schema.ts';

const ts = () => timestamp({ withTimezone: true, precision: 3 });

/**
 * A saved segment. Dynamic segments keep a condition tree (SEGMENTS.md) evaluated when used;
 * static ones keep a fixed list of members in segment_members. Never deleted through the API:
 * DELETE archives, so campaigns that used a segment can still name it.
 */
export const segments = pgTable(
  'segments',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    description: text(),
    kind: text().$type<'dynamic' | 'static'>().notNull(),
    /** The condition tree of a dynamic segment; null for a static one. */
    definition: jsonb().$type<unknown>(),
    /** Which preset this segment started as (vip_ltv_top10, label:customer, …); null for the user's own. */
    preset: text(),
    /**
     * True while a computed preset (the VIP threshold) is still as generated: the count job then
     * refreshes its tree. Editing the definition turns it off for good.
     */
    autoRefresh: boolean().notNull().default(false),
    lastCount: integer(),
    lastCountedAt: ts(),
    lastUsedAt: ts(),
    archivedAt: ts(),
    createdAt: ts().notNull().defaultNow(),
    updatedAt: ts().notNull().defaultNow(),
  },
  (t) => [
    index().on(t.workspaceId, t.createdAt.desc(), t.id.desc()),
    uniqueIndex('segments_workspace_preset').on(t.workspaceId, t.preset).where(sql`${t.preset} is not null`),
    check('segments_kind_check', sql`${t.kind} in ('dynamic', 'static')`),
    check('segments_definition_check', sql`(${t.kind} = 'dynamic') = (${t.definition} is not null)`),
  ],
);

/** Members of a static segment. */
export const segmentMembers = pgTable(
  'segment_members',
  {
    segmentId: uuid()
      .notNull()
      .references(() => segments.id, { onDelete: 'cascade' }),
    clientId: uuid()
      .notNull()
      .references(() => clients.id, { onDelete: 'cascade' }),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    addedAt: ts().notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.segmentId, t.clientId] }), index().on(t.clientId)],
);

/** A saved segment's member count over time (the hourly job), for the manager's sparkline. */
export const segmentCounts = pgTable(
  'segment_counts',
  {
    segmentId: uuid()
      .notNull()
      .references(() => segments.id, { onDelete: 'cascade' }),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    countedAt: ts().notNull(),
    count: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.segmentId, t.countedAt] })],
);

/**
 * An alert on a saved segment: the chosen members are told (dashboard, and email when asked and
 * SMTP is configured) when clients enter it, and optionally when they leave. One per segment.
 */
export const segmentAlerts = pgTable('segment_alerts', {
  segmentId: uuid()
    .primaryKey()
    .references(() => segments.id, { onDelete: 'cascade' }),
  workspaceId: uuid()
    .notNull()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  userIds: uuid().array().notNull(),
  email: boolean().notNull().default(false),
  onExit: boolean().notNull().default(false),
  createdBy: uuid().references(() => users.id, { onDelete: 'set null' }),
  lastCheckedAt: ts(),
  createdAt: ts().notNull().defaultNow(),
  updatedAt: ts().notNull().defaultNow(),
});

/**
 * Who was in an alerted segment at its last check: the next check's entries and exits are the
 * difference, computed set-based in the database.
 */
export const segmentAlertMembers = pgTable(
  'segment_alert_members',
  {
    segmentId: uuid()
      .notNull()
      .references(() => segments.id, { onDelete: 'cascade' }),
    clientId: uuid()
      .notNull()
      .references(() => clients.id, { onDelete: 'cascade' }),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    enteredAt: ts().notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.segmentId, t.clientId] })],
);
