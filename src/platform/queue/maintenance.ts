import { sql } from 'drizzle-orm';
import { purgeOldSignInFailures } from '../auth/login-limiter.ts';
import type { Database } from '../db/db.ts';
import type { JobDefinitions } from './queue.ts';

/** Housekeeping that keeps auth tables small: old sign-in failures, expired sessions and tokens. */
export function maintenanceJobs(db: Database, cron: string): JobDefinitions {
  return {
    tasks: {
      'platform.maintenance': async (_payload, helpers) => {
        const failures = await purgeOldSignInFailures(db);
        const sessions = await db.execute(sql`delete from sessions where expires_at < now()`);
        const verifications = await db.execute(sql`delete from verifications where expires_at < now()`);
        helpers.logger.info(
          `maintenance: purged ${failures} sign-in failures, ${sessions.rowCount} sessions, ${verifications.rowCount} verifications`,
        );
      },
    },
    cron: [
      {
        task: 'platform.maintenance',
        match: cron,
        identifier: 'platform.maintenance',
        options: { backfillPeriod: 0 },
      },
    ],
  };
}
