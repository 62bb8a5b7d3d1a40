import { Text } from '@mantine/core';
import { modals } from '@mantine/modals';
import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import { useErrorMessage } from './errors';
import { notifyError, notifySuccess } from './notify';

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

/** The part of a delete or archive mutation that useConfirmedMutation uses. */
interface IdMutation {
  mutate: (id: string, options: { onSuccess: () => void; onError: (error: unknown) => void }) => void;
}

/**
 * Delete and archive buttons: ask first, then run the mutation on the item's id and say how it went
 * (`doneMessage` on success, the server's message on failure).
 */
export function useConfirmedMutation(mutation: IdMutation) {
  const confirm = useConfirm();
  const errorMessage = useErrorMessage();
  return ({
    id,
    doneMessage,
    ...question
  }: Omit<ConfirmOptions, 'onConfirm'> & { id: string; doneMessage: string }) =>
    confirm({
      ...question,
      onConfirm: () =>
        mutation.mutate(id, {
          onSuccess: () => notifySuccess(doneMessage),
          onError: (error) => notifyError(errorMessage(error)),
        }),
    });
}
