import { Alert, Anchor, Button, PasswordInput, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { signIn } from '../../api/auth';
import { isApiError } from '../../api/client';
import { useAcceptInvitation } from '../../api/invitations';
import type { AcceptedInvitation, InvitationPreview, Me } from '../../api/types';
import { setSelectedWorkspaceId } from '../../api/workspace-store';
import { useErrorMessage } from '../../ui/errors';
import { notifySuccess } from '../../ui/notify';
import { MIN_PASSWORD_LENGTH } from '../account/ChangePasswordModal';

function useFinishJoin() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  return (result: AcceptedInvitation) => {
    setSelectedWorkspaceId(result.workspace.id);
    queryClient.removeQueries();
    notifySuccess(t('invite.joined', { workspace: result.workspace.name }));
    navigate('/', { replace: true });
  };
}

export function JoinAsMember({ token, me }: { token: string; invitation: InvitationPreview; me: Me }) {
  const { t } = useTranslation();
  const accept = useAcceptInvitation(token);
  const finish = useFinishJoin();
  const errorMessage = useErrorMessage();
  return (
    <Stack>
      <Text size="sm">{t('invite.signedInAs', { email: me.user.email })}</Text>
      {accept.error ? (
        <Alert color="red" variant="light" role="alert">
          {errorMessage(accept.error)}
        </Alert>
      ) : null}
      <Button onClick={() => accept.mutate({}, { onSuccess: finish })} loading={accept.isPending} autoFocus>
        {t('invite.join')}
      </Button>
    </Stack>
  );
}

interface NewAccountProps {
  token: string;
  invitation: InvitationPreview;
  loginLink: string;
}

export function JoinWithNewAccount({ token, invitation, loginLink }: NewAccountProps) {
  const { t } = useTranslation();
  const accept = useAcceptInvitation(token);
  const finish = useFinishJoin();
  const errorMessage = useErrorMessage();
  const form = useForm({
    initialValues: { name: '', email: invitation.email ?? '', password: '' },
    validate: {
      name: (value) => (value.trim() ? null : t('validation.required')),
      email: (value) => (/^\S+@\S+$/.test(value.trim()) ? null : t('validation.email')),
      password: (value) =>
        value.length >= MIN_PASSWORD_LENGTH
          ? null
          : t('validation.passwordLength', { count: MIN_PASSWORD_LENGTH }),
    },
  });

  const submit = form.onSubmit(({ name, email, password }) => {
    const credentials = { email: email.trim(), password };
    accept.mutate(
      { name: name.trim(), ...credentials },
      {
        onSuccess: async (result) => {
          // The account exists now; open a session with it before entering the app.
          await signIn(credentials).catch(() => undefined);
          finish(result);
        },
      },
    );
  });

  const emailTaken = isApiError(accept.error, 409);

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Text size="sm">{t('invite.createAccount')}</Text>
        {accept.error ? (
          <Alert color={emailTaken ? 'orange' : 'red'} variant="light" role="alert">
            {emailTaken ? (
              <>
                {t('invite.emailTaken')}{' '}
                <Anchor component={Link} to={loginLink} fw={600}>
                  {t('invite.logInFirst')}
                </Anchor>
              </>
            ) : (
              errorMessage(accept.error)
            )}
          </Alert>
        ) : null}
        <TextInput
          label={t('invite.name')}
          autoComplete="name"
          required
          autoFocus
          {...form.getInputProps('name')}
        />
        <TextInput
          label={t('auth.email')}
          type="email"
          autoComplete="username"
          required
          readOnly={!!invitation.email}
          description={invitation.email ? t('invite.emailFixed') : undefined}
          {...form.getInputProps('email')}
        />
        <PasswordInput
          label={t('auth.password')}
          description={t('validation.passwordLength', { count: MIN_PASSWORD_LENGTH })}
          autoComplete="new-password"
          required
          {...form.getInputProps('password')}
        />
        <Button type="submit" loading={accept.isPending}>
          {t('invite.createAndJoin')}
        </Button>
      </Stack>
    </form>
  );
}
