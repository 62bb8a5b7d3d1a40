import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fastifyMultipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import type { Database } from '../../platform/db/db.ts';
import { AppError } from '../../platform/errors.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { errors, IdParams, Nullable, StringEnum, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import {
  cancelImport,
  createImport,
  DRY_RUN_SYNC_BYTES,
  getDryRun,
  getImport,
  type ImportDeps,
  importErrorsCsv,
  isTerminal,
  listImports,
  ON_DUPLICATE,
  requestDryRun,
  startImport,
  undoImport,
} from './imports.service.ts';

const Counts = Type.Object({
  created: Type.Integer(),
  updated: Type.Integer({ description: 'Existing clients whose fields or tags changed' }),
  duplicates: Type.Integer({
    description: 'Rows matching an existing client or an earlier row (by external_id, email, then phone)',
  }),
  invalid: Type.Integer(),
  suppressed: Type.Integer({
    description:
      'Rows skipped because their email or phone is on the suppression list, or (when the import grants consent) they are a client who withdrew that consent',
  }),
});

const ImportJson = Type.Object({
  id: Uuid,
  status: StringEnum([
    'uploaded',
    'queued',
    'running',
    'completed',
    'failed',
    'cancelled',
    'undone',
  ] as const),
  file_name: Type.String(),
  format: StringEnum(['csv', 'xlsx', 'json', 'ndjson'] as const),
  encoding: Nullable(Type.String()),
  delimiter: Nullable(Type.String()),
  size_bytes: Type.Integer(),
  headers: Type.Array(Type.String()),
  columns: Type.Array(
    Type.Object({
      header: Type.String(),
      samples: Type.Array(Nullable(Type.String())),
      detected_type: Type.String(),
      target: Type.String(),
      suggested_key: Type.String(),
      warnings: Type.Array(Type.String()),
    }),
  ),
  options: Type.Record(Type.String(), Type.Unknown()),
  total_rows: Nullable(Type.Integer()),
  processed_rows: Type.Integer(),
  counts: Counts,
  error: Nullable(Type.String()),
  created_by: Type.String(),
  created_at: Timestamp,
  started_at: Nullable(Timestamp),
  finished_at: Nullable(Timestamp),
  undone_at: Nullable(Timestamp),
  undo_until: Nullable(Timestamp),
});

const Options = Type.Object(
  {
    mapping: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description:
          'Column header → first_name, last_name, full_name, email, phone, city, country, locale, timezone, source, label, external_id, birthday, tags, custom.<key>, new.<key> (creates a custom field of the detected type of the column: number, date or boolean, else text) or ignore. Columns not given keep the proposed target.',
      }),
    ),
    on_duplicate: Type.Optional(
      StringEnum(ON_DUPLICATE, {
        description:
          'skip (default); update fills empty fields; overwrite replaces them; create makes another client',
      }),
    ),
    consent: Type.Optional(
      Type.Object(
        {
          email: Type.Optional(Type.Boolean()),
          sms: Type.Optional(Type.Boolean()),
          whatsapp: Type.Optional(Type.Boolean()),
          push: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
    consent_evidence: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
    tags: Type.Optional(Type.Array(Type.String(), { maxItems: 20 })),
  },
  { additionalProperties: false },
);

const PreviewRow = Type.Object({
  row: Type.Integer(),
  action: StringEnum(['create', 'update', 'skip', 'invalid', 'suppressed'] as const),
  client: Nullable(Type.Record(Type.String(), Type.Unknown())),
  problems: Type.Array(
    Type.Object({ column: Nullable(Type.String()), value: Nullable(Type.String()), reason: Type.String() }),
  ),
});

export function registerImportRoutes(
  app: HttpApp,
  deps: ImportDeps & { db: Database; uploadsDir: string; maxBytes: number },
) {
  const { db, uploadsDir, maxBytes } = deps;
  const tags = ['Imports'];
  app.register(fastifyMultipart, { limits: { fileSize: maxBytes, files: 1, fields: 5 } });

  app.post(
    '/api/v1/imports',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Upload a client file (CSV, TSV, XLSX, JSON, NDJSON) and get its proposed mapping',
        description: `multipart/form-data with one \`file\` part (and optionally a \`sheet\` field naming an XLSX sheet, sent before the file). The file is streamed to disk, never held in memory; above ${maxBytes} bytes the answer is 413, before the body is read when Content-Length says so. Then POST …/dry-run and …/start.`,
        consumes: ['multipart/form-data'],
        response: { 201: ImportJson, 413: errors[400], 415: errors[400], ...errors },
      },
    },
    async (request, reply) => {
      const ctx = workspaceOf(request);
      const length = Number(request.headers['content-length'] ?? 0);
      if (length > maxBytes + 64 * 1024)
        throw new AppError('PAYLOAD_TOO_LARGE', `The file is larger than ${maxBytes} bytes`);
      if (!request.isMultipart())
        throw new AppError(
          'UNSUPPORTED_MEDIA_TYPE',
          'Send the file as multipart/form-data with a "file" part',
        );
      const part = await request.file();
      if (!part) throw AppError.validation([{ path: '/file', message: 'no file part in the upload' }]);
      const sheetField = part.fields.sheet as { value?: unknown } | undefined;
      const sheet = typeof sheetField?.value === 'string' && sheetField.value ? sheetField.value : null;
      await mkdir(uploadsDir, { recursive: true });
      const target = path.join(uploadsDir, `${randomUUID()}${path.extname(part.filename).slice(0, 10)}`);
      try {
        await pipeline(part.file, createWriteStream(target));
        if (part.file.truncated)
          throw new AppError('PAYLOAD_TOO_LARGE', `The file is larger than ${maxBytes} bytes`);
        const { size } = await stat(target);
        const created = await createImport(db, ctx, {
          path: target,
          fileName: part.filename || 'upload',
          sizeBytes: size,
          sheet,
          uploaded: true,
        });
        return reply.code(201).send(created);
      } catch (error) {
        await unlink(target).catch(() => {});
        if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE')
          throw new AppError('PAYLOAD_TOO_LARGE', `The file is larger than ${maxBytes} bytes`);
        throw error;
      }
    },
  );

  app.get(
    '/api/v1/imports',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Past imports, newest first',
        querystring: Type.Object({
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
          cursor: Type.Optional(Type.String({ maxLength: 200 })),
        }),
        response: {
          200: Type.Object({ imports: Type.Array(ImportJson), next_cursor: Nullable(Type.String()) }),
          ...errors,
        },
      },
    },
    async (request) => listImports(db, workspaceOf(request).workspaceId, request.query),
  );

  app.get(
    '/api/v1/imports/:id',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'One import: status, progress, counts',
        params: IdParams,
        response: { 200: ImportJson, ...errors },
      },
    },
    async (request) => getImport(db, workspaceOf(request).workspaceId, request.params.id),
  );

  const DryRunJson = Type.Object({
    status: StringEnum(['running', 'completed', 'failed'] as const),
    total_rows: Nullable(Type.Integer()),
    counts: Nullable(Counts),
    preview: Type.Array(PreviewRow),
    error: Nullable(Type.String()),
  });

  app.post(
    '/api/v1/imports/:id/dry-run',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary:
          'What the import would do with these options: the first 20 rows as stored and the full counts; nothing is written',
        description: `A file up to ${DRY_RUN_SYNC_BYTES} bytes is read in the request (200, completed). A larger one is read by a background job (202, running): poll GET /api/v1/imports/{id}/dry-run. Bad options are a 400 either way.`,
        params: IdParams,
        body: Options,
        response: { 200: DryRunJson, 202: DryRunJson, ...errors },
      },
    },
    async (request, reply) => {
      const state = await requestDryRun(db, deps, workspaceOf(request), request.params.id, request.body);
      return reply.status(state.status === 'running' ? 202 : 200).send(state);
    },
  );

  app.get(
    '/api/v1/imports/:id/dry-run',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'The latest background dry run of a large file: running, or its first 20 rows and counts',
        params: IdParams,
        response: { 200: DryRunJson, ...errors },
      },
    },
    async (request) => getDryRun(db, workspaceOf(request).workspaceId, request.params.id),
  );

  app.post(
    '/api/v1/imports/:id/start',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary:
          'Start the import in the background with these options (the mapping is remembered for files of this shape)',
        params: IdParams,
        body: Options,
        response: { 202: ImportJson, ...errors },
      },
    },
    async (request, reply) =>
      reply.code(202).send(await startImport(db, workspaceOf(request), request.params.id, request.body)),
  );

  app.post(
    '/api/v1/imports/:id/cancel',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Cancel an import not finished yet (batches already committed stay; undo removes them)',
        params: IdParams,
        response: { 200: ImportJson, ...errors },
      },
    },
    async (request) => cancelImport(db, workspaceOf(request), request.params.id),
  );

  app.post(
    '/api/v1/imports/:id/undo',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary:
          'Undo a finished import within 7 days: created clients removed, updated fields and tags restored, the consent it granted withdrawn',
        params: IdParams,
        response: {
          200: Type.Object({
            import: ImportJson,
            removed_clients: Type.Integer(),
            restored_clients: Type.Integer(),
          }),
          ...errors,
        },
      },
    },
    async (request) => undoImport(db, workspaceOf(request), request.params.id),
  );

  app.get(
    '/api/v1/imports/:id/errors.csv',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'The rows not imported as CSV: row, column, value, reason',
        params: IdParams,
        response: {
          200: { description: 'CSV (UTF-8 with BOM)', content: { 'text/csv': { schema: Type.String() } } },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { workspaceId } = workspaceOf(request);
      await getImport(db, workspaceId, request.params.id);
      async function* withBom() {
        yield '\uFEFF';
        yield* importErrorsCsv(db, workspaceId, request.params.id);
      }
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="import-${request.params.id}-errors.csv"`)
        .header('cache-control', 'no-store')
        .send(Readable.from(withBom()) as unknown as string);
    },
  );

  app.get(
    '/api/v1/imports/:id/events',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Live progress as server-sent events (`progress` with the import JSON) until it ends',
        params: IdParams,
        response: {
          200: {
            description: 'text/event-stream',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { workspaceId } = workspaceOf(request);
      const id = request.params.id;
      let current = await getImport(db, workspaceId, id);
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
      let last = '';
      while (open) {
        const text = JSON.stringify(current);
        if (text !== last) raw.write(`event: progress\ndata: ${text}\n\n`);
        last = text;
        if (isTerminal(current.status) || current.status === 'uploaded') break;
        await new Promise((resolve) => setTimeout(resolve, 500));
        try {
          current = await getImport(db, workspaceId, id);
        } catch {
          break;
        }
      }
      raw.end();
    },
  );
}
