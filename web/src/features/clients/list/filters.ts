import dayjs from 'dayjs';
import type { Channel, ClientListParams } from '../../../api/clients';

export interface ClientFilters {
  tag: string | null;
  label: string | null;
  locationId: string | null;
  consent: Channel | null;
  /** Created between these days (YYYY-MM-DD), both included. */
  created: [string | null, string | null];
}

export const NO_FILTERS: ClientFilters = {
  tag: null,
  label: null,
  locationId: null,
  consent: null,
  created: [null, null],
};

export function activeFilterCount(filters: ClientFilters): number {
  return [filters.tag, filters.label, filters.locationId, filters.consent, filters.created[0]].filter(Boolean)
    .length;
}

/**
 * A search that reads as a one-line segment query (`tag:vip`, `ltv>500`, `-consent:sms`,
 * `booking.count(90d)>=2`) filters by it; anything else is a name/email/phone search.
 */
const QUERY_SYNTAX = /(^|[\s(])[-!]?[a-z][\w.]*(\([^)]*\))?(:|>=|<=|!=|>|<|=)/i;

export function isSegmentQuery(search: string): boolean {
  return QUERY_SYNTAX.test(search);
}

export function toListParams(search: string, filters: ClientFilters, sort: string): ClientListParams {
  const [from, to] = filters.created;
  const query = isSegmentQuery(search);
  return {
    q: (!query && search) || undefined,
    filter: (query && search) || undefined,
    tag: filters.tag ?? undefined,
    label: filters.label ?? undefined,
    location_id: filters.locationId ?? undefined,
    consent: filters.consent ?? undefined,
    created_from: from ? dayjs(from).startOf('day').toISOString() : undefined,
    // The server's bound is exclusive: the day after the last one chosen.
    created_to: from
      ? dayjs(to ?? from)
          .add(1, 'day')
          .startOf('day')
          .toISOString()
      : undefined,
    sort,
  };
}
