import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.ts';
import type { SecretBox } from '../../platform/crypto.ts';
import type { Database } from '../../platform/db/db.ts';
import { expectedOrigin, workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { acceptFormBodies, type FormBody } from '../../platform/http/form-body.ts';
import { errors, IdParams, StringEnum, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { LOCALES, type Locale } from '../../platform/locale.ts';
import type { SystemMailer } from '../../platform/mail.ts';
import { getWorkspace } from '../workspaces/workspaces.service.ts';
import { confirmPage, formPage, messagePage } from './forms.page.ts';
import {
  confirmSubmission,
  createForm,
  deleteForm,
  FORM_CHANNELS,
  FORM_FIELDS,
  getForm,
  inspectConfirmation,
  listForms,
  publicForm,
  submitForm,
  updateForm,
} from './forms.service.ts';

const Field = Type.Object(
  { key: StringEnum(FORM_FIELDS), required: Type.Boolean() },
  { additionalProperties: false },
);
const ConsentIn = Type.Object(
  {
    channel: StringEnum(FORM_CHANNELS),
    text: Type.String({
      minLength: 1,
      maxLength: 1000,
      description: 'The checkbox wording, exactly as shown',
    }),
  },
  { additionalProperties: false },
);
const FormJson = Type.Object({
  id: Uuid,
  name: Type.String(),
  title: Type.String(),
  locale: Type.String(),
  fields: Type.Array(Field),
  consents: Type.Array(
    Type.Object({
      channel: StringEnum(FORM_CHANNELS),
      text: Type.String(),
      version: Type.String({ description: 'Derived from the wording; recorded with each consent' }),
    }),
  ),
  double_opt_in: Type.Boolean({ description: 'Email consent counts only after the confirmation link' }),
  active: Type.Boolean(),
  hosted_path: Type.String({ description: 'The public page; embed it in an iframe with ?embed=1' }),
  submissions: Type.Integer(),
  pending_confirmations: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
const FormFields = {
  name: Type.String({ minLength: 1, maxLength: 200 }),
  title: Type.String({ minLength: 1, maxLength: 200 }),
  locale: StringEnum(LOCALES),
  fields: Type.Array(Field, { maxItems: FORM_FIELDS.length }),
  consents: Type.Array(ConsentIn, { maxItems: FORM_CHANNELS.length }),
  double_opt_in: Type.Boolean(),
  active: Type.Boolean(),
};

function localeOf(request: FastifyRequest, fallback: string): Locale {
  const lang = (request.query as { lang?: string } | undefined)?.lang;
  if (lang && (LOCALES as readonly string[]).includes(lang)) return lang as Locale;
  return (LOCALES as readonly string[]).includes(fallback) ? (fallback as Locale) : 'en';
}

const embeddedOf = (request: FastifyRequest) =>
  (request.query as { embed?: string } | undefined)?.embed === '1';

function sendHtml(reply: FastifyReply, status: number, html: string, embeddable: boolean) {
  reply.status(status).header('cache-control', 'no-store').type('text/html; charset=utf-8');
  // The hosted page may sit in an iframe on the business's own site; nothing else here may.
  if (!embeddable) reply.header('x-frame-options', 'DENY');
  return reply.send(html);
}

export function registerFormRoutes(
  app: HttpApp,
  deps: { db: Database; config: Config; secrets: SecretBox; mailer: SystemMailer },
) {
  const { db, secrets, mailer } = deps;
  const tags = ['Signup forms'];
  app.get(
    '/api/v1/forms',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: "The workspace's signup forms, with submissions and pending confirmations",
        response: {
          200: Type.Object({
            forms: Type.Array(FormJson),
            mail_configured: Type.Boolean({
              description: 'false: double opt-in emails cannot be sent (SMTP_URL unset)',
            }),
          }),
          ...errors,
        },
      },
    },
    async (request) => ({
      forms: await listForms(db, workspaceOf(request).workspaceId),
      mail_configured: mailer.configured,
    }),
  );
  app.get(
    '/api/v1/forms/:id',
    {
      config: { access: { minRole: 'viewer' } },
      schema: { tags, summary: 'One signup form', params: IdParams, response: { 200: FormJson, ...errors } },
    },
    async (request) => getForm(db, workspaceOf(request).workspaceId, request.params.id),
  );
  app.post(
    '/api/v1/forms',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Create a signup form',
        body: Type.Object(
          {
            name: FormFields.name,
            title: Type.Optional(FormFields.title),
            locale: Type.Optional(FormFields.locale),
            fields: Type.Optional(FormFields.fields),
            consents: Type.Optional(FormFields.consents),
            double_opt_in: Type.Optional(FormFields.double_opt_in),
            active: Type.Optional(FormFields.active),
          },
          { additionalProperties: false },
        ),
        response: { 201: FormJson, ...errors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createForm(db, workspaceOf(request), request.body)),
  );
  app.patch(
    '/api/v1/forms/:id',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Change a signup form (a changed consent wording gets a new version)',
        params: IdParams,
        body: Type.Partial(Type.Object(FormFields), { additionalProperties: false }),
        response: { 200: FormJson, ...errors },
      },
    },
    async (request) => updateForm(db, workspaceOf(request), request.params.id, request.body),
  );
  app.delete(
    '/api/v1/forms/:id',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Delete a signup form',
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await deleteForm(db, workspaceOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.register(async (plugin) => {
    acceptFormBodies(plugin);
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    const FormParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

    scope.get('/f/:id', { schema: { hide: true, params: FormParams } }, async (request, reply) => {
      const form = await publicForm(db, request.params.id);
      const embedded = embeddedOf(request);
      if (!form)
        return sendHtml(reply, 404, messagePage(localeOf(request, 'en'), 'notFound', embedded), embedded);
      const workspace = await getWorkspace(db, form.workspaceId);
      return sendHtml(
        reply,
        200,
        formPage(form, localeOf(request, form.locale), { embedded, brandColor: workspace.brandColor }),
        true,
      );
    });

    scope.post('/f/:id', { schema: { hide: true, params: FormParams } }, async (request, reply) => {
      const form = await publicForm(db, request.params.id);
      const embedded = embeddedOf(request);
      const locale = localeOf(request, form?.locale ?? 'en');
      if (!form) return sendHtml(reply, 404, messagePage(locale, 'notFound', embedded), embedded);
      const agent = request.headers['user-agent'];
      const outcome = await submitForm(db, secrets, mailer, form, (request.body ?? {}) as FormBody, {
        ip: request.ip ?? null,
        userAgent: typeof agent === 'string' ? agent : null,
        baseUrl: expectedOrigin(deps.config, request),
      });
      if (outcome.kind === 'rate_limited')
        return sendHtml(reply, 429, messagePage(locale, 'tooMany', embedded), true);
      if (outcome.kind === 'invalid') {
        const workspace = await getWorkspace(db, form.workspaceId);
        return sendHtml(
          reply,
          400,
          formPage(form, locale, {
            embedded,
            brandColor: workspace.brandColor,
            values: outcome.values,
            problems: outcome.problems,
          }),
          true,
        );
      }
      return sendHtml(
        reply,
        200,
        messagePage(locale, outcome.confirmationSent ? 'checkInbox' : 'done', embedded),
        true,
      );
    });

    const ConfirmParams = Type.Object({ '*': Type.String({ maxLength: 2000 }) });
    const visitorOf = (request: FastifyRequest) => {
      const agent = request.headers['user-agent'];
      return { ip: request.ip ?? null, userAgent: typeof agent === 'string' ? agent : null };
    };
    // Opening the emailed link shows a button; only pressing it (POST) confirms.
    scope.get('/f/confirm/*', { schema: { hide: true, params: ConfirmParams } }, async (request, reply) => {
      const found = await inspectConfirmation(db, secrets, request.params['*']);
      if (!found) return sendHtml(reply, 404, messagePage(localeOf(request, 'en'), 'invalidLink'), false);
      const locale = localeOf(request, found.locale);
      if (!found.pending) return sendHtml(reply, 200, messagePage(locale, 'confirmed'), false);
      return sendHtml(
        reply,
        200,
        confirmPage(locale, found.workspaceName, request.url.split('?')[0]!),
        false,
      );
    });
    scope.post('/f/confirm/*', { schema: { hide: true, params: ConfirmParams } }, async (request, reply) => {
      const result = await confirmSubmission(db, secrets, request.params['*'], visitorOf(request));
      if (!result) return sendHtml(reply, 404, messagePage(localeOf(request, 'en'), 'invalidLink'), false);
      return sendHtml(reply, 200, messagePage(localeOf(request, result.locale), 'confirmed'), false);
    });
  });
}
