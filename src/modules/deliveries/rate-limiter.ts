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
 * How late a send may start after its slot. Slots are 1/(rate·MARGIN) apart, so the 1st and the
 * (rate+1)th of any rate+1 consecutive slots are 1000/MARGIN ≈ 1015.2 ms apart: a one-second window
 * can hold rate+1 sends only when the earlier one ran more than 15.2 ms late (sends never run early).
 * Half of that margin goes to the sender's lateness; the other half is left to what happens between
 * the start of a send and its arrival at the provider (the request's way through the HTTP client,
 * the loopback, the provider's own loop) and to the clock offset's error. A send later than this
 * does not use its slot (a late send followed by another process's on-time one could crowd a
 * second): it goes into a fresh slot, so every process stays in the rate through the shared slots
 * alone.
 */
export const LATE_TOLERANCE_MS = (1000 / MARGIN - 1000) * 0.5;

/** The tolerance less this process's uncertainty about PostgreSQL's clock (half its best round trip). */
const lateTolerance = () =>
  Math.max(1, Math.min(LATE_TOLERANCE_MS, 1000 / MARGIN - 1000 - clockOffset.rttMs / 2 - 1));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves at `due` (this process's wall clock), a fraction of a millisecond after it at best: a
 * timer to about a millisecond before (timers count whole milliseconds from the event loop's cached
 * time, so they can fire early or late by about one), then `setImmediate` turns, which let I/O run,
 * until the time has come. At most 100 ms per timer, so that a stop is noticed.
 */
async function until(due: number, stopped: () => boolean) {
  for (;;) {
    const wait = due - nowMs();
    if (wait <= 0 || stopped()) return;
    if (wait > 1.5) await sleep(Math.min(wait - 1, 100));
    else await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Starts each send in a reserved slot of the account's rate shared through PostgreSQL. The slots of
 * all the items are reserved in one statement, then one loop starts the sends in order, each at its
 * slot with a precise timer (one timer at a time, not one per item). A send does not wait for the
 * one before it to finish (an SMTP or HTTP round trip would otherwise cap a lane at one message per
 * round trip whatever the rate); at most `inFlight` run at once. A send that could not start within
 * `LATE_TOLERANCE_MS` of its slot (a busy event loop, `inFlight` reached) is set aside and the loop
 * goes on with the next slots; the late ones get fresh slots together at the end (so one late send
 * does not make the next ones late waiting for a reservation). Resolves when every send has finished.
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
  const started: Array<Promise<void>> = [];
  let active = 0;
  const start = (item: T) => {
    active++;
    started.push(send(item).finally(() => active--));
  };
  let pending = [...items];
  try {
    while (pending.length) {
      const reservation = await reserveSlots(db, key, ratePerSecond, pending.length);
      const late: T[] = [];
      for (const [i, item] of pending.entries()) {
        const due = reservation.firstAtMs + i * reservation.intervalMs;
        await until(due, stopped);
        if (stopped()) start(item);
        else if (active < inFlight && nowMs() - due <= lateTolerance()) start(item);
        else late.push(item);
      }
      pending = late;
    }
  } finally {
    // Every started send is awaited, whatever happened to the loop (a failed reservation).
    await Promise.allSettled(started);
  }
  // A send that threw: its error is the caller's (all have finished by now).
  await Promise.all(started);
}
