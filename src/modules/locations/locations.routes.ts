import { Type } from '@sinclair/typebox';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { errors, IdParams, Nullable, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import {
  createLocation,
  getLocation,
  listLocations,
  setLocationArchived,
  toLocationJson,
  updateLocation,
} from './locations.service.ts';

const LocationJson = Type.Object({
  id: Uuid,
  name: Type.String(),
  address: Nullable(Type.String()),
  timezone: Nullable(Type.String()),
  archived_at: Nullable(Timestamp),
  created_at: Timestamp,
  updated_at: Timestamp,
});
const LocationBody = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  address: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
  timezone: Type.Optional(Nullable(Type.String({ maxLength: 64 }))),
};

export function registerLocationRoutes(app: HttpApp, deps: { db: Database }) {
  const { db } = deps;
  const tags = ['Locations'];
  app.get(
    '/api/v1/locations',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Locations of the business',
        querystring: Type.Object({ include_archived: Type.Optional(Type.Boolean()) }),
        response: { 200: Type.Object({ locations: Type.Array(LocationJson) }), ...errors },
      },
    },
    async (request) => ({
      locations: await listLocations(
        db,
        workspaceOf(request).workspaceId,
        request.query.include_archived ?? false,
      ),
    }),
  );
  app.post(
    '/api/v1/locations',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Add a location',
        body: Type.Object(LocationBody, { additionalProperties: false }),
        response: { 201: LocationJson, ...errors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createLocation(db, workspaceOf(request), request.body)),
  );
  app.get(
    '/api/v1/locations/:id',
    {
      config: { access: { minRole: 'viewer' } },
      schema: { tags, summary: 'One location', params: IdParams, response: { 200: LocationJson, ...errors } },
    },
    async (request) =>
      toLocationJson(await getLocation(db, workspaceOf(request).workspaceId, request.params.id)),
  );
  app.patch(
    '/api/v1/locations/:id',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Edit a location',
        params: IdParams,
        body: Type.Partial(Type.Object(LocationBody), { additionalProperties: false }),
        response: { 200: LocationJson, ...errors },
      },
    },
    async (request) => updateLocation(db, workspaceOf(request), request.params.id, request.body),
  );
  app.delete(
    '/api/v1/locations/:id',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Archive a location (its events keep it)',
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await setLocationArchived(db, workspaceOf(request), request.params.id, true);
      return reply.status(204).send(null);
    },
  );
  app.post(
    '/api/v1/locations/:id/restore',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Bring an archived location back',
        params: IdParams,
        response: { 200: LocationJson, ...errors },
      },
    },
    async (request) => setLocationArchived(db, workspaceOf(request), request.params.id, false),
  );
}
