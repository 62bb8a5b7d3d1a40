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
}

export function mergeJobs(...parts: JobDefinitions[]): JobDefinitions {
  return {
    tasks: Object.assign({}, ...parts.map((p) => p.tasks)),
    cron: parts.flatMap((p) => p.cron),
  };
}

export async function startWorker(options: {
  pool: pg.Pool;
  jobs: JobDefinitions;
  concurrency: number;
  logger: Logger;
}): Promise<Runner> {
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
