import { IconLock } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useMe } from '../api/me';
import type { Role } from '../api/types';
import { hasRole } from '../lib/roles';
import { EmptyState } from './EmptyState';

/** Shows its children only to `minimum` or higher; others learn who can help them. */
export function RequireRole({ minimum, children }: { minimum: Role; children: ReactNode }) {
  const { t } = useTranslation();
  const { data: me } = useMe();
  if (hasRole(me?.role, minimum)) return children;
  return (
    <EmptyState
      framed
      icon={IconLock}
      title={t('access.title')}
      description={t('access.description', {
        required: t(`roles.${minimum}`),
        role: me ? t(`roles.${me.role}`) : '',
      })}
    />
  );
}
