import { Alert, Button, Group, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { absoluteUrl, useCreateInvitation } from '../../../api/invitations';
import { useMe } from '../../../api/me';
import type { CreatedInvitation, Role } from '../../../api/types';
import { assignableRoles } from '../../../lib/roles';
import { CopyValue } from '../../../ui/CopyValue';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';

const EXPIRY_DAYS = ['1', '3', '7', '14', '30'];

interface Values {
  email: string;
  role: Role;
  expiresInDays: string;
}

export function InviteModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const create = useCreateInvitation();
  const errorMessage = useErrorMessage();
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const form = useForm<Values>({
    initialValues: { email: '', role: 'agent', expiresInDays: '7' },
    validate: {
      email: (value) => (!value.trim() || /^\S+@\S+$/.test(value.trim()) ? null : t('validation.email')),
    },
  });

  const close = () => {
    onClose();
    form.reset();
    setCreated(null);
  };

  const submit = form.onSubmit((values) =>
    create.mutate(
      {
        email: values.email.trim() || undefined,
        role: values.role,
        expires_in_days: Number(values.expiresInDays),
      },
      {
        onSuccess: (invitation) => {
          setCreated(invitation);
          notifySuccess(t('settings.invitations.created'));
        },
        onError: (error) => notifyError(errorMessage(error)),
      },
    ),
  );

  const roles = assignableRoles(me?.role).map((role) => ({ value: role, label: t(`roles.${role}`) }));

  return (
    <Modal
      opened={opened}
      onClose={close}
      title={t('settings.invitations.modalTitle')}
      centered
      size="lg"
      closeOnClickOutside={!created}
    >
      {created ? (
        <Stack>
          <Text size="sm">
            {created.email
              ? t('settings.invitations.linkReadyFor', { email: created.email })
              : t('settings.invitations.linkReady')}
          </Text>
          <CopyValue value={absoluteUrl(created.url)} label={t('settings.invitations.copyLink')} />
          <Alert variant="light" color="orange" icon={<IconAlertTriangle size={20} aria-hidden />}>
            {t('settings.invitations.linkHint')}
          </Alert>
          <Group justify="flex-end">
            <Button onClick={close} data-autofocus>
              {t('common.done')}
            </Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={submit}>
          <Stack>
            <Text size="sm" c="dimmed">
              {t('settings.invitations.modalText')}
            </Text>
            <TextInput
              label={t('settings.invitations.email')}
              description={t('settings.invitations.emailHelp')}
              type="email"
              data-autofocus
              {...form.getInputProps('email')}
            />
            <Select
              label={t('settings.members.role')}
              description={t(`roleDescriptions.${form.values.role}`)}
              data={roles}
              allowDeselect={false}
              {...form.getInputProps('role')}
            />
            <Select
              label={t('settings.invitations.expiry')}
              data={EXPIRY_DAYS.map((days) => ({
                value: days,
                label: t('settings.invitations.days', { count: Number(days) }),
              }))}
              allowDeselect={false}
              {...form.getInputProps('expiresInDays')}
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                {t('common.cancel')}
              </Button>
              <Button type="submit" loading={create.isPending}>
                {t('settings.invitations.createLink')}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
