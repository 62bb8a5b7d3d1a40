import { Type } from '@sinclair/typebox';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import {
  errors,
  IdParams,
  Nullable,
  PageQuery,
  RoleSchema,
  Timestamp,
  Uuid,
} from '../../platform/http/schemas.ts';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.service.ts';

const ApiKeyJson = Type.Object({
  id: Uuid,
  name: Type.String(),
  role: RoleSchema,
  prefix: Type.String({ description: 'The first characters of the key' }),
  created_at: Timestamp,
  last_used_at: Nullable(Timestamp),
  expires_at: Nullable(Timestamp),
  revoked_at: Nullable(Timestamp),
});

export function registerApiKeyRoutes(app: HttpApp, deps: { db: Database }) {
  const tags = ['API keys'];
  app.get(
    '/api/v1/api-keys',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'List API keys (never the keys themselves)',
        querystring: Type.Object(PageQuery),
        response: {
          200: Type.Object({ api_keys: Type.Array(ApiKeyJson), next_cursor: Nullable(Type.String()) }),
          ...errors,
        },
      },
    },
    async (request) => listApiKeys(deps.db, workspaceOf(request).workspaceId, request.query),
  );

  app.post(
    '/api/v1/api-keys',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Create an API key; the key is in this answer only',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            role: RoleSchema,
            expires_at: Type.Optional(Nullable(Timestamp)),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Intersect([ApiKeyJson, Type.Object({ key: Type.String() })]), ...errors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createApiKey(deps.db, workspaceOf(request), request.body)),
  );

  app.delete(
    '/api/v1/api-keys/:id',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Revoke an API key',
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await revokeApiKey(deps.db, workspaceOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
