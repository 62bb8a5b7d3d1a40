import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from '../../platform/auth/auth.schema.ts';

const ROLE_CHECK = sql`in ('owner', 'admin', 'marketer', 'agent', 'viewer')`;

export const workspaces = pgTable(
  'workspaces',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    name: text().notNull(),
    defaultCountry: text().notNull().default('ES'),
    defaultTimezone: text().notNull().default('Europe/Madrid'),
    defaultLocale: text().notNull().default('es'),
    /** GDPR retention: clients inactive this many months are erased by the nightly sweep; null = off. */
    retentionInactiveMonths: integer(),
    /** Email layout: the brand colour (#rrggbb) of buttons and the header bar, and the logo on top. */
    brandColor: text().notNull().default('#1c7ed6'),
    logoUrl: text(),
    /** Open pixel and click redirects in marketing email; off = plain links, no pixel. */
    emailTracking: boolean().notNull().default(true),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [check('workspaces_retention_check', sql`${t.retentionInactiveMonths} between 1 and 600`)],
);

export const workspaceMembers = pgTable(
  'workspace_members',
  {
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text().notNull(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.userId] }),
    index().on(t.userId),
    check('workspace_members_role_check', sql`${t.role} ${ROLE_CHECK}`),
  ],
);

export const invitations = pgTable(
  'invitations',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    email: text(),
    role: text().notNull(),
    tokenHash: text().notNull().unique(),
    invitedByUserId: uuid().references(() => users.id, { onDelete: 'set null' }),
    expiresAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
    acceptedAt: timestamp({ withTimezone: true, precision: 3 }),
    acceptedByUserId: uuid().references(() => users.id, { onDelete: 'set null' }),
    revokedAt: timestamp({ withTimezone: true, precision: 3 }),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index().on(t.workspaceId, t.createdAt),
    check('invitations_role_check', sql`${t.role} ${ROLE_CHECK}`),
  ],
);
