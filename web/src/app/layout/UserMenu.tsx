import { Avatar, Menu, Text, UnstyledButton } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconLock, IconLogout } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { useSignOut } from '../../api/auth';
import { useMe } from '../../api/me';
import { ChangePasswordModal } from '../../features/account/ChangePasswordModal';
import { notifySuccess } from '../../ui/notify';

function initials(name: string, email: string) {
  const source = name.trim() || email;
  const parts = source.split(/[\s@._-]+/).filter(Boolean);
  return (parts[0]?.[0] ?? '?').toUpperCase() + (parts[1]?.[0] ?? '').toUpperCase();
}

export function UserMenu() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const signOut = useSignOut();
  const navigate = useNavigate();
  const [changingPassword, passwordModal] = useDisclosure(false);
  if (!me) return null;

  const logOut = () =>
    signOut.mutate(undefined, {
      onSettled: () => {
        notifySuccess(t('auth.loggedOut'));
        navigate('/login', { replace: true });
      },
    });

  return (
    <>
      <Menu position="bottom-end" shadow="md" width={260} withinPortal>
        <Menu.Target>
          <UnstyledButton aria-label={t('header.accountMenu')} style={{ borderRadius: '50%' }}>
            <Avatar color="teal" radius="xl" size={36}>
              {initials(me.user.name, me.user.email)}
            </Avatar>
          </UnstyledButton>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Label>
            <Text size="sm" fw={600} c="var(--mantine-color-text)" truncate>
              {me.user.name || me.user.email}
            </Text>
            <Text size="xs" c="dimmed" truncate>
              {me.user.email}
            </Text>
          </Menu.Label>
          <Menu.Divider />
          <Menu.Item leftSection={<IconLock size={16} aria-hidden />} onClick={passwordModal.open}>
            {t('header.changePassword')}
          </Menu.Item>
          <Menu.Item color="red" leftSection={<IconLogout size={16} aria-hidden />} onClick={logOut}>
            {t('header.logOut')}
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>
      <ChangePasswordModal opened={changingPassword} onClose={passwordModal.close} />
    </>
  );
}
