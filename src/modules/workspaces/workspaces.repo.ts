import { and, asc, desc, eq, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import { users } from '../../platform/auth/auth.schema.ts';
import type { Role } from '../../platform/auth/roles.ts';
import type { DbOrTx } from '../../platform/db/db.ts';
import { invitations, workspaceMembers, workspaces } from './workspaces.schema.ts';

export type Workspace = typeof workspaces.$inferSelect;
export type Invitation = typeof invitations.$inferSelect;
export type WorkspacePatch = Partial<
  Pick<
    Workspace,
    | 'name'
    | 'defaultCountry'
    | 'defaultTimezone'
    | 'defaultLocale'
    | 'retentionInactiveMonths'
    | 'brandColor'
    | 'logoUrl'
    | 'emailTracking'
  >
>;

export async function insertWorkspace(
  db: DbOrTx,
  values: typeof workspaces.$inferInsert,
): Promise<Workspace> {
  const [row] = await db.insert(workspaces).values(values).returning();
  return row!;
}

/** The workspace's default time zone as a scalar subquery (null when there is no such workspace). */
export function workspaceTimezoneSql(workspaceId: SQLWrapper): SQL {
  return sql`(select w.default_timezone from workspaces w where w.id = ${workspaceId})`;
}

export async function findWorkspace(db: DbOrTx, id: string): Promise<Workspace | null> {
  const [row] = await db.select().from(workspaces).where(eq(workspaces.id, id));
  return row ?? null;
}

/** Locks the workspace row: membership changes serialize on it, so "last owner" checks can't race. */
export async function lockWorkspace(db: DbOrTx, id: string): Promise<Workspace | null> {
  const [row] = await db.select().from(workspaces).where(eq(workspaces.id, id)).for('update');
  return row ?? null;
}

export async function updateWorkspaceRow(db: DbOrTx, id: string, patch: WorkspacePatch): Promise<Workspace> {
  const [row] = await db
    .update(workspaces)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(workspaces.id, id))
    .returning();
  return row!;
}

export async function listWorkspacesOfUser(db: DbOrTx, userId: string) {
  return db
    .select({
      id: workspaces.id,
      name: workspaces.name,
      role: workspaceMembers.role,
      createdAt: workspaces.createdAt,
    })
    .from(workspaceMembers)
    .innerJoin(workspaces, eq(workspaces.id, workspaceMembers.workspaceId))
    .where(eq(workspaceMembers.userId, userId))
    .orderBy(asc(workspaces.name), asc(workspaces.id));
}

export async function findMembership(db: DbOrTx, workspaceId: string, userId: string) {
  const [row] = await db
    .select({ role: workspaceMembers.role, name: workspaces.name })
    .from(workspaceMembers)
    .innerJoin(workspaces, eq(workspaces.id, workspaceMembers.workspaceId))
    .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)));
  return row ? { role: row.role as Role, workspaceName: row.name } : null;
}

export async function insertMember(
  db: DbOrTx,
  workspaceId: string,
  userId: string,
  role: Role,
): Promise<boolean> {
  const rows = await db
    .insert(workspaceMembers)
    .values({ workspaceId, userId, role })
    .onConflictDoNothing()
    .returning({ userId: workspaceMembers.userId });
  return rows.length > 0;
}

export async function listMemberRows(db: DbOrTx, workspaceId: string) {
  return db
    .select({
      userId: users.id,
      email: users.email,
      name: users.name,
      role: workspaceMembers.role,
      joinedAt: workspaceMembers.createdAt,
    })
    .from(workspaceMembers)
    .innerJoin(users, eq(users.id, workspaceMembers.userId))
    .where(eq(workspaceMembers.workspaceId, workspaceId))
    .orderBy(asc(users.name), asc(users.id));
}

export async function setMemberRole(db: DbOrTx, workspaceId: string, userId: string, role: Role) {
  await db
    .update(workspaceMembers)
    .set({ role })
    .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)));
}

export async function deleteMember(db: DbOrTx, workspaceId: string, userId: string) {
  await db
    .delete(workspaceMembers)
    .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.userId, userId)));
}

export async function countOwners(db: DbOrTx, workspaceId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(workspaceMembers)
    .where(and(eq(workspaceMembers.workspaceId, workspaceId), eq(workspaceMembers.role, 'owner')));
  return row?.n ?? 0;
}

export async function insertInvitation(
  db: DbOrTx,
  values: typeof invitations.$inferInsert,
): Promise<Invitation> {
  const [row] = await db.insert(invitations).values(values).returning();
  return row!;
}

export async function listInvitationRows(db: DbOrTx, workspaceId: string): Promise<Invitation[]> {
  return db
    .select()
    .from(invitations)
    .where(eq(invitations.workspaceId, workspaceId))
    .orderBy(desc(invitations.createdAt))
    .limit(200);
}

export async function findInvitation(
  db: DbOrTx,
  workspaceId: string,
  id: string,
): Promise<Invitation | null> {
  const [row] = await db
    .select()
    .from(invitations)
    .where(and(eq(invitations.workspaceId, workspaceId), eq(invitations.id, id)));
  return row ?? null;
}

export async function findInvitationByTokenHash(db: DbOrTx, tokenHash: string, forUpdate = false) {
  const query = db.select().from(invitations).where(eq(invitations.tokenHash, tokenHash));
  const [row] = forUpdate ? await query.for('update') : await query;
  return row ?? null;
}

export async function updateInvitation(db: DbOrTx, id: string, patch: Partial<Invitation>) {
  await db.update(invitations).set(patch).where(eq(invitations.id, id));
}
