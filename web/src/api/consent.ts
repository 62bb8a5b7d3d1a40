import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from './client';
import { type Channel, type ConsentState, invalidateClient } from './clients';
import { queryKeys } from './query-keys';

export const CONSENT_SOURCES = [
  'form',
  'import',
  'api',
  'admin',
  'sms_keyword',
  'unsubscribe_link',
  'provider_webhook',
] as const;
export type ConsentSource = (typeof CONSENT_SOURCES)[number];

export interface ConsentHistoryEntry {
  id: string;
  channel: Channel;
  granted: boolean;
  source: ConsentSource;
  actor: { type: string; id: string | null; label: string };
  evidence: string | null;
  ip: string | null;
  user_agent: string | null;
  wording_version: string | null;
  occurred_at: string;
}

export interface ClientConsent {
  consent: ConsentState;
  /** Newest first. */
  history: ConsentHistoryEntry[];
}

export interface ConsentChange {
  changes: Partial<ConsentState>;
  source: ConsentSource;
  evidence?: string | null;
  wording_version?: string | null;
}

const consentPath = (clientId: string) => `/api/v1/clients/${encodeURIComponent(clientId)}/consent`;

export function useConsent(clientId: string) {
  return useQuery({
    queryKey: queryKeys.clientConsent(clientId),
    queryFn: ({ signal }) => request<ClientConsent>(consentPath(clientId), { signal }),
  });
}

/** PATCH /clients/{id}/consent: one history entry per channel whose state really changes. */
export function changeConsent(clientId: string, change: ConsentChange) {
  return request<ClientConsent & { changed: Array<{ channel: Channel; granted: boolean }> }>(
    consentPath(clientId),
    { method: 'PATCH', body: change },
  );
}

export function useChangeConsent(clientId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (change: ConsentChange) => changeConsent(clientId, change),
    onSuccess: (result) => {
      queryClient.setQueryData(queryKeys.clientConsent(clientId), {
        consent: result.consent,
        history: result.history,
      });
      return invalidateClient(queryClient, clientId);
    },
  });
}
