import { Code, Group, Stack, Text } from '@mantine/core';
import { IconArrowRight } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { AuditEntry } from '../../../api/types';

function show(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function Value({ value, tone }: { value: unknown; tone: 'before' | 'after' }) {
  const { t } = useTranslation();
  const text = show(value);
  if (text === null) {
    return (
      <Text size="xs" c="dimmed" fs="italic" span>
        {t('audit.empty')}
      </Text>
    );
  }
  return (
    <Code
      color={tone === 'before' ? 'var(--mantine-color-red-light)' : 'var(--mantine-color-green-light)'}
      style={{
        whiteSpace: 'pre-wrap',
        wordBreak: 'break-word',
        textDecoration: tone === 'before' ? 'line-through' : undefined,
      }}
    >
      {text}
    </Code>
  );
}

/** Each changed field as "before → after". */
export function ChangesDiff({ changes }: { changes: NonNullable<AuditEntry['changes']> }) {
  const { t } = useTranslation();
  return (
    <Stack gap="xs" aria-label={t('audit.changesLabel')}>
      {Object.entries(changes).map(([field, change]) => (
        <Group key={field} gap="sm" align="baseline" wrap="wrap">
          <Text size="sm" fw={600} miw={140} ff="monospace">
            {field}
          </Text>
          <Value value={change.before} tone="before" />
          <IconArrowRight size={14} aria-label={t('audit.becomes')} />
          <Value value={change.after} tone="after" />
        </Group>
      ))}
    </Stack>
  );
}
