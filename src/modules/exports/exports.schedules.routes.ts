import { Type } from '@sinclair/typebox';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { errors, IdParams, Nullable, StringEnum, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import { ExportBody, ExportJson } from './exports.routes.ts';
import {
  createSchedule,
  deleteSchedule,
  FREQUENCIES,
  getSchedule,
  listSchedules,
} from './exports.schedules.ts';
import type { ExportDeps } from './exports.service.ts';

const ScheduleJson = Type.Object({
  id: Uuid,
  name: Type.String(),
  frequency: StringEnum(FREQUENCIES),
  weekday: Nullable(Type.Integer()),
  hour: Type.Integer(),
  selection: Type.Record(Type.String(), Type.Unknown()),
  fields: Type.Array(Type.String()),
  format: Type.String(),
  options: Type.Record(Type.String(), Type.Unknown()),
  created_by: Type.String(),
  created_at: Timestamp,
  last_run_at: Nullable(Timestamp),
  next_run_at: Nullable(Timestamp),
  past_files: Type.Array(ExportJson, { description: 'The last 10 exports it produced, newest first' }),
});

export function registerExportScheduleRoutes(app: HttpApp, deps: ExportDeps & { db: Database }) {
  const { db } = deps;
  const tags = ['Exports'];
  app.post(
    '/api/v1/export-schedules',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Export the same selection every day or every week',
        description:
          'Same body as POST /exports plus name, frequency (daily, weekly), weekday (0 = Sunday, weekly only) and hour (0–23, workspace time zone). Each run is an ordinary export (audited) listed under past_files.',
        body: Type.Composite(
          [
            ExportBody,
            Type.Object({
              name: Type.String({ minLength: 1, maxLength: 200 }),
              frequency: StringEnum(FREQUENCIES),
              weekday: Type.Optional(Type.Integer({ minimum: 0, maximum: 6 })),
              hour: Type.Integer({ minimum: 0, maximum: 23 }),
            }),
          ],
          { additionalProperties: false },
        ),
        response: { 201: ScheduleJson, ...errors },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createSchedule(db, deps, workspaceOf(request), request.body)),
  );
  app.get(
    '/api/v1/export-schedules',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Scheduled exports with their past files',
        response: { 200: Type.Object({ schedules: Type.Array(ScheduleJson) }), ...errors },
      },
    },
    async (request) => listSchedules(db, deps, workspaceOf(request).workspaceId),
  );
  app.get(
    '/api/v1/export-schedules/:id',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'One scheduled export',
        params: IdParams,
        response: { 200: ScheduleJson, ...errors },
      },
    },
    async (request) => getSchedule(db, deps, workspaceOf(request).workspaceId, request.params.id),
  );
  app.delete(
    '/api/v1/export-schedules/:id',
    {
      config: { access: { minRole: 'marketer' } },
      schema: {
        tags,
        summary: 'Stop a scheduled export (its past files stay until they expire)',
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await deleteSchedule(db, workspaceOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
}
