import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Group,
  Modal,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Tooltip,
  VisuallyHidden,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconInfoCircle, IconPencil, IconPlus, IconTags, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { SwatchColor } from '../../../api/labels';
import { useMe } from '../../../api/me';
import { type Tag, useCreateTag, useDeleteTag, useTags, useUpdateTag } from '../../../api/tags';
import { hasRole } from '../../../lib/roles';
import { useConfirm } from '../../../ui/confirm';
import { EmptyState } from '../../../ui/EmptyState';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { PageHeader } from '../../../ui/PageHeader';
import { QueryError } from '../../../ui/QueryError';
import { SettingsSection } from '../../../ui/SettingsSection';
import { applyServerErrors } from '../../../ui/server-errors';
import { ColorChoice, isSwatch } from '../labels/ColorChoice';

/** Tags with their colors, descriptions and how many clients carry each. */
export function TagsPage() {
  const { t, i18n } = useTranslation();
  const { data: me } = useMe();
  const canCreate = hasRole(me?.role, 'agent');
  const canEdit = hasRole(me?.role, 'marketer');
  const canDelete = hasRole(me?.role, 'admin');
  const tags = useTags();
  const remove = useDeleteTag();
  const confirm = useConfirm();
  const errorMessage = useErrorMessage();
  const [editing, setEditing] = useState<Tag | 'new' | null>(null);
  const list = tags.data ?? [];
  const count = new Intl.NumberFormat(i18n.resolvedLanguage ?? 'en');

  const askDelete = (tag: Tag) =>
    confirm({
      title: t('settings.tags.deleteTitle'),
      message: t('settings.tags.deleteText', { name: tag.name, count: tag.member_count ?? 0 }),
      confirmLabel: t('settings.tags.delete'),
      onConfirm: () =>
        remove.mutate(tag.id, {
          onSuccess: () => notifySuccess(t('settings.tags.deleted', { name: tag.name })),
          onError: (error) => notifyError(errorMessage(error)),
        }),
    });

  const addButton = canCreate ? (
    <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={() => setEditing('new')}>
      {t('settings.tags.add')}
    </Button>
  ) : null;

  return (
    <>
      <PageHeader
        title={t('settings.tags.title')}
        description={t('settings.tags.description')}
        actions={list.length ? addButton : undefined}
      />
      <Stack gap="lg">
        {!canEdit ? (
          <Alert variant="light" color="blue" icon={<IconInfoCircle size={20} aria-hidden />}>
            {canCreate ? t('settings.tags.agentNote') : t('settings.tags.readOnly')}
          </Alert>
        ) : null}
        <SettingsSection
          flush
          title={t('settings.tags.listTitle')}
          description={tags.data ? t('settings.tags.listText', { count: list.length }) : undefined}
        >
          {tags.error && !tags.data ? (
            <QueryError error={tags.error} onRetry={() => void tags.refetch()} />
          ) : tags.data && !list.length ? (
            <EmptyState
              icon={IconTags}
              title={t('settings.tags.emptyTitle')}
              description={t('settings.tags.emptyText')}
            >
              {addButton}
            </EmptyState>
          ) : (
            <Table.ScrollContainer minWidth={600} type="native">
              <Table verticalSpacing="sm" horizontalSpacing="md" aria-busy={tags.isPending}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('settings.tags.name')}</Table.Th>
                    <Table.Th>{t('settings.tags.descriptionField')}</Table.Th>
                    <Table.Th ta="right">{t('settings.tags.members')}</Table.Th>
                    {canEdit || canDelete ? (
                      <Table.Th w={90}>
                        <VisuallyHidden>{t('common.actions')}</VisuallyHidden>
                      </Table.Th>
                    ) : null}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {list.map((tag) => (
                    <Table.Tr key={tag.id}>
                      <Table.Td>
                        <Badge variant="light" color={tag.color} radius="sm" tt="none" size="lg" fw={500}>
                          {tag.name}
                        </Badge>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" c={tag.description ? undefined : 'dimmed'} lineClamp={2}>
                          {tag.description ?? '—'}
                        </Text>
                      </Table.Td>
                      <Table.Td ta="right">
                        <Text size="sm" style={{ fontVariantNumeric: 'tabular-nums' }}>
                          {count.format(tag.member_count ?? 0)}
                        </Text>
                      </Table.Td>
                      {canEdit || canDelete ? (
                        <Table.Td>
                          <Group gap={2} wrap="nowrap" justify="flex-end">
                            {canEdit ? (
                              <Tooltip label={t('settings.tags.edit', { name: tag.name })} withArrow>
                                <ActionIcon
                                  variant="subtle"
                                  color="gray"
                                  onClick={() => setEditing(tag)}
                                  aria-label={t('settings.tags.edit', { name: tag.name })}
                                >
                                  <IconPencil size={18} aria-hidden />
                                </ActionIcon>
                              </Tooltip>
                            ) : null}
                            {canDelete ? (
                              <Tooltip label={t('settings.tags.deleteNamed', { name: tag.name })} withArrow>
                                <ActionIcon
                                  variant="subtle"
                                  color="red"
                                  onClick={() => askDelete(tag)}
                                  aria-label={t('settings.tags.deleteNamed', { name: tag.name })}
                                >
                                  <IconTrash size={18} aria-hidden />
                                </ActionIcon>
                              </Tooltip>
                            ) : null}
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
        <Text size="sm" c="dimmed">
          {t('settings.tags.hint')}{' '}
          <Text component={Link} to="/clients" size="sm" c="var(--mantine-primary-color-filled)">
            {t('settings.tags.hintLink')}
          </Text>
        </Text>
      </Stack>
      <Modal
        opened={editing !== null}
        onClose={() => setEditing(null)}
        title={editing === 'new' ? t('settings.tags.addTitle') : t('settings.tags.editTitle')}
        centered
      >
        {editing !== null ? (
          <TagForm tag={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
        ) : null}
      </Modal>
    </>
  );
}

function TagForm({ tag, onClose }: { tag: Tag | null; onClose: () => void }) {
  const { t } = useTranslation();
  const create = useCreateTag();
  const update = useUpdateTag();
  const errorMessage = useErrorMessage();
  const form = useForm({
    initialValues: {
      name: tag?.name ?? '',
      color: (tag && isSwatch(tag.color) ? tag.color : 'blue') as SwatchColor,
      description: tag?.description ?? '',
    },
    validate: { name: (value) => (value.trim() ? null : t('validation.required')) },
  });
  const submit = form.onSubmit((values) => {
    const body = {
      name: values.name.trim(),
      color: values.color,
      description: values.description.trim() || null,
    };
    const handlers = {
      onSuccess: (saved: Tag) => {
        notifySuccess(
          tag
            ? t('settings.tags.saved', { name: saved.name })
            : t('settings.tags.created', { name: saved.name }),
        );
        onClose();
      },
      onError: (error: unknown) => {
        if (!applyServerErrors(form, error, ['name', 'color', 'description']))
          notifyError(errorMessage(error));
      },
    };
    if (tag) update.mutate({ id: tag.id, patch: body }, handlers);
    else create.mutate(body, handlers);
  });
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <TextInput
          label={t('settings.tags.name')}
          required
          maxLength={64}
          data-autofocus
          {...form.getInputProps('name')}
        />
        <ColorChoice
          label={t('settings.tags.color')}
          value={form.values.color}
          onChange={(color) => form.setFieldValue('color', color)}
        />
        <Textarea
          label={t('settings.tags.descriptionField')}
          description={t('settings.tags.descriptionHelp')}
          autosize
          minRows={2}
          maxLength={500}
          {...form.getInputProps('description')}
        />
        <Text size="sm" c="dimmed">
          {t('settings.labels.preview')}{' '}
          <Badge variant="light" color={form.values.color} radius="sm" tt="none">
            {form.values.name || t('settings.tags.name')}
          </Badge>
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={create.isPending || update.isPending}>
            {tag ? t('common.saveChanges') : t('settings.tags.createSubmit')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
