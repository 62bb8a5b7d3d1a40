import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from './client';
import { queryKeys } from './query-keys';

export interface Location {
  id: string;
  name: string;
  address: string | null;
  timezone: string | null;
  archived_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface LocationInput {
  name?: string;
  address?: string | null;
  timezone?: string | null;
}

export function useLocations(includeArchived = false) {
  return useQuery({
    queryKey: queryKeys.locations(includeArchived),
    queryFn: ({ signal }) =>
      request<{ locations: Location[] }>('/api/v1/locations', {
        query: { include_archived: includeArchived ? 'true' : undefined },
        signal,
      }),
    select: (data) => [...data.locations].sort((a, b) => a.name.localeCompare(b.name)),
    staleTime: 60_000,
  });
}

const locationPath = (id: string) => `/api/v1/locations/${encodeURIComponent(id)}`;

function useInvalidateLocations() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: queryKeys.locationsAll }),
      queryClient.invalidateQueries({ queryKey: queryKeys.auditLogAll }),
    ]);
}

export function useCreateLocation() {
  const invalidate = useInvalidateLocations();
  return useMutation({
    mutationFn: (input: LocationInput) =>
      request<Location>('/api/v1/locations', { method: 'POST', body: input }),
    onSuccess: invalidate,
  });
}

export function useUpdateLocation() {
  const invalidate = useInvalidateLocations();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: LocationInput }) =>
      request<Location>(locationPath(id), { method: 'PATCH', body: patch }),
    onSuccess: invalidate,
  });
}

export function useArchiveLocation() {
  const invalidate = useInvalidateLocations();
  return useMutation({
    mutationFn: (id: string) => request<void>(locationPath(id), { method: 'DELETE' }),
    onSettled: invalidate,
  });
}
