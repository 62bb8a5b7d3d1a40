import { Paper, SimpleGrid, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { ImportCounts } from '../../api/imports';

const KEYS: Array<{ key: keyof ImportCounts; color: string }> = [
  { key: 'created', color: 'teal' },
  { key: 'updated', color: 'blue' },
  { key: 'duplicates', color: 'gray' },
  { key: 'invalid', color: 'red' },
  { key: 'suppressed', color: 'orange' },
];

/** New, updated, duplicates, invalid, suppressed: five figures in a row. */
export function CountCards({ counts }: { counts: ImportCounts }) {
  const { t, i18n } = useTranslation();
  const format = new Intl.NumberFormat(i18n.language);
  return (
    <SimpleGrid cols={{ base: 2, sm: 5 }}>
      {KEYS.map(({ key, color }) => (
        <Paper withBorder radius="md" p="sm" key={key} data-testid={`count-${key}`}>
          <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
            {t(`imports.counts.${key}`)}
          </Text>
          <Text fz="xl" fw={700} c={counts[key] ? color : undefined}>
            {format.format(counts[key])}
          </Text>
        </Paper>
      ))}
    </SimpleGrid>
  );
}
