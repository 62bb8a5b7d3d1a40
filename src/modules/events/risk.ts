/**
 * Churn risk, 0–100, RFM-style: how overdue a client is against their OWN usual rhythm (recency
 * measured in units of their frequency), softened by loyalty (frequency) and value (monetary).
 *
 *   interval I  = the client's median days between bookings when they have ≥ 2 bookings,
 *                 otherwise DEFAULT_INTERVAL_DAYS (90) — no rhythm of their own yet;
 *                 never below 1 day.
 *   reference   = last booking; a client without bookings is measured from their last activity
 *                 of any kind, or from when they were created when they have none.
 *   overdue  r  = max(0, days since reference) / I          (r = 1: "due today")
 *   base        = 100 · σ(2.5 · (r − 1.5))                   smooth S-curve, σ(x) = 1 / (1 + e^−x):
 *                 r = 0 → 2,  r = 1 → 22,  r = 1.5 → 50,  r = 2 → 78,  r = 3 → 98
 *   frequency f = min(1, ln(1 + bookings) / ln(21))         0 with no bookings, 1 from 20 bookings
 *   monetary  m = min(1, log10(1 + max(0, LTV)) / 4)        0 with nothing spent, 1 from 10,000
 *   risk        = round(base · (1 − 0.15 · f − 0.10 · m))    loyal, valuable clients get ≤ 25 % slack
 *
 * A brand-new client therefore starts near 2 and drifts up if nothing happens; a weekly client
 * who has not come for three weeks (r = 3) is between 73 and 98 however loyal and valuable. The same function serves
 * ingestion, the nightly job and on-demand recomputes, so every path agrees.
 */
export const DEFAULT_INTERVAL_DAYS = 90;
const STEEPNESS = 2.5;
const MIDPOINT = 1.5;
const DAY_MS = 86_400_000;

export interface RiskInputs {
  createdAt: Date | null;
  bookingCount: number;
  lifetimeValue: number;
  visitFrequencyDays: number | null;
  lastBookingAt: Date | null;
  lastActivityAt: Date | null;
}

export function riskScore(input: RiskInputs, now: Date = new Date()): number {
  const ownRhythm = input.bookingCount >= 2 && input.visitFrequencyDays !== null;
  const interval = Math.max(1, ownRhythm ? input.visitFrequencyDays! : DEFAULT_INTERVAL_DAYS);
  const reference =
    (input.bookingCount > 0 ? input.lastBookingAt : null) ?? input.lastActivityAt ?? input.createdAt ?? now;
  const days = Math.max(0, (now.getTime() - reference.getTime()) / DAY_MS);
  const overdue = days / interval;
  const base = 100 / (1 + Math.exp(-STEEPNESS * (overdue - MIDPOINT)));
  const frequency = Math.min(1, Math.log(1 + Math.max(0, input.bookingCount)) / Math.log(21));
  const monetary = Math.min(1, Math.log10(1 + Math.max(0, input.lifetimeValue)) / 4);
  const score = Math.round(base * (1 - 0.15 * frequency - 0.1 * monetary));
  return Math.min(100, Math.max(0, score));
}
