import { and, eq, sql } from 'drizzle-orm';
import { systemContext, type WorkspaceContext } from '../../platform/auth/context.ts';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { AppError, type ErrorDetail } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { displayName, recordClientHistoryMany } from '../clients/clients.service.ts';
import { notifyMembers } from '../notifications/notifications.service.ts';
import { getWorkspace, listMembers } from '../workspaces/workspaces.service.ts';
import { runLimited } from './segment-run.ts';
import { type CompiledSegment, memberIdsSql } from './segment-sql.ts';
import { segmentAlertMembers, segmentAlerts, segments } from './segments.schema.ts';
import { compileSavedSegment, getSegment } from './segments.service.ts';

export const MAX_ALERT_RECIPIENTS = 50;
/** Names quoted in a notification; the rest is "and N more". */
const SAMPLE_NAMES = 3;

type AlertRow = typeof segmentAlerts.$inferSelect;

export interface AlertInput {
  user_ids: string[];
  email?: boolean;
  on_exit?: boolean;
}

function toAlertJson(row: AlertRow, tracked: number) {
  return {
    segment_id: row.segmentId,
    user_ids: row.userIds,
    email: row.email,
    on_exit: row.onExit,
    last_checked_at: iso(row.lastCheckedAt),
    members_tracked: tracked,
    created_at: iso(row.createdAt)!,
    updated_at: iso(row.updatedAt)!,
  };
}

async function findAlert(db: DbOrTx, workspaceId: string, segmentId: string) {
  const [row] = await db
    .select()
    .from(segmentAlerts)
    .where(and(eq(segmentAlerts.workspaceId, workspaceId), eq(segmentAlerts.segmentId, segmentId)));
  return row ?? null;
}

async function trackedCount(db: DbOrTx, segmentId: string): Promise<number> {
  const rows = await db.execute<{ n: number }>(
    sql`select count(*)::int as n from segment_alert_members where segment_id = ${segmentId}`,
  );
  return rows.rows[0]?.n ?? 0;
}

export async function getSegmentAlert(db: DbOrTx, ctx: WorkspaceContext, segmentId: string) {
  await getSegment(db, ctx, segmentId); // 404 for another workspace's or an unknown segment
  const row = await findAlert(db, ctx.workspaceId, segmentId);
  if (!row) throw AppError.notFound('Alert');
  return toAlertJson(row, await trackedCount(db, segmentId));
}

/**
 * The membership diff of one alerted segment, computed and applied in one statement: who is in
 * now and was not (entered), who was and is not (exited). The snapshot moves forward in the same
 * statement, so a client is reported once per entry however often the check runs.
 */
async function applyMembershipDiff(
  tx: DbOrTx,
  workspaceId: string,
  segmentId: string,
  compiled: CompiledSegment,
) {
  const rows = await tx.execute<{ direction: 'in' | 'out'; client_id: string }>(sql`
    with current_members as materialized (${memberIdsSql(compiled)}),
    entered as (
      insert into segment_alert_members (segment_id, workspace_id, client_id)
      select ${segmentId}, ${workspaceId}, client_id from current_members
      on conflict do nothing
      returning client_id
    ),
    exited as (
      delete from segment_alert_members m
      where m.segment_id = ${segmentId}
        and not exists (select 1 from current_members cm where cm.client_id = m.client_id)
      returning m.client_id
    )
    select 'in' as direction, client_id from entered
    union all
    select 'out', client_id from exited`);
  return {
    entered: rows.rows.filter((r) => r.direction === 'in').map((r) => r.client_id),
    exited: rows.rows.filter((r) => r.direction === 'out').map((r) => r.client_id),
  };
}

/**
 * Sets (or replaces) a segment's alert. Recipients must be members of the workspace. The current
 * members become the baseline, so the first notification is about clients who enter from now on.
 */
export async function setSegmentAlert(
  db: Database,
  ctx: WorkspaceContext,
  segmentId: string,
  input: AlertInput,
  options: { timeoutMs: number },
) {
  const segment = await getSegment(db, ctx, segmentId);
  if (segment.archived_at)
    throw new AppError('NOT_ALLOWED_NOW', 'An archived segment cannot have an alert; restore it first');
  const members = new Set((await listMembers(db, ctx.workspaceId)).map((m) => m.user_id));
  const problems: ErrorDetail[] = [];
  const userIds = [...new Set(input.user_ids)];
  if (!userIds.length) problems.push({ path: '/user_ids', message: 'choose at least one member to notify' });
  if (userIds.length > MAX_ALERT_RECIPIENTS)
    problems.push({ path: '/user_ids', message: `at most ${MAX_ALERT_RECIPIENTS} members` });
  input.user_ids.forEach((id, i) => {
    if (!members.has(id))
      problems.push({ path: `/user_ids/${i}`, message: 'not a member of this workspace' });
  });
  if (problems.length) throw AppError.validation(problems);

  const compiled = await compileSavedSegment(db, ctx.workspaceId, segmentId);
  return runLimited(db, { timeoutMs: options.timeoutMs }, async (tx) => {
    const before = await findAlert(tx, ctx.workspaceId, segmentId);
    const values = {
      userIds,
      email: input.email ?? false,
      onExit: input.on_exit ?? false,
      updatedAt: new Date(),
    };
    const [row] = await tx
      .insert(segmentAlerts)
      .values({
        segmentId,
        workspaceId: ctx.workspaceId,
        createdBy: ctx.actor.type === 'user' ? ctx.actor.id : null,
        lastCheckedAt: new Date(),
        ...values,
      })
      .onConflictDoUpdate({ target: segmentAlerts.segmentId, set: values })
      .returning();
    if (!before) await applyMembershipDiff(tx, ctx.workspaceId, segmentId, compiled);
    await recordAudit(tx, ctx, {
      action: before ? 'segment.alert_updated' : 'segment.alert_created',
      entityType: 'segment',
      entityId: segmentId,
      changes: {
        alert_user_ids: { before: before?.userIds ?? null, after: row!.userIds },
        alert_email: { before: before?.email ?? null, after: row!.email },
        alert_on_exit: { before: before?.onExit ?? null, after: row!.onExit },
      },
    });
    return toAlertJson(row!, await trackedCount(tx, segmentId));
  });
}

export async function deleteSegmentAlert(db: Database, ctx: WorkspaceContext, segmentId: string) {
  await getSegment(db, ctx, segmentId);
  await db.transaction(async (tx) => {
    const before = await findAlert(tx, ctx.workspaceId, segmentId);
    if (!before) throw AppError.notFound('Alert');
    await tx.delete(segmentAlerts).where(eq(segmentAlerts.segmentId, segmentId));
    await tx.delete(segmentAlertMembers).where(eq(segmentAlertMembers.segmentId, segmentId));
    await recordAudit(tx, ctx, {
      action: 'segment.alert_deleted',
      entityType: 'segment',
      entityId: segmentId,
      changes: { alert_user_ids: { before: before.userIds, after: null } },
    });
  });
}

// ---- the check (after each hourly count) ------------------------------------------------------------

const PHRASES = {
  en: {
    entered: (n: number, name: string) => `${n} ${n === 1 ? 'client' : 'clients'} entered “${name}”`,
    exited: (n: number, name: string) => `${n} ${n === 1 ? 'client' : 'clients'} left “${name}”`,
    more: (n: number) => `and ${n} more`,
  },
  es: {
    entered: (n: number, name: string) =>
      `${n} ${n === 1 ? 'cliente entró' : 'clientes entraron'} en «${name}»`,
    exited: (n: number, name: string) =>
      `${n} ${n === 1 ? 'cliente salió' : 'clientes salieron'} de «${name}»`,
    more: (n: number) => `y ${n} más`,
  },
  fr: {
    entered: (n: number, name: string) =>
      `${n} ${n === 1 ? 'client est entré' : 'clients sont entrés'} dans « ${name} »`,
    exited: (n: number, name: string) =>
      `${n} ${n === 1 ? 'client a quitté' : 'clients ont quitté'} « ${name} »`,
    more: (n: number) => `et ${n} de plus`,
  },
} as const;

async function sampleNames(db: DbOrTx, workspaceId: string, ids: string[]): Promise<string[]> {
  if (!ids.length) return [];
  const rows = await db.execute<{
    first_name: string | null;
    last_name: string | null;
    email: string | null;
    phone: string | null;
    external_id: string | null;
  }>(sql`select first_name, last_name, email, phone, external_id from clients
         where workspace_id = ${workspaceId} and id = any(${sql.param(ids.slice(0, SAMPLE_NAMES))}::uuid[])`);
  return rows.rows.map((r) =>
    displayName({
      firstName: r.first_name,
      lastName: r.last_name,
      email: r.email,
      phone: r.phone,
      externalId: r.external_id,
    }),
  );
}

/**
 * Checks every alert of a workspace: applies each segment's membership diff, writes the entries
 * (and exits) on the clients' timelines, and notifies the chosen members. A segment that fails
 * (invalid tree, timeout) is reported and skipped; the others still run.
 */
export async function checkSegmentAlerts(
  db: Database,
  workspaceId: string,
  options: { timeoutMs: number; mailConfigured: boolean; now?: Date },
): Promise<{
  checked: number;
  entered: number;
  exited: number;
  failed: Array<{ id: string; error: string }>;
}> {
  const alerts = await db
    .select({ alert: segmentAlerts, name: segments.name, archivedAt: segments.archivedAt })
    .from(segmentAlerts)
    .innerJoin(segments, eq(segments.id, segmentAlerts.segmentId))
    .where(eq(segmentAlerts.workspaceId, workspaceId));
  if (!alerts.length) return { checked: 0, entered: 0, exited: 0, failed: [] };
  const workspace = await getWorkspace(db, workspaceId);
  const phrases = PHRASES[(workspace.defaultLocale as keyof typeof PHRASES) ?? 'en'] ?? PHRASES.en;
  const ctx = systemContext(workspaceId, 'segment alert');
  const totals = { checked: 0, entered: 0, exited: 0, failed: [] as Array<{ id: string; error: string }> };
  for (const { alert, name, archivedAt } of alerts) {
    if (archivedAt) continue;
    try {
      const compiled = await compileSavedSegment(db, workspaceId, alert.segmentId, options.now);
      await runLimited(db, { timeoutMs: options.timeoutMs }, async (tx) => {
        const diff = await applyMembershipDiff(tx, workspaceId, alert.segmentId, compiled);
        const history = [
          ...diff.entered.map((clientId) => ({
            clientId,
            kind: 'segment_entered',
            data: { segment_id: alert.segmentId, segment_name: name },
          })),
          ...(alert.onExit ? diff.exited : []).map((clientId) => ({
            clientId,
            kind: 'segment_exited',
            data: { segment_id: alert.segmentId, segment_name: name },
          })),
        ];
        await recordClientHistoryMany(tx, ctx, history);
        const report = async (ids: string[], title: string, direction: 'entered' | 'exited') => {
          if (!ids.length) return;
          const names = await sampleNames(tx, workspaceId, ids);
          const rest = ids.length - names.length;
          await notifyMembers(
            tx,
            workspaceId,
            alert.userIds,
            {
              kind: 'segment_alert',
              title,
              body: [names.join(', '), rest > 0 ? phrases.more(rest) : ''].filter(Boolean).join(' '),
              link: `/segments/${alert.segmentId}`,
              data: {
                segment_id: alert.segmentId,
                direction,
                count: ids.length,
                client_ids: ids.slice(0, 100),
              },
            },
            { email: alert.email, mailConfigured: options.mailConfigured },
          );
        };
        await report(diff.entered, phrases.entered(diff.entered.length, name), 'entered');
        if (alert.onExit) await report(diff.exited, phrases.exited(diff.exited.length, name), 'exited');
        await tx
          .update(segmentAlerts)
          .set({ lastCheckedAt: options.now ?? new Date() })
          .where(eq(segmentAlerts.segmentId, alert.segmentId));
        totals.entered += diff.entered.length;
        totals.exited += diff.exited.length;
      });
      totals.checked += 1;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      totals.failed.push({ id: alert.segmentId, error: error.code });
    }
  }
  return totals;
}
