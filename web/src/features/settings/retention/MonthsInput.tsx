import { NumberInput, type NumberInputProps } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { RETENTION_MONTHS_MAX } from '../../../api/retention';

/** Offered until a setting is saved: two years, common for occasional clients. */
export const SUGGESTED_MONTHS = 24;

/** "Months without activity": a whole number from 1 to the maximum, in a box sized for three digits. */
export function MonthsInput(props: Omit<NumberInputProps, 'label' | 'min' | 'max'>) {
  const { t } = useTranslation();
  return (
    <NumberInput
      label={t('settings.retention.monthsLabel')}
      min={1}
      max={RETENTION_MONTHS_MAX}
      allowDecimal={false}
      allowNegative={false}
      // The label and help keep the full width; only the box is narrow.
      styles={{ wrapper: { maxWidth: 200 } }}
      {...props}
    />
  );
}
