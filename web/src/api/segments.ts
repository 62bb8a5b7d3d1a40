import {
  keepPreviousData,
  type QueryClient,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import type { FieldOp } from '../../../src/modules/segments/segment-definition.ts';
import { request } from './client';
import type { Client } from './clients';

// ---- the condition tree (../shared/SEGMENTS.md) -------------------------------------------------

export type SegmentNode = AllGroup | AnyGroup | NotNode | SegmentCondition;
export interface AllGroup {
  all: SegmentNode[];
}
export interface AnyGroup {
  any: SegmentNode[];
}
export interface NotNode {
  not: SegmentNode;
}
export type SegmentCondition = FieldCondition | EventCondition | EngagementCondition;

// The contract's operators per type: the server's own table, so dashboard and validator never disagree.
export {
  type FieldOp,
  type FieldType,
  OPS_BY_TYPE,
} from '../../../src/modules/segments/segment-definition.ts';

export type FieldValue = string | number | boolean | Array<string | number>;

export interface FieldCondition {
  field: string;
  op: FieldOp;
  value?: FieldValue | null;
}

export const COMPARE_OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte'] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];

export interface EventCondition {
  event: string;
  measure: 'count' | 'sum';
  op: CompareOp;
  value: number;
  within_days?: number;
  location_id?: string;
  properties?: Record<string, string | number | boolean>;
}

export const ENGAGEMENTS = ['sent', 'delivered', 'opened', 'clicked', 'failed'] as const;
export type Engagement = (typeof ENGAGEMENTS)[number];
export const ENGAGEMENT_CHANNELS = ['email', 'sms', 'whatsapp'] as const;
export type EngagementChannel = (typeof ENGAGEMENT_CHANNELS)[number];

export interface EngagementCondition {
  engagement: Engagement;
  campaign_id?: string;
  channel?: EngagementChannel;
  within_days?: number;
  op: 'has' | 'has_not';
}

/** Limits of a tree (SEGMENTS.md): the validator reports anything past them. */
export const SEGMENT_LIMITS = {
  depth: 6,
  conditions: 100,
  children: 50,
  listValues: 100,
  withinDays: 3650,
  days: 36_500,
} as const;

export const isAllNode = (node: SegmentNode): node is AllGroup => Object.hasOwn(node, 'all');
export const isAnyNode = (node: SegmentNode): node is AnyGroup => Object.hasOwn(node, 'any');
export const isNotNode = (node: SegmentNode): node is NotNode => Object.hasOwn(node, 'not');
export const isFieldNode = (node: SegmentNode): node is FieldCondition => Object.hasOwn(node, 'field');
export const isEventNode = (node: SegmentNode): node is EventCondition => Object.hasOwn(node, 'event');
export const isEngagementNode = (node: SegmentNode): node is EngagementCondition =>
  Object.hasOwn(node, 'engagement');

// ---- saved segments ------------------------------------------------------------------------------

export type SegmentKind = 'dynamic' | 'static';

export interface SegmentUse {
  /** campaign or bulk_action */
  type: string;
  id: string;
  /** A campaign's name; a bulk action's action key (add_tags, export…). */
  name: string;
  /** Still has to read the members (a campaign picking its recipients at send time, a queued bulk action). */
  pending: boolean;
}

export interface Segment {
  id: string;
  name: string;
  description: string | null;
  kind: SegmentKind;
  /** The condition tree of a dynamic segment; null for a static one. */
  definition: SegmentNode | null;
  /** The tree in the one-line query syntax, when it can be written that way. */
  query?: string | null;
  /** The preset it started as (not_contacted_30d, vip_ltv_top10, label:customer…), or null. */
  preset: string | null;
  /** A computed preset kept current by the hourly job until someone edits it. */
  auto_refresh: boolean;
  archived: boolean;
  archived_at: string | null;
  last_count: number | null;
  last_counted_at: string | null;
  last_used_at: string | null;
  used_by: SegmentUse[];
  /** Why the saved tree no longer evaluates (an archived custom field, a removed label…); empty when fine. */
  problems: Array<{ path: string; message: string }>;
  created_at: string;
  updated_at: string;
}

export interface SegmentInput {
  name?: string;
  description?: string | null;
  definition?: SegmentNode;
  archived?: boolean;
}

export interface SegmentCountPoint {
  at: string;
  count: number;
}

export interface EvaluateResult {
  /** null when the page was asked without its count. */
  count: number | null;
  clients: Client[];
  next_cursor: string | null;
}

/** Cached answers about segments, all under one prefix (dropped with the rest when the workspace changes). */
export const segmentKeys = {
  all: ['segments'] as const,
  lists: ['segments', 'list'] as const,
  list: (filter: { archived: boolean; q: string; limit: number }) => ['segments', 'list', filter] as const,
  detail: (id: string) => ['segments', 'detail', id] as const,
  counts: (id: string, days: number) => ['segments', 'counts', id, days] as const,
  members: (id: string) => ['segments', 'members', id] as const,
  count: (id: string) => ['segments', 'count', id] as const,
  evaluate: (definition: SegmentNode, limit: number) => ['segments', 'evaluate', definition, limit] as const,
};

const segmentPath = (id: string) => `/api/v1/segments/${encodeURIComponent(id)}`;

export interface SegmentPage {
  segments: Segment[];
  next_cursor: string | null;
}

/**
 * Saved segments, newest first, a page at a time (the first call gives a new workspace its presets):
 * the live ones or the archived ones, those whose name or description holds every word of `q` (the
 * server searches, so the 250th segment is found like the first). `fetchNextPage` reads on.
 */
export function useSegmentPages(options: { archived?: boolean; q?: string; limit?: number }) {
  const archived = options.archived ?? false;
  const q = options.q?.trim() ?? '';
  const limit = options.limit ?? 50;
  const query = useInfiniteQuery({
    queryKey: segmentKeys.list({ archived, q, limit }),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      request<SegmentPage>('/api/v1/segments', {
        query: { archived: archived ? 'true' : undefined, q: q || undefined, limit, cursor: pageParam },
        signal,
      }),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    placeholderData: keepPreviousData,
  });
  return { ...query, segments: query.data?.pages.flatMap((page) => page.segments) };
}

export function useSegment(id: string | undefined) {
  return useQuery({
    queryKey: segmentKeys.detail(id ?? ''),
    queryFn: ({ signal }) => request<Segment>(segmentPath(id ?? ''), { signal }),
    enabled: Boolean(id),
  });
}

/** Count history for the sparkline, oldest first. */
export function useSegmentCounts(id: string, days = 30) {
  return useQuery({
    queryKey: segmentKeys.counts(id, days),
    queryFn: ({ signal }) =>
      request<{ counts: SegmentCountPoint[] }>(`${segmentPath(id)}/counts`, { query: { days }, signal }),
    select: (data) => data.counts,
    staleTime: 5 * 60_000,
  });
}

/** Members of a saved segment, 50 at a time. */
export function useSegmentMembers(id: string | undefined, enabled = true) {
  return useInfiniteQuery({
    queryKey: segmentKeys.members(id ?? ''),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      request<EvaluateResult>(`${segmentPath(id ?? '')}/clients`, {
        query: { limit: 50, cursor: pageParam },
        signal,
      }),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    enabled: Boolean(id) && enabled,
  });
}

/** Counts a saved segment now (the server stores it as last_count); for rows the hourly job hasn't counted yet. */
export function countSavedSegment(id: string, signal?: AbortSignal) {
  return request<EvaluateResult>(`${segmentPath(id)}/clients`, { query: { limit: 0 }, signal }).then(
    (page) => page.count,
  );
}

export function useSavedSegmentCount(id: string, enabled: boolean) {
  return useQuery({
    queryKey: segmentKeys.count(id),
    queryFn: ({ signal }) => countSavedSegment(id, signal),
    enabled,
    staleTime: 5 * 60_000,
  });
}

/**
 * A tree's live count (`limit: 0`), and (useSegmentPreview) its clients without the count
 * (`count: false`): separate requests, so the preview shows as soon as its page is read even when
 * counting takes a second. Each new tree is a new query: the one it replaces loses its observer and
 * TanStack Query aborts its request (the signal reaches fetch, the server cancels the SQL), so
 * superseded previews never pile up; the previous answer stays on screen until the new one arrives.
 */
export function useSegmentCount(definition: SegmentNode | null) {
  const query = useQuery({
    queryKey: segmentKeys.evaluate(definition ?? { all: [] }, 0),
    queryFn: ({ signal }) =>
      request<EvaluateResult>('/api/v1/segments/evaluate', {
        method: 'POST',
        body: { definition, limit: 0 },
        signal,
      }),
    enabled: definition !== null,
    placeholderData: keepPreviousData,
    retry: false,
    staleTime: 15_000,
  });
  return { ...query, count: query.data?.count ?? undefined };
}

/**
 * The first clients a tree matches, `limit` at a time: `fetchNextPage` reads the next page with the
 * cursor, so every member of a segment can be looked through. Superseded trees abort as above.
 */
export function useSegmentPreview(definition: SegmentNode | null, limit = 20) {
  const query = useInfiniteQuery({
    queryKey: [...segmentKeys.evaluate(definition ?? { all: [] }, limit), 'pages'],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      request<EvaluateResult>('/api/v1/segments/evaluate', {
        method: 'POST',
        body: { definition, limit, count: false, ...(pageParam ? { cursor: pageParam } : {}) },
        signal,
      }),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    enabled: definition !== null,
    placeholderData: keepPreviousData,
    retry: false,
    staleTime: 15_000,
  });
  return { ...query, clients: query.data?.pages.flatMap((page) => page.clients) };
}

export function parseSegmentQuery(q: string, signal?: AbortSignal) {
  return request<{ definition: SegmentNode; query?: string | null }>('/api/v1/segments/parse', {
    method: 'POST',
    body: { q },
    signal,
  });
}

export function invalidateSegments(queryClient: QueryClient, id?: string) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: segmentKeys.lists }),
    id ? queryClient.invalidateQueries({ queryKey: segmentKeys.detail(id) }) : undefined,
    id ? queryClient.invalidateQueries({ queryKey: segmentKeys.members(id) }) : undefined,
    queryClient.invalidateQueries({ queryKey: ['audit-log'] }),
  ]);
}

function useSegmentMutation<Input>(
  fn: (input: Input) => Promise<Segment>,
  changesTree: (input: Input) => boolean = () => false,
) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (input: Input) => {
      const segment = await fn(input);
      // A new or changed tree has no count yet: count it now so the list shows it (and stores it).
      const stale = segment.last_count === null || changesTree(input);
      if (segment.kind === 'dynamic' && !segment.archived && stale) {
        try {
          const count = await countSavedSegment(segment.id);
          return { ...segment, last_count: count, last_counted_at: new Date().toISOString() };
        } catch {
          // counted by the hourly job instead
        }
      }
      return segment;
    },
    onSuccess: (segment) => {
      queryClient.setQueryData(segmentKeys.detail(segment.id), segment);
      queryClient.removeQueries({ queryKey: segmentKeys.count(segment.id) });
      return invalidateSegments(queryClient, segment.id);
    },
  });
}

export function useCreateSegment() {
  return useSegmentMutation((input: SegmentInput & { name: string; definition: SegmentNode }) =>
    request<Segment>('/api/v1/segments', { method: 'POST', body: input }),
  );
}

export function useUpdateSegment() {
  return useSegmentMutation(
    ({ id, patch }: { id: string; patch: SegmentInput }) =>
      request<Segment>(segmentPath(id), { method: 'PATCH', body: patch }),
    ({ patch }) => patch.definition !== undefined,
  );
}

/** A copy; the dashboard names it in the user's language ("Madrid VIPs (copia)"). */
export function useDuplicateSegment() {
  return useSegmentMutation(({ id, name }: { id: string; name?: string }) =>
    request<Segment>(`${segmentPath(id)}/duplicate`, { method: 'POST', body: name ? { name } : {} }),
  );
}

/** A new static segment holding a dynamic segment's members as they are now. */
export function useFreezeSegment() {
  return useSegmentMutation(({ id, name }: { id: string; name?: string }) =>
    request<Segment>(`${segmentPath(id)}/freeze`, { method: 'POST', body: name ? { name } : {} }),
  );
}

/**
 * Archives (marketers and up, like a restore): the segment leaves the list, campaigns that used it can
 * still name it, and it can be restored.
 */
export function useArchiveSegment() {
  return useSegmentMutation((id: string) =>
    request<Segment>(segmentPath(id), { method: 'PATCH', body: { archived: true } }),
  );
}

export function useRestoreSegment() {
  return useSegmentMutation((id: string) =>
    request<Segment>(segmentPath(id), { method: 'PATCH', body: { archived: false } }),
  );
}
