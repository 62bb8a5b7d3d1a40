import { Badge, Button, Menu, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconBuildingStore, IconCheck, IconPlus, IconSelector } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { useMe, useSwitchWorkspace } from '../../api/me';
import type { WorkspaceRef } from '../../api/types';
import { notifySuccess } from '../../ui/notify';
import { CreateWorkspaceModal } from './CreateWorkspaceModal';

export function WorkspaceSwitcher() {
  const { t } = useTranslation();
  const { data: me } = useMe();
  const switchWorkspace = useSwitchWorkspace();
  const navigate = useNavigate();
  const [creating, createModal] = useDisclosure(false);
  if (!me) return null;

  const select = async (workspace: WorkspaceRef) => {
    if (workspace.id === me.workspace.id) return;
    await switchWorkspace(workspace);
    notifySuccess(t('header.switchedTo', { name: workspace.name }));
  };

  const onCreated = async (workspace: WorkspaceRef) => {
    await switchWorkspace(workspace);
    navigate('/');
  };

  return (
    <>
      <Menu position="bottom-start" shadow="md" width={280} withinPortal>
        <Menu.Target>
          <Button
            variant="default"
            leftSection={<IconBuildingStore size={18} aria-hidden className="workspace-icon" />}
            rightSection={<IconSelector size={16} aria-hidden />}
            aria-label={t('header.workspaceButton', { name: me.workspace.name })}
            data-testid="workspace-switcher"
            maw={{ base: 170, sm: 280 }}
            styles={{ label: { overflow: 'hidden', textOverflow: 'ellipsis' } }}
          >
            {me.workspace.name}
          </Button>
        </Menu.Target>
        <Menu.Dropdown>
          <Menu.Label>{t('header.yourWorkspaces')}</Menu.Label>
          {me.workspaces.map((workspace) => {
            const current = workspace.id === me.workspace.id;
            return (
              <Menu.Item
                key={workspace.id}
                onClick={() => void select(workspace)}
                leftSection={current ? <IconCheck size={16} aria-hidden /> : <span style={{ width: 16 }} />}
                rightSection={
                  <Badge size="xs" variant="light" color="gray">
                    {t(`roles.${workspace.role}`)}
                  </Badge>
                }
                aria-current={current ? 'true' : undefined}
              >
                <Text size="sm" fw={current ? 600 : 400} truncate maw={170}>
                  {workspace.name}
                </Text>
              </Menu.Item>
            );
          })}
          <Menu.Divider />
          <Menu.Item leftSection={<IconPlus size={16} aria-hidden />} onClick={createModal.open}>
            {t('header.createWorkspace')}
          </Menu.Item>
        </Menu.Dropdown>
      </Menu>
      <CreateWorkspaceModal opened={creating} onClose={createModal.close} onCreated={onCreated} />
    </>
  );
}
