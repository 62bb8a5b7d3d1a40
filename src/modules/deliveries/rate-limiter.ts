import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';

/**
 * Slots are spaced by 1/rate of a second on PostgreSQL's clock. Sends only ever run late (timers
 * fire after their time, never before), so a late send followed by an on-time one could put one
 * message too many in some second: the spacing keeps a 1 % margin for that.
 */
const MARGIN = 0.99;

export interface Reservation {
  /** When the first reserved slot starts, on this process's clock (ms since the epoch). */
  firstAtMs: number;
  /** Milliseconds between two reserved slots. */
  intervalMs: number;
}

/** Sub-millisecond wall clock of this process. */
const nowMs = () => performance.timeOrigin + performance.now();

/**
 * PostgreSQL's clock minus ours. Every reservation measures it again; the sample taken over the
 * fastest round trip is the most precise (as NTP does), and one offset for the whole process keeps
 * its workers' slots in step however long each query took to come back.
 */
let clockOffset = { ms: 0, rttMs: Number.POSITIVE_INFINITY };

/**
 * Reserves `count` consecutive send slots on `key` (one provider account) at `ratePerSecond`.
 * One statement: concurrent workers serialize on the row and get disjoint slots, as absolute
 * times, so the time a reply takes to come back does not move a slot.
 */
export async function reserveSlots(
  db: DbOrTx,
  key: string,
  ratePerSecond: number,
  count = 1,
): Promise<Reservation> {
  const intervalUs = Math.ceil(1_000_000 / (ratePerSecond * MARGIN));
  const span = (intervalUs * count) / 1_000_000;
  const sentAt = nowMs();
  const result = await db.execute<{ first_us: string; db_now_us: string }>(sql`
    with now as (select clock_timestamp() as at)
    insert into rate_slots (key, next_at)
    select ${key}, now.at + make_interval(secs => ${span}) from now
    on conflict (key) do update
      set next_at = greatest(rate_slots.next_at, clock_timestamp()) + make_interval(secs => ${span})
    returning (extract(epoch from next_at) * 1000000)::bigint - ${intervalUs * count} as first_us,
              (extract(epoch from clock_timestamp()) * 1000000)::bigint as db_now_us`);
  const receivedAt = nowMs();
  const row = result.rows[0]!;
  const rttMs = receivedAt - sentAt;
  if (rttMs <= clockOffset.rttMs || rttMs < 2)
    clockOffset = { ms: Number(row.db_now_us) / 1000 - (sentAt + receivedAt) / 2, rttMs };
  return { firstAtMs: Number(row.first_us) / 1000 - clockOffset.ms, intervalMs: intervalUs / 1000 };
}

/**
 * The last real send per key in this process. A worker whose timer fired late must not be followed
 * closer than one interval by another worker's on-time slot: sends of one process keep at least
 * the interval between them, measured on the sends themselves.
 */
const lastSend = new Map<string, number>();

/**
 * Starts each send in its reserved slot. A send does not wait for the one before it to finish (an
 * SMTP or HTTP round trip would otherwise cap a lane at one message per round trip whatever the
 * rate); at most `inFlight` run at once. Resolves when every send has finished.
 */
export async function paced<T>(
  key: string,
  reservation: Reservation,
  items: readonly T[],
  send: (item: T) => Promise<void>,
  inFlight = 16,
) {
  const running = new Set<Promise<void>>();
  for (const [i, item] of items.entries()) {
    for (;;) {
      const due = Math.max(
        reservation.firstAtMs + i * reservation.intervalMs,
        (lastSend.get(key) ?? 0) + reservation.intervalMs,
      );
      const wait = due - nowMs();
      if (wait <= 0) break;
      // setTimeout may fire a fraction of a millisecond early: look again before sending.
      await new Promise((resolve) => (wait > 1 ? setTimeout(resolve, wait) : setImmediate(resolve)));
    }
    while (running.size >= inFlight) await Promise.race(running);
    lastSend.set(key, nowMs());
    const sending = send(item).finally(() => running.delete(sending));
    running.add(sending);
  }
  await Promise.all(running);
}
