import { Type } from '@sinclair/typebox';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { errors, IdParams, Nullable, StringEnum, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { createTag, deleteTag, getTag, listTags, TAG_COLORS, updateTag } from './tags.service.ts';

const TagJson = Type.Object({
  id: Uuid,
  name: Type.String(),
  color: Type.String(),
  description: Nullable(Type.String()),
  member_count: Type.Optional(Type.Integer()),
  created_at: Timestamp,
  updated_at: Timestamp,
});
const TagFields = {
  name: Type.String({ minLength: 1, maxLength: 64 }),
  color: Type.Optional(StringEnum(TAG_COLORS)),
  description: Type.Optional(Nullable(Type.String({ maxLength: 500 }))),
};

export function registerTagRoutes(app: HttpApp, deps: { db: Database }) {
  const { db } = deps;
  const tags = ['Tags'];
  app.get(
    '/api/v1/tags',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Tags with their member counts',
        response: { 200: Type.Object({ tags: Type.Array(TagJson) }), ...errors },
      },
    },
    async (request) => ({ tags: await listTags(db, workspaceOf(request).workspaceId) }),
  );
  app.post(
    '/api/v1/tags',
    {
      config: { access: { minRole: 'agent' } },
      schema: {
        tags,
        summary: 'Create a tag (names are unique, case-insensitively)',
        body: Type.Object(TagFields, { additionalProperties: false }),
        response: { 201: TagJson, ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await createTag(db, workspaceOf(request), request.body)),
  );
  app.get(
    '/api/v1/tags/:id',
    {
      config: { access: { minRole: 'viewer' } },
      schema: { tags, summary: 'One tag', params: IdParams, response: { 200: TagJson, ...errors } },
    },
    async (request) => getTag(db, workspaceOf(request).workspaceId, request.params.id),
  );
  app.patch(
    '/api/v1/tags/:id',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Rename or recolor a tag',
        params: IdParams,
        body: Type.Partial(Type.Object(TagFields), { additionalProperties: false }),
        response: { 200: TagJson, ...errors },
      },
    },
    async (request) => updateTag(db, workspaceOf(request), request.params.id, request.body),
  );
  app.delete(
    '/api/v1/tags/:id',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Delete a tag and remove it from every client',
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await deleteTag(db, workspaceOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
