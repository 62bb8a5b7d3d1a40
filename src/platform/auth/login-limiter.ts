import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../db/db.ts';
import { normalizeEmail } from './users.ts';

/** More than this many failed sign-ins in the last minute, for one account or one IP, answers 429. */
export const MAX_FAILURES_PER_MINUTE = 10;

function keysFor(email: string | null, ip: string | null): string[] {
  const keys: string[] = [];
  if (email) keys.push(`email:${normalizeEmail(email)}`);
  if (ip) keys.push(`ip:${ip}`);
  return keys;
}

export async function isSignInBlocked(db: DbOrTx, email: string | null, ip: string | null): Promise<boolean> {
  const keys = keysFor(email, ip);
  if (!keys.length) return false;
  const result = await db.execute<{ n: number }>(sql`
    select count(*)::int as n from auth_failures
    where key in (${sql.join(
      keys.map((k) => sql`${k}`),
      sql`, `,
    )}) and at > now() - interval '1 minute'
    group by key order by n desc limit 1`);
  return (result.rows[0]?.n ?? 0) >= MAX_FAILURES_PER_MINUTE;
}

export async function recordSignInFailure(
  db: DbOrTx,
  email: string | null,
  ip: string | null,
): Promise<void> {
  const keys = keysFor(email, ip);
  if (!keys.length) return;
  await db.execute(
    sql`insert into auth_failures (key) values ${sql.join(
      keys.map((k) => sql`(${k})`),
      sql`, `,
    )}`,
  );
}

export async function purgeOldSignInFailures(db: DbOrTx): Promise<number> {
  const result = await db.execute(sql`delete from auth_failures where at < now() - interval '1 hour'`);
  return result.rowCount ?? 0;
}
