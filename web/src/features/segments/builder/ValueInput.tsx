import {
  Autocomplete,
  Group,
  MultiSelect,
  NumberInput,
  SegmentedControl,
  Select,
  TagsInput,
  Text,
  TextInput,
} from '@mantine/core';
import { DatePickerInput } from '@mantine/dates';
import { IconCalendar } from '@tabler/icons-react';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import type { FieldOp } from '../../../api/segments';
import { countryOptions } from '../../../lib/countries';
import type { FieldInfo, Option } from '../fields';
import { type DraftScalar, type DraftValue, valueShape } from '../model';

interface Props {
  field: FieldInfo;
  op: FieldOp;
  value: DraftValue;
  onChange: (value: DraftValue) => void;
  tags: string[];
  /** Messages by part: "value", "value/0", "value/1". */
  errors: Record<string, string>;
  /** Show "required" on an empty value (after a save attempt). */
  showEmpty: boolean;
  readOnly: boolean;
}

const asString = (value: DraftValue): string => (typeof value === 'string' ? value : '');
const asNumber = (value: DraftScalar | undefined): number | string =>
  typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? value : '';
const asList = (value: DraftValue): string[] =>
  Array.isArray(value) ? value.filter((item) => item !== null && item !== '').map(String) : [];
const dayOf = (value: DraftScalar | undefined): string | null =>
  typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : null;
const toNumber = (value: number | string): number | null =>
  typeof value === 'number'
    ? value
    : value === '' || value === '-'
      ? null
      : Number.isFinite(Number(value))
        ? Number(value)
        : null;

/** The value input(s) that fit a field's type and operator. */
export function ValueInput({ field, op, value, onChange, tags, errors, showEmpty, readOnly }: Props) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'en';
  const shape = valueShape(op);
  const countries = useMemo(
    () => (field.key === 'country' ? countryOptions(language) : []),
    [field.key, language],
  );
  const options: Option[] = field.key === 'country' ? countries : (field.options ?? []);
  const required = t('segments.builder.valueRequired');
  const error = (part = 'value') =>
    errors[part] ?? (showEmpty && part === 'value' && isEmpty(value, shape) ? required : undefined);
  const label = t('segments.builder.value');
  const common = { 'aria-label': label, readOnly, error: error(), style: { flex: '1 1 130px' }, miw: 120 };

  if (shape === 'none') return null;

  if (shape === 'days') {
    return (
      <NumberInput
        {...common}
        style={{ flex: '0 1 170px' }}
        value={typeof value === 'number' ? value : ''}
        onChange={(next) => onChange(toNumber(next))}
        min={0}
        max={36_500}
        allowDecimal={false}
        allowNegative={false}
        rightSection={
          <Text size="sm" c="dimmed" pr="xs">
            {op === 'more_than_days_ago' ? t('segments.builder.daysAgo') : t('segments.builder.days')}
          </Text>
        }
        rightSectionWidth={op === 'more_than_days_ago' ? 96 : 56}
        rightSectionPointerEvents="none"
      />
    );
  }

  if (field.type === 'boolean') {
    const consent = field.key.startsWith('consent.');
    return (
      <SegmentedControl
        aria-label={label}
        readOnly={readOnly}
        value={value === false ? 'false' : 'true'}
        onChange={(next) => onChange(next === 'true')}
        data={[
          { value: 'true', label: consent ? t('segments.builder.consentGiven') : t('common.yes') },
          { value: 'false', label: consent ? t('segments.builder.consentNotGiven') : t('common.no') },
        ]}
      />
    );
  }

  if (field.type === 'date') {
    const calendar = {
      valueFormat: 'll',
      leftSection: <IconCalendar size={16} aria-hidden />,
      readOnly,
      popoverProps: { withinPortal: true },
    };
    if (shape === 'range') {
      const range = Array.isArray(value) ? value : [null, null];
      return (
        <DatePickerInput
          {...calendar}
          type="range"
          aria-label={label}
          placeholder={t('segments.builder.pickDates')}
          value={[dayOf(range[0]), dayOf(range[1])]}
          onChange={([from, to]) => onChange([from, to])}
          allowSingleDateInRange
          error={error() ?? errors['value/0'] ?? errors['value/1']}
          style={{ flex: '1 1 240px' }}
        />
      );
    }
    return (
      <DatePickerInput
        {...calendar}
        aria-label={label}
        placeholder={t('segments.builder.pickDate')}
        value={dayOf(Array.isArray(value) ? null : value)}
        onChange={(next) => onChange(next)}
        error={error()}
        style={{ flex: '1 1 180px' }}
      />
    );
  }

  if (field.type === 'number') {
    const money = field.key === 'lifetime_value';
    const risk = field.key === 'risk_score';
    const numberProps = {
      decimalScale: risk ? 0 : 2,
      thousandSeparator: language === 'en' ? ',' : '\u202f',
      decimalSeparator: language === 'en' ? '.' : ',',
      min: risk ? 0 : undefined,
      max: risk ? 100 : undefined,
      rightSection: risk ? (
        <Text size="xs" c="dimmed" pr={6}>
          / 100
        </Text>
      ) : undefined,
      rightSectionPointerEvents: 'none' as const,
      placeholder: money ? (language === 'en' ? '0.00' : '0,00') : undefined,
      readOnly,
    };
    if (shape === 'range') {
      const range = Array.isArray(value) ? value : [null, null];
      return (
        <Group gap={6} wrap="nowrap" style={{ flex: '1 1 260px' }} align="flex-start">
          <NumberInput
            {...numberProps}
            aria-label={t('segments.builder.from')}
            value={asNumber(range[0])}
            onChange={(next) => onChange([toNumber(next), range[1] ?? null])}
            error={errors['value/0'] ?? error()}
            style={{ flex: 1 }}
            miw={90}
          />
          <Text size="sm" c="dimmed" mt={7}>
            {t('segments.builder.and')}
          </Text>
          <NumberInput
            {...numberProps}
            aria-label={t('segments.builder.to')}
            value={asNumber(range[1])}
            onChange={(next) => onChange([range[0] ?? null, toNumber(next)])}
            error={errors['value/1']}
            style={{ flex: 1 }}
            miw={90}
          />
        </Group>
      );
    }
    return (
      <NumberInput
        {...common}
        {...numberProps}
        style={{ flex: '1 1 140px' }}
        value={asNumber(Array.isArray(value) ? null : value)}
        onChange={(next) => onChange(toNumber(next))}
      />
    );
  }

  if (field.type === 'tags') {
    if (shape === 'list')
      return (
        <TagsInput
          {...common}
          data={tags}
          value={asList(value)}
          onChange={onChange}
          placeholder={asList(value).length ? undefined : t('segments.builder.pickTags')}
          splitChars={[',']}
          acceptValueOnBlur
          clearable={!readOnly}
          maxTags={100}
        />
      );
    return (
      <Autocomplete
        {...common}
        data={tags}
        value={asString(value)}
        onChange={onChange}
        placeholder={t('segments.builder.pickTag')}
      />
    );
  }

  if (options.length || field.type === 'select' || field.type === 'multi_select') {
    if (shape === 'list')
      return (
        <MultiSelect
          {...common}
          data={options}
          value={asList(value)}
          onChange={onChange}
          searchable
          placeholder={asList(value).length ? undefined : t('segments.builder.pickOptions')}
          nothingFoundMessage={t('common.nothingFound')}
          maxValues={100}
        />
      );
    const current = asString(value);
    // A value the list doesn't have (a removed option, another case) stays visible rather than vanishing.
    const data =
      current && !options.some((option) => option.value === current)
        ? [...options, { value: current, label: current }]
        : options;
    return (
      <Select
        {...common}
        data={data}
        value={current || null}
        onChange={(next) => onChange(next)}
        searchable={data.length > 7}
        selectFirstOptionOnChange
        placeholder={t('segments.builder.pickOption')}
        nothingFoundMessage={t('common.nothingFound')}
      />
    );
  }

  if (shape === 'list')
    return (
      <TagsInput
        {...common}
        value={asList(value)}
        onChange={onChange}
        placeholder={asList(value).length ? undefined : t('segments.builder.typeValues')}
        splitChars={[',']}
        acceptValueOnBlur
        clearable={!readOnly}
        maxTags={100}
      />
    );
  return (
    <TextInput
      {...common}
      value={asString(value)}
      onChange={(event) => onChange(event.currentTarget.value)}
      placeholder={t('segments.builder.typeValue')}
      maxLength={500}
    />
  );
}

function isEmpty(value: DraftValue, shape: string): boolean {
  if (shape === 'list') return !Array.isArray(value) || value.length === 0;
  if (shape === 'range') return !Array.isArray(value) || value.some((item) => item === null || item === '');
  return value === null || value === '';
}
