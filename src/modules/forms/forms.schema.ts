import { sql } from 'drizzle-orm';
import { boolean, check, index, inet, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { clients } from '../clients/clients.schema.ts';
import { workspaces } from '../workspaces/workspaces.schema.ts';

export interface FormField {
  key: 'first_name' | 'last_name' | 'email' | 'phone' | 'city';
  required: boolean;
}

/** A consent checkbox: its exact wording and the version of that wording (recorded with the consent). */
export interface FormConsent {
  channel: 'email' | 'sms' | 'whatsapp';
  text: string;
  version: string;
}

/** A hosted, embeddable signup form (lead capture) of a workspace. */
export const signupForms = pgTable(
  'signup_forms',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    title: text().notNull(),
    locale: text().notNull().default('es'),
    fields: jsonb().$type<FormField[]>().notNull(),
    consents: jsonb().$type<FormConsent[]>().notNull(),
    doubleOptIn: boolean().notNull().default(true),
    active: boolean().notNull().default(true),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index().on(t.workspaceId, t.name)],
);

/** One submission: who, from where, which consents; email consent waits for `confirmedAt` under double opt-in. */
export const formSubmissions = pgTable(
  'form_submissions',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    formId: uuid()
      .notNull()
      .references(() => signupForms.id, { onDelete: 'cascade' }),
    clientId: uuid().references(() => clients.id, { onDelete: 'set null' }),
    consents: jsonb().$type<FormConsent[]>().notNull(),
    status: text().notNull(),
    ip: inet(),
    userAgent: text(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    confirmedAt: timestamp({ withTimezone: true, precision: 3 }),
  },
  (t) => [
    index().on(t.formId, t.ip, t.createdAt),
    check('form_submissions_status_check', sql`${t.status} in ('pending', 'confirmed', 'accepted')`),
  ],
);
