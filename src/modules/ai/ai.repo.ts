import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';
import { aiCalls, aiSettings } from './ai.schema.ts';

export type AiSettingsRow = typeof aiSettings.$inferSelect;
export type AiSettingsWrite = Partial<Omit<AiSettingsRow, 'workspaceId' | 'updatedAt'>>;

export async function findAiSettings(db: DbOrTx, workspaceId: string): Promise<AiSettingsRow | null> {
  const [row] = await db.select().from(aiSettings).where(eq(aiSettings.workspaceId, workspaceId));
  return row ?? null;
}

export async function upsertAiSettings(
  db: DbOrTx,
  workspaceId: string,
  values: AiSettingsWrite,
): Promise<AiSettingsRow> {
  const [row] = await db
    .insert(aiSettings)
    .values({ workspaceId, ...values })
    .onConflictDoUpdate({ target: aiSettings.workspaceId, set: { ...values, updatedAt: new Date() } })
    .returning();
  return row!;
}

/** Serialises the rate-limit check and the start of a call per workspace (two requests at once count as two). */
export async function lockWorkspaceCalls(db: DbOrTx, workspaceId: string): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext(${`ai-calls:${workspaceId}`}))`);
}

export async function countRecentCalls(db: DbOrTx, workspaceId: string, since: Date): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(aiCalls)
    .where(and(eq(aiCalls.workspaceId, workspaceId), sql`${aiCalls.createdAt} >= ${since.toISOString()}`));
  return row?.n ?? 0;
}

/** The oldest call of the window: when it leaves the window a new call is allowed. */
export async function oldestCallSince(db: DbOrTx, workspaceId: string, since: Date): Promise<Date | null> {
  const [row] = await db
    .select({ at: sql<Date | null>`min(${aiCalls.createdAt})` })
    .from(aiCalls)
    .where(and(eq(aiCalls.workspaceId, workspaceId), sql`${aiCalls.createdAt} >= ${since.toISOString()}`));
  return row?.at ? new Date(row.at) : null;
}

export interface MonthUsage {
  tokens: number;
  requests: number;
  failed: number;
}

export async function usageSince(db: DbOrTx, workspaceId: string, since: Date): Promise<MonthUsage> {
  const [row] = await db
    .select({
      tokens: sql<string>`coalesce(sum(${aiCalls.promptTokens} + ${aiCalls.completionTokens}), 0)::text`,
      requests: sql<number>`count(*)::int`,
      failed: sql<number>`count(*) filter (where ${aiCalls.status} = 'failed')::int`,
    })
    .from(aiCalls)
    .where(and(eq(aiCalls.workspaceId, workspaceId), sql`${aiCalls.createdAt} >= ${since.toISOString()}`));
  return { tokens: Number(row?.tokens ?? 0), requests: row?.requests ?? 0, failed: row?.failed ?? 0 };
}

export async function insertCall(
  db: DbOrTx,
  values: { workspaceId: string; operation: string; model: string },
): Promise<string> {
  const [row] = await db.insert(aiCalls).values(values).returning({ id: aiCalls.id });
  return row!.id;
}

export async function finishCall(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  values: {
    status: 'ok' | 'failed';
    errorCode?: string | null;
    promptTokens: number;
    completionTokens: number;
  },
): Promise<void> {
  await db
    .update(aiCalls)
    .set({
      status: values.status,
      errorCode: values.errorCode ?? null,
      promptTokens: values.promptTokens,
      completionTokens: values.completionTokens,
    })
    .where(and(eq(aiCalls.workspaceId, workspaceId), eq(aiCalls.id, id)));
}
