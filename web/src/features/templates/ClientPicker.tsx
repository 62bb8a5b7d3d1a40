import { Select } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { request } from '../../api/client';
import type { Client } from '../../api/clients';

/** Pick the client the preview is rendered for; searches by name, email or phone as you type. */
export function ClientPicker({
  value,
  onChange,
  label,
  description,
}: {
  value: string | null;
  onChange(id: string | null): void;
  /** Defaults to "Preview for". */
  label?: string;
  description?: string;
}) {
  const { t } = useTranslation();
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 250);
  const clients = useQuery({
    queryKey: ['templates', 'preview-clients', q],
    queryFn: ({ signal }) =>
      request<{ clients: Client[] }>('/api/v1/clients', { query: { q: q || undefined, limit: 20 }, signal }),
    select: (data) => data.clients,
  });
  const [chosen, setChosen] = useState<{ value: string; label: string } | null>(null);
  const options = (clients.data ?? []).map((c) => ({
    value: c.id,
    label: [c.name, c.email ?? c.phone].filter(Boolean).join(' · '),
  }));
  if (chosen && !options.some((o) => o.value === chosen.value)) options.unshift(chosen);
  return (
    <Select
      label={label ?? t('templates.previewFor')}
      description={description}
      placeholder={t('templates.pickClient')}
      searchable
      clearable
      data={options}
      value={value}
      searchValue={search}
      onSearchChange={setSearch}
      onChange={(id, option) => {
        setChosen(option ?? null);
        onChange(id);
      }}
      nothingFoundMessage={clients.isFetching ? t('templates.searching') : t('templates.noClients')}
      filter={({ options: all }) => all}
    />
  );
}
