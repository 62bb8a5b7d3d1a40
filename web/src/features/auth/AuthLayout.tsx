import { Box, Center, Group, Paper, Stack } from '@mantine/core';
import type { ReactNode } from 'react';
import { Brand } from '../../app/layout/Brand';
import { ColorSchemeToggle } from '../../ui/ColorSchemeToggle';
import { LanguageSwitcher } from '../../ui/LanguageSwitcher';

/** Centered card for pages outside the app shell (login, invitations). */
export function AuthLayout({ children }: { children: ReactNode }) {
  return (
    <Box mih="100dvh" bg="var(--mantine-color-body)" style={{ display: 'flex', flexDirection: 'column' }}>
      <Group justify="space-between" p="md">
        <Brand />
        <Group gap="xs">
          <LanguageSwitcher />
          <ColorSchemeToggle />
        </Group>
      </Group>
      <Center component="main" style={{ flex: 1 }} px="md" pb="xl">
        <Paper withBorder shadow="sm" radius="lg" p={{ base: 'lg', sm: 'xl' }} w="100%" maw={440}>
          <Stack gap="lg">{children}</Stack>
        </Paper>
      </Center>
    </Box>
  );
}
