import { IconSend } from '@tabler/icons-react';
import { ModuleEmptyPage } from '../../ui/ModuleEmptyPage';

export function CampaignsPage() {
  return <ModuleEmptyPage module="campaigns" icon={IconSend} />;
}
