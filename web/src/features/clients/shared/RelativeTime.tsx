import { Text, Tooltip } from '@mantine/core';
import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';

/** "3 hours ago" at a chosen size (the shared DateTime is fixed at sm), the full date in a tooltip. */
export function RelativeTime({ value, size = 'xs' }: { value: string; size?: 'xs' | 'sm' }) {
  const { i18n } = useTranslation();
  const moment = dayjs(value).locale(i18n.resolvedLanguage ?? 'en');
  const absolute = moment.format('LLLL');
  return (
    <Tooltip label={absolute} withArrow openDelay={200}>
      <Text
        size={size}
        c="dimmed"
        span
        component="time"
        dateTime={value}
        aria-label={absolute}
        style={{ whiteSpace: 'nowrap' }}
      >
        {moment.fromNow()}
      </Text>
    </Tooltip>
  );
}
