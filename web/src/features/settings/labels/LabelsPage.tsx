import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Code,
  Group,
  Modal,
  Stack,
  Table,
  Text,
  TextInput,
  Tooltip,
  VisuallyHidden,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconBookmark, IconInfoCircle, IconPencil, IconPlus, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
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
import { hasRole } from '../../../lib/roles';
import { useConfirm } from '../../../ui/confirm';
import { EmptyState } from '../../../ui/EmptyState';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { PageHeader } from '../../../ui/PageHeader';
import { QueryError } from '../../../ui/QueryError';
import { SettingsSection } from '../../../ui/SettingsSection';
import { applyServerErrors } from '../../../ui/server-errors';
import { focusMoved, MoveButtons } from '../custom-fields/MoveButtons';
import { moveItem } from '../custom-fields/order';
import { ColorChoice, isSwatch } from './ColorChoice';

function slug(name: string): string {
  const key = name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 41);
  return /^[a-z]/.test(key) ? key : key ? `l_${key}`.slice(0, 41) : '';
}

/** The workspace's client labels (prospect, customer…): name, color and order. */
export function LabelsPage() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, 'admin');
  const labels = useLabels();
  const reorder = useReorderLabels();
  const remove = useDeleteLabel();
  const confirm = useConfirm();
  const errorMessage = useErrorMessage();
  const [editing, setEditing] = useState<Label | 'new' | null>(null);
  const list = labels.data ?? [];

  const askDelete = (label: Label) =>
    confirm({
      title: t('settings.labels.deleteTitle'),
      message: t('settings.labels.deleteText', { name: label.name }),
      confirmLabel: t('settings.labels.delete'),
      onConfirm: () =>
        remove.mutate(label.id, {
          onSuccess: () => notifySuccess(t('settings.labels.deleted', { name: label.name })),
          onError: (error) => notifyError(errorMessage(error)),
        }),
    });

  const addButton = canEdit ? (
    <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={() => setEditing('new')}>
      {t('settings.labels.add')}
    </Button>
  ) : null;

  return (
    <>
      <PageHeader
        title={t('settings.labels.title')}
        description={t('settings.labels.description')}
        actions={list.length ? addButton : undefined}
      />
      <Stack gap="lg">
        {!canEdit ? (
          <Alert variant="light" color="blue" icon={<IconInfoCircle size={20} aria-hidden />}>
            {t('settings.labels.readOnly')}
          </Alert>
        ) : null}
        <SettingsSection
          flush
          title={t('settings.labels.listTitle')}
          description={t('settings.labels.listText')}
        >
          {labels.error && !labels.data ? (
            <QueryError error={labels.error} onRetry={() => void labels.refetch()} />
          ) : labels.data && !list.length ? (
            <EmptyState
              icon={IconBookmark}
              title={t('settings.labels.emptyTitle')}
              description={t('settings.labels.emptyText')}
            >
              {addButton}
            </EmptyState>
          ) : (
            <Table.ScrollContainer minWidth={520} type="native">
              <Table
                verticalSpacing="sm"
                horizontalSpacing="md"
                aria-busy={labels.isPending || reorder.isPending}
              >
                <Table.Thead>
                  <Table.Tr>
                    {canEdit ? (
                      <Table.Th w={70}>
                        <VisuallyHidden>{t('settings.order.column')}</VisuallyHidden>
                      </Table.Th>
                    ) : null}
                    <Table.Th>{t('settings.labels.name')}</Table.Th>
                    <Table.Th>{t('settings.labels.key')}</Table.Th>
                    {canEdit ? (
                      <Table.Th w={90}>
                        <VisuallyHidden>{t('common.actions')}</VisuallyHidden>
                      </Table.Th>
                    ) : null}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.map((label, index) => (
                    <Table.Tr key={label.id}>
                      {canEdit ? (
                        <Table.Td>
                          <MoveButtons
                            id={label.id}
                            name={label.name}
                            first={index === 0}
                            last={index === list.length - 1}
                            disabled={reorder.isPending}
                            onMove={(direction) =>
                              reorder.mutate(moveItem(list, label.id, direction), {
                                onSuccess: () => focusMoved(label.id, direction),
                                onError: (error) => notifyError(errorMessage(error)),
                              })
                            }
                          />
                        </Table.Td>
                      ) : null}
                      <Table.Td>
                        <Badge variant="light" color={label.color} radius="sm" tt="none" size="lg" fw={500}>
                          {label.name}
                        </Badge>
                      </Table.Td>
                      <Table.Td>
                        <Code>{label.key}</Code>
                      </Table.Td>
                      {canEdit ? (
                        <Table.Td>
                          <Group gap={2} wrap="nowrap" justify="flex-end">
                            <Tooltip label={t('settings.labels.edit', { name: label.name })} withArrow>
                              <ActionIcon
                                variant="subtle"
                                color="gray"
                                onClick={() => setEditing(label)}
                                aria-label={t('settings.labels.edit', { name: label.name })}
                              >
                                <IconPencil size={18} aria-hidden />
                              </ActionIcon>
                            </Tooltip>
                            <Tooltip label={t('settings.labels.deleteNamed', { name: label.name })} withArrow>
                              <ActionIcon
                                variant="subtle"
                                color="red"
                                onClick={() => askDelete(label)}
                                aria-label={t('settings.labels.deleteNamed', { name: label.name })}
                              >
                                <IconTrash size={18} aria-hidden />
                              </ActionIcon>
                            </Tooltip>
                          </Group>
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
        title={editing === 'new' ? t('settings.labels.addTitle') : t('settings.labels.editTitle')}
        centered
      >
        {editing !== null ? (
          <LabelForm
            label={editing === 'new' ? null : editing}
            nextPosition={1 + Math.max(-1, ...list.map((label) => label.position))}
            onClose={() => setEditing(null)}
          />
        ) : null}
      </Modal>
    </>
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
  const errorMessage = useErrorMessage();
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
  const submit = form.onSubmit((values) => {
    const handlers = {
      onSuccess: (saved: Label) => {
        notifySuccess(
          label
            ? t('settings.labels.saved', { name: saved.name })
            : t('settings.labels.created', { name: saved.name }),
        );
        onClose();
      },
      onError: (error: unknown) => {
        if (!applyServerErrors(form, error, ['name', 'key', 'color'])) notifyError(errorMessage(error));
      },
    };
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
            if (!label) form.setFieldValue('key', slug(event.currentTarget.value));
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
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={create.isPending || update.isPending}>
            {label ? t('common.saveChanges') : t('settings.labels.createSubmit')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
