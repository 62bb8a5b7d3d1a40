import { Group, ThemeIcon, Tooltip } from '@mantine/core';
import { type Icon, IconBell, IconBrandWhatsapp, IconMail, IconMessage } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { CHANNELS, type Channel, type ConsentState } from '../../../api/clients';

export const CHANNEL_ICONS: Record<Channel, Icon> = {
  email: IconMail,
  sms: IconMessage,
  whatsapp: IconBrandWhatsapp,
  push: IconBell,
};

/** One icon per channel: colored when the client agreed to hear from us there, faint when not. */
export function ConsentIcons({ consent }: { consent: ConsentState }) {
  const { t } = useTranslation();
  return (
    <Group gap={2} wrap="nowrap">
      {CHANNELS.map((channel) => {
        const ChannelIcon = CHANNEL_ICONS[channel];
        const granted = consent[channel];
        const label = t(granted ? 'consent.iconGranted' : 'consent.iconMissing', {
          channel: t(`consent.channels.${channel}`),
        });
        return (
          <Tooltip key={channel} label={label} withArrow>
            <ThemeIcon
              size={20}
              radius="xl"
              variant={granted ? 'light' : 'subtle'}
              color={granted ? 'teal' : 'gray'}
              style={granted ? undefined : { opacity: 0.45 }}
              role="img"
              aria-label={label}
            >
              <ChannelIcon size={14} aria-hidden />
            </ThemeIcon>
          </Tooltip>
        );
      })}
    </Group>
  );
}
