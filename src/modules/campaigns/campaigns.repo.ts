import { and, desc, eq, isNull, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';
import type { Cursor } from '../../platform/pagination.ts';
import { campaignExclusions, campaignSettings, campaigns, type QuietHours } from './campaigns.schema.ts';

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

export async function upsertCampaignSettings(
  db: DbOrTx,
  workspaceId: string,
  values: {
    frequencyCap7d?: number | null;
    prices?: Record<string, unknown> | null;
    quietHours?: QuietHours | null;
  },
) {
  const [row] = await db
    .insert(campaignSettings)
    .values({ workspaceId, ...values })
    .onConflictDoUpdate({
      target: campaignSettings.workspaceId,
      set: { ...values, updatedAt: new Date() },
    })
    .returning();
  return row!;
}

// ---- exclusions by hand ---------------------------------------------------------------------------

/** For the eligibility rules: true when the client (an SQL id expression) is excluded from the campaign. */
export function excludedFromCampaignSql(campaignId: string) {
  // No outer reference in the subquery: read once into a hash table, not probed once per client of a
  // million-client snapshot.
  return (clientId: SQL) =>
    sql`${clientId} in (select x.client_id from campaign_exclusions x where x.campaign_id = ${campaignId})`;
}

export async function insertExclusions(
  db: DbOrTx,
  workspaceId: string,
  campaignId: string,
  clientIds: string[],
  createdBy: string | null,
): Promise<number> {
  const result = await db.execute(sql`
    insert into campaign_exclusions (workspace_id, campaign_id, client_id, created_by)
    select ${workspaceId}::uuid, ${campaignId}::uuid, id, ${createdBy}::uuid
    from unnest(${`{${clientIds.join(',')}}`}::uuid[]) as id
    on conflict do nothing`);
  return result.rowCount ?? 0;
}

export async function deleteExclusion(
  db: DbOrTx,
  workspaceId: string,
  campaignId: string,
  clientId: string,
): Promise<boolean> {
  const result = await db
    .delete(campaignExclusions)
    .where(
      and(
        eq(campaignExclusions.workspaceId, workspaceId),
        eq(campaignExclusions.campaignId, campaignId),
        eq(campaignExclusions.clientId, clientId),
      ),
    );
  return (result.rowCount ?? 0) > 0;
}

export type ExclusionRow = {
  client_id: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone: string | null;
  created_at: string | Date;
};

export async function listExclusionRows(
  db: DbOrTx,
  workspaceId: string,
  campaignId: string,
): Promise<ExclusionRow[]> {
  const result = await db.execute<ExclusionRow>(sql`
    select x.client_id, c.first_name, c.last_name, c.email, c.phone, x.created_at
    from campaign_exclusions x left join clients c on c.id = x.client_id and c.workspace_id = x.workspace_id
    where x.workspace_id = ${workspaceId} and x.campaign_id = ${campaignId}
    order by x.created_at desc, x.client_id`);
  return result.rows;
}

/** A scheduled campaign whose recipients are already in the ledger: the excluded queued ones are skipped. */
export async function skipExcludedDeliveries(db: DbOrTx, workspaceId: string, campaignId: string) {
  const result = await db.execute(sql`
    update deliveries d set status = 'skipped', skip_reason = 'excluded', updated_at = now()
    where d.workspace_id = ${workspaceId} and d.campaign_id = ${campaignId} and d.status in ('queued', 'held')
      and exists (select 1 from campaign_exclusions x where x.campaign_id = d.campaign_id and x.client_id = d.client_id)`);
  return result.rowCount ?? 0;
}
