import { Type } from '@sinclair/typebox';
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
import {
  CHANNELS,
  CONSENT_SOURCES,
  changeConsent,
  EVIDENCE_MAX,
  getConsent,
  WORDING_VERSION_MAX,
} from './consent.service.ts';
import {
  checkSuppressed,
  listSuppressions,
  SUPPRESSION_KINDS,
  type SuppressionList,
} from './suppressions.service.ts';

const Channel = StringEnum(CHANNELS);
const Source = StringEnum(CONSENT_SOURCES, { description: 'Where the grant or withdrawal came from' });

const ConsentState = Type.Object(
  { email: Type.Boolean(), sms: Type.Boolean(), whatsapp: Type.Boolean(), push: Type.Boolean() },
  { description: 'Current state per channel; never granted = false' },
);

const ConsentEvent = Type.Object({
  id: Uuid,
  channel: Channel,
  granted: Type.Boolean(),
  source: Source,
  actor: Type.Object({ type: Type.String(), id: Nullable(Type.String()), label: Type.String() }),
  evidence: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  user_agent: Nullable(Type.String()),
  wording_version: Nullable(Type.String()),
  occurred_at: Timestamp,
});

const ConsentJson = Type.Object({
  consent: ConsentState,
  history: Type.Array(ConsentEvent, { description: 'Every grant and withdrawal, newest first' }),
});

export function registerConsentRoutes(app: HttpApp, deps: { db: Database; suppressions: SuppressionList }) {
  const { db } = deps;
  const tags = ['Consent'];
  app.get(
    '/api/v1/clients/:id/consent',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: "A client's consent per channel and its full history",
        params: IdParams,
        response: { 200: ConsentJson, ...errors },
      },
    },
    async (request) => getConsent(db, workspaceOf(request).workspaceId, request.params.id),
  );
  app.patch(
    '/api/v1/clients/:id/consent',
    {
      config: { access: { minRole: 'agent' } },
      schema: {
        tags,
        summary: 'Grant or withdraw consent',
        description:
          'One history entry per channel whose state really changes, with the source, the evidence, the ' +
          "request's IP and user agent and the wording version. Withdrawing is the same call with false.",
        params: IdParams,
        body: Type.Object(
          {
            changes: Type.Partial(
              Type.Object({
                email: Type.Boolean(),
                sms: Type.Boolean(),
                whatsapp: Type.Boolean(),
                push: Type.Boolean(),
              }),
              {
                additionalProperties: false,
                description: 'channel → granted (true) or withdrawn (false)',
                examples: [{ email: true, sms: false }],
              },
            ),
            source: Source,
            evidence: Type.Optional(Nullable(Type.String({ maxLength: EVIDENCE_MAX }))),
            wording_version: Type.Optional(Nullable(Type.String({ maxLength: WORDING_VERSION_MAX }))),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Composite([
            ConsentJson,
            Type.Object({
              changed: Type.Array(Type.Object({ channel: Channel, granted: Type.Boolean() }), {
                description: 'What this call changed (empty when nothing did)',
              }),
            }),
          ]),
          ...errors,
        },
      },
    },
    async (request) => {
      const userAgent = request.headers['user-agent'];
      return changeConsent(db, workspaceOf(request), request.params.id, request.body, {
        userAgent: typeof userAgent === 'string' ? userAgent : null,
      });
    },
  );

  const Kind = StringEnum(SUPPRESSION_KINDS);
  app.get(
    '/api/v1/suppressions',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'The suppression list (addresses are stored as keyed hashes and never shown)',
        querystring: Type.Object({
          ...PageQuery,
          kind: Type.Optional(Kind),
          reason: Type.Optional(Type.String({ maxLength: 100 })),
        }),
        response: {
          200: Type.Object({
            suppressions: Type.Array(
              Type.Object({ id: Uuid, kind: Kind, reason: Type.String(), created_at: Timestamp }),
            ),
            next_cursor: Nullable(Type.String()),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { kind, reason, cursor, limit } = request.query;
      return listSuppressions(db, workspaceOf(request).workspaceId, { kind, reason }, { cursor, limit });
    },
  );
  app.post(
    '/api/v1/suppressions/check',
    {
      config: { access: { minRole: 'agent' } },
      schema: {
        tags,
        summary: 'Whether an email or phone is on the suppression list',
        body: Type.Object(
          {
            email: Type.Optional(Type.String({ maxLength: 320 })),
            phone: Type.Optional(Type.String({ maxLength: 50 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ suppressed: Type.Boolean() }), ...errors },
      },
    },
    async (request) => checkSuppressed(db, deps.suppressions, workspaceOf(request).workspaceId, request.body),
  );
}
