import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from '../../platform/auth/auth.schema.ts';
import { locations } from '../locations/locations.schema.ts';
import { workspaces } from '../workspaces/workspaces.schema.ts';

const ts = () => timestamp({ withTimezone: true, precision: 3 });
const money = () => numeric({ precision: 14, scale: 2, mode: 'number' });

/**
 * A client of the business. Consent state and the activity scores live here as plain columns so
 * lists and segments read them without joins; their histories live with their modules
 * (consent_events, events) and those modules keep these columns right through the clients service.
 */
export const clients = pgTable(
  'clients',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    firstName: text(),
    lastName: text(),
    email: text(),
    phone: text(),
    city: text(),
    country: text(),
    locale: text(),
    timezone: text(),
    source: text(),
    label: text(),
    externalId: text(),
    locationId: uuid().references(() => locations.id, { onDelete: 'set null' }),
    accountManagerId: uuid().references(() => users.id, { onDelete: 'set null' }),
    preferredContactMethod: text(),
    birthday: date({ mode: 'string' }),
    custom: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    consentEmail: boolean().notNull().default(false),
    consentSms: boolean().notNull().default(false),
    consentWhatsapp: boolean().notNull().default(false),
    consentPush: boolean().notNull().default(false),
    lifetimeValue: money().notNull().default(0),
    bookingCount: integer().notNull().default(0),
    /** Median days between bookings; null until there are two. */
    visitFrequencyDays: numeric({ precision: 8, scale: 2, mode: 'number' }),
    lastBookingAt: ts(),
    lastActivityAt: ts(),
    lastContactedAt: ts(),
    riskScore: smallint(),
    riskOverride: smallint(),
    riskOverrideReason: text(),
    /** Lower-case, accent-free name, email, phone digits and external id: what `q` searches (trigram index). */
    searchText: text().notNull().default(''),
    erasedAt: ts(),
    /**
     * Archived: kept (drawer, timeline, events still recorded) but out of the list, search, counts,
     * segments, campaign audiences and bulk selections until restored. Liveness everywhere is
     * `erased_at is null and archived_at is null`; the partial indexes on `erased_at is null` were
     * left as they are (archived clients are few: they are read through the index below instead).
     */
    archivedAt: ts(),
    archivedBy: text(),
    createdAt: ts().notNull().defaultNow(),
    updatedAt: ts().notNull().defaultNow(),
  },
  (t) => [
    index().on(t.workspaceId, t.createdAt.desc(), t.id.desc()),
    uniqueIndex().on(t.workspaceId, t.externalId).where(sql`${t.externalId} is not null`),
    index().on(t.workspaceId, t.email),
    index().on(t.workspaceId, t.phone),
    index().on(t.workspaceId, t.lifetimeValue.desc(), t.id.desc()),
    index().on(t.workspaceId, t.lastActivityAt),
    index().on(t.workspaceId, t.riskScore),
    // Segment counts (bench/segments.ts) read these without touching the table's rows (index-only
    // scans): the workspace's live clients in id order, to join tag and event sets against; the
    // city, the most common text condition (the plain column too, for `city is not null`); and
    // each consent, the condition of every messaging audience.
    index('clients_live_id_index')
      .on(t.workspaceId, t.id)
      .where(sql`${t.erasedAt} is null`),
    // The city index also carries the id and the small scalar values trees test beside a city
    // (consents, last contact, LTV, label), so "in Madrid or Valencia, WhatsApp consent, not
    // contacted in 14 days" is answered from the index alone (migration 0028: the example tree of
    // SEGMENTS.md read 109,000 scattered client rows before). Key columns after the unique id
    // order nothing; drizzle-kit writes no INCLUDE.
    index('clients_live_city_index')
      .on(
        t.workspaceId,
        sql`lower(${t.city})`,
        t.city,
        t.id,
        t.consentEmail,
        t.consentSms,
        t.consentWhatsapp,
        t.consentPush,
        t.lastContactedAt,
        t.lifetimeValue,
        t.label,
      )
      .where(sql`${t.erasedAt} is null`),
    index('clients_live_consent_email_index')
      .on(t.workspaceId, t.id)
      .where(sql`${t.erasedAt} is null and ${t.consentEmail}`),
    index('clients_live_consent_sms_index')
      .on(t.workspaceId, t.id)
      .where(sql`${t.erasedAt} is null and ${t.consentSms}`),
    index('clients_live_consent_whatsapp_index')
      .on(t.workspaceId, t.id)
      .where(sql`${t.erasedAt} is null and ${t.consentWhatsapp}`),
    index('clients_live_consent_push_index')
      .on(t.workspaceId, t.id)
      .where(sql`${t.erasedAt} is null and ${t.consentPush}`),
    // The few erased clients: a kept set of client ids (a tag's members, a kept event window)
    // is counted as live by an anti-join with these instead of a join with every live client.
    index('clients_erased_id_index')
      .on(t.workspaceId, t.id)
      .where(sql`${t.erasedAt} is not null`),
    // The few archived clients: the list's Archived view, and the kept-set counts subtract them as
    // they subtract the erased ones.
    index('clients_archived_id_index')
      .on(t.workspaceId, t.id)
      .where(sql`${t.archivedAt} is not null`),
    // Trigrams only: a workspace_id column in this GIN index made every lookup intersect the
    // workspace's whole posting tree (a million entries), which cost more than the trigrams
    // themselves; the workspace is checked on the rows found instead.
    index('clients_search_trgm').using('gin', sql`${t.searchText} gin_trgm_ops`),
    check(
      'clients_risk_check',
      sql`${t.riskScore} between 0 and 100 and ${t.riskOverride} between 0 and 100`,
    ),
    check(
      'clients_contact_method_check',
      sql`${t.preferredContactMethod} in ('email', 'sms', 'whatsapp', 'phone')`,
    ),
  ],
);

/** The workspace's list of client labels (prospect, customer, affiliate by default). */
export const clientLabels = pgTable(
  'client_labels',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    key: text().notNull(),
    name: text().notNull(),
    color: text().notNull().default('blue'),
    position: integer().notNull().default(0),
    createdAt: ts().notNull().defaultNow(),
  },
  (t) => [uniqueIndex().on(t.workspaceId, t.key)],
);

/**
 * What changed on a client and who did it: field edits (old → new), tag changes, risk overrides,
 * merges. Shown on the timeline; erasable with the client (the audit log keeps only field names).
 */
export const clientHistory = pgTable(
  'client_history',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    // No foreign keys, for the speed of bulk actions (one entry per client): migration
    // 0026_bulktag checks the client (same workspace, not erased) set-based in a statement
    // trigger, and deleting a client deletes its history, as client_tags (tags.schema.ts).
    workspaceId: uuid().notNull(),
    clientId: uuid().notNull(),
    kind: text().notNull(),
    actorType: text().notNull(),
    actorId: uuid(),
    actorLabel: text().notNull(),
    data: jsonb().$type<Record<string, unknown>>().notNull(),
    occurredAt: ts().notNull().defaultNow(),
  },
  (t) => [index().on(t.clientId, t.occurredAt.desc())],
);

/**
 * One reading a day per workspace of figures that keep no history of their own (risk scores are
 * recomputed in place): the home page's "at risk" line per week reads these. `day` is the date in
 * the workspace's time zone; the row of a day is rewritten by every reading of that day, so it
 * ends as the day's last one.
 */
export const clientDailyFigures = pgTable(
  'client_daily_figures',
  {
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    day: date({ mode: 'string' }).notNull(),
    /** Live clients (not erased, not archived). */
    total: integer().notNull(),
    /** Of them, effective churn risk (the override, else the score) of 70 or more. */
    atRisk: integer().notNull(),
    measuredAt: ts().notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.day] })],
);
