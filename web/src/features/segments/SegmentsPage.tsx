import { IconFilter } from '@tabler/icons-react';
import { ModuleEmptyPage } from '../../ui/ModuleEmptyPage';

export function SegmentsPage() {
  return <ModuleEmptyPage module="segments" icon={IconFilter} />;
}
