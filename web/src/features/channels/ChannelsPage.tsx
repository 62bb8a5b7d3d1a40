import { IconPlugConnected } from '@tabler/icons-react';
import { ModuleEmptyPage } from '../../ui/ModuleEmptyPage';

export function ChannelsPage() {
  return <ModuleEmptyPage module="channels" icon={IconPlugConnected} />;
}
