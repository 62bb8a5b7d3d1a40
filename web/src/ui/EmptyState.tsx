import { EmptyState as MantineEmptyState, Paper } from '@mantine/core';
import type { Icon } from '@tabler/icons-react';
import type { ReactNode } from 'react';

interface EmptyStateProps {
  icon: Icon;
  title: string;
  description: ReactNode;
  /** Real actions only (links, buttons that work); omitted when there is nothing to do yet. */
  children?: ReactNode;
  /** Draw a dashed frame around it (for whole-page empty states). */
  framed?: boolean;
}

export function EmptyState({
  icon: IconComponent,
  title,
  description,
  children,
  framed = false,
}: EmptyStateProps) {
  const content = (
    <MantineEmptyState variant="light" size="md" py="xl" px="md">
      <MantineEmptyState.Indicator>
        <IconComponent size={30} stroke={1.6} aria-hidden />
      </MantineEmptyState.Indicator>
      <MantineEmptyState.Title order={2}>{title}</MantineEmptyState.Title>
      <MantineEmptyState.Description maw={560}>{description}</MantineEmptyState.Description>
      {children ? <MantineEmptyState.Actions>{children}</MantineEmptyState.Actions> : null}
    </MantineEmptyState>
  );
  if (!framed) return content;
  return (
    <Paper withBorder radius="md" py="xl" style={{ borderStyle: 'dashed' }}>
      {content}
    </Paper>
  );
}
