import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { WorkspaceContext } from '../../platform/auth/context.ts';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { errors, IdParams, Nullable, PageQuery, Timestamp } from '../../platform/http/schemas.ts';
import { listCustomFields } from '../custom-fields/custom-fields.service.ts';
import { canSeeField, getClientRow } from './clients.service.ts';
import { clientTimeline, clientTimelineCsv, parseTypes } from './clients.timeline.ts';

const TimelineItemJson = Type.Object({
  id: Type.String(),
  kind: Type.String({ description: 'event, note, consent, history, message, coupon…' }),
  type: Type.String({ description: 'The event type (booking, payment…) or the kind’s own type' }),
  occurred_at: Timestamp,
  actor: Nullable(Type.Object({ type: Type.String(), id: Nullable(Type.String()), label: Type.String() })),
  data: Type.Object({}, { additionalProperties: true, description: 'Kind-specific payload' }),
});

const DateOrDateTime = Type.Union([Type.String({ format: 'date-time' }), Type.String({ format: 'date' })]);

const Filters = {
  types: Type.Optional(
    Type.String({
      maxLength: 2000,
      description:
        'Comma-separated kinds and/or types, e.g. note,booking; message,email_opened; failed,unknown (message statuses)',
    }),
  ),
  from: Type.Optional(DateOrDateTime),
  to: Type.Optional(DateOrDateTime),
};

export function registerClientTimelineRoutes(app: HttpApp, deps: { db: Database }) {
  const { db } = deps;
  const tags = ['Clients'];
  app.get(
    '/api/v1/clients/:id/timeline',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: 'Everything that happened to a client, newest first',
        description:
          'Events, notes, consent changes, field/tag/risk changes, messages and coupons in one stream, ordered by (occurred_at, id) descending; `next_cursor` continues it without repeats or gaps.\n\n' +
          "Messages (kind `message`): one item per status a campaign delivery went through, its type the status: `queued` (or `skipped`, `data.code` the reason: no_consent, suppressed…), `sent`, `delivered`, `read`, `failed` (`data.code` and `data.message` from the provider; `data.retried` when it was tried again), `unknown` (the provider may have it: check and reconcile), `cancelled`. `data` names the campaign (`campaign_id`, `campaign_name`), the `channel` and the `delivery_id`. A delivery's items are at least 1 ms apart, in the order they happened, even when a provider's clock says otherwise. Email opens and clicks and inbound replies are events: `email_opened`, `email_clicked`, `sms_inbound`, `whatsapp_inbound`.",
        params: IdParams,
        querystring: Type.Object({ ...Filters, ...PageQuery }),
        response: {
          200: Type.Object({ items: Type.Array(TimelineItemJson), next_cursor: Nullable(Type.String()) }),
          ...errors,
        },
      },
    },
    async (request) => {
      const ctx = workspaceOf(request);
      return clientTimeline(db, ctx.workspaceId, request.params.id, {
        types: parseTypes(request.query.types),
        from: request.query.from ?? null,
        to: request.query.to ?? null,
        limit: request.query.limit,
        cursor: request.query.cursor ?? null,
        hiddenCustomKeys: await hiddenCustomKeys(db, ctx),
      });
    },
  );
  app.get(
    '/api/v1/clients/:id/timeline.csv',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: "The client's timeline as a CSV download (UTF-8 with BOM, for Excel)",
        params: IdParams,
        querystring: Type.Object(Filters),
        response: {
          200: {
            description: 'CSV: occurred_at, kind, type, actor, summary, amount, currency, details',
            content: { 'text/csv': { schema: Type.String() } },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const ctx = workspaceOf(request);
      const { workspaceId } = ctx;
      // Everything that can fail with a clean error happens before the first byte is sent.
      await getClientRow(db, workspaceId, request.params.id);
      const query = {
        types: parseTypes(request.query.types),
        from: request.query.from ?? null,
        to: request.query.to ?? null,
        hiddenCustomKeys: await hiddenCustomKeys(db, ctx),
      };
      return (
        reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="timeline-${request.params.id}.csv"`)
          .header('cache-control', 'no-store')
          // A stream bypasses the response serializer; the 200 schema above is documentation.
          .send(
            Readable.from(clientTimelineCsv(db, workspaceId, request.params.id, query)) as unknown as string,
          )
      );
    },
  );
}

/** Keys of the custom fields this caller's role may not see. */
async function hiddenCustomKeys(db: Database, ctx: WorkspaceContext): Promise<string[]> {
  const fields = await listCustomFields(db, ctx.workspaceId, true);
  return fields.filter((f) => !canSeeField(ctx.role, f)).map((f) => f.key);
}
