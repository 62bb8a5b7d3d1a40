import { MultiSelect } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { request } from '../../api/client';
import type { Client } from '../../api/clients';

/** Several clients, searched by name, email or phone as you type; the chosen ones stay listed. */
export function ClientMultiPicker({
  label,
  description,
  value,
  onChange,
  known = {},
}: {
  label: string;
  description?: string;
  value: string[];
  onChange(ids: string[]): void;
  /** Labels of ids chosen before (e.g. a saved selection), so they show by name. */
  known?: Record<string, string>;
}) {
  const { t } = useTranslation();
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 250);
  const clients = useQuery({
    queryKey: ['campaigns', 'pick-clients', q],
    queryFn: ({ signal }) =>
      request<{ clients: Client[] }>('/api/v1/clients', { query: { q: q || undefined, limit: 20 }, signal }),
    select: (data) => data.clients,
  });
  const [labels, setLabels] = useState<Record<string, string>>(known);
  const found = (clients.data ?? []).map((c) => ({
    value: c.id,
    label: [c.name, c.email ?? c.phone].filter(Boolean).join(' · '),
  }));
  const options = [
    ...value
      .filter((id) => !found.some((o) => o.value === id))
      .map((id) => ({ value: id, label: labels[id] ?? id })),
    ...found,
  ];
  return (
    <MultiSelect
      label={label}
      description={description}
      placeholder={t('campaigns.wizard.searchClients')}
      searchable
      clearable
      data={options}
      value={value}
      searchValue={search}
      onSearchChange={setSearch}
      onChange={(ids) => {
        const next = { ...labels };
        for (const o of found) next[o.value] = o.label;
        setLabels(next);
        onChange(ids);
      }}
      nothingFoundMessage={clients.isFetching ? t('templates.searching') : t('templates.noClients')}
      filter={({ options: all }) => all}
      maxValues={1000}
    />
  );
}
