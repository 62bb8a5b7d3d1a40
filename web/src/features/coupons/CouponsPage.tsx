import { IconTicket } from '@tabler/icons-react';
import { ModuleEmptyPage } from '../../ui/ModuleEmptyPage';

export function CouponsPage() {
  return <ModuleEmptyPage module="coupons" icon={IconTicket} />;
}
