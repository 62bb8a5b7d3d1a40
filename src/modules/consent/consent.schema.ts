import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  inet,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { clients } from '../clients/clients.schema.ts';
import { workspaces } from '../workspaces/workspaces.schema.ts';

export const CHANNELS = ['email', 'sms', 'whatsapp', 'push'] as const;
export const CONSENT_SOURCES = [
  'form',
  'import',
  'api',
  'admin',
  'sms_keyword',
  'unsubscribe_link',
  'provider_webhook',
] as const;

/**
 * Every grant and withdrawal, append-only: what a business shows a regulator. The current state
 * is denormalized onto clients.consent_<channel> by the consent service in the same transaction.
 */
export const consentEvents = pgTable(
  'consent_events',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    clientId: uuid()
      .notNull()
      .references(() => clients.id, { onDelete: 'cascade' }),
    channel: text().notNull(),
    granted: boolean().notNull(),
    source: text().notNull(),
    actorType: text().notNull(),
    actorId: uuid(),
    actorLabel: text().notNull(),
    evidence: text(),
    ip: inet(),
    userAgent: text(),
    wordingVersion: text(),
    occurredAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index().on(t.clientId, t.occurredAt.desc()),
    check('consent_events_channel_check', sql`${t.channel} in ('email', 'sms', 'whatsapp', 'push')`),
  ],
);

/**
 * Identities that must never be messaged again (erased or unsubscribed people), stored as keyed
 * hashes (HMAC with the workspace secret) so the list itself holds no personal data.
 */
export const suppressions = pgTable(
  'suppressions',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    kind: text().notNull(),
    valueHash: text().notNull(),
    reason: text().notNull(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex().on(t.workspaceId, t.kind, t.valueHash),
    check('suppressions_kind_check', sql`${t.kind} in ('email', 'phone')`),
  ],
);
