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
import { type ChannelService, describeProviders, PROVIDER_IDS } from './channels.service.ts';

const Kind = StringEnum(['email', 'sms', 'whatsapp'] as const);
const Provider = StringEnum(PROVIDER_IDS, { description: PROVIDER_IDS.join(', ') });
const Settings = Type.Record(Type.String(), Type.Unknown(), {
  description: "The provider's settings (GET /channels/providers lists them); secrets come back masked",
});

const ChannelJson = Type.Object({
  id: Uuid,
  provider: Provider,
  name: Type.String(),
  kinds: Type.Array(Kind),
  settings: Settings,
  secrets_set: Type.Array(Type.String(), { description: 'Secret settings that have a value (shown masked)' }),
  rate_per_second: Type.Integer(),
  daily_cap: Nullable(Type.Integer()),
  is_default: Type.Boolean(),
  health: Type.Object({
    last_test_at: Nullable(Timestamp),
    last_test_ok: Nullable(Type.Boolean()),
    last_test_error: Nullable(Type.String()),
    sent_24h: Type.Integer(),
    failed_24h: Type.Integer(),
  }),
  used_by: Type.Array(
    Type.Object({
      type: Type.Literal('campaign'),
      id: Uuid,
      name: Type.String(),
      status: Type.String({ description: 'scheduled, sending or paused' }),
    }),
    {
      description:
        'Campaigns that will still send through this channel; while there are any, DELETE answers 409 naming them',
    },
  ),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const ChannelFields = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  settings: Settings,
  rate_per_second: Type.Integer({ minimum: 1, maximum: 10000, description: 'Messages per second' }),
  daily_cap: Nullable(Type.Integer({ minimum: 1, description: 'Messages per UTC day; null = no cap' })),
  is_default: Type.Boolean(),
};

const MessageJson = Type.Object({
  id: Uuid,
  channel_id: Uuid,
  provider: Type.String(),
  kind: Kind,
  to: Type.String(),
  provider_message_id: Nullable(Type.String()),
  client_id: Nullable(Uuid),
  campaign_id: Nullable(Uuid),
  delivery_id: Nullable(Uuid),
  marketing: Type.Boolean(),
  test: Type.Boolean(),
  status: Type.String(),
  status_history: Type.Array(
    Type.Object({
      status: Type.String(),
      at: Timestamp,
      code: Type.Optional(Nullable(Type.String())),
      message: Type.Optional(Nullable(Type.String())),
    }),
  ),
  error: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
  subject: Nullable(Type.String()),
  html: Nullable(Type.String()),
  text: Nullable(Type.String()),
  headers: Type.Record(Type.String(), Type.String(), {
    description: 'List-Unsubscribe, List-Id… of an email',
  }),
  whatsapp_template: Nullable(Type.Record(Type.String(), Type.Unknown())),
  sms: Nullable(
    Type.Object({
      encoding: StringEnum(['GSM-7', 'UCS-2'] as const),
      segments: Type.Integer(),
      units: Type.Integer(),
    }),
  ),
  created_at: Timestamp,
});

const OutboxMessageJson = Type.Object({
  ...MessageJson.properties,
  html_preview: Nullable(
    Type.String({
      description:
        'The email as a person should look at it: `html` without the open pixel, each tracked link pointing at its destination, so viewing it does not record an open or a click',
    }),
  ),
});

const TemplateJson = Type.Object({
  id: Uuid,
  name: Type.String(),
  language: Type.String(),
  status: Type.String(),
  category: Nullable(Type.String()),
  components: Type.Array(Type.Unknown()),
  synced_at: Timestamp,
});

export function registerChannelRoutes(app: HttpApp, deps: { db: Database; channels: ChannelService }) {
  const { db, channels } = deps;
  const tags = ['Channels'];
  app.get(
    '/api/v1/channels/providers',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Providers you can add, their settings and documented default limits',
        response: {
          200: Type.Object({
            providers: Type.Array(
              Type.Object({
                provider: Provider,
                label: Type.String(),
                kinds: Type.Array(Kind),
                fields: Type.Array(
                  Type.Object({
                    name: Type.String(),
                    type: Type.String(),
                    secret: Type.Boolean(),
                    required: Type.Boolean(),
                    default: Type.Unknown(),
                    description: Type.String(),
                  }),
                ),
                limits: Type.Object({
                  rate_per_second: Type.Integer(),
                  daily_cap: Nullable(Type.Integer()),
                  source: Type.String(),
                }),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async () => ({ providers: describeProviders() }),
  );
  app.get(
    '/api/v1/channels',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: "The workspace's channels (the Outbox always among them), secrets masked, with health",
        response: { 200: Type.Object({ channels: Type.Array(ChannelJson) }), ...errors },
      },
    },
    async (request) => channels.listChannels(db, workspaceOf(request).workspaceId),
  );
  app.post(
    '/api/v1/channels',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Add a channel; secrets are encrypted at rest and never returned',
        body: Type.Object(
          {
            provider: Provider,
            name: Type.Optional(ChannelFields.name),
            settings: Type.Optional(ChannelFields.settings),
            rate_per_second: Type.Optional(ChannelFields.rate_per_second),
            daily_cap: Type.Optional(ChannelFields.daily_cap),
            is_default: Type.Optional(ChannelFields.is_default),
          },
          { additionalProperties: false },
        ),
        response: { 201: ChannelJson, ...errors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await channels.createChannel(db, workspaceOf(request), request.body)),
  );
  app.get(
    '/api/v1/channels/:id',
    {
      config: { access: { minRole: 'viewer' } },
      schema: { tags, summary: 'One channel', params: IdParams, response: { 200: ChannelJson, ...errors } },
    },
    async (request) => channels.getChannel(db, workspaceOf(request).workspaceId, request.params.id),
  );
  app.patch(
    '/api/v1/channels/:id',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary:
          'Change a channel: settings merge; an omitted or masked secret keeps its value, null clears it',
        params: IdParams,
        body: Type.Partial(Type.Object(ChannelFields), { additionalProperties: false }),
        response: { 200: ChannelJson, ...errors },
      },
    },
    async (request) => channels.updateChannel(db, workspaceOf(request), request.params.id, request.body),
  );
  app.delete(
    '/api/v1/channels/:id',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Delete a channel (not the Outbox)',
        description:
          'Its messages keep their history. 409 CONFLICT while campaigns will still send through it (scheduled, sending or paused; listed in `used_by`): cancel them or change their channel first.',
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await channels.deleteChannel(db, workspaceOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
  app.post(
    '/api/v1/channels/:id/test',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Send a test message to an address or number you give; the result is the channel health',
        params: IdParams,
        body: Type.Object(
          {
            to: Type.String({ minLength: 3, maxLength: 320, description: 'Email address or E.164 phone' }),
            kind: Type.Optional(Kind),
            text: Type.Optional(Type.String({ maxLength: 1600 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            status: StringEnum(['sent', 'failed', 'unknown'] as const),
            provider_message_id: Nullable(Type.String()),
            error: Nullable(
              Type.Object({ code: Type.String(), message: Type.String(), retryable: Type.Boolean() }),
            ),
            message_id: Nullable(Uuid),
          }),
          ...errors,
        },
      },
    },
    async (request) => channels.testChannel(db, workspaceOf(request), request.params.id, request.body),
  );
  app.get(
    '/api/v1/channels/:id/whatsapp-templates',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'WhatsApp templates synced from the business account (approved only unless all=true)',
        params: IdParams,
        querystring: Type.Object({ all: Type.Optional(Type.Boolean()) }),
        response: { 200: Type.Object({ templates: Type.Array(TemplateJson) }), ...errors },
      },
    },
    async (request) =>
      channels.listWhatsappTemplates(
        db,
        workspaceOf(request).workspaceId,
        request.params.id,
        request.query.all ?? false,
      ),
  );
  app.post(
    '/api/v1/channels/:id/whatsapp-templates/sync',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Sync the templates of the WhatsApp Business account; answers the approved ones',
        params: IdParams,
        response: { 200: Type.Object({ templates: Type.Array(TemplateJson) }), ...errors },
      },
    },
    async (request) => channels.syncWhatsappTemplates(db, workspaceOf(request), request.params.id),
  );
  app.get(
    '/api/v1/outbox',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags: ['Outbox'],
        summary: 'Messages the Outbox stored instead of sending, newest first, with content and headers',
        querystring: Type.Object({
          ...PageQuery,
          campaign_id: Type.Optional(Uuid),
          client_id: Type.Optional(Uuid),
        }),
        response: {
          200: Type.Object({ messages: Type.Array(OutboxMessageJson), next_cursor: Nullable(Type.String()) }),
          ...errors,
        },
      },
    },
    async (request) => {
      const q = request.query;
      return channels.listOutbox(db, workspaceOf(request).workspaceId, {
        campaignId: q.campaign_id,
        clientId: q.client_id,
        cursor: q.cursor,
        limit: q.limit,
      });
    },
  );
}
