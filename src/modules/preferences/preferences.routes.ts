import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SecretBox } from '../../platform/crypto.ts';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { acceptFormBodies, type FormBody } from '../../platform/http/form-body.ts';
import { errors, IdParams, Nullable, StringEnum, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { LOCALES, type Locale } from '../../platform/locale.ts';
import { notFoundPage, oneClickText, type PageNotice, preferencePage } from './preferences.page.ts';
import {
  applyPageAction,
  type LinkHolder,
  listPrivacyRequests,
  oneClickUnsubscribe,
  type PageAction,
  PRIVACY_KINDS,
  PRIVACY_STATUSES,
  resolveLink,
  resolvePrivacyRequest,
} from './preferences.service.ts';

function requestedLocale(request: FastifyRequest): Locale | null {
  const lang = (request.query as { lang?: string } | undefined)?.lang;
  if (lang && (LOCALES as readonly string[]).includes(lang)) return lang as Locale;
  return null;
}

function browserLocale(request: FastifyRequest): Locale {
  const header = String(request.headers['accept-language'] ?? '').toLowerCase();
  for (const part of header.split(',')) {
    const code = part.trim().slice(0, 2);
    if ((LOCALES as readonly string[]).includes(code)) return code as Locale;
  }
  return 'en';
}

function sendPage(reply: FastifyReply, status: number, html: string) {
  return reply
    .status(status)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY')
    .type('text/html; charset=utf-8')
    .send(html);
}

function visitorOf(request: FastifyRequest) {
  const agent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof agent === 'string' ? agent : null };
}

// Tokens are longer than Fastify's 100-character parameter limit, so the routes take the rest of the path.
const TokenParams = Type.Object({ '*': Type.String({ maxLength: 2000 }) });
const PREFERENCES_SUFFIX = '/preferences';
const tokenOf = (request: FastifyRequest) => (request.params as { '*': string })['*'];

export function registerPreferenceRoutes(
  app: HttpApp,
  deps: { db: Database; secrets: SecretBox; mailConfigured: boolean },
) {
  const { db, secrets } = deps;

  const renderPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    holder: LinkHolder,
    notice: PageNotice | null,
  ) =>
    sendPage(
      reply,
      200,
      preferencePage({
        locale: requestedLocale(request) ?? holder.locale,
        workspaceName: holder.workspace.name,
        logoUrl: holder.workspace.logoUrl,
        brandColor: holder.workspace.brandColor,
        consent: holder.consent,
        action: `/u/${tokenOf(request).replace(/\/preferences$/, '')}${PREFERENCES_SUFFIX}${requestedLocale(request) ? `?lang=${requestedLocale(request)}` : ''}`,
        notice,
      }),
    );

  app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();
    acceptFormBodies(plugin);

    scope.get('/u/*', { schema: { hide: true, params: TokenParams } }, async (request, reply) => {
      // Looking never changes anything: mail scanners open every link.
      const holder = await resolveLink(db, secrets, tokenOf(request));
      if (!holder)
        return sendPage(reply, 404, notFoundPage(requestedLocale(request) ?? browserLocale(request)));
      return renderPage(request, reply, holder, null);
    });

    const preferencesAction = async (request: FastifyRequest, reply: FastifyReply, token: string) => {
      const holder = await resolveLink(db, secrets, token);
      if (!holder)
        return sendPage(reply, 404, notFoundPage(requestedLocale(request) ?? browserLocale(request)));
      const form = (request.body ?? {}) as FormBody;
      let action: PageAction;
      if (form.action === 'unsubscribe_all') action = { kind: 'unsubscribe_all' };
      else if (form.action === 'export') action = { kind: 'request', request: 'export' };
      else if (form.action === 'erase') action = { kind: 'request', request: 'erasure' };
      else
        action = {
          kind: 'save',
          channels: { email: form.email === 'on', sms: form.sms === 'on', whatsapp: form.whatsapp === 'on' },
        };
      const notice = await applyPageAction(db, holder, action, visitorOf(request), {
        mailConfigured: deps.mailConfigured,
      });
      const fresh = await resolveLink(db, secrets, token);
      return renderPage(request, reply, fresh ?? holder, notice);
    };

    // RFC 8058: `List-Unsubscribe=One-Click`, no cookie, no login, no CSRF token; 200, never a redirect.
    // The page's own forms post to /u/{token}/preferences.
    scope.post('/u/*', { schema: { hide: true, params: TokenParams } }, async (request, reply) => {
      const path = tokenOf(request);
      if (path.endsWith(PREFERENCES_SUFFIX))
        return preferencesAction(request, reply, path.slice(0, -PREFERENCES_SUFFIX.length));
      const form = (request.body ?? {}) as FormBody;
      const text = (status: number, body: string) =>
        reply.status(status).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(body);
      if (!(await resolveLink(db, secrets, path))) return text(404, 'Not found');
      if (form['List-Unsubscribe'] !== 'One-Click')
        return text(400, 'Expected the body List-Unsubscribe=One-Click (RFC 8058)');
      const result = await oneClickUnsubscribe(db, secrets, path, visitorOf(request));
      if (!result) return text(404, 'Not found');
      return text(200, oneClickText(result.holder.locale));
    });
  });

  const RequestJson = Type.Object({
    id: Uuid,
    client_id: Uuid,
    kind: StringEnum(PRIVACY_KINDS, { description: 'export (a copy of their data) or erasure' }),
    status: StringEnum(PRIVACY_STATUSES),
    source: Type.String(),
    requested_at: Timestamp,
    due_at: Timestamp,
    overdue: Type.Boolean(),
    resolved_at: Nullable(Timestamp),
    resolved_by: Nullable(Type.String()),
  });
  const tags = ['Privacy requests'];
  app.get(
    '/api/v1/privacy-requests',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: "Clients' requests for a copy or erasure of their data, nearest legal deadline first",
        querystring: Type.Object({ status: Type.Optional(StringEnum(PRIVACY_STATUSES)) }),
        response: { 200: Type.Object({ requests: Type.Array(RequestJson) }), ...errors },
      },
    },
    async (request) => ({
      requests: await listPrivacyRequests(db, workspaceOf(request).workspaceId, request.query.status),
    }),
  );
  app.patch(
    '/api/v1/privacy-requests/:id',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Mark a request done (or rejected, or open again)',
        params: IdParams,
        body: Type.Object({ status: StringEnum(PRIVACY_STATUSES) }, { additionalProperties: false }),
        response: { 200: RequestJson, ...errors },
      },
    },
    async (request) =>
      resolvePrivacyRequest(db, workspaceOf(request), request.params.id, request.body.status),
  );
}
