import type pg from 'pg';
import client from 'prom-client';

/** One registry per process: HTTP latency, job queue depth, DB pool, and Node's defaults. */
export function createMetrics(pool: pg.Pool) {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'clientela_' });

  const httpDuration = new client.Histogram({
    name: 'clientela_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  new client.Gauge({
    name: 'clientela_db_pool_connections',
    help: 'PostgreSQL pool connections by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });

  new client.Gauge({
    name: 'clientela_job_queue_depth',
    help: 'Jobs waiting to run (due and not locked), by task',
    labelNames: ['task'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const result = await pool
        .query<{ task_identifier: string; n: number }>(
          `select task_identifier, count(*)::int as n from graphile_worker.jobs
           where locked_at is null and run_at <= now() and attempts < max_attempts group by 1`,
        )
        .catch(() => ({ rows: [] as { task_identifier: string; n: number }[] }));
      for (const row of result.rows) this.set({ task: row.task_identifier }, row.n);
    },
  });

  return { registry, httpDuration };
}

export type Metrics = ReturnType<typeof createMetrics>;
