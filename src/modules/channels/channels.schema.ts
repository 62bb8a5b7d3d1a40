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
import { clients } from '../clients/clients.schema.ts';
import { workspaces } from '../workspaces/workspaces.schema.ts';

export const PROVIDERS = ['outbox', 'smtp', 'meta_whatsapp', 'twilio', 'evolution'] as const;
export const MESSAGE_STATUSES = ['queued', 'sent', 'delivered', 'read', 'failed', 'unknown'] as const;

/**
 * A way out of the workspace: an SMTP relay, a WhatsApp number, a Twilio account, or the Outbox.
 * Plain settings are kept as JSON; the provider's secrets are one sealed blob (secret box), never
 * returned by the API.
 */
export const channels = pgTable(
  'channels',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    provider: text().notNull(),
    name: text().notNull(),
    settings: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    /** Sealed JSON object of the secret settings (AES-256-GCM through the secret box). */
    sealedSecrets: text(),
    ratePerSecond: integer().notNull(),
    /** Messages per UTC day; null = no cap. */
    dailyCap: integer(),
    isDefault: boolean().notNull().default(false),
    lastTestAt: timestamp({ withTimezone: true, precision: 3 }),
    lastTestOk: boolean(),
    lastTestError: text(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    /**
     * Deleting a channel keeps its row (name, provider) with its secrets wiped: its messages, their
     * status history and the WhatsApp templates stay, and a batch that was sending through it still
     * records what left. A deleted channel is gone for everything else (lists, sends, webhooks).
     */
    deletedAt: timestamp({ withTimezone: true, precision: 3 }),
  },
  (t) => [
    index().on(t.workspaceId, t.createdAt),
    // Every workspace has exactly one Outbox.
    uniqueIndex('channels_one_outbox')
      .on(t.workspaceId)
      .where(sql`${t.provider} = 'outbox'`),
    uniqueIndex('channels_one_default').on(t.workspaceId).where(sql`${t.isDefault}`),
    check(
      'channels_provider_check',
      sql`${t.provider} in ('outbox', 'smtp', 'meta_whatsapp', 'twilio', 'evolution')`,
    ),
    check('channels_rate_check', sql`${t.ratePerSecond} between 1 and 10000`),
    check('channels_cap_check', sql`${t.dailyCap} is null or ${t.dailyCap} >= 1`),
  ],
);

/**
 * One row per message sent through a channel (or stored by the Outbox). Sends write it; provider
 * webhooks move its status forward. The deliveries ledger links to it by id or delivery_id.
 */
export const channelMessages = pgTable(
  'channel_messages',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    channelId: uuid()
      .notNull()
      .references(() => channels.id, { onDelete: 'cascade' }),
    provider: text().notNull(),
    kind: text().notNull(),
    providerMessageId: text(),
    recipient: text().notNull(),
    clientId: uuid().references(() => clients.id, { onDelete: 'set null' }),
    campaignId: uuid(),
    deliveryId: uuid(),
    marketing: boolean().notNull().default(false),
    isTest: boolean().notNull().default(false),
    status: text().notNull(),
    /** [{ status, at, code?, message? }] in the order they happened. */
    statusHistory: jsonb().$type<StatusHistoryEntry[]>().notNull().default([]),
    errorCode: text(),
    errorMessage: text(),
    /** What the recipient sees (kept for Outbox and test messages; the others keep headers only). */
    subject: text(),
    html: text(),
    body: text(),
    headers: jsonb().$type<Record<string, string>>(),
    whatsappTemplate: jsonb().$type<Record<string, unknown>>(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index().on(t.workspaceId, t.channelId, t.createdAt.desc()),
    index().on(t.workspaceId, t.clientId, t.createdAt.desc()),
    index().on(t.workspaceId, t.campaignId, t.createdAt.desc()),
    uniqueIndex().on(t.channelId, t.providerMessageId),
    check('channel_messages_kind_check', sql`${t.kind} in ('email', 'sms', 'whatsapp')`),
    check(
      'channel_messages_status_check',
      sql`${t.status} in ('queued', 'sent', 'delivered', 'read', 'failed', 'unknown')`,
    ),
  ],
);

export interface StatusHistoryEntry {
  status: string;
  at: string;
  code?: string | null;
  message?: string | null;
}

/** (provider message id, status) seen once: webhook retries and duplicates are ignored. */
export const channelMessageEvents = pgTable(
  'channel_message_events',
  {
    channelId: uuid()
      .notNull()
      .references(() => channels.id, { onDelete: 'cascade' }),
    providerMessageId: text().notNull(),
    status: text().notNull(),
    receivedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.providerMessageId, t.status] })],
);

/** WhatsApp's 24-hour customer service window: opened by the client's last inbound message. */
export const whatsappWindows = pgTable(
  'whatsapp_windows',
  {
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    phone: text().notNull(),
    lastInboundAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.phone] })],
);

/** Message templates synced from a WhatsApp Business account (only approved ones are offered). */
export const whatsappTemplates = pgTable(
  'whatsapp_templates',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    channelId: uuid()
      .notNull()
      .references(() => channels.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    language: text().notNull(),
    status: text().notNull(),
    category: text(),
    components: jsonb().$type<unknown[]>().notNull().default([]),
    syncedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex().on(t.channelId, t.name, t.language)],
);
