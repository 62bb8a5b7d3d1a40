import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from './client';
import { queryKeys } from './query-keys';
import type { Role } from './types';

export const CUSTOM_FIELD_TYPES = [
  'text',
  'number',
  'date',
  'boolean',
  'select',
  'multi_select',
  'url',
  'email',
  'phone',
] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];

export interface CustomField {
  id: string;
  key: string;
  label: string;
  type: CustomFieldType;
  options: string[];
  required: boolean;
  section: string | null;
  position: number;
  help_text: string | null;
  visible_min_role: Role;
  editable_min_role: Role;
  archived_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface CustomFieldInput {
  key?: string;
  type?: CustomFieldType;
  label?: string;
  options?: string[];
  required?: boolean;
  section?: string | null;
  position?: number;
  help_text?: string | null;
  visible_min_role?: Role;
  editable_min_role?: Role;
}

/** Fields ordered as the server sends them: by section, then position. */
export function useCustomFields(includeArchived = false) {
  return useQuery({
    queryKey: queryKeys.customFields(includeArchived),
    queryFn: ({ signal }) =>
      request<{ custom_fields: CustomField[] }>('/api/v1/custom-fields', {
        query: { include_archived: includeArchived ? 'true' : undefined },
        signal,
      }),
    select: (data) => data.custom_fields,
    staleTime: 60_000,
  });
}

const fieldPath = (id: string) => `/api/v1/custom-fields/${encodeURIComponent(id)}`;

function useInvalidateFields() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: queryKeys.customFieldsAll }),
      queryClient.invalidateQueries({ queryKey: queryKeys.auditLogAll }),
    ]);
}

export function useCreateCustomField() {
  const invalidate = useInvalidateFields();
  return useMutation({
    mutationFn: (input: CustomFieldInput) =>
      request<CustomField>('/api/v1/custom-fields', { method: 'POST', body: input }),
    onSuccess: invalidate,
  });
}

export function useUpdateCustomField() {
  const invalidate = useInvalidateFields();
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: CustomFieldInput }) =>
      request<CustomField>(fieldPath(id), { method: 'PATCH', body: patch }),
    onSuccess: invalidate,
  });
}

/** Several position changes in a row (moving a field up or down), then one refresh. */
export function useReorderCustomFields() {
  const invalidate = useInvalidateFields();
  return useMutation({
    mutationFn: async (moves: Array<{ id: string; position: number }>) => {
      for (const move of moves) {
        await request<CustomField>(fieldPath(move.id), {
          method: 'PATCH',
          body: { position: move.position },
        });
      }
    },
    onSettled: invalidate,
  });
}

export function useArchiveCustomField() {
  const invalidate = useInvalidateFields();
  return useMutation({
    mutationFn: (id: string) => request<void>(fieldPath(id), { method: 'DELETE' }),
    onSettled: invalidate,
  });
}
