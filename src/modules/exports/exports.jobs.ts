import type { Database } from '../../platform/db/db.ts';
import type { JobDefinitions } from '../../platform/queue/queue.ts';
import { runDueSchedules, SCHEDULE_TASK } from './exports.schedules.ts';
import {
  EXPORT_TASK,
  type ExportDeps,
  removeExpiredExportFiles,
  requeueInterruptedExports,
  runExport,
} from './exports.service.ts';

export function exportsJobs(db: Database, deps: ExportDeps): JobDefinitions {
  return {
    tasks: {
      [EXPORT_TASK]: async (payload) => {
        const p = payload as { workspace_id?: unknown; export_id?: unknown } | null;
        if (typeof p?.workspace_id !== 'string' || typeof p.export_id !== 'string') return;
        await runExport(db, deps, p.workspace_id, p.export_id);
      },
      [SCHEDULE_TASK]: async () => {
        await runDueSchedules(db, deps);
        await removeExpiredExportFiles(db);
      },
    },
    // Hourly, a few minutes past: schedules are set to whole hours of the workspace's time zone.
    cron: [
      { task: SCHEDULE_TASK, match: '3 * * * *', identifier: SCHEDULE_TASK, options: { backfillPeriod: 0 } },
    ],
    onStart: [() => requeueInterruptedExports(db)],
  };
}
