import { Anchor, AppShell, Box, Burger, Group } from '@mantine/core';
import { useDisclosure, useHotkeys, useMediaQuery } from '@mantine/hooks';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Outlet } from 'react-router';
import { ColorSchemeToggle } from '../../ui/ColorSchemeToggle';
import { LanguageSwitcher } from '../../ui/LanguageSwitcher';
import { Brand } from './Brand';
import { Navbar } from './Navbar';
import { NotificationsBell } from './NotificationsBell';
import { UserMenu } from './UserMenu';
import { WorkspaceSwitcher } from './WorkspaceSwitcher';

export function AppLayout() {
  const { t } = useTranslation();
  const [navOpened, nav] = useDisclosure(false);
  const mainId = useId();
  // Below the `md` breakpoint the navbar slides away; it must then leave the tab order too.
  const compact = useMediaQuery('(max-width: 61.99em)') ?? false;
  const navHidden = compact && !navOpened;
  useHotkeys([['Escape', () => navOpened && nav.close()]]);

  return (
    <AppShell
      header={{ height: 60 }}
      navbar={{ width: 250, breakpoint: 'md', collapsed: { mobile: !navOpened } }}
      padding={{ base: 'md', sm: 'lg', lg: 'xl' }}
    >
      <a href={`#${mainId}`} className="skip-link">
        {t('app.skipToContent')}
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap" gap="sm">
          <Group gap="sm" wrap="nowrap" style={{ minWidth: 0 }}>
            <Burger
              opened={navOpened}
              onClick={nav.toggle}
              hiddenFrom="md"
              size="sm"
              aria-label={navOpened ? t('nav.close') : t('nav.open')}
              aria-expanded={navOpened}
            />
            <Anchor component={Link} to="/" underline="never" c="inherit" aria-label={t('nav.homeLink')}>
              <Box visibleFrom="xs">
                <Brand />
              </Box>
              <Box hiddenFrom="xs">
                <Brand withName={false} />
              </Box>
            </Anchor>
            <WorkspaceSwitcher />
          </Group>
          <Group gap="xs" wrap="nowrap">
            <LanguageSwitcher />
            <ColorSchemeToggle />
            <NotificationsBell />
            <UserMenu />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar
        inert={navHidden}
        aria-hidden={navHidden || undefined}
        style={{
          visibility: navHidden ? 'hidden' : undefined,
          transitionProperty: 'transform, visibility',
        }}
      >
        <Navbar onNavigate={nav.close} />
      </AppShell.Navbar>
      <AppShell.Main id={mainId} tabIndex={-1}>
        <Box maw={1200} mx="auto">
          <Outlet />
        </Box>
      </AppShell.Main>
    </AppShell>
  );
}
