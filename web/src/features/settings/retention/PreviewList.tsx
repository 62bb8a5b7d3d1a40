import { ScrollArea, Skeleton, Stack, Text } from '@mantine/core';
import { IconUserCheck } from '@tabler/icons-react';
import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';
import type { RetentionPreview } from '../../../api/retention';
import { DataTable } from '../../../ui/DataTable';
import { DateTime } from '../../../ui/DateTime';
import { EmptyState } from '../../../ui/EmptyState';
import { QueryError } from '../../../ui/QueryError';

/** The cut-off date of a preview ("22 November 2024"), in the reader's language. */
export function useCutoffDate() {
  const { i18n } = useTranslation();
  return (preview: RetentionPreview) =>
    dayjs(preview.inactive_since)
      .locale(i18n.resolvedLanguage ?? 'en')
      .format('LL');
}

interface PreviewListProps {
  preview: RetentionPreview | undefined;
  error: unknown;
  onRetry: () => void;
  /** Lead with "N clients would be erased now"; off where the page has just said so. */
  withSummary?: boolean;
}

/**
 * Who a retention of N months would erase now: how many, then the first 200 (least recently
 * active first) with their last activity; an empty state when nobody would be.
 */
export function PreviewList({ preview, error, onRetry, withSummary = true }: PreviewListProps) {
  const { t } = useTranslation();
  const cutoffDate = useCutoffDate();
  if (error && !preview) return <QueryError error={error} onRetry={onRetry} />;
  if (!preview) {
    return (
      <Stack gap="xs" aria-busy>
        <Skeleton h={20} w="60%" />
        <Skeleton h={120} />
      </Stack>
    );
  }
  const date = cutoffDate(preview);
  if (!preview.total) {
    return (
      <EmptyState
        icon={IconUserCheck}
        title={t('settings.retention.nobodyTitle')}
        description={t('settings.retention.nobodyText', { date })}
      />
    );
  }
  return (
    <Stack gap="xs">
      {withSummary ? (
        <Text fw={600}>{t('settings.retention.wouldErase', { count: preview.total, date })}</Text>
      ) : null}
      {preview.total > preview.clients.length ? (
        <Text size="sm" c="dimmed">
          {t('settings.retention.firstOnly', { shown: preview.clients.length, count: preview.total })}
        </Text>
      ) : null}
      {/* Up to 200 rows: the list scrolls inside the dialog so its buttons stay in view. */}
      <ScrollArea.Autosize mah={340} type="auto">
        <DataTable
          label={t('settings.retention.listLabel')}
          minWidth={360}
          rows={preview.clients}
          rowKey={(client) => client.id}
          loading={false}
          error={null}
          empty={null}
          columns={[
            {
              key: 'name',
              header: t('settings.retention.columns.name'),
              render: (client) => (
                <Text size="sm" fw={500}>
                  {client.name || t('settings.retention.noName')}
                </Text>
              ),
            },
            {
              key: 'lastActivity',
              header: t('settings.retention.columns.lastActivity'),
              width: 180,
              render: (client) => <DateTime value={client.last_activity_at} empty={t('common.never')} />,
            },
          ]}
        />
      </ScrollArea.Autosize>
    </Stack>
  );
}
