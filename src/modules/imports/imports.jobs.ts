import type { Database } from '../../platform/db/db.ts';
import type { JobDefinitions } from '../../platform/queue/queue.ts';
import {
  DRY_RUN_TASK,
  IMPORT_TASK,
  type ImportDeps,
  requeueInterruptedImports,
  requeueStalledImports,
  runDryRunJob,
  runImport,
} from './imports.service.ts';

export const IMPORT_WATCHDOG_TASK = 'imports.watchdog';

/** One job per started import; a retried job (crash, restart) resumes after the last committed batch. */
export function importsJobs(db: Database, deps: ImportDeps): JobDefinitions {
  return {
    tasks: {
      [IMPORT_TASK]: async (payload) => {
        const p = payload as { workspace_id?: unknown; import_id?: unknown } | null;
        if (typeof p?.workspace_id !== 'string' || typeof p.import_id !== 'string') return;
        await runImport(db, deps, p.workspace_id, p.import_id);
      },
      [DRY_RUN_TASK]: async (payload) => {
        const p = payload as { workspace_id?: unknown; import_id?: unknown; token?: unknown } | null;
        if (
          typeof p?.workspace_id !== 'string' ||
          typeof p.import_id !== 'string' ||
          typeof p.token !== 'string'
        )
          return;
        await runDryRunJob(db, deps, p.workspace_id, p.import_id, p.token);
      },
      [IMPORT_WATCHDOG_TASK]: async () => {
        await requeueStalledImports(db);
      },
    },
    cron: [
      {
        task: IMPORT_WATCHDOG_TASK,
        match: '*/5 * * * *',
        identifier: IMPORT_WATCHDOG_TASK,
        options: { backfillPeriod: 0 },
      },
    ],
    onStart: [() => requeueInterruptedImports(db)],
  };
}
