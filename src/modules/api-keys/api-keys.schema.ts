import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from '../../platform/auth/auth.schema.ts';
import { workspaces } from '../workspaces/workspaces.schema.ts';

export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    role: text().notNull(),
    /** The first characters of the key, shown in lists so people can tell keys apart. */
    prefix: text().notNull(),
    /** SHA-256 of the whole key: keys are 256-bit random, so a slow hash adds nothing. */
    keyHash: text().notNull().unique(),
    createdByUserId: uuid().references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    lastUsedAt: timestamp({ withTimezone: true, precision: 3 }),
    expiresAt: timestamp({ withTimezone: true, precision: 3 }),
    revokedAt: timestamp({ withTimezone: true, precision: 3 }),
  },
  (t) => [
    index().on(t.workspaceId, t.createdAt),
    check('api_keys_role_check', sql`${t.role} in ('owner', 'admin', 'marketer', 'agent', 'viewer')`),
  ],
);
