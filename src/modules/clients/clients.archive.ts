import type { WorkspaceContext } from '../../platform/auth/context.ts';
import type { Database } from '../../platform/db/db.ts';
import { UUID } from '../../platform/db/ids.ts';
import { AppError } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { archiveClientsByIds, unarchiveClientsByIds } from './clients.bulk-actions.ts';
import { findClient } from './clients.repo.ts';
import { clientsToJson } from './clients.service.ts';

/**
 * Archive and restore one client (the drawer's menu). An archived client keeps everything — its
 * page, timeline, events still recorded, its identity still matched by imports and the API — but
 * leaves the client list, search, counts, segments, campaign audiences and bulk selections until
 * restored. Archiving an archived client (or restoring an active one) changes nothing and is not
 * written twice to the timeline or the audit log.
 */
export async function setClientArchived(db: Database, ctx: WorkspaceContext, id: string, archived: boolean) {
  return db.transaction(async (tx) => {
    const row = UUID.test(id) ? await findClient(tx, ctx.workspaceId, id, true) : null;
    if (!row) throw AppError.notFound('Client');
    const changed = archived
      ? await archiveClientsByIds(tx, ctx, [id])
      : await unarchiveClientsByIds(tx, ctx, [id]);
    if (changed)
      await recordAudit(tx, ctx, {
        action: archived ? 'client.archived' : 'client.unarchived',
        entityType: 'client',
        entityId: id,
        changes: { archived: { before: !archived, after: archived } },
      });
    return (await clientsToJson(tx, ctx, [(await findClient(tx, ctx.workspaceId, id))!]))[0]!;
  });
}
