import { demoPeople } from '../../seed/people.ts';
import type { Seeder } from '../../seed/seed-demo.ts';
import { ingestEvents, recomputeWorkspaceRisk } from './events.service.ts';

/** Beyond this many clients the demo gives events to the first ones only. */
const MAX_CLIENTS = 20_000;
const DAY = 86_400_000;

const EQUIPMENT = [
  { category: 'kayak', price: 35 },
  { category: 'surf', price: 45 },
  { category: 'paddle', price: 30 },
  { category: 'windsurf', price: 60 },
  { category: 'wetsuit', price: 12 },
] as const;
const RHYTHMS = [7, 14, 21, 30, 45, 60, 90, 180];
const SUPPORT = ['broken leash', 'late return', 'refund request', 'wetsuit size', 'booking change'];

type DemoEvent = Record<string, unknown>;

/**
 * A booking history per client with their own rhythm (weekly regulars to twice-a-year visitors),
 * a payment for each booking (same reference, so a re-run updates instead of duplicating), some
 * support tickets and promotions, and a share of clients who stopped coming months ago — so
 * lifetime value, visit frequency and churn risk all have something to show. Everything goes
 * through the ingestion service in batches of 1,000, scores included.
 */
export const eventsSeeder: Seeder = {
  name: 'events',
  async run(seed) {
    const { db, ctx, progress } = seed;
    const random = demoPeople.rng(8080);
    const now = Date.now();
    const clientIds = seed.clientIds.slice(0, MAX_CLIENTS);
    const locations = seed.locationIds;
    let batch: DemoEvent[] = [];
    let total = 0;
    const flush = async () => {
      if (!batch.length) return;
      const result = await ingestEvents(db, ctx, { events: batch });
      total += result.accepted;
      batch = [];
    };
    for (const [n, clientId] of clientIds.entries()) {
      if (random() < 0.15) continue; // never booked: prospects
      const rhythm = demoPeople.pick(random, RHYTHMS);
      const churned = random() < 0.25;
      const end = churned ? now - (60 + random() * 400) * DAY : now - random() * rhythm * DAY;
      const visits = 1 + Math.floor(random() * Math.min(12, (540 / rhythm) * random() + 1));
      const location = locations.length ? demoPeople.pick(random, locations) : null;
      let at = end - (visits - 1) * rhythm * DAY;
      for (let v = 0; v < visits; v++) {
        const item = demoPeople.pick(random, EQUIPMENT);
        const hours = 1 + Math.floor(random() * 3);
        const ref = `BK-${n}-${v}`;
        const occurred = new Date(Math.min(at, now)).toISOString();
        batch.push({
          client_id: clientId,
          type: 'booking',
          occurred_at: occurred,
          reference_id: ref,
          location_id: location,
          properties: { category: item.category, hours },
        });
        batch.push({
          client_id: clientId,
          type: 'payment',
          occurred_at: occurred,
          amount: item.price * hours,
          currency: 'EUR',
          reference_id: ref,
          location_id: location,
          properties: { method: random() < 0.7 ? 'card' : 'cash' },
        });
        if (random() < 0.08)
          batch.push({
            client_id: clientId,
            type: 'support',
            occurred_at: new Date(Math.min(at + DAY, now)).toISOString(),
            properties: { topic: demoPeople.pick(random, SUPPORT) },
          });
        // ±25 % around the client's own rhythm.
        at += rhythm * DAY * (0.75 + random() * 0.5);
        if (batch.length >= 998) await flush();
      }
      if (random() < 0.2)
        batch.push({
          client_id: clientId,
          type: 'promotion',
          occurred_at: new Date(now - random() * 90 * DAY).toISOString(),
          properties: { campaign: 'spring-2026' },
        });
      if (batch.length >= 998) await flush();
    }
    await flush();
    // What the nightly job would do: clients without events get their risk too.
    await recomputeWorkspaceRisk(db, ctx.workspaceId);
    seed.summary.events = total;
    progress(`events: ${total} bookings, payments, support tickets and promotions, scores computed`);
  },
};
