import { iso } from '../../platform/http/json.ts';
import type { ClientDataParticipant, TimelineItem } from '../clients/client-data.ts';
import {
  allDeliveryRows,
  type DeliveryRow,
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

/** A client's messages (sent, failed, skipped with the reason) in their GDPR export and timeline. */
export const deliveriesParticipant: ClientDataParticipant = {
  name: 'deliveries',
  timelineKinds: ['message'],
  async move(tx, workspaceId, fromClientId, toClientId) {
    await moveDeliveryRows(tx, workspaceId, fromClientId, toClientId);
  },
  async exportFor(db, workspaceId, clientId) {
    return (await allDeliveryRows(db, workspaceId, clientId)).map(toDeliveryJson);
  },
  async erase(tx, workspaceId, clientId) {
    await scrubDeliveryRows(tx, workspaceId, clientId);
  },
  async timeline(db, workspaceId, clientId, window) {
    return (await timelineDeliveryRows(db, workspaceId, clientId, window)).map(
      (row): TimelineItem => ({
        id: row.id,
        kind: 'message',
        type: row.status,
        occurred_at: iso(row.createdAt),
        actor: null,
        data: toDeliveryJson(row),
      }),
    );
  },
};
