import { Button, Group, Select, TextInput } from '@mantine/core';
import { DatePickerInput } from '@mantine/dates';
import { IconCalendar, IconFilterOff, IconSearch } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { ActorType } from '../../../api/types';
import { ENTITY_TYPES } from './labels';

export interface FilterState {
  action: string;
  entityType: string | null;
  actorType: ActorType | null;
  range: [string | null, string | null];
}

export const EMPTY_FILTERS: FilterState = {
  action: '',
  entityType: null,
  actorType: null,
  range: [null, null],
};

const ACTOR_TYPES: ActorType[] = ['user', 'api_key', 'system'];

interface Props {
  value: FilterState;
  onChange: (value: FilterState) => void;
}

export function AuditFiltersBar({ value, onChange }: Props) {
  const { t } = useTranslation();
  const set = <K extends keyof FilterState>(key: K, next: FilterState[K]) =>
    onChange({ ...value, [key]: next });
  const isFiltered =
    value.action !== '' || value.entityType || value.actorType || value.range[0] || value.range[1];

  return (
    <Group align="flex-end" gap="sm" p="md" wrap="wrap" role="search" aria-label={t('audit.filters.label')}>
      <TextInput
        label={t('audit.filters.action')}
        placeholder={t('audit.filters.actionPlaceholder')}
        leftSection={<IconSearch size={16} aria-hidden />}
        value={value.action}
        onChange={(event) => set('action', event.currentTarget.value)}
        style={{ flex: '1 1 180px' }}
      />
      <Select
        label={t('audit.filters.entity')}
        placeholder={t('audit.filters.any')}
        data={ENTITY_TYPES.map((type) => ({ value: type, label: t(`audit.entities.${type}`) }))}
        value={value.entityType}
        onChange={(next) => set('entityType', next)}
        clearable
        clearButtonProps={{ 'aria-label': t('common.clear') }}
        style={{ flex: '1 1 160px' }}
      />
      <Select
        label={t('audit.filters.actor')}
        placeholder={t('audit.filters.any')}
        data={ACTOR_TYPES.map((type) => ({ value: type, label: t(`audit.actors.${type}`) }))}
        value={value.actorType}
        onChange={(next) => set('actorType', next as ActorType | null)}
        clearable
        clearButtonProps={{ 'aria-label': t('common.clear') }}
        style={{ flex: '1 1 150px' }}
      />
      <DatePickerInput
        type="range"
        label={t('audit.filters.dates')}
        placeholder={t('audit.filters.datesPlaceholder')}
        leftSection={<IconCalendar size={16} aria-hidden />}
        value={value.range}
        onChange={(next) => set('range', next)}
        clearable
        allowSingleDateInRange
        maxDate={new Date()}
        valueFormat="ll"
        clearButtonProps={{ 'aria-label': t('calendar.clearDates') }}
        ariaLabels={{
          previousMonth: t('calendar.previousMonth'),
          nextMonth: t('calendar.nextMonth'),
          previousYear: t('calendar.previousYear'),
          nextYear: t('calendar.nextYear'),
          previousDecade: t('calendar.previousDecade'),
          nextDecade: t('calendar.nextDecade'),
          monthLevelControl: t('calendar.monthLevel'),
          yearLevelControl: t('calendar.yearLevel'),
        }}
        style={{ flex: '1 1 230px' }}
      />
      {isFiltered ? (
        <Button
          variant="subtle"
          leftSection={<IconFilterOff size={16} aria-hidden />}
          onClick={() => onChange(EMPTY_FILTERS)}
        >
          {t('audit.filters.clear')}
        </Button>
      ) : null}
    </Group>
  );
}
