import { Badge, Box, Group, Paper, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconSearch, IconUsers } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ClientRow, useClients } from '../../api/clients';
import { type Column, DataTable } from '../../ui/DataTable';
import { DateTime } from '../../ui/DateTime';
import { EmptyState } from '../../ui/EmptyState';
import { ModuleEmptyState } from '../../ui/ModuleEmptyPage';
import { PageHeader } from '../../ui/PageHeader';
import { QueryError } from '../../ui/QueryError';

const SHOWN_TAGS = 3;

function Tags({ tags }: { tags: string[] }) {
  if (!tags.length) return null;
  return (
    <Group gap={4} wrap="nowrap">
      {tags.slice(0, SHOWN_TAGS).map((tag) => (
        <Badge key={tag} size="sm" variant="light" color="gray" radius="sm" tt="none">
          {tag}
        </Badge>
      ))}
      {tags.length > SHOWN_TAGS ? (
        <Text size="xs" c="dimmed">
          +{tags.length - SHOWN_TAGS}
        </Text>
      ) : null}
    </Group>
  );
}

/** Read-only list of the workspace's clients with search; the empty state when there are none. */
export function ClientsPage() {
  const { t } = useTranslation();
  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search.trim(), 300);
  const clients = useClients(debounced);
  const total = clients.data?.total ?? 0;
  const workspaceIsEmpty = !debounced && clients.data && total === 0;

  const columns: Column<ClientRow>[] = [
    {
      key: 'name',
      header: t('clients.columns.name'),
      render: (client) => (
        <Stack gap={0}>
          <Text size="sm" fw={600}>
            {client.name}
          </Text>
          {client.email ? (
            <Text size="xs" c="dimmed">
              {client.email}
            </Text>
          ) : null}
        </Stack>
      ),
    },
    {
      key: 'phone',
      header: t('clients.columns.phone'),
      render: (client) => (
        <Text size="sm" ff="monospace" style={{ whiteSpace: 'nowrap' }}>
          {client.phone ?? '—'}
        </Text>
      ),
    },
    { key: 'tags', header: t('clients.columns.tags'), render: (client) => <Tags tags={client.tags} /> },
    {
      key: 'activity',
      header: t('clients.columns.lastActivity'),
      render: (client) => <DateTime value={client.last_activity_at} empty={t('common.never')} />,
    },
    {
      key: 'created',
      header: t('clients.columns.added'),
      render: (client) => <DateTime value={client.created_at} />,
    },
  ];

  return (
    <>
      <PageHeader title={t('modules.clients.title')} description={t('modules.clients.description')} />
      {clients.error && !clients.data ? (
        <QueryError error={clients.error} onRetry={() => void clients.refetch()} />
      ) : workspaceIsEmpty ? (
        <ModuleEmptyState module="clients" icon={IconUsers} withDocs />
      ) : (
        <Paper withBorder radius="md">
          <Group justify="space-between" p="md" gap="sm">
            <TextInput
              aria-label={t('clients.search')}
              placeholder={t('clients.searchPlaceholder')}
              leftSection={<IconSearch size={16} aria-hidden />}
              value={search}
              onChange={(event) => setSearch(event.currentTarget.value)}
              style={{ flex: '1 1 260px', maxWidth: 420 }}
            />
            {clients.data ? (
              <Text size="sm" c="dimmed" aria-live="polite">
                {debounced ? t('clients.matching', { count: total }) : t('clients.total', { count: total })}
              </Text>
            ) : null}
          </Group>
          <Box style={{ borderTop: '1px solid var(--mantine-color-default-border)' }}>
            <DataTable
              label={t('modules.clients.title')}
              columns={columns}
              rows={clients.data?.items}
              rowKey={(client) => client.id}
              loading={clients.isPending}
              error={clients.error}
              onRetry={() => void clients.refetch()}
              minWidth={760}
              hasMore={clients.hasNextPage}
              loadingMore={clients.isFetchingNextPage}
              onLoadMore={() => void clients.fetchNextPage()}
              empty={
                <EmptyState
                  icon={IconSearch}
                  title={t('clients.noMatchTitle')}
                  description={t('clients.noMatchText', { search: debounced })}
                />
              }
            />
          </Box>
        </Paper>
      )}
    </>
  );
}
