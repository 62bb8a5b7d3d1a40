import { Button, ColorInput, Group, Stack, Switch, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useMe } from '../../../api/me';
import type { Workspace } from '../../../api/types';
import { useUpdateWorkspace } from '../../../api/workspace';
import { hasRole } from '../../../lib/roles';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { SettingsSection } from '../../../ui/SettingsSection';
import { applyServerErrors } from '../../../ui/server-errors';

interface Values {
  brand_color: string;
  logo_url: string;
  email_tracking: boolean;
}

const toValues = (w: Workspace): Values => ({
  brand_color: w.brand_color,
  logo_url: w.logo_url ?? '',
  email_tracking: w.email_tracking,
});

/** How every email looks (logo, colour) and whether opens and clicks are tracked. */
export function EmailBrandingSection({ workspace }: { workspace: Workspace }) {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, 'admin');
  const update = useUpdateWorkspace();
  const errorMessage = useErrorMessage();
  const form = useForm<Values>({ initialValues: toValues(workspace) });

  // biome-ignore lint/correctness/useExhaustiveDependencies: reset only when the server copy changes
  useEffect(() => {
    form.setInitialValues(toValues(workspace));
    form.setValues(toValues(workspace));
    form.resetDirty();
  }, [workspace]);

  const submit = form.onSubmit((values) =>
    update.mutate(
      {
        brand_color: values.brand_color,
        logo_url: values.logo_url.trim() || null,
        email_tracking: values.email_tracking,
      },
      {
        onSuccess: () => notifySuccess(t('emailBranding.saved')),
        onError: (error) => {
          if (!applyServerErrors(form, error, ['brand_color', 'logo_url'])) notifyError(errorMessage(error));
        },
      },
    ),
  );

  return (
    <SettingsSection title={t('emailBranding.title')} description={t('emailBranding.description')}>
      <form onSubmit={submit} noValidate>
        <Stack>
          <ColorInput
            maw={520}
            label={t('emailBranding.color')}
            format="hex"
            disallowInput={false}
            readOnly={!canEdit}
            {...form.getInputProps('brand_color')}
          />
          <TextInput
            maw={520}
            label={t('emailBranding.logo')}
            description={t('emailBranding.logoHelp')}
            placeholder="https://…"
            readOnly={!canEdit}
            {...form.getInputProps('logo_url')}
          />
          <Switch
            label={t('emailBranding.tracking')}
            description={t('emailBranding.trackingHelp')}
            disabled={!canEdit}
            {...form.getInputProps('email_tracking', { type: 'checkbox' })}
          />
          {canEdit ? (
            <Group justify="flex-end">
              <Button type="submit" loading={update.isPending} disabled={!form.isDirty()}>
                {t('common.saveChanges')}
              </Button>
            </Group>
          ) : null}
        </Stack>
      </form>
    </SettingsSection>
  );
}
