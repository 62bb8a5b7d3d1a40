import { type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../platform/db/db.ts';

/**
 * Facts about a group of clients that name nobody, for the AI writing assistant: how many, where
 * (only places shared by at least MIN_GROUP of them), which labels and languages, average value.
 * A value shared by fewer than MIN_GROUP clients is left out so it cannot point at a person.
 */
export const MIN_GROUP = 5;

export interface AudienceFacts {
  count: number;
  top_cities: Array<{ city: string; clients: number }>;
  labels: Array<{ label: string; clients: number }>;
  languages: Array<{ language: string; clients: number }>;
  average_lifetime_value: number | null;
  average_bookings: number | null;
}

/** `members` is a `select client_id …` (a segment's members, a list of ids), scoped to the workspace. */
export async function audienceFacts(db: DbOrTx, workspaceId: string, members: SQL): Promise<AudienceFacts> {
  const result = await db.execute<{
    count: number;
    avg_ltv: string | null;
    avg_bookings: string | null;
    cities: Array<{ value: string; n: number }> | null;
    labels: Array<{ value: string; n: number }> | null;
    languages: Array<{ value: string; n: number }> | null;
  }>(sql`
    with m as (
      select c.* from clients c
      where c.workspace_id = ${workspaceId} and c.erased_at is null and c.archived_at is null
        and c.id in (select client_id from (${members}) s)
    ),
    top as (
      select kind, value, n from (
        select 'city' as kind, city as value, count(*)::int as n from m where city is not null and city <> '' group by city
        union all
        select 'label', label, count(*)::int from m where label is not null group by label
        union all
        select 'language', lower(left(locale, 2)), count(*)::int from m where locale is not null group by lower(left(locale, 2))
      ) g where n >= ${MIN_GROUP}
    )
    select
      (select count(*)::int from m) as count,
      (select round(avg(lifetime_value), 2)::text from m) as avg_ltv,
      (select round(avg(booking_count), 1)::text from m) as avg_bookings,
      (select json_agg(json_build_object('value', value, 'n', n) order by n desc, value) from (select * from top where kind = 'city' order by n desc, value limit 5) t) as cities,
      (select json_agg(json_build_object('value', value, 'n', n) order by n desc, value) from (select * from top where kind = 'label' order by n desc, value limit 5) t) as labels,
      (select json_agg(json_build_object('value', value, 'n', n) order by n desc, value) from (select * from top where kind = 'language' order by n desc, value limit 5) t) as languages
  `);
  const row = result.rows[0]!;
  const enough = row.count >= MIN_GROUP;
  return {
    count: row.count,
    top_cities: (row.cities ?? []).map((c) => ({ city: c.value, clients: c.n })),
    labels: (row.labels ?? []).map((c) => ({ label: c.value, clients: c.n })),
    languages: (row.languages ?? []).map((c) => ({ language: c.value, clients: c.n })),
    // An average over one or two clients is their own number: shown only for a real group.
    average_lifetime_value: enough && row.avg_ltv !== null ? Number(row.avg_ltv) : null,
    average_bookings: enough && row.avg_bookings !== null ? Number(row.avg_bookings) : null,
  };
}
