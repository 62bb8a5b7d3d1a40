import type { Database } from '../../platform/db/db.ts';
import type { JobDefinitions } from '../../platform/queue/queue.ts';
import { listWorkspaceIds } from './clients.port.ts';
import { recomputeWorkspaceRisk } from './events.service.ts';

/** 03:23 UTC every night: risk grows with time even when no event arrives. */
export const RISK_CRON = '23 3 * * *';

/**
 * `events.recompute_risk` (cron) fans out one `events.recompute_risk_workspace` job per workspace
 * (job key per workspace, so a slow night never stacks two runs of one workspace); each walks its
 * workspace's clients in pages, one set-based update per page. Any number of workers share them.
 */
export function eventsJobs(db: Database): JobDefinitions {
  return {
    tasks: {
      'events.recompute_risk': async (_payload, helpers) => {
        const ids = await listWorkspaceIds(db);
        for (const workspaceId of ids) {
          await helpers.addJob(
            'events.recompute_risk_workspace',
            { workspace_id: workspaceId },
            { jobKey: `events.recompute_risk:${workspaceId}`, maxAttempts: 3 },
          );
        }
        helpers.logger.info(`risk: queued ${ids.length} workspaces`);
      },
      'events.recompute_risk_workspace': async (payload, helpers) => {
        const workspaceId = (payload as { workspace_id?: unknown } | null)?.workspace_id;
        if (typeof workspaceId !== 'string') return;
        const count = await recomputeWorkspaceRisk(db, workspaceId);
        helpers.logger.info(`risk: ${count} clients of workspace ${workspaceId} rescored`);
      },
    },
    cron: [
      {
        task: 'events.recompute_risk',
        match: RISK_CRON,
        identifier: 'events.recompute_risk',
        options: { backfillPeriod: 0 },
      },
    ],
  };
}
