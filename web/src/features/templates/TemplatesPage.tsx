import { ActionIcon, Badge, Button, Group, Paper, Stack, Table, Text, Tooltip } from '@mantine/core';
import { IconPencil, IconPlus, IconTemplate, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useMe } from '../../api/me';
import { type MessageTemplate, useDeleteTemplate, useTemplates } from '../../api/templates';
import { hasRole } from '../../lib/roles';
import { useConfirmedMutation } from '../../ui/confirm';
import { DateTime } from '../../ui/DateTime';
import { EmptyState } from '../../ui/EmptyState';
import { PageHeader } from '../../ui/PageHeader';
import { QueryError } from '../../ui/QueryError';
import { TemplateEditor } from './TemplateEditor';

type Editing = { template: MessageTemplate | null } | null;

export function TemplatesPage() {
  const { t } = useTranslation();
  const templates = useTemplates();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, 'marketer');
  const [editing, setEditing] = useState<Editing>(null);
  const remove = useConfirmedMutation(useDeleteTemplate());

  if (editing)
    return (
      <TemplateEditor
        key={editing.template?.id ?? 'new'}
        template={editing.template}
        canEdit={canEdit}
        onClose={() => setEditing(null)}
        onSaved={(template) => setEditing({ template })}
      />
    );

  const newButton = canEdit ? (
    <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing({ template: null })}>
      {t('templates.new')}
    </Button>
  ) : null;

  return (
    <Stack>
      <PageHeader
        title={t('modules.templates.title')}
        description={t('modules.templates.description')}
        actions={newButton}
      />
      {templates.isError ? <QueryError error={templates.error} onRetry={() => templates.refetch()} /> : null}
      {templates.data && templates.data.length === 0 ? (
        <EmptyState
          icon={IconTemplate}
          title={t('modules.templates.emptyTitle')}
          description={t('modules.templates.emptyText')}
          framed
        >
          {newButton}
        </EmptyState>
      ) : null}
      {templates.data && templates.data.length > 0 ? (
        <Paper withBorder radius="md">
          <Table highlightOnHover verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('templates.name')}</Table.Th>
                <Table.Th>{t('templates.channel')}</Table.Th>
                <Table.Th>{t('templates.objective')}</Table.Th>
                <Table.Th>{t('templates.usage')}</Table.Th>
                <Table.Th>{t('templates.lastUsed')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {templates.data.map((template) => (
                <Table.Tr key={template.id}>
                  <Table.Td>
                    <Text fw={500}>{template.name}</Text>
                    {template.subject ? (
                      <Text size="sm" c="dimmed" lineClamp={1}>
                        {template.subject}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      <Badge variant="light">{t(`templates.channels.${template.channel}`)}</Badge>
                      {template.marketing ? null : (
                        <Badge variant="outline" color="gray">
                          {t('templates.transactional')}
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td>{template.objective ?? '—'}</Table.Td>
                  <Table.Td>{template.usage_count}</Table.Td>
                  <Table.Td>
                    {template.last_used_at ? (
                      <DateTime value={template.last_used_at} />
                    ) : (
                      t('templates.never')
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4} justify="flex-end" wrap="nowrap">
                      <Tooltip label={canEdit ? t('templates.edit') : t('templates.open')}>
                        <ActionIcon
                          variant="subtle"
                          aria-label={`${t('templates.edit')}: ${template.name}`}
                          onClick={() => setEditing({ template })}
                        >
                          <IconPencil size={16} />
                        </ActionIcon>
                      </Tooltip>
                      {canEdit ? (
                        <Tooltip label={t('templates.delete')}>
                          <ActionIcon
                            variant="subtle"
                            color="red"
                            aria-label={`${t('templates.delete')}: ${template.name}`}
                            onClick={() =>
                              remove({
                                id: template.id,
                                title: t('templates.deleteTitle'),
                                message: t('templates.deleteMessage', { name: template.name }),
                                confirmLabel: t('templates.delete'),
                                doneMessage: t('templates.deleted'),
                              })
                            }
                          >
                            <IconTrash size={16} />
                          </ActionIcon>
                        </Tooltip>
                      ) : null}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Paper>
      ) : null}
    </Stack>
  );
}
