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
  /** Tasks queued once each time a worker process starts (recovery after a crash). */
  atWorkerStart?: string[];
}

export function mergeJobs(...parts: JobDefinitions[]): JobDefinitions {
  return {
    tasks: Object.assign({}, ...parts.map((p) => p.tasks)),
    cron: parts.flatMap((p) => p.cron),
    atWorkerStart: parts.flatMap((p) => p.atWorkerStart ?? []),
  };
}

export async function startWorker(options: {
  pool: pg.Pool;
  jobs: JobDefinitions;
  concurrency: number;
  logger: Logger;
}): Promise<Runner> {
  const runner = await run({
    pgPool: options.pool,
    taskList: options.jobs.tasks,
    parsedCronItems: parseCronItems(options.jobs.cron),
    concurrency: options.concurrency,
    noHandleSignals: true,
    pollInterval: 2000,
    logger: options.logger,
  });
  for (const task of options.jobs.atWorkerStart ?? []) await runner.addJob(task, {}, { jobKey: task });
  return runner;
}

export function createQueue(pool: pg.Pool): Promise<WorkerUtils> {
  return makeWorkerUtils({ pgPool: pool });
}
