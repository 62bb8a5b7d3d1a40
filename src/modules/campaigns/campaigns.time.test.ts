import { describe, expect, it } from 'vitest';
import { instantOfLocalTime } from './campaigns.time.ts';

describe("a wall-clock time in the workspace's zone", () => {
  it('is the same local time in each zone, whatever zone this process runs in', () => {
    expect(instantOfLocalTime('2030-03-01T10:00', 'America/Mexico_City').toISOString()).toBe(
      '2030-03-01T16:00:00.000Z',
    );
    expect(instantOfLocalTime('2030-03-01T10:00', 'Europe/Madrid').toISOString()).toBe(
      '2030-03-01T09:00:00.000Z',
    );
    expect(instantOfLocalTime('2030-07-01T10:00', 'Europe/Madrid').toISOString()).toBe(
      '2030-07-01T08:00:00.000Z',
    );
    expect(instantOfLocalTime('2030-01-15T00:30', 'Asia/Tokyo').toISOString()).toBe(
      '2030-01-14T15:30:00.000Z',
    );
    expect(instantOfLocalTime('2030-01-15T10:00', 'UTC').toISOString()).toBe('2030-01-15T10:00:00.000Z');
  });

  it('across DST changes: a skipped time moves forward, a repeated one is its first occurrence', () => {
    // Madrid 2030-03-31: 02:00 → 03:00 (02:30 does not exist).
    expect(instantOfLocalTime('2030-03-31T02:30', 'Europe/Madrid').toISOString()).toBe(
      '2030-03-31T01:30:00.000Z',
    );
    // Madrid 2030-10-27: 03:00 → 02:00 (02:30 happens twice; the first is CEST, UTC+2).
    expect(instantOfLocalTime('2030-10-27T02:30', 'Europe/Madrid').toISOString()).toBe(
      '2030-10-27T00:30:00.000Z',
    );
  });

  it('is invalid for anything but a date and time', () => {
    expect(Number.isNaN(instantOfLocalTime('', 'Europe/Madrid').getTime())).toBe(true);
  });
});
