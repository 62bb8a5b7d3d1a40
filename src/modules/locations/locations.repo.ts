import { and, asc, eq, isNull, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';
import { locations } from './locations.schema.ts';

export type Location = typeof locations.$inferSelect;

export async function insertLocation(db: DbOrTx, values: typeof locations.$inferInsert): Promise<Location> {
  const [row] = await db.insert(locations).values(values).returning();
  return row!;
}

export async function listLocationRows(db: DbOrTx, workspaceId: string, includeArchived: boolean) {
  return db
    .select()
    .from(locations)
    .where(
      and(eq(locations.workspaceId, workspaceId), includeArchived ? undefined : isNull(locations.archivedAt)),
    )
    .orderBy(asc(locations.name), asc(locations.id));
}

/** The ids of the workspace's locations, archived ones too, as one json array (a scalar subquery). */
export function locationIdsJsonSql(workspaceId: SQLWrapper): SQL {
  return sql`(select coalesce(json_agg(l.id order by l.name, l.id), '[]'::json)
    from locations l where l.workspace_id = ${workspaceId})`;
}

export async function findLocation(db: DbOrTx, workspaceId: string, id: string): Promise<Location | null> {
  const [row] = await db
    .select()
    .from(locations)
    .where(and(eq(locations.workspaceId, workspaceId), eq(locations.id, id)));
  return row ?? null;
}

export async function updateLocationRow(db: DbOrTx, id: string, patch: Partial<Location>): Promise<Location> {
  const [row] = await db
    .update(locations)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(locations.id, id))
    .returning();
  return row!;
}
