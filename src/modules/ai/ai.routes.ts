import { type TSchema, Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../../platform/db/db.ts';
import { AppError } from '../../platform/errors.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { errors, Nullable, StringEnum, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { Definition } from '../segments/segments.routes.ts';
import { TEMPLATE_CHANNELS } from '../templates/templates.service.ts';
import { REWRITE_OPERATIONS } from './ai.prompts.ts';
import {
  type AiDeps,
  type AiResult,
  type AiRunEvents,
  audienceForModel,
  CLAIM_MAX,
  compose,
  FORBIDDEN_CLAIMS_MAX,
  getAiSettings,
  rewrite,
  updateAiSettings,
} from './ai.service.ts';

const Channel = StringEnum(TEMPLATE_CHANNELS, { description: 'email, sms or whatsapp' });
const Language = Type.String({
  minLength: 2,
  maxLength: 40,
  description: 'A language code (en, es, fr, pt-BR…) or name',
});
const Tone = Type.String({
  maxLength: 60,
  description: 'friendly, professional, enthusiastic, calm, formal…',
});
const Variants = Type.Integer({
  minimum: 1,
  maximum: 5,
  default: 1,
  description: 'How many versions to write',
});
const MaxLength = Type.Integer({
  minimum: 20,
  maximum: 20_000,
  description: 'Longest body wanted, in characters',
});
const SmsSegments = Type.Integer({
  minimum: 1,
  maximum: 10,
  description: 'SMS only: the parts the text must fit in (default 1)',
});

const AudienceSchema = Type.Union(
  [
    Type.Object({ segment_id: Uuid }, { additionalProperties: false }),
    Type.Object({ definition: Definition }, { additionalProperties: false }),
    Type.Object(
      {
        client_ids: Type.Array(Uuid, {
          minItems: 1,
          maxItems: 1000,
          description:
            'A sample of clients; up to 3 also send their notes and history when the workspace allows it',
        }),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'Who the message is for: a saved segment, a condition tree, or a sample of clients' },
);

const Count = (name: string) =>
  Type.Array(Type.Object({ [name]: Type.String(), clients: Type.Integer() }) as TSchema);

const AudienceFactsJson = Type.Object(
  {
    count: Type.Integer(),
    top_cities: Count('city'),
    labels: Count('label'),
    languages: Count('language'),
    average_lifetime_value: Nullable(Type.Number()),
    average_bookings: Nullable(Type.Number()),
  },
  { description: 'Aggregated facts; a value shared by fewer than 5 clients is left out' },
);

const SentToModelJson = Type.Object(
  {
    audience: Nullable(AudienceFactsJson),
    clients: Nullable(
      Type.Array(
        Type.Object({
          first_name: Nullable(Type.String()),
          city: Nullable(Type.String()),
          label: Nullable(Type.String()),
          tags: Type.Array(Type.String()),
          notes: Type.Array(Type.String()),
          history: Type.Array(Type.Object({ type: Type.String(), at: Type.String() })),
        }),
      ),
    ),
    summary: Type.Array(Type.String()),
  },
  { description: 'Exactly what about your clients left this machine with the request' },
);

const Detail = Type.Object({
  path: Type.String(),
  message: Type.String(),
  line: Type.Optional(Type.Integer()),
  column: Type.Optional(Type.Integer()),
});

const VariantJson = Type.Object({
  subject: Nullable(Type.String()),
  body: Nullable(Type.String({ description: 'Liquid; null for subject-line suggestions' })),
  valid: Type.Boolean({ description: 'The template validator accepts it as it is (after repairs)' }),
  problems: Type.Array(Detail, { description: 'What the validator still finds (unknown variables…)' }),
  repairs: Type.Array(
    Type.Object({ field: StringEnum(['subject', 'body'] as const), from: Type.String(), to: Type.String() }),
    { description: 'Variables the model invented, mapped to known ones' },
  ),
  claims: Type.Array(
    Type.Object({
      field: StringEnum(['subject', 'body'] as const),
      claim: Type.String(),
      sentence: Type.String(),
      start: Type.Integer({ description: 'Offset of the sentence in the field (UTF-16 units)' }),
      end: Type.Integer({ description: 'End offset, exclusive' }),
    }),
    { description: 'Sentences making a forbidden claim of the workspace' },
  ),
  warnings: Type.Array(
    Type.Object({
      code: StringEnum(['sms_segments', 'too_long', 'whatsapp_body', 'subject_length'] as const),
      message: Type.String(),
    }),
  ),
  characters: Type.Integer({ description: 'Body length, variables counted as 12 characters' }),
  sms: Nullable(Type.Object({ segments: Type.Integer(), encoding: Type.String(), units: Type.Integer() })),
});

const AiResultJson = Type.Object({
  channel: Channel,
  operation: Type.String(),
  model: Type.String(),
  variants: Type.Array(VariantJson),
  sent_to_model: SentToModelJson,
  usage: Type.Object({
    prompt_tokens: Type.Integer(),
    completion_tokens: Type.Integer(),
    tokens_used_this_month: Type.Integer(),
    budget: Type.Integer(),
  }),
});

const AiErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Array(Detail),
      retry_after: Type.Optional(Type.Integer({ description: 'Seconds to wait (429)' })),
      renews_at: Type.Optional(Type.String({ description: 'When the monthly budget renews' })),
      provider_status: Type.Optional(Type.Integer({ description: "The AI provider's HTTP status" })),
    }),
  },
  { description: 'Error envelope' },
);
const aiErrors = {
  ...errors,
  409: AiErrorResponse,
  429: AiErrorResponse,
  502: AiErrorResponse,
  504: AiErrorResponse,
};

const SettingsJson = Type.Object({
  configured: Type.Boolean({
    description: 'A provider is set (here or server-wide): the assistant is available',
  }),
  source: Nullable(StringEnum(['workspace', 'server'] as const)),
  base_url: Nullable(Type.String()),
  model: Nullable(Type.String()),
  api_key: Nullable(Type.String({ description: 'Masked when set; never returned' })),
  server: Type.Object({
    configured: Type.Boolean(),
    model: Nullable(Type.String()),
    monthly_token_budget: Type.Integer(),
    requests_per_minute: Type.Integer(),
  }),
  effective_model: Nullable(Type.String()),
  share_client_details: Type.Boolean(),
  forbidden_claims: Type.Array(Type.String()),
  monthly_token_budget: Nullable(Type.Integer()),
  requests_per_minute: Nullable(Type.Integer()),
  usage: Type.Object({
    month: Type.String(),
    tokens_used: Type.Integer(),
    requests: Type.Integer(),
    failed_requests: Type.Integer(),
    budget: Type.Integer(),
    remaining: Type.Integer(),
    renews_at: Timestamp,
    requests_per_minute: Type.Integer(),
  }),
  updated_at: Nullable(Timestamp),
});

const StreamResponse = {
  description:
    'JSON, or with `Accept: text/event-stream` server-sent events: `start` (model, sent_to_model), `delta` (text as it is written), then `result` (this JSON) or `error` (the error envelope)',
  content: {
    'application/json': { schema: AiResultJson },
    'text/event-stream': { schema: Type.String() },
  },
};

function wantsStream(request: FastifyRequest): boolean {
  return String(request.headers.accept ?? '').includes('text/event-stream');
}

/**
 * Runs one AI request as JSON or as server-sent events. Errors found before the model is called
 * (400, 404, 409, 429) are ordinary HTTP errors either way; once streaming, an error is the last event.
 */
async function answer(
  request: FastifyRequest,
  reply: FastifyReply,
  work: (events: AiRunEvents) => Promise<AiResult>,
) {
  if (!wantsStream(request)) return work({});
  const cancel = new AbortController();
  let streaming = false;
  const raw = reply.raw;
  const send = (event: string, data: unknown) => {
    if (!raw.destroyed) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  raw.on('close', () => {
    if (!raw.writableFinished) cancel.abort();
  });
  try {
    const result = await work({
      signal: cancel.signal,
      onStart: (info) => {
        reply.hijack();
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
          'x-request-id': request.id,
        });
        streaming = true;
        send('start', { model: info.model, sent_to_model: info.sent });
      },
      onDelta: (text) => send('delta', { text }),
    });
    send('result', result);
    raw.end();
  } catch (error) {
    if (!streaming) throw error;
    const appError =
      error instanceof AppError ? error : new AppError('INTERNAL', 'Something went wrong while writing');
    if (!(error instanceof AppError)) request.log.error({ err: error }, 'AI stream failed');
    send('error', {
      error: { code: appError.code, message: appError.message, details: appError.details, ...appError.extra },
    });
    raw.end();
  }
  return reply;
}

export function registerAiRoutes(app: HttpApp, deps: { db: Database } & AiDeps) {
  const { db } = deps;
  const tags = ['AI assistant'];

  app.get(
    '/api/v1/ai/settings',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary:
          "The workspace's AI provider (key masked), privacy switch, forbidden claims, budget and usage",
        response: { 200: SettingsJson, ...errors },
      },
    },
    async (request) => getAiSettings(db, deps, workspaceOf(request).workspaceId),
  );

  app.patch(
    '/api/v1/ai/settings',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary:
          'Change the AI settings (audited; the key only as set/unset). base_url and model go together; null falls back to the server',
        body: Type.Object(
          {
            base_url: Type.Optional(
              Nullable(
                Type.String({
                  maxLength: 500,
                  description: 'OpenAI-compatible endpoint, e.g. http://localhost:11434/v1',
                }),
              ),
            ),
            model: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
            api_key: Type.Optional(
              Nullable(
                Type.String({
                  maxLength: 2000,
                  description: 'Sent masked ("••••••••") keeps the stored key',
                }),
              ),
            ),
            share_client_details: Type.Optional(
              Type.Boolean({
                description: "Allow up to 3 sampled clients' notes and history to go to the model",
              }),
            ),
            forbidden_claims: Type.Optional(
              Type.Array(Type.String({ maxLength: CLAIM_MAX * 2 }), { maxItems: FORBIDDEN_CLAIMS_MAX }),
            ),
            monthly_token_budget: Type.Optional(
              Nullable(Type.Integer({ minimum: 0, maximum: 2_000_000_000 })),
            ),
            requests_per_minute: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 10_000 }))),
          },
          { additionalProperties: false },
        ),
        response: { 200: SettingsJson, ...errors },
      },
    },
    async (request) => updateAiSettings(db, deps, workspaceOf(request), request.body),
  );

  app.post(
    '/api/v1/ai/audience-preview',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'What a compose request with this audience would send to the model, without calling it',
        body: Type.Object({ audience: AudienceSchema }, { additionalProperties: false }),
        response: { 200: SentToModelJson, ...errors },
      },
    },
    async (request) => {
      const ctx = workspaceOf(request);
      const settings = await getAiSettings(db, deps, ctx.workspaceId);
      return audienceForModel(db, ctx, request.body.audience, settings.share_client_details);
    },
  );

  app.post(
    '/api/v1/ai/compose',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary:
          'Write new message variants for a channel; each is checked by the template validator (unknown variables repaired or flagged), against the forbidden claims and the channel limits. Nothing is sent to clients.',
        body: Type.Object(
          {
            channel: Channel,
            objective: Type.String({
              minLength: 1,
              maxLength: 2000,
              description: 'What the message should achieve',
            }),
            tone: Type.Optional(Tone),
            language: Language,
            audience: Type.Optional(AudienceSchema),
            variants: Type.Optional(Variants),
            max_length: Type.Optional(MaxLength),
            sms_segments: Type.Optional(SmsSegments),
          },
          { additionalProperties: false },
        ),
        response: { 200: StreamResponse, ...aiErrors },
      },
    },
    async (request, reply) =>
      answer(request, reply, (events) =>
        compose(
          db,
          deps,
          workspaceOf(request),
          { ...request.body, variants: request.body.variants ?? 1 },
          events,
        ),
      ),
  );

  app.post(
    '/api/v1/ai/rewrite',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary:
          'Improve, shorten, lengthen, translate, fix spelling, suggest subject lines, or adapt a message to another channel (SMS parts, WhatsApp body rules); checked like compose',
        body: Type.Object(
          {
            operation: StringEnum(REWRITE_OPERATIONS),
            channel: Channel,
            target_channel: Type.Optional(Channel),
            language: Type.Optional(Language),
            tone: Type.Optional(Tone),
            subject: Type.Optional(Nullable(Type.String({ maxLength: 1000 }))),
            body: Type.String({ minLength: 1, maxLength: 50_000 }),
            variants: Type.Optional(Variants),
            max_length: Type.Optional(MaxLength),
            sms_segments: Type.Optional(SmsSegments),
          },
          { additionalProperties: false },
        ),
        response: { 200: StreamResponse, ...aiErrors },
      },
    },
    async (request, reply) =>
      answer(request, reply, (events) =>
        rewrite(
          db,
          deps,
          workspaceOf(request),
          { ...request.body, variants: request.body.variants ?? 1 },
          events,
        ),
      ),
  );
}
