import { Alert, Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { IconClockCheck, IconTrash } from '@tabler/icons-react';
import dayjs from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  RETENTION_MONTHS_MAX,
  type RetentionRun,
  useRetentionPreview,
  useRunRetention,
} from '../../../api/retention';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { SettingsSection } from '../../../ui/SettingsSection';
import { MonthsInput, SUGGESTED_MONTHS } from './MonthsInput';
import { PreviewList } from './PreviewList';

/** Digits only, so "1,204" or "1 204" typed in any language match 1204. */
const digitsOf = (text: string) => text.replace(/\D/g, '');

/**
 * A one-off erasure of everyone inactive for N months, without waiting for the night. Owners only:
 * the server refuses anyone else, so admins see the section with the button disabled and why.
 */
export function EraseNow({ savedMonths, isOwner }: { savedMonths: number | null; isOwner: boolean }) {
  const { t, i18n } = useTranslation();
  const [months, setMonths] = useState<number | string>(savedMonths ?? SUGGESTED_MONTHS);
  const [confirming, setConfirming] = useState<number | null>(null);
  const [queued, setQueued] = useState<RetentionRun | null>(null);
  const valid = typeof months === 'number' && months >= 1 && months <= RETENTION_MONTHS_MAX;

  return (
    <SettingsSection
      title={t('settings.retention.eraseTitle')}
      description={t('settings.retention.eraseText')}
    >
      <Stack>
        <Group align="flex-end">
          <MonthsInput value={months} onChange={setMonths} disabled={!isOwner} />
          <Button
            color="red"
            variant="light"
            leftSection={<IconTrash size={18} aria-hidden />}
            disabled={!isOwner || !valid}
            onClick={() => setConfirming(Number(months))}
          >
            {t('settings.retention.eraseButton')}
          </Button>
        </Group>
        {!isOwner ? (
          <Text size="sm" c="dimmed">
            {t('settings.retention.ownerOnly')}
          </Text>
        ) : null}
        {queued ? (
          <Alert
            color="teal"
            variant="light"
            icon={<IconClockCheck size={20} aria-hidden />}
            title={t('settings.retention.queuedTitle')}
            data-testid="retention-queued"
          >
            {t('settings.retention.queuedText', {
              count: queued.total,
              date: dayjs(queued.inactive_since)
                .locale(i18n.resolvedLanguage ?? 'en')
                .format('LL'),
              job: queued.job_id,
            })}
          </Alert>
        ) : null}
      </Stack>
      <ConfirmEraseModal
        months={confirming}
        onClose={() => setConfirming(null)}
        onQueued={(run) => {
          setConfirming(null);
          setQueued(run);
        }}
      />
    </SettingsSection>
  );
}

/** Shows who would be erased and asks for their number to be typed: erasing cannot be undone. */
function ConfirmEraseModal({
  months,
  onClose,
  onQueued,
}: {
  /** null: closed. */
  months: number | null;
  onClose: () => void;
  onQueued: (run: RetentionRun) => void;
}) {
  const { t } = useTranslation();
  return (
    <Modal
      opened={months !== null}
      onClose={onClose}
      title={t('settings.retention.eraseConfirmTitle', { count: months ?? 0 })}
      size="lg"
      centered
    >
      {/* Mounted only while open, so the typed number never carries over to the next opening. */}
      {months !== null ? <ConfirmEraseForm months={months} onClose={onClose} onQueued={onQueued} /> : null}
    </Modal>
  );
}

function ConfirmEraseForm({
  months,
  onClose,
  onQueued,
}: {
  months: number;
  onClose: () => void;
  onQueued: (run: RetentionRun) => void;
}) {
  const { t } = useTranslation();
  const preview = useRetentionPreview(months);
  const run = useRunRetention();
  const errorMessage = useErrorMessage();
  const [typed, setTyped] = useState('');
  const total = preview.data?.total ?? 0;
  const confirmed = total > 0 && digitsOf(typed) === String(total);

  const erase = () =>
    run.mutate(months, {
      onSuccess: (result) => {
        notifySuccess(t('settings.retention.queuedNotice', { count: result.total }));
        onQueued(result);
      },
      onError: (error) => notifyError(errorMessage(error)),
    });

  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        if (confirmed) erase();
      }}
    >
      <Stack>
        <PreviewList preview={preview.data} error={preview.error} onRetry={() => void preview.refetch()} />
        {total ? (
          <>
            <Text size="sm">{t('settings.retention.eraseWarning')}</Text>
            <TextInput
              label={t('settings.retention.typeCount', { count: total })}
              value={typed}
              onChange={(event) => setTyped(event.currentTarget.value)}
              inputMode="numeric"
              autoComplete="off"
              data-autofocus
            />
          </>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            {total ? t('common.cancel') : t('common.done')}
          </Button>
          {total ? (
            <Button type="submit" color="red" disabled={!confirmed} loading={run.isPending}>
              {t('settings.retention.eraseSubmit', { count: total })}
            </Button>
          ) : null}
        </Group>
      </Stack>
    </form>
  );
}
