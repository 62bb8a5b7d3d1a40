import { ActionIcon, Group, Tooltip, VisuallyHidden } from '@mantine/core';
import { IconArchive, IconPencil, IconTrash } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { moveItem, type PositionMove } from '../lib/order';
import { type Column, DataTable } from './DataTable';
import { useErrorMessage } from './errors';
import { focusMoved, MoveButtons } from './MoveButtons';
import { notifyError } from './notify';

const ROW_ACTION_LOOK = {
  edit: { icon: IconPencil, color: 'gray' },
  delete: { icon: IconTrash, color: 'red' },
  archive: { icon: IconArchive, color: 'red' },
} as const;

export interface RowAction<T> {
  kind: keyof typeof ROW_ACTION_LOOK;
  /** Tooltip and accessible name, naming the row ("Edit VIP"), so a screen reader says which row it acts on. */
  label: (item: T) => string;
  onClick: (item: T) => void;
  /** Rows this action does not apply to (an archived location cannot be edited). */
  hiddenFor?: (item: T) => boolean;
}

/** The part of a reorder mutation the table uses; useReorderLabels() and useReorderCustomFields() fit. */
interface ReorderMutation {
  mutate: (
    moves: PositionMove[],
    options: { onSuccess: () => void; onError: (error: unknown) => void },
  ) => void;
  isPending: boolean;
}

interface SettingsCrudTableProps<T extends { id: string }> {
  /** Accessible name of the table. */
  label: string;
  /** undefined until loaded. */
  items: T[] | undefined;
  columns: Column<T>[];
  loading?: boolean;
  error?: unknown;
  onRetry?: () => void;
  /** Shown when the list is empty. */
  empty?: ReactNode;
  /** Below this width the table scrolls sideways instead of squeezing its columns. */
  minWidth: number;
  /** Up/down buttons in a first column, for lists with a position; the items must come sorted by it. */
  reorder?: T extends { position: number } ? { mutation: ReorderMutation; name: (item: T) => string } : never;
  /** Buttons at the end of each row; without any, the column is left out. */
  actions?: RowAction<T>[];
  rowTestId?: string;
}

/**
 * The list of a settings page whose items are added, edited and removed in place (labels, tags,
 * locations, custom fields): the shared DataTable plus an ordering column and row actions.
 */
export function SettingsCrudTable<T extends { id: string }>({
  items,
  columns,
  reorder,
  actions = [],
  loading = false,
  error = null,
  empty = null,
  ...rest
}: SettingsCrudTableProps<T>) {
  const { t } = useTranslation();
  const errorMessage = useErrorMessage();
  const list = items ?? [];

  const move = (item: T, direction: -1 | 1) => {
    if (!reorder) return;
    // The type of `reorder` admits it only for items with a position.
    const moves = moveItem(list as Array<T & { position: number }>, item.id, direction);
    if (!moves.length) return;
    reorder.mutation.mutate(moves, {
      onSuccess: () => focusMoved(item.id, direction),
      onError: (cause) => notifyError(errorMessage(cause)),
    });
  };

  const orderColumn: Column<T> | null = reorder
    ? {
        key: 'order',
        header: <VisuallyHidden>{t('settings.order.column')}</VisuallyHidden>,
        width: 70,
        render: (item) => {
          const index = list.indexOf(item);
          return (
            <MoveButtons
              id={item.id}
              name={reorder.name(item)}
              first={index === 0}
              last={index === list.length - 1}
              disabled={reorder.mutation.isPending}
              onMove={(direction) => move(item, direction)}
            />
          );
        },
      }
    : null;
  const actionsColumn: Column<T> | null = actions.length
    ? {
        key: 'actions',
        header: <VisuallyHidden>{t('common.actions')}</VisuallyHidden>,
        width: 90,
        render: (item) => <RowActions item={item} actions={actions} />,
      }
    : null;

  return (
    <DataTable
      {...rest}
      columns={[orderColumn, ...columns, actionsColumn].filter((column) => column !== null)}
      rows={items}
      rowKey={(item) => item.id}
      loading={loading}
      busy={Boolean(reorder?.mutation.isPending)}
      error={error}
      empty={empty}
    />
  );
}

function RowActions<T>({ item, actions }: { item: T; actions: RowAction<T>[] }) {
  const shown = actions.filter((action) => !action.hiddenFor?.(item));
  if (!shown.length) return null;
  return (
    <Group gap={2} wrap="nowrap" justify="flex-end">
      {shown.map((action) => {
        const { icon: Glyph, color } = ROW_ACTION_LOOK[action.kind];
        const label = action.label(item);
        return (
          <Tooltip key={action.kind} label={label} withArrow>
            <ActionIcon
              variant="subtle"
              color={color}
              onClick={() => action.onClick(item)}
              aria-label={label}
            >
              <Glyph size={18} aria-hidden />
            </ActionIcon>
          </Tooltip>
        );
      })}
    </Group>
  );
}
