import { Button, Group, Modal, PasswordInput, Stack, Text } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useTranslation } from 'react-i18next';
import { useChangePassword } from '../../api/auth';
import { isApiError } from '../../api/client';
import { useErrorMessage } from '../../ui/errors';
import { notifyError, notifySuccess } from '../../ui/notify';

export const MIN_PASSWORD_LENGTH = 10;

export function ChangePasswordModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const errorMessage = useErrorMessage();
  const change = useChangePassword();
  const form = useForm({
    initialValues: { currentPassword: '', newPassword: '', confirmPassword: '' },
    validate: {
      currentPassword: (value) => (value ? null : t('validation.required')),
      newPassword: (value) =>
        value.length >= MIN_PASSWORD_LENGTH
          ? null
          : t('validation.passwordLength', { count: MIN_PASSWORD_LENGTH }),
      confirmPassword: (value, values) =>
        value === values.newPassword ? null : t('validation.passwordsDiffer'),
    },
  });

  const close = () => {
    form.reset();
    onClose();
  };

  const submit = form.onSubmit(({ currentPassword, newPassword }) =>
    change.mutate(
      { currentPassword, newPassword },
      {
        onSuccess: () => {
          notifySuccess(t('password.changed'));
          close();
        },
        onError: (error) => {
          if (isApiError(error, 400) || isApiError(error, 401)) {
            form.setFieldError('currentPassword', t('password.wrongCurrent'));
          } else {
            notifyError(errorMessage(error));
          }
        },
      },
    ),
  );

  return (
    <Modal opened={opened} onClose={close} title={t('password.title')} centered>
      <form onSubmit={submit}>
        <Stack>
          <Text size="sm" c="dimmed">
            {t('password.description')}
          </Text>
          <PasswordInput
            label={t('password.current')}
            autoComplete="current-password"
            data-autofocus
            required
            {...form.getInputProps('currentPassword')}
          />
          <PasswordInput
            label={t('password.new')}
            description={t('validation.passwordLength', { count: MIN_PASSWORD_LENGTH })}
            autoComplete="new-password"
            required
            {...form.getInputProps('newPassword')}
          />
          <PasswordInput
            label={t('password.confirm')}
            autoComplete="new-password"
            required
            {...form.getInputProps('confirmPassword')}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={change.isPending}>
              {t('password.submit')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
