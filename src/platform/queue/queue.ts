import {
  type CronItem,
  type Logger,
  makeWorkerUtils,
  parseCronItems,
  type Runner,
  run,
  type TaskList,
  type WorkerUtils,
} from 'graphile-worker';
import type pg from 'pg';

/**
 * Jobs live in PostgreSQL (graphile-worker): any number of worker processes on any number of
 * machines share one queue through LISTEN/NOTIFY and SKIP LOCKED. Modules contribute tasks and
 * cron items; the composition root hands them all to one runner per process.
 */
export interface JobDefinitions {
  tasks: TaskList;
  cron: CronItem[];
  /**
   * Run once when a worker starts: a module queues again the work a killed process left behind
   * (its job stays locked by the dead worker for hours otherwise).
   */
  onStart?: Array<() => Promise<unknown>>;
}

export function mergeJobs(...parts: JobDefinitions[]): JobDefinitions {
  return {
    tasks: Object.assign({}, ...parts.map((p) => p.tasks)),
    cron: parts.flatMap((p) => p.cron),
    onStart: parts.flatMap((p) => p.onStart ?? []),
  };
}

/** The modules' start-up recoveries, one after the other; one failing is logged, not fatal. */
export async function runStartupRecoveries(jobs: JobDefinitions, logger: Logger): Promise<void> {
  for (const recover of jobs.onStart ?? [])
    await recover().catch((error: unknown) =>
      logger.error(`start-up recovery failed: ${error instanceof Error ? error.message : String(error)}`),
    );
}

export async function startWorker(options: {
  pool: pg.Pool;
  jobs: JobDefinitions;
  concurrency: number;
  logger: Logger;
}): Promise<Runner> {
  await runStartupRecoveries(options.jobs, options.logger);
  return run({
    pgPool: options.pool,
    taskList: options.jobs.tasks,
    parsedCronItems: parseCronItems(options.jobs.cron),
    concurrency: options.concurrency,
    noHandleSignals: true,
    pollInterval: 2000,
    logger: options.logger,
  });
}

export function createQueue(pool: pg.Pool): Promise<WorkerUtils> {
  return makeWorkerUtils({ pgPool: pool });
}
