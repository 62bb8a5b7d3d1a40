import {
  type Icon,
  IconAdjustmentsHorizontal,
  IconBookmark,
  IconBuildingStore,
  IconClipboardList,
  IconClockShield,
  IconCoin,
  IconFileImport,
  IconFilter,
  IconForms,
  IconHistory,
  IconHome,
  IconInbox,
  IconKey,
  IconMapPin,
  IconPlugConnected,
  IconSend,
  IconShieldLock,
  IconSparkles,
  IconTags,
  IconTemplate,
  IconTicket,
  IconUsers,
  IconUsersGroup,
} from '@tabler/icons-react';
import type { Role } from '../api/types';

export type NavLabel =
  | 'home'
  | 'clients'
  | 'segments'
  | 'campaigns'
  | 'templates'
  | 'coupons'
  | 'imports'
  | 'outbox'
  | 'settings'
  | 'workspace'
  | 'members'
  | 'customFields'
  | 'labels'
  | 'tags'
  | 'locations'
  | 'retention'
  | 'sending'
  | 'apiKeys'
  | 'channels'
  | 'auditLog'
  | 'signupForms'
  | 'privacyRequests'
  | 'ai';

export interface NavItem {
  to: string;
  label: NavLabel;
  icon: Icon;
  /** Hidden from lower roles. */
  minRole?: Role;
}

export const MAIN_NAV: NavItem[] = [
  { to: '/', label: 'home', icon: IconHome },
  { to: '/clients', label: 'clients', icon: IconUsers },
  { to: '/segments', label: 'segments', icon: IconFilter },
  { to: '/campaigns', label: 'campaigns', icon: IconSend },
  { to: '/templates', label: 'templates', icon: IconTemplate },
  { to: '/coupons', label: 'coupons', icon: IconTicket },
  { to: '/imports', label: 'imports', icon: IconFileImport },
  { to: '/outbox', label: 'outbox', icon: IconInbox },
];

export const SETTINGS_ICON = IconAdjustmentsHorizontal;

export const SETTINGS_NAV: NavItem[] = [
  { to: '/settings/workspace', label: 'workspace', icon: IconBuildingStore },
  { to: '/settings/members', label: 'members', icon: IconUsersGroup },
  { to: '/settings/custom-fields', label: 'customFields', icon: IconForms },
  { to: '/settings/labels', label: 'labels', icon: IconBookmark },
  { to: '/settings/tags', label: 'tags', icon: IconTags },
  { to: '/settings/locations', label: 'locations', icon: IconMapPin },
  { to: '/settings/retention', label: 'retention', icon: IconClockShield },
  { to: '/settings/api-keys', label: 'apiKeys', icon: IconKey, minRole: 'admin' },
  { to: '/settings/channels', label: 'channels', icon: IconPlugConnected },
  { to: '/settings/ai', label: 'ai', icon: IconSparkles, minRole: 'marketer' },
  { to: '/settings/sending', label: 'sending', icon: IconCoin },
  { to: '/settings/signup-forms', label: 'signupForms', icon: IconClipboardList },
  { to: '/settings/privacy-requests', label: 'privacyRequests', icon: IconShieldLock, minRole: 'admin' },
  { to: '/settings/audit-log', label: 'auditLog', icon: IconHistory, minRole: 'admin' },
];
