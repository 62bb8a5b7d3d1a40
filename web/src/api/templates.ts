import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from './client';

export type TemplateChannel = 'email' | 'sms' | 'whatsapp';

export interface WhatsappTemplateRef {
  name?: string;
  language?: string;
  content_sid?: string;
  body_parameters?: string[];
}

export interface MessageTemplate {
  id: string;
  name: string;
  channel: TemplateChannel;
  subject: string | null;
  body: string;
  objective: string | null;
  marketing: boolean;
  whatsapp_template: WhatsappTemplateRef | null;
  usage_count: number;
  last_used_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface TemplateInput {
  name?: string;
  channel?: TemplateChannel;
  subject?: string | null;
  body?: string;
  objective?: string | null;
  marketing?: boolean;
  whatsapp_template?: WhatsappTemplateRef | null;
}

export interface TemplatePreview {
  channel: TemplateChannel;
  subject: string | null;
  html: string | null;
  text: string;
  marketing: boolean;
  locale: string;
  unsubscribe_url: string;
  preferences_url: string;
  sms: { encoding: string; units: number; segments: number; remaining: number } | null;
}

export interface PreviewInput {
  channel: TemplateChannel;
  subject?: string;
  body: string;
  marketing: boolean;
  client_id: string;
}

const templateKeys = {
  all: ['templates'] as const,
  list: ['templates', 'list'] as const,
  variables: ['templates', 'variables'] as const,
  preview: (input: PreviewInput) => ['templates', 'preview', input] as const,
};

export function useTemplates() {
  return useQuery({
    queryKey: templateKeys.list,
    queryFn: ({ signal }) => request<{ templates: MessageTemplate[] }>('/api/v1/templates', { signal }),
    select: (data) => data.templates,
  });
}

export type TemplateVariableGroup =
  | 'client'
  | 'custom_fields'
  | 'location'
  | 'sender'
  | 'coupon'
  | 'dates'
  | 'links';

export interface TemplateVariable {
  /** e.g. client.first_name: what a WhatsApp template parameter takes. */
  path: string;
  /** What an editor inserts at the cursor, e.g. {{ client.first_name }}. */
  insert: string;
  /** A custom field's label; null for the built-in variables. */
  label: string | null;
}

/**
 * The variables the renderer fills, grouped, with the workspace's custom fields (those the
 * member's role may see). Refetched when custom fields may have changed (a minute stale at most).
 */
export function useTemplateVariables() {
  return useQuery({
    queryKey: templateKeys.variables,
    queryFn: ({ signal }) =>
      request<{
        variables: string[];
        groups: { group: TemplateVariableGroup; variables: TemplateVariable[] }[];
      }>('/api/v1/templates/variables', { signal }),
    select: (data) => data.groups,
    staleTime: 60_000,
  });
}

/** The live preview: re-rendered by the server (real Liquid, real client) as the text settles. */
export function useTemplatePreview(input: PreviewInput | null) {
  return useQuery({
    queryKey: templateKeys.preview(input ?? ({} as PreviewInput)),
    queryFn: ({ signal }) =>
      request<TemplatePreview>('/api/v1/templates/preview', { method: 'POST', body: input, signal }),
    enabled: input !== null && input.body.trim() !== '',
    placeholderData: keepPreviousData,
    retry: false,
  });
}

const templatePath = (id: string) => `/api/v1/templates/${encodeURIComponent(id)}`;

function useInvalidateTemplates() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: templateKeys.list });
}

export function useSaveTemplate() {
  const invalidate = useInvalidateTemplates();
  return useMutation({
    mutationFn: ({ id, input }: { id: string | null; input: TemplateInput }) =>
      id
        ? request<MessageTemplate>(templatePath(id), { method: 'PATCH', body: input })
        : request<MessageTemplate>('/api/v1/templates', { method: 'POST', body: input }),
    onSuccess: invalidate,
  });
}

export function useDeleteTemplate() {
  const invalidate = useInvalidateTemplates();
  return useMutation({
    mutationFn: (id: string) => request<void>(templatePath(id), { method: 'DELETE' }),
    onSettled: invalidate,
  });
}
