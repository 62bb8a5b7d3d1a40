import type { Database } from '../../platform/db/db.ts';
import type { JobDefinitions } from '../../platform/queue/queue.ts';
import { listWorkspaceIds } from '../workspaces/workspaces.service.ts';
import { EVENT_WINDOWS_TASK, refreshEventWindows } from './event-windows.ts';
import { checkSegmentAlerts } from './segments.alerts.ts';
import { countWorkspaceSegments } from './segments.service.ts';

/**
 * `segments.count` (cron, SEGMENT_COUNT_CRON, hourly by default) fans out one
 * `segments.count_workspace` job per workspace (job key per workspace, so a slow hour never stacks
 * two runs of one workspace). Each gives the workspace its presets if it has none yet, refreshes
 * the computed presets, then counts every live saved segment under the evaluation time limit and
 * appends the figure to its history (the sparkline); then it checks the workspace's segment alerts.
 * Before counting it refreshes the workspace's kept event windows older than 50 minutes, so the
 * counts read them fresh; `segments.event_windows` builds windows a tree just asked for.
 */
const WINDOW_MAX_AGE_MS = 50 * 60_000;

export function segmentsJobs(
  db: Database,
  options: { cron: string; timeoutMs: number; mailConfigured: boolean },
): JobDefinitions {
  return {
    tasks: {
      'segments.count': async (_payload, helpers) => {
        const ids = await listWorkspaceIds(db);
        for (const workspaceId of ids) {
          await helpers.addJob(
            'segments.count_workspace',
            { workspace_id: workspaceId },
            { jobKey: `segments.count:${workspaceId}`, maxAttempts: 2 },
          );
        }
        helpers.logger.info(`segments: queued counts of ${ids.length} workspaces`);
      },
      [EVENT_WINDOWS_TASK]: async (payload, helpers) => {
        const workspaceId = (payload as { workspace_id?: unknown } | null)?.workspace_id;
        if (typeof workspaceId !== 'string') return;
        const started = Date.now();
        const { types } = await refreshEventWindows(db, workspaceId, { maxAgeMs: WINDOW_MAX_AGE_MS });
        if (types.length)
          helpers.logger.info(
            `segments: event windows of ${types.join(', ')} built for ${workspaceId} in ${Date.now() - started} ms`,
          );
      },
      'segments.count_workspace': async (payload, helpers) => {
        const workspaceId = (payload as { workspace_id?: unknown } | null)?.workspace_id;
        if (typeof workspaceId !== 'string') return;
        await refreshEventWindows(db, workspaceId, { maxAgeMs: WINDOW_MAX_AGE_MS });
        const result = await countWorkspaceSegments(db, workspaceId, { timeoutMs: options.timeoutMs });
        for (const failure of result.failed)
          helpers.logger.warn(
            `segments: segment ${failure.id} of ${workspaceId} not counted (${failure.error})`,
          );
        helpers.logger.info(`segments: ${result.counted} segments of workspace ${workspaceId} counted`);
        // Alerts right after the counts: the same hourly rhythm, one diff per alerted segment.
        const alerts = await checkSegmentAlerts(db, workspaceId, options);
        for (const failure of alerts.failed)
          helpers.logger.warn(`segments: alert of ${failure.id} not checked (${failure.error})`);
        if (alerts.checked)
          helpers.logger.info(
            `segments: ${alerts.checked} alerts checked, ${alerts.entered} entries, ${alerts.exited} exits`,
          );
      },
    },
    cron: [
      {
        task: 'segments.count',
        match: options.cron,
        identifier: 'segments.count',
        options: { backfillPeriod: 0 },
      },
    ],
  };
}
