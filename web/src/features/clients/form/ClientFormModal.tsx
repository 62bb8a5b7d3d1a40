import { Alert, Button, Group, List, Modal, Skeleton, Stack, Text } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useMediaQuery } from '@mantine/hooks';
import { IconAlertTriangle, IconCopy } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { isApiError } from '../../../api/client';
import { CHANNELS, type Client, invalidateClient, useCreateClient } from '../../../api/clients';
import { changeConsent } from '../../../api/consent';
import { type CustomField, useCustomFields } from '../../../api/custom-fields';
import { useMe } from '../../../api/me';
import type { Role } from '../../../api/types';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { QueryError } from '../../../ui/QueryError';
import { visibleFields } from '../list/columns';
import { ClientFields } from './ClientFields';
import { duplicateOf, focusFirstError, useApplyServerErrors } from './server-errors';
import { type ClientFormValues, toCreateInput, toFormValues } from './values';

interface Props {
  opened: boolean;
  onClose: () => void;
  onCreated: (client: Client) => void;
}

/** "Add client": every field in sections, the server's complaints under the inputs they concern. */
export function ClientFormModal({ opened, onClose, onCreated }: Props) {
  const { t } = useTranslation();
  const compact = useMediaQuery('(max-width: 48em)') ?? false;
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={t('clients.form.title')}
      size={880}
      fullScreen={compact}
      closeOnClickOutside={false}
    >
      {opened ? <FormLoader onClose={onClose} onCreated={onCreated} /> : null}
    </Modal>
  );
}

/** The form needs the workspace's custom fields before it can hold their values. */
function FormLoader(props: Omit<Props, 'opened'>) {
  const { data: me } = useMe();
  const fieldsQuery = useCustomFields();
  if (fieldsQuery.error && !fieldsQuery.data)
    return <QueryError error={fieldsQuery.error} onRetry={() => void fieldsQuery.refetch()} />;
  if (!fieldsQuery.data || !me)
    return (
      <Stack>
        <Skeleton h={36} />
        <Skeleton h={36} />
        <Skeleton h={36} />
      </Stack>
    );
  return <CreateForm {...props} fields={visibleFields(fieldsQuery.data, me.role)} role={me.role} />;
}

function CreateForm({
  onClose,
  onCreated,
  fields,
  role,
}: Omit<Props, 'opened'> & { fields: CustomField[]; role: Role }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const create = useCreateClient();
  const errorMessage = useErrorMessage();
  const applyServerErrors = useApplyServerErrors();
  const [problems, setProblems] = useState<string[]>([]);
  const [duplicateId, setDuplicateId] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);

  const form = useForm<ClientFormValues>({
    initialValues: toFormValues(null, fields),
    validate: {
      consent_evidence: (value, values) =>
        CHANNELS.some((channel) => values.consent[channel]) && !value.trim()
          ? t('consent.evidenceRequired')
          : null,
    },
  });

  const known = (path: string) =>
    path in form.values || (path.startsWith('custom.') && fields.some((f) => `custom.${f.key}` === path));

  const save = async (values: ClientFormValues, allowDuplicate: boolean) => {
    setProblems([]);
    setDuplicateId(null);
    let client: Client;
    try {
      client = await create.mutateAsync({
        ...toCreateInput(values, fields),
        ...(allowDuplicate ? { allow_duplicate: true } : {}),
      });
    } catch (error) {
      setDuplicateId(duplicateOf(error));
      if (isApiError(error) && error.details.length) {
        setProblems(applyServerErrors(form, error, known));
        focusFirstError(formRef.current);
      } else notifyError(errorMessage(error));
      return;
    }
    // Consent given at the desk is recorded as such ("admin"), with the evidence typed here.
    const granted = CHANNELS.filter((channel) => values.consent[channel]);
    if (granted.length) {
      try {
        await changeConsent(client.id, {
          changes: Object.fromEntries(granted.map((channel) => [channel, true])),
          source: 'admin',
          evidence: values.consent_evidence.trim(),
        });
        await invalidateClient(queryClient, client.id);
      } catch (error) {
        notifyError(t('clients.form.consentFailed', { message: errorMessage(error) }));
      }
    }
    notifySuccess(t('clients.form.created', { name: client.name }));
    onClose();
    onCreated(client);
  };

  return (
    <form
      ref={formRef}
      onSubmit={form.onSubmit(
        (values) => void save(values, false),
        () => focusFirstError(formRef.current),
      )}
      noValidate
    >
      <Stack gap="lg">
        <Text size="sm" c="dimmed">
          {t('clients.form.intro')}
        </Text>
        <ClientFields form={form} fields={fields} role={role} withTagsAndConsent />
        {duplicateId ? (
          <Alert
            color="orange"
            variant="light"
            icon={<IconCopy size={20} aria-hidden />}
            title={t('clients.form.duplicateTitle')}
          >
            <Stack gap="xs">
              <Text size="sm">{t('clients.form.duplicateText')}</Text>
              <Group gap="xs">
                <Button
                  size="xs"
                  variant="white"
                  onClick={() => {
                    onClose();
                    navigate(`/clients/${duplicateId}`);
                  }}
                >
                  {t('clients.form.openExisting')}
                </Button>
                <Button
                  size="xs"
                  variant="subtle"
                  color="orange"
                  loading={create.isPending}
                  onClick={() => {
                    const validation = form.validate();
                    if (!validation.hasErrors) void save(form.values, true);
                  }}
                >
                  {t('clients.form.addAnyway')}
                </Button>
              </Group>
            </Stack>
          </Alert>
        ) : null}
        {problems.length ? (
          <Alert color="red" variant="light" icon={<IconAlertTriangle size={20} aria-hidden />} role="alert">
            {problems.length === 1 ? (
              problems[0]
            ) : (
              <List size="sm">
                {problems.map((problem) => (
                  <List.Item key={problem}>{problem}</List.Item>
                ))}
              </List>
            )}
          </Alert>
        ) : null}
        <Group
          justify="flex-end"
          py="sm"
          style={{
            position: 'sticky',
            bottom: 0,
            zIndex: 2,
            background: 'var(--mantine-color-body)',
            borderTop: '1px solid var(--mantine-color-default-border)',
          }}
        >
          <Button variant="default" onClick={onClose}>
            {t('common.cancel')}
          </Button>
          <Button type="submit" loading={create.isPending}>
            {t('clients.form.submit')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
