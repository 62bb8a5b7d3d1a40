import { Badge, Group, Select, Stack, Switch, Text, Textarea, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconMapPin } from '@tabler/icons-react';
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
import { AddButton, CrudFormButtons, CrudModal, useCrudModal, useSaveHandlers } from '../../../ui/CrudModal';
import { useConfirmedMutation } from '../../../ui/confirm';
import { EmptyState } from '../../../ui/EmptyState';
import { SettingsCrudTable } from '../../../ui/SettingsCrudTable';
import { SettingsPage } from '../../../ui/SettingsPage';
import { SettingsSection } from '../../../ui/SettingsSection';

/** The business's places: a client's home location, where events happen, the time zone of each. */
export function LocationsPage() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, 'admin');
  const [showArchived, setShowArchived] = useState(false);
  const locations = useLocations(showArchived);
  const askArchive = useConfirmedMutation(useArchiveLocation());
  const modal = useCrudModal<Location>();
  const list = locations.data ?? [];
  const activeCount = list.filter((location) => !location.archived_at).length;
  const isArchived = (location: Location) => Boolean(location.archived_at);

  const addButton = canEdit ? (
    <AddButton onClick={modal.openNew}>{t('settings.locations.add')}</AddButton>
  ) : null;

  return (
    <SettingsPage
      title={t('settings.locations.title')}
      description={t('settings.locations.description')}
      actions={activeCount ? addButton : undefined}
      readOnlyNote={canEdit ? undefined : t('settings.locations.readOnly')}
    >
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
        <SettingsCrudTable
          label={t('settings.locations.listTitle')}
          items={locations.data}
          error={locations.error}
          onRetry={() => void locations.refetch()}
          empty={
            <EmptyState
              icon={IconMapPin}
              title={t('settings.locations.emptyTitle')}
              description={t('settings.locations.emptyText')}
            >
              {addButton}
            </EmptyState>
          }
          minWidth={640}
          loading={locations.isPending}
          actions={
            canEdit
              ? [
                  {
                    kind: 'edit',
                    label: (location) => t('settings.locations.edit', { name: location.name }),
                    onClick: modal.openEdit,
                    hiddenFor: isArchived,
                  },
                  {
                    kind: 'archive',
                    label: (location) => t('settings.locations.archiveNamed', { name: location.name }),
                    onClick: (location) =>
                      askArchive({
                        id: location.id,
                        title: t('settings.locations.archiveTitle'),
                        message: t('settings.locations.archiveText', { name: location.name }),
                        confirmLabel: t('settings.locations.archive'),
                        doneMessage: t('settings.locations.archived', { name: location.name }),
                      }),
                    hiddenFor: isArchived,
                  },
                ]
              : []
          }
          columns={[
            {
              key: 'name',
              header: t('settings.locations.name'),
              render: (location) => (
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
              ),
            },
            {
              key: 'address',
              header: t('settings.locations.address'),
              render: (location) => (
                <Text
                  size="sm"
                  c={location.address ? undefined : 'dimmed'}
                  style={{ whiteSpace: 'pre-line' }}
                >
                  {location.address ?? '—'}
                </Text>
              ),
            },
            {
              key: 'timezone',
              header: t('settings.locations.timezone'),
              render: (location) => (
                <Text size="sm">
                  {location.timezone?.replaceAll('_', ' ') ?? t('settings.locations.workspaceZone')}
                </Text>
              ),
            },
          ]}
        />
      </SettingsSection>
      <CrudModal
        modal={modal}
        addTitle={t('settings.locations.addTitle')}
        editTitle={t('settings.locations.editTitle')}
      >
        {(location) => <LocationForm location={location} onClose={modal.close} />}
      </CrudModal>
    </SettingsPage>
  );
}

function LocationForm({ location, onClose }: { location: Location | null; onClose: () => void }) {
  const { t } = useTranslation();
  const workspace = useWorkspace();
  const create = useCreateLocation();
  const update = useUpdateLocation();
  const form = useForm({
    initialValues: {
      name: location?.name ?? '',
      address: location?.address ?? '',
      timezone: location ? location.timezone : (workspace.data?.default_timezone ?? null),
    },
    validate: { name: (value) => (value.trim() ? null : t('validation.required')) },
  });
  const zones = useMemo(() => timeZoneOptions(form.values.timezone), [form.values.timezone]);
  const handlers = useSaveHandlers<Location>({
    form,
    fields: ['name', 'address', 'timezone'],
    savedMessage: (saved) =>
      location
        ? t('settings.locations.saved', { name: saved.name })
        : t('settings.locations.created', { name: saved.name }),
    onClose,
  });
  const submit = form.onSubmit((values) => {
    const body = {
      name: values.name.trim(),
      address: values.address.trim() || null,
      timezone: values.timezone || null,
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
        <CrudFormButtons
          editing={Boolean(location)}
          createLabel={t('settings.locations.createSubmit')}
          loading={create.isPending || update.isPending}
          onCancel={onClose}
        />
      </Stack>
    </form>
  );
}
