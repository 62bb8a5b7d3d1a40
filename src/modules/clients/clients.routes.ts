import { type TSchema, Type } from '@sinclair/typebox';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import {
  errors,
  IdParams,
  Nullable,
  PageQuery,
  StringEnum,
  Timestamp,
  Uuid,
} from '../../platform/http/schemas.ts';
import { setClientArchived } from './clients.archive.ts';
import { CLIENT_STATUSES, countMatchingClients, listClients } from './clients.list.ts';
import { duplicateGroups, findClientsByIds } from './clients.repo.ts';
import {
  CHANNELS,
  CONTACT_METHODS,
  clientsToJson,
  createClient,
  deleteClient,
  getClient,
  getClientByExternalId,
  mergeClients,
  tagClient,
  updateClient,
  upsertClientByExternalId,
} from './clients.service.ts';

const text = (max: number) => Type.Optional(Nullable(Type.String({ maxLength: max })));

/** The fields a client write accepts (POST, PATCH, PUT by external id). */
const ClientWriteFields = {
  first_name: text(200),
  last_name: text(200),
  email: text(254),
  phone: text(40),
  city: text(200),
  country: text(2),
  locale: text(20),
  timezone: text(64),
  source: text(200),
  label: text(64),
  external_id: text(200),
  location_id: Type.Optional(Nullable(Uuid)),
  account_manager_id: Type.Optional(Nullable(Uuid)),
  preferred_contact_method: Type.Optional(Nullable(StringEnum(CONTACT_METHODS))),
  birthday: Type.Optional(Nullable(Type.String({ format: 'date' }))),
  tags: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })),
  custom: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), { description: 'Values keyed by custom-field key' }),
  ),
  consent: Type.Optional(
    Type.Record(Type.String(), Type.Boolean(), {
      description:
        'Channels granted or withdrawn with this write, e.g. { "email": true } (recorded with source api)',
    }),
  ),
  consent_evidence: text(2000),
  allow_duplicate: Type.Optional(
    Type.Boolean({ description: 'Create even when another client has this email or phone' }),
  ),
};
const ClientWrite = Type.Object(ClientWriteFields, { additionalProperties: false });

const ClientJson = Type.Object({
  id: Uuid,
  name: Type.String({ description: 'Display name: first and last name, else email, phone or external id' }),
  first_name: Nullable(Type.String()),
  last_name: Nullable(Type.String()),
  email: Nullable(Type.String()),
  phone: Nullable(Type.String({ description: 'E.164' })),
  city: Nullable(Type.String()),
  country: Nullable(Type.String()),
  locale: Nullable(Type.String()),
  timezone: Nullable(Type.String()),
  source: Nullable(Type.String()),
  label: Nullable(Type.String()),
  external_id: Nullable(Type.String()),
  location_id: Nullable(Uuid),
  account_manager_id: Nullable(Uuid),
  preferred_contact_method: Nullable(Type.String()),
  birthday: Nullable(Type.String()),
  tags: Type.Array(Type.String()),
  custom: Type.Record(Type.String(), Type.Unknown()),
  consent: Type.Object(
    Object.fromEntries(CHANNELS.map((c) => [c, Type.Boolean()])) as Record<string, TSchema>,
  ),
  lifetime_value: Type.Number(),
  booking_count: Type.Integer(),
  visit_frequency_days: Nullable(Type.Number()),
  risk_score: Nullable(Type.Integer()),
  risk_override: Nullable(Type.Object({ score: Type.Integer(), reason: Nullable(Type.String()) })),
  last_booking_at: Nullable(Timestamp),
  last_activity_at: Nullable(Timestamp),
  last_contacted_at: Nullable(Timestamp),
  archived_at: Nullable(
    Type.String({
      format: 'date-time',
      description:
        'When the client was archived (hidden from the list, segments and audiences until restored); null when active',
    }),
  ),
  archived_by: Nullable(Type.String({ description: 'Who archived the client' })),
  created_at: Timestamp,
  updated_at: Timestamp,
});

/** The filters the list and the count share. */
const ClientFilters = {
  q: Type.Optional(
    Type.String({
      maxLength: 200,
      description: 'Name, email, phone or external id; a whole email address matches that email exactly',
    }),
  ),
  filter: Type.Optional(
    Type.String({
      maxLength: 2000,
      description:
        'A one-line segment query, e.g. `tag:vip city:Madrid ltv>500` (docs/SEGMENT-QUERY.md); a mistake answers 400 with its column',
    }),
  ),
  tag: Type.Optional(Type.String({ maxLength: 64 })),
  label: Type.Optional(Type.String({ maxLength: 64 })),
  location_id: Type.Optional(Uuid),
  consent: Type.Optional(StringEnum(CHANNELS)),
  created_from: Type.Optional(Timestamp),
  created_to: Type.Optional(Timestamp),
  status: Type.Optional(
    StringEnum(CLIENT_STATUSES, {
      description:
        '`active` (the default): clients not archived; `archived`: only archived ones; `all`: both',
    }),
  ),
};

const ExternalIdParams = Type.Object({ external_id: Type.String({ minLength: 1, maxLength: 200 }) });
const TagsBody = Type.Object(
  { tags: Type.Array(Type.String({ maxLength: 64 }), { minItems: 1, maxItems: 100 }) },
  { additionalProperties: false },
);

export function registerClientRoutes(app: HttpApp, deps: { db: Database }) {
  const { db } = deps;
  const tags = ['Clients'];

  app.post(
    '/api/v1/clients',
    {
      config: { access: { minRole: 'agent' } },
      schema: {
        tags,
        summary: 'Create a client',
        description:
          'At least a name, an email or a phone. Email is stored trimmed and lower-case, phone in E.164 (numbers without a country code are read with the client country, else the workspace default). 409 with `existing_id` when another client has the email or phone, unless `allow_duplicate`.',
        body: ClientWrite,
        response: { 201: ClientJson, ...errors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createClient(db, workspaceOf(request), request.body as never)),
  );

  app.get(
    '/api/v1/clients',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'List and search clients',
        description:
          '`q` matches name, email, phone and external id, ignoring case and accents ("jose" finds "José", "612 34" finds "+34612345678"). `sort` is a column name, `-` first for descending, custom fields as `custom.<key>`.',
        querystring: Type.Object({
          ...PageQuery,
          ...ClientFilters,
          sort: Type.Optional(Type.String({ maxLength: 80, examples: ['-lifetime_value'] })),
        }),
        response: {
          200: Type.Object({
            clients: Type.Array(ClientJson),
            next_cursor: Nullable(Type.String()),
            total: Type.Integer({ description: 'Matching clients, counted up to 1,000' }),
            total_exact: Type.Boolean({
              description:
                'false when more than 1,000 match: total is then a lower bound; GET /api/v1/clients/count has the exact figure',
            }),
          }),
          ...errors,
        },
      },
    },
    async (request) => listClients(db, workspaceOf(request), request.query),
  );

  app.get(
    '/api/v1/clients/count',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Exactly how many clients match the list filters',
        description:
          'The same filters as GET /api/v1/clients. The list counts only up to 1,000 to stay fast; this counts all.',
        querystring: Type.Object(ClientFilters),
        response: { 200: Type.Object({ total: Type.Integer() }), ...errors },
      },
    },
    async (request) => countMatchingClients(db, workspaceOf(request), request.query),
  );

  app.get(
    '/api/v1/clients/duplicates',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Likely duplicates: same email, same phone, or same name and birthday',
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }) }),
        response: {
          200: Type.Object({
            groups: Type.Array(
              Type.Object({
                reason: StringEnum(['email', 'phone', 'name_birthday'] as const),
                clients: Type.Array(ClientJson),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const ctx = workspaceOf(request);
      const groups = await duplicateGroups(db, ctx.workspaceId, request.query.limit);
      const rows = await findClientsByIds(db, ctx.workspaceId, [...new Set(groups.flatMap((g) => g.ids))]);
      const json = new Map((await clientsToJson(db, ctx, rows)).map((c) => [c.id, c]));
      return {
        groups: groups.map((g) => ({
          reason: g.reason as 'email',
          clients: g.ids.map((id) => json.get(id)).filter((c) => c !== undefined),
        })),
      };
    },
  );

  app.get(
    '/api/v1/clients/by-external-id/:external_id',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Find a client by the id in your own system',
        params: ExternalIdParams,
        response: { 200: ClientJson, ...errors },
      },
    },
    async (request) => getClientByExternalId(db, workspaceOf(request), request.params.external_id),
  );

  app.put(
    '/api/v1/clients/by-external-id/:external_id',
    {
      config: { access: { minRole: 'agent' } },
      schema: {
        tags,
        summary: 'Create or update a client by the id in your own system (what a booking system calls)',
        description:
          'Fields you send are set; fields you leave out keep their value. 201 when created, 200 when updated.',
        params: ExternalIdParams,
        body: ClientWrite,
        response: { 200: ClientJson, 201: ClientJson, ...errors },
      },
    },
    async (request, reply) => {
      const result = await upsertClientByExternalId(
        db,
        workspaceOf(request),
        request.params.external_id,
        request.body as never,
      );
      return reply.status(result.created ? 201 : 200).send(result.client);
    },
  );

  app.get(
    '/api/v1/clients/:id',
    {
      config: { access: { minRole: 'viewer' } },
      schema: { tags, summary: 'One client', params: IdParams, response: { 200: ClientJson, ...errors } },
    },
    async (request) => getClient(db, workspaceOf(request), request.params.id),
  );

  app.patch(
    '/api/v1/clients/:id',
    {
      config: { access: { minRole: 'agent' } },
      schema: {
        tags,
        summary: 'Change a client',
        description:
          'Send only what changes; null clears a field. `tags` replaces the tag list. Every change is kept in the client history.',
        params: IdParams,
        body: ClientWrite,
        response: { 200: ClientJson, ...errors },
      },
    },
    async (request) => updateClient(db, workspaceOf(request), request.params.id, request.body as never),
  );

  app.delete(
    '/api/v1/clients/:id',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Delete a client and everything about it (use erase to keep a suppression entry)',
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await deleteClient(db, workspaceOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  for (const archived of [true, false])
    app.post(
      `/api/v1/clients/:id/${archived ? 'archive' : 'unarchive'}`,
      {
        config: { access: { minRole: 'admin' } },
        schema: {
          tags,
          summary: archived ? 'Archive a client' : 'Restore an archived client',
          description: archived
            ? 'The client leaves the list, search, counts, segments, campaign audiences and bulk selections; its page, timeline and data stay, its events are still recorded, and imports and the API still match its email, phone and external id (they update it, never create a second client). Archiving an archived client changes nothing.'
            : 'The client is back in the list, segments and audiences. Restoring an active client changes nothing.',
          params: IdParams,
          response: { 200: ClientJson, ...errors },
        },
      },
      async (request) => setClientArchived(db, workspaceOf(request), request.params.id, archived),
    );

  app.post(
    '/api/v1/clients/:id/merge',
    {
      config: { access: { minRole: 'agent' } },
      schema: {
        tags,
        summary: 'Merge another client into this one',
        description:
          "Everything of the other client (events, notes, tags, consent history, field history) moves here, in one transaction; the other is deleted. Fields keep this client's value unless `prefer` says `other`; empty fields are filled from the other.",
        params: IdParams,
        body: Type.Object(
          {
            other_id: Uuid,
            prefer: Type.Optional(Type.Record(Type.String(), StringEnum(['this', 'other'] as const))),
          },
          { additionalProperties: false },
        ),
        response: { 200: ClientJson, ...errors },
      },
    },
    async (request) =>
      mergeClients(
        db,
        workspaceOf(request),
        request.params.id,
        request.body.other_id,
        request.body.prefer ?? {},
      ),
  );

  app.post(
    '/api/v1/clients/:id/tags',
    {
      config: { access: { minRole: 'agent' } },
      schema: {
        tags,
        summary: 'Add tags (unknown names are created)',
        params: IdParams,
        body: TagsBody,
        response: { 200: ClientJson, ...errors },
      },
    },
    async (request) => tagClient(db, workspaceOf(request), request.params.id, request.body.tags, false),
  );

  app.delete(
    '/api/v1/clients/:id/tags',
    {
      config: { access: { minRole: 'agent' } },
      schema: {
        tags,
        summary: 'Remove tags',
        params: IdParams,
        body: TagsBody,
        response: { 200: ClientJson, ...errors },
      },
    },
    async (request) => tagClient(db, workspaceOf(request), request.params.id, request.body.tags, true),
  );
}
