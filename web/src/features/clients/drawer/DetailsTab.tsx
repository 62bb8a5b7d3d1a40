import { Alert, Button, Group, List, Skeleton, Stack, Text } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconAlertTriangle, IconInfoCircle } from '@tabler/icons-react';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isApiError } from '../../../api/client';
import { type Client, useUpdateClient } from '../../../api/clients';
import { type CustomField, useCustomFields } from '../../../api/custom-fields';
import { useMe } from '../../../api/me';
import type { Role } from '../../../api/types';
import { hasRole } from '../../../lib/roles';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { QueryError } from '../../../ui/QueryError';
import { ClientFields } from '../form/ClientFields';
import { focusFirstError, useApplyServerErrors } from '../form/server-errors';
import { type ClientFormValues, toFormValues, toPatchInput } from '../form/values';
import { visibleFields } from '../list/columns';
import { RelativeTime } from '../shared/RelativeTime';

/** Every field, custom ones by section; read-only where the role may not edit. */
export function DetailsTab({ client }: { client: Client }) {
  const { data: me } = useMe();
  const fields = useCustomFields();
  if (fields.error && !fields.data)
    return <QueryError error={fields.error} onRetry={() => void fields.refetch()} />;
  if (!fields.data || !me)
    return (
      <Stack>
        <Skeleton h={36} />
        <Skeleton h={36} />
        <Skeleton h={36} />
      </Stack>
    );
  return <DetailsForm client={client} fields={visibleFields(fields.data, me.role)} role={me.role} />;
}

function DetailsForm({ client, fields, role }: { client: Client; fields: CustomField[]; role: Role }) {
  const { t } = useTranslation();
  const canEdit = hasRole(role, 'agent');
  const update = useUpdateClient(client.id);
  const errorMessage = useErrorMessage();
  const applyServerErrors = useApplyServerErrors();
  const [problems, setProblems] = useState<string[]>([]);
  const formRef = useRef<HTMLFormElement>(null);
  const form = useForm<ClientFormValues>({ initialValues: toFormValues(client, fields) });

  // Saved here or elsewhere (tags, label, another tab): show the server's copy unless the user is typing.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset only when the server copy changes
  useEffect(() => {
    if (form.isDirty()) return;
    const values = toFormValues(client, fields);
    form.setInitialValues(values);
    form.setValues(values);
    form.resetDirty(values);
  }, [client.updated_at]);

  const known = (path: string) =>
    path in form.values || (path.startsWith('custom.') && fields.some((f) => `custom.${f.key}` === path));

  const submit = form.onSubmit((values) => {
    setProblems([]);
    const patch = toPatchInput(values, form.getInitialValues(), fields);
    if (!Object.keys(patch).length) return;
    update.mutate(patch, {
      onSuccess: (saved) => {
        notifySuccess(t('clients.details.saved', { name: saved.name }));
        const next = toFormValues(saved, fields);
        form.setInitialValues(next);
        form.setValues(next);
        form.resetDirty(next);
      },
      onError: (error) => {
        if (isApiError(error) && error.details.length) {
          setProblems(applyServerErrors(form, error, known));
          focusFirstError(formRef.current);
        } else notifyError(errorMessage(error));
      },
    });
  });

  return (
    <form ref={formRef} onSubmit={submit} noValidate>
      <Stack gap="lg">
        {!canEdit ? (
          <Alert variant="light" color="blue" icon={<IconInfoCircle size={20} aria-hidden />}>
            {t('clients.details.readOnly')}
          </Alert>
        ) : null}
        <ClientFields form={form} fields={fields} role={role} readOnly={!canEdit} />
        {problems.length ? (
          <Alert color="red" variant="light" icon={<IconAlertTriangle size={20} aria-hidden />} role="alert">
            <List size="sm">
              {problems.map((problem) => (
                <List.Item key={problem}>{problem}</List.Item>
              ))}
            </List>
          </Alert>
        ) : null}
        <Group justify="space-between" gap="sm">
          <Text size="xs" c="dimmed" component="div">
            <Group gap={4}>
              {t('clients.details.added')} <RelativeTime value={client.created_at} /> ·{' '}
              {t('clients.details.updated')} <RelativeTime value={client.updated_at} />
            </Group>
          </Text>
          {canEdit ? (
            <Group gap="sm">
              <Button variant="default" onClick={() => form.reset()} disabled={!form.isDirty()}>
                {t('common.discard')}
              </Button>
              <Button type="submit" loading={update.isPending} disabled={!form.isDirty()}>
                {t('common.saveChanges')}
              </Button>
            </Group>
          ) : null}
        </Group>
      </Stack>
    </form>
  );
}
