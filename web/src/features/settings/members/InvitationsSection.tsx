import { ActionIcon, Badge, Button, Group, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconMailPlus, IconSend, IconTrash } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { absoluteUrl, useInvitations, useRevokeInvitation } from '../../../api/invitations';
import type { Invitation, InvitationStatus } from '../../../api/types';
import { CopyIconButton } from '../../../ui/CopyValue';
import { useConfirm } from '../../../ui/confirm';
import { type Column, DataTable } from '../../../ui/DataTable';
import { DateTime } from '../../../ui/DateTime';
import { EmptyState } from '../../../ui/EmptyState';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { RoleBadge } from '../../../ui/RoleBadge';
import { SettingsSection } from '../../../ui/SettingsSection';
import { InviteModal } from './InviteModal';

const STATUS_COLORS: Record<InvitationStatus, string> = {
  pending: 'blue',
  accepted: 'teal',
  revoked: 'gray',
  expired: 'orange',
};

function RevokeButton({ invitation }: { invitation: Invitation }) {
  const { t } = useTranslation();
  const revoke = useRevokeInvitation();
  const confirm = useConfirm();
  const errorMessage = useErrorMessage();
  const label = t('settings.invitations.revoke');
  const ask = () =>
    confirm({
      title: t('settings.invitations.revokeTitle'),
      message: t('settings.invitations.revokeText'),
      confirmLabel: label,
      onConfirm: () =>
        revoke.mutate(invitation.id, {
          onSuccess: () => notifySuccess(t('settings.invitations.revoked')),
          onError: (error) => notifyError(errorMessage(error)),
        }),
    });
  return (
    <Tooltip label={label} withArrow>
      <ActionIcon variant="subtle" color="red" onClick={ask} aria-label={label} loading={revoke.isPending}>
        <IconTrash size={18} aria-hidden />
      </ActionIcon>
    </Tooltip>
  );
}

export function InvitationsSection() {
  const { t } = useTranslation();
  const invitations = useInvitations();
  const [inviting, inviteModal] = useDisclosure(false);

  const columns: Column<Invitation>[] = [
    {
      key: 'email',
      header: t('settings.invitations.recipient'),
      render: (invitation) =>
        invitation.email ? (
          <Text size="sm">{invitation.email}</Text>
        ) : (
          <Text size="sm" c="dimmed" fs="italic">
            {t('settings.invitations.anyone')}
          </Text>
        ),
    },
    {
      key: 'role',
      header: t('settings.members.role'),
      render: (invitation) => <RoleBadge role={invitation.role} />,
    },
    {
      key: 'status',
      header: t('settings.invitations.status'),
      render: (invitation) => (
        <Badge variant="dot" color={STATUS_COLORS[invitation.status]}>
          {t(`settings.invitations.statuses.${invitation.status}`)}
        </Badge>
      ),
    },
    {
      key: 'created',
      header: t('settings.invitations.createdColumn'),
      render: (invitation) => <DateTime value={invitation.created_at} />,
    },
    {
      key: 'expires',
      header: t('settings.invitations.expires'),
      render: (invitation) => <DateTime value={invitation.expires_at} />,
    },
    {
      key: 'actions',
      header: <VisuallyHidden>{t('common.actions')}</VisuallyHidden>,
      align: 'right',
      render: (invitation) =>
        invitation.status === 'pending' ? (
          <Group gap={4} justify="flex-end" wrap="nowrap">
            {invitation.url ? (
              <CopyIconButton
                value={absoluteUrl(invitation.url)}
                label={t('settings.invitations.copyLink')}
              />
            ) : null}
            <RevokeButton invitation={invitation} />
          </Group>
        ) : null,
    },
  ];

  return (
    <SettingsSection
      flush
      title={t('settings.invitations.title')}
      description={t('settings.invitations.description')}
      action={
        <Button leftSection={<IconMailPlus size={18} aria-hidden />} onClick={inviteModal.open}>
          {t('settings.invitations.invite')}
        </Button>
      }
    >
      <DataTable
        label={t('settings.invitations.title')}
        columns={columns}
        rows={invitations.data}
        rowKey={(invitation) => invitation.id}
        loading={invitations.isPending}
        error={invitations.error}
        onRetry={() => void invitations.refetch()}
        minWidth={760}
        empty={
          <EmptyState
            icon={IconSend}
            title={t('settings.invitations.emptyTitle')}
            description={t('settings.invitations.emptyText')}
          />
        }
      />
      <InviteModal opened={inviting} onClose={inviteModal.close} />
    </SettingsSection>
  );
}
