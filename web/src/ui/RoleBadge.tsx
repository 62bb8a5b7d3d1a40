import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { Role } from '../api/types';

const COLORS: Record<Role, string> = {
  viewer: 'gray',
  agent: 'blue',
  marketer: 'grape',
  admin: 'orange',
  owner: 'teal',
};

export function RoleBadge({ role }: { role: Role }) {
  const { t } = useTranslation();
  return (
    <Badge color={COLORS[role]} variant="light" radius="sm">
      {t(`roles.${role}`)}
    </Badge>
  );
}
