import { EventEmitter } from 'node:events';
import { sql } from 'drizzle-orm';
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
    // Delivered to every listening process when this transaction commits.
    await tx.execute(sql`select pg_notify(${API_KEY_REVOKED_CHANNEL}, ${id})`);
    await recordAudit(tx, ctx, {
      action: 'api_key.revoked',
      entityType: 'api_key',
      entityId: id,
      changes: { revoked_at: { before: null, after: new Date().toISOString() } },
    });
  });
  localRevocations.emit('revoked', id);
}

export interface ApiKeyIdentity {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  workspaceId: string;
  workspaceName: string;
}

/** Revocations in this process, so the local cache drops a key before the DELETE even answers. */
const localRevocations = new EventEmitter();
export const API_KEY_REVOKED_CHANNEL = 'clientela_api_key_revoked';

/**
 * Authenticates bearer keys with a short-lived in-memory cache: the hot path of every integration
 * call costs a hash and a map lookup instead of a database round trip. Revocation stays immediate:
 * revokeApiKey NOTIFYs every process (LISTEN, see listenForRevocations) and this process directly;
 * the TTL only bounds what a process that missed a notification (reconnecting) could serve.
 */
export function createApiKeyAuthenticator(db: DbOrTx, options: { ttlMs?: number; maxEntries?: number } = {}) {
  const ttlMs = options.ttlMs ?? 30_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const cache = new Map<string, { identity: ApiKeyIdentity; until: number; expiresAt: number | null }>();
  const touched = new Map<string, number>();
  const evict = (keyId: string) => {
    for (const [hash, entry] of cache) if (entry.identity.id === keyId) cache.delete(hash);
  };
  localRevocations.on('revoked', evict);

  async function authenticate(token: string): Promise<ApiKeyIdentity | null> {
    if (!looksLikeApiKey(token)) return null;
    const hash = sha256(token);
    const now = Date.now();
    let entry = cache.get(hash);
    if (entry && (entry.until < now || (entry.expiresAt !== null && entry.expiresAt <= now))) {
      cache.delete(hash);
      entry = undefined;
    }
    if (!entry) {
      const row = await findActiveKeyByHash(db, hash);
      if (!row) return null;
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
      entry = {
        identity: {
          id: row.id,
          name: row.name,
          prefix: row.prefix,
          role: row.role as Role,
          workspaceId: row.workspaceId,
          workspaceName: row.workspaceName,
        },
        until: now + ttlMs,
        expiresAt: row.expiresAt ? row.expiresAt.getTime() : null,
      };
      cache.set(hash, entry);
    }
    const id = entry.identity.id;
    if ((touched.get(id) ?? 0) < now - 60_000) {
      touched.set(id, now);
      touchLastUsed(db, id).catch(() => touched.delete(id));
    }
    return entry.identity;
  }

  return {
    authenticate,
    evict,
    close: () => {
      localRevocations.off('revoked', evict);
    },
  };
}

export type ApiKeyAuthenticator = ReturnType<typeof createApiKeyAuthenticator>;
