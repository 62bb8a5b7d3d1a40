import { Text } from '@mantine/core';
import { modals } from '@mantine/modals';
import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';

interface ConfirmOptions {
  title: string;
  message: string;
  confirmLabel: string;
  onConfirm: () => void;
}

/** Asks before a destructive action; Escape or Cancel does nothing. */
export function useConfirm() {
  const { t } = useTranslation();
  return useCallback(
    ({ title, message, confirmLabel, onConfirm }: ConfirmOptions) =>
      modals.openConfirmModal({
        title,
        children: <Text size="sm">{message}</Text>,
        labels: { confirm: confirmLabel, cancel: t('common.cancel') },
        confirmProps: { color: 'red' },
        onConfirm,
      }),
    [t],
  );
}
