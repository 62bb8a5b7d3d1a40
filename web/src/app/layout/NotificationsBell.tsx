import {
  ActionIcon,
  Button,
  Group,
  Indicator,
  Popover,
  ScrollArea,
  Stack,
  Text,
  UnstyledButton,
} from '@mantine/core';
import { IconBell, IconMail, IconMailOff } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { type AppNotification, useMarkNotificationsRead, useNotifications } from '../../api/notifications';
import { DateTime } from '../../ui/DateTime';

/** The header's bell: unread count, the latest notifications, open one to go where it points. */
export function NotificationsBell() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [opened, setOpened] = useState(false);
  const list = useNotifications();
  const mark = useMarkNotificationsRead();
  const unread = list.data?.unread_count ?? 0;
  const items = list.data?.notifications ?? [];

  /**
   * A campaign's notice in the reader's language (its stored title is in the workspace's, for the
   * email); any other notice as stored.
   */
  const wording = (item: AppNotification) => {
    const name = item.data?.campaign_name;
    const status = item.data?.status;
    if (typeof name === 'string' && (status === 'failed' || status === 'paused'))
      return {
        title: t(`notifications.campaign.${status}`, { name }),
        body: t('notifications.campaign.open'),
      };
    return { title: item.title, body: item.body };
  };

  const open = (item: AppNotification) => {
    if (!item.read_at) mark.mutate(item.id);
    setOpened(false);
    if (item.link) navigate(item.link);
  };

  return (
    <Popover opened={opened} onChange={setOpened} position="bottom-end" width={360} shadow="md" withArrow>
      <Popover.Target>
        <Indicator label={unread > 99 ? '99+' : unread} size={16} disabled={!unread} offset={4}>
          <ActionIcon
            variant="subtle"
            color="gray"
            size="lg"
            onClick={() => setOpened((o) => !o)}
            aria-label={unread ? t('notifications.openUnread', { count: unread }) : t('notifications.open')}
            aria-expanded={opened}
          >
            <IconBell size={20} aria-hidden />
          </ActionIcon>
        </Indicator>
      </Popover.Target>
      <Popover.Dropdown p={0}>
        <Group justify="space-between" px="md" py="xs">
          <Text fw={600}>{t('notifications.title')}</Text>
          {unread ? (
            <Button
              size="compact-xs"
              variant="subtle"
              onClick={() => mark.mutate(null)}
              loading={mark.isPending}
            >
              {t('notifications.markAllRead')}
            </Button>
          ) : null}
        </Group>
        {items.length === 0 ? (
          <Text size="sm" c="dimmed" px="md" pb="md">
            {t('notifications.empty')}
          </Text>
        ) : (
          <ScrollArea.Autosize mah={420}>
            <Stack gap={0} component="ul" style={{ listStyle: 'none', margin: 0, padding: 0 }}>
              {items.map((item) => (
                <li key={item.id}>
                  <UnstyledButton
                    onClick={() => open(item)}
                    px="md"
                    py="sm"
                    w="100%"
                    style={{
                      borderTop: '1px solid var(--mantine-color-default-border)',
                      background: item.read_at ? undefined : 'var(--mantine-color-blue-light)',
                    }}
                  >
                    <Text size="sm" fw={item.read_at ? 400 : 600}>
                      {wording(item).title}
                    </Text>
                    {wording(item).body ? (
                      <Text size="xs" c="dimmed" lineClamp={2}>
                        {wording(item).body}
                      </Text>
                    ) : null}
                    <Group gap={6} mt={4}>
                      <DateTime value={item.created_at} />
                      {item.email_status === 'sent' ? (
                        <IconMail size={12} aria-label={t('notifications.emailed')} />
                      ) : item.email_status === 'failed' ? (
                        <IconMailOff size={12} aria-label={t('notifications.emailFailed')} color="red" />
                      ) : null}
                    </Group>
                  </UnstyledButton>
                </li>
              ))}
            </Stack>
          </ScrollArea.Autosize>
        )}
      </Popover.Dropdown>
    </Popover>
  );
}
