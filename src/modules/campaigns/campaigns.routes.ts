import { Type } from '@sinclair/typebox';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { errors, IdParams, Nullable, StringEnum, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { DELIVERY_STATUSES, SKIP_REASONS } from '../deliveries/deliveries.schema.ts';
import { Definition } from '../segments/segments.routes.ts';
import { AB_CRITERIA, chooseWinnerByHand, MAX_VARIANTS, REPLY_WINDOW_HOURS } from './campaigns.ab.ts';
import { WHATSAPP_CATEGORIES } from './campaigns.costs.ts';
import { CampaignProgressEvent, streamCampaignProgress } from './campaigns.events.ts';
import {
  changeCampaignState,
  type MessagePipeline,
  retryCampaign,
  sendCampaign,
  testCampaign,
} from './campaigns.send.ts';
import {
  CAMPAIGN_CHANNELS,
  CAMPAIGN_STATUSES,
  type CampaignDeps,
  campaignRecipients,
  campaignStats,
  createCampaign,
  deleteCampaign,
  duplicateCampaign,
  excludeClients,
  FREQUENCY_CAP_MAX,
  getCampaign,
  getCampaignRow,
  getCampaignSettings,
  includeClientAgain,
  listCampaigns,
  listExclusions,
  MAX_AUDIENCE_IDS,
  reviewCampaign,
  setCampaignSettings,
  updateCampaign,
} from './campaigns.service.ts';

const Channel = StringEnum(CAMPAIGN_CHANNELS);
const DeliveryStatus = StringEnum(DELIVERY_STATUSES);
const SkippedByReason = Type.Array(
  Type.Object({ reason: StringEnum(SKIP_REASONS), channel: Channel, count: Type.Integer() }),
);
const TemplateRef = Type.Object({ template_id: Uuid }, { additionalProperties: false });
const InlineContent = Type.Object(
  {
    subject: Type.Optional(Type.String({ maxLength: 300, description: 'Email only (required there)' })),
    body: Type.String({ minLength: 1, maxLength: 100_000, description: 'Liquid template text' }),
    whatsapp_template: Type.Optional(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 512 }),
          language: Type.String({ minLength: 2, maxLength: 15 }),
          parameters: Type.Optional(Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 20 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
const Content = Type.Union(
  [
    TemplateRef,
    InlineContent,
    Type.Object(
      {
        variants: Type.Array(Type.Union([TemplateRef, InlineContent]), {
          minItems: 2,
          maxItems: MAX_VARIANTS,
          description: 'A/B test: each variant a saved template or inline content (needs `ab_test`)',
        }),
      },
      { additionalProperties: false },
    ),
  ],
  {
    description:
      'A saved template (`template_id`), the content inline, or 2–4 `variants` of either for an A/B test',
  },
);
const AbTestInput = Nullable(
  Type.Object(
    {
      test_share_percent: Type.Integer({
        minimum: 2,
        maximum: 50,
        description:
          'Share (%) of the eligible recipients that receives the test, split between the variants',
      }),
      criterion: StringEnum(AB_CRITERIA, {
        description: `The rate that picks the winner: opened, clicked, or replied (inbound WhatsApp/SMS within ${REPLY_WINDOW_HOURS} h)`,
      }),
      wait_hours: Type.Integer({ minimum: 1, maximum: 168, description: 'Hours after the test starts' }),
    },
    { additionalProperties: false },
  ),
);
const AbTestJson = Nullable(
  Type.Object({
    test_share_percent: Type.Integer(),
    criterion: StringEnum(AB_CRITERIA),
    wait_hours: Type.Integer(),
    decide_at: Type.Optional(Nullable(Timestamp)),
    winner: Type.Optional(Nullable(Type.Integer({ description: 'Index in content.variants' }))),
    decided_at: Type.Optional(Nullable(Timestamp)),
    decided_by: Type.Optional(Nullable(StringEnum(['rate', 'hand'] as const))),
  }),
);
const AudienceSchema = Type.Union(
  [
    Type.Object({ segment_id: Uuid }, { additionalProperties: false }),
    Type.Object({ definition: Definition }, { additionalProperties: false }),
    Type.Object(
      { client_ids: Type.Array(Uuid, { minItems: 1, maxItems: MAX_AUDIENCE_IDS }) },
      { additionalProperties: false },
    ),
  ],
  { description: 'A saved segment, an ad-hoc condition tree, or a list of clients' },
);
const Fallbacks = Type.Array(Channel, {
  maxItems: 2,
  description: 'Channels tried in order when the main one is not possible for a client',
});

const AudienceSnapshotJson = Nullable(
  Type.Object(
    {
      kind: StringEnum(['segment', 'definition', 'client_ids'] as const),
      segment_id: Type.Optional(Uuid),
      segment_name: Type.Optional(Type.String({ description: "The segment's name then" })),
      segment_kind: Type.Optional(StringEnum(['dynamic', 'static'] as const)),
      definition: Type.Optional(Definition),
      count: Type.Integer({ description: 'Clients in the audience (the skipped ones included)' }),
    },
    {
      description:
        'Read-only. The audience as it was compiled when the recipients were fixed (set with `snapshot_at`, null before): a saved segment with its name and kind then and, when dynamic, its condition tree then (a later edit of the segment does not change it); an inline tree (`definition`); or a list of clients (`client_ids`). Not copied by duplicate.',
    },
  ),
);

const CampaignJson = Type.Object({
  id: Uuid,
  name: Type.String(),
  objective: Nullable(Type.String()),
  channel: Channel,
  channel_id: Nullable(Uuid),
  content: Content,
  audience: AudienceSchema,
  fallback_channels: Fallbacks,
  marketing: Type.Boolean(),
  ab_test: AbTestJson,
  status: StringEnum(CAMPAIGN_STATUSES, {
    description:
      'draft → scheduled → sending ⇄ paused → sent | cancelled | failed. `failed`: the campaign could not run (its segment archived, its conditions invalid, its channel or template deleted), see `status_reason`; a campaign whose messages failed one by one is `sent`, with its failures.',
  }),
  status_reason: Nullable(
    Type.String({
      description:
        "Why the campaign paused itself or failed, in English; the dashboard says it in the user's language",
    }),
  ),
  scheduled_at: Nullable(Timestamp),
  recipient_time_zone: Type.Boolean(),
  determine_recipients: StringEnum(['now', 'at_send'] as const),
  snapshot_at: Nullable(Timestamp),
  audience_count: Nullable(Type.Integer()),
  audience_snapshot: AudienceSnapshotJson,
  created_at: Timestamp,
  updated_at: Timestamp,
});

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Objective = Nullable(Type.String({ maxLength: 500 }));
const Marketing = Type.Boolean({
  description: 'Marketing messages (default) carry an unsubscribe link and count towards the frequency cap',
});
const ChannelId = Nullable(Uuid);

const Money = Type.Number({ minimum: 0, maximum: 1000 });
const PricesSchema = Type.Object(
  {
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217, e.g. EUR' }),
    email: Money,
    sms_segment: Money,
    whatsapp: Type.Object(
      Object.fromEntries(WHATSAPP_CATEGORIES.map((c) => [c, Money])) as Record<
        (typeof WHATSAPP_CATEGORIES)[number],
        typeof Money
      >,
      { additionalProperties: false, description: 'Per message, by WhatsApp pricing category' },
    ),
  },
  { additionalProperties: false, description: 'Price per email, per SMS segment, per WhatsApp message' },
);
const Cost = Type.Object({
  currency: Type.String(),
  total: Type.Number(),
  lines: Type.Array(
    Type.Object({
      channel: Channel,
      messages: Type.Integer(),
      segments_per_message: Nullable(Type.Integer()),
      units: Type.Integer(),
      unit_price: Type.Number(),
      whatsapp_category: Nullable(StringEnum(WHATSAPP_CATEGORIES)),
      amount: Type.Number(),
    }),
  ),
});

const Review = Type.Object({
  audience: Type.Integer({ description: 'Clients in the audience now' }),
  eligible: Type.Integer(),
  eligible_by_channel: Type.Record(Type.String(), Type.Integer()),
  skipped: Type.Integer(),
  skipped_by_reason: SkippedByReason,
  frequency_cap_7d: Nullable(Type.Integer()),
  cost_estimate: Nullable(Cost),
  evaluated_at: Timestamp,
});

const Settings = Type.Object({
  frequency_cap_7d: Nullable(
    Type.Integer({
      minimum: 1,
      maximum: FREQUENCY_CAP_MAX,
      description:
        'At most this many marketing messages per client in 7 days, all campaigns together; null = no cap',
    }),
  ),
  prices: Nullable(PricesSchema),
  quiet_hours: Nullable(
    Type.Object(
      {
        start: Type.Integer({ minimum: 0, maximum: 23, description: 'Hour (local) the quiet period starts' }),
        end: Type.Integer({
          minimum: 0,
          maximum: 23,
          description: 'Hour (local) it ends; before start: the next day',
        }),
      },
      {
        additionalProperties: false,
        description:
          "No SMS or WhatsApp between these hours in each recipient's time zone: held until the end, never dropped; email is not held. Default 21 to 9; null = none",
      },
    ),
  ),
});

const Stats = Type.Object({
  status: StringEnum(CAMPAIGN_STATUSES),
  status_reason: Nullable(Type.String()),
  counts: Type.Record(Type.String(), Type.Integer(), {
    description: 'Deliveries per status (every status present, 0 when none)',
  }),
  skipped_by_reason: SkippedByReason,
  sent_per_minute: Type.Array(Type.Object({ minute: Timestamp, count: Type.Integer() }), {
    description:
      'Messages accepted by the provider per minute (UTC), oldest first; minutes with none are absent',
  }),
  progress: Type.Object(
    { done: Type.Integer(), total: Type.Integer() },
    { description: 'Deliveries with an outcome (anything but queued, sending or held) over all deliveries' },
  ),
  funnel: Type.Object(
    {
      audience: Type.Integer(),
      eligible: Type.Integer(),
      sent: Type.Integer(),
      delivered: Type.Integer(),
      opened: Type.Integer({ description: 'Read (WhatsApp, SMS) or opened (email)' }),
      clicked: Type.Integer(),
      replied: Type.Integer({
        description: `SMS and WhatsApp recipients who sent an inbound message within ${REPLY_WINDOW_HOURS} h of theirs`,
      }),
    },
    {
      description: 'Each step counts the recipients that reached it (a click counts as opened and delivered)',
    },
  ),
  over_time: Type.Object({
    bucket: StringEnum(['minute', 'hour', 'day'] as const),
    points: Type.Array(Type.Object({ at: Timestamp, sent: Type.Integer(), delivered: Type.Integer() }), {
      description:
        'Sent by send time; delivered (or read/clicked) by the time the delivery last changed; buckets with none are absent',
    }),
  }),
  failures: Type.Array(
    Type.Object({
      status: StringEnum(['failed', 'unknown'] as const),
      reason: Type.String({ description: "The error's code, else its message" }),
      example: Nullable(Type.String()),
      count: Type.Integer(),
    }),
  ),
  ab_test: Nullable(
    Type.Object({
      test_share_percent: Type.Integer(),
      criterion: StringEnum(AB_CRITERIA),
      wait_hours: Type.Integer(),
      decide_at: Nullable(Timestamp),
      winner: Nullable(Type.Integer()),
      decided_at: Nullable(Timestamp),
      decided_by: Nullable(StringEnum(['rate', 'hand'] as const)),
      held: Type.Integer({ description: 'Recipients waiting for the winner' }),
      variants: Type.Array(
        Type.Object({
          variant: Type.Integer(),
          recipients: Type.Integer(),
          sent: Type.Integer(),
          delivered: Type.Integer(),
          opened: Type.Integer(),
          clicked: Type.Integer(),
          replied: Type.Integer(),
          rate: Type.Number({ description: "The criterion's count over the sent" }),
        }),
      ),
    }),
  ),
  cost_actual: Nullable(Cost),
});

const Recipient = Type.Object({
  id: Uuid,
  client_id: Uuid,
  client_name: Nullable(Type.String()),
  address: Nullable(Type.String({ description: 'As it was when the audience was fixed; null once erased' })),
  channel: Channel,
  status: DeliveryStatus,
  skip_reason: Nullable(StringEnum(SKIP_REASONS)),
  error: Nullable(Type.String()),
  sent_at: Nullable(Timestamp),
});

function actorUserId(ctx: ReturnType<typeof workspaceOf>) {
  return ctx.actor.type === 'user' ? ctx.actor.id : null;
}

export function registerCampaignRoutes(
  app: HttpApp,
  deps: { db: Database; pipeline: MessagePipeline } & CampaignDeps,
) {
  const { db } = deps;
  const tags = ['Campaigns'];

  app.get(
    '/api/v1/campaigns',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Campaigns, newest first',
        querystring: Type.Object({
          status: Type.Optional(StringEnum(CAMPAIGN_STATUSES)),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          cursor: Type.Optional(Type.String({ maxLength: 500 })),
        }),
        response: {
          200: Type.Object({ campaigns: Type.Array(CampaignJson), next_cursor: Nullable(Type.String()) }),
          ...errors,
        },
      },
    },
    async (request) => listCampaigns(db, workspaceOf(request), request.query),
  );

  app.post(
    '/api/v1/campaigns',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Create a draft campaign',
        description:
          'The audience is checked now (an unknown segment answers 404, an invalid tree 400 INVALID_SEGMENT with paths under /audience/definition, unknown client ids 400 naming their index) and evaluated again when the campaign is sent.',
        body: Type.Object(
          {
            name: Name,
            objective: Type.Optional(Objective),
            channel: Channel,
            channel_id: Type.Optional(ChannelId),
            content: Content,
            audience: AudienceSchema,
            fallback_channels: Type.Optional(Fallbacks),
            marketing: Type.Optional(Marketing),
            ab_test: Type.Optional(AbTestInput),
          },
          { additionalProperties: false },
        ),
        response: { 201: CampaignJson, ...errors },
      },
    },
    async (request, reply) => {
      const ctx = workspaceOf(request);
      return reply.status(201).send(await createCampaign(db, ctx, request.body, actorUserId(ctx)));
    },
  );

  app.get(
    '/api/v1/campaigns/:id',
    {
      config: { access: { minRole: 'viewer' } },
      schema: { tags, summary: 'One campaign', params: IdParams, response: { 200: CampaignJson, ...errors } },
    },
    async (request) => getCampaign(db, workspaceOf(request), request.params.id),
  );

  app.patch(
    '/api/v1/campaigns/:id',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Change a draft or scheduled campaign',
        description:
          'Also a `failed` campaign that never fixed its recipients (`snapshot_at` null: it failed before writing any), so its problem can be fixed and it can be sent again. Any other status answers 422 NOT_ALLOWED_NOW (duplicate the campaign instead).',
        params: IdParams,
        body: Type.Object(
          {
            name: Type.Optional(Name),
            objective: Type.Optional(Objective),
            channel: Type.Optional(Channel),
            channel_id: Type.Optional(ChannelId),
            content: Type.Optional(Content),
            audience: Type.Optional(AudienceSchema),
            fallback_channels: Type.Optional(Fallbacks),
            marketing: Type.Optional(Marketing),
            ab_test: Type.Optional(AbTestInput),
          },
          { additionalProperties: false },
        ),
        response: { 200: CampaignJson, ...errors },
      },
    },
    async (request) => updateCampaign(db, workspaceOf(request), request.params.id, request.body),
  );

  app.delete(
    '/api/v1/campaigns/:id',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Delete a draft',
        description: 'A campaign that was scheduled or sent stays for the record (422 NOT_ALLOWED_NOW).',
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await deleteCampaign(db, workspaceOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/v1/campaigns/:id/duplicate',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Copy a campaign as a new draft',
        params: IdParams,
        body: Type.Optional(Type.Object({ name: Type.Optional(Name) }, { additionalProperties: false })),
        response: { 201: CampaignJson, ...errors },
      },
    },
    async (request, reply) => {
      const ctx = workspaceOf(request);
      return reply
        .status(201)
        .send(await duplicateCampaign(db, ctx, request.params.id, request.body ?? {}, actorUserId(ctx)));
    },
  );

  app.get(
    '/api/v1/campaigns/:id/review',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Who would be messaged now, and why the others would not',
        description:
          'The audience evaluated now with the eligibility rules of the send (consent for the channel, suppression list, address present and valid, WhatsApp template approved in the list last synced from the account, frequency cap, one message per address, fallback channels in order), without writing anything. Skip reasons: ' +
          SKIP_REASONS.join(', ') +
          '.',
        params: IdParams,
        response: { 200: Review, ...errors },
      },
    },
    async (request) => reviewCampaign(db, workspaceOf(request), request.params.id, deps),
  );

  app.get(
    '/api/v1/campaigns/:id/stats',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'How the sending goes: counts per status, skip reasons, sends per minute, progress',
        description: 'Cheap enough to poll every 2 seconds while the campaign is sending.',
        params: IdParams,
        response: { 200: Stats, ...errors },
      },
    },
    async (request) => campaignStats(db, workspaceOf(request), request.params.id),
  );

  app.get(
    '/api/v1/campaigns/:id/events',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary:
          'Live progress as server-sent events: counts by status, rate and ETA, until the campaign ends',
        description:
          'A `progress` event (data: the JSON below) at once, then whenever something changed, at most once a second; the stream ends after the event of a sent, cancelled or failed campaign with nothing left in flight. Comment lines keep an idle stream open.',
        params: IdParams,
        response: {
          200: {
            description: 'text/event-stream of `progress` events; each `data` is a CampaignProgressEvent',
            content: { 'text/event-stream': { schema: CampaignProgressEvent } },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { workspaceId } = workspaceOf(request);
      const id = request.params.id;
      await getCampaignRow(db, workspaceId, id); // 404 before the stream starts
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let open = true;
      request.raw.on('close', () => {
        open = false;
      });
      await streamCampaignProgress(db, workspaceId, id, {
        write: (chunk) => raw.write(chunk),
        closed: () => !open,
      });
      raw.end();
    },
  );

  app.get(
    '/api/v1/campaigns/:id/recipients',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: "The campaign's recipients and what happened to each",
        description: '`q` matches the client name or the address (substring, case-insensitive).',
        params: IdParams,
        querystring: Type.Object({
          status: Type.Optional(DeliveryStatus),
          q: Type.Optional(Type.String({ maxLength: 200 })),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          cursor: Type.Optional(Type.String({ maxLength: 500 })),
        }),
        response: {
          200: Type.Object({ recipients: Type.Array(Recipient), next_cursor: Nullable(Type.String()) }),
          ...errors,
        },
      },
    },
    async (request) => campaignRecipients(db, workspaceOf(request), request.params.id, request.query),
  );

  app.post(
    '/api/v1/campaigns/:id/send',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Send now or schedule',
        description:
          "A draft, a scheduled campaign, or a `failed` one that never fixed its recipients (`snapshot_at` null) once its problem is fixed: the audience is checked first (404 for an archived segment, 400 INVALID_SEGMENT for conditions that no longer validate). A failed campaign that had fixed its recipients answers 422: duplicate it. Now, or at `at` (then `scheduled`). `recipient_time_zone: true` sends at `at`'s wall-clock time (in the workspace's zone) in each recipient's own zone (client, else location, else workspace). SMS and WhatsApp never go out during the workspace's quiet hours (`GET /api/v1/campaign-settings`, 21:00 to 09:00 by default) in each recipient's zone: they wait, never dropped. `determine_recipients`: `now` (default) fixes the audience when the sending starts from this request; `at_send` when the scheduled time comes. The audience is written into the deliveries ledger by a background job (one row per client, unique), so a double click or two tabs send once: the second request answers 422 NOT_ALLOWED_NOW.",
        params: IdParams,
        body: Type.Object(
          {
            at: Type.Optional(Timestamp),
            recipient_time_zone: Type.Optional(Type.Boolean()),
            determine_recipients: Type.Optional(StringEnum(['now', 'at_send'] as const)),
          },
          { additionalProperties: false },
        ),
        response: { 200: CampaignJson, ...errors },
      },
    },
    async (request) => sendCampaign(db, workspaceOf(request), request.params.id, request.body),
  );

  app.post(
    '/api/v1/campaigns/:id/retry',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Send again the deliveries that failed or whose outcome is unknown',
        description:
          'Only the statuses you pick go back to the queue (a sending, paused or sent campaign; a failed one has nothing to retry: 422). An `unknown` delivery may already have reached the client (the provider took the request but its answer was lost): retrying it is your decision, the engine never does it on its own.',
        params: IdParams,
        body: Type.Object(
          {
            statuses: Type.Array(StringEnum(['failed', 'unknown'] as const), {
              minItems: 1,
              maxItems: 2,
              uniqueItems: true,
            }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ campaign: CampaignJson, requeued: Type.Integer() }), ...errors },
      },
    },
    async (request) => retryCampaign(db, workspaceOf(request), request.params.id, request.body.statuses),
  );

  app.post(
    '/api/v1/campaigns/:id/test',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Send one test message to an address you give',
        description:
          "The campaign's content rendered for a real client of yours (`client_id`), through the campaign's channel, to `to` (an email address or a phone in E.164). Marked as a test: outside the ledger, the stats and the frequency cap.",
        params: IdParams,
        body: Type.Object(
          {
            to: Type.String({ minLength: 3, maxLength: 320 }),
            client_id: Uuid,
            variant: Type.Optional(
              Type.Integer({ minimum: 0, maximum: MAX_VARIANTS - 1, description: 'A/B variant (default 0)' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            status: StringEnum(['sent', 'failed', 'unknown'] as const),
            provider_message_id: Type.Optional(Type.String()),
            error: Type.Optional(Type.String()),
          }),
          ...errors,
        },
      },
    },
    async (request) => testCampaign(db, workspaceOf(request), request.params.id, request.body, deps.pipeline),
  );

  for (const action of ['pause', 'resume', 'cancel'] as const)
    app.post(
      `/api/v1/campaigns/:id/${action}`,
      {
        config: { access: { minRole: 'marketer' } },
        schema: {
          tags,
          summary: {
            pause: 'Pause a sending campaign (no new message leaves; those in flight finish)',
            resume: 'Resume a paused campaign',
            cancel: 'Cancel: what is still queued is never sent (kept as cancelled)',
          }[action],
          params: IdParams,
          response: { 200: CampaignJson, ...errors },
        },
      },
      async (request) => changeCampaignState(db, workspaceOf(request), request.params.id, action),
    );

  app.post(
    '/api/v1/campaigns/:id/ab-test/winner',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: "Choose the A/B test's winner by hand and send it to the held recipients",
        description:
          'Once the audience is fixed, before (or instead of) the automatic choice after `wait_hours`. 422 NOT_ALLOWED_NOW when the campaign is no A/B test, not started, or already decided.',
        params: IdParams,
        body: Type.Object(
          {
            variant: Type.Integer({
              minimum: 0,
              maximum: MAX_VARIANTS - 1,
              description: 'Index in content.variants',
            }),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ campaign: CampaignJson, released: Type.Integer() }), ...errors },
      },
    },
    async (request) => chooseWinnerByHand(db, workspaceOf(request), request.params.id, request.body.variant),
  );

  const Exclusions = Type.Object({
    exclusions: Type.Array(
      Type.Object({
        client_id: Uuid,
        client_name: Nullable(Type.String()),
        email: Nullable(Type.String()),
        phone: Nullable(Type.String()),
        created_at: Timestamp,
      }),
    ),
  });

  app.get(
    '/api/v1/campaigns/:id/exclusions',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Clients excluded by hand from the audience',
        params: IdParams,
        response: { 200: Exclusions, ...errors },
      },
    },
    async (request) => listExclusions(db, workspaceOf(request), request.params.id),
  );

  app.post(
    '/api/v1/campaigns/:id/exclusions',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Exclude clients from a draft or scheduled campaign',
        description:
          'They are skipped with the reason `excluded` whatever the audience says. When the recipients of a scheduled campaign are already fixed, their queued deliveries are skipped now. Unknown client ids answer 400 naming their index.',
        params: IdParams,
        body: Type.Object(
          { client_ids: Type.Array(Uuid, { minItems: 1, maxItems: 1000 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ added: Type.Integer(), ...Exclusions.properties }), ...errors },
      },
    },
    async (request) => {
      const ctx = workspaceOf(request);
      return excludeClients(db, ctx, request.params.id, request.body.client_ids, actorUserId(ctx));
    },
  );

  app.delete(
    '/api/v1/campaigns/:id/exclusions/:client_id',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Include an excluded client again (before the audience is fixed)',
        params: Type.Object({ id: Uuid, client_id: Uuid }),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await includeClientAgain(db, workspaceOf(request), request.params.id, request.params.client_id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/campaign-settings',
    {
      config: { access: { minRole: 'viewer' } },
      schema: { tags, summary: "The workspace's sending rules", response: { 200: Settings, ...errors } },
    },
    async (request) => getCampaignSettings(db, workspaceOf(request)),
  );

  app.put(
    '/api/v1/campaign-settings',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: "Change the workspace's sending rules",
        description:
          'Only the fields given change; `prices: null` removes the prices, `quiet_hours: null` lets SMS and WhatsApp go at any hour.',
        body: Type.Object(
          {
            frequency_cap_7d: Type.Optional(Settings.properties.frequency_cap_7d),
            prices: Type.Optional(Nullable(PricesSchema)),
            quiet_hours: Type.Optional(Settings.properties.quiet_hours),
          },
          { additionalProperties: false },
        ),
        response: { 200: Settings, ...errors },
      },
    },
    async (request) => setCampaignSettings(db, workspaceOf(request), request.body),
  );
}
