import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { request } from './client';

export type ExportFormat = 'csv' | 'xlsx' | 'json' | 'ndjson';

export type ExportSelection =
  | { kind: 'all' }
  | { kind: 'ids'; ids: string[] }
  | { kind: 'filter'; query: Record<string, string> }
  | { kind: 'segment'; segment_id: string }
  | { kind: 'campaign_recipients'; campaign_id: string; status?: string }
  | { kind: 'client_timeline'; client_id: string };

export interface ClientExport {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed';
  selection: Record<string, unknown>;
  fields: string[];
  format: ExportFormat;
  total_rows: number | null;
  processed_rows: number;
  size_bytes: number | null;
  error: string | null;
  created_by: string;
  created_at: string;
  finished_at: string | null;
  expires_at: string | null;
  download_url: string | null;
}

export interface ExportRequest {
  selection: ExportSelection;
  fields?: string[];
  format: ExportFormat;
  csv_delimiter?: ',' | ';';
  bom?: boolean;
}

export const exportKeys = {
  list: ['exports', 'list'] as const,
  one: (id: string) => ['exports', 'detail', id] as const,
};

/** Client fields an export can carry, in the dialog's order (custom fields are added after them). */
export const EXPORT_FIELDS = [
  'id',
  'first_name',
  'last_name',
  'email',
  'phone',
  'city',
  'country',
  'birthday',
  'tags',
  'label',
  'source',
  'external_id',
  'locale',
  'timezone',
  'consent_email',
  'consent_sms',
  'consent_whatsapp',
  'consent_push',
  'lifetime_value',
  'booking_count',
  'visit_frequency_days',
  'risk_score',
  'last_booking_at',
  'last_activity_at',
  'location',
  'location_id',
  'created_at',
  'updated_at',
] as const;

export const DEFAULT_EXPORT_FIELDS = [
  'id',
  'first_name',
  'last_name',
  'email',
  'phone',
  'city',
  'country',
  'tags',
  'consent_email',
  'consent_sms',
  'consent_whatsapp',
  'lifetime_value',
  'created_at',
];

export function useExports() {
  return useQuery({
    queryKey: exportKeys.list,
    queryFn: ({ signal }) =>
      request<{ exports: ClientExport[]; next_cursor: string | null }>('/api/v1/exports', {
        query: { limit: 50 },
        signal,
      }),
    select: (data) => data.exports,
  });
}

/** One export, polled every second until its file is ready (or it failed). */
export function useExport(id: string | null) {
  return useQuery({
    queryKey: exportKeys.one(id ?? ''),
    queryFn: ({ signal }) => request<ClientExport>(`/api/v1/exports/${encodeURIComponent(id!)}`, { signal }),
    enabled: Boolean(id),
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      return status === 'completed' || status === 'failed' ? false : 1000;
    },
  });
}

export function useCreateExport() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: ExportRequest) => request<ClientExport>('/api/v1/exports', { method: 'POST', body }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: exportKeys.list }),
  });
}

export interface ExportSchedule {
  id: string;
  name: string;
  frequency: 'daily' | 'weekly';
  weekday: number | null;
  hour: number;
  selection: Record<string, unknown>;
  fields: string[];
  format: ExportFormat;
  created_by: string;
  created_at: string;
  last_run_at: string | null;
  next_run_at: string | null;
  past_files: ClientExport[];
}

export interface ScheduleRequest extends ExportRequest {
  name: string;
  frequency: 'daily' | 'weekly';
  weekday?: number;
  hour: number;
}

const schedulesKey = ['export-schedules'] as const;

export function useExportSchedules() {
  return useQuery({
    queryKey: schedulesKey,
    queryFn: ({ signal }) => request<{ schedules: ExportSchedule[] }>('/api/v1/export-schedules', { signal }),
    select: (data) => data.schedules,
  });
}

export function useCreateSchedule() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: ScheduleRequest) =>
      request<ExportSchedule>('/api/v1/export-schedules', { method: 'POST', body }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: schedulesKey }),
  });
}

export function useDeleteSchedule() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      request<null>(`/api/v1/export-schedules/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: schedulesKey }),
  });
}
