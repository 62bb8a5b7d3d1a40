import { Alert, Button, Group, Select, Skeleton, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconInfoCircle } from '@tabler/icons-react';
import dayjs from 'dayjs';
import { useEffect, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useMe } from '../../../api/me';
import type { Workspace, WorkspacePatch } from '../../../api/types';
import { useUpdateWorkspace, useWorkspace } from '../../../api/workspace';
import { countryOptions, languageOptions } from '../../../lib/countries';
import { hasRole } from '../../../lib/roles';
import { timeZoneOptions } from '../../../lib/timezones';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { PageHeader } from '../../../ui/PageHeader';
import { QueryError } from '../../../ui/QueryError';
import { SettingsSection } from '../../../ui/SettingsSection';
import { applyServerErrors } from '../../../ui/server-errors';
import { EmailBrandingSection } from './EmailBrandingSection';

/** The general settings; retention has a page of its own. */
type Values = Required<
  Omit<WorkspacePatch, 'retention_inactive_months' | 'brand_color' | 'logo_url' | 'email_tracking'>
>;
const FIELDS = ['name', 'default_country', 'default_timezone', 'default_locale'] as const;

function toValues(workspace: Workspace): Values {
  return {
    name: workspace.name,
    default_country: workspace.default_country,
    default_timezone: workspace.default_timezone,
    default_locale: workspace.default_locale,
  };
}

export function WorkspaceSettingsPage() {
  const { t } = useTranslation();
  const workspace = useWorkspace();
  return (
    <>
      <PageHeader title={t('settings.workspace.title')} description={t('settings.workspace.description')} />
      {workspace.error && !workspace.data ? (
        <QueryError error={workspace.error} onRetry={() => void workspace.refetch()} />
      ) : workspace.data ? (
        <Stack>
          <WorkspaceForm workspace={workspace.data} />
          <EmailBrandingSection workspace={workspace.data} />
        </Stack>
      ) : (
        <Stack>
          <Skeleton h={36} />
          <Skeleton h={36} />
          <Skeleton h={36} />
        </Stack>
      )}
    </>
  );
}

function WorkspaceForm({ workspace }: { workspace: Workspace }) {
  const { t, i18n } = useTranslation();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, 'admin');
  const update = useUpdateWorkspace();
  const errorMessage = useErrorMessage();
  const language = i18n.resolvedLanguage ?? 'en';

  const form = useForm<Values>({
    initialValues: toValues(workspace),
    validate: { name: (value) => (value.trim() ? null : t('validation.required')) },
  });

  // Another workspace selected, or saved elsewhere: show the server's values.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset only when the server copy changes
  useEffect(() => {
    form.setInitialValues(toValues(workspace));
    form.setValues(toValues(workspace));
    form.resetDirty();
  }, [workspace]);

  const countries = useMemo(() => countryOptions(language), [language]);
  const languages = useMemo(() => languageOptions(language), [language]);
  const inputMode = { readOnly: !canEdit, variant: canEdit ? 'default' : 'filled' } as const;
  const zones = useMemo(() => timeZoneOptions(workspace.default_timezone), [workspace.default_timezone]);

  const submit = form.onSubmit((values) => {
    const patch: WorkspacePatch = {};
    for (const field of FIELDS) {
      if (form.isDirty(field)) patch[field] = field === 'name' ? values.name.trim() : values[field];
    }
    update.mutate(patch, {
      onSuccess: () => notifySuccess(t('settings.workspace.saved')),
      onError: (error) => {
        if (!applyServerErrors(form, error, FIELDS)) notifyError(errorMessage(error));
      },
    });
  });

  return (
    <SettingsSection
      title={t('settings.workspace.general')}
      description={t('settings.workspace.createdOn', {
        date: dayjs(workspace.created_at).locale(language).format('LL'),
      })}
    >
      <form onSubmit={submit}>
        <Stack maw={560}>
          {!canEdit ? (
            <Alert variant="light" color="blue" icon={<IconInfoCircle size={20} aria-hidden />}>
              {t('settings.workspace.readOnly')}
            </Alert>
          ) : null}
          <TextInput
            label={t('settings.workspace.name')}
            required={canEdit}
            {...inputMode}
            {...form.getInputProps('name')}
          />
          <Select
            label={t('settings.workspace.country')}
            description={t('settings.workspace.countryHelp')}
            data={countries}
            searchable
            allowDeselect={false}
            {...inputMode}
            nothingFoundMessage={t('common.nothingFound')}
            {...form.getInputProps('default_country')}
          />
          <Select
            label={t('settings.workspace.timezone')}
            description={t('settings.workspace.timezoneHelp')}
            data={zones}
            searchable
            allowDeselect={false}
            limit={100}
            {...inputMode}
            nothingFoundMessage={t('common.nothingFound')}
            {...form.getInputProps('default_timezone')}
          />
          <Select
            label={t('settings.workspace.locale')}
            description={t('settings.workspace.localeHelp')}
            data={languages}
            allowDeselect={false}
            {...inputMode}
            nothingFoundMessage={t('common.nothingFound')}
            {...form.getInputProps('default_locale')}
          />
          {canEdit ? (
            <Group justify="flex-end">
              <Button variant="default" onClick={form.reset} disabled={!form.isDirty()}>
                {t('common.discard')}
              </Button>
              <Button type="submit" loading={update.isPending} disabled={!form.isDirty()}>
                {t('common.saveChanges')}
              </Button>
            </Group>
          ) : (
            <Text size="xs" c="dimmed">
              {t('settings.workspace.askAdmin')}
            </Text>
          )}
        </Stack>
      </form>
    </SettingsSection>
  );
}
