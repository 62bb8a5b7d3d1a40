import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Actor, WorkspaceContext } from '../../platform/auth/context.ts';
import type { Role } from '../../platform/auth/roles.ts';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { UUID } from '../../platform/db/ids.ts';
import { AppError } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { getWorkspace } from '../workspaces/workspaces.service.ts';
import { exportSchedules, exports } from './exports.schema.ts';
import {
  createExport,
  type ExportDeps,
  type ExportInput,
  toExportJson,
  validateExportInput,
} from './exports.service.ts';

export const SCHEDULE_TASK = 'exports.schedules';
export const FREQUENCIES = ['daily', 'weekly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];
const PAST_FILES = 10;

type ScheduleRow = typeof exportSchedules.$inferSelect;

export interface ScheduleInput extends ExportInput {
  name: string;
  frequency: Frequency;
  /** 0 = Sunday … 6 = Saturday; weekly only. */
  weekday?: number;
  /** Hour of the day in the workspace's time zone. */
  hour: number;
}

/** The workspace-local wall time of an instant: what "every Monday at 7" is compared with. */
function localParts(at: Date, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    weekday: 'short',
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    hour: Number(get('hour')),
    weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday')),
  };
}

/**
 * The next whole hour after `after` that matches the schedule in the workspace's time zone (hour by
 * hour, at most 8 days ahead: exact across daylight-saving changes without date arithmetic).
 */
export function nextRunAfter(
  after: Date,
  schedule: { frequency: string; weekday: number | null; hour: number },
  timeZone: string,
): Date {
  const start = new Date(after);
  start.setUTCMinutes(0, 0, 0);
  for (let h = 1; h <= 24 * 8; h++) {
    const candidate = new Date(start.getTime() + h * 3_600_000);
    const local = localParts(candidate, timeZone);
    if (local.hour !== schedule.hour) continue;
    if (schedule.frequency === 'weekly' && local.weekday !== schedule.weekday) continue;
    return candidate;
  }
  throw new Error('no next run found');
}

export function toScheduleJson(row: ScheduleRow, files: Array<ReturnType<typeof toExportJson>> = []) {
  return {
    id: row.id,
    name: row.name,
    frequency: row.frequency as Frequency,
    weekday: row.weekday,
    hour: row.hour,
    selection: row.selection,
    fields: row.fields,
    format: row.format,
    options: row.options,
    created_by: row.createdByLabel,
    created_at: iso(row.createdAt),
    last_run_at: iso(row.lastRunAt),
    next_run_at: iso(row.nextRunAt),
    past_files: files,
  };
}

async function findSchedule(db: DbOrTx, workspaceId: string, id: string) {
  const [row] = UUID.test(id)
    ? await db
        .select()
        .from(exportSchedules)
        .where(and(eq(exportSchedules.workspaceId, workspaceId), eq(exportSchedules.id, id)))
    : [];
  if (!row) throw AppError.notFound('Export schedule');
  return row;
}

export async function createSchedule(
  db: Database,
  deps: ExportDeps,
  ctx: WorkspaceContext,
  input: ScheduleInput,
) {
  const problems = [];
  if (!input.name?.trim()) problems.push({ path: '/name', message: 'is required' });
  if (!Number.isInteger(input.hour) || input.hour < 0 || input.hour > 23)
    problems.push({ path: '/hour', message: 'an hour from 0 to 23 (workspace time zone)' });
  if (
    input.frequency === 'weekly' &&
    !(Number.isInteger(input.weekday) && input.weekday! >= 0 && input.weekday! <= 6)
  )
    problems.push({ path: '/weekday', message: 'a weekly export needs a weekday, 0 (Sunday) to 6' });
  if (problems.length) throw AppError.validation(problems);
  const { fields } = await validateExportInput(db, ctx, input);
  const workspace = await getWorkspace(db, ctx.workspaceId);
  const weekday = input.frequency === 'weekly' ? input.weekday! : null;
  const nextRunAt = nextRunAfter(
    new Date(),
    { frequency: input.frequency, weekday, hour: input.hour },
    workspace.defaultTimezone,
  );
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(exportSchedules)
      .values({
        workspaceId: ctx.workspaceId,
        name: input.name.trim().slice(0, 200),
        frequency: input.frequency,
        weekday,
        hour: input.hour,
        selection: input.selection as Record<string, unknown>,
        fields,
        format: input.format,
        options: { delimiter: input.csv_delimiter ?? ',', bom: input.bom ?? false },
        actor: { ...ctx.actor, role: ctx.role },
        createdByLabel: ctx.actor.label,
        nextRunAt,
      })
      .returning();
    await recordAudit(tx, ctx, {
      action: 'export_schedule.created',
      entityType: 'export_schedule',
      entityId: row!.id,
      changes: {
        frequency: { before: null, after: input.frequency },
        selection: { before: null, after: input.selection },
        fields: { before: null, after: fields },
        format: { before: null, after: input.format },
      },
    });
    void deps;
    return toScheduleJson(row!);
  });
}

async function pastFiles(db: DbOrTx, deps: ExportDeps, scheduleIds: string[]) {
  const byId = new Map<string, Array<ReturnType<typeof toExportJson>>>();
  if (!scheduleIds.length) return byId;
  const rows = await db
    .select()
    .from(exports)
    .where(inArray(exports.scheduleId, scheduleIds))
    .orderBy(desc(exports.createdAt));
  for (const row of rows) {
    const list = byId.get(row.scheduleId!) ?? [];
    if (list.length < PAST_FILES) list.push(toExportJson(row, deps));
    byId.set(row.scheduleId!, list);
  }
  return byId;
}

export async function listSchedules(db: DbOrTx, deps: ExportDeps, workspaceId: string) {
  const rows = await db
    .select()
    .from(exportSchedules)
    .where(eq(exportSchedules.workspaceId, workspaceId))
    .orderBy(desc(exportSchedules.createdAt));
  const files = await pastFiles(
    db,
    deps,
    rows.map((r) => r.id),
  );
  return { schedules: rows.map((r) => toScheduleJson(r, files.get(r.id) ?? [])) };
}

export async function getSchedule(db: DbOrTx, deps: ExportDeps, workspaceId: string, id: string) {
  const row = await findSchedule(db, workspaceId, id);
  return toScheduleJson(row, (await pastFiles(db, deps, [row.id])).get(row.id) ?? []);
}

export async function deleteSchedule(db: Database, ctx: WorkspaceContext, id: string) {
  await db.transaction(async (tx) => {
    const row = await findSchedule(tx, ctx.workspaceId, id);
    await tx.delete(exportSchedules).where(eq(exportSchedules.id, row.id));
    await recordAudit(tx, ctx, {
      action: 'export_schedule.deleted',
      entityType: 'export_schedule',
      entityId: id,
      changes: { name: { before: row.name, after: null } },
    });
  });
}

/**
 * The hourly job: every schedule whose time has come queues one export (as the person who
 * scheduled it) and moves to its next time. Claimed with SKIP LOCKED, so two workers never run one twice.
 */
export async function runDueSchedules(db: Database, deps: ExportDeps, now = new Date()): Promise<number> {
  let ran = 0;
  for (;;) {
    const done = await db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(exportSchedules)
        .where(sql`${exportSchedules.nextRunAt} <= ${now.toISOString()}::timestamptz`)
        .orderBy(exportSchedules.nextRunAt)
        .limit(1)
        .for('update', { skipLocked: true });
      if (!row) return false;
      const actor = row.actor as unknown as Actor & { role: Role };
      const ctx: WorkspaceContext = {
        workspaceId: row.workspaceId,
        role: actor.role,
        actor: { type: actor.type, id: actor.id, label: actor.label } as Actor,
        ip: null,
        requestId: null,
      };
      const workspace = await getWorkspace(tx, row.workspaceId);
      try {
        await createExport(
          tx as unknown as Database,
          deps,
          ctx,
          {
            selection: row.selection as ExportInput['selection'],
            fields: row.fields,
            format: row.format as ExportInput['format'],
            csv_delimiter: (row.options.delimiter as ',' | ';') ?? ',',
            bom: row.options.bom === true,
          },
          { scheduleId: row.id },
        );
      } catch (error) {
        // A selection that stopped being valid (a deleted segment) skips this run; the next one retries.
        if (!(error instanceof AppError)) throw error;
      }
      await tx
        .update(exportSchedules)
        .set({ lastRunAt: now, nextRunAt: nextRunAfter(now, row, workspace.defaultTimezone) })
        .where(eq(exportSchedules.id, row.id));
      return true;
    });
    if (!done) return ran;
    ran++;
  }
}
