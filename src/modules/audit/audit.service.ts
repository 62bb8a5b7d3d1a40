import type { Actor, WorkspaceContext } from '../../platform/auth/context.ts';
import type { DbOrTx } from '../../platform/db/db.ts';
import { iso } from '../../platform/http/json.ts';
import { decodeCursor, page } from '../../platform/pagination.ts';
import { type AuditFilter, type AuditRow, insertAuditRow, listAuditRows } from './audit.repo.ts';

export type Changes = Record<string, { before: unknown; after: unknown }>;

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId?: string | null;
  changes?: Changes | null;
}

/** Call inside the transaction that makes the change: both commit, or neither does. */
export async function recordAudit(tx: DbOrTx, ctx: WorkspaceContext, entry: AuditEntry): Promise<void> {
  await insertAuditRow(tx, {
    workspaceId: ctx.workspaceId,
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
    actorLabel: ctx.actor.label,
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId ?? null,
    changes: entry.changes ?? null,
    ip: ctx.ip,
    requestId: ctx.requestId,
  });
}

/** Field-by-field before → after for the fields that really changed; secrets are masked by the caller. */
export function diff<T extends Record<string, unknown>>(
  before: T | null,
  after: T | null,
  fields: readonly (keyof T & string)[],
): Changes {
  const changes: Changes = {};
  for (const field of fields) {
    const b = before?.[field] ?? null;
    const a = after?.[field] ?? null;
    if (JSON.stringify(b) !== JSON.stringify(a)) changes[field] = { before: b, after: a };
  }
  return changes;
}

export function toAuditJson(row: AuditRow) {
  return {
    id: row.id,
    actor: { type: row.actorType as Actor['type'], id: row.actorId, label: row.actorLabel },
    action: row.action,
    entity_type: row.entityType,
    entity_id: row.entityId,
    changes: row.changes,
    ip: row.ip,
    request_id: row.requestId,
    created_at: iso(row.createdAt),
  };
}

export async function listAudit(
  db: DbOrTx,
  workspaceId: string,
  filter: AuditFilter,
  options: { cursor?: string; limit: number },
) {
  const rows = await listAuditRows(db, workspaceId, filter, decodeCursor(options.cursor), options.limit);
  const { items, nextCursor } = page(rows, options.limit, (r) => [r.createdAt, r.id]);
  return { entries: items.map(toAuditJson), next_cursor: nextCursor };
}
