import { Alert, Button, Group, Modal, Progress, Stack, Text } from '@mantine/core';
import { IconDownload } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ExportSelection, useCreateExport, useExport } from '../../api/exports';
import { useErrorMessage } from '../../ui/errors';
import { FileFormatFields, useFileFormat } from './FileFormatFields';

/**
 * Export of a campaign's recipients or a client's timeline: their columns are fixed, so only the
 * format is chosen; then the job's progress and the download link (as for clients).
 */
export function RecordsExportDialog(props: {
  opened: boolean;
  onClose: () => void;
  selection: Extract<ExportSelection, { kind: 'campaign_recipients' | 'client_timeline' }>;
}) {
  const { t } = useTranslation();
  const errorMessage = useErrorMessage();
  const file = useFileFormat();
  const [exportId, setExportId] = useState<string | null>(null);
  const create = useCreateExport();
  const job = useExport(exportId).data;
  const close = () => {
    setExportId(null);
    create.reset();
    props.onClose();
  };
  const percent = job?.total_rows ? (job.processed_rows / Math.max(job.total_rows, 1)) * 100 : job ? 5 : 0;
  const title =
    props.selection.kind === 'campaign_recipients'
      ? t('exports.recipientsTitle')
      : t('exports.timelineTitle');
  return (
    <Modal opened={props.opened} onClose={close} title={title}>
      <Stack>
        {!exportId ? (
          <>
            <Text size="sm" c="dimmed">
              {props.selection.kind === 'campaign_recipients'
                ? t('exports.recipientsHint')
                : t('exports.timelineHint')}
            </Text>
            <FileFormatFields value={file.value} onChange={file.setValue} />
            {create.error ? (
              <Alert color="red" role="alert">
                {errorMessage(create.error)}
              </Alert>
            ) : null}
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                {t('common.cancel')}
              </Button>
              <Button
                loading={create.isPending}
                onClick={() =>
                  create.mutate(
                    {
                      selection: props.selection,
                      ...file.request,
                    },
                    { onSuccess: (row) => setExportId(row.id) },
                  )
                }
              >
                {t('exports.start')}
              </Button>
            </Group>
          </>
        ) : (
          <Stack>
            <Progress
              value={job?.status === 'completed' ? 100 : percent}
              animated={job?.status !== 'completed'}
              aria-label={t('exports.progress')}
            />
            <Text size="sm" c="dimmed">
              {job?.status === 'completed'
                ? t('exports.rowsReady', { count: job.processed_rows })
                : job?.status === 'failed'
                  ? (job.error ?? t('errors.generic'))
                  : t('exports.rowsRunning', { done: job?.processed_rows ?? 0 })}
            </Text>
            <Group justify="flex-end">
              {job?.download_url ? (
                <Button component="a" href={job.download_url} leftSection={<IconDownload size={16} />}>
                  {t('exports.download')}
                </Button>
              ) : null}
              <Button variant="default" onClick={close}>
                {t('common.done')}
              </Button>
            </Group>
          </Stack>
        )}
      </Stack>
    </Modal>
  );
}
