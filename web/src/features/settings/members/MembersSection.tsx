import { ActionIcon, Badge, Group, Select, Stack, Text, Tooltip, VisuallyHidden } from '@mantine/core';
import { IconUserMinus, IconUsersGroup } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { useMe } from '../../../api/me';
import { useChangeMemberRole, useMembers, useRemoveMember } from '../../../api/members';
import type { Me, Member, Role } from '../../../api/types';
import { assignableRoles, hasRole } from '../../../lib/roles';
import { useConfirm } from '../../../ui/confirm';
import { type Column, DataTable } from '../../../ui/DataTable';
import { DateTime } from '../../../ui/DateTime';
import { EmptyState } from '../../../ui/EmptyState';
import { useErrorMessage } from '../../../ui/errors';
import { notifyError, notifySuccess } from '../../../ui/notify';
import { RoleBadge } from '../../../ui/RoleBadge';
import { SettingsSection } from '../../../ui/SettingsSection';

/** Admins manage members below owner; only owners touch owners. */
function canManage(me: Me, member: Member) {
  if (member.user_id === me.user.id || !hasRole(me.role, 'admin')) return false;
  return member.role !== 'owner' || me.role === 'owner';
}

function RoleCell({ member, me }: { member: Member; me: Me }) {
  const { t } = useTranslation();
  const changeRole = useChangeMemberRole();
  const errorMessage = useErrorMessage();
  if (!canManage(me, member)) return <RoleBadge role={member.role} />;

  const onChange = (value: string | null) => {
    if (!value || value === member.role) return;
    const role = value as Role;
    changeRole.mutate(
      { userId: member.user_id, role },
      {
        onSuccess: () =>
          notifySuccess(
            t('settings.members.roleChanged', {
              name: member.name || member.email,
              role: t(`roles.${role}`),
            }),
          ),
        onError: (error) => notifyError(errorMessage(error)),
      },
    );
  };

  return (
    <Select
      size="xs"
      w={150}
      value={member.role}
      data={assignableRoles(me.role).map((role) => ({ value: role, label: t(`roles.${role}`) }))}
      onChange={onChange}
      allowDeselect={false}
      disabled={changeRole.isPending}
      aria-label={t('settings.members.roleFor', { name: member.name || member.email })}
    />
  );
}

function RemoveButton({ member }: { member: Member }) {
  const { t } = useTranslation();
  const remove = useRemoveMember();
  const confirm = useConfirm();
  const errorMessage = useErrorMessage();
  const name = member.name || member.email;
  const label = t('settings.members.remove', { name });
  const ask = () =>
    confirm({
      title: t('settings.members.removeTitle'),
      message: t('settings.members.removeText', { name }),
      confirmLabel: t('settings.members.removeConfirm'),
      onConfirm: () =>
        remove.mutate(member.user_id, {
          onSuccess: () => notifySuccess(t('settings.members.removed', { name })),
          onError: (error) => notifyError(errorMessage(error)),
        }),
    });
  return (
    <Tooltip label={label} withArrow>
      <ActionIcon variant="subtle" color="red" onClick={ask} aria-label={label} loading={remove.isPending}>
        <IconUserMinus size={18} aria-hidden />
      </ActionIcon>
    </Tooltip>
  );
}

export function MembersSection() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const members = useMembers();
  if (!me) return null;

  const columns: Column<Member>[] = [
    {
      key: 'member',
      header: t('settings.members.member'),
      render: (member) => (
        <Stack gap={0}>
          <Group gap="xs">
            <Text size="sm" fw={600}>
              {member.name || member.email}
            </Text>
            {member.user_id === me.user.id ? (
              <Badge size="xs" variant="outline" color="gray">
                {t('settings.members.you')}
              </Badge>
            ) : null}
          </Group>
          <Text size="xs" c="dimmed">
            {member.email}
          </Text>
        </Stack>
      ),
    },
    {
      key: 'role',
      header: t('settings.members.role'),
      render: (member) => <RoleCell member={member} me={me} />,
      width: 170,
    },
    {
      key: 'joined',
      header: t('settings.members.joined'),
      render: (member) => <DateTime value={member.joined_at} />,
    },
    {
      key: 'actions',
      header: <VisuallyHidden>{t('common.actions')}</VisuallyHidden>,
      align: 'right',
      width: 60,
      render: (member) => (canManage(me, member) ? <RemoveButton member={member} /> : null),
    },
  ];

  return (
    <SettingsSection
      flush
      title={t('settings.members.listTitle')}
      description={
        members.data ? t('settings.members.listDescription', { count: members.data.length }) : undefined
      }
    >
      <DataTable
        label={t('settings.members.listTitle')}
        columns={columns}
        rows={members.data}
        rowKey={(member) => member.user_id}
        loading={members.isPending}
        error={members.error}
        onRetry={() => void members.refetch()}
        empty={
          <EmptyState
            icon={IconUsersGroup}
            title={t('settings.members.emptyTitle')}
            description={t('settings.members.emptyText')}
          />
        }
      />
    </SettingsSection>
  );
}
