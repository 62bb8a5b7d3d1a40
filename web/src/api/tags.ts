import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from './client';
import type { SwatchColor } from './labels';
import { queryKeys } from './query-keys';

export interface Tag {
  id: string;
  name: string;
  color: string;
  description: string | null;
  member_count?: number;
  created_at: string;
  updated_at: string;
}

export interface TagInput {
  name?: string;
  color?: SwatchColor;
  description?: string | null;
}

export function useTags() {
  return useQuery({
    queryKey: queryKeys.tags,
    queryFn: ({ signal }) => request<{ tags: Tag[] }>('/api/v1/tags', { signal }),
    select: (data) => [...data.tags].sort((a, b) => a.name.localeCompare(b.name)),
    staleTime: 60_000,
  });
}

/** Tag name (any case) → its color, for chips. */
export function useTagColors(): (name: string) => string {
  const { data } = useTags();
  const colors = new Map((data ?? []).map((tag) => [tag.name.toLocaleLowerCase(), tag.color]));
  return (name) => colors.get(name.toLocaleLowerCase()) ?? 'gray';
}

const tagPath = (id: string) => `/api/v1/tags/${encodeURIComponent(id)}`;

function useInvalidateTags(withClients = false) {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: queryKeys.tags }),
      queryClient.invalidateQueries({ queryKey: queryKeys.auditLogAll }),
      withClients ? queryClient.invalidateQueries({ queryKey: queryKeys.clients }) : undefined,
    ]);
}

export function useCreateTag() {
  const invalidate = useInvalidateTags();
  return useMutation({
    mutationFn: (input: TagInput) => request<Tag>('/api/v1/tags', { method: 'POST', body: input }),
    onSuccess: invalidate,
  });
}

export function useUpdateTag() {
  // A rename shows on every client that has the tag.
  const invalidate = useInvalidateTags(true);
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: TagInput }) =>
      request<Tag>(tagPath(id), { method: 'PATCH', body: patch }),
    onSuccess: invalidate,
  });
}

export function useDeleteTag() {
  const invalidate = useInvalidateTags(true);
  return useMutation({
    mutationFn: (id: string) => request<void>(tagPath(id), { method: 'DELETE' }),
    onSettled: invalidate,
  });
}
