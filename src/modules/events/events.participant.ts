import type { ClientDataParticipant, TimelineItem, TimelineWindow } from '../clients/client-data.ts';
import { lockClients } from './clients.port.ts';
import {
  allEventsOfClient,
  type EventRow,
  eventTimelinePage,
  moveEvents,
  scrubEventsOfClient,
} from './events.repo.ts';
import { rescoreClients, toEventJson } from './events.service.ts';

/** The timeline window as the events participant reads it: `types` (when given) is pushed into SQL. */
export type EventsTimelineWindow = TimelineWindow & { types?: string[] | null };

export function toEventTimelineItem(row: EventRow): TimelineItem {
  return {
    id: row.id,
    kind: 'event',
    type: row.type,
    occurred_at: row.occurredAt.toISOString(),
    actor: null,
    data: {
      amount: row.amount,
      currency: row.currency,
      location_id: row.locationId,
      reference_id: row.referenceId,
      properties: row.properties,
    },
  };
}

/**
 * Events join the client's lifecycle: a merge moves them (and rescores both clients), the GDPR
 * export lists them, an erase strips their free-form properties and outside references while
 * keeping type, date and amount for the business's totals, and the timeline shows them.
 */
export const eventsParticipant: ClientDataParticipant = {
  name: 'events',
  timelineKinds: ['event'],
  async move(tx, workspaceId, fromClientId, toClientId) {
    await lockClients(tx, workspaceId, [fromClientId, toClientId]);
    await moveEvents(tx, workspaceId, fromClientId, toClientId);
    await rescoreClients(tx, workspaceId, [fromClientId, toClientId]);
  },
  async exportFor(db, workspaceId, clientId) {
    return (await allEventsOfClient(db, workspaceId, clientId)).map(toEventJson);
  },
  async erase(tx, workspaceId, clientId) {
    await scrubEventsOfClient(tx, workspaceId, clientId);
  },
  async timeline(db, workspaceId, clientId, window: EventsTimelineWindow) {
    return (await eventTimelinePage(db, workspaceId, clientId, window)).map(toEventTimelineItem);
  },
};
