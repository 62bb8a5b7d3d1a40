import { IconInbox } from '@tabler/icons-react';
import { ModuleEmptyPage } from '../../ui/ModuleEmptyPage';

export function OutboxPage() {
  return <ModuleEmptyPage module="outbox" icon={IconInbox} />;
}
