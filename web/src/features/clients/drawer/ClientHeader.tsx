import {
  ActionIcon,
  Autocomplete,
  Avatar,
  Badge,
  Button,
  Drawer,
  Group,
  Loader,
  Menu,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  Tooltip,
  UnstyledButton,
} from '@mantine/core';
import { IconArchive, IconCheck, IconChevronDown, IconPlus, IconX } from '@tabler/icons-react';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Client, useAddClientTags, useRemoveClientTags, useUpdateClient } from '../../../api/clients';
import { useLabels } from '../../../api/labels';
import { useMe } from '../../../api/me';
import { useTagColors, useTags } from '../../../api/tags';
import { hasRole } from '../../../lib/roles';
import { DateTime } from '../../../ui/DateTime';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { useFormatters } from '../shared/format';
import { RiskBadge } from '../shared/RiskBadge';

/** Avatar, name, how to reach them, and the label (changeable in place). */
export function DrawerTitle({ client }: { client: Client }) {
  const { t } = useTranslation();
  // Opening a client takes the keyboard (and the screen reader) to its name.
  const titleRef = useRef<HTMLHeadingElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: once per client
  useEffect(() => {
    titleRef.current?.focus();
  }, [client.id]);
  const contact = [client.email, client.phone, client.city].filter(Boolean).join(' · ');
  return (
    <Group gap="md" wrap="nowrap" style={{ flex: 1, minWidth: 0 }}>
      <Avatar name={client.name} color="initials" size={56} radius="xl" aria-hidden />
      <Stack gap={4} style={{ minWidth: 0 }}>
        <Group gap="sm" wrap="wrap">
          <Drawer.Title
            ref={titleRef}
            tabIndex={-1}
            fz="h3"
            fw={650}
            style={{ overflowWrap: 'anywhere', outline: 'none' }}
          >
            {client.name}
          </Drawer.Title>
          <LabelPicker client={client} />
          {client.archived_at ? (
            <Tooltip
              label={t('clients.archive.since', {
                date: new Date(client.archived_at).toLocaleDateString(),
                name: client.archived_by ?? '—',
              })}
              withArrow
            >
              <Badge
                color="orange"
                variant="filled"
                radius="sm"
                leftSection={<IconArchive size={12} aria-hidden />}
                data-testid="archived-badge"
              >
                {t('clients.archive.badge')}
              </Badge>
            </Tooltip>
          ) : null}
        </Group>
        {contact ? (
          <Text size="sm" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
            {contact}
          </Text>
        ) : null}
      </Stack>
    </Group>
  );
}

function LabelPicker({ client }: { client: Client }) {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const labels = useLabels();
  const update = useUpdateClient(client.id);
  const errorMessage = useErrorMessage();
  const current = labels.data?.find((label) => label.key === client.label);
  const canEdit = hasRole(me?.role, 'agent');
  const badge = (
    <Badge
      variant={current ? 'light' : 'outline'}
      color={current?.color ?? 'gray'}
      radius="sm"
      tt="none"
      rightSection={canEdit ? <IconChevronDown size={12} aria-hidden /> : undefined}
      style={{ cursor: canEdit ? 'pointer' : undefined }}
    >
      {current?.name ?? client.label ?? t('clients.drawer.noLabel')}
    </Badge>
  );
  if (!canEdit) return client.label ? badge : null;

  const choose = (label: string | null) => {
    if (label === client.label) return;
    update.mutate(
      { label },
      {
        onSuccess: () => notifySuccess(t('clients.drawer.labelChanged')),
        onError: (error) => notifyError(errorMessage(error)),
      },
    );
  };

  return (
    <Menu position="bottom-start" shadow="md" withinPortal>
      <Menu.Target>
        <UnstyledButton
          aria-label={t('clients.drawer.changeLabel', {
            label: current?.name ?? t('clients.drawer.noLabel'),
          })}
        >
          {badge}
        </UnstyledButton>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>{t('clients.fields.label')}</Menu.Label>
        {(labels.data ?? []).map((label) => (
          <Menu.Item
            key={label.id}
            onClick={() => choose(label.key)}
            leftSection={<Badge variant="dot" color={label.color} size="xs" p={0} w={10} aria-hidden />}
            rightSection={label.key === client.label ? <IconCheck size={14} aria-hidden /> : null}
          >
            {label.name}
          </Menu.Item>
        ))}
        <Menu.Divider />
        <Menu.Item
          onClick={() => choose(null)}
          rightSection={!client.label ? <IconCheck size={14} aria-hidden /> : null}
        >
          {t('clients.drawer.noLabel')}
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}

function Stat({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={2}>
      <Text size="xs" c="dimmed" fw={600} tt="uppercase" style={{ letterSpacing: 0.3 }}>
        {label}
      </Text>
      <div>{children}</div>
    </Stack>
  );
}

/** Scores at a glance, then the tags. */
export function ClientSummary({ client }: { client: Client }) {
  const { t } = useTranslation();
  const format = useFormatters();
  return (
    <Stack gap="sm">
      <Paper withBorder radius="md" p="sm">
        <SimpleGrid cols={{ base: 2, xs: 3, sm: 5 }} spacing="sm" verticalSpacing="sm">
          <Stat label={t('clients.columns.risk')}>
            <RiskBadge client={client} size="md" />
          </Stat>
          <Stat label={t('clients.columns.lifetimeValue')}>
            <Text fw={650} style={{ fontVariantNumeric: 'tabular-nums' }}>
              {format.money(client.lifetime_value)}
            </Text>
          </Stat>
          <Stat label={t('clients.columns.bookings')}>
            <Text fw={650}>
              {format.number(client.booking_count)}
              {client.visit_frequency_days ? (
                <Text span size="xs" c="dimmed" fw={400}>
                  {' '}
                  · {t('clients.drawer.every', { count: Math.round(client.visit_frequency_days) })}
                </Text>
              ) : null}
            </Text>
          </Stat>
          <Stat label={t('clients.columns.lastBooking')}>
            <DateTime value={client.last_booking_at} empty={t('common.never')} />
          </Stat>
          <Stat label={t('clients.columns.lastActivity')}>
            <DateTime value={client.last_activity_at} empty={t('common.never')} />
          </Stat>
        </SimpleGrid>
      </Paper>
      <TagEditor client={client} />
    </Stack>
  );
}

/** Tags as colored chips: remove with ×, add by typing (a new name creates the tag). */
function TagEditor({ client }: { client: Client }) {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, 'agent');
  const tags = useTags();
  const colorOf = useTagColors();
  const add = useAddClientTags(client.id);
  const remove = useRemoveClientTags(client.id);
  const errorMessage = useErrorMessage();
  const [adding, setAdding] = useState(false);
  const [value, setValue] = useState('');
  const addButton = useRef<HTMLButtonElement>(null);

  // Picking a suggestion with Enter fires both the option and the key handler: add once.
  const lastSubmit = useRef({ name: '', at: 0 });
  const submit = (raw: string) => {
    const name = raw.trim();
    if (!name) return;
    const now = Date.now();
    if (lastSubmit.current.name === name && now - lastSubmit.current.at < 800) return;
    lastSubmit.current = { name, at: now };
    if (client.tags.some((tag) => tag.toLocaleLowerCase() === name.toLocaleLowerCase())) {
      setValue('');
      return;
    }
    add.mutate([name], {
      onSuccess: () => {
        notifySuccess(t('clients.tags.added', { tag: name }));
        setValue('');
        setAdding(false);
        // Back on "Add tag", so Enter adds another one.
        window.setTimeout(() => addButton.current?.focus(), 0);
      },
      onError: (error) => notifyError(errorMessage(error)),
    });
  };

  const drop = (name: string) =>
    remove.mutate([name], {
      onSuccess: () => notifySuccess(t('clients.tags.removed', { tag: name })),
      onError: (error) => notifyError(errorMessage(error)),
    });

  const suggestions = (tags.data ?? [])
    .map((tag) => tag.name)
    .filter((name) => !client.tags.some((tag) => tag.toLocaleLowerCase() === name.toLocaleLowerCase()));

  return (
    <Group gap={6} wrap="wrap" role="group" aria-label={t('clients.fields.tags')}>
      {client.tags.length === 0 && !adding ? (
        <Text size="sm" c="dimmed">
          {t('clients.tags.none')}
        </Text>
      ) : null}
      {client.tags.map((tag) => (
        <Badge
          key={tag}
          variant="light"
          color={colorOf(tag)}
          radius="sm"
          tt="none"
          size="lg"
          fw={500}
          rightSection={
            canEdit ? (
              <Tooltip label={t('clients.tags.remove', { tag })} withArrow>
                <ActionIcon
                  size="xs"
                  variant="transparent"
                  color={colorOf(tag)}
                  onClick={() => drop(tag)}
                  aria-label={t('clients.tags.remove', { tag })}
                >
                  <IconX size={12} aria-hidden />
                </ActionIcon>
              </Tooltip>
            ) : undefined
          }
        >
          {tag}
        </Badge>
      ))}
      {canEdit ? (
        adding ? (
          <Autocomplete
            size="xs"
            w={200}
            autoFocus
            aria-label={t('clients.tags.addLabel')}
            placeholder={t('clients.tags.placeholder')}
            data={suggestions}
            value={value}
            onChange={setValue}
            onOptionSubmit={(option) => submit(option)}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && !event.nativeEvent.isComposing) {
                event.preventDefault();
                submit(value);
              } else if (event.key === 'Escape') {
                event.stopPropagation();
                setAdding(false);
                setValue('');
                window.setTimeout(() => addButton.current?.focus(), 0);
              }
            }}
            onBlur={() => {
              if (!value.trim()) setAdding(false);
            }}
            rightSection={add.isPending ? <Loader size={14} /> : null}
            maxLength={64}
          />
        ) : (
          <Button
            ref={addButton}
            size="compact-sm"
            variant="subtle"
            leftSection={<IconPlus size={14} aria-hidden />}
            onClick={() => setAdding(true)}
          >
            {t('clients.tags.add')}
          </Button>
        )
      ) : null}
    </Group>
  );
}
