import { Button, Checkbox, Divider, Popover, ScrollArea, Stack, Text } from '@mantine/core';
import { IconColumns3 } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { ClientColumn } from './columns';

interface Props {
  columns: ClientColumn[];
  visible: string[];
  onChange: (visible: string[]) => void;
  onReset: () => void;
}

/** Pick the list's columns, custom fields included; the name always stays. */
export function ColumnChooser({ columns, visible, onChange, onReset }: Props) {
  const { t } = useTranslation();
  const optional = columns.filter((column) => column.id !== 'name');
  const standard = optional.filter((column) => !column.custom);
  const custom = optional.filter((column) => column.custom);
  const toggle = (id: string, checked: boolean) => {
    const next = new Set(visible);
    if (checked) next.add(id);
    else next.delete(id);
    onChange(optional.map((column) => column.id).filter((columnId) => next.has(columnId)));
  };
  const box = (column: ClientColumn) => (
    <Checkbox
      key={column.id}
      label={column.header}
      checked={visible.includes(column.id)}
      onChange={(event) => toggle(column.id, event.currentTarget.checked)}
    />
  );

  return (
    <Popover position="bottom-end" shadow="md" width={260} trapFocus withinPortal>
      <Popover.Target>
        <Button variant="default" leftSection={<IconColumns3 size={16} aria-hidden />}>
          {t('clients.columnsButton')}
        </Button>
      </Popover.Target>
      <Popover.Dropdown p="sm">
        <ScrollArea.Autosize mah={380} type="auto">
          <Stack gap={8} role="group" aria-label={t('clients.columnsButton')}>
            <Text size="xs" fw={700} c="dimmed" tt="uppercase">
              {t('clients.columnGroups.standard')}
            </Text>
            {standard.map(box)}
            {custom.length ? (
              <>
                <Divider my={4} />
                <Text size="xs" fw={700} c="dimmed" tt="uppercase">
                  {t('clients.columnGroups.custom')}
                </Text>
                {custom.map(box)}
              </>
            ) : null}
          </Stack>
        </ScrollArea.Autosize>
        <Divider my="xs" />
        <Button variant="subtle" size="xs" onClick={onReset} fullWidth>
          {t('clients.columnsReset')}
        </Button>
      </Popover.Dropdown>
    </Popover>
  );
}
