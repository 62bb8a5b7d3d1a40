import type { SegmentNode } from '../../api/segments';

/** Starting points offered on an empty builder and an empty segment list (/segments/new?preset=<key>). */
export const STARTERS = [
  'notContacted30',
  'newClients30',
  'atRisk',
  'bookedRecently',
  'whatsapp',
  'bigSpenders',
] as const;
export type StarterKey = (typeof STARTERS)[number];

export function starterDefinition(key: StarterKey): SegmentNode {
  switch (key) {
    case 'notContacted30':
      return { all: [{ not: { field: 'last_contacted_at', op: 'within_last_days', value: 30 } }] };
    case 'newClients30':
      return { all: [{ field: 'created_at', op: 'within_last_days', value: 30 }] };
    case 'atRisk':
      return { all: [{ field: 'risk_score', op: 'gte', value: 70 }] };
    case 'bookedRecently':
      return { all: [{ event: 'booking', measure: 'count', op: 'gte', value: 1, within_days: 90 }] };
    case 'whatsapp':
      return { all: [{ field: 'consent.whatsapp', op: 'is', value: true }] };
    case 'bigSpenders':
      return { all: [{ field: 'lifetime_value', op: 'gte', value: 500 }] };
  }
}

export function isStarter(value: string | null): value is StarterKey {
  return value !== null && (STARTERS as readonly string[]).includes(value);
}
