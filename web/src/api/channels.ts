import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { CampaignStatus } from './campaigns';
import { request } from './client';

export type ChannelKind = 'email' | 'sms' | 'whatsapp';
export type ProviderId = 'outbox' | 'smtp' | 'meta_whatsapp' | 'twilio' | 'evolution';

export interface ProviderField {
  name: string;
  type: 'string' | 'integer' | 'boolean';
  secret: boolean;
  required: boolean;
  default: string | number | boolean | null;
  description: string;
}

export interface ProviderInfo {
  provider: ProviderId;
  label: string;
  kinds: ChannelKind[];
  fields: ProviderField[];
  limits: { rate_per_second: number; daily_cap: number | null; source: string };
}

export interface Channel {
  id: string;
  provider: ProviderId;
  name: string;
  kinds: ChannelKind[];
  settings: Record<string, unknown>;
  secrets_set: string[];
  rate_per_second: number;
  daily_cap: number | null;
  is_default: boolean;
  health: {
    last_test_at: string | null;
    last_test_ok: boolean | null;
    last_test_error: string | null;
    sent_24h: number;
    failed_24h: number;
  };
  /** Campaigns that will still send through it (scheduled, sending, paused): it cannot be deleted meanwhile. */
  used_by: ChannelUse[];
  created_at: string;
  updated_at: string;
}

export interface ChannelUse {
  type: 'campaign';
  id: string;
  name: string;
  status: CampaignStatus;
}

export interface ChannelInput {
  provider?: ProviderId;
  name?: string;
  settings?: Record<string, unknown>;
  rate_per_second?: number;
  daily_cap?: number | null;
  is_default?: boolean;
}

export interface TestResult {
  status: 'sent' | 'failed' | 'unknown';
  provider_message_id: string | null;
  error: { code: string; message: string; retryable: boolean } | null;
}

export interface OutboxMessage {
  id: string;
  channel_id: string;
  kind: ChannelKind;
  to: string;
  client_id: string | null;
  campaign_id: string | null;
  marketing: boolean;
  test: boolean;
  status: string;
  subject: string | null;
  html: string | null;
  /** `html` without the open pixel and with links untracked: what the dashboard shows. */
  html_preview: string | null;
  text: string | null;
  headers: Record<string, string>;
  whatsapp_template: {
    name?: string;
    language?: string;
    bodyParameters?: string[];
    contentSid?: string;
  } | null;
  sms: { encoding: 'GSM-7' | 'UCS-2'; segments: number; units: number } | null;
  created_at: string;
}

/** The channels module's cache keys (kept here so the shared key list stays untouched). */
export const channelKeys = {
  all: ['channels'] as const,
  providers: ['channels', 'providers'] as const,
  list: ['channels', 'list'] as const,
  outbox: (filters: object) => ['outbox', filters] as const,
  outboxAll: ['outbox'] as const,
  templates: (channelId: string) => ['channels', 'whatsapp-templates', channelId] as const,
};

export const MASK = '••••••••';

export function useProviders() {
  return useQuery({
    queryKey: channelKeys.providers,
    queryFn: ({ signal }) => request<{ providers: ProviderInfo[] }>('/api/v1/channels/providers', { signal }),
    select: (data) => data.providers,
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useChannels() {
  return useQuery({
    queryKey: channelKeys.list,
    queryFn: ({ signal }) => request<{ channels: Channel[] }>('/api/v1/channels', { signal }),
    select: (data) => data.channels,
  });
}

const channelPath = (id: string) => `/api/v1/channels/${encodeURIComponent(id)}`;

function useInvalidateChannels() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: channelKeys.all }),
      queryClient.invalidateQueries({ queryKey: channelKeys.outboxAll }),
      queryClient.invalidateQueries({ queryKey: ['audit-log'] }),
    ]);
}

export function useCreateChannel() {
  const invalidate = useInvalidateChannels();
  return useMutation({
    mutationFn: (input: ChannelInput) =>
      request<Channel>('/api/v1/channels', { method: 'POST', body: input }),
    onSuccess: invalidate,
  });
}

export function useUpdateChannel() {
  const invalidate = useInvalidateChannels();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: ChannelInput }) =>
      request<Channel>(channelPath(id), { method: 'PATCH', body: patch }),
    onSuccess: invalidate,
  });
}

export function useDeleteChannel() {
  const invalidate = useInvalidateChannels();
  return useMutation({
    mutationFn: (id: string) => request<void>(channelPath(id), { method: 'DELETE' }),
    onSettled: invalidate,
  });
}

export function useTestChannel() {
  const invalidate = useInvalidateChannels();
  return useMutation({
    mutationFn: ({ id, to, kind, text }: { id: string; to: string; kind?: ChannelKind; text?: string }) =>
      request<TestResult>(`${channelPath(id)}/test`, {
        method: 'POST',
        body: { to, kind, text: text || undefined },
      }),
    onSettled: invalidate,
  });
}

export interface WhatsappTemplate {
  id: string;
  name: string;
  language: string;
  status: string;
  category: string | null;
}

/** The approved templates of a Meta WhatsApp channel (what campaigns may use outside the 24-hour window). */
export function useWhatsappTemplates(channelId: string, enabled: boolean) {
  return useQuery({
    enabled,
    queryKey: channelKeys.templates(channelId),
    queryFn: ({ signal }) =>
      request<{ templates: WhatsappTemplate[] }>(`${channelPath(channelId)}/whatsapp-templates`, { signal }),
    select: (data) => data.templates,
  });
}

export function useSyncWhatsappTemplates() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      request<{ templates: WhatsappTemplate[] }>(`${channelPath(id)}/whatsapp-templates/sync`, {
        method: 'POST',
      }),
    onSuccess: (_data, id) => queryClient.invalidateQueries({ queryKey: channelKeys.templates(id) }),
  });
}

export function useOutbox(filters: { client_id?: string; campaign_id?: string } = {}) {
  return useInfiniteQuery({
    queryKey: channelKeys.outbox(filters),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      request<{ messages: OutboxMessage[]; next_cursor: string | null }>('/api/v1/outbox', {
        query: { ...filters, limit: 20, cursor: pageParam },
        signal,
      }),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    select: (data) => data.pages.flatMap((page) => page.messages),
  });
}
