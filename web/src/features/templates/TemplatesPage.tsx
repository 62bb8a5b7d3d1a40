import { IconTemplate } from '@tabler/icons-react';
import { ModuleEmptyPage } from '../../ui/ModuleEmptyPage';

export function TemplatesPage() {
  return <ModuleEmptyPage module="templates" icon={IconTemplate} />;
}
