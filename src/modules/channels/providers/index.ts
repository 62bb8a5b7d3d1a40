import type { ChannelProvider, ProviderId } from '../channel-types.ts';
import { evolutionProvider } from './evolution.ts';
import { metaWhatsappProvider } from './meta-whatsapp.ts';
import { outboxProvider } from './outbox.ts';
import { smtpProvider } from './smtp.ts';
import { twilioProvider } from './twilio.ts';

export const PROVIDERS: Record<ProviderId, ChannelProvider> = {
  outbox: outboxProvider,
  smtp: smtpProvider,
  meta_whatsapp: metaWhatsappProvider,
  twilio: twilioProvider,
  evolution: evolutionProvider,
};
