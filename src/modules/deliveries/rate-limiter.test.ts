import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../../../test/support/app.ts';
import { paced, reserveSlots } from './rate-limiter.ts';

const t = setupTestApp();

describe('shared send-rate limiter', () => {
  it('three workers on their own connections never put more than the rate in any second, and together reach it', async () => {
    const db = t.app.dbHandle.db;
    const key = `test:${randomUUID()}`;
    const rate = 50;
    const sentAt: number[] = [];
    const started = performance.now();
    const until = started + 2_500;
    // Three workers, each reserving small batches as the dispatch loop does.
    const worker = async () => {
      while (performance.now() < until) {
        const reservation = await reserveSlots(db, key, rate, 5);
        await paced(key, reservation, [1, 2, 3, 4, 5], async () => {
          sentAt.push(performance.now());
        });
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    sentAt.sort((a, b) => a - b);
    // Every one-second window starting at any send.
    let busiest = 0;
    for (let i = 0, j = 0; i < sentAt.length; i++) {
      while (j < sentAt.length && sentAt[j]! < sentAt[i]! + 1000) j++;
      busiest = Math.max(busiest, j - i);
    }
    expect(busiest).toBeLessThanOrEqual(rate);
    const span = (sentAt.at(-1)! - sentAt[0]!) / 1000;
    const achieved = (sentAt.length - 1) / span;
    // Not a slow trickle that trivially stays under the limit (the precise rate is bench/ material:
    // on a saturated CI machine the reservations themselves can take tens of ms).
    expect(achieved).toBeGreaterThan(rate * 0.6);
  });

  it('keeps separate accounts apart: a busy one does not slow another', async () => {
    const db = t.app.dbHandle.db;
    const busy = `test:${randomUUID()}`;
    await reserveSlots(db, busy, 1, 10);
    expect((await reserveSlots(db, busy, 1)).firstAtMs - Date.now()).toBeGreaterThan(9_000);
    expect((await reserveSlots(db, `test:${randomUUID()}`, 1)).firstAtMs - Date.now()).toBeLessThan(50);
  });
});
