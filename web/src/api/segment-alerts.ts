import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { isApiError, request } from './client';

export interface SegmentAlert {
  segment_id: string;
  user_ids: string[];
  email: boolean;
  /** false: the server has no SMTP_URL, so `email` sends nothing (dashboard notification only). */
  mail_configured: boolean;
  on_exit: boolean;
  last_checked_at: string | null;
  members_tracked: number;
  created_at: string;
  updated_at: string;
}

export interface SegmentAlertInput {
  user_ids: string[];
  email: boolean;
  on_exit: boolean;
}

const alertKey = (segmentId: string) => ['segments', 'alert', segmentId] as const;
const alertPath = (segmentId: string) => `/api/v1/segments/${encodeURIComponent(segmentId)}/alert`;

/** The segment's alert, or null when it has none (the API answers 404 then). */
export function useSegmentAlert(segmentId: string) {
  return useQuery({
    queryKey: alertKey(segmentId),
    queryFn: async ({ signal }) => {
      try {
        return await request<SegmentAlert>(alertPath(segmentId), { signal });
      } catch (error) {
        if (isApiError(error, 404)) return null;
        throw error;
      }
    },
  });
}

export function useSaveSegmentAlert(segmentId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: SegmentAlertInput | null) =>
      input
        ? request<SegmentAlert>(alertPath(segmentId), { method: 'PUT', body: input })
        : request<null>(alertPath(segmentId), { method: 'DELETE' }),
    onSuccess: (saved) => queryClient.setQueryData(alertKey(segmentId), saved ?? null),
  });
}
