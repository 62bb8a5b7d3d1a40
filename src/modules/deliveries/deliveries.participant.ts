import { iso } from '../../platform/http/json.ts';
import type { ClientDataParticipant, TimelineItem, TimelineWindow } from '../clients/client-data.ts';
import {
  allDeliveryRows,
  type DeliveryRow,
  type DeliveryTimelineRow,
  moveDeliveryRows,
  scrubDeliveryRows,
  timelineDeliveryRows,
} from './deliveries.repo.ts';

export function toDeliveryJson(row: DeliveryRow) {
  return {
    id: row.id,
    campaign_id: row.campaignId,
    channel: row.channel,
    address: row.address,
    status: row.status,
    skip_reason: row.skipReason,
    attempts: row.attempts,
    sent_at: row.sentAt ? iso(row.sentAt) : null,
    error: row.error,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

/** One change of a delivery: what the timeline shows and the GDPR export lists per delivery. */
function changeJson(row: DeliveryTimelineRow) {
  return {
    status: row.status,
    at: iso(row.occurredAt),
    /** The skip reason (no_consent…) or the provider's error code. */
    code: row.code,
    message: row.message,
    retried: row.retried,
  };
}

/**
 * One timeline item per status change: kind `message`, type the status reached at that step (one
 * of MESSAGE_STEP_STATUSES). Opens, clicks and replies are events (email_opened, email_clicked,
 * sms_inbound, whatsapp_inbound), in the events stream.
 */
export function toDeliveryTimelineItem(row: DeliveryTimelineRow): TimelineItem {
  return {
    id: row.id,
    kind: 'message',
    type: row.status,
    occurred_at: iso(row.occurredAt),
    actor: null,
    data: {
      ...changeJson(row),
      delivery_id: row.deliveryId,
      step: row.step,
      campaign_id: row.campaignId,
      campaign_name: row.campaignName,
      campaign_deleted: row.campaignDeleted,
      channel: row.channel,
      address: row.address,
      delivery_status: row.deliveryStatus,
      attempts: row.attempts,
    },
  };
}

/**
 * A client's messages in their GDPR export (each delivery with every status it went through, as
 * the timeline shows them) and on their timeline (one item per status change).
 */
export const deliveriesParticipant: ClientDataParticipant = {
  name: 'deliveries',
  timelineKinds: ['message'],
  async move(tx, workspaceId, fromClientId, toClientId) {
    await moveDeliveryRows(tx, workspaceId, fromClientId, toClientId);
  },
  async exportFor(db, workspaceId, clientId) {
    const rows = await allDeliveryRows(db, workspaceId, clientId);
    const window = { before: null, from: null, to: null, limit: null };
    const changes = await timelineDeliveryRows(db, workspaceId, clientId, window);
    const byDelivery = new Map<string, DeliveryTimelineRow[]>();
    for (const change of changes.reverse()) {
      const list = byDelivery.get(change.deliveryId) ?? [];
      list.push(change);
      byDelivery.set(change.deliveryId, list);
    }
    return rows.map((row) => ({
      ...toDeliveryJson(row),
      campaign_name: byDelivery.get(row.id)?.[0]?.campaignName ?? null,
      history: (byDelivery.get(row.id) ?? []).map(changeJson),
    }));
  },
  async erase(tx, workspaceId, clientId) {
    await scrubDeliveryRows(tx, workspaceId, clientId);
  },
  async timeline(db, workspaceId, clientId, window: TimelineWindow & { types?: string[] | null }) {
    return (await timelineDeliveryRows(db, workspaceId, clientId, window)).map(toDeliveryTimelineItem);
  },
};
