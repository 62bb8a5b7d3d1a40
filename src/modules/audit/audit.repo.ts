import { and, desc, eq, gte, lt, or, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';
import type { Cursor } from '../../platform/pagination.ts';
import { auditLog } from './audit.schema.ts';

export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditRow = typeof auditLog.$inferInsert;

export async function insertAuditRow(db: DbOrTx, row: NewAuditRow): Promise<void> {
  await db.insert(auditLog).values(row);
}

export interface AuditFilter {
  actorType?: string;
  actorId?: string;
  entityType?: string;
  entityId?: string;
  action?: string;
  from?: Date;
  to?: Date;
}

export async function listAuditRows(
  db: DbOrTx,
  workspaceId: string,
  filter: AuditFilter,
  cursor: Cursor | null,
  limit: number,
): Promise<AuditRow[]> {
  const where: (SQL | undefined)[] = [eq(auditLog.workspaceId, workspaceId)];
  if (filter.actorType) where.push(eq(auditLog.actorType, filter.actorType));
  if (filter.actorId) where.push(eq(auditLog.actorId, filter.actorId));
  if (filter.entityType) where.push(eq(auditLog.entityType, filter.entityType));
  if (filter.entityId) where.push(eq(auditLog.entityId, filter.entityId));
  // "api_key" matches api_key.created, api_key.revoked…; a full action name matches itself.
  if (filter.action)
    where.push(or(eq(auditLog.action, filter.action), sql`${auditLog.action} like ${`${filter.action}.%`}`));
  if (filter.from) where.push(gte(auditLog.createdAt, filter.from));
  if (filter.to) where.push(lt(auditLog.createdAt, filter.to));
  if (cursor) {
    where.push(
      sql`(${auditLog.createdAt}, ${auditLog.id}) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)`,
    );
  }
  return db
    .select()
    .from(auditLog)
    .where(and(...where))
    .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
    .limit(limit + 1);
}
