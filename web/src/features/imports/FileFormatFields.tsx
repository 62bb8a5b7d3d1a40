import { Checkbox, Group, SegmentedControl, Stack, Text } from '@mantine/core';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ExportFormat } from '../../api/exports';

export interface FileFormat {
  format: ExportFormat;
  delimiter: ',' | ';';
  bom: boolean;
}

/**
 * The file format an export dialog asks for, and its part of the export request. Excel in Spanish
 * and French reads ";" separated files, in English ","; the delimiter starts as the language expects.
 */
export function useFileFormat() {
  const { i18n } = useTranslation();
  const [value, setValue] = useState<FileFormat>(() => ({
    format: 'csv',
    delimiter: i18n.language !== 'en' ? ';' : ',',
    bom: true,
  }));
  const request = {
    format: value.format,
    ...(value.format === 'csv' ? { csv_delimiter: value.delimiter, bom: value.bom } : {}),
  };
  return { value, setValue, request };
}

/** Format (CSV, Excel, JSON, NDJSON) and, for CSV, the delimiter and the byte-order mark. */
export function FileFormatFields(props: { value: FileFormat; onChange(value: FileFormat): void }) {
  const { t } = useTranslation();
  const labelId = useId();
  const { value, onChange } = props;
  return (
    <>
      <Stack gap={4}>
        <Text size="sm" fw={500} id={labelId}>
          {t('exports.format')}
        </Text>
        <SegmentedControl
          aria-labelledby={labelId}
          value={value.format}
          onChange={(format) => onChange({ ...value, format: format as ExportFormat })}
          data={[
            { value: 'csv', label: 'CSV' },
            { value: 'xlsx', label: 'Excel' },
            { value: 'json', label: 'JSON' },
            { value: 'ndjson', label: 'NDJSON' },
          ]}
        />
      </Stack>
      {value.format === 'csv' ? (
        <Group>
          <SegmentedControl
            aria-label={t('exports.delimiter')}
            value={value.delimiter}
            onChange={(delimiter) => onChange({ ...value, delimiter: delimiter as ',' | ';' })}
            data={[
              { value: ',', label: t('exports.comma') },
              { value: ';', label: t('exports.semicolon') },
            ]}
          />
          <Checkbox
            label={t('exports.bom')}
            checked={value.bom}
            onChange={(e) => onChange({ ...value, bom: e.currentTarget.checked })}
          />
        </Group>
      ) : null}
    </>
  );
}
