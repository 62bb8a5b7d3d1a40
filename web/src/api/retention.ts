import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from './client';
import { queryKeys } from './query-keys';

/** The longest retention: fifty years, as the API (some medical records are kept for decades). */
export const RETENTION_MONTHS_MAX = 600;

export interface RetentionPreview {
  inactive_months: number;
  /** The cut-off: clients whose last activity (or creation) is older are erased. */
  inactive_since: string;
  total: number;
  /** The first 200, least recently active first; last_activity_at falls back to when they were added. */
  clients: Array<{ id: string; name: string; last_activity_at: string | null }>;
}

export interface RetentionRun {
  job_id: string;
  inactive_months: number;
  inactive_since: string;
  total: number;
}

/** Who a retention of `months` would erase now (admins and owners); nothing is asked while months is null. */
export function useRetentionPreview(months: number | null, enabled = true) {
  return useQuery({
    queryKey: queryKeys.retentionPreview(months ?? 0),
    queryFn: ({ signal }) =>
      request<RetentionPreview>('/api/v1/clients/retention/preview', {
        method: 'POST',
        body: { inactive_months: months },
        signal,
      }),
    enabled: enabled && months !== null,
  });
}

/** Queues the erasure of everyone inactive for `months` now (owners only). */
export function useRunRetention() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (months: number) =>
      request<RetentionRun>('/api/v1/clients/retention/run', {
        method: 'POST',
        body: { inactive_months: months, confirm: true },
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.auditLogAll }),
  });
}
