import { Anchor, Group, Text } from '@mantine/core';
import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { type Channel, useDeleteChannel } from '../../api/channels';
import { isApiError } from '../../api/client';
import { useBlockedByDialog } from '../../ui/blockedBy';
import { useConfirm } from '../../ui/confirm';
import { useErrorMessage } from '../../ui/errors';
import { notifyError, notifySuccess } from '../../ui/notify';
import { CampaignStatusBadge } from '../campaigns/CampaignStatusBadge';

/** On a channel's card: the campaigns that will still send through it, each a link. */
export function ChannelUsedBy({ channel }: { channel: Channel }) {
  const { t } = useTranslation();
  if (!channel.used_by.length) return null;
  return (
    <Group gap={6} data-testid="channel-used-by">
      <Text size="sm" c="dimmed">
        {t('channelSettings.usedBy', { count: channel.used_by.length })}
      </Text>
      {channel.used_by.map((use, i) => (
        <Text size="sm" key={use.id} span>
          <Anchor component={Link} to={`/campaigns/${use.id}`} size="sm">
            {use.name}
          </Anchor>
          {i < channel.used_by.length - 1 ? ',' : ''}
        </Text>
      ))}
    </Group>
  );
}

/**
 * Delete, asked first. While campaigns will still send through the channel (the server refuses
 * then: each would fail when it next tried to send), say which ones and what to do instead.
 */
export function useAskDeleteChannel() {
  const { t } = useTranslation();
  const confirm = useConfirm();
  const errorMessage = useErrorMessage();
  const blockedBy = useBlockedByDialog();
  const deletion = useDeleteChannel();
  return useCallback(
    (channel: Channel) => {
      if (!channel.used_by.length) {
        confirm({
          title: t('channelSettings.deleteTitle'),
          message: t('channelSettings.deleteText', { name: channel.name }),
          confirmLabel: t('channelSettings.delete'),
          onConfirm: () =>
            deletion.mutate(channel.id, {
              onSuccess: () => notifySuccess(t('channelSettings.deleted', { name: channel.name })),
              onError: (error) =>
                notifyError(
                  // A campaign was scheduled through it since the page was loaded.
                  isApiError(error, 409)
                    ? t('channelSettings.deleteBlockedNotice', { name: channel.name })
                    : errorMessage(error),
                ),
            }),
        });
        return;
      }
      blockedBy({
        title: t('channelSettings.deleteBlockedTitle', { name: channel.name }),
        text: t('channelSettings.deleteBlockedText', { count: channel.used_by.length }),
        testId: 'channel-delete-blocked',
        items: channel.used_by.map((use) => ({
          key: use.id,
          label: use.name,
          href: `/campaigns/${use.id}`,
          badge: <CampaignStatusBadge status={use.status} />,
        })),
      });
    },
    [t, confirm, errorMessage, deletion, blockedBy],
  );
}
