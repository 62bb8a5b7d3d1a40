import { and, eq, isNull, sql } from 'drizzle-orm';
import type { JobHelpers, Task } from 'graphile-worker';
import { systemContext, type WorkspaceContext } from '../../platform/auth/context.ts';
import type { Database, DbOrTx, Tx } from '../../platform/db/db.ts';
import { AppError } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import type { JobDefinitions } from '../../platform/queue/queue.ts';
import { recordAudit } from '../audit/audit.service.ts';
import {
  CHANNELS,
  type ConsentChanges,
  consentStateOf,
  recordConsentChanges,
} from '../consent/consent.service.ts';
import type { SuppressionList } from '../consent/suppressions.service.ts';
import {
  getWorkspace,
  listRetentionSettings,
  RETENTION_MONTHS_MAX,
} from '../workspaces/workspaces.service.ts';
import { clientDataParticipants } from './client-data.ts';
import { findClient } from './clients.repo.ts';
import { clients } from './clients.schema.ts';
import {
  anonymizeClientRow,
  clientsToJson,
  findInactiveClients,
  getClientRow,
  listClientHistoryItems,
} from './clients.service.ts';

/**
 * GDPR for one client: the export of everything the workspace holds about them, the erase, and
 * the retention sweep that erases clients inactive for longer than the business keeps data.
 *
 * What an erase keeps, and why:
 *  - the client row itself, anonymised (no names, email, phone, city, birthday, external id,
 *    custom values, tags or field history) with `erased_at` set: its id is what remaining records
 *    (anonymous consent proofs, aggregated figures) point to. Erased clients answer 404 everywhere.
 *  - the consent history as channel / granted / source / actor (the staff member or key that
 *    recorded it) / time: the proof of consent and of withdrawal a business owes a regulator.
 *    Evidence text, IP and user agent are removed. Channels still granted get a withdrawal entry
 *    (source `admin`) first, so the history ends in the state the row now has (nothing granted).
 *  - a suppression entry per email and phone the client had: a keyed hash (HMAC with the server's
 *    secret key), so an import or signup can't silently re-subscribe the person, and the list
 *    itself can't be read back into addresses.
 *  - one `client.erased` audit row with the client id and counts only.
 * Every participant (notes, events, messages…) removes or anonymises its own rows in the same
 * transaction. A second erase answers 404: the erased client no longer exists as a client.
 */

export const RETENTION_TASK = 'clients.retention';
const RETENTION_BATCH = 100;
const PREVIEW_LIMIT = 200;
const RESERVED_EXPORT_KEYS = new Set(['format', 'exported_at', 'workspace_id', 'client', 'history']);

export interface GdprDeps {
  suppressions: SuppressionList;
}

// ---- export ------------------------------------------------------------------------------------------

export type ClientExport = {
  format: string;
  exported_at: string;
  workspace_id: string;
  client: Record<string, unknown>;
  history: unknown[];
} & Record<string, unknown>;

export async function exportClient(db: Database, ctx: WorkspaceContext, clientId: string) {
  const row = await getClientRow(db, ctx.workspaceId, clientId);
  // The export holds every custom field, including those hidden from the caller's role.
  const [client] = await clientsToJson(db, { workspaceId: ctx.workspaceId, role: 'owner' }, [row]);
  const history = await listClientHistoryItems(db, ctx.workspaceId, clientId, {
    before: null,
    from: null,
    to: null,
    limit: 1_000_000,
  });
  const out: ClientExport = {
    format: 'clientela.client-export.v1',
    exported_at: new Date().toISOString(),
    workspace_id: ctx.workspaceId,
    client: { ...client, risk_score_computed: row.riskScore, erased_at: iso(row.erasedAt) },
    history,
  };
  for (const participant of clientDataParticipants()) {
    const key = RESERVED_EXPORT_KEYS.has(participant.name) ? `${participant.name}_data` : participant.name;
    out[key] = await participant.exportFor(db, ctx.workspaceId, clientId);
  }
  await recordAudit(db, ctx, {
    action: 'client.exported',
    entityType: 'client',
    entityId: clientId,
    changes: {
      sections: {
        before: null,
        after: Object.keys(out).filter((k) => k !== 'format' && k !== 'exported_at' && k !== 'workspace_id'),
      },
    },
  });
  return out;
}

// ---- erase -------------------------------------------------------------------------------------------

export interface EraseSummary {
  client_id: string;
  erased_at: string;
  consent_withdrawn: number;
  suppression_entries: number;
}

/**
 * Erases one client inside the caller's transaction (row locked first). Returns null when there
 * is no live client with that id (already erased, merged away or deleted).
 */
export async function eraseClientInTransaction(
  tx: Tx,
  ctx: WorkspaceContext,
  clientId: string,
  deps: GdprDeps,
  options: { still?: (row: NonNullable<Awaited<ReturnType<typeof findClient>>>) => boolean } = {},
): Promise<EraseSummary | null> {
  const row = await findClient(tx, ctx.workspaceId, clientId, true);
  if (!row || row.erasedAt) return null;
  if (options.still && !options.still(row)) return null;
  // Close the consent history on "withdrawn" for every channel still granted.
  const state = consentStateOf(row);
  const withdraw: ConsentChanges = {};
  for (const channel of CHANNELS) if (state[channel]) withdraw[channel] = false;
  const withdrawn = await recordConsentChanges(tx, ctx, clientId, withdraw, {
    source: 'admin',
    ip: null,
    userAgent: null,
    audit: false,
  });
  for (const participant of clientDataParticipants()) await participant.erase(tx, ctx.workspaceId, clientId);
  const held = await anonymizeClientRow(tx, ctx, clientId);
  let entries = 0;
  if (held.email) {
    await deps.suppressions.suppress(tx, ctx.workspaceId, 'email', held.email, 'erased');
    entries++;
  }
  if (held.phone) {
    await deps.suppressions.suppress(tx, ctx.workspaceId, 'phone', held.phone, 'erased');
    entries++;
  }
  const erasedAt = new Date().toISOString();
  // Only the id and counts: nothing of what was erased.
  await recordAudit(tx, ctx, {
    action: 'client.erased',
    entityType: 'client',
    entityId: clientId,
    changes: {
      erased: { before: false, after: true },
      consent_withdrawn: { before: null, after: withdrawn.length },
      suppression_entries: { before: null, after: entries },
      participants: { before: null, after: clientDataParticipants().length },
    },
  });
  return {
    client_id: clientId,
    erased_at: erasedAt,
    consent_withdrawn: withdrawn.length,
    suppression_entries: entries,
  };
}

export async function eraseClient(
  db: Database,
  ctx: WorkspaceContext,
  clientId: string,
  input: { confirm?: boolean },
  deps: GdprDeps,
): Promise<EraseSummary> {
  return db.transaction(async (tx) => {
    // 404 first (also for an erased client), so ids of other workspaces never learn more.
    await getClientRow(tx, ctx.workspaceId, clientId);
    if (input.confirm !== true)
      throw AppError.validation([{ path: '/confirm', message: 'must be true: an erase cannot be undone' }]);
    const summary = await eraseClientInTransaction(tx, ctx, clientId, deps);
    if (!summary) throw AppError.notFound('Client');
    return summary;
  });
}

// ---- retention ---------------------------------------------------------------------------------------

export { RETENTION_MONTHS_MAX };

/** 04:17 UTC every night: the sweep of the workspaces whose retention setting is on. */
export const RETENTION_SWEEP_CRON = '17 4 * * *';
export const RETENTION_SWEEP_TASK = 'clients.retention_sweep';

/** The cut-off: clients whose last activity (or creation, when they never had any) is older are erased. */
export function inactiveSince(months: number, now = new Date()): Date {
  const cutoff = new Date(now);
  const day = cutoff.getUTCDate();
  cutoff.setUTCDate(1);
  cutoff.setUTCMonth(cutoff.getUTCMonth() - months);
  const lastDay = new Date(Date.UTC(cutoff.getUTCFullYear(), cutoff.getUTCMonth() + 1, 0)).getUTCDate();
  cutoff.setUTCDate(Math.min(day, lastDay));
  return cutoff;
}

function validateMonths(months: number) {
  if (!Number.isInteger(months) || months < 1 || months > RETENTION_MONTHS_MAX)
    throw AppError.validation([
      { path: '/inactive_months', message: `an integer from 1 to ${RETENTION_MONTHS_MAX}` },
    ]);
}

/** Same predicate as findInactiveClients. TODO(clients owner): move into clients.repo/service as countInactiveClients. */
async function countInactiveClients(db: DbOrTx, workspaceId: string, cutoff: Date): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(clients)
    .where(
      and(
        eq(clients.workspaceId, workspaceId),
        isNull(clients.erasedAt),
        sql`coalesce(${clients.lastActivityAt}, ${clients.createdAt}) < ${cutoff.toISOString()}::timestamptz`,
      ),
    );
  return row?.n ?? 0;
}

function stillInactive(cutoff: Date) {
  return (row: { lastActivityAt: Date | null; createdAt: Date }) =>
    (row.lastActivityAt ?? row.createdAt).getTime() < cutoff.getTime();
}

export async function previewRetention(db: DbOrTx, workspaceId: string, months: number) {
  validateMonths(months);
  const cutoff = inactiveSince(months);
  const [sample, total] = await Promise.all([
    findInactiveClients(db, workspaceId, cutoff, PREVIEW_LIMIT),
    countInactiveClients(db, workspaceId, cutoff),
  ]);
  return { inactive_months: months, inactive_since: cutoff.toISOString(), total, clients: sample };
}

interface RetentionPayload {
  workspace_id: string;
  inactive_months: number;
  inactive_since: string;
  requested_by: string;
}

/**
 * Queues the sweep. One job per workspace (job key): asking again before it started replaces the
 * pending request instead of queueing a second sweep. The cut-off is fixed now, so the job erases
 * what the owner was shown, minus anyone who became active since.
 */
export async function runRetention(
  db: Database,
  ctx: WorkspaceContext,
  input: { inactive_months: number; confirm?: boolean },
) {
  validateMonths(input.inactive_months);
  if (input.confirm !== true)
    throw AppError.validation([
      { path: '/confirm', message: 'must be true: erased clients cannot be restored' },
    ]);
  return db.transaction((tx) => queueRetention(tx, ctx, input.inactive_months));
}

/** Queues one workspace's sweep with the cut-off fixed now; audited with who asked (a user or the setting). */
async function queueRetention(tx: DbOrTx, ctx: WorkspaceContext, months: number) {
  const cutoff = inactiveSince(months);
  const total = await countInactiveClients(tx, ctx.workspaceId, cutoff);
  const payload: RetentionPayload = {
    workspace_id: ctx.workspaceId,
    inactive_months: months,
    inactive_since: cutoff.toISOString(),
    requested_by: ctx.actor.label,
  };
  const job = await tx.execute<{ id: string }>(sql`
    select id::text as id from graphile_worker.add_job(
      ${RETENTION_TASK},
      ${JSON.stringify(payload)}::json,
      job_key => ${`${RETENTION_TASK}:${ctx.workspaceId}`},
      max_attempts => 5
    )`);
  const jobId = job.rows[0]!.id;
  await recordAudit(tx, ctx, {
    action: 'clients.retention_requested',
    entityType: 'workspace',
    entityId: ctx.workspaceId,
    changes: {
      inactive_months: { before: null, after: months },
      inactive_since: { before: null, after: payload.inactive_since },
      matching: { before: null, after: total },
      job_id: { before: null, after: jobId },
    },
  });
  return { job_id: jobId, inactive_months: months, inactive_since: payload.inactive_since, total };
}

/**
 * The nightly sweep: one retention job per workspace whose setting is on, with that setting's
 * months. Workspaces where nobody is due get no job (and no audit noise).
 */
export async function sweepRetentionSettings(db: Database): Promise<number> {
  let queued = 0;
  for (const { workspaceId, months } of await listRetentionSettings(db)) {
    const due = await countInactiveClients(db, workspaceId, inactiveSince(months));
    if (!due) continue;
    await db.transaction((tx) => queueRetention(tx, systemContext(workspaceId, 'retention setting'), months));
    queued++;
  }
  return queued;
}

function parsePayload(raw: unknown): RetentionPayload {
  const p = raw as Partial<RetentionPayload> | null;
  if (
    !p ||
    typeof p.workspace_id !== 'string' ||
    typeof p.inactive_since !== 'string' ||
    Number.isNaN(Date.parse(p.inactive_since))
  )
    throw new Error(`${RETENTION_TASK}: bad payload ${JSON.stringify(raw)}`);
  return {
    workspace_id: p.workspace_id,
    inactive_months: Number(p.inactive_months),
    inactive_since: p.inactive_since,
    requested_by: String(p.requested_by ?? 'unknown'),
  };
}

/**
 * Erases, batch by batch (each batch one transaction, each client a savepoint), every client
 * still inactive since the cut-off. Idempotent: a retry or a second run only finds the clients
 * not erased yet, and re-checks each one's activity under its row lock.
 */
export async function runRetentionJob(
  db: Database,
  deps: GdprDeps,
  rawPayload: unknown,
  log: Pick<JobHelpers['logger'], 'info' | 'error'> = { info: () => {}, error: () => {} },
) {
  const payload = parsePayload(rawPayload);
  const workspace = await getWorkspace(db, payload.workspace_id).catch((error) => {
    if (error instanceof AppError && error.code === 'NOT_FOUND') return null;
    throw error;
  });
  if (!workspace) return { erased: 0, skipped: 0, failed: 0 };
  const ctx = systemContext(payload.workspace_id, 'retention');
  const cutoff = new Date(payload.inactive_since);
  // Clients the query still returns but that were not erased (active again, or failing): never retried in this run.
  const passed = new Set<string>();
  let erased = 0;
  let skipped = 0;
  const failed: string[] = [];
  for (;;) {
    const batch = (await findInactiveClients(db, ctx.workspaceId, cutoff, RETENTION_BATCH + passed.size))
      .map((c) => c.id)
      .filter((id) => !passed.has(id))
      .slice(0, RETENTION_BATCH);
    if (!batch.length) break;
    await db.transaction(async (tx) => {
      for (const id of batch) {
        try {
          const done = await tx.transaction((sp) =>
            eraseClientInTransaction(sp, ctx, id, deps, { still: stillInactive(cutoff) }),
          );
          if (done) erased++;
          else {
            skipped++;
            passed.add(id);
          }
        } catch (error) {
          failed.push(id);
          passed.add(id);
          log.error(`${RETENTION_TASK}: client ${id} could not be erased: ${(error as Error).message}`);
        }
      }
    });
  }
  await recordAudit(db, ctx, {
    action: 'clients.retention_completed',
    entityType: 'workspace',
    entityId: ctx.workspaceId,
    changes: {
      inactive_months: { before: null, after: payload.inactive_months },
      inactive_since: { before: null, after: payload.inactive_since },
      erased: { before: null, after: erased },
      skipped: { before: null, after: skipped },
      failed: { before: null, after: failed.length },
    },
  });
  log.info(`${RETENTION_TASK}: erased ${erased}, skipped ${skipped}, failed ${failed.length}`);
  // Failures make the job fail, so graphile-worker retries it (with backoff) and the queue shows it.
  if (failed.length) throw new Error(`${RETENTION_TASK}: ${failed.length} clients could not be erased`);
  return { erased, skipped, failed: failed.length };
}

export function clientsGdprJobs(db: Database, deps: GdprDeps): JobDefinitions {
  const task: Task = async (payload, helpers) => {
    await runRetentionJob(db, deps, payload, helpers.logger);
  };
  const sweep: Task = async (_payload, helpers) => {
    const queued = await sweepRetentionSettings(db);
    helpers.logger.info(`${RETENTION_SWEEP_TASK}: queued ${queued} workspaces`);
  };
  return {
    tasks: { [RETENTION_TASK]: task, [RETENTION_SWEEP_TASK]: sweep },
    cron: [
      {
        task: RETENTION_SWEEP_TASK,
        match: RETENTION_SWEEP_CRON,
        identifier: RETENTION_SWEEP_TASK,
        options: { backfillPeriod: 0 },
      },
    ],
  };
}
