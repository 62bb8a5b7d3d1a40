import { Box, Divider, Group, Paper, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';

interface SettingsSectionProps {
  title: string;
  description?: ReactNode;
  action?: ReactNode;
  children: ReactNode;
  /** Content touches the frame (tables) instead of being padded. */
  flush?: boolean;
}

/** A framed block of a settings page: heading, one-line explanation, optional action, content. */
export function SettingsSection({
  title,
  description,
  action,
  children,
  flush = false,
}: SettingsSectionProps) {
  return (
    <Paper withBorder radius="md" component="section">
      <Group justify="space-between" align="flex-start" p="md" gap="sm">
        <Stack gap={2} style={{ flex: 1, minWidth: 220 }}>
          <Title order={2} size="h4">
            {title}
          </Title>
          {description ? (
            <Text size="sm" c="dimmed">
              {description}
            </Text>
          ) : null}
        </Stack>
        {action}
      </Group>
      <Divider />
      <Box p={flush ? 0 : 'md'}>{children}</Box>
    </Paper>
  );
}
