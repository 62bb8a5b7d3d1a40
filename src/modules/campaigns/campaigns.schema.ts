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
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from '../../platform/auth/auth.schema.ts';
import { workspaces } from '../workspaces/workspaces.schema.ts';

const ts = () => timestamp({ withTimezone: true, precision: 3 });

export const CAMPAIGN_CHANNELS = ['email', 'sms', 'whatsapp'] as const;
export const CAMPAIGN_STATUSES = [
  'draft',
  'scheduled',
  'sending',
  'paused',
  'sent',
  'cancelled',
  'failed',
] as const;

/**
 * A campaign: what to send (content), to whom (audience: a saved segment, a tree or a list of
 * ids), through which channel. Its recipients live in the deliveries ledger once the audience is
 * snapshotted; until then the audience is only a description.
 */
export const campaigns = pgTable(
  'campaigns',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    objective: text(),
    channel: text().$type<(typeof CAMPAIGN_CHANNELS)[number]>().notNull(),
    /** A configured channel (provider account); null = the workspace's outbox. */
    channelId: uuid(),
    /** `{ template_id }` or inline `{ subject?, body, whatsapp_template? }`. */
    content: jsonb().$type<Record<string, unknown>>().notNull(),
    /** `{ segment_id }`, `{ definition }` or `{ client_ids }`. */
    audience: jsonb().$type<Record<string, unknown>>().notNull(),
    /** Tried in order when the main channel is not possible for a client (no consent, no address…). */
    fallbackChannels: text().array().notNull().default(sql`'{}'::text[]`),
    /** Marketing messages count towards the frequency cap and carry an unsubscribe link. */
    marketing: boolean().notNull().default(true),
    status: text().$type<(typeof CAMPAIGN_STATUSES)[number]>().notNull().default('draft'),
    /** Why the campaign paused itself or failed, for the dashboard. */
    statusReason: text(),
    scheduledAt: ts(),
    recipientTimeZone: boolean().notNull().default(false),
    /** 'now': the audience is fixed when Send is pressed; 'at_send': when the scheduled time comes. */
    determineRecipients: text().$type<'now' | 'at_send'>().notNull().default('now'),
    /**
     * The A/B test when `content` has `variants`: `{ test_share_percent, criterion, wait_hours }`,
     * and once decided `{ winner, decided_at, decided_by }` (campaigns.ab.ts). Null = no test.
     */
    abTest: jsonb().$type<Record<string, unknown>>(),
    /** Set when the audience was snapshotted into the ledger, with its size. */
    snapshotAt: ts(),
    audienceCount: integer(),
    /**
     * The audience as it was compiled at `snapshot_at` (AudienceSnapshot, campaigns.audience.ts): a
     * saved segment's name and tree at that moment, an inline tree, or the fact of a list and its
     * count. Written once, by the prepare's final step; a later edit of the segment does not move it.
     */
    audienceSnapshot: jsonb().$type<Record<string, unknown>>(),
    createdBy: uuid().references(() => users.id, { onDelete: 'set null' }),
    createdAt: ts().notNull().defaultNow(),
    updatedAt: ts().notNull().defaultNow(),
    deletedAt: ts(),
  },
  (t) => [
    index().on(t.workspaceId, t.createdAt.desc(), t.id.desc()),
    index('campaigns_due_index').on(t.scheduledAt).where(sql`${t.status} = 'scheduled'`),
    check('campaigns_channel_check', sql`${t.channel} in ('email', 'sms', 'whatsapp')`),
    check(
      'campaigns_status_check',
      sql`${t.status} in ('draft', 'scheduled', 'sending', 'paused', 'sent', 'cancelled', 'failed')`,
    ),
    check('campaigns_determine_check', sql`${t.determineRecipients} in ('now', 'at_send')`),
  ],
);

/** Hours (0–23, local to each recipient) during which SMS and WhatsApp wait; `start > end` spans midnight. */
export interface QuietHours {
  start: number;
  end: number;
}
/** The quiet hours of a workspace that has not changed them: 21:00 to 09:00. */
export const DEFAULT_QUIET_HOURS: QuietHours = { start: 21, end: 9 };

/** A workspace's sending rules (one row, created on first write; absent = the defaults). */
export const campaignSettings = pgTable(
  'campaign_settings',
  {
    workspaceId: uuid()
      .primaryKey()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    /** At most this many marketing messages per client in 7 days, all campaigns together; null = no cap. */
    frequencyCap7d: integer('frequency_cap_7d'),
    /**
     * What each message costs, for the estimate before sending and the actual after:
     * `{ currency, email, sms_segment, whatsapp: { marketing, utility, authentication, service } }`.
     */
    prices: jsonb().$type<Record<string, unknown>>(),
    /**
     * No SMS or WhatsApp between `start` and `end` o'clock in each recipient's zone (delayed to `end`,
     * never dropped); email is never held. null = no quiet hours.
     */
    quietHours: jsonb().$type<QuietHours>().default(DEFAULT_QUIET_HOURS),
    updatedAt: ts().notNull().defaultNow(),
  },
  (t) => [
    check(
      'campaign_settings_cap_check',
      sql`${t.frequencyCap7d} is null or ${t.frequencyCap7d} between 1 and 100`,
    ),
  ],
);

/**
 * Clients taken out of a draft or scheduled campaign's audience by hand. Applied when the audience
 * is snapshotted (and in the review), whatever the audience is (segment, tree or list).
 */
export const campaignExclusions = pgTable(
  'campaign_exclusions',
  {
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    campaignId: uuid()
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    clientId: uuid().notNull(),
    createdBy: uuid().references(() => users.id, { onDelete: 'set null' }),
    createdAt: ts().notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.clientId] })],
);
