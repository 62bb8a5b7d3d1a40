import type { WorkspaceContext } from '../../platform/auth/context.ts';
import { hasRole, isRole, type Role } from '../../platform/auth/roles.ts';
import { randomToken, sha256 } from '../../platform/crypto.ts';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { AppError, type ErrorDetail } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { decodeCursor, page } from '../../platform/pagination.ts';
import { recordAudit } from '../audit/audit.service.ts';
import {
  type ApiKey,
  findActiveKeyByHash,
  findApiKey,
  insertApiKey,
  listApiKeyRows,
  markRevoked,
  touchLastUsed,
} from './api-keys.repo.ts';

/** Keys look like `ck_<43 base64url chars>` (256 random bits); the prefix makes them greppable in leaks. */
export const API_KEY_PREFIX = 'ck_';
const SHOWN_PREFIX_LENGTH = 11;

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX) && token.length > 20 && token.length < 100;
}

function toApiKeyJson(key: ApiKey) {
  return {
    id: key.id,
    name: key.name,
    role: key.role as Role,
    prefix: key.prefix,
    created_at: iso(key.createdAt),
    last_used_at: iso(key.lastUsedAt),
    expires_at: iso(key.expiresAt),
    revoked_at: iso(key.revokedAt),
  };
}

export async function createApiKey(
  db: Database,
  ctx: WorkspaceContext,
  input: { name: string; role: string; expires_at?: string | null },
) {
  const problems: ErrorDetail[] = [];
  const name = input.name.trim();
  if (!name) problems.push({ path: '/name', message: 'must not be empty' });
  if (!isRole(input.role)) problems.push({ path: '/role', message: 'unknown role' });
  const expiresAt = input.expires_at ? new Date(input.expires_at) : null;
  if (expiresAt && expiresAt <= new Date())
    problems.push({ path: '/expires_at', message: 'must be in the future' });
  if (problems.length) throw AppError.validation(problems);
  const role = input.role as Role;
  if (!hasRole(ctx.role, role))
    throw new AppError('FORBIDDEN', `You cannot create a key with a role above yours (${ctx.role})`);
  const key = `${API_KEY_PREFIX}${randomToken(32)}`;
  return db.transaction(async (tx) => {
    const row = await insertApiKey(tx, {
      workspaceId: ctx.workspaceId,
      name,
      role,
      prefix: key.slice(0, SHOWN_PREFIX_LENGTH),
      keyHash: sha256(key),
      createdByUserId: ctx.actor.type === 'user' ? ctx.actor.id : null,
      expiresAt,
    });
    await recordAudit(tx, ctx, {
      action: 'api_key.created',
      entityType: 'api_key',
      entityId: row.id,
      changes: { name: { before: null, after: name }, role: { before: null, after: role } },
    });
    return { ...toApiKeyJson(row), key };
  });
}

export async function listApiKeys(
  db: DbOrTx,
  workspaceId: string,
  options: { cursor?: string; limit: number },
) {
  const rows = await listApiKeyRows(db, workspaceId, decodeCursor(options.cursor), options.limit);
  const { items, nextCursor } = page(rows, options.limit, (r) => [r.createdAt, r.id]);
  return { api_keys: items.map(toApiKeyJson), next_cursor: nextCursor };
}

export async function revokeApiKey(db: Database, ctx: WorkspaceContext, id: string) {
  await db.transaction(async (tx) => {
    const key = await findApiKey(tx, ctx.workspaceId, id);
    if (!key) throw AppError.notFound('API key');
    if (key.revokedAt) return;
    await markRevoked(tx, id);
    await recordAudit(tx, ctx, {
      action: 'api_key.revoked',
      entityType: 'api_key',
      entityId: id,
      changes: { revoked_at: { before: null, after: new Date().toISOString() } },
    });
  });
}

export interface ApiKeyIdentity {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  workspaceId: string;
  workspaceName: string;
}

const recentlyTouched = new Map<string, number>();

export async function authenticateApiKey(db: DbOrTx, token: string): Promise<ApiKeyIdentity | null> {
  if (!looksLikeApiKey(token)) return null;
  const row = await findActiveKeyByHash(db, sha256(token));
  if (!row) return null;
  const now = Date.now();
  if ((recentlyTouched.get(row.id) ?? 0) < now - 60_000) {
    recentlyTouched.set(row.id, now);
    touchLastUsed(db, row.id).catch(() => recentlyTouched.delete(row.id));
  }
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role as Role,
    workspaceId: row.workspaceId,
    workspaceName: row.workspaceName,
  };
}
