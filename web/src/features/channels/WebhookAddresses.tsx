import { Accordion, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Channel } from '../../api/channels';
import { CopyValue } from '../../ui/CopyValue';

/** Where to point the provider's webhooks (statuses, replies, bounces), ready to copy. */
export function WebhookAddresses({ channel }: { channel: Channel }) {
  const { t } = useTranslation();
  const origin = window.location.origin;
  const addresses: Array<{ label: string; url: string }> = [];
  if (channel.provider === 'meta_whatsapp')
    addresses.push({ label: t('channelSettings.webhooks.meta'), url: `${origin}/webhooks/meta` });
  if (channel.provider === 'twilio') {
    addresses.push({
      label: t('channelSettings.webhooks.twilioStatus'),
      url: `${origin}/webhooks/twilio/${channel.id}/status`,
    });
    addresses.push({
      label: t('channelSettings.webhooks.twilioInbound'),
      url: `${origin}/webhooks/twilio/${channel.id}/inbound`,
    });
  }
  if (channel.provider === 'evolution')
    addresses.push({
      label: t('channelSettings.webhooks.evolution'),
      url: `${origin}/webhooks/evolution/${channel.id}`,
    });
  if (channel.provider === 'smtp') {
    addresses.push({
      label: t('channelSettings.webhooks.sendgrid'),
      url: `${origin}/webhooks/sendgrid/${channel.id}`,
    });
    addresses.push({ label: t('channelSettings.webhooks.ses'), url: `${origin}/webhooks/ses/${channel.id}` });
  }
  if (!addresses.length) return null;
  return (
    <Accordion variant="contained" chevronPosition="left">
      <Accordion.Item value="webhooks">
        <Accordion.Control>
          <Text size="sm">{t('channelSettings.webhooks.title')}</Text>
        </Accordion.Control>
        <Accordion.Panel>
          <Stack gap="xs">
            {addresses.map((address) => (
              <Stack key={address.url} gap={2}>
                <Text size="xs" c="dimmed">
                  {address.label}
                </Text>
                <CopyValue value={address.url} label={address.label} />
              </Stack>
            ))}
          </Stack>
        </Accordion.Panel>
      </Accordion.Item>
    </Accordion>
  );
}
