import { Alert, Anchor, Button, Skeleton, Stack, Text, Title } from '@mantine/core';
import { useDocumentTitle } from '@mantine/hooks';
import { IconAlertCircle, IconMailOpened } from '@tabler/icons-react';
import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { isApiError } from '../../api/client';
import { useInvitationPreview } from '../../api/invitations';
import { useMe } from '../../api/me';
import type { InvitationPreview } from '../../api/types';
import { QueryError } from '../../ui/QueryError';
import { RoleBadge } from '../../ui/RoleBadge';
import { AuthLayout } from '../auth/AuthLayout';
import { JoinAsMember, JoinWithNewAccount } from './JoinForms';

type Unusable = 'expired' | 'revoked' | 'accepted';

function unusableReason(invitation: InvitationPreview): Unusable | null {
  if (invitation.status === 'pending') {
    return dayjs(invitation.expires_at).isBefore(dayjs()) ? 'expired' : null;
  }
  return invitation.status;
}

export function InvitePage() {
  const { t } = useTranslation();
  useDocumentTitle(`${t('invite.documentTitle')} · Clientela`);
  const { token = '' } = useParams();
  const preview = useInvitationPreview(token);
  const me = useMe();

  return <AuthLayout>{renderBody()}</AuthLayout>;

  function renderBody() {
    if (preview.isPending || me.isPending) {
      return (
        <Stack>
          <Skeleton h={28} w="70%" />
          <Skeleton h={16} />
          <Skeleton h={36} />
        </Stack>
      );
    }
    if (preview.error) {
      if (isApiError(preview.error, 404)) {
        return <InviteProblem title={t('invite.notFoundTitle')} message={t('invite.notFound')} />;
      }
      return <QueryError error={preview.error} onRetry={() => void preview.refetch()} />;
    }
    const invitation = preview.data;
    const reason = unusableReason(invitation);
    const loginLink = `/login?next=${encodeURIComponent(`/invite/${token}`)}`;
    return (
      <>
        <Stack gap="xs">
          <IconMailOpened size={36} stroke={1.5} color="var(--mantine-primary-color-filled)" aria-hidden />
          <Title order={1} size="h3">
            {t('invite.title', { workspace: invitation.workspace.name })}
          </Title>
          <Text size="sm" c="dimmed">
            {t('invite.roleIntro')} <RoleBadge role={invitation.role} />
          </Text>
          <Text size="sm" c="dimmed">
            {t(`roleDescriptions.${invitation.role}`)}
          </Text>
        </Stack>
        {reason ? (
          <InviteProblem
            title={t(`invite.unusable.${reason}.title`)}
            message={t(`invite.unusable.${reason}.text`)}
          />
        ) : me.data ? (
          <JoinAsMember token={token} invitation={invitation} me={me.data} />
        ) : (
          <>
            <JoinWithNewAccount token={token} invitation={invitation} loginLink={loginLink} />
            <Text size="sm" ta="center">
              {t('invite.haveAccount')}{' '}
              <Anchor component={Link} to={loginLink}>
                {t('invite.logInFirst')}
              </Anchor>
            </Text>
          </>
        )}
      </>
    );
  }
}

function InviteProblem({ title, message }: { title: string; message: string }) {
  const { t } = useTranslation();
  return (
    <Stack>
      <Alert color="orange" variant="light" icon={<IconAlertCircle size={20} aria-hidden />} title={title}>
        {message}
      </Alert>
      <Button component={Link} to="/" variant="default">
        {t('invite.goHome')}
      </Button>
    </Stack>
  );
}
