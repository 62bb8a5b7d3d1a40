import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  numeric,
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

/**
 * Kept event windows: for a (workspace, event type, window of n days; 0 = all time) that segments
 * use, each client's count and sum of those events as of `computed_at` (T0), so a count like
 * "≥ 3 bookings in 180 days" on a million clients is an index range instead of an aggregate of
 * millions of events. A window is requested the first time a tree uses it (evaluate, save), built
 * by the `segments.event_windows` job and refreshed hourly; unused for 7 days, it is dropped.
 * Evaluations stay exact between refreshes: see event-windows.ts.
 */
export const eventWindows = pgTable(
  'event_windows',
  {
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    type: text().notNull(),
    windowDays: integer().notNull(),
    /** T0 of the kept aggregates; null until first built. */
    computedAt: ts(),
    lastUsedAt: ts().notNull().defaultNow(),
    createdAt: ts().notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.type, t.windowDays] }),
    check('event_windows_days_check', sql`${t.windowDays} between 0 and 36600`),
  ],
);

/**
 * One row per client with at least one event of the type in the window at T0, live at T0. No
 * foreign keys, on purpose: a refresh writes a million rows, and per-row key checks would double
 * it; rows of a dropped window or workspace are removed by the refresh job.
 */
export const eventWindowAggregates = pgTable(
  'event_window_aggregates',
  {
    workspaceId: uuid().notNull(),
    type: text().notNull(),
    windowDays: integer().notNull(),
    clientId: uuid().notNull(),
    events: integer().notNull(),
    amount: numeric({ precision: 16, scale: 2, mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.type, t.windowDays, t.clientId] }),
    // A count or sum comparison is a range of one of these, read index-only.
    index('event_window_aggregates_events_index').on(
      t.workspaceId,
      t.type,
      t.windowDays,
      t.events,
      t.clientId,
    ),
    index('event_window_aggregates_amount_index').on(
      t.workspaceId,
      t.type,
      t.windowDays,
      t.amount,
      t.clientId,
    ),
  ],
);

/**
 * Clients whose events of a type changed (inserted, updated, deleted, moved by a merge) since
 * their type's windows were last refreshed: marked by statement triggers on `events` (migration
 * 0017), evaluated from their events directly until the next refresh clears them.
 */
export const eventAggregateChanges = pgTable(
  'event_aggregate_changes',
  {
    workspaceId: uuid().notNull(),
    type: text().notNull(),
    clientId: uuid().notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.type, t.clientId] })],
);
