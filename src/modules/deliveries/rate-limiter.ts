import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';

/**
 * Slots are spaced by 1/rate of a second on PostgreSQL's clock. Sends only ever run late (timers
 * fire after their time, never before), so a late send followed by an on-time one could put one
 * message too many in some second: the spacing keeps a 1.5 % margin for that (1 % was too little
 * for three processes on a loaded CI machine: 51 in one second once).
 */
const MARGIN = 0.985;

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
 * How late a send may start after its slot. Slots are 1/(rate·MARGIN) apart, so a one-second window
 * holds at most ⌊(1000 + late)·MARGIN·rate/1000⌋ + 1 slots' sends: that stays ≤ rate as long as
 * `late` < 1000/MARGIN − 1000 ≈ 15.2 ms. 80 % of it leaves room for the clock offset's error. A send later
 * than that does not use its slot (a late send followed by another process's on-time one could
 * crowd a second) and takes a fresh one: the shared slots alone keep every process in the rate.
 */
export const LATE_TOLERANCE_MS = (1000 / MARGIN - 1000) * 0.8;

/** The tolerance less this process's uncertainty about PostgreSQL's clock (half its best round trip). */
const lateTolerance = () =>
  Math.max(1, Math.min(LATE_TOLERANCE_MS, 1000 / MARGIN - 1000 - clockOffset.rttMs / 2 - 1));

/**
 * Starts each send in a reserved slot of the account's rate shared through PostgreSQL. A send does
 * not wait for the one before it to finish (an SMTP or HTTP round trip would otherwise cap a lane at
 * one message per round trip whatever the rate); at most `inFlight` run at once. A send that would
 * start more than `LATE_TOLERANCE_MS` after its slot (a busy event loop, `inFlight` reached) gives
 * the slot up and reserves a new one. Resolves when every send has finished.
 */
export async function paced<T>(
  db: DbOrTx,
  key: string,
  ratePerSecond: number,
  items: readonly T[],
  send: (item: T) => Promise<void>,
  options: {
    inFlight?: number;
    /** True once the caller wants no more sends: the waiting ones are handed to `send` at once (to be set aside). */
    stopped?: () => boolean;
  } = {},
) {
  const inFlight = options.inFlight ?? 16;
  const stopped = options.stopped ?? (() => false);
  const reservation = await reserveSlots(db, key, ratePerSecond, items.length);
  let active = 0;
  const queue: Array<() => void> = [];
  const acquire = async () => {
    while (active >= inFlight) await new Promise<void>((resolve) => queue.push(resolve));
    active++;
  };
  const release = () => {
    active--;
    queue.shift()?.();
  };
  const until = async (due: number) => {
    for (;;) {
      const wait = due - nowMs();
      if (wait <= 0 || stopped()) return;
      // setTimeout may fire a fraction of a millisecond early: look again before sending. At most
      // 100 ms at a time, so that a stop is noticed.
      await new Promise((resolve) =>
        wait > 1 ? setTimeout(resolve, Math.min(wait, 100)) : setImmediate(resolve),
      );
    }
  };
  await Promise.all(
    items.map(async (item, i) => {
      let due = reservation.firstAtMs + i * reservation.intervalMs;
      for (;;) {
        await until(due);
        await acquire();
        if (nowMs() - due <= lateTolerance() || stopped()) break;
        release();
        due = (await reserveSlots(db, key, ratePerSecond, 1)).firstAtMs;
      }
      try {
        await send(item);
      } finally {
        release();
      }
    }),
  );
}
