import type { WorkspaceContext } from '../../platform/auth/context.ts';
import type { Database, DbOrTx, Tx } from '../../platform/db/db.ts';
import { AppError } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { type Changes, recordAudit } from '../audit/audit.service.ts';
import type { ClientDataParticipant, TimelineItem } from '../clients/client-data.ts';
import { getClientRow, setConsentState } from '../clients/clients.service.ts';
import {
  type ConsentEventRow,
  insertConsentEvents,
  latestConsentPerChannel,
  listConsentEventRows,
  lockClientConsent,
  moveConsentEventRows,
  stripConsentEvidence,
  timelineConsentRows,
  withdrawalsOf,
} from './consent.repo.ts';
import { CHANNELS, CONSENT_SOURCES } from './consent.schema.ts';

export { CHANNELS, CONSENT_SOURCES, latestConsentPerChannel, withdrawalsOf };
export type Channel = (typeof CHANNELS)[number];
export type ConsentSource = (typeof CONSENT_SOURCES)[number];
export type ConsentState = Record<Channel, boolean>;
export type ConsentChanges = Partial<Record<Channel, boolean>>;

export interface ConsentMeta {
  source: ConsentSource;
  /** What the person agreed to or how they withdrew: form name, checkbox text, message id… */
  evidence?: string | null;
  /** Version of the consent wording they saw. */
  wordingVersion?: string | null;
  /** Defaults to the context's IP (the caller's request); pass null for none. */
  ip?: string | null;
  userAgent?: string | null;
  /** When it happened, if not now (an import carrying the original date). */
  occurredAt?: Date;
  /** Write the `client.consent_changed` audit row (default true); bulk callers may audit in aggregate. */
  audit?: boolean;
}

export interface ConsentChange {
  channel: Channel;
  granted: boolean;
}

export const EVIDENCE_MAX = 2000;
export const WORDING_VERSION_MAX = 100;
export const USER_AGENT_MAX = 500;

type ClientConsentColumns = {
  consentEmail: boolean;
  consentSms: boolean;
  consentWhatsapp: boolean;
  consentPush: boolean;
};

/** Current state per channel, as the clients table keeps it; never granted = false. */
export function consentStateOf(row: ClientConsentColumns): ConsentState {
  return {
    email: row.consentEmail,
    sms: row.consentSms,
    whatsapp: row.consentWhatsapp,
    push: row.consentPush,
  };
}

export function toConsentEventJson(row: ConsentEventRow) {
  return {
    id: row.id,
    channel: row.channel as Channel,
    granted: row.granted,
    source: row.source as ConsentSource,
    actor: { type: row.actorType, id: row.actorId, label: row.actorLabel },
    evidence: row.evidence,
    ip: row.ip,
    user_agent: row.userAgent,
    wording_version: row.wordingVersion,
    occurred_at: iso(row.occurredAt),
  };
}

function validateMeta(meta: ConsentMeta) {
  const problems = [];
  if (!(CONSENT_SOURCES as readonly string[]).includes(meta.source))
    problems.push({ path: '/source', message: `must be one of ${CONSENT_SOURCES.join(', ')}` });
  if (meta.evidence && meta.evidence.length > EVIDENCE_MAX)
    problems.push({ path: '/evidence', message: `must be at most ${EVIDENCE_MAX} characters` });
  if (meta.wordingVersion && meta.wordingVersion.length > WORDING_VERSION_MAX)
    problems.push({ path: '/wording_version', message: `must be at most ${WORDING_VERSION_MAX} characters` });
  if (problems.length) throw AppError.validation(problems);
}

/**
 * The one way consent changes, for every caller (the consent API, client creation, imports,
 * unsubscribe links, STOP replies): one consent_events row per channel whose state really
 * changes, the current state updated through the clients service, and an audit row — all in the
 * caller's transaction. Granting and withdrawing take the same path. Returns what changed.
 */
export async function recordConsentChanges(
  tx: DbOrTx,
  ctx: WorkspaceContext,
  clientId: string,
  changes: ConsentChanges,
  meta: ConsentMeta,
): Promise<ConsentChange[]> {
  validateMeta(meta);
  const unknown = Object.keys(changes).filter((c) => !(CHANNELS as readonly string[]).includes(c));
  if (unknown.length)
    throw AppError.validation(
      unknown.map((c) => ({ path: `/changes/${c}`, message: 'is not a consent channel' })),
    );
  await lockClientConsent(tx, clientId);
  const client = await getClientRow(tx, ctx.workspaceId, clientId);
  if (client.erasedAt) throw new AppError('NOT_ALLOWED_NOW', 'This client was erased; consent cannot change');
  const current = consentStateOf(client);
  const applied: ConsentChange[] = [];
  for (const channel of CHANNELS) {
    const wanted = changes[channel];
    if (wanted === undefined || wanted === null || wanted === current[channel]) continue;
    applied.push({ channel, granted: wanted });
  }
  if (!applied.length) return [];
  const userAgent = meta.userAgent ? meta.userAgent.slice(0, USER_AGENT_MAX) : null;
  await insertConsentEvents(
    tx,
    applied.map((change) => ({
      workspaceId: ctx.workspaceId,
      clientId,
      channel: change.channel,
      granted: change.granted,
      source: meta.source,
      actorType: ctx.actor.type,
      actorId: ctx.actor.id,
      actorLabel: ctx.actor.label,
      evidence: meta.evidence || null,
      ip: meta.ip === undefined ? ctx.ip : meta.ip,
      userAgent,
      wordingVersion: meta.wordingVersion || null,
      occurredAt: meta.occurredAt,
    })),
  );
  for (const change of applied)
    await setConsentState(tx, ctx.workspaceId, clientId, change.channel, change.granted);
  if (meta.audit !== false) {
    // Channels, states and source only: evidence text may name the person, so it stays in consent_events.
    const auditChanges: Changes = {};
    for (const change of applied)
      auditChanges[`consent_${change.channel}`] = { before: current[change.channel], after: change.granted };
    auditChanges.source = { before: null, after: meta.source };
    await recordAudit(tx, ctx, {
      action: 'client.consent_changed',
      entityType: 'client',
      entityId: clientId,
      changes: auditChanges,
    });
  }
  return applied;
}

export async function getConsent(db: DbOrTx, workspaceId: string, clientId: string) {
  const client = await getClientRow(db, workspaceId, clientId);
  const history = await listConsentEventRows(db, workspaceId, clientId);
  return { consent: consentStateOf(client), history: history.map(toConsentEventJson) };
}

export interface ConsentPatchInput {
  changes: ConsentChanges;
  source: ConsentSource;
  evidence?: string | null;
  wording_version?: string | null;
}

/** PATCH /clients/{id}/consent: records the real changes (IP and user agent of the request) and answers the new state. */
export async function changeConsent(
  db: Database,
  ctx: WorkspaceContext,
  clientId: string,
  input: ConsentPatchInput,
  request: { userAgent: string | null },
) {
  return db.transaction(async (tx) => {
    const changed = await recordConsentChanges(tx, ctx, clientId, input.changes, {
      source: input.source,
      evidence: input.evidence,
      wordingVersion: input.wording_version,
      ip: ctx.ip,
      userAgent: request.userAgent,
    });
    return { ...(await getConsent(tx, ctx.workspaceId, clientId)), changed };
  });
}

/** After a merge, each channel takes the state of its most recent event across both clients. */
async function settleMergedConsent(tx: Tx, workspaceId: string, clientId: string) {
  for (const latest of await latestConsentPerChannel(tx, workspaceId, clientId))
    await setConsentState(tx, workspaceId, clientId, latest.channel as Channel, latest.granted);
}

export const consentParticipant: ClientDataParticipant = {
  name: 'consent',
  timelineKinds: ['consent'],
  async move(tx, workspaceId, fromClientId, toClientId) {
    await lockClientConsent(tx, toClientId);
    await moveConsentEventRows(tx, workspaceId, fromClientId, toClientId);
    await settleMergedConsent(tx, workspaceId, toClientId);
  },
  async exportFor(db, workspaceId, clientId) {
    return (await listConsentEventRows(db, workspaceId, clientId)).map(toConsentEventJson);
  },
  async erase(tx, workspaceId, clientId) {
    await stripConsentEvidence(tx, workspaceId, clientId);
  },
  async timeline(db, workspaceId, clientId, window) {
    const rows = await timelineConsentRows(db, workspaceId, clientId, window);
    return rows.map(
      (row): TimelineItem => ({
        id: row.id,
        kind: 'consent',
        type: row.granted ? 'granted' : 'withdrawn',
        occurred_at: iso(row.occurredAt),
        actor: { type: row.actorType, id: row.actorId, label: row.actorLabel },
        data: {
          channel: row.channel,
          granted: row.granted,
          source: row.source,
          evidence: row.evidence,
          ip: row.ip,
          user_agent: row.userAgent,
          wording_version: row.wordingVersion,
        },
      }),
    );
  },
};
