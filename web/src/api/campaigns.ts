import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { request } from './client';
import type { SegmentNode } from './segments';
import { followServerEvents } from './server-events';

export type CampaignChannel = 'email' | 'sms' | 'whatsapp';
export type CampaignStatus = 'draft' | 'scheduled' | 'sending' | 'paused' | 'sent' | 'cancelled' | 'failed';
export type DeliveryStatus =
  | 'skipped'
  | 'queued'
  | 'sending'
  | 'sent'
  | 'delivered'
  | 'read'
  | 'clicked'
  | 'failed'
  | 'unknown'
  | 'cancelled'
  | 'held';
export type SkipReason =
  | 'no_address'
  | 'invalid_address'
  | 'no_consent'
  | 'suppressed'
  | 'frequency_cap'
  | 'duplicate_address'
  | 'template_not_approved'
  | 'excluded';

export const DELIVERY_STATUSES: DeliveryStatus[] = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'read',
  'clicked',
  'failed',
  'unknown',
  'skipped',
  'cancelled',
  'held',
];

export interface WhatsappTemplateFields {
  name: string;
  language: string;
  /** Template variables (e.g. client.first_name) for the template's {{1}}, {{2}}… */
  parameters?: string[];
}
export type SingleContent =
  | { template_id: string }
  | { subject?: string; body: string; whatsapp_template?: WhatsappTemplateFields };
export type CampaignContent = SingleContent | { variants: SingleContent[] };
export type AbCriterion = 'opened' | 'clicked' | 'replied';
export interface AbTestSettings {
  test_share_percent: number;
  criterion: AbCriterion;
  wait_hours: number;
}
export interface AbTestState extends AbTestSettings {
  decide_at?: string | null;
  winner?: number | null;
  decided_at?: string | null;
  decided_by?: 'rate' | 'hand' | null;
}
export type WhatsappCategory = 'marketing' | 'utility' | 'authentication' | 'service';
export interface Prices {
  currency: string;
  email: number;
  sms_segment: number;
  whatsapp: Record<WhatsappCategory, number>;
}
export interface Cost {
  currency: string;
  total: number;
  lines: {
    channel: CampaignChannel;
    messages: number;
    segments_per_message: number | null;
    units: number;
    unit_price: number;
    whatsapp_category: WhatsappCategory | null;
    amount: number;
  }[];
}
/** Hours (0–23, each recipient's local time) during which SMS and WhatsApp wait; start > end spans midnight. */
export interface QuietHours {
  start: number;
  end: number;
}
export interface CampaignSettings {
  frequency_cap_7d: number | null;
  prices: Prices | null;
  /** null: SMS and WhatsApp go at any hour. */
  quiet_hours: QuietHours | null;
}

/** What a workspace that never changed its sending rules has (the server's default). */
export const DEFAULT_QUIET_HOURS: QuietHours = { start: 21, end: 9 };

/** "21:00" for 21: how the dashboard writes an hour of the quiet hours. */
export function hourLabel(hour: number): string {
  return `${String(hour).padStart(2, '0')}:00`;
}
export type CampaignAudience =
  | { segment_id: string }
  | { definition: SegmentNode }
  | { client_ids: string[] };

/** The audience as it was compiled when the recipients were fixed (read-only, null before). */
export type AudienceSnapshot =
  | {
      kind: 'segment';
      segment_id: string;
      segment_name: string;
      segment_kind: 'dynamic' | 'static';
      definition?: SegmentNode;
      count: number;
    }
  | { kind: 'definition'; definition: SegmentNode; count: number }
  | { kind: 'client_ids'; count: number };

export interface Campaign {
  id: string;
  name: string;
  objective: string | null;
  channel: CampaignChannel;
  channel_id: string | null;
  content: CampaignContent;
  audience: CampaignAudience;
  fallback_channels: CampaignChannel[];
  marketing: boolean;
  ab_test: AbTestState | null;
  status: CampaignStatus;
  status_reason: string | null;
  scheduled_at: string | null;
  recipient_time_zone: boolean;
  determine_recipients: 'now' | 'at_send';
  snapshot_at: string | null;
  audience_count: number | null;
  audience_snapshot: AudienceSnapshot | null;
  created_at: string;
  updated_at: string;
}

export interface CampaignInput {
  name?: string;
  objective?: string | null;
  channel?: CampaignChannel;
  channel_id?: string | null;
  content?: CampaignContent;
  audience?: CampaignAudience;
  fallback_channels?: CampaignChannel[];
  marketing?: boolean;
  ab_test?: AbTestSettings | null;
}

export interface SkippedCount {
  reason: SkipReason;
  channel: CampaignChannel;
  count: number;
}

export interface CampaignReview {
  audience: number;
  eligible: number;
  eligible_by_channel: Record<string, number>;
  skipped: number;
  skipped_by_reason: SkippedCount[];
  frequency_cap_7d: number | null;
  cost_estimate: Cost | null;
  evaluated_at: string;
}

export interface VariantStats {
  variant: number;
  recipients: number;
  sent: number;
  delivered: number;
  opened: number;
  clicked: number;
  replied: number;
  rate: number;
}

export interface CampaignStats {
  status: CampaignStatus;
  status_reason: string | null;
  counts: Record<DeliveryStatus, number>;
  skipped_by_reason: SkippedCount[];
  sent_per_minute: { minute: string; count: number }[];
  progress: { done: number; total: number };
  funnel: {
    audience: number;
    eligible: number;
    sent: number;
    delivered: number;
    opened: number;
    clicked: number;
    replied: number;
  };
  over_time: { bucket: 'minute' | 'hour' | 'day'; points: { at: string; sent: number; delivered: number }[] };
  failures: { status: 'failed' | 'unknown'; reason: string; example: string | null; count: number }[];
  ab_test:
    | (Required<AbTestState> & {
        held: number;
        variants: VariantStats[];
      })
    | null;
  cost_actual: Cost | null;
}

export interface Exclusion {
  client_id: string;
  client_name: string | null;
  email: string | null;
  phone: string | null;
  created_at: string;
}

export interface Recipient {
  id: string;
  client_id: string;
  client_name: string | null;
  address: string | null;
  channel: CampaignChannel;
  status: DeliveryStatus;
  skip_reason: SkipReason | null;
  error: string | null;
  sent_at: string | null;
}

export interface SendInput {
  at?: string;
  recipient_time_zone?: boolean;
  determine_recipients?: 'now' | 'at_send';
}

const campaignKeys = {
  all: ['campaigns'] as const,
  list: ['campaigns', 'list'] as const,
  detail: (id: string) => ['campaigns', 'detail', id] as const,
  review: (id: string) => ['campaigns', 'review', id] as const,
  stats: (id: string) => ['campaigns', 'stats', id] as const,
  recipients: (id: string, status: string | null) => ['campaigns', 'recipients', id, status] as const,
  exclusions: (id: string) => ['campaigns', 'exclusions', id] as const,
  settings: ['campaigns', 'settings'] as const,
};

const campaignPath = (id: string) => `/api/v1/campaigns/${encodeURIComponent(id)}`;
const LIVE: CampaignStatus[] = ['sending', 'scheduled'];

export function useCampaigns() {
  return useQuery({
    queryKey: campaignKeys.list,
    queryFn: ({ signal }) =>
      request<{ campaigns: Campaign[] }>('/api/v1/campaigns', { query: { limit: 200 }, signal }),
    select: (data) => data.campaigns,
    // A sending campaign's status changes on its own; the list follows it.
    refetchInterval: (query) =>
      query.state.data?.campaigns.some((c) => LIVE.includes(c.status)) ? 5000 : false,
  });
}

export function useCampaign(id: string | undefined) {
  return useQuery({
    queryKey: campaignKeys.detail(id ?? ''),
    queryFn: ({ signal }) => request<Campaign>(campaignPath(id ?? ''), { signal }),
    enabled: Boolean(id),
  });
}

export function useCampaignReview(id: string, enabled: boolean) {
  return useQuery({
    queryKey: campaignKeys.review(id),
    queryFn: ({ signal }) => request<CampaignReview>(`${campaignPath(id)}/review`, { signal }),
    enabled,
    staleTime: 0,
  });
}

/**
 * The campaign page's figures; while the campaign is live, `useCampaignEvents` keeps them current.
 * They are also read again every 10 s while it is live, so a stream that stalls without closing
 * (a buffering proxy, a sleeping laptop) cannot leave the page on "Sending" forever.
 */
export function useCampaignStats(id: string) {
  return useQuery({
    queryKey: campaignKeys.stats(id),
    queryFn: ({ signal }) => request<CampaignStats>(`${campaignPath(id)}/stats`, { signal }),
    refetchInterval: (query) => (query.state.data && LIVE.includes(query.state.data.status) ? 10_000 : false),
  });
}

/** One server-sent `progress` event of GET /campaigns/{id}/events. */
export interface CampaignProgressEvent {
  status: CampaignStatus;
  status_reason: string | null;
  counts: Record<DeliveryStatus, number>;
  progress: { done: number; total: number };
  rate_per_second: number;
  eta_seconds: number | null;
}

const FINAL: CampaignStatus[] = ['sent', 'cancelled', 'failed'];

/**
 * Follows the campaign's live progress (server-sent events) while it is `live`: each event updates
 * the stats' status, counts and progress at once; the rest of the figures (chart, funnel, A/B
 * variants, skip reasons) is read again when the counts moved, at most every 3 s, at least every
 * 30 s, and when the campaign ends. Returns the rate and the ETA of the last event.
 */
export function useCampaignEvents(id: string, live: boolean) {
  const queryClient = useQueryClient();
  const [pace, setPace] = useState<{ rate: number; eta: number | null } | null>(null);
  useEffect(() => {
    if (!live) return;
    let stop = () => {};
    let retry: ReturnType<typeof setTimeout> | undefined;
    let lastFullRead = Date.now();
    let lastCounts = '';
    let moved = false;
    let ended = false;
    const follow = () => {
      stop = followServerEvents<CampaignProgressEvent>(
        `${campaignPath(id)}/events`,
        (event) => {
          queryClient.setQueryData<CampaignStats>(campaignKeys.stats(id), (old) =>
            old
              ? {
                  ...old,
                  status: event.status,
                  status_reason: event.status_reason,
                  counts: event.counts,
                  progress: event.progress,
                }
              : old,
          );
          setPace({ rate: event.rate_per_second, eta: event.eta_seconds });
          ended = FINAL.includes(event.status);
          const counts = JSON.stringify(event.counts);
          if (counts !== lastCounts) moved = true;
          lastCounts = counts;
          const since = Date.now() - lastFullRead;
          if (ended || since > 30_000 || (moved && since > 3_000)) {
            moved = false;
            lastFullRead = Date.now();
            void queryClient.invalidateQueries({ queryKey: campaignKeys.stats(id) });
            if (ended) void queryClient.invalidateQueries({ queryKey: campaignKeys.detail(id) });
          }
        },
        // The connection dropped while the campaign is still going: follow it again.
        () => {
          if (!ended) retry = setTimeout(follow, 3000);
        },
      );
    };
    follow();
    return () => {
      ended = true;
      clearTimeout(retry);
      stop();
    };
  }, [id, live, queryClient]);
  return pace;
}

export function useCampaignRecipients(
  id: string,
  status: DeliveryStatus | null,
  q: string,
  refreshKey: number,
) {
  return useQuery({
    queryKey: [...campaignKeys.recipients(id, status), q, refreshKey],
    queryFn: ({ signal }) =>
      request<{ recipients: Recipient[]; next_cursor: string | null }>(`${campaignPath(id)}/recipients`, {
        query: { status: status ?? undefined, q: q.trim() || undefined, limit: 100 },
        signal,
      }),
    placeholderData: keepPreviousData,
  });
}

function useInvalidate() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: campaignKeys.all });
}

export function useCreateCampaign() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (
      input: Required<Pick<CampaignInput, 'name' | 'channel' | 'content' | 'audience'>> & CampaignInput,
    ) => request<Campaign>('/api/v1/campaigns', { method: 'POST', body: input }),
    onSuccess: invalidate,
  });
}

export function useUpdateCampaign(id: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (input: CampaignInput) =>
      request<Campaign>(campaignPath(id), { method: 'PATCH', body: input }),
    onSuccess: invalidate,
  });
}

export function useSendCampaign(id: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (input: SendInput) =>
      request<Campaign>(`${campaignPath(id)}/send`, { method: 'POST', body: input }),
    onSuccess: invalidate,
  });
}

export function useCampaignAction(id: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (action: 'pause' | 'resume' | 'cancel') =>
      request<Campaign>(`${campaignPath(id)}/${action}`, { method: 'POST', body: {} }),
    onSuccess: invalidate,
  });
}

export function useDuplicateCampaign() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: string) =>
      request<Campaign>(`${campaignPath(id)}/duplicate`, { method: 'POST', body: {} }),
    onSuccess: invalidate,
  });
}

export function useDeleteCampaign() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: string) => request<void>(campaignPath(id), { method: 'DELETE' }),
    onSuccess: invalidate,
  });
}

export function useExclusions(id: string) {
  return useQuery({
    queryKey: campaignKeys.exclusions(id),
    queryFn: ({ signal }) =>
      request<{ exclusions: Exclusion[] }>(`${campaignPath(id)}/exclusions`, { signal }),
    select: (data) => data.exclusions,
  });
}

export function useExcludeClients(id: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (clientIds: string[]) =>
      request<{ added: number; exclusions: Exclusion[] }>(`${campaignPath(id)}/exclusions`, {
        method: 'POST',
        body: { client_ids: clientIds },
      }),
    onSuccess: invalidate,
  });
}

export function useIncludeAgain(id: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (clientId: string) =>
      request<void>(`${campaignPath(id)}/exclusions/${encodeURIComponent(clientId)}`, { method: 'DELETE' }),
    onSuccess: invalidate,
  });
}

export function useChooseWinner(id: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (variant: number) =>
      request<{ campaign: Campaign; released: number }>(`${campaignPath(id)}/ab-test/winner`, {
        method: 'POST',
        body: { variant },
      }),
    onSuccess: invalidate,
  });
}

/** What `POST /campaigns/{id}/test` answers: the provider's outcome for the one test message. */
export interface TestSendResult {
  status: 'sent' | 'failed' | 'unknown';
  provider_message_id?: string;
  error?: string;
}

export function useTestCampaign(id: string) {
  return useMutation({
    mutationFn: (body: { to: string; client_id: string; variant?: number }) =>
      request<TestSendResult>(`${campaignPath(id)}/test`, { method: 'POST', body }),
  });
}

export function useRetryCampaign(id: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (statuses: Array<'failed' | 'unknown'>) =>
      request<{ campaign: Campaign; requeued: number }>(`${campaignPath(id)}/retry`, {
        method: 'POST',
        body: { statuses },
      }),
    onSuccess: invalidate,
  });
}

export function useCampaignSettings() {
  return useQuery({
    queryKey: campaignKeys.settings,
    queryFn: ({ signal }) => request<CampaignSettings>('/api/v1/campaign-settings', { signal }),
  });
}

export function useUpdateCampaignSettings() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (input: Partial<CampaignSettings>) =>
      request<CampaignSettings>('/api/v1/campaign-settings', { method: 'PUT', body: input }),
    onSuccess: invalidate,
  });
}
