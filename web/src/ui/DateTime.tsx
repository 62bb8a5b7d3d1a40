import { Text, Tooltip } from '@mantine/core';
import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';

interface DateTimeProps {
  value: string | null | undefined;
  /** Shown when there is no value. */
  empty?: string;
}

/** A moment as "3 hours ago", with the full localized date and time in a tooltip. */
export function DateTime({ value, empty = '—' }: DateTimeProps) {
  const { i18n } = useTranslation();
  if (!value) {
    return (
      <Text size="sm" c="dimmed" span>
        {empty}
      </Text>
    );
  }
  const moment = dayjs(value).locale(i18n.resolvedLanguage ?? 'en');
  const absolute = moment.format('LLLL');
  return (
    <Tooltip label={absolute} withArrow openDelay={200}>
      <Text
        size="sm"
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
