import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Code,
  Group,
  Skeleton,
  Stack,
  Switch,
  Table,
  Text,
  Tooltip,
  VisuallyHidden,
} from '@mantine/core';
import { IconArchive, IconForms, IconInfoCircle, IconPencil, IconPlus } from '@tabler/icons-react';
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
import { useConfirm } from '../../../ui/confirm';
import { EmptyState } from '../../../ui/EmptyState';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { PageHeader } from '../../../ui/PageHeader';
import { QueryError } from '../../../ui/QueryError';
import { RoleBadge } from '../../../ui/RoleBadge';
import { SettingsSection } from '../../../ui/SettingsSection';
import { bySection } from '../../clients/form/values';
import { CustomFieldModal } from './CustomFieldModal';
import { focusMoved, MoveButtons } from './MoveButtons';
import { moveItem } from './order';

/** Custom client fields by section: order, type, who sees and edits them; admins change them. */
export function CustomFieldsPage() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, 'admin');
  const [showArchived, setShowArchived] = useState(false);
  const fields = useCustomFields(showArchived);
  const [editing, setEditing] = useState<CustomField | 'new' | null>(null);
  const active = (fields.data ?? []).filter((field) => !field.archived_at);
  const archived = (fields.data ?? []).filter((field) => field.archived_at);
  const sections = [...new Set(active.map((field) => field.section).filter((s): s is string => Boolean(s)))];

  const addButton = canEdit ? (
    <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={() => setEditing('new')}>
      {t('settings.customFields.add')}
    </Button>
  ) : null;

  return (
    <>
      <PageHeader
        title={t('settings.customFields.title')}
        description={t('settings.customFields.description')}
        actions={active.length ? addButton : undefined}
      />
      <Stack gap="lg">
        {!canEdit ? (
          <Alert variant="light" color="blue" icon={<IconInfoCircle size={20} aria-hidden />}>
            {t('settings.customFields.readOnly')}
          </Alert>
        ) : null}
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
              <FieldTable fields={list} canEdit={canEdit} onEdit={setEditing} />
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
              <FieldTable fields={archived} canEdit={false} onEdit={setEditing} />
            ) : (
              <Text size="sm" c="dimmed" p="md">
                {t('settings.customFields.noArchived')}
              </Text>
            )}
          </SettingsSection>
        ) : null}
      </Stack>
      <CustomFieldModal
        field={editing === 'new' ? null : editing}
        opened={editing !== null}
        onClose={() => setEditing(null)}
        sections={sections}
        nextPosition={(section) =>
          1 +
          Math.max(
            0,
            ...active.filter((field) => (field.section ?? null) === section).map((field) => field.position),
          )
        }
      />
    </>
  );
}

function FieldTable({
  fields,
  canEdit,
  onEdit,
}: {
  fields: CustomField[];
  canEdit: boolean;
  onEdit: (field: CustomField) => void;
}) {
  const { t } = useTranslation();
  const reorder = useReorderCustomFields();
  const archive = useArchiveCustomField();
  const confirm = useConfirm();
  const errorMessage = useErrorMessage();

  const move = (field: CustomField, direction: -1 | 1) => {
    const moves = moveItem(fields, field.id, direction);
    if (!moves.length) return;
    reorder.mutate(moves, {
      onSuccess: () => focusMoved(field.id, direction),
      onError: (error) => notifyError(errorMessage(error)),
    });
  };
  const askArchive = (field: CustomField) =>
    confirm({
      title: t('settings.customFields.archiveTitle'),
      message: t('settings.customFields.archiveText', { label: field.label }),
      confirmLabel: t('settings.customFields.archive'),
      onConfirm: () =>
        archive.mutate(field.id, {
          onSuccess: () => notifySuccess(t('settings.customFields.archived', { label: field.label })),
          onError: (error) => notifyError(errorMessage(error)),
        }),
    });

  return (
    <Table.ScrollContainer minWidth={760} type="native">
      <Table verticalSpacing="sm" horizontalSpacing="md" aria-busy={reorder.isPending}>
        <Table.Thead>
          <Table.Tr>
            {canEdit ? (
              <Table.Th w={70}>
                <VisuallyHidden>{t('settings.order.column')}</VisuallyHidden>
              </Table.Th>
            ) : null}
            <Table.Th>{t('settings.customFields.columns.field')}</Table.Th>
            <Table.Th w={240}>{t('settings.customFields.columns.type')}</Table.Th>
            <Table.Th w={140}>{t('settings.customFields.columns.visible')}</Table.Th>
            <Table.Th w={140}>{t('settings.customFields.columns.editable')}</Table.Th>
            {canEdit ? (
              <Table.Th w={90}>
                <VisuallyHidden>{t('common.actions')}</VisuallyHidden>
              </Table.Th>
            ) : null}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {fields.map((field, index) => (
            <Table.Tr key={field.id} data-testid="custom-field-row">
              {canEdit ? (
                <Table.Td>
                  <MoveButtons
                    id={field.id}
                    name={field.label}
                    first={index === 0}
                    last={index === fields.length - 1}
                    onMove={(direction) => move(field, direction)}
                    disabled={reorder.isPending}
                  />
                </Table.Td>
              ) : null}
              <Table.Td>
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
              </Table.Td>
              <Table.Td>
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
              </Table.Td>
              <Table.Td>
                <RoleBadge role={field.visible_min_role} />
              </Table.Td>
              <Table.Td>
                <RoleBadge role={field.editable_min_role} />
              </Table.Td>
              {canEdit ? (
                <Table.Td>
                  <Group gap={2} wrap="nowrap" justify="flex-end">
                    <Tooltip label={t('settings.customFields.edit', { label: field.label })} withArrow>
                      <ActionIcon
                        variant="subtle"
                        color="gray"
                        onClick={() => onEdit(field)}
                        aria-label={t('settings.customFields.edit', { label: field.label })}
                      >
                        <IconPencil size={18} aria-hidden />
                      </ActionIcon>
                    </Tooltip>
                    <Tooltip
                      label={t('settings.customFields.archiveNamed', { label: field.label })}
                      withArrow
                    >
                      <ActionIcon
                        variant="subtle"
                        color="red"
                        onClick={() => askArchive(field)}
                        aria-label={t('settings.customFields.archiveNamed', { label: field.label })}
                      >
                        <IconArchive size={18} aria-hidden />
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
  );
}
