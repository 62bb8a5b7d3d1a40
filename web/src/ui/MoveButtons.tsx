import { ActionIcon, Group, Tooltip } from '@mantine/core';
import { IconArrowDown, IconArrowUp } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';

/** Up and down buttons that reorder a row (Mantine has no drag and drop; these work with a keyboard too). */
export function MoveButtons({
  id,
  name,
  first,
  last,
  onMove,
  disabled,
}: {
  /** The row's id, so focus can follow a moved row (see focusMoved). */
  id: string;
  name: string;
  first: boolean;
  last: boolean;
  onMove: (direction: -1 | 1) => void;
  disabled?: boolean;
}) {
  const { t } = useTranslation();
  return (
    <Group gap={0} wrap="nowrap">
      {/* A disabled button never gets mouseleave: its tooltip must go when it turns disabled. */}
      <Tooltip label={t('settings.order.up', { name })} withArrow disabled={first || disabled}>
        <ActionIcon
          variant="subtle"
          color="gray"
          size="sm"
          disabled={first || disabled}
          data-move={`${id}:up`}
          onClick={() => onMove(-1)}
          aria-label={t('settings.order.up', { name })}
        >
          <IconArrowUp size={16} aria-hidden />
        </ActionIcon>
      </Tooltip>
      <Tooltip label={t('settings.order.down', { name })} withArrow disabled={last || disabled}>
        <ActionIcon
          variant="subtle"
          color="gray"
          size="sm"
          disabled={last || disabled}
          data-move={`${id}:down`}
          onClick={() => onMove(1)}
          aria-label={t('settings.order.down', { name })}
        >
          <IconArrowDown size={16} aria-hidden />
        </ActionIcon>
      </Tooltip>
    </Group>
  );
}

/** After a move, the keyboard stays on the moved row: same direction if it can go on, else the other. */
export function focusMoved(id: string, direction: -1 | 1) {
  window.setTimeout(() => {
    const [same, other] = direction < 0 ? ['up', 'down'] : ['down', 'up'];
    const pick = (which: string) =>
      document.querySelector<HTMLButtonElement>(`[data-move="${id}:${which}"]:not(:disabled)`);
    (pick(same) ?? pick(other))?.focus();
  }, 0);
}
