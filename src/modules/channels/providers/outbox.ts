import { randomUUID } from 'node:crypto';
import type { ChannelProvider } from '../channel-types.ts';

/**
 * The default channel of every workspace: the message is rendered and stored (the channels
 * service keeps its content for the Outbox page), nothing leaves the machine.
 */
export const outboxProvider: ChannelProvider = {
  id: 'outbox',
  label: 'Outbox (stores, sends nothing)',
  kinds: ['email', 'sms', 'whatsapp'],
  fields: [],
  limits: { ratePerSecond: 1000, dailyCap: null, source: 'local storage only; no provider limit' },
  async send() {
    return { status: 'sent', providerMessageId: `outbox-${randomUUID()}` };
  },
};
