import { Anchor, Avatar, Badge, Button, Group, Paper, Skeleton, Stack, Table, Text } from '@mantine/core';
import { IconArrowLeft, IconArrowMerge, IconCopyCheck } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { type DuplicateGroup, useDuplicates } from '../../../api/clients';
import { useMe } from '../../../api/me';
import { hasRole } from '../../../lib/roles';
import { DateTime } from '../../../ui/DateTime';
import { EmptyState } from '../../../ui/EmptyState';
import { PageHeader } from '../../../ui/PageHeader';
import { QueryError } from '../../../ui/QueryError';
import { MergeModal } from './MergeModal';

/** Likely duplicates (same email, same phone, or same name and birthday), each group with a Merge action. */
export function DuplicatesPage() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const canMerge = hasRole(me?.role, 'agent');
  const groups = useDuplicates();
  const [merging, setMerging] = useState<DuplicateGroup | null>(null);

  return (
    <>
      <Anchor
        component={Link}
        to="/clients"
        size="sm"
        mb="xs"
        display="inline-flex"
        style={{ alignItems: 'center', gap: 4 }}
      >
        <IconArrowLeft size={14} aria-hidden />
        {t('clients.duplicates.back')}
      </Anchor>
      <PageHeader title={t('clients.duplicates.title')} description={t('clients.duplicates.description')} />
      {groups.error && !groups.data ? (
        <QueryError error={groups.error} onRetry={() => void groups.refetch()} />
      ) : !groups.data ? (
        <Stack>
          <Skeleton h={120} />
          <Skeleton h={120} />
        </Stack>
      ) : groups.data.length === 0 ? (
        <EmptyState
          framed
          icon={IconCopyCheck}
          title={t('clients.duplicates.emptyTitle')}
          description={t('clients.duplicates.emptyText')}
        />
      ) : (
        <Stack>
          <Text size="sm" c="dimmed">
            {t('clients.duplicates.count', { count: groups.data.length })}
          </Text>
          {groups.data.map((group) => (
            <Paper
              key={group.clients.map((client) => client.id).join()}
              withBorder
              radius="md"
              data-testid="duplicate-group"
            >
              <Group justify="space-between" p="sm" gap="sm">
                <Badge variant="light" color="orange" tt="none">
                  {t(`clients.duplicates.reasons.${group.reason}`)}
                </Badge>
                {canMerge ? (
                  <Button
                    size="xs"
                    leftSection={<IconArrowMerge size={14} aria-hidden />}
                    onClick={() => setMerging(group)}
                  >
                    {t('clients.duplicates.merge')}
                  </Button>
                ) : null}
              </Group>
              <Table.ScrollContainer minWidth={640} type="native">
                <Table verticalSpacing={6}>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('clients.columns.name')}</Table.Th>
                      <Table.Th>{t('clients.columns.email')}</Table.Th>
                      <Table.Th>{t('clients.columns.phone')}</Table.Th>
                      <Table.Th>{t('clients.fields.birthday')}</Table.Th>
                      <Table.Th>{t('clients.columns.added')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {group.clients.map((client) => (
                      <Table.Tr key={client.id}>
                        <Table.Td>
                          <Group gap="xs" wrap="nowrap">
                            <Avatar name={client.name} color="initials" size={26} radius="xl" aria-hidden />
                            <Anchor component={Link} to={`/clients/${client.id}`} size="sm" fw={600}>
                              {client.name}
                            </Anchor>
                          </Group>
                        </Table.Td>
                        <Table.Td>{client.email ?? '—'}</Table.Td>
                        <Table.Td>{client.phone ?? '—'}</Table.Td>
                        <Table.Td>{client.birthday ?? '—'}</Table.Td>
                        <Table.Td>
                          <DateTime value={client.created_at} />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            </Paper>
          ))}
        </Stack>
      )}
      <MergeModal group={merging} onClose={() => setMerging(null)} />
    </>
  );
}
