import type { Runner } from 'graphile-worker';
import { Logger as WorkerLogger } from 'graphile-worker';
import pino from 'pino';
import { createClientela } from './app.ts';
import { ensureFirstOwner, printFirstLogin } from './bootstrap.ts';
import type { Config } from './config.ts';
import { openDatabase, resolveSecretKey } from './platform/db/database.ts';
import { migrateDatabase } from './platform/db/db.ts';
import { boundHeapGrowth } from './platform/heap.ts';
import { startWorker } from './platform/queue/queue.ts';

export function createLogger(config: Config) {
  return pino({ level: config.logLevel, base: { service: 'clientela' } });
}

function workerLogger(logger: pino.Logger): WorkerLogger {
  return new WorkerLogger((scope) => (level, message, meta) => {
    const method =
      level === 'error' ? 'error' : level === 'warning' ? 'warn' : level === 'debug' ? 'debug' : 'info';
    logger[method](
      { scope: { label: scope.label, task: scope.taskIdentifier, job: scope.jobId }, ...meta },
      message,
    );
  });
}

/**
 * Stops on SIGINT/SIGTERM in order: stop taking requests and jobs, let running ones finish, close
 * the pools, then stop the embedded PostgreSQL. A second signal forces the exit.
 */
function onShutdown(logger: pino.Logger, stop: () => Promise<void>) {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal} received: shutting down`);
    stop()
      .then(() => process.exit(0))
      .catch((error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

export async function serve(config: Config, options: { worker: boolean }): Promise<void> {
  boundHeapGrowth();
  const logger = createLogger(config);
  const log = (message: string) => logger.info(message);
  const startedAt = Date.now();
  const database = await openDatabase(config, log);
  let runner: Runner | null = null;
  let app: Awaited<ReturnType<typeof createClientela>> | null = null;
  onShutdown(logger, async () => {
    await app?.http.close();
    await runner?.stop();
    await app?.close();
    await database.stop();
    logger.info('stopped');
  });
  try {
    app = await createClientela({
      config,
      databaseUrl: database.url,
      secretKey: await resolveSecretKey(config),
      logger,
    });
    await app.http.listen({ port: config.port, host: config.host });
    await migrateDatabase(database.url);
    if (options.worker) {
      runner = await startWorker({
        pool: app.dbHandle.pool,
        jobs: app.jobs,
        concurrency: config.workerConcurrency,
        logger: workerLogger(logger),
      });
    }
    app.markReady();
    const url = config.publicUrl ?? `http://localhost:${config.port}`;
    logger.info(
      `Clientela is up on ${url} in ${Date.now() - startedAt} ms (${options.worker ? 'API, worker and dashboard' : 'API and dashboard, no worker'})`,
    );
    const owner = await ensureFirstOwner(app.dbHandle.db, config.adminEmail);
    if (owner) printFirstLogin(owner, url);
  } catch (error) {
    logger.fatal({ err: error }, 'start failed');
    await app?.http.close().catch(() => undefined);
    await runner?.stop().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await database.stop().catch(() => undefined);
    process.exit(1);
  }
}

/** Workers only: for scaling out on other machines against the same DATABASE_URL. */
export async function workerOnly(config: Config): Promise<void> {
  boundHeapGrowth();
  const logger = createLogger(config);
  const database = await openDatabase(config, (m) => logger.info(m));
  await migrateDatabase(database.url);
  const app = await createClientela({
    config,
    databaseUrl: database.url,
    secretKey: await resolveSecretKey(config),
    logger: false,
    webDist: null,
  });
  const runner = await startWorker({
    pool: app.dbHandle.pool,
    jobs: app.jobs,
    concurrency: config.workerConcurrency,
    logger: workerLogger(logger),
  });
  onShutdown(logger, async () => {
    await runner.stop();
    await app.close();
    await database.stop();
  });
  logger.info(`worker running with concurrency ${config.workerConcurrency}`);
}
