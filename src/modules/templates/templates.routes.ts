import { Type } from '@sinclair/typebox';
import type { Config } from '../../config.ts';
import type { Database } from '../../platform/db/db.ts';
import { expectedOrigin, workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { errors, IdParams, Nullable, StringEnum, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { TEMPLATE_VARIABLES } from './liquid.ts';
import {
  createTemplate,
  deleteTemplate,
  getTemplateRow,
  listTemplates,
  previewTemplate,
  SUBJECT_MAX,
  TEMPLATE_BODY_MAX,
  TEMPLATE_CHANNELS,
  type TemplateRenderer,
  toTemplateJson,
  updateTemplate,
} from './templates.service.ts';
import { listTemplateVariables, VARIABLE_GROUPS } from './templates.variables.ts';

const Channel = StringEnum(TEMPLATE_CHANNELS, { description: 'email, sms or whatsapp' });
const VariableList = Type.Array(Type.String({ maxLength: 200 }), { maxItems: 20 });
const WhatsappTemplateRef = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 512, description: "Meta: the approved template's name" })),
    language: Type.Optional(Type.String({ maxLength: 20, description: 'Meta: its language code, e.g. es' })),
    content_sid: Type.Optional(
      Type.String({ maxLength: 64, description: "Twilio: the template's Content SID" }),
    ),
    body_parameters: Type.Optional(VariableList),
    header_parameters: Type.Optional(VariableList),
    button_parameters: Type.Optional(VariableList),
  },
  {
    additionalProperties: false,
    description:
      'The provider template this WhatsApp message is sent as; parameters are template variables in order',
  },
);

const TemplateJson = Type.Object({
  id: Uuid,
  name: Type.String(),
  channel: Channel,
  subject: Nullable(Type.String()),
  body: Type.String({ description: 'Liquid; HTML for email' }),
  objective: Nullable(Type.String()),
  marketing: Type.Boolean({ description: 'Marketing messages carry the unsubscribe footer' }),
  whatsapp_template: Nullable(WhatsappTemplateRef),
  usage_count: Type.Integer({ description: 'Messages sent from it' }),
  last_used_at: Nullable(Timestamp),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const TemplateFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  channel: Channel,
  subject: Nullable(Type.String({ maxLength: SUBJECT_MAX })),
  body: Type.String({ maxLength: TEMPLATE_BODY_MAX }),
  objective: Nullable(Type.String({ maxLength: 200 })),
  marketing: Type.Boolean(),
  whatsapp_template: Nullable(WhatsappTemplateRef),
};

export function registerTemplateRoutes(
  app: HttpApp,
  deps: { db: Database; config: Config; renderer: TemplateRenderer },
) {
  const { db, renderer } = deps;
  const tags = ['Templates'];
  app.get(
    '/api/v1/templates',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: "The workspace's templates, by name",
        querystring: Type.Object({ channel: Type.Optional(Channel) }),
        response: { 200: Type.Object({ templates: Type.Array(TemplateJson) }), ...errors },
      },
    },
    async (request) => ({
      templates: await listTemplates(db, workspaceOf(request).workspaceId, request.query.channel),
    }),
  );
  app.get(
    '/api/v1/templates/variables',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'The variables a template may use, grouped for the editors’ pickers',
        description:
          "`variables` is the list the checker accepts (`client.custom.*` takes any custom field key); `groups` is what the editors offer: every variable the renderer fills, with the workspace's custom fields the caller may see one by one.",
        response: {
          200: Type.Object({
            variables: Type.Array(Type.String()),
            groups: Type.Array(
              Type.Object({
                group: StringEnum(VARIABLE_GROUPS),
                variables: Type.Array(
                  Type.Object({
                    path: Type.String({
                      description: 'e.g. client.first_name (a WhatsApp parameter takes this)',
                    }),
                    insert: Type.String({
                      description: 'What an editor inserts, e.g. {{ client.first_name }}',
                    }),
                    label: Nullable(
                      Type.String({ description: "A custom field's label; null when built in" }),
                    ),
                  }),
                ),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request) => ({
      variables: [...TEMPLATE_VARIABLES],
      groups: await listTemplateVariables(db, workspaceOf(request)),
    }),
  );
  app.get(
    '/api/v1/templates/:id',
    {
      config: { access: { minRole: 'viewer' } },
      schema: { tags, summary: 'One template', params: IdParams, response: { 200: TemplateJson, ...errors } },
    },
    async (request) =>
      toTemplateJson(await getTemplateRow(db, workspaceOf(request).workspaceId, request.params.id)),
  );
  app.post(
    '/api/v1/templates',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Create a template; every variable and filter is checked (400 with line and column)',
        body: Type.Object(
          {
            name: TemplateFields.name,
            channel: TemplateFields.channel,
            subject: Type.Optional(TemplateFields.subject),
            body: TemplateFields.body,
            objective: Type.Optional(TemplateFields.objective),
            marketing: Type.Optional(TemplateFields.marketing),
            whatsapp_template: Type.Optional(TemplateFields.whatsapp_template),
          },
          { additionalProperties: false },
        ),
        response: { 201: TemplateJson, ...errors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createTemplate(db, workspaceOf(request), request.body)),
  );
  app.patch(
    '/api/v1/templates/:id',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Change a template (checked as on create)',
        params: IdParams,
        body: Type.Partial(Type.Object(TemplateFields), { additionalProperties: false }),
        response: { 200: TemplateJson, ...errors },
      },
    },
    async (request) => updateTemplate(db, workspaceOf(request), request.params.id, request.body),
  );
  app.delete(
    '/api/v1/templates/:id',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Delete a template',
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await deleteTemplate(db, workspaceOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
  app.post(
    '/api/v1/templates/preview',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Render a saved template (template_id) or unsaved text (body) for a real client',
        body: Type.Object(
          {
            template_id: Type.Optional(Uuid),
            channel: Type.Optional(Channel),
            subject: Type.Optional(Type.String({ maxLength: SUBJECT_MAX })),
            body: Type.Optional(Type.String({ maxLength: TEMPLATE_BODY_MAX })),
            marketing: Type.Optional(Type.Boolean()),
            client_id: Uuid,
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            channel: Channel,
            subject: Nullable(Type.String()),
            html: Nullable(Type.String({ description: 'Email: the full message, CSS inlined' })),
            text: Type.String({ description: 'The text version (email) or the message (SMS, WhatsApp)' }),
            marketing: Type.Boolean(),
            locale: Type.String(),
            unsubscribe_url: Type.String(),
            preferences_url: Type.String(),
            sms: Nullable(
              Type.Object({
                encoding: Type.String({ description: 'GSM-7 or UCS-2' }),
                units: Type.Integer(),
                segments: Type.Integer(),
                remaining: Type.Integer(),
              }),
            ),
            whatsapp_template: Nullable(
              Type.Object({
                name: Type.Optional(Type.String()),
                language: Type.Optional(Type.String()),
                content_sid: Type.Optional(Type.String()),
                body_parameters: Type.Array(Type.String()),
                header_parameters: Type.Array(Type.String()),
                button_parameters: Type.Array(Type.String()),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const identity = request.identity.principal;
      const senderName = identity?.kind === 'user' ? identity.user.name || undefined : undefined;
      return previewTemplate(
        db,
        workspaceOf(request),
        renderer,
        request.body,
        expectedOrigin(deps.config, request),
        senderName,
      );
    },
  );
}
