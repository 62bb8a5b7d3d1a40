import { Alert, Button, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDocumentTitle } from '@mantine/hooks';
import { IconAlertCircle } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { useSignIn } from '../../api/auth';
import { isApiError } from '../../api/client';
import { useMe } from '../../api/me';
import { safeNextPath } from '../../app/RequireAuth';
import { useErrorMessage } from '../../ui/errors';
import { AuthLayout } from './AuthLayout';

export function LoginPage() {
  const { t } = useTranslation();
  useDocumentTitle(`${t('auth.title')} · Clientela`);
  const [params] = useSearchParams();
  const next = safeNextPath(params.get('next'));
  const navigate = useNavigate();
  const me = useMe();
  const signIn = useSignIn();
  const errorMessage = useErrorMessage();
  const form = useForm({
    initialValues: { email: '', password: '' },
    validate: {
      email: (value) => (/^\S+@\S+$/.test(value.trim()) ? null : t('validation.email')),
      password: (value) => (value ? null : t('validation.required')),
    },
  });

  if (me.data) return <Navigate to={next} replace />;

  const submit = form.onSubmit(({ email, password }) =>
    signIn.mutate({ email: email.trim(), password }, { onSuccess: () => navigate(next, { replace: true }) }),
  );

  const error = signIn.error;
  const message = !error
    ? null
    : isApiError(error, 401) || isApiError(error, 400)
      ? t('auth.wrongCredentials')
      : errorMessage(error);

  return (
    <AuthLayout>
      <Stack gap={4}>
        <Title order={1} size="h2">
          {t('auth.title')}
        </Title>
        <Text c="dimmed" size="sm">
          {t('auth.subtitle')}
        </Text>
      </Stack>
      <form onSubmit={submit} noValidate>
        <Stack>
          {message ? (
            <Alert color="red" variant="light" icon={<IconAlertCircle size={20} aria-hidden />} role="alert">
              {message}
            </Alert>
          ) : null}
          <TextInput
            label={t('auth.email')}
            type="email"
            autoComplete="username"
            autoFocus
            required
            {...form.getInputProps('email')}
          />
          <PasswordInput
            label={t('auth.password')}
            autoComplete="current-password"
            required
            {...form.getInputProps('password')}
          />
          <Button type="submit" fullWidth loading={signIn.isPending} mt="xs">
            {t('auth.submit')}
          </Button>
          <Text size="xs" c="dimmed" ta="center">
            {t('auth.forgotHint')}
          </Text>
        </Stack>
      </form>
    </AuthLayout>
  );
}
