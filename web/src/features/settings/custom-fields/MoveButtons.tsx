import { ActionIcon, Group, Tooltip } from '@mantine/core';
import { IconArrowDown, IconArrowUp } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';

/** Up and down buttons that reorder a row (Mantine has no drag and drop; these work with a keyboard too). */
export function MoveButtons({
  name,
  first,
  last,
  onMove,
  disabled,
}: {
  name: string;
  first: boolean;
  last: boolean;
  onMove: (direction: -1 | 1) => void;
  disabled?: boolean;
}) {
  const { t } = useTranslation();
  return (
    <Group gap={0} wrap="nowrap">
      <Tooltip label={t('settings.order.up', { name })} withArrow>
        <ActionIcon
          variant="subtle"
          color="gray"
          size="sm"
          disabled={first || disabled}
          onClick={() => onMove(-1)}
          aria-label={t('settings.order.up', { name })}
        >
          <IconArrowUp size={16} aria-hidden />
        </ActionIcon>
      </Tooltip>
      <Tooltip label={t('settings.order.down', { name })} withArrow>
        <ActionIcon
          variant="subtle"
          color="gray"
          size="sm"
          disabled={last || disabled}
          onClick={() => onMove(1)}
          aria-label={t('settings.order.down', { name })}
        >
          <IconArrowDown size={16} aria-hidden />
        </ActionIcon>
      </Tooltip>
    </Group>
  );
}
