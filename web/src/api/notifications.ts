import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from './client';
import { getSelectedWorkspaceId } from './workspace-store';

export interface AppNotification {
  id: string;
  kind: string;
  title: string;
  body: string;
  link: string | null;
  data: Record<string, unknown>;
  email_status: 'pending' | 'sent' | 'failed' | 'off';
  read_at: string | null;
  created_at: string;
}

interface NotificationPage {
  notifications: AppNotification[];
  next_cursor: string | null;
  unread_count: number;
}

const notificationsKey = (workspaceId: string | null) => ['notifications', workspaceId] as const;

/** The bell's list: polled every 30 s (alerts arrive from background jobs), paused in hidden tabs. */
export function useNotifications() {
  const workspaceId = getSelectedWorkspaceId();
  return useQuery({
    queryKey: notificationsKey(workspaceId),
    queryFn: ({ signal }) =>
      request<NotificationPage>('/api/v1/notifications', { query: { limit: 20 }, signal }),
    refetchInterval: 30_000,
    refetchIntervalInBackground: false,
  });
}

export function useMarkNotificationsRead() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string | null) =>
      request<{ marked: number }>(
        id ? `/api/v1/notifications/${encodeURIComponent(id)}/read` : '/api/v1/notifications/read-all',
        { method: 'POST' },
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['notifications'] }),
  });
}
