import {
  Alert,
  Button,
  Group,
  Modal,
  MultiSelect,
  Progress,
  SegmentedControl,
  Select,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import { IconDownload } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCustomFields } from '../../api/custom-fields';
import {
  DEFAULT_EXPORT_FIELDS,
  EXPORT_FIELDS,
  type ExportSelection,
  useCreateExport,
  useCreateSchedule,
  useExport,
} from '../../api/exports';
import { DateTime } from '../../ui/DateTime';
import { useErrorMessage } from '../../ui/errors';
import { FileFormatFields, useFileFormat } from './FileFormatFields';

/**
 * What to export (given by the caller: the list's filter or checked rows, or a segment), which
 * fields, which format; then the job's progress and the download link.
 */
export function ExportDialog(props: {
  opened: boolean;
  onClose: () => void;
  selection: ExportSelection;
  /** How many clients the selection holds, when the caller knows. */
  count?: number;
}) {
  const { t, i18n } = useTranslation();
  const errorMessage = useErrorMessage();
  const { data: customFields = [] } = useCustomFields();
  const file = useFileFormat();
  const [fields, setFields] = useState<string[]>([
    ...DEFAULT_EXPORT_FIELDS,
    ...customFields.map((f) => `custom.${f.key}`),
  ]);
  const [exportId, setExportId] = useState<string | null>(null);
  const [repeat, setRepeat] = useState<'once' | 'daily' | 'weekly'>('once');
  const [weekday, setWeekday] = useState('1');
  const [hour, setHour] = useState('7');
  const [name, setName] = useState('');
  const create = useCreateExport();
  const schedule = useCreateSchedule();
  const running = useExport(exportId);
  const job = running.data;
  const close = () => {
    setExportId(null);
    create.reset();
    schedule.reset();
    props.onClose();
  };
  const fieldOptions = [
    {
      group: t('exports.clientFields'),
      items: EXPORT_FIELDS.map((f) => ({ value: f, label: t(`exports.fields.${f}`) })),
    },
    ...(customFields.length
      ? [
          {
            group: t('exports.customFields'),
            items: customFields.map((f) => ({ value: `custom.${f.key}`, label: f.label })),
          },
        ]
      : []),
  ];
  const percent = job?.total_rows ? (job.processed_rows / Math.max(job.total_rows, 1)) * 100 : job ? 5 : 0;
  return (
    <Modal opened={props.opened} onClose={close} title={t('exports.title')} size="lg">
      <Stack>
        {props.count !== undefined ? <Text>{t('exports.count', { count: props.count })}</Text> : null}
        {!exportId ? (
          <>
            <FileFormatFields value={file.value} onChange={file.setValue} />
            <MultiSelect
              label={t('exports.fieldsLabel')}
              data={fieldOptions}
              value={fields}
              onChange={setFields}
              searchable
              clearable
              maxDropdownHeight={280}
            />
            <Stack gap={4}>
              <Text size="sm" fw={500}>
                {t('exports.repeat')}
              </Text>
              <SegmentedControl
                aria-label={t('exports.repeat')}
                value={repeat}
                onChange={(value) => setRepeat(value as typeof repeat)}
                data={[
                  { value: 'once', label: t('exports.once') },
                  { value: 'daily', label: t('exports.daily') },
                  { value: 'weekly', label: t('exports.weekly') },
                ]}
              />
            </Stack>
            {repeat !== 'once' ? (
              <Group grow align="flex-start">
                <TextInput
                  label={t('exports.scheduleName')}
                  required
                  value={name}
                  onChange={(e) => setName(e.currentTarget.value)}
                />
                {repeat === 'weekly' ? (
                  <Select
                    label={t('exports.weekday')}
                    value={weekday}
                    onChange={(v) => setWeekday(v ?? '1')}
                    allowDeselect={false}
                    data={[1, 2, 3, 4, 5, 6, 0].map((d) => ({
                      value: String(d),
                      label: new Intl.DateTimeFormat(i18n.language, {
                        weekday: 'long',
                        timeZone: 'UTC',
                      }).format(new Date(Date.UTC(2026, 0, 4 + d))),
                    }))}
                  />
                ) : null}
                <Select
                  label={t('exports.hour')}
                  value={hour}
                  onChange={(v) => setHour(v ?? '7')}
                  allowDeselect={false}
                  data={Array.from({ length: 24 }, (_, h) => ({
                    value: String(h),
                    label: `${String(h).padStart(2, '0')}:00`,
                  }))}
                />
              </Group>
            ) : null}
            {schedule.data ? (
              <Alert color="teal" role="status">
                {t('exports.scheduled')} <DateTime value={schedule.data.next_run_at} />
              </Alert>
            ) : null}
            {schedule.error ? (
              <Alert color="red" role="alert">
                {errorMessage(schedule.error)}
              </Alert>
            ) : null}
            {create.error ? (
              <Alert color="red" role="alert">
                {errorMessage(create.error)}
              </Alert>
            ) : null}
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                {schedule.data ? t('common.done') : t('common.cancel')}
              </Button>
              <Button
                disabled={!fields.length || (repeat !== 'once' && (!name.trim() || Boolean(schedule.data)))}
                loading={create.isPending || schedule.isPending}
                onClick={() => {
                  const body = {
                    selection: props.selection,
                    fields,
                    ...file.request,
                  };
                  if (repeat === 'once') create.mutate(body, { onSuccess: (row) => setExportId(row.id) });
                  else
                    schedule.mutate({
                      ...body,
                      name: name.trim(),
                      frequency: repeat,
                      hour: Number(hour),
                      ...(repeat === 'weekly' ? { weekday: Number(weekday) } : {}),
                    });
                }}
              >
                {repeat === 'once' ? t('exports.start') : t('exports.schedule')}
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
                ? t('exports.ready', { count: job.processed_rows })
                : job?.status === 'failed'
                  ? (job.error ?? t('errors.generic'))
                  : t('exports.running', { done: job?.processed_rows ?? 0, total: job?.total_rows ?? 0 })}
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
