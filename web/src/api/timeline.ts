import { useInfiniteQuery } from '@tanstack/react-query';
import { request } from './client';
import { downloadFile } from './clients';
import { queryKeys } from './query-keys';

/** The streams of a client's timeline; `types` filters by these kinds or by an event type. */
export const TIMELINE_KINDS = ['event', 'message', 'note', 'consent', 'history'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

/**
 * What the "Messages" filter asks for: every delivery status change (kind `message`), and the
 * opens, clicks and replies, which the server keeps as events.
 */
export const MESSAGE_TIMELINE_TYPES = [
  'message',
  'email_opened',
  'email_clicked',
  'sms_inbound',
  'whatsapp_inbound',
];

/** The `types` of the chosen kinds; null when every kind is chosen (everything). */
export function timelineTypes(kinds: readonly string[]): string[] | null {
  if (TIMELINE_KINDS.every((kind) => kinds.includes(kind))) return null;
  return [...new Set(kinds.flatMap((kind) => (kind === 'message' ? MESSAGE_TIMELINE_TYPES : [kind])))];
}

export interface TimelineActor {
  type: string;
  id: string | null;
  label: string;
}

export interface TimelineItem {
  id: string;
  /** event, note, consent, history, message, coupon… */
  kind: string;
  /** The event type (booking, payment…) or the kind's own type (granted, tags, fields…). */
  type: string;
  occurred_at: string;
  actor: TimelineActor | null;
  data: Record<string, unknown>;
}

interface TimelinePage {
  items: TimelineItem[];
  next_cursor: string | null;
}

const PAGE_SIZE = 50;

/** `types` null = everything. */
export function useTimeline(clientId: string, types: string[] | null, enabled = true) {
  return useInfiniteQuery({
    enabled,
    queryKey: queryKeys.clientTimeline(clientId, types),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      request<TimelinePage>(`/api/v1/clients/${encodeURIComponent(clientId)}/timeline`, {
        query: { types: types?.join(','), limit: PAGE_SIZE, cursor: pageParam },
        signal,
      }),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    select: (data) => data.pages.flatMap((page) => page.items),
  });
}

export function downloadTimelineCsv(clientId: string, types: string[] | null) {
  return downloadFile(
    `/api/v1/clients/${encodeURIComponent(clientId)}/timeline.csv`,
    `timeline-${clientId}.csv`,
    {
      types: types?.join(','),
    },
  );
}
