import { NavLink, ScrollArea, Stack } from '@mantine/core';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'react-router';
import { useMe } from '../../api/me';
import { hasRole } from '../../lib/roles';
import { MAIN_NAV, type NavItem, SETTINGS_ICON, SETTINGS_NAV } from '../navigation';

function isActive(pathname: string, to: string) {
  return to === '/' ? pathname === '/' : pathname === to || pathname.startsWith(`${to}/`);
}

function NavEntry({
  item,
  pathname,
  onNavigate,
}: {
  item: NavItem;
  pathname: string;
  onNavigate: () => void;
}) {
  const { t } = useTranslation();
  const active = isActive(pathname, item.to);
  return (
    <NavLink
      component={Link}
      to={item.to}
      label={t(`nav.${item.label}`)}
      leftSection={<item.icon size={20} stroke={1.6} aria-hidden />}
      active={active}
      aria-current={active ? 'page' : undefined}
      onClick={onNavigate}
      variant="light"
      style={{ borderRadius: 'var(--mantine-radius-md)' }}
    />
  );
}

export function Navbar({ onNavigate }: { onNavigate: () => void }) {
  const { t } = useTranslation();
  const { pathname } = useLocation();
  const { data: me } = useMe();
  const settings = SETTINGS_NAV.filter((item) => !item.minRole || hasRole(me?.role, item.minRole));
  const inSettings = pathname.startsWith('/settings');
  const [settingsOpened, setSettingsOpened] = useState(inSettings);
  useEffect(() => {
    if (inSettings) setSettingsOpened(true);
  }, [inSettings]);

  return (
    <ScrollArea type="auto" scrollbarSize={6} h="100%">
      <Stack component="nav" aria-label={t('nav.main')} gap={2} p="sm">
        {MAIN_NAV.map((item) => (
          <NavEntry key={item.to} item={item} pathname={pathname} onNavigate={onNavigate} />
        ))}
        <NavLink
          component="button"
          type="button"
          aria-expanded={settingsOpened}
          opened={settingsOpened}
          onChange={setSettingsOpened}
          label={t('nav.settings')}
          leftSection={<SETTINGS_ICON size={20} stroke={1.6} aria-hidden />}
          active={inSettings}
          variant="subtle"
          childrenOffset={18}
          style={{ borderRadius: 'var(--mantine-radius-md)' }}
        >
          {settings.map((item) => (
            <NavEntry key={item.to} item={item} pathname={pathname} onNavigate={onNavigate} />
          ))}
        </NavLink>
      </Stack>
    </ScrollArea>
  );
}
