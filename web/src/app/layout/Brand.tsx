import { Group, Text, ThemeIcon } from '@mantine/core';
import { IconAddressBook } from '@tabler/icons-react';

export function Brand({ withName = true }: { withName?: boolean }) {
  return (
    <Group gap={8} wrap="nowrap">
      <ThemeIcon size={32} radius="md" variant="filled" aria-hidden>
        <IconAddressBook size={20} />
      </ThemeIcon>
      {withName ? (
        <Text fw={700} size="lg" style={{ letterSpacing: '-0.01em' }}>
          Clientela
        </Text>
      ) : null}
    </Group>
  );
}
