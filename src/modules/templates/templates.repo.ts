import { and, asc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';
import { messageTemplates } from './templates.schema.ts';

export type TemplateRow = typeof messageTemplates.$inferSelect;
export type TemplateWrite = Partial<
  Pick<TemplateRow, 'name' | 'channel' | 'subject' | 'body' | 'objective' | 'marketing' | 'whatsappTemplate'>
>;

export async function insertTemplate(
  db: DbOrTx,
  values: typeof messageTemplates.$inferInsert,
): Promise<TemplateRow> {
  const [row] = await db.insert(messageTemplates).values(values).returning();
  return row!;
}

export async function findTemplate(db: DbOrTx, workspaceId: string, id: string): Promise<TemplateRow | null> {
  const [row] = await db
    .select()
    .from(messageTemplates)
    .where(and(eq(messageTemplates.workspaceId, workspaceId), eq(messageTemplates.id, id)));
  return row ?? null;
}

export async function listTemplateRows(
  db: DbOrTx,
  workspaceId: string,
  channel: string | undefined,
): Promise<TemplateRow[]> {
  return db
    .select()
    .from(messageTemplates)
    .where(
      and(
        eq(messageTemplates.workspaceId, workspaceId),
        channel ? eq(messageTemplates.channel, channel) : undefined,
      ),
    )
    .orderBy(asc(messageTemplates.name), asc(messageTemplates.id));
}

export async function updateTemplateRow(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  patch: TemplateWrite,
): Promise<TemplateRow> {
  const [row] = await db
    .update(messageTemplates)
    .set({ ...patch, updatedAt: new Date() })
    .where(and(eq(messageTemplates.workspaceId, workspaceId), eq(messageTemplates.id, id)))
    .returning();
  return row!;
}

export async function deleteTemplateRow(db: DbOrTx, workspaceId: string, id: string): Promise<void> {
  await db
    .delete(messageTemplates)
    .where(and(eq(messageTemplates.workspaceId, workspaceId), eq(messageTemplates.id, id)));
}

/** One more use (a rendered message for a campaign); concurrent senders add up without a lost update. */
export async function countTemplateUse(db: DbOrTx, workspaceId: string, id: string, uses: number, at: Date) {
  await db
    .update(messageTemplates)
    .set({ usageCount: sql`${messageTemplates.usageCount} + ${uses}`, lastUsedAt: at })
    .where(and(eq(messageTemplates.workspaceId, workspaceId), eq(messageTemplates.id, id)));
}
