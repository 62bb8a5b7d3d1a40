/**
 * The one application error. Services throw it with a code; the HTTP layer maps the code to a
 * status through ERROR_STATUS and answers `{ error: { code, message, details } }`.
 */
export interface ErrorDetail {
  /** JSON Pointer to the offending input, e.g. "/email" or "/rows/12/phone". */
  path: string;
  message: string;
  /** In a multi-line text (a template body): where the mistake is, both 1-based. */
  line?: number;
  column?: number;
  /** A stable name for the problem, for programs and translations (segment trees: every problem). */
  code?: string;
  /** The variable parts of `message`, by name. */
  params?: Record<string, string | number>;
}

export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  INVALID_SEGMENT: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NO_WORKSPACE: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  EMAIL_TAKEN: 409,
  INVITATION_UNAVAILABLE: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_ALLOWED_NOW: 422,
  LAST_OWNER: 422,
  /** A segment evaluation ran past SEGMENT_TIMEOUT_MS (the message names the limit). */
  SEGMENT_TIMEOUT: 422,
  /** No AI provider is set, neither for the server nor for the workspace. */
  AI_NOT_CONFIGURED: 409,
  RATE_LIMITED: 429,
  /** The workspace used its monthly AI token budget (the message says when it renews). */
  AI_BUDGET_EXHAUSTED: 429,
  /** The AI provider answered with an error, refused (its own 429) or wrote something unusable. */
  AI_PROVIDER_ERROR: 502,
  AI_TIMEOUT: 504,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];
  /** Extra fields of the error object, e.g. `existing_id` on a duplicate. */
  readonly extra: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    details: ErrorDetail[] = [],
    extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
    this.extra = extra;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  static notFound(entity: string): AppError {
    return new AppError('NOT_FOUND', `${entity} not found`);
  }

  static validation(details: ErrorDetail[], message = 'The request has invalid fields'): AppError {
    return new AppError('VALIDATION_FAILED', message, details);
  }
}

/** Postgres unique_violation etc., recognised without leaking SQL to the client. */
export function pgErrorCode(error: unknown): string | undefined {
  const code =
    (error as { code?: unknown; cause?: { code?: unknown } })?.code ??
    (error as { cause?: { code?: unknown } })?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}
