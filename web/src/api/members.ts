import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from './client';
import { queryKeys } from './query-keys';
import type { Member, Role } from './types';

export function useMembers() {
  return useQuery({
    queryKey: queryKeys.members,
    queryFn: ({ signal }) => request<{ members: Member[] }>('/api/v1/members', { signal }),
    select: (data) => data.members,
  });
}

function useInvalidateMembers() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: queryKeys.members }),
      queryClient.invalidateQueries({ queryKey: queryKeys.me }),
      queryClient.invalidateQueries({ queryKey: queryKeys.auditLogAll }),
    ]);
}

export function useChangeMemberRole() {
  const invalidate = useInvalidateMembers();
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: Role }) =>
      request<Member>(`/api/v1/members/${encodeURIComponent(userId)}`, { method: 'PATCH', body: { role } }),
    onSettled: invalidate,
  });
}

export function useRemoveMember() {
  const invalidate = useInvalidateMembers();
  return useMutation({
    mutationFn: (userId: string) =>
      request<void>(`/api/v1/members/${encodeURIComponent(userId)}`, { method: 'DELETE' }),
    onSettled: invalidate,
  });
}
