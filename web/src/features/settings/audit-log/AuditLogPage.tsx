import { Button, Divider, Group, Stack, Text, Tooltip } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import {
  IconChevronDown,
  IconChevronUp,
  IconHistory,
  IconKey,
  IconRobot,
  IconUser,
} from '@tabler/icons-react';
import dayjs from 'dayjs';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useAuditLog } from '../../../api/audit-log';
import type { ActorType, AuditEntry, AuditFilters } from '../../../api/types';
import { type Column, DataTable } from '../../../ui/DataTable';
import { DateTime } from '../../../ui/DateTime';
import { EmptyState } from '../../../ui/EmptyState';
import { PageHeader } from '../../../ui/PageHeader';
import { SettingsSection } from '../../../ui/SettingsSection';
import { useOptionalT } from '../../../ui/useOptionalT';
import { AuditFiltersBar, EMPTY_FILTERS, type FilterState } from './AuditFiltersBar';
import { ChangesDiff } from './ChangesDiff';

const ACTOR_ICONS: Record<ActorType, typeof IconUser> = {
  user: IconUser,
  api_key: IconKey,
  system: IconRobot,
};

function toQuery(filters: FilterState, action: string): AuditFilters {
  const [from, to] = filters.range;
  return {
    action: action.trim() || undefined,
    entity_type: filters.entityType ?? undefined,
    actor_type: filters.actorType ?? undefined,
    from: from ? dayjs(from).startOf('day').toISOString() : undefined,
    to: to ? dayjs(to).endOf('day').toISOString() : from ? dayjs(from).endOf('day').toISOString() : undefined,
  };
}

function shortId(id: string | null) {
  return id && id.length > 10 ? `${id.slice(0, 8)}…` : (id ?? '');
}

export function AuditLogPage() {
  const { t } = useTranslation();
  const optionalT = useOptionalT();
  const [filters, setFilters] = useState<FilterState>(EMPTY_FILTERS);
  const [action] = useDebouncedValue(filters.action, 350);
  const query = useMemo(() => toQuery(filters, action), [filters, action]);
  const log = useAuditLog(query);
  const [expanded, setExpanded] = useState<Set<string>>(new Set());
  const isFiltered = Object.values(query).some(Boolean);

  const toggle = (id: string) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const columns: Column<AuditEntry>[] = [
    {
      key: 'time',
      header: t('audit.columns.time'),
      render: (entry) => <DateTime value={entry.created_at} />,
    },
    {
      key: 'actor',
      header: t('audit.columns.actor'),
      render: ({ actor }) => {
        const ActorIcon = ACTOR_ICONS[actor.type] ?? IconUser;
        return (
          <Group gap={6} wrap="nowrap">
            <ActorIcon size={16} aria-hidden />
            <Stack gap={0}>
              <Text size="sm">{actor.label || shortId(actor.id) || t(`audit.actors.${actor.type}`)}</Text>
              <Text size="xs" c="dimmed">
                {t(`audit.actors.${actor.type}`)}
              </Text>
            </Stack>
          </Group>
        );
      },
    },
    {
      key: 'action',
      header: t('audit.columns.action'),
      render: (entry) => {
        const label = optionalT(`audit.actions.${entry.action}`, '');
        if (!label) {
          return (
            <Text size="sm" ff="monospace">
              {entry.action}
            </Text>
          );
        }
        return (
          <Stack gap={0}>
            <Text size="sm" fw={500}>
              {label}
            </Text>
            <Text size="xs" c="dimmed" ff="monospace">
              {entry.action}
            </Text>
          </Stack>
        );
      },
    },
    {
      key: 'entity',
      header: t('audit.columns.entity'),
      render: (entry) => (
        <Stack gap={0}>
          <Text size="sm">{optionalT(`audit.entities.${entry.entity_type}`, entry.entity_type)}</Text>
          {entry.entity_id ? (
            <Tooltip label={entry.entity_id} withArrow>
              <Text size="xs" c="dimmed" ff="monospace">
                {shortId(entry.entity_id)}
              </Text>
            </Tooltip>
          ) : null}
        </Stack>
      ),
    },
    {
      key: 'changes',
      header: t('audit.columns.changes'),
      render: (entry) => {
        const count = entry.changes ? Object.keys(entry.changes).length : 0;
        if (!count)
          return (
            <Text size="sm" c="dimmed">
              —
            </Text>
          );
        const open = expanded.has(entry.id);
        return (
          <Button
            size="compact-sm"
            variant="subtle"
            rightSection={
              open ? <IconChevronUp size={14} aria-hidden /> : <IconChevronDown size={14} aria-hidden />
            }
            onClick={() => toggle(entry.id)}
            aria-expanded={open}
          >
            {t('audit.fieldsChanged', { count })}
          </Button>
        );
      },
    },
    {
      key: 'ip',
      header: t('audit.columns.ip'),
      render: (entry) => (
        <Text size="xs" ff="monospace" c={entry.ip ? undefined : 'dimmed'}>
          {entry.ip ?? '—'}
        </Text>
      ),
    },
  ];

  return (
    <>
      <PageHeader title={t('audit.title')} description={t('audit.description')} />
      <SettingsSection flush title={t('audit.listTitle')} description={t('audit.listDescription')}>
        <AuditFiltersBar value={filters} onChange={setFilters} />
        <Divider />
        <DataTable
          label={t('audit.listTitle')}
          columns={columns}
          rows={log.data?.items}
          rowKey={(entry) => entry.id}
          loading={log.isPending}
          error={log.error}
          onRetry={() => void log.refetch()}
          minWidth={900}
          renderExpansion={(entry) =>
            entry.changes && expanded.has(entry.id) ? <ChangesDiff changes={entry.changes} /> : null
          }
          hasMore={log.hasNextPage}
          loadingMore={log.isFetchingNextPage}
          onLoadMore={() => void log.fetchNextPage()}
          empty={
            <EmptyState
              icon={IconHistory}
              title={isFiltered ? t('audit.noMatchTitle') : t('audit.emptyTitle')}
              description={isFiltered ? t('audit.noMatchText') : t('audit.emptyText')}
            />
          }
        />
      </SettingsSection>
    </>
  );
}
