import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from './client';
import type { ClientListParams } from './clients';
import { queryKeys } from './query-keys';

/** Who a bulk action touches: ticked rows, a saved segment, a tree, or the list's search + filters. */
export type BulkSelection =
  | { client_ids: string[] }
  | { segment_id: string }
  | { definition: unknown }
  | { query: Partial<Record<keyof Omit<ClientListParams, 'sort'>, string>> };

export const BULK_ACTIONS = [
  'add_tags',
  'remove_tags',
  'set_label',
  'set_field',
  'set_custom_field',
  'assign_manager',
  'send',
  'export',
  'coupons',
  'archive',
  'unarchive',
  'delete',
] as const;
export type BulkActionName = (typeof BULK_ACTIONS)[number];

/** The server's rule (src/modules/bulk/bulk.service.ts BULK_MIN_ROLE), to show only what you may do. */
export const BULK_MIN_ROLE = {
  add_tags: 'agent',
  remove_tags: 'agent',
  export: 'agent',
  set_label: 'marketer',
  set_field: 'marketer',
  set_custom_field: 'marketer',
  assign_manager: 'marketer',
  send: 'marketer',
  coupons: 'marketer',
  archive: 'admin',
  unarchive: 'admin',
  delete: 'admin',
} as const satisfies Record<BulkActionName, string>;

export const BULK_SETTABLE_FIELDS = [
  'city',
  'country',
  'locale',
  'timezone',
  'source',
  'preferred_contact_method',
] as const;

export interface BulkAction {
  id: string;
  action: BulkActionName;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  total: number;
  processed: number;
  done: number;
  skipped: number;
  skipped_by_reason: Array<{ reason: string; count: number }>;
  result: {
    campaign_id?: string;
    export_id?: string;
    batch_id?: string;
    export?: {
      status: string;
      total_rows: number | null;
      processed_rows: number;
      download_url: string | null;
      error: string | null;
    };
  };
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

/** The drop-in "selection" of a list query: strings only, no sort. */
export function selectionOfListParams(params: ClientListParams): BulkSelection {
  const query = Object.fromEntries(
    Object.entries(params).filter(
      ([key, value]) => key !== 'sort' && typeof value === 'string' && value !== '',
    ),
  );
  return { query };
}

/** The exact number of clients the selection matches now (what the dialog asks to confirm). */
export function useBulkPreview(selection: BulkSelection, enabled = true, action?: BulkActionName) {
  return useQuery({
    queryKey: ['bulk', 'preview', selection, action ?? null],
    queryFn: ({ signal }) =>
      request<{ count: number; sample_client_ids: string[] }>('/api/v1/bulk/preview', {
        method: 'POST',
        // A restore counts ticked rows among archived clients, a delete or an export among both.
        body: { selection, ...(action ? { action } : {}) },
        signal,
      }),
    enabled,
    staleTime: 0,
  });
}

export function useStartBulkAction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ action, body }: { action: BulkActionName; body: Record<string, unknown> }) =>
      request<BulkAction>(`/api/v1/bulk/${action}`, { method: 'POST', body }),
    onSuccess: (data) => {
      if (data.status === 'completed') void client.invalidateQueries({ queryKey: queryKeys.clients });
    },
  });
}

function finished(action: BulkAction | undefined) {
  if (!action) return false;
  if (action.status === 'queued' || action.status === 'running') return false;
  if (action.action === 'export' && action.result.export)
    return ['completed', 'failed'].includes(action.result.export.status);
  return true;
}

/** One action, polled every second until it (and an export's file) is done. */
export function useBulkAction(id: string | null) {
  const client = useQueryClient();
  return useQuery({
    queryKey: ['bulk', 'action', id],
    queryFn: async ({ signal }) => {
      const action = await request<BulkAction>(`/api/v1/bulk/actions/${encodeURIComponent(id!)}`, { signal });
      if (finished(action)) void client.invalidateQueries({ queryKey: queryKeys.clients });
      return action;
    },
    enabled: Boolean(id),
    refetchInterval: (query) => (finished(query.state.data) ? false : 1000),
  });
}

export function useCancelBulkAction() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => request<BulkAction>(`/api/v1/bulk/actions/${id}/cancel`, { method: 'POST' }),
    onSuccess: (data) => client.setQueryData(['bulk', 'action', data.id], data),
  });
}
