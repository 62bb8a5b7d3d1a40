/**
 * The seven reference trees of the segments benchmark (issue 4, "Figures"), each with the SQL an expert
 * would write by hand for the same meaning: the baseline the product's compiled query is measured
 * against. Values exist in the generated data (bench/data-generator.ts, bench/lib/clients-names.ts):
 * Madrid and Valencia are the two most common Spanish cities, "Newsletter" (35 %) and "VIP" (17.5 %)
 * the two most common tags, booking and payment the two most common event types.
 *
 * Every baseline is a WHERE clause over `clients c` with $1 = the workspace; the other parameters
 * are the tree's values, passed as parameters as the product passes them. Windows are computed from
 * the same `now` the run gives both sides (the product reads its own clock a few ms apart, which
 * cannot change a count on a dataset whose newest event is from its generation).
 */
import type { Node } from '../../src/modules/segments/segment-definition.ts';

const DAY_MS = 86_400_000;

export interface BaselineQuery {
  /** Boolean SQL over `clients c` (the workspace's live clients are added around it). */
  where: string;
  params: unknown[];
}

export interface ReferenceTree {
  key: string;
  name: string;
  /** The tree in words. */
  detail: string;
  definition: Node;
  baseline: (ws: string, now: Date) => BaselineQuery;
}

const since = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS).toISOString();

/** Clients of the tag (by its case-insensitive key), as a semi-join. */
const hasTag = (keyParam: string) =>
  `exists (select 1 from client_tags ct join tags t on t.id = ct.tag_id
           where ct.client_id = c.id and t.workspace_id = $1 and t.name_key = ${keyParam})`;

export const REFERENCE_TREES: ReferenceTree[] = [
  {
    key: 'text',
    name: '1. Text field',
    detail: '`city eq Madrid`',
    definition: { field: 'city', op: 'eq', value: 'Madrid' },
    baseline: () => ({ where: `lower(c.city) = $2`, params: ['madrid'] }),
  },
  {
    key: 'tags',
    name: '2. Tags',
    detail: '`tags has Newsletter`',
    definition: { field: 'tags', op: 'has', value: 'Newsletter' },
    baseline: () => ({ where: hasTag('$2'), params: ['newsletter'] }),
  },
  {
    key: 'consent',
    name: '3. Consent',
    detail: '`consent.whatsapp is true`',
    definition: { field: 'consent.whatsapp', op: 'is', value: true },
    baseline: () => ({ where: `c.consent_whatsapp`, params: [] }),
  },
  {
    key: 'event-count',
    name: '4. Event count in a window',
    detail: '`booking count within 180 days ≥ 3`',
    definition: { event: 'booking', measure: 'count', op: 'gte', value: 3, within_days: 180 },
    baseline: (_ws, now) => ({
      where: `c.id in (select e.client_id from events e
                       where e.workspace_id = $1 and e.type = 'booking' and e.occurred_at >= $2 and e.occurred_at <= $3
                       group by e.client_id having count(*) >= 3)`,
      params: [since(now, 180), now.toISOString()],
    }),
  },
  {
    key: 'event-sum',
    name: '5. Event sum in a window',
    detail: '`payment sum within 365 days > 500`',
    definition: { event: 'payment', measure: 'sum', op: 'gt', value: 500, within_days: 365 },
    baseline: (_ws, now) => ({
      where: `c.id in (select e.client_id from events e
                       where e.workspace_id = $1 and e.type = 'payment' and e.occurred_at >= $2 and e.occurred_at <= $3
                       group by e.client_id having sum(e.amount) > 500)`,
      params: [since(now, 365), now.toISOString()],
    }),
  },
  {
    key: 'example',
    name: '6. The example of SEGMENTS.md',
    detail:
      'city in (Madrid, Valencia), tagged VIP, (≥ 3 bookings in 180 days or > 500 paid in 365 days), WhatsApp consent, not messaged in 14 days',
    definition: {
      all: [
        { field: 'city', op: 'in', value: ['Madrid', 'Valencia'] },
        { field: 'tags', op: 'has', value: 'vip' },
        {
          any: [
            { event: 'booking', measure: 'count', op: 'gte', value: 3, within_days: 180 },
            { event: 'payment', measure: 'sum', op: 'gt', value: 500, within_days: 365 },
          ],
        },
        { field: 'consent.whatsapp', op: 'is', value: true },
        { not: { field: 'last_contacted_at', op: 'within_last_days', value: 14 } },
      ],
    },
    // City, tag and consent leave a few thousand clients: their own events are counted per client.
    baseline: (_ws, now) => ({
      where: `lower(c.city) in ('madrid', 'valencia') and ${hasTag(`'vip'`)}
        and ((select count(*) from events e
              where e.client_id = c.id and e.type = 'booking' and e.occurred_at >= $2 and e.occurred_at <= $4) >= 3
             or (select sum(e.amount) from events e
                 where e.client_id = c.id and e.type = 'payment' and e.occurred_at >= $3 and e.occurred_at <= $4) > 500)
        and c.consent_whatsapp
        and (c.last_contacted_at is null or c.last_contacted_at < $5)`,
      params: [since(now, 180), since(now, 365), now.toISOString(), since(now, 14)],
    }),
  },
  {
    key: 'not',
    name: '7. Four levels with `not`',
    detail:
      'locale es and LTV > 100, and not (a prospect, or tagged Newsletter with no visit in 90 days): all → not → any → all',
    definition: {
      all: [
        { field: 'locale', op: 'eq', value: 'es' },
        { field: 'lifetime_value', op: 'gt', value: 100 },
        {
          not: {
            any: [
              { field: 'label', op: 'eq', value: 'prospect' },
              {
                all: [
                  { field: 'tags', op: 'has', value: 'Newsletter' },
                  { event: 'visit', measure: 'count', op: 'eq', value: 0, within_days: 90 },
                ],
              },
            ],
          },
        },
      ],
    },
    baseline: (_ws, now) => ({
      where: `lower(c.locale) = 'es' and c.lifetime_value > 100
        and (c.label is null or c.label <> 'prospect')
        and not (${hasTag(`'newsletter'`)}
                 and not exists (select 1 from events e
                                 where e.client_id = c.id and e.type = 'visit' and e.occurred_at >= $2 and e.occurred_at <= $3))`,
      params: [since(now, 90), now.toISOString()],
    }),
  },
];

export const LIVE = `c.workspace_id = $1 and c.erased_at is null`;

export function baselineCountSql(q: BaselineQuery): string {
  return `select count(*)::int as n from clients c where ${LIVE} and (${q.where})`;
}

/**
 * The first page as the API serves it: newest clients first, with their tag names; ordered as
 * clients_workspace_id_created_at_id_index is built (`desc nulls last`), so the index can serve it.
 */
export function baselinePageSql(q: BaselineQuery, limit: number): string {
  return `select c.*, array(select t.name from client_tags ct join tags t on t.id = ct.tag_id
                           where ct.client_id = c.id order by t.name) as tag_names
          from clients c where ${LIVE} and (${q.where})
          order by c.created_at desc nulls last, c.id desc nulls last limit ${Number(limit)}`;
}
