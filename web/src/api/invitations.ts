import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from './client';
import { queryKeys } from './query-keys';
import type { AcceptedInvitation, CreatedInvitation, Invitation, InvitationPreview, Role } from './types';

export function useInvitations(enabled = true) {
  return useQuery({
    queryKey: queryKeys.invitations,
    queryFn: ({ signal }) => request<{ invitations: Invitation[] }>('/api/v1/invitations', { signal }),
    select: (data) => data.invitations,
    enabled,
  });
}

export interface CreateInvitationInput {
  email?: string;
  role: Role;
  expires_in_days?: number;
}

export function useCreateInvitation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: CreateInvitationInput) =>
      request<CreatedInvitation>('/api/v1/invitations', { method: 'POST', body: input }),
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.invitations }),
        queryClient.invalidateQueries({ queryKey: queryKeys.auditLogAll }),
      ]),
  });
}

export function useRevokeInvitation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      request<void>(`/api/v1/invitations/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSettled: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.invitations }),
        queryClient.invalidateQueries({ queryKey: queryKeys.auditLogAll }),
      ]),
  });
}

const tokenPath = (token: string) => `/api/v1/invitations/by-token/${encodeURIComponent(token)}`;

export function useInvitationPreview(token: string) {
  return useQuery({
    queryKey: queryKeys.invitationPreview(token),
    queryFn: ({ signal }) => request<InvitationPreview>(tokenPath(token), { signal }),
    retry: false,
  });
}

export type AcceptInvitationInput = { name: string; email: string; password: string } | Record<string, never>;

export function useAcceptInvitation(token: string) {
  return useMutation({
    mutationFn: (input: AcceptInvitationInput) =>
      request<AcceptedInvitation>(`${tokenPath(token)}/accept`, { method: 'POST', body: input }),
  });
}

/** Invitation links may come back relative; always show and copy an absolute address. */
export function absoluteUrl(url: string): string {
  try {
    return new URL(url, window.location.origin).href;
  } catch {
    return url;
  }
}
