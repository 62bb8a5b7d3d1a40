import { Type } from '@sinclair/typebox';
import type { FastifySchemaCompiler } from 'fastify';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { errors, IdParams, Nullable, PageQuery, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { validatorCompiler } from '../../platform/http/validation.ts';
import {
  deleteEvent,
  getEvent,
  ingestEvents,
  listEvents,
  overrideRisk,
  recomputeClientScores,
} from './events.service.ts';
import { MAX_EVENTS_PER_BATCH, MAX_PROPERTIES } from './events.validation.ts';

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);

const EventJson = Type.Object({
  id: Uuid,
  client_id: Uuid,
  type: Type.String(),
  occurred_at: Timestamp,
  amount: Nullable(Type.Number()),
  currency: Nullable(Type.String()),
  location_id: Nullable(Uuid),
  reference_id: Nullable(Type.String()),
  properties: Type.Record(Type.String(), Scalar),
  created_at: Timestamp,
  updated_at: Timestamp,
});

/** The documented row shape. Rows are checked one by one by the service, never by the schema. */
const EventInputDoc = Type.Object(
  {
    client_id: Type.Optional(Uuid),
    external_id: Type.Optional(Type.String({ description: 'The id in your booking or shop system' })),
    email: Type.Optional(Type.String()),
    phone: Type.Optional(Type.String()),
    type: Type.String({
      pattern: '^[a-z][a-z0-9_]{0,39}$',
      description:
        'A lower-case word: booking, payment, purchase, support, visit, logistics, promotion, insurance…',
    }),
    occurred_at: Type.String({ format: 'date-time', description: 'Not before 1970, at most one day ahead' }),
    amount: Type.Optional(Nullable(Type.Number())),
    currency: Type.Optional(Nullable(Type.String({ pattern: '^[A-Za-z]{3}$' }))),
    location_id: Type.Optional(Nullable(Uuid)),
    reference_id: Type.Optional(
      Nullable(
        Type.String({
          maxLength: 200,
          description: 'Sending the same type + reference_id again updates the event',
        }),
      ),
    ),
    properties: Type.Optional(
      Nullable(
        Type.Record(Type.String(), Scalar, {
          maxProperties: MAX_PROPERTIES,
          description: 'Flat: strings, numbers, booleans',
        }),
      ),
    ),
  },
  {
    description:
      'One of client_id, external_id, email or phone identifies the client. Each row is validated on its own: a bad row is listed in `rejected` and the others are stored.',
  },
);

const IngestBody = Type.Object(
  {
    events: Type.Array(EventInputDoc, { maxItems: MAX_EVENTS_PER_BATCH }),
    create_client: Type.Optional(
      Type.Boolean({
        description:
          'Create a client for an unknown external_id, email or phone instead of rejecting the row',
      }),
    ),
  },
  { additionalProperties: false },
);

/** What the body is really checked against: the envelope only; rows are the service's. */
const IngestEnvelope = Type.Object(
  {
    events: Type.Array(Type.Unknown(), { maxItems: MAX_EVENTS_PER_BATCH }),
    create_client: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

const ingestValidator: FastifySchemaCompiler<unknown> = (route) =>
  validatorCompiler(route.httpPart === 'body' ? { ...route, schema: IngestEnvelope } : route);

const IngestResult = Type.Object({
  accepted: Type.Integer({ description: 'Rows stored (inserted or updated)' }),
  rejected: Type.Array(
    Type.Object({
      index: Type.Integer({ description: 'Position of the row in `events`' }),
      code: Type.String({
        description:
          'INVALID_EVENT, UNKNOWN_FIELD, MISSING_IDENTITY, INVALID_IDENTITY, INVALID_TYPE, INVALID_OCCURRED_AT, INVALID_AMOUNT, INVALID_CURRENCY, UNKNOWN_LOCATION, INVALID_REFERENCE_ID, INVALID_PROPERTIES, UNKNOWN_CLIENT, CLIENT_NOT_CREATED',
      }),
      message: Type.String(),
    }),
  ),
  created_clients: Type.Integer({ description: 'Clients created because of create_client' }),
});

const DateOrDateTime = Type.Union([Type.String({ format: 'date-time' }), Type.String({ format: 'date' })]);

export const ScoresJson = Type.Object({
  client_id: Uuid,
  risk_score: Nullable(
    Type.Integer({ description: 'The override when there is one, else the computed score' }),
  ),
  computed_risk_score: Nullable(Type.Integer()),
  risk_override: Nullable(Type.Object({ score: Type.Integer(), reason: Nullable(Type.String()) })),
  lifetime_value: Type.Number(),
  booking_count: Type.Integer(),
  visit_frequency_days: Nullable(Type.Number()),
  last_booking_at: Nullable(Timestamp),
  last_activity_at: Nullable(Timestamp),
});

/** A date-only `to` means the whole of that day (UTC). */
export function endOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value))
    return new Date(Date.parse(`${value}T00:00:00Z`) + 86_400_000).toISOString();
  return value;
}

export function registerEventRoutes(app: HttpApp, deps: { db: Database; bodyLimitBytes?: number }) {
  const { db } = deps;
  const tags = ['Events'];
  app.post(
    '/api/v1/events',
    {
      config: { access: { minRole: 'agent' } },
      // 1,000 rows with properties are bigger than the default limit of other routes.
      bodyLimit: Math.max(deps.bodyLimitBytes ?? 0, 16 * 1024 * 1024),
      validatorCompiler: ingestValidator,
      schema: {
        tags,
        summary: 'Record events (bookings, payments, visits…) in batches of up to 1,000',
        description:
          'Rows are validated one by one; a bad row never fails the batch. The same type + reference_id again updates the stored event. Scores (lifetime value, bookings, visit frequency, last activity, risk) of the touched clients are updated in the same transaction.',
        body: IngestBody,
        response: { 200: IngestResult, 413: errors[400], ...errors },
      },
    },
    async (request) =>
      ingestEvents(db, workspaceOf(request), request.body as { events: unknown[]; create_client?: boolean }),
  );
  app.get(
    '/api/v1/events',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Events, newest first',
        querystring: Type.Object({
          client_id: Type.Optional(Uuid),
          type: Type.Optional(Type.String({ maxLength: 40 })),
          from: Type.Optional(DateOrDateTime),
          to: Type.Optional(DateOrDateTime),
          ...PageQuery,
        }),
        response: {
          200: Type.Object({ events: Type.Array(EventJson), next_cursor: Nullable(Type.String()) }),
          ...errors,
        },
      },
    },
    async (request) =>
      listEvents(db, workspaceOf(request).workspaceId, { ...request.query, to: endOf(request.query.to) }),
  );
  app.get(
    '/api/v1/events/:id',
    {
      config: { access: { minRole: 'viewer' } },
      schema: { tags, summary: 'One event', params: IdParams, response: { 200: EventJson, ...errors } },
    },
    async (request) => getEvent(db, workspaceOf(request).workspaceId, request.params.id),
  );
  app.delete(
    '/api/v1/events/:id',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: "Delete an event (the client's scores are recomputed)",
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await deleteEvent(db, workspaceOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  const clientTags = ['Clients'];
  app.post(
    '/api/v1/clients/:id/risk/recompute',
    {
      config: { access: { minRole: 'agent' } },
      schema: {
        tags: clientTags,
        summary: "Recompute a client's scores and churn risk from their events now",
        params: IdParams,
        response: { 200: ScoresJson, ...errors },
      },
    },
    async (request) => recomputeClientScores(db, workspaceOf(request), request.params.id),
  );
  app.post(
    '/api/v1/clients/:id/risk-override',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags: clientTags,
        summary: "Override a client's churn risk with a reason (null returns to the computed score)",
        params: IdParams,
        body: Type.Object(
          {
            score: Nullable(Type.Integer({ minimum: 0, maximum: 100 })),
            reason: Type.String({
              minLength: 1,
              maxLength: 1000,
              description: 'Why (shown on the timeline)',
            }),
          },
          { additionalProperties: false },
        ),
        response: { 200: ScoresJson, ...errors },
      },
    },
    async (request) =>
      overrideRisk(db, workspaceOf(request), request.params.id, request.body.score, request.body.reason),
  );
}
