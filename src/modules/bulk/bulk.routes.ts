import { type TObject, type TProperties, Type } from '@sinclair/typebox';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { errors, IdParams, Nullable, StringEnum, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { BULK_SETTABLE } from '../clients/clients.bulk-actions.ts';
import { CLIENT_STATUSES } from '../clients/clients.list.ts';
import { DISCOUNT_TYPES } from '../coupons/coupons.service.ts';
import { EXPORT_FORMATS } from '../exports/exports.service.ts';
import { Definition } from '../segments/segments.routes.ts';
import { MAX_SELECTED_IDS } from './bulk.selection.ts';
import {
  BULK_ACTIONS,
  BULK_MIN_ROLE,
  type BulkAction,
  type BulkDeps,
  cancelBulkAction,
  getBulkAction,
  JOB_THRESHOLD,
  listBulkActions,
  previewSelection,
  startBulkAction,
} from './bulk.service.ts';

export const SelectionSchema = Type.Object(
  {
    client_ids: Type.Optional(
      Type.Array(Uuid, { maxItems: MAX_SELECTED_IDS, description: 'The rows ticked in the client list' }),
    ),
    segment_id: Type.Optional(Uuid),
    definition: Type.Optional(Definition),
    query: Type.Optional(
      Type.Object(
        {
          q: Type.Optional(Type.String({ maxLength: 200 })),
          filter: Type.Optional(
            Type.String({
              maxLength: 20_000,
              description: 'One-line segment query: tag:vip city:Madrid ltv>500',
            }),
          ),
          tag: Type.Optional(Type.String()),
          label: Type.Optional(Type.String()),
          location_id: Type.Optional(Type.String()),
          consent: Type.Optional(Type.String()),
          created_from: Type.Optional(Type.String()),
          created_to: Type.Optional(Type.String()),
          status: Type.Optional(
            StringEnum(CLIENT_STATUSES, {
              description: 'active (default), archived or all, as the client list',
            }),
          ),
        },
        { additionalProperties: false, description: 'The client list search and filters ("all N matching")' },
      ),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Exactly one of client_ids, segment_id, definition, query; re-evaluated when the action runs',
  },
);

const SendParams = {
  channel: StringEnum(['email', 'sms', 'whatsapp'] as const),
  template_id: Type.Optional(Uuid),
  subject: Type.Optional(Type.String({ maxLength: 300 })),
  body: Type.Optional(Type.String({ maxLength: 100_000 })),
  name: Type.Optional(Type.String({ maxLength: 200 })),
  at: Type.Optional(Type.String({ format: 'date-time', description: 'Schedule; absent = now' })),
  recipient_time_zone: Type.Optional(Type.Boolean()),
  channel_id: Type.Optional(Uuid),
};

const PARAMS: Record<BulkAction, TProperties> = {
  add_tags: { tags: Type.Array(Type.String(), { minItems: 1, maxItems: 20 }) },
  remove_tags: { tags: Type.Array(Type.String(), { minItems: 1, maxItems: 20 }) },
  set_label: { label: Nullable(Type.String()) },
  set_field: {
    field: StringEnum(Object.keys(BULK_SETTABLE) as (keyof typeof BULK_SETTABLE)[]),
    value: Nullable(Type.String()),
  },
  set_custom_field: {
    key: Type.String(),
    value: Type.Unknown({ description: "The field's own type; null clears" }),
  },
  assign_manager: { user_id: Nullable(Uuid) },
  send: SendParams,
  export: {
    format: StringEnum(EXPORT_FORMATS),
    fields: Type.Optional(Type.Array(Type.String(), { maxItems: 200 })),
    csv_delimiter: Type.Optional(StringEnum([',', ';'] as const)),
    bom: Type.Optional(Type.Boolean()),
  },
  delete: {
    confirm_count: Type.Integer({
      description: 'The number of clients the selection matches, typed by the person',
    }),
  },
  archive: {
    confirm_count: Type.Integer({
      description: 'The number of clients the selection matches, typed by the person',
    }),
  },
  unarchive: {
    confirm_count: Type.Integer({
      description:
        'The number of archived clients the selection matches, typed by the person. The selection is client_ids or query (the list with status archived); ticked ids are read among archived clients',
    }),
  },
  coupons: {
    discount_type: StringEnum(DISCOUNT_TYPES),
    discount_value: Type.Number(),
    currency: Type.Optional(Type.String({ description: 'ISO 4217, for a fixed discount' })),
    valid_days: Type.Optional(Type.Integer()),
    valid_until: Type.Optional(Type.String({ description: 'YYYY-MM-DD (the whole day) or a date-time' })),
    usage_limit: Type.Optional(Type.Integer({ default: 1 })),
    reason: Type.Optional(Type.String()),
    prefix: Type.Optional(Type.String({ description: 'e.g. VIP → VIP-7K3QA-9MZXP' })),
    notify: Type.Optional(
      Type.Object(
        {
          channel: SendParams.channel,
          template_id: Uuid,
          name: SendParams.name,
          at: SendParams.at,
        },
        {
          additionalProperties: false,
          description: 'Send each client their code as a campaign ({{ coupon.code }})',
        },
      ),
    ),
  },
};

const SUMMARIES: Record<BulkAction, string> = {
  add_tags: 'Add tags to the selected clients',
  remove_tags: 'Remove tags from the selected clients',
  set_label: 'Set the label of the selected clients',
  set_field: 'Set a field of the selected clients',
  set_custom_field: 'Set a custom field of the selected clients',
  assign_manager: 'Assign an account manager to the selected clients',
  send: 'Send a campaign (email, SMS, WhatsApp) to the selected clients',
  export: 'Export the selected clients',
  delete: 'Delete the selected clients (type the count to confirm)',
  archive: 'Archive the selected clients (type the count to confirm)',
  unarchive: 'Restore the selected archived clients (type the count to confirm)',
  coupons: 'Issue one personal discount coupon per selected client',
};

export const BulkJson = Type.Object({
  id: Uuid,
  action: StringEnum(BULK_ACTIONS),
  status: StringEnum(['queued', 'running', 'completed', 'failed', 'cancelled'] as const),
  selection: Type.Record(Type.String(), Type.Unknown()),
  params: Type.Record(Type.String(), Type.Unknown()),
  total: Type.Integer({ description: 'Clients the selection matched' }),
  processed: Type.Integer(),
  done: Type.Integer({ description: 'Clients really changed' }),
  skipped: Type.Integer(),
  skipped_by_reason: Type.Array(Type.Object({ reason: Type.String(), count: Type.Integer() })),
  result: Type.Record(Type.String(), Type.Unknown(), {
    description: 'campaign_id (send, coupons with notify), export_id (export), batch_id (coupons)',
  }),
  error: Nullable(Type.String()),
  created_by: Type.String(),
  created_at: Timestamp,
  started_at: Nullable(Timestamp),
  finished_at: Nullable(Timestamp),
});

export function registerBulkRoutes(app: HttpApp, deps: BulkDeps & { db: Database }) {
  const { db } = deps;
  const tags = ['Bulk actions'];
  app.post(
    '/api/v1/bulk/preview',
    {
      config: { access: { minRole: 'agent' } },
      schema: {
        tags,
        summary: 'How many clients a selection matches now (the number the confirmation dialog shows)',
        body: Type.Object(
          {
            selection: SelectionSchema,
            action: Type.Optional(
              StringEnum(BULK_ACTIONS, {
                description:
                  'The action to count for: unarchive reads ticked ids among archived clients, delete among active and archived ones',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            count: Type.Integer(),
            sample_client_ids: Type.Array(Uuid, { description: 'A few members, to preview a message for' }),
          }),
          ...errors,
        },
      },
    },
    async (request) =>
      previewSelection(db, workspaceOf(request), request.body.selection, request.body.action),
  );
  for (const action of BULK_ACTIONS) {
    const body: TObject = Type.Object(
      { selection: SelectionSchema, ...PARAMS[action] },
      { additionalProperties: false },
    );
    app.post(
      `/api/v1/bulk/${action}`,
      {
        config: { access: { minRole: BULK_MIN_ROLE[action] } },
        schema: {
          tags,
          summary: SUMMARIES[action],
          description: `Needs ${BULK_MIN_ROLE[action]} or above. The selection is evaluated on the server when the action runs. ${
            action === 'send' || action === 'export'
              ? 'Hands over to the campaign engine / exports module, which run their own jobs: the answer carries their id in result.'
              : `Below ${JOB_THRESHOLD} clients it runs now (200, finished); from ${JOB_THRESHOLD} on it is queued as a job (202): poll GET /api/v1/bulk/actions/{id}, cancel with POST …/cancel.`
          } Audited with the selection and the count.`,
          body,
          response: { 200: BulkJson, 202: BulkJson, ...errors },
        },
      },
      async (request, reply) => {
        const result = await startBulkAction(
          db,
          deps,
          workspaceOf(request),
          action,
          request.body as { selection: Record<string, unknown> },
        );
        return reply.code(result.queued ? 202 : 200).send(result.action);
      },
    );
  }
  app.get(
    '/api/v1/bulk/actions',
    {
      config: { access: { minRole: 'agent' } },
      schema: {
        tags,
        summary: 'Bulk actions of the workspace, newest first',
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
          cursor: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: {
          200: Type.Object({ actions: Type.Array(BulkJson), next_cursor: Nullable(Type.String()) }),
          ...errors,
        },
      },
    },
    async (request) => listBulkActions(db, workspaceOf(request), request.query),
  );
  app.get(
    '/api/v1/bulk/actions/:id',
    {
      config: { access: { minRole: 'agent' } },
      schema: {
        tags,
        summary: 'One bulk action: progress, and at the end done and skipped with reasons',
        params: IdParams,
        response: { 200: BulkJson, ...errors },
      },
    },
    async (request) => getBulkAction(db, deps, workspaceOf(request), request.params.id),
  );
  app.post(
    '/api/v1/bulk/actions/:id/cancel',
    {
      config: { access: { minRole: 'agent' } },
      schema: {
        tags,
        summary: 'Cancel a queued or running bulk action (it stops between two chunks; what was done stays)',
        params: IdParams,
        response: { 200: BulkJson, ...errors },
      },
    },
    async (request) => cancelBulkAction(db, workspaceOf(request), request.params.id),
  );
}
