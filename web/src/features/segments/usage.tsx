import { Group, Text } from '@mantine/core';
import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import { isApiError } from '../../api/client';
import type { Segment, SegmentUse } from '../../api/segments';
import { useBlockedByDialog } from '../../ui/blockedBy';
import { useConfirm } from '../../ui/confirm';
import { DateTime } from '../../ui/DateTime';
import { useErrorMessage } from '../../ui/errors';
import { notifyError } from '../../ui/notify';

/** How a use reads: a campaign by its name, a bulk action by what it did ("Add tags"). */
export function useUseLabel() {
  const { t } = useTranslation();
  return useCallback(
    (use: SegmentUse) =>
      use.type === 'bulk_action'
        ? t('segments.usage.bulkAction', { action: t(`bulk.action.${use.name}`, { defaultValue: use.name }) })
        : use.name,
    [t],
  );
}

/**
 * Archive, asked first. While a campaign or a bulk action still has to read the segment's members
 * (the server refuses then: they would fail later), say which ones instead of offering to archive.
 */
export function useAskToArchive() {
  const { t } = useTranslation();
  const confirm = useConfirm();
  const label = useUseLabel();
  const errorMessage = useErrorMessage();
  const blockedBy = useBlockedByDialog();
  return useCallback(
    (segment: Segment, archive: (onError: (error: unknown) => void) => void) => {
      const onError = (error: unknown) =>
        notifyError(
          isApiError(error, 409)
            ? t('segments.archive.blockedNotice', { name: segment.name })
            : errorMessage(error),
        );
      const pending = segment.used_by.filter((use) => use.pending);
      if (!pending.length) {
        confirm({
          title: t('segments.archive.title'),
          message: t('segments.archive.text', { name: segment.name }),
          confirmLabel: t('segments.archive.confirm'),
          onConfirm: () => archive(onError),
        });
        return;
      }
      blockedBy({
        title: t('segments.archive.blockedTitle'),
        text: t('segments.archive.blockedText', { name: segment.name }),
        testId: 'segment-archive-blocked',
        items: pending.map((use) => ({
          key: use.id,
          label: label(use),
          href: use.type === 'campaign' ? `/campaigns/${use.id}` : null,
        })),
      });
    },
    [t, confirm, label, errorMessage, blockedBy],
  );
}

/** A duplicate's name in the user's language, within the API's 200 characters. */
export function useCopyName() {
  const { t } = useTranslation();
  return useCallback((name: string) => t('segments.copyName', { name }).slice(0, 200), [t]);
}

/** Under a saved segment's title: what uses it (pending ones marked) and when it was last used. */
export function UsedByLine({ segment }: { segment: Segment }) {
  const { t } = useTranslation();
  const label = useUseLabel();
  if (!segment.used_by.length && !segment.last_used_at) return null;
  const names = segment.used_by.map((use) =>
    use.pending ? t('segments.usage.pending', { name: label(use) }) : label(use),
  );
  return (
    <Group gap={6} mb="md" data-testid="segment-used-by">
      {names.length ? (
        <Text size="sm" c="dimmed">
          {t('segments.usage.usedBy', { names: names.join(', ') })}
        </Text>
      ) : null}
      {segment.last_used_at ? (
        <Text size="sm" c="dimmed" span>
          {names.length ? '· ' : ''}
          {t('segments.usage.lastUsed')} <DateTime value={segment.last_used_at} />
        </Text>
      ) : null}
    </Group>
  );
}
