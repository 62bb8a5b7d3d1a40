import { Type } from '@sinclair/typebox';
import { hasRole, type Role } from '../../platform/auth/roles.ts';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import {
  errors,
  IdParams,
  Nullable,
  RoleSchema,
  StringEnum,
  Timestamp,
  Uuid,
} from '../../platform/http/schemas.ts';
import { CUSTOM_FIELD_TYPES } from './custom-fields.schema.ts';
import {
  createCustomField,
  getCustomField,
  listCustomFields,
  setCustomFieldArchived,
  toCustomFieldJson,
  updateCustomField,
} from './custom-fields.service.ts';

const FieldJson = Type.Object({
  id: Uuid,
  key: Type.String(),
  label: Type.String(),
  type: StringEnum(CUSTOM_FIELD_TYPES),
  options: Type.Array(Type.String()),
  required: Type.Boolean(),
  section: Nullable(Type.String()),
  position: Type.Integer(),
  help_text: Nullable(Type.String()),
  visible_min_role: RoleSchema,
  editable_min_role: RoleSchema,
  archived_at: Nullable(Timestamp),
  created_at: Timestamp,
  updated_at: Timestamp,
});
const FieldWrite = {
  label: Type.String({ minLength: 1, maxLength: 200 }),
  options: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 500 })),
  required: Type.Optional(Type.Boolean()),
  section: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
  position: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000 })),
  help_text: Type.Optional(Nullable(Type.String({ maxLength: 1000 }))),
  visible_min_role: Type.Optional(RoleSchema),
  editable_min_role: Type.Optional(RoleSchema),
};

export function registerCustomFieldRoutes(app: HttpApp, deps: { db: Database }) {
  const { db } = deps;
  const tags = ['Custom fields'];
  app.get(
    '/api/v1/custom-fields',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Custom client fields, by section and position',
        querystring: Type.Object({ include_archived: Type.Optional(Type.Boolean()) }),
        response: { 200: Type.Object({ custom_fields: Type.Array(FieldJson) }), ...errors },
      },
    },
    async (request) => {
      const ctx = workspaceOf(request);
      const fields = await listCustomFields(db, ctx.workspaceId, request.query.include_archived ?? false);
      // Fields above the caller's role are left out entirely, as their values are on clients.
      return {
        custom_fields: fields
          .filter((f) => hasRole(ctx.role, f.visibleMinRole as Role))
          .map(toCustomFieldJson),
      };
    },
  );
  app.post(
    '/api/v1/custom-fields',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Add a custom field',
        body: Type.Object(
          {
            key: Type.String({
              minLength: 1,
              maxLength: 63,
              description: 'Immutable; used in segments, templates and imports',
            }),
            type: StringEnum(CUSTOM_FIELD_TYPES),
            ...FieldWrite,
          },
          { additionalProperties: false },
        ),
        response: { 201: FieldJson, ...errors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createCustomField(db, workspaceOf(request), request.body)),
  );
  app.get(
    '/api/v1/custom-fields/:id',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'One custom field',
        params: IdParams,
        response: { 200: FieldJson, ...errors },
      },
    },
    async (request) => getCustomField(db, workspaceOf(request), request.params.id),
  );
  app.patch(
    '/api/v1/custom-fields/:id',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Edit a custom field (key and type are fixed)',
        params: IdParams,
        body: Type.Partial(Type.Object(FieldWrite), { additionalProperties: false }),
        response: { 200: FieldJson, ...errors },
      },
    },
    async (request) => updateCustomField(db, workspaceOf(request), request.params.id, request.body),
  );
  app.delete(
    '/api/v1/custom-fields/:id',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Archive a custom field (values stay exportable)',
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await setCustomFieldArchived(db, workspaceOf(request), request.params.id, true);
      return reply.status(204).send(null);
    },
  );
  app.post(
    '/api/v1/custom-fields/:id/restore',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Bring an archived custom field back (its stored values reappear)',
        params: IdParams,
        response: { 200: FieldJson, ...errors },
      },
    },
    async (request) => setCustomFieldArchived(db, workspaceOf(request), request.params.id, false),
  );
}
