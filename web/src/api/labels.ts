import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from './client';
import { queryKeys } from './query-keys';

/** The colors the server accepts for labels and tags (Mantine palette names). */
export const SWATCH_COLORS = [
  'gray',
  'red',
  'pink',
  'grape',
  'violet',
  'indigo',
  'blue',
  'cyan',
  'teal',
  'green',
  'lime',
  'yellow',
  'orange',
] as const;
export type SwatchColor = (typeof SWATCH_COLORS)[number];

export interface Label {
  id: string;
  key: string;
  name: string;
  color: string;
  position: number;
}

export interface LabelInput {
  key?: string;
  name?: string;
  color?: SwatchColor;
  position?: number;
}

export function useLabels() {
  return useQuery({
    queryKey: queryKeys.labels,
    queryFn: ({ signal }) => request<{ labels: Label[] }>('/api/v1/labels', { signal }),
    select: (data) =>
      [...data.labels].sort((a, b) => a.position - b.position || a.name.localeCompare(b.name)),
    staleTime: 60_000,
  });
}

const labelPath = (id: string) => `/api/v1/labels/${encodeURIComponent(id)}`;

function useInvalidateLabels() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: queryKeys.labels }),
      queryClient.invalidateQueries({ queryKey: queryKeys.auditLogAll }),
    ]);
}

export function useCreateLabel() {
  const invalidate = useInvalidateLabels();
  return useMutation({
    mutationFn: (input: LabelInput) => request<Label>('/api/v1/labels', { method: 'POST', body: input }),
    onSuccess: invalidate,
  });
}

export function useUpdateLabel() {
  const invalidate = useInvalidateLabels();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: LabelInput }) =>
      request<Label>(labelPath(id), { method: 'PATCH', body: patch }),
    onSuccess: invalidate,
  });
}

export function useReorderLabels() {
  const invalidate = useInvalidateLabels();
  return useMutation({
    mutationFn: async (moves: Array<{ id: string; position: number }>) => {
      for (const move of moves) {
        await request<Label>(labelPath(move.id), { method: 'PATCH', body: { position: move.position } });
      }
    },
    onSettled: invalidate,
  });
}

export function useDeleteLabel() {
  const invalidate = useInvalidateLabels();
  return useMutation({
    mutationFn: (id: string) => request<void>(labelPath(id), { method: 'DELETE' }),
    onSettled: invalidate,
  });
}
