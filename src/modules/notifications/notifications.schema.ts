import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from '../../platform/auth/auth.schema.ts';
import { workspaces } from '../workspaces/workspaces.schema.ts';

const ts = () => timestamp({ withTimezone: true, precision: 3 });

/**
 * A message to one team member in one workspace (the dashboard's bell): segment alerts, and
 * campaigns that failed or paused themselves. `kind` says what produced it; `data` keeps what the
 * dashboard needs to phrase it in the reader's language and link to it.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: text().notNull(),
    title: text().notNull(),
    body: text().notNull().default(''),
    link: text(),
    data: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    /** 'pending' | 'sent' | 'failed' | 'off' (no email asked, or SMTP not configured) */
    emailStatus: text().notNull().default('off'),
    emailError: text(),
    readAt: ts(),
    createdAt: ts().notNull().defaultNow(),
  },
  (t) => [index().on(t.workspaceId, t.userId, t.createdAt.desc(), t.id.desc())],
);
