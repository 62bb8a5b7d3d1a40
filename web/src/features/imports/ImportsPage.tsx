import { IconFileImport } from '@tabler/icons-react';
import { ModuleEmptyPage } from '../../ui/ModuleEmptyPage';

export function ImportsPage() {
  return <ModuleEmptyPage module="imports" icon={IconFileImport} withDocs />;
}
