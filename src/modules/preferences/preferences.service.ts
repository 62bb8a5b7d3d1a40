import { systemContext, type WorkspaceContext } from '../../platform/auth/context.ts';
import type { SecretBox } from '../../platform/crypto.ts';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { AppError } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import type { Locale } from '../../platform/locale.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { type ClientRow, getClientRow } from '../clients/clients.service.ts';
import { type ConsentChanges, consentStateOf, recordConsentChanges } from '../consent/consent.service.ts';
import { notifyMembers } from '../notifications/notifications.service.ts';
import { localeOf } from '../templates/templates.service.ts';
import { getWorkspace, listMembers, type Workspace } from '../workspaces/workspaces.service.ts';
import { readUnsubscribeToken, type UnsubscribeClaims } from './preferences.links.ts';
import {
  findOpenRequest,
  findPrivacyRequest,
  insertPrivacyRequest,
  listPrivacyRequestRows,
  type PrivacyRequestRow,
  resolvePrivacyRequestRow,
} from './preferences.repo.ts';

/** The channels a client manages on the page (push has no address to unsubscribe from). */
export const PAGE_CHANNELS = ['email', 'sms', 'whatsapp'] as const;
export type PageChannel = (typeof PAGE_CHANNELS)[number];
export const PRIVACY_KINDS = ['export', 'erasure'] as const;
export type PrivacyKind = (typeof PRIVACY_KINDS)[number];
export const PRIVACY_STATUSES = ['open', 'done', 'rejected'] as const;

export interface LinkHolder {
  claims: UnsubscribeClaims;
  workspace: Workspace;
  client: ClientRow;
  locale: Locale;
  consent: Record<PageChannel, boolean>;
}

export interface Visitor {
  ip: string | null;
  userAgent: string | null;
}

/**
 * Who a link belongs to, or null when the token is bad, or its workspace or client is gone or
 * erased: all of those answer the same 404, so a link reveals nothing about the database.
 */
export async function resolveLink(db: DbOrTx, secrets: SecretBox, token: string): Promise<LinkHolder | null> {
  const claims = readUnsubscribeToken(secrets, token);
  if (!claims) return null;
  try {
    const workspace = await getWorkspace(db, claims.w);
    const client = await getClientRow(db, claims.w, claims.c);
    if (client.erasedAt) return null;
    const state = consentStateOf(client);
    return {
      claims,
      workspace,
      client,
      locale: localeOf(client, workspace),
      consent: { email: state.email, sms: state.sms, whatsapp: state.whatsapp },
    };
  } catch (error) {
    if (error instanceof AppError && error.code === 'NOT_FOUND') return null;
    throw error;
  }
}

function linkContext(holder: LinkHolder, visitor: Visitor): WorkspaceContext {
  return { ...systemContext(holder.workspace.id, 'client (unsubscribe link)'), ip: visitor.ip };
}

function evidenceOf(holder: LinkHolder, how: string): string {
  return holder.claims.cp ? `${how}; campaign ${holder.claims.cp}` : how;
}

async function changeFromLink(
  db: Database,
  holder: LinkHolder,
  visitor: Visitor,
  changes: ConsentChanges,
  how: string,
): Promise<number> {
  return db.transaction(async (tx) => {
    const applied = await recordConsentChanges(tx, linkContext(holder, visitor), holder.client.id, changes, {
      source: 'unsubscribe_link',
      evidence: evidenceOf(holder, how),
      ip: visitor.ip,
      userAgent: visitor.userAgent,
    });
    return applied.length;
  });
}

/**
 * RFC 8058 one-click: withdraws consent for the channel the message came on. A repeat finds
 * nothing to change and records nothing. Returns null for a link that leads nowhere (404).
 */
export async function oneClickUnsubscribe(
  db: Database,
  secrets: SecretBox,
  token: string,
  visitor: Visitor,
): Promise<{ changed: boolean; holder: LinkHolder } | null> {
  const holder = await resolveLink(db, secrets, token);
  if (!holder) return null;
  const changed = await changeFromLink(
    db,
    holder,
    visitor,
    { [holder.claims.ch]: false },
    'one-click unsubscribe (RFC 8058)',
  );
  return { changed: changed > 0, holder };
}

export type PageAction =
  | { kind: 'save'; channels: Record<PageChannel, boolean> }
  | { kind: 'unsubscribe_all' }
  | { kind: 'request'; request: PrivacyKind };

/** What the client did on the preference page; answers what the page should confirm. */
export async function applyPageAction(
  db: Database,
  holder: LinkHolder,
  action: PageAction,
  visitor: Visitor,
  options: { mailConfigured: boolean },
): Promise<'saved' | 'unsubscribed' | 'export_requested' | 'erasure_requested'> {
  if (action.kind === 'save') {
    await changeFromLink(db, holder, visitor, action.channels, 'preference page');
    return 'saved';
  }
  if (action.kind === 'unsubscribe_all') {
    await changeFromLink(
      db,
      holder,
      visitor,
      { email: false, sms: false, whatsapp: false, push: false },
      'preference page: unsubscribe from all',
    );
    return 'unsubscribed';
  }
  await db.transaction(async (tx) => {
    const workspaceId = holder.workspace.id;
    if (await findOpenRequest(tx, workspaceId, holder.client.id, action.request)) return;
    const requestedAt = new Date();
    const row = await insertPrivacyRequest(tx, {
      workspaceId,
      clientId: holder.client.id,
      kind: action.request,
      requestedAt,
      dueAt: oneMonthAfter(requestedAt),
    });
    await recordAudit(tx, linkContext(holder, visitor), {
      action: 'privacy_request.created',
      entityType: 'privacy_request',
      entityId: row.id,
      changes: {
        kind: { before: null, after: row.kind },
        client_id: { before: null, after: row.clientId },
        due_at: { before: null, after: iso(row.dueAt) },
      },
    });
    const admins = (await listMembers(tx, workspaceId)).filter(
      (m) => m.role === 'owner' || m.role === 'admin',
    );
    await notifyMembers(
      tx,
      workspaceId,
      admins.map((m) => m.user_id),
      {
        kind: 'privacy_request',
        title:
          action.request === 'erasure'
            ? 'A client asked for erasure'
            : 'A client asked for a copy of their data',
        body: `Answer by ${iso(row.dueAt).slice(0, 10)} (one month, GDPR art. 12(3)).`,
        link: '/settings/privacy-requests',
        data: { request_id: row.id, client_id: row.clientId, kind: row.kind },
      },
      { email: true, mailConfigured: options.mailConfigured },
    );
  });
  return action.request === 'erasure' ? 'erasure_requested' : 'export_requested';
}

/** GDPR art. 12(3): one month from receipt; the 31st of a short month falls on its last day. */
export function oneMonthAfter(at: Date): Date {
  const due = new Date(at);
  const day = due.getUTCDate();
  due.setUTCDate(1);
  due.setUTCMonth(due.getUTCMonth() + 1);
  const lastDay = new Date(Date.UTC(due.getUTCFullYear(), due.getUTCMonth() + 1, 0)).getUTCDate();
  due.setUTCDate(Math.min(day, lastDay));
  return due;
}

export function toPrivacyRequestJson(row: PrivacyRequestRow, now = new Date()) {
  return {
    id: row.id,
    client_id: row.clientId,
    kind: row.kind as PrivacyKind,
    status: row.status as (typeof PRIVACY_STATUSES)[number],
    source: row.source,
    requested_at: iso(row.requestedAt),
    due_at: iso(row.dueAt),
    overdue: row.status === 'open' && row.dueAt.getTime() < now.getTime(),
    resolved_at: row.resolvedAt ? iso(row.resolvedAt) : null,
    resolved_by: row.resolvedBy,
  };
}

export async function listPrivacyRequests(db: DbOrTx, workspaceId: string, status?: string) {
  return (await listPrivacyRequestRows(db, workspaceId, status)).map((row) => toPrivacyRequestJson(row));
}

export async function resolvePrivacyRequest(
  db: Database,
  ctx: WorkspaceContext,
  id: string,
  status: (typeof PRIVACY_STATUSES)[number],
) {
  return db.transaction(async (tx) => {
    const before = await findPrivacyRequest(tx, ctx.workspaceId, id);
    if (!before) throw AppError.notFound('Privacy request');
    if (before.status === status) return toPrivacyRequestJson(before);
    const after = await resolvePrivacyRequestRow(tx, ctx.workspaceId, id, status, ctx.actor.label);
    await recordAudit(tx, ctx, {
      action: 'privacy_request.updated',
      entityType: 'privacy_request',
      entityId: id,
      changes: { status: { before: before.status, after: after.status } },
    });
    return toPrivacyRequestJson(after);
  });
}
