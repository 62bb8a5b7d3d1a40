import { ActionIcon, Anchor, Badge, Button, Paper, Text, Title } from '@mantine/core';
import {
  IconCalendarRepeat,
  IconDownload,
  IconFileExport,
  IconFileImport,
  IconTrash,
  IconUpload,
} from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import {
  type ClientExport,
  type ExportSchedule,
  useDeleteSchedule,
  useExportSchedules,
  useExports,
} from '../../api/exports';
import { type ClientImport, useImports } from '../../api/imports';
import { useConfirmedMutation } from '../../ui/confirm';
import { type Column, DataTable } from '../../ui/DataTable';
import { DateTime } from '../../ui/DateTime';
import { EmptyState } from '../../ui/EmptyState';
import { PageHeader } from '../../ui/PageHeader';
import { STATUS_COLOR } from './ImportRunPage';

/** /imports: past imports, newest first, and the way to start a new one. */
export function ImportsPage() {
  const { t, i18n } = useTranslation();
  const imports = useImports();
  const format = new Intl.NumberFormat(i18n.language);
  const columns: Column<ClientImport>[] = [
    {
      key: 'file',
      header: t('imports.list.file'),
      render: (row) => (
        <Anchor component={Link} to={`/imports/${row.id}`} fw={600}>
          {row.file_name}
        </Anchor>
      ),
    },
    {
      key: 'status',
      header: t('imports.list.status'),
      render: (row) => (
        <Badge variant="light" color={STATUS_COLOR[row.status]}>
          {t(`imports.status.${row.status}`)}
        </Badge>
      ),
    },
    {
      key: 'rows',
      header: t('imports.list.rows'),
      align: 'right',
      render: (row) => format.format(row.processed_rows),
    },
    {
      key: 'result',
      header: t('imports.list.result'),
      render: (row) => (
        <Text size="sm">
          {t('imports.list.summary', {
            created: format.format(row.counts.created),
            updated: format.format(row.counts.updated),
            invalid: format.format(row.counts.invalid + row.counts.suppressed),
          })}
        </Text>
      ),
    },
    {
      key: 'when',
      header: t('imports.list.when'),
      render: (row) => (
        <Text size="sm">
          {row.created_by} · <DateTime value={row.created_at} />
        </Text>
      ),
    },
  ];
  return (
    <>
      <PageHeader
        title={t('imports.title')}
        description={t('imports.description')}
        actions={
          <Button component={Link} to="/imports/new" leftSection={<IconUpload size={16} />}>
            {t('imports.newImport')}
          </Button>
        }
      />
      <Paper withBorder radius="md">
        <DataTable
          label={t('imports.list.label')}
          columns={columns}
          rows={imports.data}
          rowKey={(row) => row.id}
          loading={imports.isLoading}
          error={imports.error}
          onRetry={() => void imports.refetch()}
          rowTestId="import-row"
          empty={
            <EmptyState
              icon={IconFileImport}
              title={t('imports.empty.title')}
              description={t('imports.empty.text')}
            >
              <Button component={Link} to="/imports/new" leftSection={<IconUpload size={16} />}>
                {t('imports.newImport')}
              </Button>
            </EmptyState>
          }
        />
      </Paper>
      <ExportsList />
      <SchedulesList />
    </>
  );
}

const EXPORT_STATUS_COLOR = { queued: 'yellow', running: 'blue', completed: 'teal', failed: 'red' } as const;

/** Past exports with their download links while they last. */
function ExportsList() {
  const { t, i18n } = useTranslation();
  const exportsQuery = useExports();
  const format = new Intl.NumberFormat(i18n.language);
  const columns: Column<ClientExport>[] = [
    {
      key: 'what',
      header: t('exports.list.what'),
      render: (row) => t(`exports.kinds.${row.selection.kind as 'all' | 'ids' | 'filter' | 'segment'}`),
    },
    { key: 'format', header: t('exports.list.format'), render: (row) => row.format.toUpperCase() },
    {
      key: 'rows',
      header: t('exports.list.rows'),
      align: 'right',
      render: (row) => format.format(row.total_rows ?? row.processed_rows),
    },
    {
      key: 'file',
      header: t('exports.list.file'),
      render: (row) =>
        row.download_url ? (
          <Button
            component="a"
            href={row.download_url}
            size="xs"
            variant="light"
            leftSection={<IconDownload size={14} />}
          >
            {t('exports.download')}
          </Button>
        ) : row.status === 'completed' ? (
          <Text size="sm" c="dimmed">
            {t('exports.list.expired')}
          </Text>
        ) : (
          <Badge variant="light" color={EXPORT_STATUS_COLOR[row.status]}>
            {t(`exports.status.${row.status}`)}
          </Badge>
        ),
    },
    {
      key: 'when',
      header: t('exports.list.when'),
      render: (row) => (
        <Text size="sm">
          {row.created_by} · <DateTime value={row.created_at} />
        </Text>
      ),
    },
  ];
  return (
    <>
      <Title order={2} size="h3" mt="xl" mb="sm">
        {t('exports.list.title')}
      </Title>
      <Paper withBorder radius="md">
        <DataTable
          label={t('exports.list.label')}
          columns={columns}
          rows={exportsQuery.data}
          rowKey={(row) => row.id}
          loading={exportsQuery.isLoading}
          error={exportsQuery.error}
          onRetry={() => void exportsQuery.refetch()}
          rowTestId="export-row"
          empty={
            <EmptyState
              icon={IconFileExport}
              title={t('exports.list.title')}
              description={t('exports.list.empty')}
            />
          }
        />
      </Paper>
    </>
  );
}

/** Scheduled exports: when they run, the next file, the latest one, and a way to stop them. */
function SchedulesList() {
  const { t, i18n } = useTranslation();
  const schedules = useExportSchedules();
  const remove = useConfirmedMutation(useDeleteSchedule());
  const hourText = (h: number) => `${String(h).padStart(2, '0')}:00`;
  const dayText = (d: number) =>
    new Intl.DateTimeFormat(i18n.language, { weekday: 'long', timeZone: 'UTC' }).format(
      new Date(Date.UTC(2026, 0, 4 + d)),
    );
  const columns: Column<ExportSchedule>[] = [
    { key: 'name', header: t('exports.schedules.name'), render: (row) => <Text fw={600}>{row.name}</Text> },
    {
      key: 'when',
      header: t('exports.schedules.when'),
      render: (row) =>
        row.frequency === 'weekly'
          ? t('exports.schedules.weeklyAt', { day: dayText(row.weekday ?? 1), hour: hourText(row.hour) })
          : t('exports.schedules.dailyAt', { hour: hourText(row.hour) }),
    },
    {
      key: 'next',
      header: t('exports.schedules.next'),
      render: (row) => <DateTime value={row.next_run_at} />,
    },
    {
      key: 'latest',
      header: t('exports.schedules.latest'),
      render: (row) => {
        const latest = row.past_files.find((f) => f.download_url);
        return latest ? (
          <Button
            component="a"
            href={latest.download_url!}
            size="xs"
            variant="light"
            leftSection={<IconDownload size={14} />}
          >
            {t('exports.download')}
          </Button>
        ) : (
          <Text size="sm" c="dimmed">
            {t('exports.schedules.none')}
          </Text>
        );
      },
    },
    {
      key: 'actions',
      header: '',
      align: 'right',
      render: (row) => (
        <ActionIcon
          variant="subtle"
          color="red"
          aria-label={t('exports.schedules.delete', { name: row.name })}
          onClick={() =>
            remove({
              id: row.id,
              title: t('exports.schedules.deleteTitle'),
              message: t('exports.schedules.deleteMessage'),
              confirmLabel: t('exports.schedules.deleteConfirm'),
              doneMessage: t('exports.schedules.deleted'),
            })
          }
        >
          <IconTrash size={16} />
        </ActionIcon>
      ),
    },
  ];
  return (
    <>
      <Title order={2} size="h3" mt="xl" mb="sm">
        {t('exports.schedules.title')}
      </Title>
      <Paper withBorder radius="md">
        <DataTable
          label={t('exports.schedules.label')}
          columns={columns}
          rows={schedules.data}
          rowKey={(row) => row.id}
          loading={schedules.isLoading}
          error={schedules.error}
          onRetry={() => void schedules.refetch()}
          rowTestId="schedule-row"
          empty={
            <EmptyState
              icon={IconCalendarRepeat}
              title={t('exports.schedules.title')}
              description={t('exports.schedules.empty')}
            />
          }
        />
      </Paper>
    </>
  );
}
