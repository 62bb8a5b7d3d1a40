import type { Actor, WorkspaceContext } from '../../platform/auth/context.ts';
import { hasRole } from '../../platform/auth/roles.ts';
import type { Database, DbOrTx, Tx } from '../../platform/db/db.ts';
import { AppError } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { type Changes, recordAudit } from '../audit/audit.service.ts';
import type { ClientDataParticipant, TimelineItem } from '../clients/client-data.ts';
import { getClientRow } from '../clients/clients.service.ts';
import {
  allNoteRows,
  deleteNoteRow,
  deleteNoteRowsOfClient,
  findNote,
  insertNote,
  listNoteRows,
  moveNoteRows,
  type NoteCursor,
  type NoteFilter,
  type NoteRow,
  timelineNoteRows,
  updateNoteRow,
} from './notes.repo.ts';

export const NOTE_TYPES = ['info', 'warning', 'action'] as const;
export const NOTE_VISIBILITIES = ['internal', 'shared'] as const;
export type NoteType = (typeof NOTE_TYPES)[number];
export type NoteVisibility = (typeof NOTE_VISIBILITIES)[number];
export const NOTE_BODY_MAX = 10_000;

export interface NoteInput {
  body?: string;
  type?: NoteType;
  visibility?: NoteVisibility;
  pinned?: boolean;
}

/** API keys leave no user id; their label ("name (prefix…)") is what identifies them as authors. */
const API_KEY_LABEL = /\(\S+…\)$/;

function authorActor(note: NoteRow): TimelineItem['actor'] {
  if (note.authorUserId) return { type: 'user', id: note.authorUserId, label: note.authorLabel };
  return {
    type: API_KEY_LABEL.test(note.authorLabel) ? 'api_key' : 'system',
    id: null,
    label: note.authorLabel,
  };
}

export function toNoteJson(note: NoteRow) {
  return {
    id: note.id,
    client_id: note.clientId,
    body: note.body,
    type: note.type as NoteType,
    visibility: note.visibility as NoteVisibility,
    pinned: note.pinned,
    author: { user_id: note.authorUserId, label: note.authorLabel },
    created_at: iso(note.createdAt),
    updated_at: iso(note.updatedAt),
  };
}

function isAuthor(note: NoteRow, actor: Actor): boolean {
  if (actor.type === 'user') return note.authorUserId === actor.id;
  return note.authorUserId === null && note.authorLabel === actor.label;
}

/** Edit and delete: the author, or an admin and above. */
export function canModifyNote(ctx: WorkspaceContext, note: NoteRow): boolean {
  return isAuthor(note, ctx.actor) || hasRole(ctx.role, 'admin');
}

function withPermissions(ctx: WorkspaceContext, note: NoteRow) {
  return { ...toNoteJson(note), can_edit: canModifyNote(ctx, note) };
}

/** Kept as written (line breaks, indentation); only a blank body is refused. Length in characters, as JSON Schema counts. */
function validateBody(body: string | undefined, path = '/body'): string {
  const text = body ?? '';
  if (!text.trim()) throw AppError.validation([{ path, message: 'must not be empty' }]);
  if ([...text].length > NOTE_BODY_MAX)
    throw AppError.validation([{ path, message: `must be at most ${NOTE_BODY_MAX} characters` }]);
  return text;
}

/**
 * Note bodies are personal data: the audit log gets the note's id, type, visibility and pin
 * state, and only the body's length (whether it changed), never its text.
 */
function auditChanges(before: NoteRow | null, after: NoteRow | null): Changes {
  const changes: Changes = {};
  if (!before || !after)
    changes.client_id = { before: before?.clientId ?? null, after: after?.clientId ?? null };
  for (const field of ['type', 'visibility', 'pinned'] as const) {
    const b = before?.[field] ?? null;
    const a = after?.[field] ?? null;
    if (b !== a) changes[field] = { before: b, after: a };
  }
  if (before?.body !== after?.body)
    changes.body_length = { before: before?.body.length ?? null, after: after?.body.length ?? null };
  return changes;
}

async function writableClient(db: DbOrTx, workspaceId: string, clientId: string) {
  const client = await getClientRow(db, workspaceId, clientId);
  if (client.erasedAt) throw new AppError('NOT_ALLOWED_NOW', 'This client was erased; notes cannot be added');
  return client;
}

function encodeNoteCursor(note: NoteRow): string {
  return Buffer.from(JSON.stringify([note.pinned, note.createdAt.toISOString(), note.id])).toString(
    'base64url',
  );
}

function decodeNoteCursor(raw: string | undefined): NoteCursor | null {
  if (!raw) return null;
  try {
    const [pinned, at, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as [
      boolean,
      string,
      string,
    ];
    if (typeof pinned !== 'boolean' || typeof at !== 'string' || Number.isNaN(Date.parse(at)))
      throw new Error();
    if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error();
    return { pinned, at, id };
  } catch {
    throw AppError.validation([{ path: '/query/cursor', message: 'cursor is not one this API returned' }]);
  }
}

export async function listNotes(
  db: DbOrTx,
  ctx: WorkspaceContext,
  clientId: string,
  filter: NoteFilter,
  options: { cursor?: string; limit: number },
) {
  await getClientRow(db, ctx.workspaceId, clientId);
  const rows = await listNoteRows(
    db,
    ctx.workspaceId,
    clientId,
    filter,
    decodeNoteCursor(options.cursor),
    options.limit,
  );
  const items = rows.slice(0, options.limit);
  const last = items.at(-1);
  return {
    notes: items.map((n) => withPermissions(ctx, n)),
    next_cursor: rows.length > options.limit && last ? encodeNoteCursor(last) : null,
  };
}

export async function createNote(db: Database, ctx: WorkspaceContext, clientId: string, input: NoteInput) {
  const body = validateBody(input.body);
  return db.transaction(async (tx) => {
    await writableClient(tx, ctx.workspaceId, clientId);
    const note = await insertNote(tx, {
      workspaceId: ctx.workspaceId,
      clientId,
      authorUserId: ctx.actor.type === 'user' ? ctx.actor.id : null,
      authorLabel: ctx.actor.label,
      body,
      type: input.type ?? 'info',
      visibility: input.visibility ?? 'internal',
      pinned: input.pinned ?? false,
    });
    await recordAudit(tx, ctx, {
      action: 'note.created',
      entityType: 'note',
      entityId: note.id,
      changes: auditChanges(null, note),
    });
    return withPermissions(ctx, note);
  });
}

async function modifiableNote(tx: Tx, ctx: WorkspaceContext, clientId: string, id: string) {
  await writableClient(tx, ctx.workspaceId, clientId);
  const note = await findNote(tx, ctx.workspaceId, clientId, id);
  if (!note) throw AppError.notFound('Note');
  if (!canModifyNote(ctx, note))
    throw new AppError('FORBIDDEN', 'Only the author of a note, or an admin, may change or delete it');
  return note;
}

export async function updateNote(
  db: Database,
  ctx: WorkspaceContext,
  clientId: string,
  id: string,
  input: NoteInput,
) {
  const patch: Partial<Pick<NoteRow, 'body' | 'type' | 'visibility' | 'pinned'>> = {};
  if (input.body !== undefined) patch.body = validateBody(input.body);
  if (input.type !== undefined) patch.type = input.type;
  if (input.visibility !== undefined) patch.visibility = input.visibility;
  if (input.pinned !== undefined) patch.pinned = input.pinned;
  return db.transaction(async (tx) => {
    const before = await modifiableNote(tx, ctx, clientId, id);
    const changes = auditChanges(before, { ...before, ...patch });
    if (!Object.keys(changes).length) return withPermissions(ctx, before);
    const after = await updateNoteRow(tx, ctx.workspaceId, id, patch);
    await recordAudit(tx, ctx, { action: 'note.updated', entityType: 'note', entityId: id, changes });
    return withPermissions(ctx, after);
  });
}

export async function deleteNote(db: Database, ctx: WorkspaceContext, clientId: string, id: string) {
  await db.transaction(async (tx) => {
    const before = await modifiableNote(tx, ctx, clientId, id);
    await deleteNoteRow(tx, ctx.workspaceId, id);
    await recordAudit(tx, ctx, {
      action: 'note.deleted',
      entityType: 'note',
      entityId: id,
      changes: auditChanges(before, null),
    });
  });
}

/** Notes join the client's lifecycle: merged along, exported, deleted on erase, on the timeline. */
export const notesParticipant: ClientDataParticipant = {
  name: 'notes',
  timelineKinds: ['note'],
  async move(tx, workspaceId, fromClientId, toClientId) {
    await moveNoteRows(tx, workspaceId, fromClientId, toClientId);
  },
  async exportFor(db, workspaceId, clientId) {
    return (await allNoteRows(db, workspaceId, clientId)).map(toNoteJson);
  },
  async erase(tx, workspaceId, clientId) {
    await deleteNoteRowsOfClient(tx, workspaceId, clientId);
  },
  async timeline(db, workspaceId, clientId, window) {
    const rows = await timelineNoteRows(db, workspaceId, clientId, window);
    return rows.map(
      (note): TimelineItem => ({
        id: note.id,
        kind: 'note',
        type: note.type,
        occurred_at: iso(note.createdAt),
        actor: authorActor(note),
        data: {
          body: note.body,
          type: note.type,
          visibility: note.visibility,
          pinned: note.pinned,
          updated_at: iso(note.updatedAt),
        },
      }),
    );
  },
};
