import { Button, Group, Text } from '@mantine/core';
import { IconX } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { BulkSelection } from '../../../api/bulk';
import { BulkActionBar } from '../../bulk/BulkActionBar';
import { NO_SELECTION, type Selection } from './ClientsTable';

interface Props {
  selection: Selection;
  onChange: (selection: Selection) => void;
  /** Rows loaded on screen. */
  loadedIds: string[];
  total: number;
  /** What the bulk actions act on: the ticked rows, or the list's search and filters for "all N matching". */
  bulkSelection: BulkSelection;
  /** The rows are of the Archived view: restore instead of the other actions. */
  archived?: boolean;
}

/** How many clients are selected, the step up to "all N matching", and a way out. */
export function SelectionBar({ selection, onChange, loadedIds, total, bulkSelection, archived }: Props) {
  const { t } = useTranslation();
  const count = selection.all ? total : selection.ids.size;
  if (!count) return null;
  const wholePage = !selection.all && loadedIds.length > 0 && loadedIds.every((id) => selection.ids.has(id));
  return (
    <Group
      gap="sm"
      px="md"
      py={8}
      bg="var(--mantine-primary-color-light)"
      aria-live="polite"
      data-testid="selection-bar"
      style={{ borderTop: '1px solid var(--mantine-color-default-border)' }}
    >
      <BulkActionBar selection={bulkSelection} archived={archived} />
      <Text size="sm" fw={600}>
        {selection.all
          ? t('clients.selection.allSelected', { count })
          : t('clients.selection.selected', { count })}
      </Text>
      {wholePage && total > loadedIds.length ? (
        <Button variant="subtle" size="compact-sm" onClick={() => onChange({ ids: new Set(), all: true })}>
          {t('clients.selection.selectAll', { count: total })}
        </Button>
      ) : null}
      <Button
        variant="subtle"
        color="gray"
        size="compact-sm"
        leftSection={<IconX size={14} aria-hidden />}
        onClick={() => onChange(NO_SELECTION)}
      >
        {t('clients.selection.clear')}
      </Button>
    </Group>
  );
}
