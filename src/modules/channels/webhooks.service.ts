import { systemContext, type WorkspaceContext } from '../../platform/auth/context.ts';
import type { Database, DbOrTx } from '../../platform/db/db.ts';
import { clientIdsWithContact } from '../clients/clients.service.ts';
import { type Channel, recordConsentChanges } from '../consent/consent.service.ts';
import type { SuppressionList } from '../consent/suppressions.service.ts';
import { advanceDelivery } from '../deliveries/deliveries.status.ts';
import { ingestEvents } from '../events/events.service.ts';
import { getWorkspace } from '../workspaces/workspaces.service.ts';
import {
  type ChannelRow,
  findMessageByProviderId,
  hasMessageEvent,
  openWhatsappWindow,
  recordMessageEvent,
  setMessageStatus,
} from './channels.repo.ts';
import type { StatusHistoryEntry } from './channels.schema.ts';

export type ProviderStatus = 'sent' | 'delivered' | 'read' | 'failed';

/** Forward order; failed is final and unknown may become anything the provider reports. */
const RANK: Record<string, number> = { unknown: -1, queued: 0, sent: 1, delivered: 2, read: 3 };

/** Whether a message in `current` may move to `next` (statuses only move forward; failed is final). */
export function movesForward(current: string, next: ProviderStatus): boolean {
  if (current === 'failed') return false;
  if (next === 'failed') return current !== 'read';
  return (RANK[next] ?? -1) > (RANK[current] ?? -1);
}

export type StatusOutcome = 'applied' | 'duplicate' | 'stale' | 'unknown_message';

/** STOP-like replies withdraw consent; START-like ones give it back (Twilio's keywords, plus es/fr). */
export const OPT_OUT_WORDS = [
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'BAJA',
  'ARRET',
  'ARRÊT',
];
export const OPT_IN_WORDS = ['START', 'UNSTOP', 'YES'];

export function keywordOf(text: string): 'opt_out' | 'opt_in' | null {
  const word = text
    .trim()
    .toUpperCase()
    .replace(/[.!¡?¿]+$/g, '');
  if (OPT_OUT_WORDS.includes(word)) return 'opt_out';
  if (OPT_IN_WORDS.includes(word)) return 'opt_in';
  return null;
}

function webhookContext(channel: ChannelRow, label: string): WorkspaceContext {
  return systemContext(channel.workspaceId, `${label} webhook (${channel.name})`);
}

/**
 * What all provider webhooks do with a delivery status: dedupe on (provider message id,
 * status), then move the message forward only. A consent withdrawal the provider reports (Meta
 * 131050, Twilio 21610) is recorded for the message's client.
 */
export async function applyProviderStatus(
  db: Database,
  channel: ChannelRow,
  update: {
    providerMessageId: string;
    status: ProviderStatus;
    at: Date;
    code?: string | null;
    message?: string | null;
    withdrawConsent?: Channel | null;
    label: string;
  },
): Promise<StatusOutcome> {
  return db.transaction(async (tx) => {
    // Not ours (or not written yet): nothing is recorded, so the provider's retry can still apply.
    const row = await findMessageByProviderId(tx, channel.workspaceId, channel.id, update.providerMessageId);
    if (!row) return 'unknown_message';
    const first = await recordMessageEvent(tx, channel.id, update.providerMessageId, update.status);
    if (!first) return 'duplicate';
    if (update.withdrawConsent && row.clientId)
      await recordConsentChanges(
        tx,
        webhookContext(channel, update.label),
        row.clientId,
        { [update.withdrawConsent]: false },
        {
          source: 'provider_webhook',
          evidence: `${update.label}: ${update.code ?? ''} ${update.message ?? ''}`.trim().slice(0, 2000),
          ip: null,
        },
      );
    if (!movesForward(row.status, update.status)) return 'stale';
    const entry: StatusHistoryEntry = { status: update.status, at: update.at.toISOString() };
    if (update.code) entry.code = update.code;
    if (update.message) entry.message = update.message;
    await setMessageStatus(
      tx,
      channel.workspaceId,
      row.id,
      update.status,
      [...row.statusHistory, entry],
      update.status === 'failed' ? { code: update.code ?? 'failed', message: update.message ?? null } : null,
    );
    // A campaign message: its delivery in the ledger follows (forward only as well).
    if (row.deliveryId)
      await advanceDelivery(
        tx,
        channel.workspaceId,
        { deliveryId: row.deliveryId },
        update.status,
        update.status === 'failed' ? `${update.code ?? 'failed'}: ${update.message ?? ''}`.trim() : null,
      );
    return 'applied';
  });
}

async function clientsWith(db: DbOrTx, workspaceId: string, contact: { phone?: string; email?: string }) {
  const workspace = await getWorkspace(db, workspaceId);
  return clientIdsWithContact(db, workspaceId, contact, workspace.defaultCountry);
}

export interface InboundMessage {
  kind: 'sms' | 'whatsapp';
  /** E.164 sender. */
  from: string;
  text: string;
  at: Date;
  providerMessageId: string;
  label: string;
}

/**
 * A client wrote to us: WhatsApp opens the 24-hour window, the message goes on the client's
 * timeline (events service, deduplicated by the provider's message id), and a STOP-like word
 * withdraws consent for that channel (START-like gives it back).
 */
export async function handleInbound(db: Database, channel: ChannelRow, inbound: InboundMessage) {
  // Every step below is idempotent, and the message is marked seen only once they all succeeded:
  // a failure half-way lets the provider's retry complete it instead of being dropped as a duplicate.
  if (await hasMessageEvent(db, channel.id, inbound.providerMessageId, 'inbound'))
    return { duplicate: true, client_ids: [], keyword: null };
  if (inbound.kind === 'whatsapp')
    await openWhatsappWindow(db, channel.workspaceId, inbound.from, inbound.at);
  const ctx = webhookContext(channel, inbound.label);
  const clientIds = await clientsWith(db, channel.workspaceId, { phone: inbound.from });
  const keyword = keywordOf(inbound.text);
  if (clientIds.length)
    await ingestEvents(db, ctx, {
      events: clientIds.map((clientId, index) => ({
        client_id: clientId,
        type: `${inbound.kind}_inbound`,
        occurred_at: inbound.at.toISOString(),
        // One event per client; the provider's id keeps a retried webhook from adding another.
        reference_id: `${inbound.providerMessageId.slice(0, 150)}${index ? `:${clientId}` : ''}`,
        properties: { text: inbound.text.slice(0, 2000), channel_id: channel.id, provider: channel.provider },
      })),
    });
  if (keyword && clientIds.length)
    await db.transaction(async (tx) => {
      for (const clientId of clientIds)
        await recordConsentChanges(
          tx,
          ctx,
          clientId,
          { [inbound.kind]: keyword === 'opt_in' },
          {
            source: inbound.kind === 'sms' ? 'sms_keyword' : 'provider_webhook',
            evidence: `Replied "${inbound.text.trim().slice(0, 50)}" (${inbound.label} ${inbound.providerMessageId})`,
            ip: null,
          },
        );
    });
  await recordMessageEvent(db, channel.id, inbound.providerMessageId, 'inbound');
  return { duplicate: false, client_ids: clientIds, keyword };
}

/**
 * A bounce, complaint or unsubscribe reported by the email relay: the address goes on the
 * suppression list and the client's email consent is withdrawn.
 */
export async function handleEmailFeedback(
  db: Database,
  suppressions: SuppressionList,
  channel: ChannelRow,
  feedback: { email: string; reason: 'bounce' | 'complaint' | 'unsubscribe'; detail: string; label: string },
) {
  const ctx = webhookContext(channel, feedback.label);
  const clientIds = await clientsWith(db, channel.workspaceId, { email: feedback.email });
  await db.transaction(async (tx) => {
    await suppressions.suppress(tx, channel.workspaceId, 'email', feedback.email, feedback.reason);
    for (const clientId of clientIds)
      await recordConsentChanges(
        tx,
        ctx,
        clientId,
        { email: false },
        {
          source: 'provider_webhook',
          evidence: `${feedback.label}: ${feedback.reason} ${feedback.detail}`.slice(0, 2000),
          ip: null,
        },
      );
  });
  return clientIds;
}
