import { Badge, Code, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconBookmark } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import {
  type Label,
  type SwatchColor,
  useCreateLabel,
  useDeleteLabel,
  useLabels,
  useReorderLabels,
  useUpdateLabel,
} from '../../../api/labels';
import { useMe } from '../../../api/me';
import { keyFromName } from '../../../lib/keys';
import { hasRole } from '../../../lib/roles';
import { AddButton, CrudFormButtons, CrudModal, useCrudModal, useSaveHandlers } from '../../../ui/CrudModal';
import { useConfirmedMutation } from '../../../ui/confirm';
import { EmptyState } from '../../../ui/EmptyState';
import { SettingsCrudTable } from '../../../ui/SettingsCrudTable';
import { SettingsPage } from '../../../ui/SettingsPage';
import { SettingsSection } from '../../../ui/SettingsSection';
import { ColorChoice, isSwatch } from '../shared/ColorChoice';

/** The server's pattern for label keys: ^[a-z][a-z0-9_-]{0,40}$. */
const KEY_RULES = { prefix: 'l_', maxLength: 41 };

/** The workspace's client labels (prospect, customer…): name, color and order. */
export function LabelsPage() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, 'admin');
  const labels = useLabels();
  const reorder = useReorderLabels();
  const askDelete = useConfirmedMutation(useDeleteLabel());
  const modal = useCrudModal<Label>();
  const list = labels.data ?? [];

  const addButton = canEdit ? (
    <AddButton onClick={modal.openNew}>{t('settings.labels.add')}</AddButton>
  ) : null;

  return (
    <SettingsPage
      title={t('settings.labels.title')}
      description={t('settings.labels.description')}
      actions={list.length ? addButton : undefined}
      readOnlyNote={canEdit ? undefined : t('settings.labels.readOnly')}
    >
      <SettingsSection
        flush
        title={t('settings.labels.listTitle')}
        description={t('settings.labels.listText')}
      >
        <SettingsCrudTable
          label={t('settings.labels.listTitle')}
          items={labels.data}
          error={labels.error}
          onRetry={() => void labels.refetch()}
          empty={
            <EmptyState
              icon={IconBookmark}
              title={t('settings.labels.emptyTitle')}
              description={t('settings.labels.emptyText')}
            >
              {addButton}
            </EmptyState>
          }
          minWidth={520}
          loading={labels.isPending}
          reorder={canEdit ? { mutation: reorder, name: (label) => label.name } : undefined}
          actions={
            canEdit
              ? [
                  {
                    kind: 'edit',
                    label: (label) => t('settings.labels.edit', { name: label.name }),
                    onClick: modal.openEdit,
                  },
                  {
                    kind: 'delete',
                    label: (label) => t('settings.labels.deleteNamed', { name: label.name }),
                    onClick: (label) =>
                      askDelete({
                        id: label.id,
                        title: t('settings.labels.deleteTitle'),
                        message: t('settings.labels.deleteText', { name: label.name }),
                        confirmLabel: t('settings.labels.delete'),
                        doneMessage: t('settings.labels.deleted', { name: label.name }),
                      }),
                  },
                ]
              : []
          }
          columns={[
            {
              key: 'name',
              header: t('settings.labels.name'),
              render: (label) => (
                <Badge variant="light" color={label.color} radius="sm" tt="none" size="lg" fw={500}>
                  {label.name}
                </Badge>
              ),
            },
            { key: 'key', header: t('settings.labels.key'), render: (label) => <Code>{label.key}</Code> },
          ]}
        />
      </SettingsSection>
      <CrudModal
        modal={modal}
        addTitle={t('settings.labels.addTitle')}
        editTitle={t('settings.labels.editTitle')}
      >
        {(label) => (
          <LabelForm
            label={label}
            nextPosition={1 + Math.max(-1, ...list.map((item) => item.position))}
            onClose={modal.close}
          />
        )}
      </CrudModal>
    </SettingsPage>
  );
}

function LabelForm({
  label,
  nextPosition,
  onClose,
}: {
  label: Label | null;
  nextPosition: number;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const create = useCreateLabel();
  const update = useUpdateLabel();
  const form = useForm({
    initialValues: {
      name: label?.name ?? '',
      key: label?.key ?? '',
      color: (label && isSwatch(label.color) ? label.color : 'blue') as SwatchColor,
    },
    validate: {
      name: (value) => (value.trim() ? null : t('validation.required')),
      key: (value) =>
        label || /^[a-z][a-z0-9_-]{0,40}$/.test(value) ? null : t('settings.labels.keyInvalid'),
    },
  });
  const handlers = useSaveHandlers<Label>({
    form,
    fields: ['name', 'key', 'color'],
    savedMessage: (saved) =>
      label
        ? t('settings.labels.saved', { name: saved.name })
        : t('settings.labels.created', { name: saved.name }),
    onClose,
  });
  const submit = form.onSubmit((values) => {
    if (label)
      update.mutate({ id: label.id, patch: { name: values.name.trim(), color: values.color } }, handlers);
    else
      create.mutate(
        { name: values.name.trim(), key: values.key, color: values.color, position: nextPosition },
        handlers,
      );
  });
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <TextInput
          label={t('settings.labels.name')}
          required
          data-autofocus
          {...form.getInputProps('name')}
          onChange={(event) => {
            form.setFieldValue('name', event.currentTarget.value);
            if (!label) form.setFieldValue('key', keyFromName(event.currentTarget.value, KEY_RULES));
          }}
        />
        <TextInput
          label={t('settings.labels.key')}
          description={label ? t('settings.labels.keyFixed') : t('settings.labels.keyHelp')}
          readOnly={Boolean(label)}
          variant={label ? 'filled' : 'default'}
          styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
          {...form.getInputProps('key')}
        />
        <ColorChoice
          label={t('settings.labels.color')}
          value={form.values.color}
          onChange={(color) => form.setFieldValue('color', color)}
        />
        <Text size="sm" c="dimmed">
          {t('settings.labels.preview')}{' '}
          <Badge variant="light" color={form.values.color} radius="sm" tt="none">
            {form.values.name || t('settings.labels.name')}
          </Badge>
        </Text>
        <CrudFormButtons
          editing={Boolean(label)}
          createLabel={t('settings.labels.createSubmit')}
          loading={create.isPending || update.isPending}
          onCancel={onClose}
        />
      </Stack>
    </form>
  );
}
