import { Type } from '@sinclair/typebox';
import type { Database } from '../../platform/db/db.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { errors, Nullable, PageQuery, StringEnum, Timestamp, Uuid } from '../../platform/http/schemas.ts';
import {
  createNote,
  deleteNote,
  listNotes,
  NOTE_BODY_MAX,
  NOTE_TYPES,
  NOTE_VISIBILITIES,
  updateNote,
} from './notes.service.ts';

const NoteType = StringEnum(NOTE_TYPES, { description: 'info, warning or action' });
const NoteVisibility = StringEnum(NOTE_VISIBILITIES, {
  description: 'internal (the team only) or shared (may be shown to the client)',
});

const NoteJson = Type.Object({
  id: Uuid,
  client_id: Uuid,
  body: Type.String(),
  type: NoteType,
  visibility: NoteVisibility,
  pinned: Type.Boolean(),
  author: Type.Object({
    user_id: Nullable(Uuid),
    label: Type.String({ description: "The author's email, or the API key's name" }),
  }),
  can_edit: Type.Boolean({
    description: 'Whether the caller may edit or delete it (author, or admin and above)',
  }),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const NoteFields = {
  body: Type.String({ minLength: 1, maxLength: NOTE_BODY_MAX }),
  type: NoteType,
  visibility: NoteVisibility,
  pinned: Type.Boolean(),
};

const ClientParams = Type.Object({ client_id: Uuid });
const NoteParams = Type.Object({ client_id: Uuid, id: Uuid });

export function registerNoteRoutes(app: HttpApp, deps: { db: Database }) {
  const { db } = deps;
  const tags = ['Notes'];
  app.get(
    '/api/v1/clients/:client_id/notes',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: "A client's notes, pinned first, then newest first",
        params: ClientParams,
        querystring: Type.Object({
          ...PageQuery,
          type: Type.Optional(NoteType),
          visibility: Type.Optional(NoteVisibility),
          pinned: Type.Optional(Type.Boolean()),
        }),
        response: {
          200: Type.Object({ notes: Type.Array(NoteJson), next_cursor: Nullable(Type.String()) }),
          ...errors,
        },
      },
    },
    async (request) => {
      const q = request.query;
      return listNotes(
        db,
        workspaceOf(request),
        request.params.client_id,
        { type: q.type, visibility: q.visibility, pinned: q.pinned },
        { cursor: q.cursor, limit: q.limit },
      );
    },
  );
  app.post(
    '/api/v1/clients/:client_id/notes',
    {
      config: { access: { minRole: 'agent' } },
      schema: {
        tags,
        summary: 'Add a note; the caller is its author',
        params: ClientParams,
        body: Type.Object(
          {
            body: NoteFields.body,
            type: Type.Optional(NoteFields.type),
            visibility: Type.Optional(NoteFields.visibility),
            pinned: Type.Optional(NoteFields.pinned),
          },
          { additionalProperties: false },
        ),
        response: { 201: NoteJson, ...errors },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await createNote(db, workspaceOf(request), request.params.client_id, request.body)),
  );
  app.patch(
    '/api/v1/clients/:client_id/notes/:id',
    {
      config: { access: { minRole: 'agent' } },
      schema: {
        tags,
        summary: 'Edit a note (its author, or an admin)',
        params: NoteParams,
        body: Type.Partial(Type.Object(NoteFields), { additionalProperties: false }),
        response: { 200: NoteJson, ...errors },
      },
    },
    async (request) =>
      updateNote(db, workspaceOf(request), request.params.client_id, request.params.id, request.body),
  );
  app.delete(
    '/api/v1/clients/:client_id/notes/:id',
    {
      config: { access: { minRole: 'agent' } },
      schema: {
        tags,
        summary: 'Delete a note (its author, or an admin)',
        params: NoteParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await deleteNote(db, workspaceOf(request), request.params.client_id, request.params.id);
      return reply.status(204).send(null);
    },
  );
}
