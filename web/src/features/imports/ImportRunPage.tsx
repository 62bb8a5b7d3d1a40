import { Alert, Anchor, Badge, Button, Group, Paper, Progress, Skeleton, Stack, Text } from '@mantine/core';
import { IconArrowBackUp, IconDownload, IconPlayerStop } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useParams } from 'react-router';
import {
  type ClientImport,
  downloadFromApi,
  FINISHED,
  followImport,
  importKeys,
  useCancelImport,
  useImport,
  useUndoImport,
} from '../../api/imports';
import { useConfirm } from '../../ui/confirm';
import { DateTime } from '../../ui/DateTime';
import { useErrorMessage } from '../../ui/errors';
import { notifyError, notifySuccess } from '../../ui/notify';
import { PageHeader } from '../../ui/PageHeader';
import { QueryError } from '../../ui/QueryError';
import { CountCards } from './ImportCounts';

export const STATUS_COLOR: Record<string, string> = {
  uploaded: 'gray',
  queued: 'yellow',
  running: 'blue',
  completed: 'teal',
  failed: 'red',
  cancelled: 'orange',
  undone: 'grape',
};

/** /imports/:id: live progress while it runs (server-sent events), then the result with the error file and Undo. */
export function ImportRunPage() {
  const { t, i18n } = useTranslation();
  const { id } = useParams();
  const location = useLocation();
  const expectedRows = (location.state as { expectedRows?: number | null } | null)?.expectedRows ?? null;
  const queryClient = useQueryClient();
  const query = useImport(id);
  const cancel = useCancelImport();
  const undo = useUndoImport();
  const confirm = useConfirm();
  const errorMessage = useErrorMessage();
  const row = query.data;
  const live = row && !FINISHED.includes(row.status) && row.status !== 'uploaded';

  useEffect(() => {
    if (!id || !live) return;
    return followImport(id, (update: ClientImport) => {
      queryClient.setQueryData(importKeys.one(id), update);
      if (FINISHED.includes(update.status)) void queryClient.invalidateQueries({ queryKey: ['clients'] });
    });
  }, [id, live, queryClient]);

  if (query.error) return <QueryError error={query.error} onRetry={() => void query.refetch()} />;
  if (!row) return <Skeleton height={320} radius="md" />;

  const total = row.total_rows ?? expectedRows;
  const percent = total ? Math.min(100, (row.processed_rows / Math.max(total, 1)) * 100) : null;
  const format = new Intl.NumberFormat(i18n.language);
  const undoable = row.undo_until && new Date(row.undo_until).getTime() > Date.now();
  const problems = row.counts.invalid + row.counts.suppressed;

  return (
    <Stack gap="lg">
      <PageHeader
        title={row.file_name}
        description={
          <Anchor component={Link} to="/imports">
            {t('imports.run.back')}
          </Anchor>
        }
        actions={
          <Badge size="lg" variant="light" color={STATUS_COLOR[row.status]} data-testid="import-status">
            {t(`imports.status.${row.status}`)}
          </Badge>
        }
      />
      {row.status === 'uploaded' ? (
        <Alert color="blue">
          {t('imports.run.notStarted')}{' '}
          <Anchor component={Link} to={`/imports/new?id=${row.id}`}>
            {t('imports.run.continue')}
          </Anchor>
        </Alert>
      ) : null}
      <Paper withBorder radius="md" p="lg">
        <Stack gap="sm">
          <Group justify="space-between">
            <Text fw={600}>
              {total
                ? t('imports.run.progressOf', {
                    done: format.format(row.processed_rows),
                    total: format.format(total),
                  })
                : t('imports.run.progress', { done: format.format(row.processed_rows) })}
            </Text>
            {live ? (
              <Button
                variant="default"
                color="red"
                leftSection={<IconPlayerStop size={16} />}
                loading={cancel.isPending}
                onClick={() =>
                  cancel.mutate(row.id, {
                    onSuccess: () => notifySuccess(t('imports.run.cancelled')),
                    onError: (error) => notifyError(errorMessage(error)),
                  })
                }
              >
                {t('imports.run.cancel')}
              </Button>
            ) : null}
          </Group>
          <Progress
            value={percent ?? (live ? 100 : 0)}
            striped={Boolean(live)}
            animated={Boolean(live)}
            color={row.status === 'failed' ? 'red' : 'blue'}
            aria-label={t('imports.run.progressLabel')}
            size="lg"
          />
          {row.started_at ? (
            <Text size="sm" c="dimmed">
              {t('imports.run.startedBy', { who: row.created_by })} <DateTime value={row.started_at} />
            </Text>
          ) : null}
        </Stack>
      </Paper>
      <CountCards counts={row.counts} />
      {row.error ? (
        <Alert color="red" role="alert">
          {row.error}
        </Alert>
      ) : null}
      {FINISHED.includes(row.status) ? (
        <Group>
          {problems ? (
            <Button
              variant="default"
              leftSection={<IconDownload size={16} />}
              onClick={() =>
                downloadFromApi(`/api/v1/imports/${row.id}/errors.csv`, `import-errors-${row.id}.csv`).catch(
                  (error: unknown) => notifyError(errorMessage(error)),
                )
              }
            >
              {t('imports.run.errorFile', { count: problems })}
            </Button>
          ) : null}
          {undoable && row.status !== 'undone' ? (
            <Button
              color="red"
              variant="light"
              leftSection={<IconArrowBackUp size={16} />}
              loading={undo.isPending}
              onClick={() =>
                confirm({
                  title: t('imports.run.undoTitle'),
                  message: t('imports.run.undoMessage', {
                    created: row.counts.created,
                    updated: row.counts.updated,
                  }),
                  confirmLabel: t('imports.run.undo'),
                  onConfirm: () =>
                    undo.mutate(row.id, {
                      onSuccess: () => notifySuccess(t('imports.run.undone')),
                      onError: (error) => notifyError(errorMessage(error)),
                    }),
                })
              }
            >
              {t('imports.run.undo')}
            </Button>
          ) : null}
          {row.status === 'completed' ? (
            <Button component={Link} to="/clients" variant="subtle">
              {t('imports.run.seeClients')}
            </Button>
          ) : null}
        </Group>
      ) : null}
      {undoable && row.status !== 'undone' ? (
        <Text size="sm" c="dimmed">
          {t('imports.run.undoUntil')} <DateTime value={row.undo_until!} />
        </Text>
      ) : null}
    </Stack>
  );
}
