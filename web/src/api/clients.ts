import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { request } from './client';

/** The fields of GET /api/v1/clients the dashboard shows today (the server sends more). */
export interface ClientRow {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  tags: string[];
  last_activity_at: string | null;
  created_at: string;
}

interface ClientPage {
  clients: ClientRow[];
  next_cursor: string | null;
  total: number;
}

export function useClients(search: string) {
  return useInfiniteQuery({
    queryKey: ['clients', { q: search }],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      request<ClientPage>('/api/v1/clients', {
        query: { q: search || undefined, limit: 50, cursor: pageParam, sort: '-created_at' },
        signal,
      }),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    select: (data) => ({
      items: data.pages.flatMap((page) => page.clients),
      total: data.pages[0]?.total ?? 0,
    }),
    placeholderData: keepPreviousData,
  });
}
