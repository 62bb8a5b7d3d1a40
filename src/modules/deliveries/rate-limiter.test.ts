import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { setupTestApp } from '../../../test/support/app.ts';
import { paced, reserveSlots } from './rate-limiter.ts';

const t = setupTestApp();
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The most sends in any one-second window (each window starting at a send). */
function busiestSecond(sorted: number[]) {
  let busiest = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + 1000) j++;
    busiest = Math.max(busiest, j - i);
  }
  return busiest;
}

describe('shared send-rate limiter', () => {
  it('three workers on their own connections never put more than the rate in any second, and together reach it', async () => {
    const db = t.app.dbHandle.db;
    const key = `test:${randomUUID()}`;
    const rate = 50;
    const sentAt: number[] = [];
    const started = performance.now();
    const until = started + 2_500;
    // Three workers, each sending small batches as the dispatch loop does.
    const worker = async () => {
      while (performance.now() < until) {
        await paced(db, key, rate, [1, 2, 3, 4, 5], async () => {
          sentAt.push(performance.now());
        });
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    sentAt.sort((a, b) => a - b);
    expect(busiestSecond(sentAt)).toBeLessThanOrEqual(rate);
    const span = (sentAt.at(-1)! - sentAt[0]!) / 1000;
    const achieved = (sentAt.length - 1) / span;
    // Not a slow trickle that trivially stays under the limit (the precise rate is bench/ material:
    // on a saturated CI machine the reservations themselves can take tens of ms).
    expect(achieved).toBeGreaterThan(rate * 0.6);
  });

  // Issue 7's proof (4): 50/s over three worker processes for 20 s (RATE_TEST_SECONDS; 6 s in CI).
  it('three worker processes share one rate through PostgreSQL alone: never above it in any second', async () => {
    const rate = 50;
    const seconds = Number(process.env.RATE_TEST_SECONDS ?? 6);
    const key = `test:${randomUUID()}`;
    // Loading takes a few seconds on a busy machine: all three start at the same instant after that.
    const startAt = Date.now() + 8_000;
    const runs = Array.from({ length: 3 }, () => {
      const child = fork(
        path.join(ROOT, 'bin/run-ts.mjs'),
        [
          'test/support/rate-worker-process.ts',
          t.url,
          key,
          String(rate),
          String(seconds * 1000),
          String(startAt),
        ],
        { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
      );
      return new Promise<number[]>((resolve, reject) => {
        child.once('message', (m) => resolve((m as { sentAt: number[] }).sentAt));
        child.once('exit', (code) => (code ? reject(new Error(`sender exited with ${code}`)) : undefined));
      });
    });
    const perProcess = await Promise.all(runs);
    const sentAt = perProcess.flat().sort((a, b) => a - b);
    expect(busiestSecond(sentAt)).toBeLessThanOrEqual(rate);
    // Each process got a share, and together they used the rate (not a trickle that trivially
    // stays under it; the precise figure is the bench's, on a quiet machine).
    for (const own of perProcess) expect(own.length).toBeGreaterThan(seconds * rate * 0.1);
    const achieved = (sentAt.length - 1) / ((sentAt.at(-1)! - sentAt[0]!) / 1000);
    expect(achieved).toBeGreaterThan(rate * 0.6);
    expect(achieved).toBeLessThanOrEqual(rate);
  }, 90_000);

  it('keeps separate accounts apart: a busy one does not slow another', async () => {
    const db = t.app.dbHandle.db;
    const busy = `test:${randomUUID()}`;
    await reserveSlots(db, busy, 1, 10);
    expect((await reserveSlots(db, busy, 1)).firstAtMs - Date.now()).toBeGreaterThan(9_000);
    expect((await reserveSlots(db, `test:${randomUUID()}`, 1)).firstAtMs - Date.now()).toBeLessThan(50);
  });
});
