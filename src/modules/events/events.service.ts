import type { WorkspaceContext } from '../../platform/auth/context.ts';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { UUID } from '../../platform/db/ids.ts';
import { AppError, pgErrorCode } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { decodeCursor, page } from '../../platform/pagination.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { listLocations } from '../locations/locations.service.ts';
import {
  applyActivityScores,
  createClient,
  getClientRow,
  getWorkspace,
  listClientRiskInputs,
  lockClients,
  resolveClientIdentities,
  setRiskOverride,
  setRiskScores,
} from './clients.port.ts';
import {
  type ActivityAggregate,
  aggregateActivity,
  deleteEventRow,
  type EventRow,
  type EventWrite,
  findEvent,
  listEventRows,
  ownersOfReferences,
  preferIndexes,
  upsertEvents,
} from './events.repo.ts';
import {
  type EventIdentity,
  MAX_EVENTS_PER_BATCH,
  type Rejection,
  type ValidEvent,
  validateEvent,
} from './events.validation.ts';
import { riskScore } from './risk.ts';

export function toEventJson(row: EventRow) {
  return {
    id: row.id,
    client_id: row.clientId,
    type: row.type,
    occurred_at: iso(row.occurredAt),
    amount: row.amount,
    currency: row.currency,
    location_id: row.locationId,
    reference_id: row.referenceId,
    properties: row.properties,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}
export type EventJson = ReturnType<typeof toEventJson>;

// ---- scores ----------------------------------------------------------------------------------------

/**
 * Recomputes the activity scores and the risk of these clients from their events, set-based:
 * one aggregate query, one update of the activity columns, one update of the risk column.
 * Call inside the transaction that changed their events, after `lockClients`.
 */
export async function rescoreClients(db: DbOrTx, workspaceId: string, clientIds: string[], now = new Date()) {
  if (!clientIds.length) return [];
  const activity = await aggregateActivity(db, workspaceId, clientIds);
  // A client without any activity left (all events deleted or moved) is measured from creation.
  const idle = activity.filter((a) => !a.lastActivityAt).map((a) => a.clientId);
  const created = new Map(
    idle.length
      ? (await listClientRiskInputs(db, workspaceId, { ids: idle, limit: idle.length })).map((c) => [
          c.clientId,
          c.createdAt,
        ])
      : [],
  );
  // Activity and risk in one UPDATE of the touched client rows.
  await applyActivityScores(
    db,
    workspaceId,
    activity.map((a) => ({
      ...a,
      riskScore: riskScore({ ...a, createdAt: created.get(a.clientId) ?? null }, now),
    })),
  );
  return activity;
}

/**
 * The nightly risk pass over one workspace: pages of clients in id order, each page one read and
 * one set-based update. Risk moves with time even when nothing happens, hence the cron.
 */
export async function recomputeWorkspaceRisk(
  db: Database,
  workspaceId: string,
  options: { batchSize?: number; now?: Date } = {},
): Promise<number> {
  const batchSize = options.batchSize ?? 5000;
  const now = options.now ?? new Date();
  let afterId: string | null = null;
  let total = 0;
  for (;;) {
    const batch = await listClientRiskInputs(db, workspaceId, { afterId, limit: batchSize });
    if (!batch.length) break;
    await setRiskScores(
      db,
      workspaceId,
      batch.map((c) => ({ clientId: c.clientId, riskScore: riskScore(c, now) })),
    );
    total += batch.length;
    afterId = batch.at(-1)!.clientId;
    if (batch.length < batchSize) break;
  }
  return total;
}

export function toScoresJson(row: Awaited<ReturnType<typeof getClientRow>>) {
  return {
    client_id: row.id,
    risk_score: row.riskOverride ?? row.riskScore,
    computed_risk_score: row.riskScore,
    risk_override:
      row.riskOverride !== null ? { score: row.riskOverride, reason: row.riskOverrideReason } : null,
    lifetime_value: row.lifetimeValue,
    booking_count: row.bookingCount,
    visit_frequency_days: row.visitFrequencyDays,
    last_booking_at: iso(row.lastBookingAt),
    last_activity_at: iso(row.lastActivityAt),
  };
}

/** On demand: activity scores and risk of one client recomputed from its events now. */
export async function recomputeClientScores(db: Database, ctx: WorkspaceContext, clientId: string) {
  return db.transaction(async (tx) => {
    const before = await getClientRow(tx, ctx.workspaceId, clientId);
    await lockClients(tx, ctx.workspaceId, [clientId]);
    await rescoreClients(tx, ctx.workspaceId, [clientId]);
    const after = await getClientRow(tx, ctx.workspaceId, clientId);
    if (before.riskScore !== after.riskScore || before.lifetimeValue !== after.lifetimeValue) {
      await recordAudit(tx, ctx, {
        action: 'client.scores_recomputed',
        entityType: 'client',
        entityId: clientId,
        changes: {
          risk_score: { before: before.riskScore, after: after.riskScore },
          lifetime_value: { before: before.lifetimeValue, after: after.lifetimeValue },
        },
      });
    }
    return toScoresJson(after);
  });
}

/** An admin's own risk figure with a reason (on the client's timeline); null returns to the computed one. */
export async function overrideRisk(
  db: Database,
  ctx: WorkspaceContext,
  clientId: string,
  score: number | null,
  reason: string | null,
) {
  await setRiskOverride(db, ctx, clientId, score, reason);
  return toScoresJson(await getClientRow(db, ctx.workspaceId, clientId));
}

// ---- ingestion -------------------------------------------------------------------------------------

/**
 * Two batches moving references between the same clients in opposite directions can deadlock
 * (PostgreSQL aborts one); the whole transaction is simply run again.
 */
async function withDeadlockRetry<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      const code = pgErrorCode(error);
      if (attempt >= attempts || (code !== '40P01' && code !== '40001')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 30));
    }
  }
}

export interface IngestInput {
  events: unknown[];
  create_client?: boolean;
}

export interface IngestResult {
  accepted: number;
  rejected: Rejection[];
  created_clients: number;
}

function identityLabel(identity: EventIdentity): string {
  if (identity.client_id) return 'client_id';
  if (identity.external_id) return 'external_id';
  if (identity.email) return 'email';
  return 'phone';
}

/** Same person, same key: one creation per distinct identity in a batch. */
function identityKey(identity: EventIdentity): string {
  return JSON.stringify([
    identity.external_id ?? null,
    identity.email?.toLowerCase() ?? null,
    identity.phone ?? null,
  ]);
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}

/**
 * Creates the clients of unknown identities (create_client: true), one per distinct identity,
 * through the clients service (validation, duplicate check, history and audit included).
 * Returns identity key → client id, or the reason it could not be created.
 */
async function createMissingClients(
  db: Database,
  ctx: WorkspaceContext,
  identities: EventIdentity[],
  defaultCountry: string,
): Promise<Map<string, { id: string } | { error: string }>> {
  const distinct = new Map<string, EventIdentity>();
  for (const identity of identities) distinct.set(identityKey(identity), identity);
  type Outcome = { id: string } | { error: string };
  const results = await mapLimit([...distinct], 4, async ([key, identity]): Promise<[string, Outcome]> => {
    try {
      const client = await createClient(db, ctx, {
        external_id: identity.external_id ?? null,
        email: identity.email ?? null,
        phone: identity.phone ?? null,
        source: 'events',
      });
      return [key, { id: client.id }];
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // A concurrent batch may have created it a moment ago: take that one if it is now unique.
      if (error.code === 'CONFLICT') {
        const [again] = await resolveClientIdentities(db, ctx.workspaceId, [identity], defaultCountry);
        if (again) return [key, { id: again }];
      }
      const detail = error.details.map((d) => `${d.path.replace(/^\//, '')} ${d.message}`).join('; ');
      return [key, { error: detail ? `${error.message}: ${detail}` : error.message }];
    }
  });
  return new Map(results);
}

/**
 * POST /events: validates each row on its own, resolves identities in one query, then writes the
 * batch in one transaction: lock the touched clients, one INSERT … ON CONFLICT for every row, one
 * aggregate to rescore exactly the touched clients, one audit row. A rejected row never stops
 * the others; an unexpected database error rolls the whole batch back (nothing half-written).
 */
export async function ingestEvents(
  db: Database,
  ctx: WorkspaceContext,
  input: IngestInput,
  options: { now?: Date } = {},
): Promise<IngestResult> {
  if (!Array.isArray(input.events))
    throw AppError.validation([{ path: '/events', message: 'must be an array of events' }]);
  if (input.events.length > MAX_EVENTS_PER_BATCH)
    throw AppError.validation([
      { path: '/events', message: `at most ${MAX_EVENTS_PER_BATCH} events per call; split the batch` },
    ]);
  const now = options.now ?? new Date();
  const rejected: Rejection[] = [];
  const valid: ValidEvent[] = [];
  input.events.forEach((raw, index) => {
    const checked = validateEvent(raw, index, now.getTime());
    if ('ok' in checked) valid.push(checked.ok);
    else rejected.push(checked.rejected);
  });

  // Locations: the workspace's own only (archived ones too: history keeps them).
  let rows = valid;
  if (rows.some((r) => r.locationId)) {
    const known = new Set((await listLocations(db, ctx.workspaceId, true)).map((l) => l.id));
    rows = rows.filter((r) => {
      if (!r.locationId || known.has(r.locationId)) return true;
      rejected.push({
        index: r.index,
        code: 'UNKNOWN_LOCATION',
        message: 'location_id is not a location of this workspace',
      });
      return false;
    });
  }

  // Identities → client ids, all rows in one round of lookups.
  const workspace = rows.length ? await getWorkspace(db, ctx.workspaceId) : null;
  const resolved = rows.length
    ? await resolveClientIdentities(
        db,
        ctx.workspaceId,
        rows.map((r) => r.identity),
        workspace!.defaultCountry,
      )
    : [];
  let createdClients = 0;
  const missing = rows.filter((r, i) => !resolved[i] && !r.identity.client_id);
  const created =
    input.create_client && missing.length
      ? await createMissingClients(
          db,
          ctx,
          missing.map((r) => r.identity),
          workspace!.defaultCountry,
        )
      : new Map<string, { id: string } | { error: string }>();
  for (const outcome of created.values()) if ('id' in outcome) createdClients++;

  const writes: Array<EventWrite & { index: number }> = [];
  rows.forEach((r, i) => {
    let clientId = resolved[i] ?? null;
    if (!clientId && input.create_client && !r.identity.client_id) {
      const outcome = created.get(identityKey(r.identity));
      if (outcome && 'error' in outcome) {
        rejected.push({ index: r.index, code: 'CLIENT_NOT_CREATED', message: outcome.error });
        return;
      }
      clientId = outcome?.id ?? null;
    }
    if (!clientId) {
      const by = identityLabel(r.identity);
      rejected.push({
        index: r.index,
        code: 'UNKNOWN_CLIENT',
        message:
          by === 'client_id'
            ? 'client_id is not a client of this workspace'
            : `no single client of this workspace has this ${by}${input.create_client ? '' : ' (send "create_client": true to create it)'}`,
      });
      return;
    }
    writes.push({
      index: r.index,
      clientId,
      type: r.type,
      occurredAt: r.occurredAt,
      amount: r.amount,
      currency: r.currency,
      locationId: r.locationId,
      referenceId: r.referenceId,
      properties: r.properties,
    });
  });
  rejected.sort((a, b) => a.index - b.index);
  if (!writes.length) return { accepted: 0, rejected, created_clients: createdClients };

  // The same (type, reference_id) twice in one batch: the later row wins, as if sent one after the other.
  const byReference = new Map<string, number>();
  writes.forEach((w, i) => {
    if (w.referenceId) byReference.set(JSON.stringify([w.type, w.referenceId]), i);
  });
  const unique = writes.filter(
    (w, i) => !w.referenceId || byReference.get(JSON.stringify([w.type, w.referenceId])) === i,
  );
  await withDeadlockRetry(() =>
    db.transaction(async (tx) => {
      await preferIndexes(tx);
      // Write first, lock the touched clients (in id order) only for the rescoring: a batch holds
      // client locks for the short end of its transaction, so parallel batches overlap. Correct
      // under concurrency: whichever of two batches locks a shared client last aggregates in a
      // new snapshot that already holds the other's committed events.
      const touched = new Set(unique.map((w) => w.clientId));
      const written = await upsertEvents(tx, ctx.workspaceId, unique, { sameClientOnly: true });
      if (written.skipped.length) {
        // Rare: a reference now names another client. The upsert left those events alone (but
        // locked); their current owners lose them and are rescored too.
        const refs = written.skipped.map((w) => ({ type: w.type, referenceId: w.referenceId! }));
        for (const id of await ownersOfReferences(tx, ctx.workspaceId, refs)) touched.add(id);
        const moved = await upsertEvents(tx, ctx.workspaceId, written.skipped);
        written.inserted += moved.inserted;
        written.updated += moved.updated;
      }
      await lockClients(tx, ctx.workspaceId, [...touched]);
      await rescoreClients(tx, ctx.workspaceId, [...touched], now);
      const byType: Record<string, number> = {};
      for (const w of writes) byType[w.type] = (byType[w.type] ?? 0) + 1;
      await recordAudit(tx, ctx, {
        action: 'events.ingested',
        entityType: 'event_batch',
        entityId: null,
        changes: {
          received: { before: null, after: input.events.length },
          accepted: { before: null, after: writes.length },
          rejected: { before: null, after: rejected.length },
          inserted: { before: null, after: written.inserted },
          updated: { before: null, after: written.updated + (writes.length - unique.length) },
          clients_created: { before: null, after: createdClients },
          clients_rescored: { before: null, after: touched.size },
          types: { before: null, after: byType },
        },
      });
    }),
  );
  return { accepted: writes.length, rejected, created_clients: createdClients };
}

// ---- reads and deletes -----------------------------------------------------------------------------

export interface EventListQuery {
  client_id?: string;
  type?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

export async function listEvents(db: DbOrTx, workspaceId: string, query: EventListQuery) {
  const cursor = decodeCursor(query.cursor);
  const rows = await listEventRows(
    db,
    workspaceId,
    { clientId: query.client_id, type: query.type, from: query.from, to: query.to },
    cursor,
    query.limit + 1,
  );
  const { items, nextCursor } = page(rows, query.limit, (r) => [r.occurredAt, r.id]);
  return { events: items.map(toEventJson), next_cursor: nextCursor };
}

export async function getEvent(db: DbOrTx, workspaceId: string, id: string) {
  const row = UUID.test(id) ? await findEvent(db, workspaceId, id) : null;
  if (!row) throw AppError.notFound('Event');
  return toEventJson(row);
}

/** Deletes one event and rescores its client in the same transaction. */
export async function deleteEvent(db: Database, ctx: WorkspaceContext, id: string) {
  await withDeadlockRetry(() =>
    db.transaction(async (tx) => {
      // The event first, then its client: the order ingestion uses.
      const row = UUID.test(id) ? await findEvent(tx, ctx.workspaceId, id, true) : null;
      if (!row) throw AppError.notFound('Event');
      await lockClients(tx, ctx.workspaceId, [row.clientId]);
      await deleteEventRow(tx, ctx.workspaceId, id);
      await rescoreClients(tx, ctx.workspaceId, [row.clientId]);
      await recordAudit(tx, ctx, {
        action: 'event.deleted',
        entityType: 'event',
        entityId: id,
        changes: {
          client_id: { before: row.clientId, after: null },
          type: { before: row.type, after: null },
          occurred_at: { before: iso(row.occurredAt), after: null },
          amount: { before: row.amount, after: null },
        },
      });
    }),
  );
}

export type { ActivityAggregate };
