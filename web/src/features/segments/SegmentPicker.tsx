import { type ComboboxItem, Select, type SelectProps } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSegment, useSegmentPages } from '../../api/segments';

type SegmentPickerProps = {
  value: string | null;
  onChange(id: string | null): void;
} & Pick<
  SelectProps,
  'label' | 'description' | 'placeholder' | 'clearable' | 'maw' | 'w' | 'error' | 'required' | 'disabled'
>;

/**
 * Pick a live saved segment: the server searches names and descriptions as you type, and scrolling to
 * the end of the list reads the next page, so a workspace with hundreds of segments reaches every one.
 * The wizard's audience step and the AI panel use it.
 */
export function SegmentPicker({ value, onChange, ...select }: SegmentPickerProps) {
  const { t } = useTranslation();
  const [search, setSearch] = useState('');
  // The chosen one's name, kept: the picked segment may be on no page loaded (a draft reopened).
  const [chosen, setChosen] = useState<ComboboxItem | null>(null);
  const saved = useSegment(value && chosen?.value !== value ? value : undefined);
  const chosenItem =
    chosen?.value === value ? chosen : saved.data ? { value: saved.data.id, label: saved.data.name } : null;
  // Once a segment is picked the box shows its name: that is not a search, so the list stays whole.
  const typed = chosenItem && search === chosenItem.label ? '' : search;
  const [q] = useDebouncedValue(typed, 250);
  const pages = useSegmentPages({ q, limit: 50 });
  const options: ComboboxItem[] = (pages.segments ?? []).map((s) => ({ value: s.id, label: s.name }));
  if (chosenItem && !options.some((o) => o.value === chosenItem.value)) options.unshift(chosenItem);
  const searching = pages.isFetching && !pages.isFetchingNextPage;
  return (
    <Select
      placeholder={t('segments.picker.placeholder')}
      {...select}
      searchable
      data={options}
      value={value}
      searchValue={search}
      onSearchChange={setSearch}
      onChange={(id, option) => {
        setChosen(option ?? null);
        onChange(id);
      }}
      // The server has filtered already (every word, accents folded): show what it answered.
      filter={({ options: all }) => all}
      nothingFoundMessage={
        searching
          ? t('segments.picker.searching')
          : q
            ? t('segments.picker.none')
            : t('segments.picker.empty')
      }
      scrollAreaProps={{
        onBottomReached: () => {
          if (pages.hasNextPage && !pages.isFetchingNextPage) void pages.fetchNextPage();
        },
      }}
      maxDropdownHeight={320}
      data-testid="segment-picker"
    />
  );
}
