import { createReadStream } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { errors, IdParams, Nullable, StringEnum, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { DELIVERY_STATUSES } from '../campaigns/campaigns.service.ts';
import {
  createExport,
  EXPORT_FIELDS,
  EXPORT_FORMATS,
  type ExportDeps,
  getExport,
  listExports,
  resolveDownload,
  SELECTION_KINDS,
} from './exports.service.ts';

const Selection = Type.Object(
  {
    kind: StringEnum(SELECTION_KINDS, {
      description:
        "all clients, a list of ids, the client list filter (query), a segment, a campaign's recipients (campaign_id, optional status) or a client's timeline (client_id)",
    }),
    ids: Type.Optional(Type.Array(Uuid, { maxItems: 100_000 })),
    query: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description:
          'The client list filters: q, filter (one-line segment query), tag, label, location_id, consent, created_from, created_to',
      }),
    ),
    segment_id: Type.Optional(Uuid),
    campaign_id: Type.Optional(Uuid),
    status: Type.Optional(
      StringEnum(DELIVERY_STATUSES, { description: 'campaign_recipients: only this delivery status' }),
    ),
    client_id: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);

export const ExportJson = Type.Object({
  id: Uuid,
  status: StringEnum(['queued', 'running', 'completed', 'failed'] as const),
  selection: Type.Record(Type.String(), Type.Unknown()),
  fields: Type.Array(Type.String()),
  format: StringEnum(EXPORT_FORMATS),
  options: Type.Record(Type.String(), Type.Unknown()),
  total_rows: Nullable(Type.Integer()),
  processed_rows: Type.Integer(),
  size_bytes: Nullable(Type.Integer()),
  error: Nullable(Type.String()),
  created_by: Type.String(),
  created_at: Timestamp,
  finished_at: Nullable(Timestamp),
  expires_at: Nullable(Timestamp),
  download_url: Nullable(
    Type.String({ description: 'Signed link, valid until expires_at; no session needed' }),
  ),
});

export const ExportBody = Type.Object(
  {
    selection: Selection,
    fields: Type.Optional(Type.Array(Type.String(), { maxItems: 200 })),
    format: StringEnum(EXPORT_FORMATS),
    csv_delimiter: Type.Optional(StringEnum([',', ';'] as const)),
    bom: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export function registerExportRoutes(app: HttpApp, deps: ExportDeps & { db: Database }) {
  const { db } = deps;
  const tags = ['Exports'];
  app.post(
    '/api/v1/exports',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary:
          "Export clients (all, ids, a list filter or a segment), a campaign's recipients or a client's timeline as CSV, XLSX, JSON or NDJSON",
        description: `Runs as a job; poll GET /api/v1/exports/{id} for progress and the signed download_url. Fields: ${EXPORT_FIELDS.join(', ')}, custom.<key>. CSV is RFC 4180 (CRLF), with csv_delimiter ";" and bom for Excel. Cells starting with = + - @ tab or CR are prefixed with an apostrophe (E.164 phones excepted); XLSX cells are typed and never formulas. Audited.`,
        body: ExportBody,
        response: { 202: ExportJson, ...errors },
      },
    },
    async (request, reply) =>
      reply.code(202).send(await createExport(db, deps, workspaceOf(request), request.body)),
  );
  app.get(
    '/api/v1/exports',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Past exports, newest first',
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
          cursor: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: {
          200: Type.Object({ exports: Type.Array(ExportJson), next_cursor: Nullable(Type.String()) }),
          ...errors,
        },
      },
    },
    async (request) => listExports(db, deps, workspaceOf(request).workspaceId, request.query),
  );
  app.get(
    '/api/v1/exports/:id',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'One export: progress and, when done, its download link',
        params: IdParams,
        response: { 200: ExportJson, ...errors },
      },
    },
    async (request) => getExport(db, deps, workspaceOf(request).workspaceId, request.params.id),
  );
  app.get(
    '/api/v1/exports/:id/download',
    {
      config: { access: { public: true } },
      schema: {
        tags,
        summary: 'The exported file, through the signed link of download_url (expires)',
        params: IdParams,
        querystring: Type.Object({ token: Type.String({ maxLength: 1000 }) }),
        response: {
          200: {
            description: 'The file',
            content: { 'application/octet-stream': { schema: Type.String() } },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const file = await resolveDownload(db, deps, request.params.id, request.query.token);
      return reply
        .type(file.contentType)
        .header('content-disposition', `attachment; filename="${file.fileName}"`)
        .header('cache-control', 'no-store')
        .send(createReadStream(file.path) as unknown as string);
    },
  );
}
