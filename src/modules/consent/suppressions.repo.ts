import { and, desc, eq, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';
import type { Cursor } from '../../platform/pagination.ts';
import { suppressions } from './consent.schema.ts';

export type SuppressionRow = typeof suppressions.$inferSelect;

/** Insert unless the same (kind, hash) is already listed; true when a new entry was added. */
export async function insertSuppression(
  db: DbOrTx,
  values: { workspaceId: string; kind: string; valueHash: string; reason: string },
): Promise<boolean> {
  const rows = await db
    .insert(suppressions)
    .values(values)
    .onConflictDoNothing()
    .returning({ id: suppressions.id });
  return rows.length > 0;
}

export async function findSuppressionRows(
  db: DbOrTx,
  workspaceId: string,
  keys: { kind: string; valueHash: string }[],
): Promise<SuppressionRow[]> {
  if (!keys.length) return [];
  return db
    .select()
    .from(suppressions)
    .where(
      and(
        eq(suppressions.workspaceId, workspaceId),
        or(...keys.map((k) => and(eq(suppressions.kind, k.kind), eq(suppressions.valueHash, k.valueHash)))),
      ),
    );
}

/** Which of these hashes (one kind) are suppressed: the set-based check imports and campaigns need. */
export async function suppressedHashes(
  db: DbOrTx,
  workspaceId: string,
  kind: string,
  hashes: string[],
): Promise<Set<string>> {
  if (!hashes.length) return new Set();
  const rows = await db
    .select({ valueHash: suppressions.valueHash })
    .from(suppressions)
    .where(
      and(
        eq(suppressions.workspaceId, workspaceId),
        eq(suppressions.kind, kind),
        inArray(suppressions.valueHash, hashes),
      ),
    );
  return new Set(rows.map((r) => r.valueHash));
}

export async function listSuppressionRows(
  db: DbOrTx,
  workspaceId: string,
  filter: { kind?: string; reason?: string },
  cursor: Cursor | null,
  limit: number,
): Promise<SuppressionRow[]> {
  const where: (SQL | undefined)[] = [eq(suppressions.workspaceId, workspaceId)];
  if (filter.kind) where.push(eq(suppressions.kind, filter.kind));
  if (filter.reason) where.push(eq(suppressions.reason, filter.reason));
  if (cursor)
    where.push(
      sql`(${suppressions.createdAt}, ${suppressions.id}) < (${cursor.at}::timestamptz, ${cursor.id}::uuid)`,
    );
  return db
    .select()
    .from(suppressions)
    .where(and(...where))
    .orderBy(desc(suppressions.createdAt), desc(suppressions.id))
    .limit(limit + 1);
}
