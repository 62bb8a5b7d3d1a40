import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from './client';
import { queryKeys } from './query-keys';
import type { Workspace, WorkspacePatch } from './types';

export function useWorkspace() {
  return useQuery({
    queryKey: queryKeys.workspace,
    queryFn: ({ signal }) => request<Workspace>('/api/v1/workspace', { signal }),
  });
}

export function useUpdateWorkspace() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (patch: WorkspacePatch) =>
      request<Workspace>('/api/v1/workspace', { method: 'PATCH', body: patch }),
    onSuccess: (workspace) => {
      queryClient.setQueryData(queryKeys.workspace, workspace);
      return Promise.all([
        queryClient.invalidateQueries({ queryKey: queryKeys.me }),
        queryClient.invalidateQueries({ queryKey: queryKeys.workspaces }),
        queryClient.invalidateQueries({ queryKey: queryKeys.auditLogAll }),
      ]);
    },
  });
}
