/**
 * A real worker process for crash tests: the product's jobs on the given database, nothing else.
 *   fork('bin/run-ts.mjs', ['test/support/worker-process.ts'], { env: { TEST_DATABASE_URL, TEST_SECRET_KEY } })
 * Sends { loaded: true } over IPC once the product is loaded, then waits for { start: true } (a test
 * keeps loaded workers in reserve: loading takes seconds, starting milliseconds), then sends
 * { ready: true } once its runner is polling.
 */
import { createClientela } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { silentWorkerLogger } from '../../src/platform/db/db.ts';
import { startWorker } from '../../src/platform/queue/queue.ts';

const databaseUrl = process.env.TEST_DATABASE_URL;
const secretKey = process.env.TEST_SECRET_KEY;
if (!databaseUrl || !secretKey) throw new Error('TEST_DATABASE_URL and TEST_SECRET_KEY are needed');
const app = await createClientela({
  config: loadConfig({
    CLIENTELA_DATA_DIR: '/nonexistent',
    LOG_LEVEL: 'silent',
    // A crash test takes a small audience's snapshot in two parts, as a large one's.
    SNAPSHOT_SPLIT_FROM: process.env.TEST_SNAPSHOT_SPLIT_FROM,
  }),
  databaseUrl,
  secretKey,
  logger: false,
  webDist: null,
});
process.send?.({ loaded: true });
await new Promise<void>((resolve) =>
  process.on('message', (message: { start?: boolean }) => {
    if (message.start) resolve();
  }),
);
const runner = await startWorker({
  pool: app.dbHandle.pool,
  jobs: app.jobs,
  concurrency: Number(process.env.TEST_WORKER_CONCURRENCY ?? 4),
  logger: silentWorkerLogger(),
});
process.send?.({ ready: true });
process.on('SIGTERM', async () => {
  await runner.stop();
  await app.close();
  process.exit(0);
});
