import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from './client';

export type FormFieldKey = 'first_name' | 'last_name' | 'email' | 'phone' | 'city';
export type ConsentChannel = 'email' | 'sms' | 'whatsapp';

export interface SignupForm {
  id: string;
  name: string;
  title: string;
  locale: string;
  fields: Array<{ key: FormFieldKey; required: boolean }>;
  consents: Array<{ channel: ConsentChannel; text: string; version: string }>;
  double_opt_in: boolean;
  active: boolean;
  hosted_path: string;
  submissions: number;
  pending_confirmations: number;
  created_at: string;
  updated_at: string;
}

export interface SignupFormInput {
  name?: string;
  title?: string;
  locale?: string;
  fields?: Array<{ key: FormFieldKey; required: boolean }>;
  consents?: Array<{ channel: ConsentChannel; text: string }>;
  double_opt_in?: boolean;
  active?: boolean;
}

export interface PrivacyRequest {
  id: string;
  client_id: string;
  kind: 'export' | 'erasure';
  status: 'open' | 'done' | 'rejected';
  requested_at: string;
  due_at: string;
  overdue: boolean;
  resolved_at: string | null;
  resolved_by: string | null;
}

const keys = { forms: ['signup-forms'] as const, privacy: ['privacy-requests'] as const };

export function useSignupForms() {
  return useQuery({
    queryKey: keys.forms,
    queryFn: ({ signal }) =>
      request<{ forms: SignupForm[]; mail_configured: boolean }>('/api/v1/forms', { signal }),
  });
}

export function useSaveSignupForm() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, input }: { id: string | null; input: SignupFormInput }) =>
      id
        ? request<SignupForm>(`/api/v1/forms/${encodeURIComponent(id)}`, { method: 'PATCH', body: input })
        : request<SignupForm>('/api/v1/forms', { method: 'POST', body: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.forms }),
  });
}

export function useDeleteSignupForm() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      request<void>(`/api/v1/forms/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.forms }),
  });
}

export function usePrivacyRequests() {
  return useQuery({
    queryKey: keys.privacy,
    queryFn: ({ signal }) => request<{ requests: PrivacyRequest[] }>('/api/v1/privacy-requests', { signal }),
    select: (data) => data.requests,
  });
}

export function useResolvePrivacyRequest() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, status }: { id: string; status: PrivacyRequest['status'] }) =>
      request<PrivacyRequest>(`/api/v1/privacy-requests/${encodeURIComponent(id)}`, {
        method: 'PATCH',
        body: { status },
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.privacy }),
  });
}
