import { and, asc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';
import { privacyRequests } from './preferences.schema.ts';

export type PrivacyRequestRow = typeof privacyRequests.$inferSelect;

/** One open request per client and kind: asking twice does not open a second case. */
export async function findOpenRequest(db: DbOrTx, workspaceId: string, clientId: string, kind: string) {
  const [row] = await db
    .select()
    .from(privacyRequests)
    .where(
      and(
        eq(privacyRequests.workspaceId, workspaceId),
        eq(privacyRequests.clientId, clientId),
        eq(privacyRequests.kind, kind),
        eq(privacyRequests.status, 'open'),
      ),
    );
  return row ?? null;
}

export async function insertPrivacyRequest(
  db: DbOrTx,
  values: typeof privacyRequests.$inferInsert,
): Promise<PrivacyRequestRow> {
  const [row] = await db.insert(privacyRequests).values(values).returning();
  return row!;
}

/** Open ones first, the nearest deadline first. */
export async function listPrivacyRequestRows(db: DbOrTx, workspaceId: string, status: string | undefined) {
  return db
    .select()
    .from(privacyRequests)
    .where(
      and(
        eq(privacyRequests.workspaceId, workspaceId),
        status ? eq(privacyRequests.status, status) : undefined,
      ),
    )
    .orderBy(sql`${privacyRequests.status} <> 'open'`, asc(privacyRequests.dueAt), asc(privacyRequests.id))
    .limit(500);
}

export async function findPrivacyRequest(db: DbOrTx, workspaceId: string, id: string) {
  const [row] = await db
    .select()
    .from(privacyRequests)
    .where(and(eq(privacyRequests.workspaceId, workspaceId), eq(privacyRequests.id, id)))
    .for('update');
  return row ?? null;
}

export async function resolvePrivacyRequestRow(
  db: DbOrTx,
  workspaceId: string,
  id: string,
  status: string,
  by: string,
): Promise<PrivacyRequestRow> {
  const [row] = await db
    .update(privacyRequests)
    .set({
      status,
      resolvedAt: status === 'open' ? null : new Date(),
      resolvedBy: status === 'open' ? null : by,
    })
    .where(and(eq(privacyRequests.workspaceId, workspaceId), eq(privacyRequests.id, id)))
    .returning();
  return row!;
}
