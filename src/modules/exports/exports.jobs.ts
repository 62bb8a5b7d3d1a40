import type { Database } from '../../platform/db/db.ts';
import type { JobDefinitions } from '../../platform/queue/queue.ts';
import { EXPORT_TASK, type ExportDeps, runExport } from './exports.service.ts';

export function exportsJobs(db: Database, deps: ExportDeps): JobDefinitions {
  return {
    tasks: {
      [EXPORT_TASK]: async (payload) => {
        const p = payload as { workspace_id?: unknown; export_id?: unknown } | null;
        if (typeof p?.workspace_id !== 'string' || typeof p.export_id !== 'string') return;
        await runExport(db, deps, p.workspace_id, p.export_id);
      },
    },
    cron: [],
  };
}
