import {
  Badge,
  Button,
  Group,
  Modal,
  Paper,
  Skeleton,
  Stack,
  Switch,
  Table,
  Text,
  Textarea,
  ThemeIcon,
  Title,
  Tooltip,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconInfoCircle } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { CHANNELS, type Channel, type Client } from '../../../api/clients';
import { type ConsentHistoryEntry, useChangeConsent, useConsent } from '../../../api/consent';
import { useMe } from '../../../api/me';
import { hasRole } from '../../../lib/roles';
import { DateTime } from '../../../ui/DateTime';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { QueryError } from '../../../ui/QueryError';
import { useOptionalT } from '../../../ui/useOptionalT';
import { CHANNEL_ICONS } from '../shared/ConsentIcons';
import { RelativeTime } from '../shared/RelativeTime';

interface Pending {
  channel: Channel;
  grant: boolean;
}

/** One switch per channel (granting asks for evidence, withdrawing asks to confirm) and the full history. */
export function ConsentTab({ client }: { client: Client }) {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, 'agent');
  const consent = useConsent(client.id);
  const [pending, setPending] = useState<Pending | null>(null);

  if (consent.error && !consent.data)
    return <QueryError error={consent.error} onRetry={() => void consent.refetch()} />;
  if (!consent.data)
    return (
      <Stack gap="sm" aria-busy="true">
        {CHANNELS.map((channel) => (
          <Skeleton key={channel} h={52} />
        ))}
      </Stack>
    );
  const { history } = consent.data;
  const lastChange = (channel: Channel) => history.find((entry) => entry.channel === channel);

  return (
    <Stack gap="lg">
      <Stack gap="xs">
        {CHANNELS.map((channel) => {
          const granted = consent.data.consent[channel];
          const last = lastChange(channel);
          const ChannelIcon = CHANNEL_ICONS[channel];
          const name = t(`consent.channels.${channel}`);
          return (
            <Paper key={channel} withBorder radius="md" px="md" py="sm">
              <Group justify="space-between" wrap="nowrap" gap="sm">
                <Group gap="sm" wrap="nowrap">
                  <ThemeIcon variant="light" color={granted ? 'teal' : 'gray'} radius="xl" size="lg">
                    <ChannelIcon size={18} aria-hidden />
                  </ThemeIcon>
                  <Stack gap={0}>
                    <Group gap={8}>
                      <Text fw={600} size="sm">
                        {name}
                      </Text>
                      <Badge size="sm" variant="light" color={granted ? 'teal' : 'gray'}>
                        {granted ? t('consent.granted') : last ? t('consent.withdrawn') : t('consent.never')}
                      </Badge>
                    </Group>
                    <Text size="xs" c="dimmed" component="div">
                      {last ? (
                        <Group gap={4}>
                          {granted ? t('consent.grantedSince') : t('consent.withdrawnSince')}{' '}
                          <RelativeTime value={last.occurred_at} />
                        </Group>
                      ) : (
                        t('consent.neverHelp')
                      )}
                    </Text>
                  </Stack>
                </Group>
                <Switch
                  size="md"
                  checked={granted}
                  disabled={!canEdit}
                  onChange={(event) => setPending({ channel, grant: event.currentTarget.checked })}
                  aria-label={t('consent.switchLabel', { channel: name })}
                />
              </Group>
            </Paper>
          );
        })}
        {!canEdit ? (
          <Text size="xs" c="dimmed">
            {t('consent.readOnly')}
          </Text>
        ) : null}
      </Stack>

      <Stack gap="xs">
        <Title order={3} size="h5">
          {t('consent.historyTitle')}
        </Title>
        <Text size="sm" c="dimmed">
          {t('consent.historyText')}
        </Text>
        <ConsentHistory history={history} />
      </Stack>

      <Modal
        opened={pending !== null}
        onClose={() => setPending(null)}
        title={
          pending
            ? t(pending.grant ? 'consent.grantTitle' : 'consent.withdrawTitle', {
                channel: t(`consent.channels.${pending.channel}`),
              })
            : ''
        }
        centered
      >
        {pending ? <ChangeForm client={client} pending={pending} onDone={() => setPending(null)} /> : null}
      </Modal>
    </Stack>
  );
}

function ChangeForm({ client, pending, onDone }: { client: Client; pending: Pending; onDone: () => void }) {
  const { t } = useTranslation();
  const change = useChangeConsent(client.id);
  const errorMessage = useErrorMessage();
  const channel = t(`consent.channels.${pending.channel}`);
  const form = useForm({
    initialValues: { evidence: '' },
    validate: {
      evidence: (value) => (pending.grant && !value.trim() ? t('consent.evidenceRequired') : null),
    },
  });
  const submit = form.onSubmit((values) =>
    change.mutate(
      {
        changes: { [pending.channel]: pending.grant },
        source: 'admin',
        evidence: values.evidence.trim() || null,
      },
      {
        onSuccess: () => {
          notifySuccess(
            t(pending.grant ? 'consent.grantedNotice' : 'consent.withdrawnNotice', {
              channel,
              name: client.name,
            }),
          );
          onDone();
        },
        onError: (error) => notifyError(errorMessage(error)),
      },
    ),
  );
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Text size="sm">
          {pending.grant
            ? t('consent.grantText', { channel, name: client.name })
            : t('consent.withdrawText', { channel, name: client.name })}
        </Text>
        <Textarea
          label={pending.grant ? t('consent.evidence') : t('consent.withdrawReason')}
          description={pending.grant ? t('consent.evidenceHelp') : t('consent.withdrawReasonHelp')}
          placeholder={pending.grant ? t('consent.evidencePlaceholder') : t('consent.withdrawPlaceholder')}
          required={pending.grant}
          autosize
          minRows={2}
          maxLength={2000}
          data-autofocus
          onKeyDown={(event) => {
            if (event.key === 'Enter' && !event.shiftKey) {
              event.preventDefault();
              event.currentTarget.form?.requestSubmit();
            }
          }}
          {...form.getInputProps('evidence')}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" color={pending.grant ? undefined : 'red'} loading={change.isPending}>
            {pending.grant ? t('consent.grantConfirm') : t('consent.withdrawConfirm')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function ConsentHistory({ history }: { history: ConsentHistoryEntry[] }) {
  const { t } = useTranslation();
  const optionalT = useOptionalT();
  if (!history.length)
    return (
      <Text size="sm" c="dimmed">
        {t('consent.historyEmpty')}
      </Text>
    );
  return (
    <Table.ScrollContainer minWidth={640} type="native">
      <Table
        verticalSpacing="xs"
        striped
        aria-label={t('consent.historyTitle')}
        data-testid="consent-history"
      >
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('consent.columns.when')}</Table.Th>
            <Table.Th>{t('consent.columns.channel')}</Table.Th>
            <Table.Th>{t('consent.columns.change')}</Table.Th>
            <Table.Th>{t('consent.columns.source')}</Table.Th>
            <Table.Th>{t('consent.columns.by')}</Table.Th>
            <Table.Th>{t('consent.columns.evidence')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {history.map((entry) => {
            const technical = [
              entry.ip ? t('consent.ip', { ip: entry.ip }) : null,
              entry.user_agent,
              entry.wording_version ? t('consent.wording', { version: entry.wording_version }) : null,
            ].filter(Boolean);
            return (
              <Table.Tr key={entry.id}>
                <Table.Td>
                  <DateTime value={entry.occurred_at} />
                </Table.Td>
                <Table.Td>{t(`consent.channels.${entry.channel}`)}</Table.Td>
                <Table.Td>
                  <Badge
                    size="sm"
                    variant="light"
                    color={entry.granted ? 'teal' : 'red'}
                    style={{ minWidth: 'max-content' }}
                  >
                    {entry.granted ? t('consent.grantedShort') : t('consent.withdrawnShort')}
                  </Badge>
                </Table.Td>
                <Table.Td>{optionalT(`consent.sources.${entry.source}`, entry.source)}</Table.Td>
                <Table.Td>
                  <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                    {entry.actor.label}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Group gap={4} wrap="nowrap" align="flex-start">
                    <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                      {entry.evidence ?? '—'}
                    </Text>
                    {technical.length ? (
                      <Tooltip label={technical.join(' · ')} multiline w={300} withArrow>
                        <ThemeIcon
                          variant="subtle"
                          color="gray"
                          size="sm"
                          tabIndex={0}
                          aria-label={technical.join(' · ')}
                        >
                          <IconInfoCircle size={14} aria-hidden />
                        </ThemeIcon>
                      </Tooltip>
                    ) : null}
                  </Group>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
