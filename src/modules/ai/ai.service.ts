import type { Config } from '../../config.ts';
import type { WorkspaceContext } from '../../platform/auth/context.ts';
import type { SecretBox } from '../../platform/crypto.ts';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { AppError, type ErrorDetail } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { type Changes, recordAudit } from '../audit/audit.service.ts';
import { type AudienceFacts, audienceFacts } from '../clients/clients.audience.ts';
import { getClientRow } from '../clients/clients.service.ts';
import { listCustomFields } from '../custom-fields/custom-fields.service.ts';
import { listEvents } from '../events/events.service.ts';
import { listNotes } from '../notes/notes.service.ts';
import { memberIdsSql } from '../segments/segment-sql.ts';
import { type Audience, checkClientIds, compileAudience } from '../segments/segments.service.ts';
import { tagNamesOfClients } from '../tags/tags.service.ts';
import type { TemplateChannel } from '../templates/templates.service.ts';
import { getWorkspace } from '../workspaces/workspaces.service.ts';
import { type CheckedVariant, checkVariant } from './ai.checks.ts';
import {
  type ClientDetails,
  composeMessages,
  type PromptContext,
  parseVariants,
  type RewriteOperation,
  rewriteMessages,
} from './ai.prompts.ts';
import { type ChatMessage, complete, type ProviderTarget } from './ai.provider.ts';
import {
  type AiSettingsRow,
  type AiSettingsWrite,
  countRecentCalls,
  findAiSettings,
  finishCall,
  insertCall,
  lockWorkspaceCalls,
  oldestCallSince,
  upsertAiSettings,
  usageSince,
} from './ai.repo.ts';

export const MASK = '••••••••';
export const FORBIDDEN_CLAIMS_MAX = 200;
export const CLAIM_MAX = 200;
/** Clients whose own details may go to the model in one request (when the workspace allows it). */
export const CLIENT_DETAILS_MAX = 3;
const NOTES_PER_CLIENT = 5;
const HISTORY_PER_CLIENT = 10;
const NOTE_CHARS = 500;
/** Longest answer asked of the model per variant. */
const TOKENS_PER_VARIANT = 700;

export interface AiDeps {
  secrets: SecretBox;
  config: Config['ai'];
}

// ---- settings -------------------------------------------------------------------------------------

function monthStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

function nextMonthStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}

interface Effective {
  target: ProviderTarget | null;
  source: 'workspace' | 'server' | null;
  budget: number;
  requestsPerMinute: number;
}

function effective(deps: AiDeps, row: AiSettingsRow | null): Effective {
  const budget = row?.monthlyTokenBudget ?? deps.config.monthlyTokenBudget;
  const requestsPerMinute = row?.requestsPerMinute ?? deps.config.requestsPerMinute;
  if (row?.baseUrl && row.model)
    return {
      target: {
        baseUrl: row.baseUrl,
        model: row.model,
        apiKey: row.sealedApiKey ? deps.secrets.decrypt(row.sealedApiKey) : null,
      },
      source: 'workspace',
      budget,
      requestsPerMinute,
    };
  if (deps.config.baseUrl && deps.config.model)
    return {
      target: { baseUrl: deps.config.baseUrl, model: deps.config.model, apiKey: deps.config.apiKey },
      source: 'server',
      budget,
      requestsPerMinute,
    };
  return { target: null, source: null, budget, requestsPerMinute };
}

export async function getAiSettings(db: DbOrTx, deps: AiDeps, workspaceId: string, now = new Date()) {
  const row = await findAiSettings(db, workspaceId);
  const eff = effective(deps, row);
  const used = await usageSince(db, workspaceId, monthStart(now));
  return {
    configured: eff.target !== null,
    source: eff.source,
    base_url: row?.baseUrl ?? null,
    model: row?.model ?? null,
    api_key: row?.sealedApiKey ? MASK : null,
    server: {
      configured: Boolean(deps.config.baseUrl && deps.config.model),
      model: deps.config.model,
      monthly_token_budget: deps.config.monthlyTokenBudget,
      requests_per_minute: deps.config.requestsPerMinute,
    },
    effective_model: eff.target?.model ?? null,
    share_client_details: row?.shareClientDetails ?? false,
    forbidden_claims: row?.forbiddenClaims ?? [],
    monthly_token_budget: row?.monthlyTokenBudget ?? null,
    requests_per_minute: row?.requestsPerMinute ?? null,
    usage: {
      month: iso(monthStart(now))!.slice(0, 7),
      tokens_used: used.tokens,
      requests: used.requests,
      failed_requests: used.failed,
      budget: eff.budget,
      remaining: Math.max(0, eff.budget - used.tokens),
      renews_at: iso(nextMonthStart(now))!,
      requests_per_minute: eff.requestsPerMinute,
    },
    updated_at: row ? iso(row.updatedAt) : null,
  };
}

export interface AiSettingsInput {
  base_url?: string | null;
  model?: string | null;
  api_key?: string | null;
  share_client_details?: boolean;
  forbidden_claims?: string[];
  monthly_token_budget?: number | null;
  requests_per_minute?: number | null;
}

function cleanClaims(list: string[], problems: ErrorDetail[]): string[] {
  const seen = new Set<string>();
  const claims: string[] = [];
  list.forEach((raw, index) => {
    const claim = raw.trim().replace(/\s+/g, ' ');
    if (!claim) problems.push({ path: `/forbidden_claims/${index}`, message: 'must not be empty' });
    else if (claim.length > CLAIM_MAX)
      problems.push({
        path: `/forbidden_claims/${index}`,
        message: `must be at most ${CLAIM_MAX} characters`,
      });
    else if (!seen.has(claim.toLowerCase())) {
      seen.add(claim.toLowerCase());
      claims.push(claim);
    }
  });
  if (list.length > FORBIDDEN_CLAIMS_MAX)
    problems.push({ path: '/forbidden_claims', message: `at most ${FORBIDDEN_CLAIMS_MAX} claims` });
  return claims;
}

/** Changes the workspace's AI settings; every change is in the audit log, the key only as "set"/"unset". */
export async function updateAiSettings(
  db: Database,
  deps: AiDeps,
  ctx: WorkspaceContext,
  input: AiSettingsInput,
) {
  const problems: ErrorDetail[] = [];
  const patch: AiSettingsWrite = {};
  if (input.base_url !== undefined) {
    const value = input.base_url?.trim().replace(/\/+$/, '') || null;
    if (value !== null && !/^https?:\/\/[^\s/]+/.test(value))
      problems.push({
        path: '/base_url',
        message: 'must be an http(s) URL such as https://api.openai.com/v1',
      });
    patch.baseUrl = value;
  }
  if (input.model !== undefined) patch.model = input.model?.trim() || null;
  if (input.api_key !== undefined && input.api_key !== MASK)
    patch.sealedApiKey = input.api_key?.trim() ? deps.secrets.encrypt(input.api_key.trim()) : null;
  if (input.share_client_details !== undefined) patch.shareClientDetails = input.share_client_details;
  if (input.forbidden_claims !== undefined)
    patch.forbiddenClaims = cleanClaims(input.forbidden_claims, problems);
  if (input.monthly_token_budget !== undefined) patch.monthlyTokenBudget = input.monthly_token_budget;
  if (input.requests_per_minute !== undefined) patch.requestsPerMinute = input.requests_per_minute;
  return db.transaction(async (tx) => {
    const before = await findAiSettings(tx, ctx.workspaceId);
    const baseUrl = patch.baseUrl !== undefined ? patch.baseUrl : (before?.baseUrl ?? null);
    const model = patch.model !== undefined ? patch.model : (before?.model ?? null);
    if (baseUrl && !model) problems.push({ path: '/model', message: 'is required with base_url' });
    if (model && !baseUrl) problems.push({ path: '/base_url', message: 'is required with model' });
    if (problems.length) throw AppError.validation(problems);
    const after = await upsertAiSettings(tx, ctx.workspaceId, patch);
    const changes: Changes = {};
    const plain: Array<[string, unknown, unknown]> = [
      ['base_url', before?.baseUrl ?? null, after.baseUrl],
      ['model', before?.model ?? null, after.model],
      ['share_client_details', before?.shareClientDetails ?? false, after.shareClientDetails],
      ['forbidden_claims', before?.forbiddenClaims ?? [], after.forbiddenClaims],
      ['monthly_token_budget', before?.monthlyTokenBudget ?? null, after.monthlyTokenBudget],
      ['requests_per_minute', before?.requestsPerMinute ?? null, after.requestsPerMinute],
    ];
    for (const [field, b, a] of plain)
      if (JSON.stringify(b) !== JSON.stringify(a)) changes[field] = { before: b, after: a };
    // The key itself never reaches the audit log: only whether one is set, and that it changed.
    if (patch.sealedApiKey !== undefined && (before?.sealedApiKey ?? null) !== after.sealedApiKey)
      changes.api_key = {
        before: before?.sealedApiKey ? MASK : null,
        after: after.sealedApiKey ? MASK : null,
      };
    if (Object.keys(changes).length)
      await recordAudit(tx, ctx, {
        action: 'ai.settings_updated',
        entityType: 'ai_settings',
        entityId: ctx.workspaceId,
        changes,
      });
    return getAiSettings(tx, deps, ctx.workspaceId);
  });
}

// ---- what leaves the machine ----------------------------------------------------------------------

export type AiAudience = Audience;

export interface SentToModel {
  /** Aggregated, non-identifying facts of the audience, or null when none was given. */
  audience: AudienceFacts | null;
  /** Clients' own details: only with share_client_details on and a list of at most 3 clients. */
  clients: ClientDetails[] | null;
  /** Plain words about what was sent, for the dashboard. */
  summary: string[];
}

async function clientDetails(db: DbOrTx, ctx: WorkspaceContext, clientId: string): Promise<ClientDetails> {
  const client = await getClientRow(db, ctx.workspaceId, clientId);
  const tags = (await tagNamesOfClients(db, ctx.workspaceId, [clientId])).get(clientId) ?? [];
  const notes = await listNotes(db, ctx, clientId, {}, { limit: NOTES_PER_CLIENT });
  const events = await listEvents(db, ctx.workspaceId, { client_id: clientId, limit: HISTORY_PER_CLIENT });
  return {
    first_name: client.firstName,
    city: client.city,
    label: client.label,
    tags,
    notes: notes.notes.map((n) => String((n as { body?: unknown }).body ?? '').slice(0, NOTE_CHARS)),
    history: events.events.map((e) => ({ type: e.type, at: e.occurred_at })),
  };
}

/**
 * Exactly what would go to the model about an audience. A segment or tree gives aggregated facts
 * only. A list of clients gives the same facts, and, when the workspace switched
 * share_client_details on and the list has at most 3 clients, their first name, city, label, tags,
 * latest notes and history (never email, phone or surname). Ids of another workspace: 404.
 */
export async function audienceForModel(
  db: DbOrTx,
  ctx: WorkspaceContext,
  audience: AiAudience | undefined,
  shareClientDetails: boolean,
): Promise<SentToModel> {
  if (!audience)
    return {
      audience: null,
      clients: null,
      summary: ['No audience: only your instructions and the text are sent.'],
    };
  if ('client_ids' in audience) {
    const checked = await checkClientIds(db, ctx.workspaceId, audience.client_ids, '/audience/client_ids');
    if (checked.problems.length) throw AppError.notFound('Client');
  }
  const compiled = await compileAudience(db, ctx.workspaceId, audience, {
    pathPrefix: '/audience/definition',
  });
  const facts = await audienceFacts(db, ctx.workspaceId, memberIdsSql(compiled));
  const summary = [
    `Aggregated facts of ${facts.count} client(s): count, cities, labels and languages shared by at least 5 of them, average value and bookings. No names, emails or phone numbers.`,
  ];
  let clients: ClientDetails[] | null = null;
  if ('client_ids' in audience && shareClientDetails && audience.client_ids.length <= CLIENT_DETAILS_MAX) {
    clients = [];
    for (const id of audience.client_ids) clients.push(await clientDetails(db, ctx, id));
    summary.push(
      `Details of ${clients.length} client(s), allowed by Settings › AI: first name, city, label, tags, their latest ${NOTES_PER_CLIENT} notes and ${HISTORY_PER_CLIENT} history events. Never their email, phone or surname.`,
    );
  } else if ('client_ids' in audience && !shareClientDetails) {
    summary.push("Clients' own notes and history are not sent: Settings › AI keeps that switch off.");
  }
  return { audience: facts, clients, summary };
}

// ---- calling the model ----------------------------------------------------------------------------

export interface ComposeInput {
  channel: TemplateChannel;
  objective: string;
  tone?: string;
  language: string;
  audience?: AiAudience;
  variants: number;
  max_length?: number;
  sms_segments?: number;
}

export interface RewriteInput {
  operation: RewriteOperation;
  channel: TemplateChannel;
  target_channel?: TemplateChannel;
  language?: string;
  tone?: string;
  subject?: string | null;
  body: string;
  variants: number;
  max_length?: number;
  sms_segments?: number;
}

export interface AiRunEvents {
  /** Decided before the model is called: what goes to it. */
  onStart?(info: { sent: SentToModel; model: string }): void;
  onDelta?(text: string): void;
  signal?: AbortSignal;
}

export interface AiResult {
  channel: TemplateChannel;
  operation: string;
  model: string;
  variants: CheckedVariant[];
  sent_to_model: SentToModel;
  usage: { prompt_tokens: number; completion_tokens: number; tokens_used_this_month: number; budget: number };
}

interface Prepared {
  target: ProviderTarget;
  settings: AiSettingsRow | null;
  eff: Effective;
  callId: string;
}

/**
 * The gate before every model call: a provider is set (409 AI_NOT_CONFIGURED), the month's budget
 * is not spent (429 AI_BUDGET_EXHAUSTED), the per-minute limit is not reached (429 RATE_LIMITED).
 * The call is recorded at once, so a burst of parallel requests is counted as it happens.
 */
async function prepare(
  db: Database,
  deps: AiDeps,
  ctx: WorkspaceContext,
  operation: string,
): Promise<Prepared> {
  return db.transaction(async (tx) => {
    const settings = await findAiSettings(tx, ctx.workspaceId);
    const eff = effective(deps, settings);
    if (!eff.target)
      throw new AppError(
        'AI_NOT_CONFIGURED',
        'No AI provider is set up: an admin can add one in Settings › AI (or the server operator with AI_BASE_URL and AI_MODEL)',
      );
    await lockWorkspaceCalls(tx, ctx.workspaceId);
    const now = new Date();
    const used = await usageSince(tx, ctx.workspaceId, monthStart(now));
    if (used.tokens >= eff.budget)
      throw new AppError(
        'AI_BUDGET_EXHAUSTED',
        `This workspace used its ${eff.budget} AI tokens for the month; the budget renews on ${iso(nextMonthStart(now))!.slice(0, 10)} or an admin can raise it in Settings › AI`,
        [],
        { renews_at: iso(nextMonthStart(now)) },
      );
    const windowStart = new Date(now.getTime() - 60_000);
    const recent = await countRecentCalls(tx, ctx.workspaceId, windowStart);
    if (recent >= eff.requestsPerMinute) {
      const oldest = await oldestCallSince(tx, ctx.workspaceId, windowStart);
      const retryAfter = oldest
        ? Math.max(1, Math.ceil((oldest.getTime() + 60_000 - now.getTime()) / 1000))
        : 60;
      throw new AppError(
        'RATE_LIMITED',
        `At most ${eff.requestsPerMinute} AI requests a minute in this workspace; try again in ${retryAfter} s`,
        [],
        { retry_after: retryAfter },
      );
    }
    const callId = await insertCall(tx, { workspaceId: ctx.workspaceId, operation, model: eff.target.model });
    return { target: eff.target, settings, eff, callId };
  });
}

async function run(
  db: Database,
  deps: AiDeps,
  ctx: WorkspaceContext,
  prepared: Prepared,
  call: {
    operation: string;
    channel: TemplateChannel;
    messages: ChatMessage[];
    sent: SentToModel;
    variants: number;
    maxLength?: number;
    smsSegments?: number;
    customKeys: string[];
  },
  events: AiRunEvents,
): Promise<AiResult> {
  const { target, eff } = prepared;
  events.onStart?.({ sent: call.sent, model: target.model });
  const used = await usageSince(db, ctx.workspaceId, monthStart(new Date()));
  const maxTokens = Math.max(64, Math.min(call.variants * TOKENS_PER_VARIANT, eff.budget - used.tokens));
  let tokens = { prompt: 0, completion: 0 };
  try {
    const answer = await complete(target, call.messages, {
      timeoutMs: deps.config.timeoutMs,
      maxTokens,
      onDelta: events.onDelta,
      signal: events.signal,
    });
    tokens = { prompt: answer.promptTokens, completion: answer.completionTokens };
    const raw = parseVariants(answer.text).slice(0, call.variants);
    const claims = prepared.settings?.forbiddenClaims ?? [];
    const variants = raw.map((v) =>
      checkVariant(v, {
        channel: call.channel,
        claims,
        customKeys: call.customKeys,
        maxLength: call.maxLength,
        smsSegments: call.smsSegments,
      }),
    );
    await finishCall(db, ctx.workspaceId, prepared.callId, {
      status: 'ok',
      promptTokens: tokens.prompt,
      completionTokens: tokens.completion,
    });
    return {
      channel: call.channel,
      operation: call.operation,
      model: target.model,
      variants,
      sent_to_model: call.sent,
      usage: {
        prompt_tokens: tokens.prompt,
        completion_tokens: tokens.completion,
        tokens_used_this_month: used.tokens + tokens.prompt + tokens.completion,
        budget: eff.budget,
      },
    };
  } catch (error) {
    await finishCall(db, ctx.workspaceId, prepared.callId, {
      status: 'failed',
      errorCode: error instanceof AppError ? error.code : 'INTERNAL',
      promptTokens: tokens.prompt,
      completionTokens: tokens.completion,
    });
    throw error;
  }
}

async function promptContext(
  db: DbOrTx,
  ctx: WorkspaceContext,
  settings: AiSettingsRow | null,
  input: {
    channel: TemplateChannel;
    language: string;
    tone?: string;
    variants: number;
    max_length?: number;
    sms_segments?: number;
  },
): Promise<PromptContext> {
  const workspace = await getWorkspace(db, ctx.workspaceId);
  const fields = await listCustomFields(db, ctx.workspaceId);
  return {
    workspaceName: workspace.name,
    channel: input.channel,
    language: input.language,
    tone: input.tone?.trim() || null,
    variants: input.variants,
    forbiddenClaims: settings?.forbiddenClaims ?? [],
    customKeys: fields.map((f) => f.key),
    maxLength: input.max_length,
    smsSegments: input.sms_segments,
  };
}

/** Checks that do not need the model, so a bad request never spends a call. */
export function checkSmsSegments(channel: TemplateChannel, smsSegments: number | undefined, path: string) {
  if (smsSegments !== undefined && channel !== 'sms')
    throw AppError.validation([{ path, message: 'only applies to the sms channel' }]);
}

export async function compose(
  db: Database,
  deps: AiDeps,
  ctx: WorkspaceContext,
  input: ComposeInput,
  events: AiRunEvents = {},
): Promise<AiResult> {
  checkSmsSegments(input.channel, input.sms_segments, '/sms_segments');
  if (!input.objective.trim())
    throw AppError.validation([{ path: '/objective', message: 'must not be empty' }]);
  const settings = await findAiSettings(db, ctx.workspaceId);
  // The audience is checked (404 for another workspace's segment or clients) before anything is spent.
  const sent = await audienceForModel(db, ctx, input.audience, settings?.shareClientDetails ?? false);
  const prepared = await prepare(db, deps, ctx, 'compose');
  const context = await promptContext(db, ctx, prepared.settings, input);
  return run(
    db,
    deps,
    ctx,
    prepared,
    {
      operation: 'compose',
      channel: input.channel,
      messages: composeMessages(context, {
        objective: input.objective,
        audience: sent.audience,
        clients: sent.clients,
      }),
      sent,
      variants: input.variants,
      maxLength: input.max_length,
      smsSegments: input.sms_segments,
      customKeys: [...context.customKeys],
    },
    events,
  );
}

export async function rewrite(
  db: Database,
  deps: AiDeps,
  ctx: WorkspaceContext,
  input: RewriteInput,
  events: AiRunEvents = {},
): Promise<AiResult> {
  const problems: ErrorDetail[] = [];
  if (!input.body.trim()) problems.push({ path: '/body', message: 'must not be empty' });
  if (input.operation === 'translate' && !input.language)
    problems.push({ path: '/language', message: 'says which language to translate into' });
  if (input.operation === 'adapt' && !input.target_channel)
    problems.push({ path: '/target_channel', message: 'says which channel to adapt the message to' });
  if (input.operation === 'adapt' && input.target_channel === input.channel)
    problems.push({ path: '/target_channel', message: 'must differ from channel' });
  if (input.operation === 'subject_lines' && input.channel !== 'email')
    problems.push({ path: '/channel', message: 'subject lines are for email' });
  if (problems.length) throw AppError.validation(problems);
  const channel = input.operation === 'adapt' ? input.target_channel! : input.channel;
  checkSmsSegments(channel, input.sms_segments, '/sms_segments');
  const prepared = await prepare(db, deps, ctx, input.operation);
  const context = await promptContext(db, ctx, prepared.settings, {
    channel,
    language: input.language ?? 'the language the message is written in',
    tone: input.tone,
    variants: input.variants,
    max_length: input.max_length,
    sms_segments: input.sms_segments,
  });
  const sent: SentToModel = {
    audience: null,
    clients: null,
    summary: ['The text being rewritten and your instructions; no client data.'],
  };
  const result = await run(
    db,
    deps,
    ctx,
    prepared,
    {
      operation: input.operation,
      channel,
      messages: rewriteMessages(context, {
        operation: input.operation,
        from: input.channel,
        subject: input.subject ?? null,
        body: input.body,
      }),
      sent,
      variants: input.variants,
      maxLength: input.max_length,
      smsSegments: input.sms_segments,
      customKeys: [...context.customKeys],
    },
    events,
  );
  if (input.operation === 'subject_lines')
    result.variants = result.variants.map((v) => ({ ...v, body: null })).filter((v) => v.subject);
  return result;
}
