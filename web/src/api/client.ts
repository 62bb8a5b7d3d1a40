import { getSelectedWorkspaceId } from './workspace-store';

export interface ErrorDetail {
  /** In a one-line segment query: where the mistake starts (1-based). */
  column?: number;
  /** In a template body: the line of the mistake (1-based). */
  line?: number;
  path: string;
  message: string;
  /** A stable name for the problem (every problem of a segment tree has one), and its variable parts. */
  code?: string;
  params?: Record<string, string | number>;
}

/** Any failed call: HTTP errors carry the server's code and message, network errors have status 0. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];

  constructor(status: number, code: string, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export function isApiError(error: unknown, status?: number): error is ApiError {
  return error instanceof ApiError && (status === undefined || error.status === status);
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RequestOptions {
  method?: Method;
  body?: unknown;
  query?: Record<string, string | number | undefined | null>;
  signal?: AbortSignal;
}

function buildUrl(path: string, query: RequestOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/** Reads both our `{ error: { code, message, details } }` and better-auth's `{ code, message }`. */
function toApiError(status: number, payload: unknown, fallback: string): ApiError {
  const body = (payload ?? {}) as Record<string, unknown>;
  const inner = (typeof body.error === 'object' && body.error !== null ? body.error : body) as Record<
    string,
    unknown
  >;
  const code = typeof inner.code === 'string' ? inner.code : `HTTP_${status}`;
  const message = typeof inner.message === 'string' && inner.message ? inner.message : fallback;
  const details = Array.isArray(inner.details) ? (inner.details as ErrorDetail[]) : [];
  return new ApiError(status, code, message, details);
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const workspaceId = getSelectedWorkspaceId();
  if (workspaceId) headers['X-Workspace-Id'] = workspaceId;
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';

  let response: Response;
  try {
    response = await fetch(buildUrl(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'NETWORK', 'The server could not be reached.');
  }

  const payload = response.status === 204 ? null : await readJson(response);
  if (!response.ok) throw toApiError(response.status, payload, response.statusText || 'Request failed');
  return payload as T;
}
