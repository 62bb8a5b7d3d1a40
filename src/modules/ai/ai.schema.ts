import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { workspaces } from '../workspaces/workspaces.schema.ts';

/**
 * A workspace's own AI provider and rules. Every column is optional: an absent endpoint or model
 * falls back to the server's (AI_BASE_URL, AI_MODEL); the key is sealed with the secret box and
 * never returned.
 */
export const aiSettings = pgTable(
  'ai_settings',
  {
    workspaceId: uuid()
      .primaryKey()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    baseUrl: text(),
    model: text(),
    /** The API key, sealed (AES-256-GCM through the secret box). */
    sealedApiKey: text(),
    /** Off by default: only aggregated, non-identifying audience facts go to the model. */
    shareClientDetails: boolean().notNull().default(false),
    /** Phrases no output may contain (medical promises…), checked on every answer. */
    forbiddenClaims: jsonb().$type<string[]>().notNull().default([]),
    /** Tokens per calendar month (UTC); null = the server's AI_MONTHLY_TOKEN_BUDGET. */
    monthlyTokenBudget: integer(),
    /** Requests per minute; null = the server's AI_REQUESTS_PER_MINUTE. */
    requestsPerMinute: integer(),
    updatedAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    check('ai_settings_budget_check', sql`${t.monthlyTokenBudget} is null or ${t.monthlyTokenBudget} >= 0`),
    check('ai_settings_rate_check', sql`${t.requestsPerMinute} is null or ${t.requestsPerMinute} >= 1`),
  ],
);

/**
 * One call to the model: counts toward the per-minute rate limit as soon as it starts, and its
 * tokens toward the monthly budget when it ends. Holds no text, only what it cost.
 */
export const aiCalls = pgTable(
  'ai_calls',
  {
    id: uuid().primaryKey().default(sql`gen_random_uuid()`),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    operation: text().notNull(),
    /** running, ok, failed */
    status: text().notNull().default('running'),
    errorCode: text(),
    promptTokens: integer().notNull().default(0),
    completionTokens: integer().notNull().default(0),
    model: text(),
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index().on(t.workspaceId, t.createdAt),
    check('ai_calls_status_check', sql`${t.status} in ('running', 'ok', 'failed')`),
  ],
);
