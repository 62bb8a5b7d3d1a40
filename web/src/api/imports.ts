import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, request } from './client';
import { getSelectedWorkspaceId } from './workspace-store';

export type ImportStatus =
  | 'uploaded'
  | 'queued'
  | 'running'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'undone';
export type OnDuplicate = 'skip' | 'update' | 'overwrite' | 'create';
export type ConsentChannel = 'email' | 'sms' | 'whatsapp';

export interface ImportCounts {
  created: number;
  updated: number;
  duplicates: number;
  invalid: number;
  suppressed: number;
}

export interface ImportColumn {
  header: string;
  samples: Array<string | null>;
  detected_type: string;
  target: string;
  suggested_key: string;
  warnings: string[];
}

export interface ClientImport {
  id: string;
  status: ImportStatus;
  file_name: string;
  format: 'csv' | 'xlsx' | 'json' | 'ndjson';
  encoding: string | null;
  delimiter: string | null;
  size_bytes: number;
  headers: string[];
  columns: ImportColumn[];
  options: Record<string, unknown>;
  total_rows: number | null;
  processed_rows: number;
  counts: ImportCounts;
  error: string | null;
  created_by: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  undone_at: string | null;
  undo_until: string | null;
}

export interface ImportOptions {
  mapping: Record<string, string>;
  on_duplicate: OnDuplicate;
  consent: Partial<Record<ConsentChannel, boolean>>;
  consent_evidence: string | null;
  tags: string[];
}

export interface PreviewRow {
  row: number;
  action: 'create' | 'update' | 'skip' | 'invalid' | 'suppressed';
  client: Record<string, unknown> | null;
  problems: Array<{ column: string | null; value: string | null; reason: string }>;
}

export interface DryRun {
  total_rows: number;
  counts: ImportCounts;
  preview: PreviewRow[];
}

export const importKeys = {
  all: ['imports'] as const,
  list: ['imports', 'list'] as const,
  one: (id: string) => ['imports', 'detail', id] as const,
};

export const FINISHED: ImportStatus[] = ['completed', 'failed', 'cancelled', 'undone'];

export function useImports() {
  return useQuery({
    queryKey: importKeys.list,
    queryFn: ({ signal }) =>
      request<{ imports: ClientImport[]; next_cursor: string | null }>('/api/v1/imports', {
        query: { limit: 50 },
        signal,
      }),
    select: (data) => data.imports,
    placeholderData: keepPreviousData,
  });
}

export function useImport(id: string | undefined) {
  return useQuery({
    queryKey: importKeys.one(id ?? ''),
    queryFn: ({ signal }) => request<ClientImport>(`/api/v1/imports/${encodeURIComponent(id!)}`, { signal }),
    enabled: Boolean(id),
  });
}

/**
 * Uploads through XMLHttpRequest, the one browser API that reports upload progress; the file is
 * sent as multipart/form-data like any form.
 */
export function uploadImportFile(
  file: File,
  options: { sheet?: string | null; onProgress?: (fraction: number) => void; signal?: AbortSignal },
): Promise<ClientImport> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    if (options.sheet) form.append('sheet', options.sheet);
    form.append('file', file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/imports');
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    const workspaceId = getSelectedWorkspaceId();
    if (workspaceId) xhr.setRequestHeader('X-Workspace-Id', workspaceId);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) options.onProgress?.(event.loaded / event.total);
    };
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'The server could not be reached.'));
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as ClientImport);
      else {
        const error = ((body as { error?: Record<string, unknown> } | null)?.error ?? {}) as Record<
          string,
          unknown
        >;
        reject(
          new ApiError(
            xhr.status,
            String(error.code ?? `HTTP_${xhr.status}`),
            String(error.message ?? xhr.statusText),
            (error.details as ApiError['details']) ?? [],
          ),
        );
      }
    };
    options.signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(form);
  });
}

/** The dry run as the API answers it: done in the request (small files) or running as a job (large ones). */
interface DryRunState {
  status: 'running' | 'completed' | 'failed';
  total_rows: number | null;
  counts: ImportCounts | null;
  preview: PreviewRow[];
  error: string | null;
}

/** Dry run; for a large file the server answers `running` and this polls GET …/dry-run until it is done. */
export function useDryRun() {
  return useMutation({
    mutationFn: async ({ id, options }: { id: string; options: ImportOptions }): Promise<DryRun> => {
      const path = `/api/v1/imports/${encodeURIComponent(id)}/dry-run`;
      let state = await request<DryRunState>(path, { method: 'POST', body: options });
      while (state.status === 'running') {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        state = await request<DryRunState>(path);
      }
      if (state.status === 'failed' || !state.counts || state.total_rows === null)
        throw new Error(state.error ?? 'The dry run failed');
      return { total_rows: state.total_rows, counts: state.counts, preview: state.preview };
    },
  });
}

export function useStartImport() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, options }: { id: string; options: ImportOptions }) =>
      request<ClientImport>(`/api/v1/imports/${encodeURIComponent(id)}/start`, {
        method: 'POST',
        body: options,
      }),
    onSuccess: (data) => {
      queryClient.setQueryData(importKeys.one(data.id), data);
      void queryClient.invalidateQueries({ queryKey: importKeys.list });
    },
  });
}

function useImportAction(action: 'cancel' | 'undo') {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      request<unknown>(`/api/v1/imports/${encodeURIComponent(id)}/${action}`, { method: 'POST' }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: importKeys.all });
      // Undo removes and restores clients: every client view is stale.
      void queryClient.invalidateQueries({ queryKey: ['clients'] });
    },
  });
}

export const useCancelImport = () => useImportAction('cancel');
export const useUndoImport = () => useImportAction('undo');

/**
 * Follows an import's server-sent events. fetch (not EventSource) so the workspace header goes
 * along; returns a function that stops listening.
 */
export function followImport(id: string, onUpdate: (row: ClientImport) => void): () => void {
  const controller = new AbortController();
  const headers: Record<string, string> = { Accept: 'text/event-stream' };
  const workspaceId = getSelectedWorkspaceId();
  if (workspaceId) headers['X-Workspace-Id'] = workspaceId;
  (async () => {
    const response = await fetch(`/api/v1/imports/${encodeURIComponent(id)}/events`, {
      headers,
      credentials: 'same-origin',
      signal: controller.signal,
    });
    if (!response.ok || !response.body) return;
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = message
          .split('\n')
          .filter((line) => line.startsWith('data: '))
          .map((line) => line.slice(6))
          .join('\n');
        if (data) onUpdate(JSON.parse(data) as ClientImport);
        end = buffer.indexOf('\n\n');
      }
    }
  })().catch(() => {
    // aborted or the connection dropped: the page still has the last known state
  });
  return () => controller.abort();
}

/** Downloads a file the API serves (the workspace header must go along, so not a plain link). */
export async function downloadFromApi(path: string, fileName: string) {
  const headers: Record<string, string> = {};
  const workspaceId = getSelectedWorkspaceId();
  if (workspaceId) headers['X-Workspace-Id'] = workspaceId;
  const response = await fetch(path, { headers, credentials: 'same-origin' });
  if (!response.ok) throw new ApiError(response.status, `HTTP_${response.status}`, response.statusText);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
