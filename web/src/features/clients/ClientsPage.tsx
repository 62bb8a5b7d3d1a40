import { IconUsers } from '@tabler/icons-react';
import { ModuleEmptyPage } from '../../ui/ModuleEmptyPage';

export function ClientsPage() {
  return <ModuleEmptyPage module="clients" icon={IconUsers} withDocs />;
}
