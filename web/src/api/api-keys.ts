import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { request } from './client';
import { queryKeys } from './query-keys';
import type { ApiKey, CreatedApiKey, Role } from './types';

interface ApiKeyPage {
  api_keys: ApiKey[];
  next_cursor: string | null;
}

export function useApiKeys() {
  return useInfiniteQuery({
    queryKey: queryKeys.apiKeys,
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      request<ApiKeyPage>('/api/v1/api-keys', { query: { cursor: pageParam }, signal }),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    select: (data) => ({
      items: data.pages.flatMap((page) => page.api_keys),
    }),
  });
}

export interface CreateApiKeyInput {
  name: string;
  role: Role;
  expires_at?: string;
}

function useInvalidateKeys() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys }),
      queryClient.invalidateQueries({ queryKey: queryKeys.auditLogAll }),
    ]);
}

export function useCreateApiKey() {
  const invalidate = useInvalidateKeys();
  return useMutation({
    mutationFn: (input: CreateApiKeyInput) =>
      request<CreatedApiKey>('/api/v1/api-keys', { method: 'POST', body: input }),
    onSuccess: invalidate,
  });
}

export function useRevokeApiKey() {
  const invalidate = useInvalidateKeys();
  return useMutation({
    mutationFn: (id: string) =>
      request<void>(`/api/v1/api-keys/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSettled: invalidate,
  });
}
