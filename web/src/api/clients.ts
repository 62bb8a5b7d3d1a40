import {
  keepPreviousData,
  type QueryClient,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import { ApiError, request } from './client';
import { queryKeys } from './query-keys';
import { getSelectedWorkspaceId } from './workspace-store';

export const CHANNELS = ['email', 'sms', 'whatsapp', 'push'] as const;
export type Channel = (typeof CHANNELS)[number];
export type ConsentState = Record<Channel, boolean>;

export const CONTACT_METHODS = ['email', 'sms', 'whatsapp', 'phone'] as const;
export type ContactMethod = (typeof CONTACT_METHODS)[number];

export interface RiskOverride {
  score: number;
  reason: string | null;
}

/** A client exactly as GET /api/v1/clients/{id} sends it. */
export interface Client {
  id: string;
  name: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  phone: string | null;
  city: string | null;
  country: string | null;
  locale: string | null;
  timezone: string | null;
  source: string | null;
  /** The key of one of the workspace's labels. */
  label: string | null;
  external_id: string | null;
  location_id: string | null;
  account_manager_id: string | null;
  preferred_contact_method: ContactMethod | null;
  birthday: string | null;
  tags: string[];
  custom: Record<string, unknown>;
  consent: ConsentState;
  lifetime_value: number;
  booking_count: number;
  visit_frequency_days: number | null;
  risk_score: number | null;
  risk_override: RiskOverride | null;
  last_booking_at: string | null;
  last_activity_at: string | null;
  last_contacted_at: string | null;
  /** Set while archived: out of the list, segments and audiences until restored. */
  archived_at: string | null;
  archived_by: string | null;
  created_at: string;
  updated_at: string;
}

/** The writable fields of a client (POST and PATCH). */
export const CLIENT_FIELDS = [
  'first_name',
  'last_name',
  'email',
  'phone',
  'city',
  'country',
  'locale',
  'timezone',
  'source',
  'label',
  'external_id',
  'location_id',
  'account_manager_id',
  'preferred_contact_method',
  'birthday',
] as const;
export type ClientField = (typeof CLIENT_FIELDS)[number];

export type ClientInput = Partial<Record<ClientField, string | null>> & {
  tags?: string[];
  custom?: Record<string, unknown>;
  consent?: Partial<ConsentState>;
  consent_evidence?: string | null;
  allow_duplicate?: boolean;
};

export const CLIENT_STATUSES = ['active', 'archived', 'all'] as const;
export type ClientStatus = (typeof CLIENT_STATUSES)[number];

export interface ClientListParams {
  q?: string;
  /** A one-line segment query (`tag:vip city:Madrid ltv>500`). */
  filter?: string;
  tag?: string;
  label?: string;
  location_id?: string;
  consent?: Channel;
  created_from?: string;
  created_to?: string;
  /** active (absent), archived, or all. */
  status?: ClientStatus;
  /** A column name, "-" first for descending; custom fields as custom.<key>. */
  sort: string;
}

interface ClientPage {
  clients: Client[];
  next_cursor: string | null;
  /** Counted up to 1,000; total_exact says whether it stopped there. */
  total: number;
  total_exact: boolean;
}

const PAGE_SIZE = 50;

export function useClients(params: ClientListParams) {
  return useInfiniteQuery({
    queryKey: queryKeys.clientList(params),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam, signal }) =>
      request<ClientPage>('/api/v1/clients', {
        query: { ...params, limit: PAGE_SIZE, cursor: pageParam },
        signal,
      }),
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    select: (data) => ({
      items: data.pages.flatMap((page) => page.clients),
      total: data.pages[0]?.total ?? 0,
      totalExact: data.pages[0]?.total_exact ?? true,
    }),
    placeholderData: keepPreviousData,
  });
}

/** The exact number of matches, asked for only when the list stopped counting (over 1,000). */
export function useClientCount(params: ClientListParams, enabled: boolean) {
  const { sort: _sort, ...filters } = params;
  return useQuery({
    queryKey: queryKeys.clientCount(filters),
    queryFn: ({ signal }) => request<{ total: number }>('/api/v1/clients/count', { query: filters, signal }),
    enabled,
    placeholderData: keepPreviousData,
  });
}

const clientPath = (id: string) => `/api/v1/clients/${encodeURIComponent(id)}`;

export function useClient(id: string | undefined) {
  return useQuery({
    queryKey: queryKeys.client(id ?? ''),
    queryFn: ({ signal }) => request<Client>(clientPath(id ?? ''), { signal }),
    enabled: Boolean(id),
  });
}

/** After a change to one client: its own data, the lists, its timeline, tag counts and the audit log. */
export function invalidateClient(queryClient: QueryClient, id?: string) {
  return Promise.all([
    queryClient.invalidateQueries({ queryKey: queryKeys.clientLists }),
    id ? queryClient.invalidateQueries({ queryKey: queryKeys.client(id) }) : undefined,
    id ? queryClient.invalidateQueries({ queryKey: queryKeys.clientTimeline(id) }) : undefined,
    queryClient.invalidateQueries({ queryKey: queryKeys.duplicates }),
    queryClient.invalidateQueries({ queryKey: queryKeys.tags }),
    queryClient.invalidateQueries({ queryKey: queryKeys.auditLogAll }),
  ]);
}

function useClientMutation<Input>(fn: (input: Input) => Promise<Client>) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: (client) => {
      queryClient.setQueryData(queryKeys.client(client.id), client);
      return invalidateClient(queryClient, client.id);
    },
  });
}

export function useCreateClient() {
  return useClientMutation((input: ClientInput) =>
    request<Client>('/api/v1/clients', { method: 'POST', body: input }),
  );
}

export function useUpdateClient(id: string) {
  return useClientMutation((patch: ClientInput) =>
    request<Client>(clientPath(id), { method: 'PATCH', body: patch }),
  );
}

/** Archive (true) or restore (false) one client. */
export function useArchiveClient(id: string) {
  return useClientMutation((archived: boolean) =>
    request<Client>(`${clientPath(id)}/${archived ? 'archive' : 'unarchive'}`, { method: 'POST' }),
  );
}

export function useAddClientTags(id: string) {
  return useClientMutation((tags: string[]) =>
    request<Client>(`${clientPath(id)}/tags`, { method: 'POST', body: { tags } }),
  );
}

export function useRemoveClientTags(id: string) {
  return useClientMutation((tags: string[]) =>
    request<Client>(`${clientPath(id)}/tags`, { method: 'DELETE', body: { tags } }),
  );
}

export type DuplicateReason = 'email' | 'phone' | 'name_birthday';

export interface DuplicateGroup {
  reason: DuplicateReason;
  clients: Client[];
}

export function useDuplicates() {
  return useQuery({
    queryKey: queryKeys.duplicates,
    queryFn: ({ signal }) =>
      request<{ groups: DuplicateGroup[] }>('/api/v1/clients/duplicates', { query: { limit: 100 }, signal }),
    select: (data) => data.groups,
  });
}

export interface MergeInput {
  /** The client that stays. */
  id: string;
  /** The client merged into it, then deleted. */
  otherId: string;
  prefer: Record<string, 'this' | 'other'>;
}

export function useMergeClients() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, otherId, prefer }: MergeInput) =>
      request<Client>(`${clientPath(id)}/merge`, { method: 'POST', body: { other_id: otherId, prefer } }),
    onSuccess: (client, input) => {
      queryClient.setQueryData(queryKeys.client(client.id), client);
      queryClient.removeQueries({ queryKey: queryKeys.client(input.otherId) });
      return invalidateClient(queryClient, client.id);
    },
  });
}

export interface RiskResult {
  client_id: string;
  risk_score: number | null;
  computed_risk_score: number | null;
  risk_override: RiskOverride | null;
}

export function useRiskOverride(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: { score: number | null; reason: string }) =>
      request<RiskResult>(`${clientPath(id)}/risk-override`, { method: 'POST', body: input }),
    onSuccess: () => invalidateClient(queryClient, id),
  });
}

export interface EraseResult {
  client_id: string;
  erased_at: string;
  consent_withdrawn: number;
  suppression_entries: number;
}

export function useEraseClient(id: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () =>
      request<EraseResult>(`${clientPath(id)}/erase`, { method: 'POST', body: { confirm: true } }),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: queryKeys.client(id) });
      return invalidateClient(queryClient);
    },
  });
}

/**
 * Downloads a file from the API. A plain link can't carry X-Workspace-Id, so the file is fetched with
 * it and handed to the browser as a blob; the server's file name wins when it sends one.
 */
export async function downloadFile(
  path: string,
  fallbackName: string,
  query?: Record<string, string | undefined>,
): Promise<void> {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value) params.set(key, value);
  const search = params.toString();
  const headers: Record<string, string> = {};
  const workspaceId = getSelectedWorkspaceId();
  if (workspaceId) headers['X-Workspace-Id'] = workspaceId;
  let response: Response;
  try {
    response = await fetch(search ? `${path}?${search}` : path, { headers, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server could not be reached.');
  }
  if (!response.ok) {
    let message = response.statusText || 'Request failed';
    let code = `HTTP_${response.status}`;
    try {
      const body = (await response.json()) as { error?: { code?: string; message?: string } };
      message = body.error?.message ?? message;
      code = body.error?.code ?? code;
    } catch {
      // not JSON
    }
    throw new ApiError(response.status, code, message);
  }
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  const name = match?.[1] ? decodeURIComponent(match[1]) : fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadClientExport(client: Pick<Client, 'id' | 'name'>) {
  const slug = client.name
    .normalize('NFD')
    .replace(/[^\w]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();
  return downloadFile(`${clientPath(client.id)}/export`, `client-${slug || client.id}.json`);
}
