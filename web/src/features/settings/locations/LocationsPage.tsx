import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Group,
  Modal,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  Textarea,
  TextInput,
  Tooltip,
  VisuallyHidden,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconArchive, IconInfoCircle, IconMapPin, IconPencil, IconPlus } from '@tabler/icons-react';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  type Location,
  useArchiveLocation,
  useCreateLocation,
  useLocations,
  useUpdateLocation,
} from '../../../api/locations';
import { useMe } from '../../../api/me';
import { useWorkspace } from '../../../api/workspace';
import { hasRole } from '../../../lib/roles';
import { timeZoneOptions } from '../../../lib/timezones';
import { useConfirm } from '../../../ui/confirm';
import { EmptyState } from '../../../ui/EmptyState';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { PageHeader } from '../../../ui/PageHeader';
import { QueryError } from '../../../ui/QueryError';
import { SettingsSection } from '../../../ui/SettingsSection';
import { applyServerErrors } from '../../../ui/server-errors';

/** The business's places: a client's home location, where events happen, the time zone of each. */
export function LocationsPage() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, 'admin');
  const [showArchived, setShowArchived] = useState(false);
  const locations = useLocations(showArchived);
  const archive = useArchiveLocation();
  const confirm = useConfirm();
  const errorMessage = useErrorMessage();
  const [editing, setEditing] = useState<Location | 'new' | null>(null);
  const list = locations.data ?? [];
  const activeCount = list.filter((location) => !location.archived_at).length;

  const askArchive = (location: Location) =>
    confirm({
      title: t('settings.locations.archiveTitle'),
      message: t('settings.locations.archiveText', { name: location.name }),
      confirmLabel: t('settings.locations.archive'),
      onConfirm: () =>
        archive.mutate(location.id, {
          onSuccess: () => notifySuccess(t('settings.locations.archived', { name: location.name })),
          onError: (error) => notifyError(errorMessage(error)),
        }),
    });

  const addButton = canEdit ? (
    <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={() => setEditing('new')}>
      {t('settings.locations.add')}
    </Button>
  ) : null;

  return (
    <>
      <PageHeader
        title={t('settings.locations.title')}
        description={t('settings.locations.description')}
        actions={activeCount ? addButton : undefined}
      />
      <Stack gap="lg">
        {!canEdit ? (
          <Alert variant="light" color="blue" icon={<IconInfoCircle size={20} aria-hidden />}>
            {t('settings.locations.readOnly')}
          </Alert>
        ) : null}
        <SettingsSection
          flush
          title={t('settings.locations.listTitle')}
          description={t('settings.locations.listText')}
          action={
            <Switch
              size="sm"
              label={t('settings.locations.showArchived')}
              checked={showArchived}
              onChange={(event) => setShowArchived(event.currentTarget.checked)}
            />
          }
        >
          {locations.error && !locations.data ? (
            <QueryError error={locations.error} onRetry={() => void locations.refetch()} />
          ) : locations.data && !list.length ? (
            <EmptyState
              icon={IconMapPin}
              title={t('settings.locations.emptyTitle')}
              description={t('settings.locations.emptyText')}
            >
              {addButton}
            </EmptyState>
          ) : (
            <Table.ScrollContainer minWidth={640} type="native">
              <Table verticalSpacing="sm" horizontalSpacing="md" aria-busy={locations.isPending}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('settings.locations.name')}</Table.Th>
                    <Table.Th>{t('settings.locations.address')}</Table.Th>
                    <Table.Th>{t('settings.locations.timezone')}</Table.Th>
                    {canEdit ? (
                      <Table.Th w={90}>
                        <VisuallyHidden>{t('common.actions')}</VisuallyHidden>
                      </Table.Th>
                    ) : null}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.map((location) => (
                    <Table.Tr key={location.id}>
                      <Table.Td>
                        <Group gap={6}>
                          <Text size="sm" fw={600}>
                            {location.name}
                          </Text>
                          {location.archived_at ? (
                            <Badge size="xs" variant="outline" color="gray">
                              {t('settings.locations.archivedBadge')}
                            </Badge>
                          ) : null}
                        </Group>
                      </Table.Td>
                      <Table.Td>
                        <Text
                          size="sm"
                          c={location.address ? undefined : 'dimmed'}
                          style={{ whiteSpace: 'pre-line' }}
                        >
                          {location.address ?? '—'}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">
                          {location.timezone?.replaceAll('_', ' ') ?? t('settings.locations.workspaceZone')}
                        </Text>
                      </Table.Td>
                      {canEdit ? (
                        <Table.Td>
                          {location.archived_at ? null : (
                            <Group gap={2} wrap="nowrap" justify="flex-end">
                              <Tooltip
                                label={t('settings.locations.edit', { name: location.name })}
                                withArrow
                              >
                                <ActionIcon
                                  variant="subtle"
                                  color="gray"
                                  onClick={() => setEditing(location)}
                                  aria-label={t('settings.locations.edit', { name: location.name })}
                                >
                                  <IconPencil size={18} aria-hidden />
                                </ActionIcon>
                              </Tooltip>
                              <Tooltip
                                label={t('settings.locations.archiveNamed', { name: location.name })}
                                withArrow
                              >
                                <ActionIcon
                                  variant="subtle"
                                  color="red"
                                  onClick={() => askArchive(location)}
                                  aria-label={t('settings.locations.archiveNamed', { name: location.name })}
                                >
                                  <IconArchive size={18} aria-hidden />
                                </ActionIcon>
                              </Tooltip>
                            </Group>
                          )}
                        </Table.Td>
                      ) : null}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </SettingsSection>
      </Stack>
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing === 'new' ? t('settings.locations.addTitle') : t('settings.locations.editTitle')}
        centered
      >
        {editing !== null ? (
          <LocationForm location={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
        ) : null}
      </Modal>
    </>
  );
}

function LocationForm({ location, onClose }: { location: Location | null; onClose: () => void }) {
  const { t } = useTranslation();
  const workspace = useWorkspace();
  const create = useCreateLocation();
  const update = useUpdateLocation();
  const errorMessage = useErrorMessage();
  const form = useForm({
    initialValues: {
      name: location?.name ?? '',
      address: location?.address ?? '',
      timezone: location ? location.timezone : (workspace.data?.default_timezone ?? null),
    },
    validate: { name: (value) => (value.trim() ? null : t('validation.required')) },
  });
  const zones = useMemo(() => timeZoneOptions(form.values.timezone), [form.values.timezone]);
  const submit = form.onSubmit((values) => {
    const body = {
      name: values.name.trim(),
      address: values.address.trim() || null,
      timezone: values.timezone || null,
    };
    const handlers = {
      onSuccess: (saved: Location) => {
        notifySuccess(
          location
            ? t('settings.locations.saved', { name: saved.name })
            : t('settings.locations.created', { name: saved.name }),
        );
        onClose();
      },
      onError: (error: unknown) => {
        if (!applyServerErrors(form, error, ['name', 'address', 'timezone']))
          notifyError(errorMessage(error));
      },
    };
    if (location) update.mutate({ id: location.id, patch: body }, handlers);
    else create.mutate(body, handlers);
  });
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <TextInput
          label={t('settings.locations.name')}
          placeholder={t('settings.locations.namePlaceholder')}
          required
          maxLength={200}
          data-autofocus
          {...form.getInputProps('name')}
        />
        <Textarea
          label={t('settings.locations.address')}
          autosize
          minRows={2}
          maxLength={500}
          {...form.getInputProps('address')}
        />
        <Select
          label={t('settings.locations.timezone')}
          description={t('settings.locations.timezoneHelp')}
          data={zones}
          searchable
          limit={100}
          clearable
          clearButtonProps={{ 'aria-label': t('common.clear') }}
          nothingFoundMessage={t('common.nothingFound')}
          {...form.getInputProps('timezone')}
        />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={create.isPending || update.isPending}>
            {location ? t('common.saveChanges') : t('settings.locations.createSubmit')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
