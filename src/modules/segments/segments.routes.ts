import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import {
  errors,
  IdParams,
  Nullable,
  ProblemCode,
  StringEnum,
  Timestamp,
  Uuid,
} from '../../platform/http/schemas.ts';
import { QUERY_ERROR_CODES } from './query-syntax.ts';
import {
  archiveSegment,
  changeSegmentMembers,
  createSegment,
  duplicateSegment,
  evaluateSegment,
  freezeSegment,
  getSegment,
  listSegmentClients,
  listSegments,
  MAX_LISTED_VALUES,
  MAX_STATIC_IDS,
  parseQuery,
  resolveListedClients,
  SEGMENT_KINDS,
  segmentCountHistory,
  updateSegment,
} from './segments.service.ts';

export const Definition = Type.Unsafe<unknown>({
  description:
    'A segment condition tree (see SEGMENTS.md): {"all": [...]}, {"any": [...]}, {"not": ...}, or a condition with "field", "event" or "engagement". Invalid trees answer 400 INVALID_SEGMENT with every problem and its JSON Pointer into the tree.',
  examples: [
    {
      all: [
        { field: 'city', op: 'in', value: ['Madrid', 'Valencia'] },
        { field: 'tags', op: 'has', value: 'vip' },
        { event: 'booking', measure: 'count', op: 'gte', value: 3, within_days: 180 },
      ],
    },
  ],
});

/** A syntax error's stable name and its variable parts, for a client wording it in its reader's language. */
const QueryErrorCode = {
  code: Type.Optional(
    Type.String({
      description: `What the syntax error is, stable for programs (the dashboard words each code in the reader's language): one of ${QUERY_ERROR_CODES.join(', ')}`,
    }),
  ),
  params: Type.Optional(
    Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()]), {
      description:
        'The variable parts of the message, by name: the text as written (text, name, key), a field\'s display name (field), a limit (min, max), a corrected form (fix, example) and, for a misspelt name, the closest known one (suggestion: "did you mean")',
    }),
  ),
};

/** A client exactly as GET /api/v1/clients lists it (the clients module's JSON). */
const ClientJson = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    email: Nullable(Type.String()),
    phone: Nullable(Type.String()),
  },
  { additionalProperties: true, description: 'A client, as GET /api/v1/clients/{id} answers it' },
);

const MembersPage = Type.Object({
  count: Type.Integer({ description: 'Exactly how many clients match' }),
  clients: Type.Array(ClientJson, { description: 'Newest clients first' }),
  next_cursor: Nullable(Type.String()),
});
/** The builder asks for the count and the preview page separately, so the page never waits for the count. */
const EvaluatePage = Type.Object({
  ...MembersPage.properties,
  count: Nullable(
    Type.Integer({ description: 'Exactly how many clients match; null when asked with `count: false`' }),
  ),
});

const SegmentJson = Type.Object({
  id: Uuid,
  name: Type.String(),
  description: Nullable(Type.String()),
  kind: StringEnum(SEGMENT_KINDS),
  definition: Type.Unknown({ description: 'The condition tree; null for a static segment' }),
  preset: Nullable(
    Type.String({ description: 'The preset this segment started as (vip_ltv_top10, label:customer, …)' }),
  ),
  auto_refresh: Type.Boolean({
    description: 'A computed preset (VIP threshold, this month) kept current by the hourly job until edited',
  }),
  archived: Type.Boolean(),
  archived_at: Nullable(Timestamp),
  last_count: Nullable(Type.Integer()),
  last_counted_at: Nullable(Timestamp),
  last_used_at: Nullable(Timestamp),
  used_by: Type.Array(
    Type.Object({
      type: Type.String({ description: 'campaign or bulk_action' }),
      id: Type.String(),
      name: Type.String({ description: "A campaign's name; a bulk action's action (add_tags, export…)" }),
      pending: Type.Boolean({
        description:
          'Still has to read the members (a campaign picking its recipients at send time, a queued bulk action): the segment cannot be archived meanwhile',
      }),
    }),
    {
      description:
        'Campaigns, then bulk actions (the latest 10, and every pending one), that use this segment; each kind newest first',
    },
  ),
  problems: Type.Array(Type.Object({ path: Type.String(), message: Type.String(), ...ProblemCode }), {
    description:
      'Why the saved tree no longer evaluates (an archived custom field, a removed label…); empty when fine',
  }),
  query: Nullable(
    Type.String({
      description: 'The tree in the one-line query syntax (docs/SEGMENT-QUERY.md); null when it has none',
    }),
  ),
  created_at: Timestamp,
  updated_at: Timestamp,
});

/** Errors, with the limit named on a 422 SEGMENT_TIMEOUT. */
const evaluationErrors = {
  ...errors,
  422: Type.Object(
    {
      error: Type.Object({
        code: Type.String(),
        message: Type.String(),
        details: Type.Array(Type.Object({ path: Type.String(), message: Type.String(), ...ProblemCode })),
        timeout_ms: Type.Optional(
          Type.Integer({ description: 'On SEGMENT_TIMEOUT: the limit, SEGMENT_TIMEOUT_MS' }),
        ),
      }),
    },
    { description: 'Error envelope' },
  ),
};

const PageLimit = {
  limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 200, default: 50, description: '0 counts only' })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
};
const Name = Type.String({ minLength: 1, maxLength: 200 });
const Description = Nullable(Type.String({ maxLength: 2000 }));
const ClientIds = Type.Array(Type.String({ format: 'uuid' }), { maxItems: MAX_STATIC_IDS });

/**
 * An AbortSignal that fires when the HTTP client goes away before the answer is sent (the
 * dashboard aborts superseded previews): the running query is then cancelled.
 */
function abortOnDisconnect(reply: FastifyReply) {
  const controller = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) controller.abort();
  };
  reply.raw.once('close', onClose);
  return { signal: controller.signal, done: () => reply.raw.off('close', onClose) };
}

export function registerSegmentRoutes(app: HttpApp, deps: { db: Database; timeoutMs: number }) {
  const { db, timeoutMs } = deps;
  const tags = ['Segments'];

  app.post(
    '/api/v1/segments/evaluate',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Count and preview the clients a tree matches',
        description: `The exact count and a page of matching clients (newest first) for an unsaved tree — the builder's live count and preview. \`limit: 0\` counts only. One parameterized query per call, at most SEGMENT_TIMEOUT_MS (422 SEGMENT_TIMEOUT beyond); closing the request cancels the query.`,
        body: Type.Object(
          {
            definition: Definition,
            ...PageLimit,
            count: Type.Optional(
              Type.Boolean({
                default: true,
                description:
                  'false: the page only (`count` answers null), so a preview is as fast as its page; ask `limit: 0` in a second request for the count',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: EvaluatePage, ...evaluationErrors },
      },
    },
    async (request, reply) => {
      const abort = abortOnDisconnect(reply);
      try {
        return await evaluateSegment(db, workspaceOf(request), request.body, {
          timeoutMs,
          signal: abort.signal,
        });
      } finally {
        abort.done();
      }
    },
  );

  app.post(
    '/api/v1/segments/resolve-list',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Read a pasted or uploaded list (emails, phones, external ids) into client ids',
        description:
          'For a static segment made from a list: one value per entry; emails match emails, phone-like values match phones (default country of the workspace) and then external ids, anything else external ids. Values that match nobody come back with their index.',
        body: Type.Object(
          {
            values: Type.Array(Type.String({ maxLength: 320 }), { maxItems: MAX_LISTED_VALUES }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            client_ids: Type.Array(Uuid),
            matched: Type.Integer(),
            unmatched: Type.Array(Type.Object({ index: Type.Integer(), value: Type.String() })),
          }),
          ...errors,
        },
      },
    },
    async (request) => resolveListedClients(db, workspaceOf(request), request.body.values),
  );

  app.post(
    '/api/v1/segments/parse',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Read a one-line query into a condition tree',
        description:
          'The query syntax of docs/SEGMENT-QUERY.md, e.g. `tag:vip city:Madrid,Valencia ltv>500 booking.count(180d)>=3 -tag:blocked`. Syntax errors answer 400 with the column (1-based) of each in the text. `problems` lists what evaluate would refuse in this workspace (an unknown label, an archived custom field); `query` is the canonical text of the tree.',
        body: Type.Object({ q: Type.String({ maxLength: 20_000 }) }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            definition: Type.Unknown({ description: 'The condition tree' }),
            query: Nullable(Type.String()),
            problems: Type.Array(
              Type.Object({ path: Type.String(), message: Type.String(), ...ProblemCode }),
            ),
          }),
          ...errors,
          400: Type.Object(
            {
              error: Type.Object({
                code: Type.String(),
                message: Type.String(),
                details: Type.Array(
                  Type.Object({
                    path: Type.String(),
                    message: Type.String({ description: 'The English sentence (what the CLI prints)' }),
                    ...QueryErrorCode,
                    column: Type.Optional(Type.Integer({ description: '1-based, in UTF-16 code units' })),
                    length: Type.Optional(Type.Integer()),
                  }),
                ),
              }),
            },
            { description: 'Error envelope; a syntax error names its column in `q`' },
          ),
        },
      },
    },
    async (request) => parseQuery(db, workspaceOf(request), request.body.q),
  );

  app.get(
    '/api/v1/segments',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Saved segments, newest first',
        description:
          "A workspace gets its presets (Not contacted in 30 days, New this month, VIP (LTV top 10%), At risk, one per label; named in the workspace's default language) the first time its segments are listed. Archived segments only with `include_archived=true` (with the live ones) or `archived=true` (alone). `q` searches names and descriptions. Read page by page: pass `next_cursor` back as `cursor` until it is null.",
        querystring: Type.Object({
          include_archived: Type.Optional(Type.Boolean({ description: 'Archived segments too' })),
          archived: Type.Optional(
            Type.Boolean({
              description: 'true: archived segments only; false: live ones only (wins over include_archived)',
            }),
          ),
          q: Type.Optional(
            Type.String({
              maxLength: 200,
              description:
                'Every word must appear in the name or the description; case and accents do not matter ("vacia" finds "Vacía")',
            }),
          ),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          cursor: Type.Optional(Type.String({ maxLength: 500 })),
        }),
        response: {
          200: Type.Object({ segments: Type.Array(SegmentJson), next_cursor: Nullable(Type.String()) }),
          ...errors,
        },
      },
    },
    async (request) => listSegments(db, workspaceOf(request), request.query),
  );

  app.post(
    '/api/v1/segments',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Save a segment',
        description:
          'A dynamic segment keeps a `definition` (evaluated when used); a static one keeps a list of clients (`client_ids`, ids of this workspace: any other id answers 400 naming its index).',
        body: Type.Object(
          {
            name: Name,
            description: Type.Optional(Description),
            kind: Type.Optional(StringEnum(SEGMENT_KINDS, { description: 'dynamic (default) or static' })),
            definition: Type.Optional(Definition),
            client_ids: Type.Optional(ClientIds),
          },
          { additionalProperties: false },
        ),
        response: { 201: SegmentJson, ...errors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createSegment(db, workspaceOf(request), request.body)),
  );

  app.get(
    '/api/v1/segments/:id',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'One saved segment',
        params: IdParams,
        response: { 200: SegmentJson, ...errors },
      },
    },
    async (request) => getSegment(db, workspaceOf(request), request.params.id),
  );

  app.patch(
    '/api/v1/segments/:id',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Rename, describe, change the tree of, archive or restore a segment',
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(Name),
            description: Type.Optional(Description),
            definition: Type.Optional(Definition),
            archived: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: SegmentJson, ...errors },
      },
    },
    async (request) => updateSegment(db, workspaceOf(request), request.params.id, request.body),
  );

  app.delete(
    '/api/v1/segments/:id',
    {
      // The same act as PATCH {archived: true}, so the same role: archiving is undone by a restore
      // (marketer) and drops nothing, so it needs no more than the role that edits segments.
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Archive a segment',
        description:
          'Segments are archived, never dropped; PATCH `{"archived": false}` restores one. The same as PATCH `{"archived": true}`, with the same role (marketer). 409 CONFLICT while a campaign or bulk action still has to read its members (`used_by` with `pending: true`, also named in `error.details`).',
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await archiveSegment(db, workspaceOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/segments/:id/duplicate',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Copy a segment (a static one with its members)',
        params: IdParams,
        body: Type.Optional(Type.Object({ name: Type.Optional(Name) }, { additionalProperties: false })),
        response: { 201: SegmentJson, ...errors },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await duplicateSegment(db, workspaceOf(request), request.params.id, request.body ?? {})),
  );

  app.post(
    '/api/v1/segments/:id/freeze',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: "Freeze a segment's current members into a new static segment",
        params: IdParams,
        body: Type.Optional(
          Type.Object(
            { name: Type.Optional(Name), description: Type.Optional(Description) },
            { additionalProperties: false },
          ),
        ),
        response: { 201: SegmentJson, ...evaluationErrors },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          await freezeSegment(db, workspaceOf(request), request.params.id, request.body ?? {}, { timeoutMs }),
        ),
  );

  app.post(
    '/api/v1/segments/:id/members',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Add and remove members of a static segment',
        description:
          'Ids to add must be clients of this workspace (400 names the index of any other); ids to remove that are not members are ignored.',
        params: IdParams,
        body: Type.Object(
          { add: Type.Optional(ClientIds), remove: Type.Optional(ClientIds) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ added: Type.Integer(), removed: Type.Integer(), count: Type.Integer() }),
          ...errors,
        },
      },
    },
    async (request) => changeSegmentMembers(db, workspaceOf(request), request.params.id, request.body),
  );

  app.get(
    '/api/v1/segments/:id/clients',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: "A saved segment's members, paged, with their count",
        params: IdParams,
        querystring: Type.Object(PageLimit),
        response: { 200: MembersPage, ...evaluationErrors },
      },
    },
    async (request, reply) => {
      const abort = abortOnDisconnect(reply);
      try {
        return await listSegmentClients(db, workspaceOf(request), request.params.id, request.query, {
          timeoutMs,
          signal: abort.signal,
        });
      } finally {
        abort.done();
      }
    },
  );

  app.get(
    '/api/v1/segments/:id/counts',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: "A saved segment's count history (the hourly job), oldest first",
        params: IdParams,
        querystring: Type.Object({ days: Type.Integer({ minimum: 1, maximum: 400, default: 30 }) }),
        response: {
          200: Type.Object({
            counts: Type.Array(Type.Object({ at: Timestamp, count: Type.Integer() })),
          }),
          ...errors,
        },
      },
    },
    async (request) => segmentCountHistory(db, workspaceOf(request), request.params.id, request.query.days),
  );
}
