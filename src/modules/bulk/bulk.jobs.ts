import type { Database } from '../../platform/db/db.ts';
import type { JobDefinitions } from '../../platform/queue/queue.ts';
import { BULK_TASK, runBulkAction } from './bulk.service.ts';

export function bulkJobs(db: Database): JobDefinitions {
  return {
    tasks: {
      [BULK_TASK]: async (payload) => {
        const p = payload as { workspace_id?: unknown; bulk_action_id?: unknown } | null;
        if (typeof p?.workspace_id !== 'string' || typeof p.bulk_action_id !== 'string') return;
        await runBulkAction(db, p.workspace_id, p.bulk_action_id);
      },
    },
    cron: [],
  };
}
