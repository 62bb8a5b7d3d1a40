import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { request } from './client';
import { queryKeys } from './query-keys';
import type { AuditEntry, AuditFilters } from './types';

interface AuditPage {
  entries: AuditEntry[];
  next_cursor: string | null;
}

const PAGE_SIZE = 50;

export function useAuditLog(filters: AuditFilters) {
  return useInfiniteQuery({
    queryKey: queryKeys.auditLog(filters),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      request<AuditPage>('/api/v1/audit-log', {
        query: { ...filters, limit: PAGE_SIZE, cursor: pageParam },
        signal,
      }),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    select: (data) => ({ items: data.pages.flatMap((page) => page.entries) }),
    placeholderData: keepPreviousData,
  });
}
