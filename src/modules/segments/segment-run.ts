import { sql } from 'drizzle-orm';
import type { Database, Tx } from '../../platform/db/db.ts';
import { AppError, pgErrorCode } from '../../platform/errors.ts';

export interface RunLimits {
  /** statement_timeout of every statement of the evaluation, in milliseconds. */
  timeoutMs: number;
  /** Aborted when the caller no longer wants the answer (the HTTP client went away). */
  signal?: AbortSignal;
}

/**
 * Test-only hook: runs inside the limited transaction before the evaluation's own statements,
 * so a test can make an evaluation slow (pg_sleep, which no tree can reach) and watch the
 * timeout and the cancellation work on the real path. Never set outside tests.
 */
export const segmentTestHooks: { beforeEvaluate: ((tx: Tx) => Promise<void>) | null } = {
  beforeEvaluate: null,
};

export function segmentTimeout(timeoutMs: number): AppError {
  return new AppError(
    'SEGMENT_TIMEOUT',
    `The segment took longer than the ${timeoutMs} ms limit (SEGMENT_TIMEOUT_MS) to evaluate; simplify it or try again later`,
    [],
    { timeout_ms: timeoutMs },
  );
}

function cancelled(): AppError {
  return new AppError('UNAVAILABLE', 'The evaluation was cancelled: the caller went away');
}

/**
 * Runs `work` in one transaction whose statements may each take at most `timeoutMs`
 * (SET LOCAL statement_timeout, through set_config so the value is a parameter), so a slow tree
 * can never pile up on the database: it fails with SEGMENT_TIMEOUT naming the limit.
 *
 * Cancellation: when `signal` aborts (the dashboard superseded a preview and closed the request),
 * the running statement is cancelled with pg_cancel_backend on this transaction's backend pid.
 * The transaction does not give its connection back before the cancel request has been
 * delivered, so the signal can never hit a later, unrelated query on the same pooled connection
 * (a cancel that reaches an idle backend is ignored by PostgreSQL).
 */
export async function runLimited<T>(
  db: Database,
  limits: RunLimits,
  work: (tx: Tx) => Promise<T>,
): Promise<T> {
  const { signal } = limits;
  if (signal?.aborted) throw cancelled();
  let pid: number | null = null;
  let aborted = false;
  let cancelling: Promise<unknown> | null = null;
  const onAbort = () => {
    aborted = true;
    if (pid !== null && !cancelling)
      cancelling = db.execute(sql`select pg_cancel_backend(${pid}::int)`).catch(() => undefined);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await db.transaction(async (tx) => {
      const result = await tx.execute<{ pid: number }>(
        sql`select pg_backend_pid() as pid, set_config('statement_timeout', ${String(limits.timeoutMs)}, true)`,
      );
      pid = Number(result.rows[0]!.pid);
      try {
        if (aborted) throw cancelled();
        if (segmentTestHooks.beforeEvaluate) await segmentTestHooks.beforeEvaluate(tx);
        return await work(tx);
      } finally {
        pid = null;
        if (cancelling) await cancelling;
      }
    });
  } catch (error) {
    if (aborted) throw cancelled();
    if (pgErrorCode(error) === '57014') throw segmentTimeout(limits.timeoutMs);
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
