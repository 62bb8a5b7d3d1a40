import { Button, Group, Pill, Select } from '@mantine/core';
import { DatePickerInput } from '@mantine/dates';
import { IconCalendar, IconFilterOff } from '@tabler/icons-react';
import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';
import { CHANNELS, type Channel } from '../../../api/clients';
import { useLabels } from '../../../api/labels';
import { useLocations } from '../../../api/locations';
import { useTags } from '../../../api/tags';
import { activeFilterCount, type ClientFilters, NO_FILTERS } from './filters';

interface Props {
  value: ClientFilters;
  onChange: (value: ClientFilters) => void;
}

/** Tag, label, location, consent channel and creation dates. */
export function FiltersPanel({ value, onChange }: Props) {
  const { t } = useTranslation();
  const tags = useTags();
  const labels = useLabels();
  const locations = useLocations();
  const set = <K extends keyof ClientFilters>(key: K, next: ClientFilters[K]) =>
    onChange({ ...value, [key]: next });
  const clear = { clearable: true, clearButtonProps: { 'aria-label': t('common.clear') } } as const;

  return (
    <Group
      align="flex-end"
      gap="sm"
      p="md"
      wrap="wrap"
      role="group"
      aria-label={t('clients.filters.label')}
      style={{ borderTop: '1px solid var(--mantine-color-default-border)' }}
    >
      <Select
        label={t('clients.filters.tag')}
        placeholder={t('clients.filters.any')}
        data={(tags.data ?? []).map((tag) => tag.name)}
        value={value.tag}
        onChange={(next) => set('tag', next)}
        searchable
        nothingFoundMessage={t('common.nothingFound')}
        {...clear}
        style={{ flex: '1 1 160px' }}
      />
      <Select
        label={t('clients.filters.labelField')}
        placeholder={t('clients.filters.any')}
        data={(labels.data ?? []).map((label) => ({ value: label.key, label: label.name }))}
        value={value.label}
        onChange={(next) => set('label', next)}
        {...clear}
        style={{ flex: '1 1 140px' }}
      />
      <Select
        label={t('clients.filters.location')}
        placeholder={t('clients.filters.any')}
        data={(locations.data ?? []).map((location) => ({ value: location.id, label: location.name }))}
        value={value.locationId}
        onChange={(next) => set('locationId', next)}
        {...clear}
        style={{ flex: '1 1 160px' }}
      />
      <Select
        label={t('clients.filters.consent')}
        placeholder={t('clients.filters.any')}
        data={CHANNELS.map((channel) => ({ value: channel, label: t(`consent.channels.${channel}`) }))}
        value={value.consent}
        onChange={(next) => set('consent', next as Channel | null)}
        {...clear}
        style={{ flex: '1 1 150px' }}
      />
      <DatePickerInput
        type="range"
        label={t('clients.filters.created')}
        placeholder={t('clients.filters.anyDate')}
        leftSection={<IconCalendar size={16} aria-hidden />}
        value={value.created}
        onChange={(next) => set('created', next)}
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
        style={{ flex: '1 1 220px' }}
      />
    </Group>
  );
}

/** The filters in force as removable chips, with "Clear all". */
export function ActiveFilters({ value, onChange }: Props) {
  const { t, i18n } = useTranslation();
  const labels = useLabels();
  const locations = useLocations(true);
  if (!activeFilterCount(value)) return null;
  const language = i18n.resolvedLanguage ?? 'en';
  const chips: Array<{ key: string; text: string; clear: Partial<ClientFilters> }> = [];
  if (value.tag)
    chips.push({
      key: 'tag',
      text: t('clients.filters.chipTag', { value: value.tag }),
      clear: { tag: null },
    });
  if (value.label) {
    const name = labels.data?.find((label) => label.key === value.label)?.name ?? value.label;
    chips.push({
      key: 'label',
      text: t('clients.filters.chipLabel', { value: name }),
      clear: { label: null },
    });
  }
  if (value.locationId) {
    const name = locations.data?.find((location) => location.id === value.locationId)?.name ?? '…';
    chips.push({
      key: 'location',
      text: t('clients.filters.chipLocation', { value: name }),
      clear: { locationId: null },
    });
  }
  if (value.consent) {
    chips.push({
      key: 'consent',
      text: t('clients.filters.chipConsent', { value: t(`consent.channels.${value.consent}`) }),
      clear: { consent: null },
    });
  }
  const [from, to] = value.created;
  if (from) {
    const day = (date: string) => dayjs(date).locale(language).format('ll');
    chips.push({
      key: 'created',
      text:
        to && to !== from
          ? t('clients.filters.chipCreatedRange', { from: day(from), to: day(to) })
          : t('clients.filters.chipCreatedDay', { day: day(from) }),
      clear: { created: [null, null] },
    });
  }

  return (
    <Group gap="xs" px="md" pb="sm" wrap="wrap" aria-label={t('clients.filters.active')} role="group">
      {chips.map((chip) => (
        <Pill
          key={chip.key}
          size="md"
          withRemoveButton
          onRemove={() => onChange({ ...value, ...chip.clear })}
          removeButtonProps={{ 'aria-label': t('clients.filters.remove', { filter: chip.text }) }}
        >
          {chip.text}
        </Pill>
      ))}
      <Button
        variant="subtle"
        size="compact-sm"
        leftSection={<IconFilterOff size={14} aria-hidden />}
        onClick={() => onChange(NO_FILTERS)}
      >
        {t('clients.filters.clearAll')}
      </Button>
    </Group>
  );
}
