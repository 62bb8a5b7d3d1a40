import { type Query, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { isApiError, request } from './client';
import { queryKeys } from './query-keys';
import type { Me, WorkspaceRef, WorkspaceSummary } from './types';
import { getSelectedWorkspaceId, setSelectedWorkspaceId } from './workspace-store';

async function fetchMe(signal: AbortSignal): Promise<Me> {
  try {
    return await request<Me>('/api/v1/me', { signal });
  } catch (error) {
    // A remembered workspace the user no longer belongs to: forget it and use the default one.
    if ((isApiError(error, 403) || isApiError(error, 404)) && getSelectedWorkspaceId()) {
      setSelectedWorkspaceId(null);
      return request<Me>('/api/v1/me', { signal });
    }
    throw error;
  }
}

/** The signed-in user, their current workspace and role. Fails with status 401 when signed out. */
export function useMe() {
  return useQuery({
    queryKey: queryKeys.me,
    queryFn: ({ signal }) => fetchMe(signal),
    staleTime: 60_000,
    retry: (failures, error) => isApiError(error) && error.status >= 500 && failures < 2,
  });
}

/** Selects another workspace: remembers it, drops every cached answer and loads again. */
export function useSwitchWorkspace() {
  const queryClient = useQueryClient();
  return useCallback(
    async (workspace: WorkspaceRef) => {
      setSelectedWorkspaceId(workspace.id);
      await queryClient.cancelQueries();
      queryClient.setQueryData<Me>(queryKeys.me, (me) => {
        if (!me) return me;
        const entry = me.workspaces.find((w) => w.id === workspace.id);
        return { ...me, workspace, role: entry?.role ?? me.role };
      });
      const notMe = (query: Query) => query.queryKey[0] !== queryKeys.me[0];
      queryClient.removeQueries({ predicate: (query) => notMe(query) && query.getObserversCount() === 0 });
      await Promise.all([
        queryClient.resetQueries({ predicate: notMe }),
        queryClient.invalidateQueries({ queryKey: queryKeys.me }),
      ]);
    },
    [queryClient],
  );
}

export function useCreateWorkspace() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: { name: string }) =>
      request<WorkspaceSummary>('/api/v1/workspaces', { method: 'POST', body: input }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.workspaces }),
  });
}
