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
  'held',
] as const;

export const SKIP_REASONS = [
  'no_address',
  'invalid_address',
  'no_consent',
  'suppressed',
  'frequency_cap',
  'duplicate_address',
  'template_not_approved',
  'excluded',
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
    // No foreign keys, on purpose: a snapshot writes a million rows in one statement and each key
    // checked per row tripled its time (bench/campaigns-snapshot.ts: 49 s with three keys, 13.5 s
    // without). Rows are only ever written from existing campaigns and clients of the workspace; a
    // merge moves them and an erase scrubs their address (the deliveries client-data participant).
    workspaceId: uuid().notNull(),
    campaignId: uuid().notNull(),
    clientId: uuid().notNull(),
    channel: text().notNull(),
    /** The email address or E.164 phone the message goes to, as it was at the snapshot. */
    address: text(),
    status: text().$type<(typeof DELIVERY_STATUSES)[number]>().notNull(),
    skipReason: text().$type<(typeof SKIP_REASONS)[number]>(),
    attempts: smallint().notNull().default(0),
    /** Not before (recipient time zone, quiet hours, retry backoff). */
    sendAfter: ts(),
    /** When a worker took it to send (status `sending`); a claim that old with no outcome is `unknown`. */
    claimedAt: ts(),
    /** The lane run holding the claim; its PostgreSQL session keeps an advisory lock while it lives. */
    claimedBy: text(),
    /** When the provider accepted it: what the frequency cap counts. */
    sentAt: ts(),
    providerMessageId: text(),
    error: text(),
    /** Copied from the campaign: only marketing messages count towards the frequency cap. */
    marketing: boolean().notNull().default(true),
    /**
     * The A/B variant (0 when the campaign has one content). A `held` delivery waits for the test's
     * winner and gets its variant when the winner is chosen (campaigns.ab.ts).
     */
    variant: integer().notNull().default(0),
    createdAt: ts().notNull().defaultNow(),
    updatedAt: ts().notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('deliveries_campaign_client_channel').on(t.campaignId, t.clientId, t.channel),
    index('deliveries_campaign_status_index').on(t.campaignId, t.status),
    // What the workers claim: a campaign's queued deliveries that are due, in the claim's own order
    // (`send_after nulls first, id`), so a claim walks the first rows of the index and stops; in
    // another order every claim read and sorted all of the campaign's queued rows (bench/campaigns-send.ts).
    index('deliveries_due_index')
      .on(t.campaignId, t.sendAfter.asc().nullsFirst(), t.id)
      .where(sql`${t.status} = 'queued'`),
    // The client's timeline and GDPR export.
    index('deliveries_client_index').on(t.workspaceId, t.clientId, t.createdAt.desc(), t.id.desc()),
    // The frequency cap counts the workspace's messages of the last 7 days per client.
    index('deliveries_sent_index')
      .on(t.workspaceId, t.sentAt, t.clientId)
      .where(sql`${t.sentAt} is not null`),
    check(
      'deliveries_status_check',
      sql`${t.status} in ('skipped', 'queued', 'sending', 'sent', 'delivered', 'read', 'clicked', 'failed', 'unknown', 'cancelled', 'held')`,
    ),
    check('deliveries_skip_check', sql`(${t.status} = 'skipped') = (${t.skipReason} is not null)`),
  ],
);

/**
 * The send-rate limiter every worker on every machine shares: per provider account, the next free
 * send slot. A worker reserves slots with one UPDATE (the row lock orders them) and waits for its
 * slot, so the account never goes above its rate whatever the number of workers.
 */
export const rateSlots = pgTable('rate_slots', {
  key: text().primaryKey(),
  nextAt: timestamp({ withTimezone: true, precision: 6 }).notNull(),
});
