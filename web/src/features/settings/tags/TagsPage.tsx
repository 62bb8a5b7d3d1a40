import { Badge, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconTags } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import type { SwatchColor } from '../../../api/labels';
import { useMe } from '../../../api/me';
import { type Tag, useCreateTag, useDeleteTag, useTags, useUpdateTag } from '../../../api/tags';
import { hasRole } from '../../../lib/roles';
import { AddButton, CrudFormButtons, CrudModal, useCrudModal, useSaveHandlers } from '../../../ui/CrudModal';
import { useConfirmedMutation } from '../../../ui/confirm';
import { EmptyState } from '../../../ui/EmptyState';
import { type RowAction, SettingsCrudTable } from '../../../ui/SettingsCrudTable';
import { SettingsPage } from '../../../ui/SettingsPage';
import { SettingsSection } from '../../../ui/SettingsSection';
import { ColorChoice, isSwatch } from '../shared/ColorChoice';

/** Tags with their colors, descriptions and how many clients carry each. */
export function TagsPage() {
  const { t, i18n } = useTranslation();
  const { data: me } = useMe();
  const canCreate = hasRole(me?.role, 'agent');
  const canEdit = hasRole(me?.role, 'marketer');
  const canDelete = hasRole(me?.role, 'admin');
  const tags = useTags();
  const askDelete = useConfirmedMutation(useDeleteTag());
  const modal = useCrudModal<Tag>();
  const list = tags.data ?? [];
  const count = new Intl.NumberFormat(i18n.resolvedLanguage ?? 'en');

  const addButton = canCreate ? (
    <AddButton onClick={modal.openNew}>{t('settings.tags.add')}</AddButton>
  ) : null;
  const actions: RowAction<Tag>[] = [];
  if (canEdit)
    actions.push({
      kind: 'edit',
      label: (tag) => t('settings.tags.edit', { name: tag.name }),
      onClick: modal.openEdit,
    });
  if (canDelete)
    actions.push({
      kind: 'delete',
      label: (tag) => t('settings.tags.deleteNamed', { name: tag.name }),
      onClick: (tag) =>
        askDelete({
          id: tag.id,
          title: t('settings.tags.deleteTitle'),
          message: t('settings.tags.deleteText', { name: tag.name, count: tag.member_count ?? 0 }),
          confirmLabel: t('settings.tags.delete'),
          doneMessage: t('settings.tags.deleted', { name: tag.name }),
        }),
    });

  return (
    <SettingsPage
      title={t('settings.tags.title')}
      description={t('settings.tags.description')}
      actions={list.length ? addButton : undefined}
      readOnlyNote={
        canEdit ? undefined : canCreate ? t('settings.tags.agentNote') : t('settings.tags.readOnly')
      }
    >
      <SettingsSection
        flush
        title={t('settings.tags.listTitle')}
        description={tags.data ? t('settings.tags.listText', { count: list.length }) : undefined}
      >
        <SettingsCrudTable
          label={t('settings.tags.listTitle')}
          items={tags.data}
          error={tags.error}
          onRetry={() => void tags.refetch()}
          empty={
            <EmptyState
              icon={IconTags}
              title={t('settings.tags.emptyTitle')}
              description={t('settings.tags.emptyText')}
            >
              {addButton}
            </EmptyState>
          }
          minWidth={600}
          loading={tags.isPending}
          actions={actions}
          columns={[
            {
              key: 'name',
              header: t('settings.tags.name'),
              render: (tag) => (
                <Badge variant="light" color={tag.color} radius="sm" tt="none" size="lg" fw={500}>
                  {tag.name}
                </Badge>
              ),
            },
            {
              key: 'descriptionField',
              header: t('settings.tags.descriptionField'),
              render: (tag) => (
                <Text size="sm" c={tag.description ? undefined : 'dimmed'} lineClamp={2}>
                  {tag.description ?? '—'}
                </Text>
              ),
            },
            {
              key: 'members',
              header: t('settings.tags.members'),
              align: 'right',
              render: (tag) => (
                <Text size="sm" style={{ fontVariantNumeric: 'tabular-nums' }}>
                  {count.format(tag.member_count ?? 0)}
                </Text>
              ),
            },
          ]}
        />
      </SettingsSection>
      <Text size="sm" c="dimmed">
        {t('settings.tags.hint')}{' '}
        <Text component={Link} to="/clients" size="sm" c="var(--mantine-primary-color-filled)">
          {t('settings.tags.hintLink')}
        </Text>
      </Text>
      <CrudModal
        modal={modal}
        addTitle={t('settings.tags.addTitle')}
        editTitle={t('settings.tags.editTitle')}
      >
        {(tag) => <TagForm tag={tag} onClose={modal.close} />}
      </CrudModal>
    </SettingsPage>
  );
}

function TagForm({ tag, onClose }: { tag: Tag | null; onClose: () => void }) {
  const { t } = useTranslation();
  const create = useCreateTag();
  const update = useUpdateTag();
  const form = useForm({
    initialValues: {
      name: tag?.name ?? '',
      color: (tag && isSwatch(tag.color) ? tag.color : 'blue') as SwatchColor,
      description: tag?.description ?? '',
    },
    validate: { name: (value) => (value.trim() ? null : t('validation.required')) },
  });
  const handlers = useSaveHandlers<Tag>({
    form,
    fields: ['name', 'color', 'description'],
    savedMessage: (saved) =>
      tag ? t('settings.tags.saved', { name: saved.name }) : t('settings.tags.created', { name: saved.name }),
    onClose,
  });
  const submit = form.onSubmit((values) => {
    const body = {
      name: values.name.trim(),
      color: values.color,
      description: values.description.trim() || null,
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
        <CrudFormButtons
          editing={Boolean(tag)}
          createLabel={t('settings.tags.createSubmit')}
          loading={create.isPending || update.isPending}
          onCancel={onClose}
        />
      </Stack>
    </form>
  );
}
