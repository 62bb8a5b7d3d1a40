import { Anchor, Badge, Button, Group, Paper, Stack, Table, Text } from '@mantine/core';
import { IconShieldCheck } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { usePrivacyRequests, useResolvePrivacyRequest } from '../../api/forms';
import { DateTime } from '../../ui/DateTime';
import { EmptyState } from '../../ui/EmptyState';
import { useErrorMessage } from '../../ui/errors';
import { notifyError, notifySuccess } from '../../ui/notify';
import { PageHeader } from '../../ui/PageHeader';
import { QueryError } from '../../ui/QueryError';

/** Clients' GDPR requests from the preference page, nearest legal deadline (one month) first. */
export function PrivacyRequestsPage() {
  const { t } = useTranslation();
  const requests = usePrivacyRequests();
  const resolve = useResolvePrivacyRequest();
  const errorMessage = useErrorMessage();
  const mark = (id: string, status: 'open' | 'done' | 'rejected') =>
    resolve.mutate(
      { id, status },
      {
        onSuccess: () => notifySuccess(t('privacyRequests.updated')),
        onError: (e) => notifyError(errorMessage(e)),
      },
    );
  return (
    <Stack>
      <PageHeader title={t('privacyRequests.title')} description={t('privacyRequests.description')} />
      {requests.isError ? <QueryError error={requests.error} onRetry={() => requests.refetch()} /> : null}
      {requests.data && requests.data.length === 0 ? (
        <EmptyState
          icon={IconShieldCheck}
          title={t('privacyRequests.emptyTitle')}
          description={t('privacyRequests.emptyText')}
          framed
        />
      ) : null}
      {requests.data && requests.data.length > 0 ? (
        <Paper withBorder radius="md">
          <Table verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('privacyRequests.kind')}</Table.Th>
                <Table.Th>{t('privacyRequests.client')}</Table.Th>
                <Table.Th>{t('privacyRequests.requested')}</Table.Th>
                <Table.Th>{t('privacyRequests.due')}</Table.Th>
                <Table.Th>{t('privacyRequests.status')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {requests.data.map((r) => (
                <Table.Tr key={r.id}>
                  <Table.Td>{t(`privacyRequests.kinds.${r.kind}`)}</Table.Td>
                  <Table.Td>
                    <Anchor component={Link} to={`/clients/${r.client_id}`}>
                      {t('privacyRequests.openClient')}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <DateTime value={r.requested_at} />
                  </Table.Td>
                  <Table.Td>
                    <Group gap="xs">
                      <DateTime value={r.due_at} />
                      {r.overdue ? <Badge color="red">{t('privacyRequests.overdue')}</Badge> : null}
                    </Group>
                  </Table.Td>
                  <Table.Td>
                    <Badge
                      variant="light"
                      color={r.status === 'open' ? 'orange' : r.status === 'done' ? 'teal' : 'gray'}
                    >
                      {t(`privacyRequests.statuses.${r.status}`)}
                    </Badge>
                    {r.resolved_by ? (
                      <Text size="xs" c="dimmed">
                        {r.resolved_by}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>
                    <Group gap="xs" justify="flex-end">
                      {r.status === 'open' ? (
                        <>
                          <Button size="xs" onClick={() => mark(r.id, 'done')}>
                            {t('privacyRequests.markDone')}
                          </Button>
                          <Button size="xs" variant="default" onClick={() => mark(r.id, 'rejected')}>
                            {t('privacyRequests.reject')}
                          </Button>
                        </>
                      ) : (
                        <Button size="xs" variant="subtle" onClick={() => mark(r.id, 'open')}>
                          {t('privacyRequests.reopen')}
                        </Button>
                      )}
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
