import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { campaigns } from '../campaigns/campaigns.schema.ts';
import { clients } from '../clients/clients.schema.ts';
import { workspaces } from '../workspaces/workspaces.schema.ts';

const ts = () => timestamp({ withTimezone: true, precision: 3 });

export const DELIVERY_STATUSES = [
  'skipped',
  'queued',
  'sending',
  'sent',
  'delivered',
  'read',
  'clicked',
  'failed',
  'unknown',
  'cancelled',
] as const;

export const SKIP_REASONS = [
  'no_address',
  'invalid_address',
  'no_consent',
  'suppressed',
  'frequency_cap',
  'duplicate_address',
  'template_not_approved',
] as const;

/**
 * The deliveries ledger: one row per (campaign, client, channel), unique, so no recipient can be
 * queued twice whatever clicks or workers race. Ineligible recipients stay as `skipped` with their
 * reason, so the campaign can say "412 have no WhatsApp consent".
 */
export const deliveries = pgTable(
  'deliveries',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    campaignId: uuid()
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    clientId: uuid()
      .notNull()
      .references(() => clients.id, { onDelete: 'cascade' }),
    channel: text().notNull(),
    /** The email address or E.164 phone the message goes to, as it was at the snapshot. */
    address: text(),
    status: text().$type<(typeof DELIVERY_STATUSES)[number]>().notNull(),
    skipReason: text().$type<(typeof SKIP_REASONS)[number]>(),
    attempts: smallint().notNull().default(0),
    /** Not before (recipient time zone, quiet hours, retry backoff). */
    sendAfter: ts(),
    /** When the provider accepted it: what the frequency cap counts. */
    sentAt: ts(),
    providerMessageId: text(),
    error: text(),
    /** Copied from the campaign: only marketing messages count towards the frequency cap. */
    marketing: boolean().notNull().default(true),
    /** The A/B variant (0 when the campaign has one content). */
    variant: integer().notNull().default(0),
    createdAt: ts().notNull().defaultNow(),
    updatedAt: ts().notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('deliveries_campaign_client_channel').on(t.campaignId, t.clientId, t.channel),
    index('deliveries_campaign_status_index').on(t.campaignId, t.status),
    // The frequency cap counts the workspace's messages of the last 7 days per client.
    index('deliveries_sent_index')
      .on(t.workspaceId, t.sentAt, t.clientId)
      .where(sql`${t.sentAt} is not null`),
    check(
      'deliveries_status_check',
      sql`${t.status} in ('skipped', 'queued', 'sending', 'sent', 'delivered', 'read', 'clicked', 'failed', 'unknown', 'cancelled')`,
    ),
    check('deliveries_skip_check', sql`(${t.status} = 'skipped') = (${t.skipReason} is not null)`),
  ],
);
