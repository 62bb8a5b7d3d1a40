import {
  Alert,
  Button,
  Checkbox,
  Group,
  Modal,
  Progress,
  SegmentedControl,
  Stack,
  Text,
} from '@mantine/core';
import { IconDownload } from '@tabler/icons-react';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ExportFormat, type ExportSelection, useCreateExport, useExport } from '../../api/exports';
import { useErrorMessage } from '../../ui/errors';

/**
 * Export of a campaign's recipients or a client's timeline: their columns are fixed, so only the
 * format is chosen; then the job's progress and the download link (as for clients).
 */
export function RecordsExportDialog(props: {
  opened: boolean;
  onClose: () => void;
  selection: Extract<ExportSelection, { kind: 'campaign_recipients' | 'client_timeline' }>;
}) {
  const { t, i18n } = useTranslation();
  const errorMessage = useErrorMessage();
  const formatLabelId = useId();
  const [format, setFormat] = useState<ExportFormat>('csv');
  const [delimiter, setDelimiter] = useState<',' | ';'>(i18n.language !== 'en' ? ';' : ',');
  const [bom, setBom] = useState(true);
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
            <Stack gap={4}>
              <Text size="sm" fw={500} id={formatLabelId}>
                {t('exports.format')}
              </Text>
              <SegmentedControl
                aria-labelledby={formatLabelId}
                value={format}
                onChange={(value) => setFormat(value as ExportFormat)}
                data={[
                  { value: 'csv', label: 'CSV' },
                  { value: 'xlsx', label: 'Excel' },
                  { value: 'json', label: 'JSON' },
                  { value: 'ndjson', label: 'NDJSON' },
                ]}
              />
            </Stack>
            {format === 'csv' ? (
              <Group>
                <SegmentedControl
                  aria-label={t('exports.delimiter')}
                  value={delimiter}
                  onChange={(value) => setDelimiter(value as ',' | ';')}
                  data={[
                    { value: ',', label: t('exports.comma') },
                    { value: ';', label: t('exports.semicolon') },
                  ]}
                />
                <Checkbox
                  label={t('exports.bom')}
                  checked={bom}
                  onChange={(e) => setBom(e.currentTarget.checked)}
                />
              </Group>
            ) : null}
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
                      format,
                      ...(format === 'csv' ? { csv_delimiter: delimiter, bom } : {}),
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
