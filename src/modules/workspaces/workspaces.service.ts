import { sql } from 'drizzle-orm';
import type { WorkspaceContext } from '../../platform/auth/context.ts';
import { hasRole, isRole, type Role } from '../../platform/auth/roles.ts';
import {
  createPasswordUser,
  EMAIL_PATTERN,
  findUserByEmail,
  normalizeEmail,
  type User,
} from '../../platform/auth/users.ts';
import { randomToken, sha256 } from '../../platform/crypto.ts';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { AppError, type ErrorDetail } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { isCountryCode, isTimeZone, LOCALES } from '../../platform/locale.ts';
import { diff, recordAudit } from '../audit/audit.service.ts';
import {
  countOwners,
  deleteMember,
  findInvitation,
  findInvitationByTokenHash,
  findMembership,
  findWorkspace,
  type Invitation,
  insertInvitation,
  insertMember,
  insertWorkspace,
  listInvitationRows,
  listMemberRows,
  listWorkspacesOfUser,
  lockWorkspace,
  setMemberRole,
  updateInvitation,
  updateWorkspaceRow,
  type Workspace,
  type WorkspacePatch,
} from './workspaces.repo.ts';

export type { Workspace } from './workspaces.repo.ts';

export interface WorkspaceSettingsInput {
  name?: string;
  default_country?: string;
  default_timezone?: string;
  default_locale?: string;
  retention_inactive_months?: number | null;
  brand_color?: string;
  logo_url?: string | null;
  email_tracking?: boolean;
}

/** The settings a workspace's audit entries compare. */
const SETTINGS_KEYS = [
  'name',
  'default_country',
  'default_timezone',
  'default_locale',
  'retention_inactive_months',
  'brand_color',
  'logo_url',
  'email_tracking',
] as const;

export const RETENTION_MONTHS_MAX = 600;

function validateSettings(input: WorkspaceSettingsInput): WorkspacePatch {
  const problems: ErrorDetail[] = [];
  const patch: WorkspacePatch = {};
  if (input.name !== undefined) {
    const name = input.name.trim();
    if (!name) problems.push({ path: '/name', message: 'must not be empty' });
    patch.name = name;
  }
  if (input.default_country !== undefined) {
    const country = input.default_country.toUpperCase();
    if (!isCountryCode(country))
      problems.push({ path: '/default_country', message: 'not an ISO 3166-1 alpha-2 country code' });
    patch.defaultCountry = country;
  }
  if (input.default_timezone !== undefined) {
    if (!isTimeZone(input.default_timezone))
      problems.push({ path: '/default_timezone', message: 'not an IANA time zone such as Europe/Madrid' });
    patch.defaultTimezone = input.default_timezone;
  }
  if (input.default_locale !== undefined) {
    if (!(LOCALES as readonly string[]).includes(input.default_locale))
      problems.push({ path: '/default_locale', message: `must be one of ${LOCALES.join(', ')}` });
    patch.defaultLocale = input.default_locale;
  }
  if (input.retention_inactive_months !== undefined) {
    const months = input.retention_inactive_months;
    if (months !== null && (!Number.isInteger(months) || months < 1 || months > RETENTION_MONTHS_MAX))
      problems.push({
        path: '/retention_inactive_months',
        message: `an integer from 1 to ${RETENTION_MONTHS_MAX}, or null to turn retention off`,
      });
    patch.retentionInactiveMonths = months;
  }
  if (input.brand_color !== undefined) {
    if (!/^#[0-9a-f]{6}$/i.test(input.brand_color))
      problems.push({ path: '/brand_color', message: 'a colour as #rrggbb, e.g. #1c7ed6' });
    patch.brandColor = input.brand_color.toLowerCase();
  }
  if (input.logo_url !== undefined) {
    const logo = input.logo_url?.trim() || null;
    if (logo !== null && !/^https:\/\/\S+$/i.test(logo))
      problems.push({ path: '/logo_url', message: 'an https:// address of an image, or null for none' });
    patch.logoUrl = logo;
  }
  if (input.email_tracking !== undefined) patch.emailTracking = input.email_tracking;
  if (problems.length) throw AppError.validation(problems);
  return patch;
}

export function toWorkspaceJson(w: Workspace) {
  return {
    id: w.id,
    name: w.name,
    default_country: w.defaultCountry,
    default_timezone: w.defaultTimezone,
    default_locale: w.defaultLocale,
    retention_inactive_months: w.retentionInactiveMonths,
    brand_color: w.brandColor,
    logo_url: w.logoUrl,
    email_tracking: w.emailTracking,
    created_at: iso(w.createdAt),
    updated_at: iso(w.updatedAt),
  };
}

/** Creates a workspace; the user (when given) becomes its owner. Audited as the workspace's first entry. */
export async function createWorkspace(
  db: Database,
  input: WorkspaceSettingsInput & { name: string },
  creator: { user: User | null; ip?: string | null; requestId?: string | null } = { user: null },
): Promise<Workspace> {
  const patch = validateSettings(input);
  return db.transaction(async (tx) => {
    const workspace = await insertWorkspace(tx, { ...patch, name: patch.name! });
    const ctx: WorkspaceContext = {
      workspaceId: workspace.id,
      role: 'owner',
      actor: creator.user
        ? { type: 'user', id: creator.user.id, label: creator.user.email }
        : { type: 'system', id: null, label: 'cli' },
      ip: creator.ip ?? null,
      requestId: creator.requestId ?? null,
    };
    await recordAudit(tx, ctx, {
      action: 'workspace.created',
      entityType: 'workspace',
      entityId: workspace.id,
      changes: diff(null, toWorkspaceJson(workspace), [...SETTINGS_KEYS]),
    });
    if (creator.user) await addMemberAudited(tx, ctx, creator.user, 'owner');
    return workspace;
  });
}

async function addMemberAudited(tx: DbOrTx, ctx: WorkspaceContext, user: User, role: Role): Promise<boolean> {
  const added = await insertMember(tx, ctx.workspaceId, user.id, role);
  if (added) {
    await recordAudit(tx, ctx, {
      action: 'member.added',
      entityType: 'member',
      entityId: user.id,
      changes: { email: { before: null, after: user.email }, role: { before: null, after: role } },
    });
  }
  return added;
}

/** Adds an existing user to a workspace (CLI `user create --workspace`). */
export async function addMember(db: Database, ctx: WorkspaceContext, user: User, role: Role): Promise<void> {
  await db.transaction(async (tx) => {
    if (!(await lockWorkspace(tx, ctx.workspaceId))) throw AppError.notFound('Workspace');
    await addMemberAudited(tx, ctx, user, role);
  });
}

/** For a statement that reads several modules' settings in one round trip (the segment environment). */
export { workspaceTimezoneSql } from './workspaces.repo.ts';

export async function getWorkspace(db: DbOrTx, workspaceId: string): Promise<Workspace> {
  const workspace = await findWorkspace(db, workspaceId);
  if (!workspace) throw AppError.notFound('Workspace');
  return workspace;
}

export async function updateWorkspace(db: Database, ctx: WorkspaceContext, input: WorkspaceSettingsInput) {
  const patch = validateSettings(input);
  return db.transaction(async (tx) => {
    const before = await lockWorkspace(tx, ctx.workspaceId);
    if (!before) throw AppError.notFound('Workspace');
    const after = await updateWorkspaceRow(tx, ctx.workspaceId, patch);
    const changes = diff(toWorkspaceJson(before), toWorkspaceJson(after), [...SETTINGS_KEYS]);
    if (Object.keys(changes).length)
      await recordAudit(tx, ctx, {
        action: 'workspace.updated',
        entityType: 'workspace',
        entityId: after.id,
        changes,
      });
    return after;
  });
}

export const listWorkspacesForUser = listWorkspacesOfUser;
export const membershipOf = findMembership;

export async function listMembers(db: DbOrTx, workspaceId: string) {
  const rows = await listMemberRows(db, workspaceId);
  return rows.map((r) => ({
    user_id: r.userId,
    email: r.email,
    name: r.name,
    role: r.role as Role,
    joined_at: iso(r.joinedAt),
  }));
}

/**
 * Nobody may act on a member ranked above them, grant a role above their own, or leave the
 * workspace without an owner.
 */
function assertCanManage(ctx: WorkspaceContext, targetRole: Role, newRole: Role | null) {
  if (!hasRole(ctx.role, targetRole) || (newRole && !hasRole(ctx.role, newRole))) {
    throw new AppError('FORBIDDEN', 'Only an owner can change or remove owners, or grant the owner role');
  }
}

export async function changeMemberRole(db: Database, ctx: WorkspaceContext, userId: string, role: Role) {
  return db.transaction(async (tx) => {
    await lockWorkspace(tx, ctx.workspaceId);
    const member = await findMembership(tx, ctx.workspaceId, userId);
    if (!member) throw AppError.notFound('Member');
    assertCanManage(ctx, member.role, role);
    if (member.role === role) return;
    if (member.role === 'owner' && (await countOwners(tx, ctx.workspaceId)) <= 1)
      throw new AppError('LAST_OWNER', 'A workspace needs at least one owner; make someone else owner first');
    await setMemberRole(tx, ctx.workspaceId, userId, role);
    await recordAudit(tx, ctx, {
      action: 'member.role_changed',
      entityType: 'member',
      entityId: userId,
      changes: { role: { before: member.role, after: role } },
    });
  });
}

export async function removeMember(db: Database, ctx: WorkspaceContext, userId: string) {
  return db.transaction(async (tx) => {
    await lockWorkspace(tx, ctx.workspaceId);
    const member = await findMembership(tx, ctx.workspaceId, userId);
    if (!member) throw AppError.notFound('Member');
    assertCanManage(ctx, member.role, null);
    if (member.role === 'owner' && (await countOwners(tx, ctx.workspaceId)) <= 1)
      throw new AppError('LAST_OWNER', 'A workspace needs at least one owner; make someone else owner first');
    await deleteMember(tx, ctx.workspaceId, userId);
    await recordAudit(tx, ctx, {
      action: 'member.removed',
      entityType: 'member',
      entityId: userId,
      changes: { role: { before: member.role, after: null } },
    });
  });
}

// ---- invitations -------------------------------------------------------------------------------

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

function invitationStatus(inv: Invitation, now = new Date()): InvitationStatus {
  if (inv.acceptedAt) return 'accepted';
  if (inv.revokedAt) return 'revoked';
  if (inv.expiresAt <= now) return 'expired';
  return 'pending';
}

export function invitationUrl(baseUrl: string, token: string): string {
  return `${baseUrl}/invite/${token}`;
}

function toInvitationJson(inv: Invitation) {
  return {
    id: inv.id,
    email: inv.email,
    role: inv.role as Role,
    status: invitationStatus(inv),
    created_at: iso(inv.createdAt),
    expires_at: iso(inv.expiresAt),
  };
}

export async function createInvitation(
  db: Database,
  ctx: WorkspaceContext,
  input: { email?: string | null; role: string; expires_in_days?: number },
  baseUrl: string,
) {
  const problems: ErrorDetail[] = [];
  const email = input.email ? normalizeEmail(input.email) : null;
  if (email && !EMAIL_PATTERN.test(email))
    problems.push({ path: '/email', message: 'not a valid email address' });
  if (!isRole(input.role)) problems.push({ path: '/role', message: 'unknown role' });
  if (problems.length) throw AppError.validation(problems);
  const role = input.role as Role;
  assertCanManage(ctx, role, role);
  // The token is a bearer secret: only its hash is stored, the link is shown once to the inviter.
  const token = randomToken(24);
  const days = input.expires_in_days ?? 7;
  return db.transaction(async (tx) => {
    const inv = await insertInvitation(tx, {
      workspaceId: ctx.workspaceId,
      email,
      role,
      tokenHash: sha256(token),
      invitedByUserId: ctx.actor.type === 'user' ? ctx.actor.id : null,
      expiresAt: new Date(Date.now() + days * 86_400_000),
    });
    await recordAudit(tx, ctx, {
      action: 'invitation.created',
      entityType: 'invitation',
      entityId: inv.id,
      changes: { email: { before: null, after: email }, role: { before: null, after: role } },
    });
    return { ...toInvitationJson(inv), token, url: invitationUrl(baseUrl, token) };
  });
}

export async function listInvitations(db: DbOrTx, workspaceId: string) {
  return (await listInvitationRows(db, workspaceId)).map(toInvitationJson);
}

export async function revokeInvitation(db: Database, ctx: WorkspaceContext, id: string) {
  await db.transaction(async (tx) => {
    const inv = await findInvitation(tx, ctx.workspaceId, id);
    if (!inv) throw AppError.notFound('Invitation');
    if (invitationStatus(inv) !== 'pending') return;
    await updateInvitation(tx, inv.id, { revokedAt: new Date() });
    await recordAudit(tx, ctx, {
      action: 'invitation.revoked',
      entityType: 'invitation',
      entityId: inv.id,
      changes: { status: { before: 'pending', after: 'revoked' } },
    });
  });
}

export async function lookupInvitation(db: DbOrTx, token: string) {
  const inv = await findInvitationByTokenHash(db, sha256(token));
  if (!inv) throw AppError.notFound('Invitation');
  const workspace = await getWorkspace(db, inv.workspaceId);
  return {
    workspace: { id: workspace.id, name: workspace.name },
    role: inv.role as Role,
    email: inv.email,
    status: invitationStatus(inv),
    expires_at: iso(inv.expiresAt),
  };
}

/**
 * Accepts an invitation as the signed-in user, or creates the account first (name, email,
 * password) when nobody is signed in. One use per invitation.
 */
export async function acceptInvitation(
  db: Database,
  token: string,
  who: { user: User } | { newUser: { name?: string; email?: string; password: string } },
  meta: { ip: string | null; requestId: string | null },
) {
  return db.transaction(async (tx) => {
    const inv = await findInvitationByTokenHash(tx, sha256(token), true);
    if (!inv) throw AppError.notFound('Invitation');
    const status = invitationStatus(inv);
    if (status !== 'pending') throw new AppError('INVITATION_UNAVAILABLE', `This invitation is ${status}`);
    let user: User;
    let userCreated = false;
    if ('user' in who) {
      user = who.user;
    } else {
      const email = inv.email ?? who.newUser.email;
      if (!email) throw AppError.validation([{ path: '/email', message: 'required' }]);
      if (await findUserByEmail(tx, email))
        throw new AppError(
          'EMAIL_TAKEN',
          'An account with this email exists: sign in, then open the link again',
        );
      user = await createPasswordUser(tx, { email, password: who.newUser.password, name: who.newUser.name });
      userCreated = true;
    }
    if (inv.email && normalizeEmail(user.email) !== inv.email)
      throw new AppError('FORBIDDEN', `This invitation is for ${inv.email}`);
    const ctx: WorkspaceContext = {
      workspaceId: inv.workspaceId,
      role: inv.role as Role,
      actor: { type: 'user', id: user.id, label: user.email },
      ...meta,
    };
    await addMemberAudited(tx, ctx, user, inv.role as Role);
    await updateInvitation(tx, inv.id, { acceptedAt: new Date(), acceptedByUserId: user.id });
    await recordAudit(tx, ctx, {
      action: 'invitation.accepted',
      entityType: 'invitation',
      entityId: inv.id,
      changes: { status: { before: 'pending', after: 'accepted' } },
    });
    const workspace = await getWorkspace(tx, inv.workspaceId);
    const membership = await findMembership(tx, inv.workspaceId, user.id);
    return {
      workspace: { id: workspace.id, name: workspace.name },
      role: membership!.role,
      user_created: userCreated,
    };
  });
}

/** The workspaces whose retention setting is on, with their months (the nightly sweep's list). */
export async function listRetentionSettings(
  db: DbOrTx,
): Promise<Array<{ workspaceId: string; months: number }>> {
  const rows = await db.execute<{ id: string; months: number }>(
    sql`select id, retention_inactive_months as months from workspaces
        where retention_inactive_months is not null order by id`,
  );
  return rows.rows.map((r) => ({ workspaceId: r.id, months: Number(r.months) }));
}

/** Every workspace id (the nightly job fans out one job per workspace). */
export async function listWorkspaceIds(db: DbOrTx): Promise<string[]> {
  const rows = await db.execute<{ id: string }>(sql`select id from workspaces order by id`);
  return rows.rows.map((r) => r.id);
}
