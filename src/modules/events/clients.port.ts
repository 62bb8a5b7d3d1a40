import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';

/**
 * Everything the events module needs from the clients (and workspaces) modules, in one place.
 * The first block is their public service. The functions below it are reads and locks the events
 * module needs that those services do not offer yet: they are asked of the clients module's owner
 * and live here, as the only SQL of this module that names another module's table, until they
 * move into clients.service.ts / workspaces.service.ts (same signatures).
 */
export {
  applyActivityScores,
  createClient,
  getClientRow,
  listClientHistoryItems,
  resolveClientIdentities,
  setRiskOverride,
  setRiskScores,
} from '../clients/clients.service.ts';
export { getWorkspace } from '../workspaces/workspaces.service.ts';

/**
 * Locks clients (FOR NO KEY UPDATE, in id order so two batches cannot deadlock) for the rest of
 * the transaction, so the scores recomputed after an insert see every committed event of theirs:
 * two concurrent batches for one client then score one after the other, never from a stale view.
 * Returns the ids that exist in the workspace. (The workspace is compared as text so that the
 * primary key is the only index the planner can use, statistics or not.)
 */
export async function lockClients(db: DbOrTx, workspaceId: string, ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  const sorted = [...new Set(ids)].sort();
  const rows = await db.execute<{ id: string }>(sql`
    select id from clients
    where id = any(${sql.param(sorted)}::uuid[]) and workspace_id::text = ${workspaceId}
    order by id
    for no key update`);
  return rows.rows.map((r) => r.id);
}

export interface ClientRiskInputs {
  clientId: string;
  createdAt: Date;
  bookingCount: number;
  lifetimeValue: number;
  visitFrequencyDays: number | null;
  lastBookingAt: Date | null;
  lastActivityAt: Date | null;
}

/**
 * The score columns of a workspace's live clients, a page at a time in id order (`afterId` is the
 * last id of the previous page), or of the given ids only.
 */
export async function listClientRiskInputs(
  db: DbOrTx,
  workspaceId: string,
  options: { afterId?: string | null; ids?: string[]; limit: number },
): Promise<ClientRiskInputs[]> {
  const rows = await db.execute<{
    id: string;
    created_at: Date;
    booking_count: number;
    lifetime_value: number;
    visit_frequency_days: number | null;
    last_booking_at: Date | null;
    last_activity_at: Date | null;
  }>(sql`
    select id, created_at, booking_count, lifetime_value, visit_frequency_days, last_booking_at, last_activity_at
    from clients
    where workspace_id = ${workspaceId} and erased_at is null
      ${options.afterId ? sql`and id > ${options.afterId}::uuid` : sql``}
      ${options.ids ? sql`and id = any(${sql.param(options.ids)}::uuid[])` : sql``}
    order by id
    limit ${options.limit}`);
  return rows.rows.map((r) => ({
    clientId: r.id,
    createdAt: new Date(r.created_at),
    bookingCount: Number(r.booking_count),
    lifetimeValue: Number(r.lifetime_value),
    visitFrequencyDays: r.visit_frequency_days === null ? null : Number(r.visit_frequency_days),
    lastBookingAt: r.last_booking_at ? new Date(r.last_booking_at) : null,
    lastActivityAt: r.last_activity_at ? new Date(r.last_activity_at) : null,
  }));
}

/** Every workspace id (the nightly job fans out one job per workspace). */
export async function listWorkspaceIds(db: DbOrTx): Promise<string[]> {
  const rows = await db.execute<{ id: string }>(sql`select id from workspaces order by id`);
  return rows.rows.map((r) => r.id);
}
