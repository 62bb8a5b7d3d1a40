import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, request } from './client';
import type { TemplateChannel } from './templates';
import { getSelectedWorkspaceId } from './workspace-store';

export interface AiUsage {
  month: string;
  tokens_used: number;
  requests: number;
  failed_requests: number;
  budget: number;
  remaining: number;
  renews_at: string;
  requests_per_minute: number;
}

export interface AiSettings {
  configured: boolean;
  source: 'workspace' | 'server' | null;
  base_url: string | null;
  model: string | null;
  /** Masked when set. */
  api_key: string | null;
  server: {
    configured: boolean;
    model: string | null;
    monthly_token_budget: number;
    requests_per_minute: number;
  };
  effective_model: string | null;
  share_client_details: boolean;
  forbidden_claims: string[];
  monthly_token_budget: number | null;
  requests_per_minute: number | null;
  usage: AiUsage;
  updated_at: string | null;
}

export type AiSettingsPatch = Partial<
  Pick<
    AiSettings,
    | 'base_url'
    | 'model'
    | 'api_key'
    | 'share_client_details'
    | 'forbidden_claims'
    | 'monthly_token_budget'
    | 'requests_per_minute'
  >
>;

export const AI_KEY_MASK = '••••••••';

export interface AudienceFacts {
  count: number;
  top_cities: Array<{ city: string; clients: number }>;
  labels: Array<{ label: string; clients: number }>;
  languages: Array<{ language: string; clients: number }>;
  average_lifetime_value: number | null;
  average_bookings: number | null;
}

export interface SentToModel {
  audience: AudienceFacts | null;
  clients: Array<Record<string, unknown>> | null;
  summary: string[];
}

export interface AiVariant {
  subject: string | null;
  body: string | null;
  valid: boolean;
  problems: Array<{ path: string; message: string; line?: number; column?: number }>;
  repairs: Array<{ field: 'subject' | 'body'; from: string; to: string }>;
  claims: Array<{ field: 'subject' | 'body'; claim: string; sentence: string; start: number; end: number }>;
  warnings: Array<{ code: string; message: string }>;
  characters: number;
  sms: { segments: number; encoding: string; units: number } | null;
}

export interface AiResult {
  channel: TemplateChannel;
  operation: string;
  model: string;
  variants: AiVariant[];
  sent_to_model: SentToModel;
  usage: { prompt_tokens: number; completion_tokens: number; tokens_used_this_month: number; budget: number };
}

export type AiAudience = { segment_id: string } | { client_ids: string[] };

export interface ComposeRequest {
  channel: TemplateChannel;
  objective: string;
  tone?: string;
  language: string;
  audience?: AiAudience;
  variants: number;
  max_length?: number;
  sms_segments?: number;
}

export const REWRITE_OPERATIONS = [
  'improve',
  'shorten',
  'lengthen',
  'translate',
  'fix_spelling',
  'subject_lines',
  'adapt',
] as const;
export type RewriteOperation = (typeof REWRITE_OPERATIONS)[number];

export interface RewriteRequest {
  operation: RewriteOperation;
  channel: TemplateChannel;
  target_channel?: TemplateChannel;
  language?: string;
  tone?: string;
  subject?: string | null;
  body: string;
  variants: number;
  sms_segments?: number;
}

export const aiKeys = { settings: ['ai', 'settings'] as const };

export function useAiSettings(enabled = true) {
  return useQuery({
    queryKey: aiKeys.settings,
    queryFn: ({ signal }) => request<AiSettings>('/api/v1/ai/settings', { signal }),
    enabled,
    retry: false,
  });
}

export function useUpdateAiSettings() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (patch: AiSettingsPatch) =>
      request<AiSettings>('/api/v1/ai/settings', { method: 'PATCH', body: patch }),
    onSuccess: (settings) => {
      queryClient.setQueryData(aiKeys.settings, settings);
      void queryClient.invalidateQueries({ queryKey: ['audit-log'] });
    },
  });
}

export function useAudiencePreview() {
  return useMutation({
    mutationFn: (audience: AiAudience) =>
      request<SentToModel>('/api/v1/ai/audience-preview', { method: 'POST', body: { audience } }),
  });
}

export interface StreamHandlers {
  onStart?(info: { model: string; sent_to_model: SentToModel }): void;
  onDelta?(text: string): void;
}

/**
 * Runs a compose or rewrite request as server-sent events (fetch, so the workspace header goes
 * along). Resolves with the checked variants; rejects with an ApiError whether the server refused
 * up front (409, 429, 400) or the model failed mid-way (timeout, provider error).
 */
export async function streamAi(
  path: '/api/v1/ai/compose' | '/api/v1/ai/rewrite',
  body: ComposeRequest | RewriteRequest,
  handlers: StreamHandlers,
  signal?: AbortSignal,
): Promise<AiResult> {
  const headers: Record<string, string> = { Accept: 'text/event-stream', 'Content-Type': 'application/json' };
  const workspaceId = getSelectedWorkspaceId();
  if (workspaceId) headers['X-Workspace-Id'] = workspaceId;
  let response: Response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK', 'The server could not be reached.');
  }
  if (!response.ok || !response.body) {
    const payload = (await response.json().catch(() => null)) as {
      error?: { code?: string; message?: string; details?: [] };
    } | null;
    throw new ApiError(
      response.status,
      payload?.error?.code ?? `HTTP_${response.status}`,
      payload?.error?.message ?? response.statusText,
      payload?.error?.details ?? [],
    );
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (!event || !data) continue;
      const parsed = JSON.parse(data);
      if (event === 'start') handlers.onStart?.(parsed);
      else if (event === 'delta') handlers.onDelta?.(parsed.text);
      else if (event === 'result') return parsed as AiResult;
      else if (event === 'error')
        throw new ApiError(502, parsed.error.code, parsed.error.message, parsed.error.details ?? []);
    }
  }
  throw new ApiError(502, 'AI_PROVIDER_ERROR', 'The answer stopped before it was complete.');
}
