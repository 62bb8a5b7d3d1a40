import { Alert, Button, Group, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconAlertTriangle } from '@tabler/icons-react';
import dayjs from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCreateApiKey } from '../../../api/api-keys';
import { useMe } from '../../../api/me';
import type { CreatedApiKey, Role } from '../../../api/types';
import { assignableRoles } from '../../../lib/roles';
import { CopyValue } from '../../../ui/CopyValue';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { curlExample } from './curl';

const EXPIRY = ['never', '30', '90', '365'] as const;
type Expiry = (typeof EXPIRY)[number];

interface Values {
  name: string;
  role: Role;
  expiry: Expiry;
}

export function CreateApiKeyModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const create = useCreateApiKey();
  const errorMessage = useErrorMessage();
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const form = useForm<Values>({
    initialValues: { name: '', role: 'agent', expiry: 'never' },
    validate: { name: (value) => (value.trim() ? null : t('validation.required')) },
  });

  const close = () => {
    onClose();
    form.reset();
    setCreated(null);
  };

  const submit = form.onSubmit((values) =>
    create.mutate(
      {
        name: values.name.trim(),
        role: values.role,
        expires_at:
          values.expiry === 'never' ? undefined : dayjs().add(Number(values.expiry), 'day').toISOString(),
      },
      {
        onSuccess: (key) => {
          setCreated(key);
          notifySuccess(t('settings.apiKeys.createdNotice', { name: key.name }));
        },
        onError: (error) => notifyError(errorMessage(error)),
      },
    ),
  );

  const roles = assignableRoles(me?.role).map((role) => ({ value: role, label: t(`roles.${role}`) }));
  const expiryLabel = (value: Expiry) =>
    value === 'never'
      ? t('settings.apiKeys.noExpiry')
      : t('settings.invitations.days', { count: Number(value) });

  return (
    <Modal
      opened={opened}
      onClose={close}
      title={created ? t('settings.apiKeys.revealTitle') : t('settings.apiKeys.create')}
      centered
      size="lg"
      closeOnClickOutside={!created}
    >
      {created ? (
        <Stack>
          <Alert
            color="orange"
            variant="light"
            icon={<IconAlertTriangle size={20} aria-hidden />}
            title={t('settings.apiKeys.onceTitle')}
          >
            {t('settings.apiKeys.onceText')}
          </Alert>
          <CopyValue value={created.key} label={t('settings.apiKeys.copyKey')} />
          <Text size="sm" fw={600}>
            {t('settings.apiKeys.tryIt')}
          </Text>
          <CopyValue block value={curlExample(created.key)} label={t('settings.apiKeys.copyCurl')} />
          <Group justify="flex-end">
            <Button onClick={close}>{t('settings.apiKeys.copiedDone')}</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={submit}>
          <Stack>
            <Text size="sm" c="dimmed">
              {t('settings.apiKeys.modalText')}
            </Text>
            <TextInput
              label={t('settings.apiKeys.name')}
              placeholder={t('settings.apiKeys.namePlaceholder')}
              required
              data-autofocus
              {...form.getInputProps('name')}
            />
            <Select
              label={t('settings.members.role')}
              description={t(`roleDescriptions.${form.values.role}`)}
              data={roles}
              allowDeselect={false}
              {...form.getInputProps('role')}
            />
            <Select
              label={t('settings.apiKeys.expiry')}
              data={EXPIRY.map((value) => ({ value, label: expiryLabel(value) }))}
              allowDeselect={false}
              {...form.getInputProps('expiry')}
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                {t('common.cancel')}
              </Button>
              <Button type="submit" loading={create.isPending}>
                {t('settings.apiKeys.createSubmit')}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
