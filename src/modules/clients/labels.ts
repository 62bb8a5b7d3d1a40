import { Type } from '@sinclair/typebox';
import { and, eq, sql } from 'drizzle-orm';
import type { WorkspaceContext } from '../../platform/auth/context.ts';
import type { Database } from '../../platform/db/db.ts';
import { AppError, pgErrorCode } from '../../platform/errors.ts';
import { workspaceOf } from '../../platform/http/access.ts';
import type { HttpApp } from '../../platform/http/app.ts';
import { errors, IdParams, StringEnum, Uuid } from '../../platform/http/schemas.ts';
import { diff, recordAudit } from '../audit/audit.service.ts';
import { TAG_COLORS } from '../tags/tags.service.ts';
import { clientLabels, clients } from './clients.schema.ts';
import { listLabels } from './clients.service.ts';

/** Client labels: a short workspace-defined list (prospect, customer, affiliate by default). */
type LabelRow = typeof clientLabels.$inferSelect;
const FIELDS = ['key', 'name', 'color', 'position'] as const;

function toLabelJson(l: LabelRow) {
  return { id: l.id, key: l.key, name: l.name, color: l.color, position: l.position };
}

async function findLabel(db: Database, workspaceId: string, id: string): Promise<LabelRow> {
  const [row] = await db
    .select()
    .from(clientLabels)
    .where(and(eq(clientLabels.workspaceId, workspaceId), eq(clientLabels.id, id)));
  if (!row) throw AppError.notFound('Label');
  return row;
}

function conflict(error: unknown, key: string | undefined): never {
  if (pgErrorCode(error) === '23505')
    throw new AppError('CONFLICT', `A label with key "${key}" exists`, [
      { path: '/key', message: 'already used' },
    ]);
  throw error;
}

export async function createLabel(
  db: Database,
  ctx: WorkspaceContext,
  input: { key: string; name: string; color?: string; position?: number },
) {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(clientLabels)
      .values({
        workspaceId: ctx.workspaceId,
        key: input.key,
        name: input.name.trim(),
        color: input.color ?? 'blue',
        position: input.position ?? 0,
      })
      .returning()
      .catch((e) => conflict(e, input.key));
    await recordAudit(tx, ctx, {
      action: 'label.created',
      entityType: 'label',
      entityId: row!.id,
      changes: diff(null, toLabelJson(row!), FIELDS),
    });
    return toLabelJson(row!);
  });
}

/** The key is what clients store; renaming changes only the display name. */
export async function updateLabel(
  db: Database,
  ctx: WorkspaceContext,
  id: string,
  patch: { name?: string; color?: string; position?: number },
) {
  return db.transaction(async (tx) => {
    const before = await findLabel(tx as unknown as Database, ctx.workspaceId, id);
    const [after] = await tx
      .update(clientLabels)
      .set({ ...patch, ...(patch.name ? { name: patch.name.trim() } : {}) })
      .where(eq(clientLabels.id, id))
      .returning();
    const changes = diff(toLabelJson(before), toLabelJson(after!), FIELDS);
    if (Object.keys(changes).length)
      await recordAudit(tx, ctx, { action: 'label.updated', entityType: 'label', entityId: id, changes });
    return toLabelJson(after!);
  });
}

/** A label in use can't be deleted: relabel those clients first (the error says how many). */
export async function deleteLabel(db: Database, ctx: WorkspaceContext, id: string) {
  await db.transaction(async (tx) => {
    const label = await findLabel(tx as unknown as Database, ctx.workspaceId, id);
    const [used] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(clients)
      .where(and(eq(clients.workspaceId, ctx.workspaceId), eq(clients.label, label.key)));
    if (used!.n > 0)
      throw new AppError(
        'NOT_ALLOWED_NOW',
        `${used!.n} clients have the label "${label.name}"; change their label first`,
      );
    await tx.delete(clientLabels).where(eq(clientLabels.id, id));
    await recordAudit(tx, ctx, {
      action: 'label.deleted',
      entityType: 'label',
      entityId: id,
      changes: diff(toLabelJson(label), null, FIELDS),
    });
  });
}

const LabelJson = Type.Object({
  id: Uuid,
  key: Type.String(),
  name: Type.String(),
  color: Type.String(),
  position: Type.Integer(),
});
const LabelPatch = {
  name: Type.String({ minLength: 1, maxLength: 100 }),
  color: Type.Optional(StringEnum(TAG_COLORS)),
  position: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
};

export function registerLabelRoutes(app: HttpApp, deps: { db: Database }) {
  const { db } = deps;
  const tags = ['Labels'];
  app.get(
    '/api/v1/labels',
    {
      config: { access: { minRole: 'viewer' } },
      schema: {
        tags,
        summary: "The workspace's client labels",
        response: { 200: Type.Object({ labels: Type.Array(LabelJson) }), ...errors },
      },
    },
    async (request) => ({ labels: await listLabels(db, workspaceOf(request).workspaceId) }),
  );
  app.post(
    '/api/v1/labels',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Add a label',
        body: Type.Object(
          { key: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,40}$' }), ...LabelPatch },
          { additionalProperties: false },
        ),
        response: { 201: LabelJson, ...errors },
      },
    },
    async (request, reply) =>
      reply.status(201).send(await createLabel(db, workspaceOf(request), request.body)),
  );
  app.patch(
    '/api/v1/labels/:id',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Rename, recolor or reorder a label (its key stays)',
        params: IdParams,
        body: Type.Partial(Type.Object(LabelPatch), { additionalProperties: false }),
        response: { 200: LabelJson, ...errors },
      },
    },
    async (request) => updateLabel(db, workspaceOf(request), request.params.id, request.body),
  );
  app.delete(
    '/api/v1/labels/:id',
    {
      config: { access: { minRole: 'admin' } },
      schema: {
        tags,
        summary: 'Delete a label nobody uses',
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await deleteLabel(db, workspaceOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
}
