import { Button, Checkbox, Group, MultiSelect, Paper, Stack, Switch, Text, Title } from '@mantine/core';
import { IconBellRinging } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMembers } from '../../api/members';
import { useSaveSegmentAlert, useSegmentAlert } from '../../api/segment-alerts';
import { DateTime } from '../../ui/DateTime';
import { notifyError, notifySuccess } from '../../ui/notify';

interface AlertPanelProps {
  segmentId: string;
  /** Marketers and up may change alerts; others see them. */
  canEdit: boolean;
}

/**
 * "Tell me when clients enter this segment": who is told, by email too, and on exits too.
 * Checked after every hourly count; the members at the time it is set are the starting point.
 */
export function AlertPanel({ segmentId, canEdit }: AlertPanelProps) {
  const { t } = useTranslation();
  const alert = useSegmentAlert(segmentId);
  const members = useMembers();
  const save = useSaveSegmentAlert(segmentId);
  const [enabled, setEnabled] = useState(false);
  const [userIds, setUserIds] = useState<string[]>([]);
  const [email, setEmail] = useState(false);
  const [onExit, setOnExit] = useState(false);

  useEffect(() => {
    if (alert.data === undefined) return;
    setEnabled(alert.data !== null);
    setUserIds(alert.data?.user_ids ?? []);
    setEmail(alert.data?.email ?? false);
    setOnExit(alert.data?.on_exit ?? false);
  }, [alert.data]);

  const submit = (input: Parameters<typeof save.mutate>[0]) =>
    save.mutate(input, {
      onSuccess: () => notifySuccess(input ? t('segments.alert.saved') : t('segments.alert.removed')),
      onError: (error) => notifyError(error instanceof Error ? error.message : String(error)),
    });

  const options = (members.data ?? []).map((m) => ({ value: m.user_id, label: m.name || m.email }));
  const dirty =
    enabled !== (alert.data !== null) ||
    (alert.data &&
      (alert.data.email !== email ||
        alert.data.on_exit !== onExit ||
        [...alert.data.user_ids].sort().join() !== [...userIds].sort().join()));

  return (
    <Paper withBorder p="md" radius="md" data-testid="segment-alert">
      <Stack gap="sm">
        <Group gap="xs">
          <IconBellRinging size={18} aria-hidden />
          <Title order={3} size="h5">
            {t('segments.alert.title')}
          </Title>
        </Group>
        <Text size="sm" c="dimmed">
          {t('segments.alert.help')}
        </Text>
        <Switch
          label={t('segments.alert.enable')}
          checked={enabled}
          disabled={!canEdit || alert.isLoading}
          onChange={(event) => setEnabled(event.currentTarget.checked)}
        />
        {enabled ? (
          <>
            <MultiSelect
              label={t('segments.alert.who')}
              data={options}
              value={userIds}
              onChange={setUserIds}
              searchable
              disabled={!canEdit}
              description={userIds.length ? undefined : t('segments.alert.whoRequired')}
            />
            <Checkbox
              label={t('segments.alert.email')}
              checked={email}
              disabled={!canEdit}
              onChange={(event) => setEmail(event.currentTarget.checked)}
              description={
                // Known once an alert is saved: the server says whether it can send email at all.
                email && alert.data?.mail_configured === false ? (
                  <Text span size="xs" c="orange.8" data-testid="segment-alert-no-mail">
                    {t('segments.alert.noMail')}
                  </Text>
                ) : undefined
              }
            />
            <Checkbox
              label={t('segments.alert.onExit')}
              checked={onExit}
              disabled={!canEdit}
              onChange={(event) => setOnExit(event.currentTarget.checked)}
            />
          </>
        ) : null}
        {alert.data ? (
          <Text size="xs" c="dimmed">
            {t('segments.alert.tracked', { count: alert.data.members_tracked })}{' '}
            {alert.data.last_checked_at ? (
              <>
                {t('segments.alert.lastChecked')} <DateTime value={alert.data.last_checked_at} />
              </>
            ) : null}
          </Text>
        ) : null}
        {canEdit ? (
          <Group justify="flex-end">
            <Button
              size="xs"
              disabled={!dirty || (enabled && !userIds.length)}
              loading={save.isPending}
              onClick={() => submit(enabled ? { user_ids: userIds, email, on_exit: onExit } : null)}
            >
              {t('segments.alert.save')}
            </Button>
          </Group>
        ) : null}
      </Stack>
    </Paper>
  );
}
