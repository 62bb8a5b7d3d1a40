/**
 * The instant at which a wall-clock time (`YYYY-MM-DDTHH:MM`, as a datetime-local field gives it)
 * happens in `timeZone`. Pure: the wizard uses it so that "10:00" means 10:00 in the workspace's
 * zone, whatever the zone of the browser. A time skipped by a DST change moves forward by the gap;
 * a repeated one takes its first occurrence.
 */
export function instantOfLocalTime(local: string, timeZone: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local);
  if (!match) return new Date(Number.NaN);
  const [, y, mo, d, h, mi] = match.map(Number) as [number, number, number, number, number, number];
  const asUtc = Date.UTC(y, mo - 1, d, h, mi);
  // With the zone's offset of the day before and of the day after (different only across a change):
  // those that show this wall clock, the earlier (a repeated hour); none does: a skipped one, past the gap.
  const candidates = [asUtc - offsetMs(asUtc - DAY_MS, timeZone), asUtc - offsetMs(asUtc + DAY_MS, timeZone)];
  const showing = candidates.filter((instant) => instant + offsetMs(instant, timeZone) === asUtc);
  return new Date(showing.length ? Math.min(...showing) : Math.max(...candidates));
}

const DAY_MS = 86_400_000;

/** How far `timeZone`'s wall clock is ahead of UTC at `instant` (ms). */
function offsetMs(instant: number, timeZone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(new Date(instant))
      .map((p) => [p.type, Number(p.value)]),
  ) as Record<string, number>;
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return wall - Math.floor(instant / 1000) * 1000;
}
