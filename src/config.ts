import path from 'node:path';

/**
 * The only reader of process.env. Every setting is parsed and validated once, at start;
 * a bad value stops the process with a message naming the variable.
 */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | null;
  publicUrl: string | null;
  secretKey: string | null;
  logLevel: string;
  dbPoolMax: number;
  workerConcurrency: number;
  trustProxy: boolean;
  sessionDays: number;
  metricsToken: string | null;
  adminEmail: string;
  bodyLimitBytes: number;
  maintenanceCron: string;
  segmentTimeoutMs: number;
  segmentCountCron: string;
  /** A campaign snapshot of at least this many of the workspace's clients is written in two parts, on two connections. */
  snapshotSplitFrom: number;
  embeddedPostgresPort: number | null;
  /** The product's own mail (alerts, invitations) to team members; null = not sent, shown in the dashboard only. */
  smtpUrl: string | null;
  mailFrom: string;
  /** Largest import file accepted (413 above); uploads are streamed to `<dataDir>/uploads`. */
  importMaxBytes: number;
  /** The server-wide AI provider (any OpenAI-compatible endpoint); a workspace may set its own. */
  ai: {
    baseUrl: string | null;
    model: string | null;
    apiKey: string | null;
    /** Longest a model call may take, streaming included; past it the answer is an AI_TIMEOUT error. */
    timeoutMs: number;
    /** Default per-workspace monthly token budget (a workspace may set its own). */
    monthlyTokenBudget: number;
    /** Default per-workspace requests per minute. */
    requestsPerMinute: number;
  };
}

/** One line per variable, used by the README table and `clientela --help`. */
export const CONFIG_DOC: ReadonlyArray<{ name: string; default: string; description: string }> = [
  { name: 'PORT', default: '3000', description: 'HTTP port of the API and dashboard.' },
  { name: 'HOST', default: '0.0.0.0', description: 'Interface to listen on.' },
  {
    name: 'CLIENTELA_DATA_DIR',
    default: './data',
    description: 'Folder for the embedded PostgreSQL cluster, generated secrets and uploads.',
  },
  {
    name: 'DATABASE_URL',
    default: '(unset: embedded PostgreSQL)',
    description:
      'postgres://user:pass@host:5432/db of an external PostgreSQL 13+; no embedded one is started.',
  },
  {
    name: 'PUBLIC_URL',
    default: '(derived from the request)',
    description:
      'Address clients and providers reach (links, webhook signatures, secure cookies when https).',
  },
  {
    name: 'SECRET_KEY',
    default: '(generated into the data folder)',
    description:
      'Key for session signing and encryption of provider secrets; set it when you run several machines.',
  },
  {
    name: 'SMTP_URL',
    default: '(unset: no system email)',
    description:
      "smtp://user:pass@host:587 (or smtps://…:465) for the product's own mail to team members: segment alerts, invitations. Client campaigns use the channels configured per workspace instead.",
  },
  {
    name: 'MAIL_FROM',
    default: 'Clientela <no-reply@localhost>',
    description: 'Sender of the system mail.',
  },
  { name: 'LOG_LEVEL', default: 'info', description: 'pino level: fatal, error, warn, info, debug, trace.' },
  { name: 'DB_POOL_MAX', default: '20', description: 'PostgreSQL connections per process.' },
  { name: 'WORKER_CONCURRENCY', default: '4', description: 'Jobs one worker process runs at once.' },
  {
    name: 'TRUST_PROXY',
    default: 'false',
    description:
      'Trust X-Forwarded-For/-Proto from a reverse proxy (true behind nginx, Caddy, a load balancer).',
  },
  { name: 'SESSION_DAYS', default: '14', description: 'Dashboard session lifetime in days.' },
  {
    name: 'METRICS_TOKEN',
    default: '(unset: open)',
    description: 'When set, GET /metrics requires Authorization: Bearer <token>.',
  },
  {
    name: 'CLIENTELA_ADMIN_EMAIL',
    default: 'admin@clientela.local',
    description: 'Email of the owner account created on first start.',
  },
  { name: 'BODY_LIMIT_BYTES', default: '1048576', description: 'Largest JSON body accepted (413 above).' },
  {
    name: 'MAINTENANCE_CRON',
    default: '17 * * * *',
    description: 'When the housekeeping job runs (expired sessions, old login failures).',
  },
  {
    name: 'SEGMENT_TIMEOUT_MS',
    default: '5000',
    description:
      'Longest a segment count or preview may run in the database (per statement); slower trees answer 422 SEGMENT_TIMEOUT.',
  },
  {
    name: 'SEGMENT_COUNT_CRON',
    default: '41 * * * *',
    description: "When every saved segment's count is refreshed and kept for its history (cron syntax, UTC).",
  },
  {
    name: 'SNAPSHOT_SPLIT_FROM',
    default: '50000',
    description:
      "A campaign's audience snapshot is written in two parts on two database connections (two cores) when the workspace has at least this many clients; below, in one statement.",
  },
  {
    name: 'IMPORT_MAX_BYTES',
    default: '209715200',
    description:
      'Largest client file accepted by POST /api/v1/imports (413 above); uploads go to the data folder.',
  },
  {
    name: 'AI_BASE_URL',
    default: '(unset: AI off unless a workspace sets its own)',
    description:
      'OpenAI-compatible endpoint for the writing assistant, e.g. https://api.openai.com/v1 or http://localhost:11434/v1 (Ollama).',
  },
  {
    name: 'AI_MODEL',
    default: '(unset)',
    description: 'Model name at AI_BASE_URL, e.g. gpt-4o-mini or llama3.1.',
  },
  {
    name: 'AI_API_KEY',
    default: '(unset)',
    description: 'API key for AI_BASE_URL (not needed by most local servers); never shown to workspaces.',
  },
  {
    name: 'AI_TIMEOUT_MS',
    default: '60000',
    description: 'Longest one model answer may take, streaming included; then the dashboard shows a timeout.',
  },
  {
    name: 'AI_MONTHLY_TOKEN_BUDGET',
    default: '1000000',
    description: 'Tokens each workspace may use per calendar month (UTC) unless it sets its own budget.',
  },
  {
    name: 'AI_REQUESTS_PER_MINUTE',
    default: '20',
    description: 'AI requests each workspace may make per minute unless it sets its own limit.',
  },
  {
    name: 'EMBEDDED_PG_PORT',
    default: '(a free port)',
    description: 'Port of the embedded PostgreSQL; by default a free one is picked at each start.',
  },
];

export class ConfigError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

function url(env: NodeJS.ProcessEnv, name: string, protocols: string[]): string | null {
  const raw = env[name];
  if (!raw) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL: "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.join(' or ')}, got "${parsed.protocol}"`);
  }
  return raw.replace(/\/+$/, '');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const secretKey = env.SECRET_KEY || null;
  if (secretKey !== null && secretKey.length < 32) {
    throw new ConfigError('SECRET_KEY must be at least 32 characters');
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent`);
  }
  const adminEmail = (env.CLIENTELA_ADMIN_EMAIL || 'admin@clientela.local').trim().toLowerCase();
  if (!/^[^@\s]+@[^@\s]+$/.test(adminEmail)) throw new ConfigError('CLIENTELA_ADMIN_EMAIL is not an email');
  return {
    port: int(env, 'PORT', 3000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dataDir: path.resolve(env.CLIENTELA_DATA_DIR || './data'),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    publicUrl: url(env, 'PUBLIC_URL', ['http:', 'https:']),
    secretKey,
    logLevel,
    dbPoolMax: int(env, 'DB_POOL_MAX', 20, 2, 500),
    workerConcurrency: int(env, 'WORKER_CONCURRENCY', 4, 1, 100),
    trustProxy: bool(env, 'TRUST_PROXY', false),
    sessionDays: int(env, 'SESSION_DAYS', 14, 1, 365),
    metricsToken: env.METRICS_TOKEN || null,
    adminEmail,
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    maintenanceCron: env.MAINTENANCE_CRON || '17 * * * *',
    segmentTimeoutMs: int(env, 'SEGMENT_TIMEOUT_MS', 5000, 1, 600_000),
    segmentCountCron: env.SEGMENT_COUNT_CRON || '41 * * * *',
    snapshotSplitFrom: int(env, 'SNAPSHOT_SPLIT_FROM', 50_000, 2, 2_000_000_000),
    embeddedPostgresPort: env.EMBEDDED_PG_PORT ? int(env, 'EMBEDDED_PG_PORT', 0, 1, 65535) : null,
    smtpUrl: url(env, 'SMTP_URL', ['smtp:', 'smtps:']),
    mailFrom: env.MAIL_FROM || 'Clientela <no-reply@localhost>',
    importMaxBytes: int(env, 'IMPORT_MAX_BYTES', 200 * 1024 * 1024, 1024, 10 * 1024 * 1024 * 1024),
    ai: {
      baseUrl: url(env, 'AI_BASE_URL', ['http:', 'https:']),
      model: env.AI_MODEL?.trim() || null,
      apiKey: env.AI_API_KEY || null,
      timeoutMs: int(env, 'AI_TIMEOUT_MS', 60_000, 100, 600_000),
      monthlyTokenBudget: int(env, 'AI_MONTHLY_TOKEN_BUDGET', 1_000_000, 0, 2_000_000_000),
      requestsPerMinute: int(env, 'AI_REQUESTS_PER_MINUTE', 20, 1, 10_000),
    },
  };
}
