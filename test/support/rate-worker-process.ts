/**
 * One sender process for the shared rate limiter's cross-process test: sends (records the time of)
 * batches through `paced` on `key` at `rate` for `ms`, then reports every send time over IPC.
 *   fork('bin/run-ts.mjs', ['test/support/rate-worker-process.ts', url, key, rate, ms, startAt])
 */
import { paced } from '../../src/modules/deliveries/rate-limiter.ts';
import { createDb } from '../../src/platform/db/db.ts';

const [url, key, rate, ms, startAt] = process.argv.slice(2);
const handle = createDb(url!, { max: 2 });
const sentAt: number[] = [];
const wall = () => performance.timeOrigin + performance.now();
// Every process starts at the same instant, so they contend from the first send.
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
const until = wall() + Number(ms);
while (wall() < until) {
  // Batches of 10, as a lane's claimed batch; each send "takes" 5 ms like a fast provider.
  await paced(handle.db, key!, Number(rate), Array.from({ length: 10 }), async () => {
    sentAt.push(wall());
    await new Promise((resolve) => setTimeout(resolve, 5));
  });
}
process.send?.({ sentAt });
await handle.close();
process.disconnect?.();
