import { randomUUID } from 'node:crypto';
import type pg from 'pg';

/**
 * Who holds a claim, and whether they are still alive. A lane takes a PostgreSQL session advisory
 * lock named after its run id on a connection of its own, and keeps it while it sends; claims carry
 * that id (`deliveries.claimed_by`). A process that dies (SIGKILL, power loss) loses its connection,
 * PostgreSQL releases the lock, and any other worker can tell at once that those claims are orphans
 * (`pg_try_advisory_xact_lock` succeeds on them), without waiting for a timeout.
 */
export const CLAIM_OWNER_LOCK_SPACE = 740_517;

export interface ClaimOwner {
  id: string;
  release(): Promise<void>;
}

export async function holdClaimOwner(pool: pg.Pool): Promise<ClaimOwner> {
  const id = randomUUID();
  const client = await pool.connect();
  try {
    await client.query('select pg_advisory_lock($1, hashtext($2))', [CLAIM_OWNER_LOCK_SPACE, id]);
  } catch (error) {
    client.release(error as Error);
    throw error;
  }
  return {
    id,
    async release() {
      try {
        await client.query('select pg_advisory_unlock($1, hashtext($2))', [CLAIM_OWNER_LOCK_SPACE, id]);
        client.release();
      } catch (error) {
        // A broken connection has released the lock with it.
        client.release(error as Error);
      }
    },
  };
}
