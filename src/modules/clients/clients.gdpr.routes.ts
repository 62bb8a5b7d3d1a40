import { Type } from '@sinclair/typebox';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { errors, IdParams, Nullable, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import {
  eraseClient,
  exportClient,
  type GdprDeps,
  previewRetention,
  RETENTION_MONTHS_MAX,
  runRetention,
} from './clients.gdpr.ts';

const Months = Type.Integer({
  minimum: 1,
  maximum: RETENTION_MONTHS_MAX,
  description: 'Clients with no activity (or, without any, created) this many months ago or earlier',
});

export function registerClientGdprRoutes(app: HttpApp, deps: { db: Database } & GdprDeps) {
  const { db } = deps;
  const tags = ['GDPR'];
  app.get(
    '/api/v1/clients/:id/export',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Everything the workspace holds about a client, as a JSON download',
        description:
          'The client (every field, all custom fields, scores), its field history, and one section per ' +
          'kind of data kept about it (notes, consent history, events…). Audited as client.exported.',
        params: IdParams,
        response: {
          200: Type.Object(
            {
              format: Type.String(),
              exported_at: Timestamp,
              workspace_id: Uuid,
              client: Type.Record(Type.String(), Type.Unknown()),
              history: Type.Array(Type.Unknown()),
            },
            { additionalProperties: true, description: 'Plus one key per data section: notes, consent, …' },
          ),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const data = await exportClient(db, workspaceOf(request), request.params.id);
      return reply
        .header('content-disposition', `attachment; filename="client-${request.params.id}.json"`)
        .header('cache-control', 'no-store')
        .send(data);
    },
  );
  app.post(
    '/api/v1/clients/:id/erase',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: "Erase a client's personal data (cannot be undone)",
        description:
          'In one transaction: every kind of data about the client is deleted or anonymised, the client ' +
          'row keeps no personal field, consent history keeps only channel/granted/source/actor/time (the ' +
          'proof), and the email and phone go on the suppression list as keyed hashes so an import or ' +
          'signup cannot re-subscribe them. An erased client answers 404 afterwards, a second erase too.',
        params: IdParams,
        body: Type.Object(
          { confirm: Type.Boolean({ description: 'Must be true' }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            client_id: Uuid,
            erased_at: Timestamp,
            consent_withdrawn: Type.Integer({ description: 'Channels still granted, now withdrawn' }),
            suppression_entries: Type.Integer({ description: 'Email and phone put on the suppression list' }),
          }),
          ...errors,
        },
      },
    },
    async (request) => eraseClient(db, workspaceOf(request), request.params.id, request.body, deps),
  );
  app.post(
    '/api/v1/clients/retention/preview',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Who a retention run would erase',
        body: Type.Object({ inactive_months: Months }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            inactive_months: Type.Integer(),
            inactive_since: Timestamp,
            total: Type.Integer(),
            clients: Type.Array(
              Type.Object({ id: Uuid, name: Type.String(), last_activity_at: Nullable(Timestamp) }),
              { description: 'The first 200, least recently active first' },
            ),
          }),
          ...errors,
        },
      },
    },
    async (request) => previewRetention(db, workspaceOf(request).workspaceId, request.body.inactive_months),
  );
  app.post(
    '/api/v1/clients/retention/run',
    {
      config: { access: { minRole: 'owner' } },
      schema: {
        tags,
        summary: 'Erase clients inactive for N months (in the background)',
        description:
          'Queues the clients.retention job, which erases the matching clients in batches, audited with ' +
          'the system actor. Asking again before it started replaces the pending request.',
        body: Type.Object(
          { inactive_months: Months, confirm: Type.Boolean({ description: 'Must be true' }) },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({
            job_id: Type.String(),
            inactive_months: Type.Integer(),
            inactive_since: Timestamp,
            total: Type.Integer({ description: 'Clients matching now' }),
          }),
          ...errors,
        },
      },
    },
    async (request, reply) =>
      reply.status(202).send(await runRetention(db, workspaceOf(request), request.body)),
  );
}
