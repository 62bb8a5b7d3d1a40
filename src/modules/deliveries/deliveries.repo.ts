import { and, desc, eq, gte, lt, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';
import { deliveries } from './deliveries.schema.ts';

export type DeliveryRow = typeof deliveries.$inferSelect;

/**
 * A merge moves the merged-away client's deliveries to the one kept; a (campaign, channel) both
 * had stays with the merged-away id, as the history of what that address received.
 */
export async function moveDeliveryRows(
  db: DbOrTx,
  workspaceId: string,
  fromClientId: string,
  toClientId: string,
) {
  await db.execute(sql`
    update deliveries d set client_id = ${toClientId}, updated_at = now()
    where d.workspace_id = ${workspaceId} and d.client_id = ${fromClientId}
      and not exists (select 1 from deliveries x
        where x.campaign_id = d.campaign_id and x.client_id = ${toClientId} and x.channel = d.channel)`);
}

/** An erase keeps that a message was sent (the campaign's counts stay true) but not where to. */
export async function scrubDeliveryRows(db: DbOrTx, workspaceId: string, clientId: string) {
  await db
    .update(deliveries)
    .set({ address: null, error: null, updatedAt: new Date() })
    .where(and(eq(deliveries.workspaceId, workspaceId), eq(deliveries.clientId, clientId)));
}

export async function allDeliveryRows(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
): Promise<DeliveryRow[]> {
  return db
    .select()
    .from(deliveries)
    .where(and(eq(deliveries.workspaceId, workspaceId), eq(deliveries.clientId, clientId)))
    .orderBy(desc(deliveries.createdAt), desc(deliveries.id));
}

export async function timelineDeliveryRows(
  db: DbOrTx,
  workspaceId: string,
  clientId: string,
  window: {
    before: { at: string; id: string } | null;
    from: string | null;
    to: string | null;
    limit: number;
  },
): Promise<DeliveryRow[]> {
  const where: (SQL | undefined)[] = [
    eq(deliveries.workspaceId, workspaceId),
    eq(deliveries.clientId, clientId),
  ];
  if (window.before)
    where.push(
      sql`(${deliveries.createdAt}, ${deliveries.id}) < (${window.before.at}::timestamptz, ${window.before.id}::uuid)`,
    );
  if (window.from) where.push(gte(deliveries.createdAt, new Date(window.from)));
  if (window.to) where.push(lt(deliveries.createdAt, new Date(window.to)));
  return db
    .select()
    .from(deliveries)
    .where(and(...where))
    .orderBy(desc(deliveries.createdAt), desc(deliveries.id))
    .limit(window.limit);
}
