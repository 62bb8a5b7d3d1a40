import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { workspaces } from '../workspaces/workspaces.schema.ts';

/** A WhatsApp template approved by the provider (Meta name + language, or Twilio's Content SID). */
export interface WhatsappTemplateRef {
  name?: string;
  language?: string;
  content_sid?: string;
  /** Template variable (`client.first_name`…) per provider parameter, in order: body {{1}}, {{2}}… */
  body_parameters?: string[];
  header_parameters?: string[];
  button_parameters?: string[];
}

/** A message written once and sent many times: Liquid subject and body for one channel. */
export const messageTemplates = pgTable(
  'message_templates',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    channel: text().notNull(),
    subject: text(),
    body: text().notNull(),
    objective: text(),
    /** Marketing messages carry the unsubscribe footer and need marketing consent; transactional ones do not. */
    marketing: boolean().notNull().default(true),
    whatsappTemplate: jsonb().$type<WhatsappTemplateRef>(),
    usageCount: integer().notNull().default(0),
    lastUsedAt: timestamp({ withTimezone: true, precision: 3 }),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index().on(t.workspaceId, t.name),
    check('message_templates_channel_check', sql`${t.channel} in ('email', 'sms', 'whatsapp')`),
  ],
);
