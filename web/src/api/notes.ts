import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { request } from './client';
import { queryKeys } from './query-keys';

export const NOTE_TYPES = ['info', 'warning', 'action'] as const;
export type NoteType = (typeof NOTE_TYPES)[number];
export const NOTE_VISIBILITIES = ['internal', 'shared'] as const;
export type NoteVisibility = (typeof NOTE_VISIBILITIES)[number];

export interface Note {
  id: string;
  client_id: string;
  body: string;
  type: NoteType;
  visibility: NoteVisibility;
  pinned: boolean;
  author: { user_id: string | null; label: string };
  /** The caller may edit or delete it (its author, or an admin). */
  can_edit: boolean;
  created_at: string;
  updated_at: string;
}

export interface NoteInput {
  body?: string;
  type?: NoteType;
  visibility?: NoteVisibility;
  pinned?: boolean;
}

interface NotePage {
  notes: Note[];
  next_cursor: string | null;
}

const notesPath = (clientId: string) => `/api/v1/clients/${encodeURIComponent(clientId)}/notes`;

/** Pinned first, then newest first (the server's order). */
export function useNotes(clientId: string) {
  return useInfiniteQuery({
    queryKey: queryKeys.clientNotes(clientId),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      request<NotePage>(notesPath(clientId), { query: { limit: 50, cursor: pageParam }, signal }),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    select: (data) => data.pages.flatMap((page) => page.notes),
  });
}

function useInvalidateNotes(clientId: string) {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: queryKeys.clientNotes(clientId) }),
      queryClient.invalidateQueries({ queryKey: queryKeys.clientTimeline(clientId) }),
      queryClient.invalidateQueries({ queryKey: queryKeys.auditLogAll }),
    ]);
}

export function useCreateNote(clientId: string) {
  const invalidate = useInvalidateNotes(clientId);
  return useMutation({
    mutationFn: (input: NoteInput) => request<Note>(notesPath(clientId), { method: 'POST', body: input }),
    onSuccess: invalidate,
  });
}

export function useUpdateNote(clientId: string) {
  const invalidate = useInvalidateNotes(clientId);
  return useMutation({
    mutationFn: ({ id, patch }: { id: string; patch: NoteInput }) =>
      request<Note>(`${notesPath(clientId)}/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch }),
    onSuccess: invalidate,
  });
}

export function useDeleteNote(clientId: string) {
  const invalidate = useInvalidateNotes(clientId);
  return useMutation({
    mutationFn: (id: string) =>
      request<void>(`${notesPath(clientId)}/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSettled: invalidate,
  });
}
