import { randomFillSync } from 'node:crypto';

/** A well-formed UUID (any version): an id from a path or a body is tested before it reaches SQL. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Time-ordered UUIDs (version 7, RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter
 * that keeps ids made in the same millisecond in order, then 62 random bits. Bulk writes use them
 * for new rows so every index on the id (and on foreign keys to it) grows at its right edge
 * instead of touching a random page per row, which is what makes a million random UUIDs slow to
 * insert once the indexes no longer fit in memory. Still unguessable: 62 bits are random.
 */
let lastMs = 0;
let counter = 0;
const pool = Buffer.alloc(8 * 4096);
let poolAt = pool.length;

export function timeOrderedUuid(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    ms = lastMs;
    counter++;
    if (counter > 0xfff) {
      // 4,096 ids in one millisecond: borrow the next one (ids stay ordered and unique).
      ms = ++lastMs;
      counter = 0;
    }
  } else {
    lastMs = ms;
    counter = 0;
  }
  if (poolAt + 8 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const random = pool.subarray(poolAt, poolAt + 8);
  poolAt += 8;
  const hex = ms.toString(16).padStart(12, '0');
  const randA = (0x7000 | counter).toString(16);
  const variant = ((random[0]! & 0x3f) | 0x80).toString(16).padStart(2, '0');
  const rest = random.subarray(1).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${randA}-${variant}${rest.slice(0, 2)}-${rest.slice(2, 14)}`;
}
