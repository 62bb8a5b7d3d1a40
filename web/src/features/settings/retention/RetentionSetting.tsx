import {
  Badge,
  Button,
  Collapse,
  Group,
  Modal,
  Skeleton,
  Stack,
  Switch,
  Text,
  ThemeIcon,
} from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { IconAlertTriangle, IconCircleCheck } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { RETENTION_MONTHS_MAX, useRetentionPreview } from '../../../api/retention';
import type { Workspace } from '../../../api/types';
import { useUpdateWorkspace } from '../../../api/workspace';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { QueryError } from '../../../ui/QueryError';
import { SettingsSection } from '../../../ui/SettingsSection';
import { applyServerErrors } from '../../../ui/server-errors';
import { MonthsInput, SUGGESTED_MONTHS } from './MonthsInput';
import { PreviewList, useCutoffDate } from './PreviewList';

interface Values {
  enabled: boolean;
  months: number | string;
}

function toValues(months: number | null): Values {
  return { enabled: months !== null, months: months ?? SUGGESTED_MONTHS };
}

/**
 * The workspace's retention setting: what it is now and, for admins, who the next nightly run would
 * erase, and the form to change it. A new number of months is saved only after its preview is confirmed.
 */
export function RetentionSetting({ workspace, canEdit }: { workspace: Workspace; canEdit: boolean }) {
  const { t } = useTranslation();
  const saved = workspace.retention_inactive_months;
  const update = useUpdateWorkspace();
  const errorMessage = useErrorMessage();
  const [reviewing, setReviewing] = useState<number | null>(null);

  const form = useForm<Values>({
    initialValues: toValues(saved),
    validate: {
      months: (value, values) =>
        !values.enabled ||
        (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= RETENTION_MONTHS_MAX)
          ? null
          : t('settings.retention.monthsInvalid', { max: RETENTION_MONTHS_MAX }),
    },
  });

  // Saved here or elsewhere, or another workspace selected: show the server's value.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset only when the server copy changes
  useEffect(() => {
    form.setInitialValues(toValues(saved));
    form.setValues(toValues(saved));
    form.resetDirty();
  }, [saved, workspace.id]);

  const save = (months: number | null) =>
    update.mutate(
      { retention_inactive_months: months },
      {
        onSuccess: () => {
          setReviewing(null);
          notifySuccess(
            months === null
              ? t('settings.retention.savedOff')
              : t('settings.retention.savedOn', { count: months }),
          );
        },
        onError: (error) => {
          setReviewing(null);
          if (!applyServerErrors(remapMonthsError(form), error, ['retention_inactive_months']))
            notifyError(errorMessage(error));
        },
      },
    );

  // Turning retention off erases nobody, so it needs no preview; any number of months does.
  const submit = form.onSubmit((values) =>
    values.enabled ? setReviewing(Number(values.months)) : save(null),
  );
  const unchanged =
    form.values.enabled === (saved !== null) && (!form.values.enabled || form.values.months === saved);

  return (
    <SettingsSection
      title={t('settings.retention.settingTitle')}
      description={t('settings.retention.settingText')}
    >
      <Stack gap="lg">
        <CurrentSetting months={saved} canPreview={canEdit} />
        {canEdit ? (
          <form onSubmit={submit} noValidate>
            <Stack maw={560}>
              <Switch
                label={t('settings.retention.switchLabel')}
                description={t('settings.retention.switchHelp')}
                {...form.getInputProps('enabled', { type: 'checkbox' })}
              />
              <MonthsInput
                description={t('settings.retention.monthsHelp', { max: RETENTION_MONTHS_MAX })}
                clampBehavior="none"
                disabled={!form.values.enabled}
                {...form.getInputProps('months')}
              />
              <Group justify="flex-end">
                <Button variant="default" onClick={form.reset} disabled={unchanged}>
                  {t('common.discard')}
                </Button>
                <Button type="submit" loading={update.isPending && reviewing === null} disabled={unchanged}>
                  {form.values.enabled ? t('settings.retention.review') : t('common.saveChanges')}
                </Button>
              </Group>
            </Stack>
          </form>
        ) : null}
      </Stack>
      <ReviewModal
        months={reviewing}
        saving={update.isPending}
        onConfirm={(months) => save(months)}
        onClose={() => setReviewing(null)}
      />
    </SettingsSection>
  );
}

/** The server names the field retention_inactive_months; the form calls it months. */
function remapMonthsError(form: { setFieldError: (path: string, error: string) => void }) {
  return { setFieldError: (_path: string, error: string) => form.setFieldError('months', error) };
}

/** On or off, and for admins how many clients the next nightly run would erase. */
function CurrentSetting({ months, canPreview }: { months: number | null; canPreview: boolean }) {
  const { t } = useTranslation();
  return (
    <Stack gap="sm" data-testid="retention-current">
      <Group gap="sm" wrap="nowrap" align="flex-start">
        <Badge color={months === null ? 'gray' : 'teal'} variant="light" mt={2}>
          {months === null ? t('settings.retention.off') : t('settings.retention.on')}
        </Badge>
        <Text size="sm">
          {months === null
            ? t('settings.retention.statusOff')
            : t('settings.retention.statusOn', { count: months })}
        </Text>
      </Group>
      {months !== null && canPreview ? <NextRun months={months} /> : null}
    </Stack>
  );
}

/** Who the next nightly run would erase with the saved setting, with the list on demand. */
function NextRun({ months }: { months: number }) {
  const { t } = useTranslation();
  const preview = useRetentionPreview(months);
  const cutoffDate = useCutoffDate();
  const [listShown, list] = useDisclosure(false);
  if (preview.error && !preview.data)
    return <QueryError error={preview.error} onRetry={() => void preview.refetch()} />;
  if (!preview.data) return <Skeleton h={22} w="50%" />;
  const date = cutoffDate(preview.data);
  if (!preview.data.total) {
    return (
      <Group gap="xs" wrap="nowrap" data-testid="retention-next-run">
        <ThemeIcon variant="light" color="teal" size="sm" radius="xl">
          <IconCircleCheck size={14} aria-hidden />
        </ThemeIcon>
        <Text size="sm">{t('settings.retention.nextRunNobody', { date })}</Text>
      </Group>
    );
  }
  return (
    <Stack gap="xs">
      <Group gap="xs" wrap="nowrap" data-testid="retention-next-run">
        <ThemeIcon variant="light" color="orange" size="sm" radius="xl">
          <IconAlertTriangle size={14} aria-hidden />
        </ThemeIcon>
        <Text size="sm" fw={600}>
          {t('settings.retention.nextRun', { count: preview.data.total, date })}
        </Text>
        <Button variant="subtle" size="compact-sm" onClick={list.toggle} aria-expanded={listShown}>
          {listShown ? t('settings.retention.hideList') : t('settings.retention.showList')}
        </Button>
      </Group>
      <Collapse expanded={listShown} keepMounted={false}>
        <PreviewList
          preview={preview.data}
          error={preview.error}
          onRetry={() => void preview.refetch()}
          withSummary={false}
        />
      </Collapse>
    </Stack>
  );
}

/** Before a number of months is saved: who it would erase right away, and a confirmation. */
function ReviewModal({
  months,
  saving,
  onConfirm,
  onClose,
}: {
  /** null: closed. */
  months: number | null;
  saving: boolean;
  onConfirm: (months: number) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const preview = useRetentionPreview(months);
  const total = preview.data?.total ?? 0;
  return (
    <Modal
      opened={months !== null}
      onClose={onClose}
      title={t('settings.retention.reviewTitle', { count: months ?? 0 })}
      size="lg"
      centered
    >
      {months !== null ? (
        <Stack>
          <PreviewList preview={preview.data} error={preview.error} onRetry={() => void preview.refetch()} />
          <Text size="sm" c="dimmed">
            {t('settings.retention.reviewText', { count: months })}
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} data-autofocus>
              {t('common.cancel')}
            </Button>
            <Button
              color={total ? 'red' : undefined}
              loading={saving}
              disabled={!preview.data}
              onClick={() => onConfirm(months)}
            >
              {total
                ? t('settings.retention.confirmErase', { count: total })
                : t('settings.retention.confirmSave')}
            </Button>
          </Group>
        </Stack>
      ) : null}
    </Modal>
  );
}
