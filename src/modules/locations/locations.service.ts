import type { WorkspaceContext } from '../../platform/auth/context.ts';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { AppError, type ErrorDetail } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { isTimeZone } from '../../platform/locale.ts';
import { diff, recordAudit } from '../audit/audit.service.ts';
import {
  findLocation,
  insertLocation,
  type Location,
  listLocationRows,
  updateLocationRow,
} from './locations.repo.ts';

/** For a statement that reads several modules' settings in one round trip (the segment environment). */
export { locationIdsJsonSql } from './locations.repo.ts';

export interface LocationInput {
  name?: string;
  address?: string | null;
  timezone?: string | null;
}

const FIELDS = ['name', 'address', 'timezone', 'archived_at'] as const;

export function toLocationJson(l: Location) {
  return {
    id: l.id,
    name: l.name,
    address: l.address,
    timezone: l.timezone,
    archived_at: iso(l.archivedAt),
    created_at: iso(l.createdAt),
    updated_at: iso(l.updatedAt),
  };
}

function validate(input: LocationInput, creating: boolean): Partial<Location> {
  const problems: ErrorDetail[] = [];
  const out: Partial<Location> = {};
  if (input.name !== undefined || creating) {
    const name = (input.name ?? '').trim();
    if (!name) problems.push({ path: '/name', message: 'is required' });
    out.name = name;
  }
  if (input.address !== undefined) out.address = input.address?.trim() || null;
  if (input.timezone !== undefined) {
    if (input.timezone && !isTimeZone(input.timezone))
      problems.push({ path: '/timezone', message: 'not an IANA time zone such as Europe/Madrid' });
    out.timezone = input.timezone || null;
  }
  if (problems.length) throw AppError.validation(problems);
  return out;
}

export async function createLocation(db: Database, ctx: WorkspaceContext, input: LocationInput) {
  const values = validate(input, true);
  return db.transaction(async (tx) => {
    const row = await insertLocation(tx, { ...values, name: values.name!, workspaceId: ctx.workspaceId });
    await recordAudit(tx, ctx, {
      action: 'location.created',
      entityType: 'location',
      entityId: row.id,
      changes: diff(null, toLocationJson(row), FIELDS),
    });
    return toLocationJson(row);
  });
}

export async function listLocations(db: DbOrTx, workspaceId: string, includeArchived = false) {
  return (await listLocationRows(db, workspaceId, includeArchived)).map(toLocationJson);
}

export async function getLocation(db: DbOrTx, workspaceId: string, id: string) {
  const row = await findLocation(db, workspaceId, id);
  if (!row) throw AppError.notFound('Location');
  return row;
}

export async function updateLocation(db: Database, ctx: WorkspaceContext, id: string, input: LocationInput) {
  const patch = validate(input, false);
  return db.transaction(async (tx) => {
    const before = await getLocation(tx, ctx.workspaceId, id);
    const after = await updateLocationRow(tx, id, patch);
    const changes = diff(toLocationJson(before), toLocationJson(after), FIELDS);
    if (Object.keys(changes).length)
      await recordAudit(tx, ctx, {
        action: 'location.updated',
        entityType: 'location',
        entityId: id,
        changes,
      });
    return toLocationJson(after);
  });
}

/** Archived, not deleted: past events keep their location. */
/** Archives (events and clients keep it) or restores a location; a no-op when already so. */
export async function setLocationArchived(
  db: Database,
  ctx: WorkspaceContext,
  id: string,
  archived: boolean,
) {
  return db.transaction(async (tx) => {
    const before = await getLocation(tx, ctx.workspaceId, id);
    if (Boolean(before.archivedAt) === archived) return toLocationJson(before);
    const after = await updateLocationRow(tx, id, { archivedAt: archived ? new Date() : null });
    await recordAudit(tx, ctx, {
      action: archived ? 'location.archived' : 'location.restored',
      entityType: 'location',
      entityId: id,
      changes: diff(toLocationJson(before), toLocationJson(after), FIELDS),
    });
    return toLocationJson(after);
  });
}
