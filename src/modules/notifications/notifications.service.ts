import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { WorkspaceContext } from '../../platform/auth/context.ts';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { AppError } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import type { SystemMailer } from '../../platform/mail.ts';
import { decodeCursor, page } from '../../platform/pagination.ts';
import { notifications } from './notifications.schema.ts';

export const NOTIFICATION_EMAIL_TASK = 'notifications.email';

type NotificationRow = typeof notifications.$inferSelect;

export function toNotificationJson(row: NotificationRow) {
  return {
    id: row.id,
    kind: row.kind,
    title: row.title,
    body: row.body,
    link: row.link,
    data: row.data,
    email_status: row.emailStatus,
    read_at: iso(row.readAt),
    created_at: iso(row.createdAt)!,
  };
}

export interface NewNotification {
  kind: string;
  title: string;
  body?: string;
  link?: string | null;
  data?: Record<string, unknown>;
}

/**
 * Notifies these members of the workspace (only those still members: a removed member gets
 * nothing). With `email` and SMTP configured, one email job per recipient is queued in the same
 * transaction, so a slow or failing relay retries on its own and never blocks the caller.
 */
export async function notifyMembers(
  tx: DbOrTx,
  workspaceId: string,
  userIds: string[],
  notification: NewNotification,
  options: { email: boolean; mailConfigured: boolean },
): Promise<number> {
  if (!userIds.length) return 0;
  const emailStatus = options.email && options.mailConfigured ? 'pending' : 'off';
  const inserted = await tx.execute<{ id: string }>(sql`
    insert into notifications (workspace_id, user_id, kind, title, body, link, data, email_status)
    select ${workspaceId}, m.user_id, ${notification.kind}, ${notification.title}, ${notification.body ?? ''},
           ${notification.link ?? null}, ${JSON.stringify(notification.data ?? {})}::jsonb, ${emailStatus}
    from workspace_members m
    where m.workspace_id = ${workspaceId} and m.user_id = any(${sql.param(userIds)}::uuid[])
    returning id`);
  if (emailStatus === 'pending') {
    for (const { id } of inserted.rows) {
      await tx.execute(
        sql`select graphile_worker.add_job(${NOTIFICATION_EMAIL_TASK}, json_build_object('id', ${id}::text), max_attempts => 5)`,
      );
    }
  }
  return inserted.rows.length;
}

/** The email of one notification (the job): sent once; a retry after success finds it sent. */
export async function sendNotificationEmail(
  db: Database,
  mailer: SystemMailer,
  id: string,
  attemptsLeft: number,
) {
  const rows = await db.execute<{
    email: string;
    title: string;
    body: string;
    link: string | null;
    status: string;
  }>(sql`
    select u.email, n.title, n.body, n.link, n.email_status as status
    from notifications n join users u on u.id = n.user_id where n.id = ${id}`);
  const row = rows.rows[0];
  if (!row || row.status !== 'pending') return;
  try {
    await mailer.send({
      to: row.email,
      subject: row.title,
      text: [row.body, row.link].filter(Boolean).join('\n\n'),
    });
    await db
      .update(notifications)
      .set({ emailStatus: 'sent', emailError: null })
      .where(eq(notifications.id, id));
  } catch (error) {
    const message = (error as Error).message.slice(0, 500);
    // The last attempt records the failure for the reader; earlier ones let the queue retry.
    await db
      .update(notifications)
      .set({ emailStatus: attemptsLeft <= 0 ? 'failed' : 'pending', emailError: message })
      .where(eq(notifications.id, id));
    throw error;
  }
}

/** Notifications belong to people; an API key (or the system) has none, so it sees an empty list. */
function userOf(ctx: WorkspaceContext): string | null {
  return ctx.actor.type === 'user' ? ctx.actor.id : null;
}

export async function listNotifications(
  db: DbOrTx,
  ctx: WorkspaceContext,
  query: { unread?: boolean; limit: number; cursor?: string },
) {
  const userId = userOf(ctx);
  if (!userId) return { notifications: [], next_cursor: null, unread_count: 0 };
  const mine = and(eq(notifications.workspaceId, ctx.workspaceId), eq(notifications.userId, userId));
  const after = query.cursor ? decodeCursor(query.cursor) : null;
  const rows = await db
    .select()
    .from(notifications)
    .where(
      and(
        mine,
        query.unread ? isNull(notifications.readAt) : undefined,
        after
          ? or(
              lt(notifications.createdAt, new Date(after.at)),
              and(eq(notifications.createdAt, new Date(after.at)), lt(notifications.id, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(query.limit + 1);
  const [{ n }] = (await db
    .select({ n: sql<number>`count(*)::int` })
    .from(notifications)
    .where(and(mine, isNull(notifications.readAt)))) as [{ n: number }];
  const result = page(rows, query.limit, (r) => [r.createdAt, r.id]);
  return {
    notifications: result.items.map(toNotificationJson),
    next_cursor: result.nextCursor,
    unread_count: n,
  };
}

/** Marks one (id) or all of the caller's notifications read; another user's id is a 404. */
export async function markNotificationsRead(db: DbOrTx, ctx: WorkspaceContext, id: string | null) {
  const userId = userOf(ctx);
  if (!userId) {
    if (id) throw AppError.notFound('Notification');
    return { marked: 0 };
  }
  const updated = await db
    .update(notifications)
    .set({ readAt: new Date() })
    .where(
      and(
        eq(notifications.workspaceId, ctx.workspaceId),
        eq(notifications.userId, userId),
        id ? eq(notifications.id, id) : isNull(notifications.readAt),
      ),
    )
    .returning({ id: notifications.id });
  if (id && !updated.length) throw AppError.notFound('Notification');
  return { marked: updated.length };
}
