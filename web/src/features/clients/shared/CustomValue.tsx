import { Anchor, Text } from '@mantine/core';
import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';
import type { CustomField } from '../../../api/custom-fields';
import { useFormatters } from './format';

/** A custom field's value as text for tables and read-only views. */
export function CustomValue({ field, value }: { field: CustomField; value: unknown }) {
  const { t } = useTranslation();
  const format = useFormatters();
  if (value === null || value === undefined || value === '' || (Array.isArray(value) && !value.length)) {
    return (
      <Text size="sm" c="dimmed" span>
        —
      </Text>
    );
  }
  let text: string;
  switch (field.type) {
    case 'boolean':
      text = value ? t('common.yes') : t('common.no');
      break;
    case 'number':
      text = typeof value === 'number' ? format.number(value) : String(value);
      break;
    case 'date':
      text = dayjs(String(value)).locale(format.language).format('ll');
      break;
    case 'multi_select':
      text = Array.isArray(value) ? value.join(', ') : String(value);
      break;
    case 'url':
      return (
        <Anchor href={String(value)} target="_blank" rel="noopener noreferrer" size="sm">
          {String(value)}
        </Anchor>
      );
    default:
      text = String(value);
  }
  return (
    <Text size="sm" span style={{ whiteSpace: 'nowrap' }}>
      {text}
    </Text>
  );
}
