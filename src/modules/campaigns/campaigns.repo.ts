import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';
import type { Cursor } from '../../platform/pagination.ts';
import { campaignSettings, campaigns } from './campaigns.schema.ts';

export type CampaignRow = typeof campaigns.$inferSelect;
export type NewCampaignRow = typeof campaigns.$inferInsert;

export async function insertCampaign(db: DbOrTx, values: NewCampaignRow): Promise<CampaignRow> {
  const [row] = await db.insert(campaigns).values(values).returning();
  return row!;
}

export async function findCampaign(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  lock = false,
): Promise<CampaignRow | null> {
  const query = db
    .select()
    .from(campaigns)
    .where(and(eq(campaigns.workspaceId, workspaceId), eq(campaigns.id, id), isNull(campaigns.deletedAt)));
  const [row] = lock ? await query.for('update') : await query;
  return row ?? null;
}

export async function listCampaignRows(
  db: DbOrTx,
  workspaceId: string,
  options: { status?: string; after: Cursor | null; limit: number },
): Promise<CampaignRow[]> {
  return db
    .select()
    .from(campaigns)
    .where(
      and(
        eq(campaigns.workspaceId, workspaceId),
        isNull(campaigns.deletedAt),
        options.status ? eq(campaigns.status, options.status as CampaignRow['status']) : undefined,
        options.after
          ? sql`(${campaigns.createdAt}, ${campaigns.id}) < (${options.after.at}::timestamptz, ${options.after.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(campaigns.createdAt), desc(campaigns.id))
    .limit(options.limit);
}

export async function updateCampaignRow(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  values: Partial<NewCampaignRow>,
): Promise<CampaignRow> {
  const [row] = await db
    .update(campaigns)
    .set({ ...values, updatedAt: new Date() })
    .where(and(eq(campaigns.workspaceId, workspaceId), eq(campaigns.id, id)))
    .returning();
  return row!;
}

export async function findCampaignSettings(db: DbOrTx, workspaceId: string) {
  const [row] = await db.select().from(campaignSettings).where(eq(campaignSettings.workspaceId, workspaceId));
  return row ?? null;
}

export async function upsertCampaignSettings(db: DbOrTx, workspaceId: string, frequencyCap7d: number | null) {
  const [row] = await db
    .insert(campaignSettings)
    .values({ workspaceId, frequencyCap7d })
    .onConflictDoUpdate({
      target: campaignSettings.workspaceId,
      set: { frequencyCap7d, updatedAt: new Date() },
    })
    .returning();
  return row!;
}
