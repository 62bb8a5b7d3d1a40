import { Badge, Code, Group, Skeleton, Stack, Switch, Text } from '@mantine/core';
import { IconForms } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  type CustomField,
  useArchiveCustomField,
  useCustomFields,
  useReorderCustomFields,
} from '../../../api/custom-fields';
import { useMe } from '../../../api/me';
import { hasRole } from '../../../lib/roles';
import { AddButton, CrudModal, useCrudModal } from '../../../ui/CrudModal';
import { useConfirmedMutation } from '../../../ui/confirm';
import { EmptyState } from '../../../ui/EmptyState';
import { QueryError } from '../../../ui/QueryError';
import { RoleBadge } from '../../../ui/RoleBadge';
import { SettingsCrudTable } from '../../../ui/SettingsCrudTable';
import { SettingsPage } from '../../../ui/SettingsPage';
import { SettingsSection } from '../../../ui/SettingsSection';
import { bySection } from '../../clients/form/values';
import { CustomFieldForm } from './CustomFieldForm';

/** Custom client fields by section: order, type, who sees and edits them; admins change them. */
export function CustomFieldsPage() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, 'admin');
  const [showArchived, setShowArchived] = useState(false);
  const fields = useCustomFields(showArchived);
  const modal = useCrudModal<CustomField>();
  const active = (fields.data ?? []).filter((field) => !field.archived_at);
  const archived = (fields.data ?? []).filter((field) => field.archived_at);
  const sections = [...new Set(active.map((field) => field.section).filter((s): s is string => Boolean(s)))];

  const addButton = canEdit ? (
    <AddButton onClick={modal.openNew}>{t('settings.customFields.add')}</AddButton>
  ) : null;

  return (
    <SettingsPage
      title={t('settings.customFields.title')}
      description={t('settings.customFields.description')}
      actions={active.length ? addButton : undefined}
      readOnlyNote={canEdit ? undefined : t('settings.customFields.readOnly')}
    >
      {fields.error && !fields.data ? (
        <QueryError error={fields.error} onRetry={() => void fields.refetch()} />
      ) : !fields.data ? (
        <Stack>
          <Skeleton h={48} />
          <Skeleton h={160} />
        </Stack>
      ) : active.length === 0 ? (
        <EmptyState
          framed
          icon={IconForms}
          title={t('settings.customFields.emptyTitle')}
          description={t('settings.customFields.emptyText')}
        >
          {addButton}
        </EmptyState>
      ) : (
        bySection(active).map(({ section, fields: list }) => (
          <SettingsSection
            key={section ?? ''}
            flush
            title={section ?? t('settings.customFields.noSection')}
            description={t('settings.customFields.sectionCount', { count: list.length })}
          >
            <FieldTable
              label={section ?? t('settings.customFields.noSection')}
              fields={list}
              canEdit={canEdit}
              onEdit={modal.openEdit}
            />
          </SettingsSection>
        ))
      )}
      {fields.data ? (
        <Group justify="space-between">
          <Switch
            label={t('settings.customFields.showArchived')}
            checked={showArchived}
            onChange={(event) => setShowArchived(event.currentTarget.checked)}
          />
        </Group>
      ) : null}
      {showArchived && fields.data ? (
        <SettingsSection
          flush
          title={t('settings.customFields.archivedTitle')}
          description={t('settings.customFields.archivedText')}
        >
          {archived.length ? (
            <FieldTable
              label={t('settings.customFields.archivedTitle')}
              fields={archived}
              canEdit={false}
              onEdit={modal.openEdit}
            />
          ) : (
            <Text size="sm" c="dimmed" p="md">
              {t('settings.customFields.noArchived')}
            </Text>
          )}
        </SettingsSection>
      ) : null}
      <CrudModal
        modal={modal}
        size="lg"
        addTitle={t('settings.customFields.addTitle')}
        editTitle={t('settings.customFields.editTitle')}
      >
        {(field) => (
          <CustomFieldForm
            field={field}
            onClose={modal.close}
            sections={sections}
            nextPosition={(section) =>
              1 +
              Math.max(
                0,
                ...active
                  .filter((other) => (other.section ?? null) === section)
                  .map((other) => other.position),
              )
            }
          />
        )}
      </CrudModal>
    </SettingsPage>
  );
}

/** One section's fields; archived ones are listed without ordering or actions. */
function FieldTable({
  label,
  fields,
  canEdit,
  onEdit,
}: {
  label: string;
  fields: CustomField[];
  canEdit: boolean;
  onEdit: (field: CustomField) => void;
}) {
  const { t } = useTranslation();
  const reorder = useReorderCustomFields();
  const askArchive = useConfirmedMutation(useArchiveCustomField());

  return (
    <SettingsCrudTable
      label={label}
      items={fields}
      minWidth={760}
      rowTestId="custom-field-row"
      reorder={canEdit ? { mutation: reorder, name: (field) => field.label } : undefined}
      actions={
        canEdit
          ? [
              {
                kind: 'edit',
                label: (field) => t('settings.customFields.edit', { label: field.label }),
                onClick: onEdit,
              },
              {
                kind: 'archive',
                label: (field) => t('settings.customFields.archiveNamed', { label: field.label }),
                onClick: (field) =>
                  askArchive({
                    id: field.id,
                    title: t('settings.customFields.archiveTitle'),
                    message: t('settings.customFields.archiveText', { label: field.label }),
                    confirmLabel: t('settings.customFields.archive'),
                    doneMessage: t('settings.customFields.archived', { label: field.label }),
                  }),
              },
            ]
          : []
      }
      columns={[
        {
          key: 'field',
          header: t('settings.customFields.columns.field'),
          render: (field) => (
            <Stack gap={2}>
              <Group gap={6}>
                <Text size="sm" fw={600}>
                  {field.label}
                </Text>
                {field.required ? (
                  <Badge size="xs" variant="light" color="red">
                    {t('settings.customFields.required')}
                  </Badge>
                ) : null}
                {field.archived_at ? (
                  <Badge size="xs" variant="outline" color="gray">
                    {t('settings.customFields.archivedBadge')}
                  </Badge>
                ) : null}
              </Group>
              <Group gap={6}>
                <Code fz="xs">{field.key}</Code>
                {field.help_text ? (
                  <Text size="xs" c="dimmed" lineClamp={1}>
                    {field.help_text}
                  </Text>
                ) : null}
              </Group>
            </Stack>
          ),
        },
        {
          key: 'type',
          header: t('settings.customFields.columns.type'),
          width: 240,
          render: (field) => (
            <Stack gap={2}>
              <Badge variant="light" color="gray" tt="none" radius="sm">
                {t(`settings.customFields.types.${field.type}`)}
              </Badge>
              {field.options.length ? (
                <Text size="xs" c="dimmed" lineClamp={1} maw={220}>
                  {field.options.join(', ')}
                </Text>
              ) : null}
            </Stack>
          ),
        },
        {
          key: 'visible',
          header: t('settings.customFields.columns.visible'),
          width: 140,
          render: (field) => <RoleBadge role={field.visible_min_role} />,
        },
        {
          key: 'editable',
          header: t('settings.customFields.columns.editable'),
          width: 140,
          render: (field) => <RoleBadge role={field.editable_min_role} />,
        },
      ]}
    />
  );
}
