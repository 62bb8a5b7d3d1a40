import {
  ActionIcon,
  Anchor,
  Box,
  Button,
  Group,
  Loader,
  Menu,
  Paper,
  SegmentedControl,
  Stack,
  Text,
  TextInput,
  Tooltip,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import {
  IconArchive,
  IconArchiveOff,
  IconCopy,
  IconDots,
  IconExternalLink,
  IconFilter,
  IconPlus,
  IconSearch,
} from '@tabler/icons-react';
import dayjs from 'dayjs';
import { lazy, type ReactNode, Suspense, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { useMe } from '../../api/me';
import {
  type Segment,
  useArchiveSegment,
  useDuplicateSegment,
  useRestoreSegment,
  useSavedSegmentCount,
  useSegmentCounts,
  useSegmentPages,
} from '../../api/segments';
import { hasRole } from '../../lib/roles';
import { type Column, DataTable } from '../../ui/DataTable';
import { DateTime } from '../../ui/DateTime';
import { EmptyState } from '../../ui/EmptyState';
import { useErrorMessage } from '../../ui/errors';
import { notifyError, notifySuccess } from '../../ui/notify';
import { PageHeader } from '../../ui/PageHeader';
import { useFormatters } from '../clients/shared/format';
import { KindBadge } from './builder/LivePreview';
import { STARTERS } from './presets';
import { SEGMENT_EDIT_ROLE } from './roles';
import { StaticFromListModal } from './StaticFromListModal';
import { useAskToArchive, useCopyName, useUseLabel } from './usage';

type View = 'active' | 'archived';

const CountSparkline = lazy(() => import('./CountSparkline'));

/** The count over the last 30 days as a small line; a dash until the hourly job has counted twice. */
function CountTrend({ segment }: { segment: Segment }) {
  const { t } = useTranslation();
  const format = useFormatters();
  const counts = useSegmentCounts(segment.id, 30);
  const points = (counts.data ?? []).map((point) => point.count);
  if (counts.isPending) return <Box w={110} h={32} />;
  if (points.length < 2) {
    return (
      <Text size="xs" c="dimmed">
        {t('segments.list.noHistory')}
      </Text>
    );
  }
  const first = points[0] ?? 0;
  const last = points[points.length - 1] ?? 0;
  const label = t('segments.list.trendLabel', { from: format.number(first), to: format.number(last) });
  return (
    <Tooltip label={label} withArrow>
      <Box role="img" aria-label={label} w={110}>
        <Suspense fallback={<Box w={110} h={32} />}>
          <CountSparkline points={points} />
        </Suspense>
      </Box>
    </Tooltip>
  );
}

/** The stored count; a segment the hourly job hasn't counted yet (a new preset) is counted on the spot. */
function CountCell({ segment }: { segment: Segment }) {
  const { t } = useTranslation();
  const format = useFormatters();
  const live = useSavedSegmentCount(segment.id, segment.last_count === null && !segment.archived);
  const count = segment.last_count ?? live.data ?? null;
  if (count === null) {
    if (live.isFetching) return <Loader size={14} aria-label={t('segments.live.counting')} />;
    return (
      <Tooltip label={t('segments.list.notCounted')} withArrow>
        <Text size="sm" c="dimmed" tabIndex={0}>
          —
        </Text>
      </Tooltip>
    );
  }
  const counted = segment.last_counted_at
    ? t('segments.list.countedAt', {
        when: dayjs(segment.last_counted_at).locale(format.language).format('LLL'),
      })
    : null;
  const text = (
    <Text size="sm" fw={600} style={{ fontVariantNumeric: 'tabular-nums' }} data-testid="segment-row-count">
      {format.number(count)}
    </Text>
  );
  return counted ? (
    <Tooltip label={counted} withArrow>
      {text}
    </Tooltip>
  ) : (
    text
  );
}

/** A menu item the role may not use: its reason as a tooltip (a disabled item gets no hover of its own). */
function RoleGate({ allowed, children }: { allowed: boolean; children: ReactNode }) {
  const { t } = useTranslation();
  if (allowed) return children;
  return (
    <Tooltip label={t('segments.list.needsMarketer')} withArrow multiline maw={260} position="left">
      <div>{children}</div>
    </Tooltip>
  );
}

/** The segment manager: saved segments with their count, trend, changes and usage. */
export default function SegmentList() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const errorMessage = useErrorMessage();
  const askToArchive = useAskToArchive();
  const labelOfUse = useUseLabel();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, SEGMENT_EDIT_ROLE);
  const [view, setView] = useState<View>('active');
  const [search, setSearch] = useState('');
  const [fromList, setFromList] = useState(false);
  // The server searches (every word, accents folded) and pages: every segment is reachable.
  const [q] = useDebouncedValue(search.trim(), 250);
  const segments = useSegmentPages({ archived: view === 'archived', q });
  const duplicate = useDuplicateSegment();
  const copyName = useCopyName();
  const archive = useArchiveSegment();
  const restore = useRestoreSegment();

  const rows = segments.segments;

  const workspaceHasNone =
    view === 'active' && rows && !segments.isPlaceholderData && rows.length === 0 && !q && !search;

  const runDuplicate = (segment: Segment) =>
    duplicate.mutate(
      { id: segment.id, name: copyName(segment.name) },
      {
        onSuccess: (copy) => notifySuccess(t('segments.notify.duplicated', { name: copy.name })),
        onError: (error) => notifyError(errorMessage(error)),
      },
    );

  const runArchive = (segment: Segment) =>
    askToArchive(segment, (onError) =>
      archive.mutate(segment.id, {
        onSuccess: () => notifySuccess(t('segments.notify.archived', { name: segment.name })),
        onError,
      }),
    );

  const runRestore = (segment: Segment) =>
    restore.mutate(segment.id, {
      onSuccess: () => notifySuccess(t('segments.notify.restored', { name: segment.name })),
      onError: (error) => notifyError(errorMessage(error)),
    });

  const columns: Column<Segment>[] = [
    {
      key: 'name',
      header: t('segments.list.name'),
      render: (segment) => (
        <Stack gap={2} maw={360}>
          <Anchor
            component={Link}
            to={`/segments/${segment.id}`}
            fw={600}
            size="sm"
            c="var(--mantine-color-text)"
          >
            {segment.name}
          </Anchor>
          {segment.description ? (
            <Text size="xs" c="dimmed" lineClamp={2}>
              {segment.description}
            </Text>
          ) : null}
        </Stack>
      ),
    },
    {
      key: 'count',
      header: t('segments.list.count'),
      align: 'right',
      width: 110,
      render: (segment) => <CountCell segment={segment} />,
    },
    {
      key: 'trend',
      header: <span style={{ whiteSpace: 'nowrap' }}>{t('segments.list.trend')}</span>,
      width: 130,
      render: (segment) => <CountTrend segment={segment} />,
    },
    {
      key: 'kind',
      header: t('segments.list.kind'),
      width: 110,
      render: (segment) => <KindBadge kind={segment.kind} />,
    },
    {
      key: 'updated',
      header: t('segments.list.updated'),
      width: 140,
      render: (segment) => <DateTime value={segment.updated_at} />,
    },
    {
      key: 'used',
      header: t('segments.list.usedBy'),
      width: 170,
      render: (segment) => {
        // Last used shows even when nothing refers to it any more (a deleted campaign still used it).
        const lastUsed = segment.last_used_at ? (
          <Text size="xs" c="dimmed">
            {t('segments.list.lastUsed')} <DateTime value={segment.last_used_at} />
          </Text>
        ) : null;
        return segment.used_by?.length ? (
          <Tooltip label={segment.used_by.map(labelOfUse).join(', ')} withArrow multiline maw={280}>
            <Stack gap={0}>
              <Text size="sm" tabIndex={0}>
                {t('segments.list.usedByCount', { count: segment.used_by.length })}
              </Text>
              {lastUsed}
            </Stack>
          </Tooltip>
        ) : (
          <Stack gap={0}>
            <Text size="sm" c="dimmed">
              {t(lastUsed ? 'segments.list.notUsedNow' : 'segments.list.notUsed')}
            </Text>
            {lastUsed}
          </Stack>
        );
      },
    },
    {
      key: 'actions',
      header: (
        <Box
          component="span"
          style={{ position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)' }}
        >
          {t('common.actions')}
        </Box>
      ),
      width: 56,
      align: 'right',
      render: (segment) => (
        <Menu position="bottom-end" withinPortal>
          <Menu.Target>
            <ActionIcon
              variant="subtle"
              color="gray"
              aria-label={t('segments.list.actionsFor', { name: segment.name })}
            >
              <IconDots size={18} aria-hidden />
            </ActionIcon>
          </Menu.Target>
          <Menu.Dropdown>
            <Menu.Item
              leftSection={<IconExternalLink size={16} aria-hidden />}
              onClick={() => navigate(`/segments/${segment.id}`)}
            >
              {t('segments.actions.open')}
            </Menu.Item>
            {/* Below the marketer role the actions show disabled, with why, rather than vanish. */}
            <RoleGate allowed={canEdit}>
              <Menu.Item
                leftSection={<IconCopy size={16} aria-hidden />}
                onClick={() => runDuplicate(segment)}
                disabled={!canEdit}
              >
                {t('segments.actions.duplicate')}
              </Menu.Item>
            </RoleGate>
            <Menu.Divider />
            <RoleGate allowed={canEdit}>
              {segment.archived ? (
                <Menu.Item
                  leftSection={<IconArchiveOff size={16} aria-hidden />}
                  onClick={() => runRestore(segment)}
                  disabled={!canEdit}
                >
                  {t('segments.actions.restore')}
                </Menu.Item>
              ) : (
                <Menu.Item
                  color="red"
                  leftSection={<IconArchive size={16} aria-hidden />}
                  onClick={() => runArchive(segment)}
                  disabled={!canEdit}
                >
                  {t('segments.actions.archive')}
                </Menu.Item>
              )}
            </RoleGate>
            {canEdit ? null : (
              <Menu.Label maw={240} style={{ whiteSpace: 'normal' }}>
                {t('segments.list.needsMarketer')}
              </Menu.Label>
            )}
          </Menu.Dropdown>
        </Menu>
      ),
    },
  ];

  const newButton = canEdit ? (
    <Group gap="xs">
      <Button variant="default" onClick={() => setFromList(true)}>
        {t('segments.fromList.open')}
      </Button>
      <Button component={Link} to="/segments/new" leftSection={<IconPlus size={18} aria-hidden />}>
        {t('segments.new')}
      </Button>
      <StaticFromListModal opened={fromList} onClose={() => setFromList(false)} />
    </Group>
  ) : null;

  return (
    <>
      <PageHeader
        title={t('modules.segments.title')}
        description={t('modules.segments.description')}
        actions={workspaceHasNone ? null : newButton}
      />
      {workspaceHasNone ? (
        <EmptyState
          framed
          icon={IconFilter}
          title={t('modules.segments.emptyTitle')}
          description={t('segments.empty.text')}
        >
          <Stack align="center" gap="md">
            {newButton}
            {canEdit ? (
              <Stack gap={6} align="center">
                <Text size="sm" c="dimmed">
                  {t('segments.empty.orStart')}
                </Text>
                <Group gap={6} justify="center" maw={560}>
                  {STARTERS.map((key) => (
                    <Button
                      key={key}
                      component={Link}
                      to={`/segments/new?preset=${key}`}
                      variant="light"
                      size="compact-sm"
                    >
                      {t(`segments.starters.${key}`)}
                    </Button>
                  ))}
                </Group>
              </Stack>
            ) : null}
            <Button variant="subtle" size="compact-sm" onClick={() => setView('archived')}>
              {t('segments.empty.seeArchived')}
            </Button>
          </Stack>
        </EmptyState>
      ) : (
        <Paper withBorder radius="md">
          <Group justify="space-between" p="md" gap="sm">
            <TextInput
              aria-label={t('segments.list.search')}
              placeholder={t('segments.list.search')}
              leftSection={<IconSearch size={16} aria-hidden />}
              value={search}
              onChange={(event) => setSearch(event.currentTarget.value)}
              type="search"
              style={{ flex: '1 1 240px', maxWidth: 360 }}
            />
            <SegmentedControl
              aria-label={t('segments.list.show')}
              value={view}
              onChange={(next) => setView(next as View)}
              data={[
                { value: 'active', label: t('segments.list.active') },
                { value: 'archived', label: t('segments.list.archived') },
              ]}
            />
          </Group>
          <Box style={{ borderTop: '1px solid var(--mantine-color-default-border)' }}>
            <DataTable
              label={t('modules.segments.title')}
              columns={columns}
              rows={rows}
              rowKey={(segment) => segment.id}
              loading={segments.isPending}
              busy={segments.isPlaceholderData}
              error={segments.error}
              onRetry={() => void segments.refetch()}
              hasMore={segments.hasNextPage && !segments.isPlaceholderData}
              loadingMore={segments.isFetchingNextPage}
              onLoadMore={() => void segments.fetchNextPage()}
              rowTestId="segment-row"
              minWidth={860}
              empty={
                <EmptyState
                  icon={view === 'archived' ? IconArchive : IconSearch}
                  title={search ? t('segments.list.noMatchTitle') : t('segments.list.noArchivedTitle')}
                  description={
                    search ? t('segments.list.noMatchText', { search }) : t('segments.list.noArchivedText')
                  }
                />
              }
            />
          </Box>
        </Paper>
      )}
    </>
  );
}
