import { Badge, Box, Button, Group, Paper, SegmentedControl, Text, TextInput } from '@mantine/core';
import { useDebouncedValue, useDisclosure } from '@mantine/hooks';
import {
  IconAdjustmentsHorizontal,
  IconArchive,
  IconCopy,
  IconDownload,
  IconExternalLink,
  IconPlus,
  IconSearch,
  IconUsers,
} from '@tabler/icons-react';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { selectionOfListParams } from '../../api/bulk';
import { isApiError } from '../../api/client';
import { useClientCount, useClients } from '../../api/clients';
import { useMe } from '../../api/me';
import { hasRole } from '../../lib/roles';
import { EmptyState } from '../../ui/EmptyState';
import { PageHeader } from '../../ui/PageHeader';
import { QueryError } from '../../ui/QueryError';
import { ExportDialog } from '../imports/ExportDialog';
import { useProblemText, useQueryErrorText } from '../segments/problems';
import { ClientDrawer } from './drawer/ClientDrawer';
import { ClientFormModal } from './form/ClientFormModal';
import { ClientsTable, NO_SELECTION, type Selection } from './list/ClientsTable';
import { ColumnChooser } from './list/ColumnChooser';
import { useClientColumns, useColumnPrefs } from './list/columns';
import { ActiveFilters, FiltersPanel } from './list/FiltersPanel';
import {
  activeFilterCount,
  type ClientFilters,
  isSegmentQuery,
  NO_FILTERS,
  toListParams,
} from './list/filters';
import { SelectionBar } from './list/SelectionBar';

const DEFAULT_SORT = '-created_at';

/** The client list with search, filters, columns and selection; /clients/:id opens a client's drawer over it. */
export function ClientsPage() {
  const { t } = useTranslation();
  const queryErrorText = useQueryErrorText();
  const problemText = useProblemText();
  const navigate = useNavigate();
  const { id: openId } = useParams();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, 'agent');

  const [search, setSearch] = useState('');
  const [debounced] = useDebouncedValue(search.trim(), 250);
  const [filters, setFilters] = useState<ClientFilters>(NO_FILTERS);
  const [sort, setSort] = useState(DEFAULT_SORT);
  /** The Archived view lists archived clients only (to open, export, restore or delete them). */
  const [archivedView, setArchivedView] = useState(false);
  const [selection, setSelection] = useState<Selection>(NO_SELECTION);
  const [filtersOpen, filtersPanel] = useDisclosure(false);
  const [creating, createModal] = useDisclosure(false);
  const [exporting, exportModal] = useDisclosure(false);

  const params = useMemo(
    () => ({
      ...toListParams(debounced, filters, sort),
      ...(archivedView ? { status: 'archived' as const } : {}),
    }),
    [debounced, filters, sort, archivedView],
  );
  const clients = useClients(params);
  const count = useClientCount(params, Boolean(clients.data && !clients.data.totalExact));
  // The list counts up to 1,000; beyond that the exact figure comes from its own request.
  const exactTotal = clients.data?.totalExact ? clients.data.total : count.data?.total;
  const total = exactTotal ?? clients.data?.total ?? 0;
  const counting = exactTotal === undefined;
  // A mistake in a one-line query is shown under the search box, at its column, not as a failure.
  const queryMistake = isApiError(clients.error, 400)
    ? clients.error.details.find((detail) => detail.path === '/query/filter')
    : undefined;
  const listError = queryMistake ? null : clients.error;
  const queryMode = isSegmentQuery(debounced);
  const filterCount = activeFilterCount(filters);
  const narrowed = Boolean(debounced) || filterCount > 0 || archivedView;
  const workspaceIsEmpty = !narrowed && clients.data && total === 0 && !clients.isPlaceholderData;

  // A new search or filter makes a new set of matching clients: the old selection no longer applies.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the query changes
  useEffect(() => setSelection(NO_SELECTION), [debounced, filters, archivedView]);

  const allColumns = useClientColumns();
  const prefs = useColumnPrefs();
  const columns = allColumns.filter((column) => column.id === 'name' || prefs.visible.includes(column.id));

  const addButton = canEdit ? (
    <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={createModal.open}>
      {t('clients.add')}
    </Button>
  ) : null;

  return (
    <>
      <PageHeader
        title={t('modules.clients.title')}
        description={t('modules.clients.description')}
        actions={
          workspaceIsEmpty ? null : (
            <>
              {hasRole(me?.role, 'marketer') ? (
                <Button
                  variant="default"
                  leftSection={<IconDownload size={18} aria-hidden />}
                  onClick={exportModal.open}
                >
                  {t('exports.button')}
                </Button>
              ) : null}
              <Button
                component={Link}
                to="/clients/duplicates"
                variant="default"
                leftSection={<IconCopy size={18} aria-hidden />}
              >
                {t('clients.duplicates.open')}
              </Button>
              {addButton}
            </>
          )
        }
      />
      {listError && !clients.data ? (
        <QueryError error={listError} onRetry={() => void clients.refetch()} />
      ) : workspaceIsEmpty ? (
        <EmptyState
          framed
          icon={IconUsers}
          title={t('modules.clients.emptyTitle')}
          description={canEdit ? t('clients.empty.text') : t('clients.empty.textReadOnly')}
        >
          {addButton}
          <Button
            component="a"
            href="/docs"
            target="_blank"
            rel="noopener"
            variant="light"
            rightSection={<IconExternalLink size={16} aria-hidden />}
          >
            {t('common.apiDocs')}
          </Button>
        </EmptyState>
      ) : (
        <Paper withBorder radius="md">
          <Group justify="space-between" p="md" gap="sm" role="search">
            <Group gap="sm" style={{ flex: '1 1 320px' }} wrap="nowrap">
              <TextInput
                aria-label={t('clients.search')}
                placeholder={t('clients.searchPlaceholder')}
                leftSection={<IconSearch size={16} aria-hidden />}
                value={search}
                onChange={(event) => setSearch(event.currentTarget.value)}
                onKeyDown={(event) => {
                  if (event.key === 'Escape' && search) {
                    event.stopPropagation();
                    setSearch('');
                  }
                }}
                type="search"
                style={{ flex: 1, maxWidth: 420 }}
                error={
                  queryMistake
                    ? queryMistake.column
                      ? t('clients.queryMistakeAt', {
                          column: queryMistake.column,
                          message: queryErrorText(queryMistake),
                        })
                      : problemText(queryMistake)
                    : undefined
                }
                description={queryMode && !queryMistake ? t('clients.queryMode') : undefined}
              />
              {clients.data ? (
                <Text size="sm" c="dimmed" aria-live="polite" style={{ whiteSpace: 'nowrap' }}>
                  {counting
                    ? t(narrowed ? 'clients.matchingAtLeast' : 'clients.totalAtLeast', { count: total })
                    : narrowed
                      ? t('clients.matching', { count: total })
                      : t('clients.total', { count: total })}
                </Text>
              ) : null}
            </Group>
            <Group gap="sm">
              <SegmentedControl
                aria-label={t('clients.status.label')}
                value={archivedView ? 'archived' : 'active'}
                onChange={(value) => setArchivedView(value === 'archived')}
                data={[
                  { value: 'active', label: t('clients.status.active') },
                  { value: 'archived', label: t('clients.status.archived') },
                ]}
                data-testid="client-status"
              />
              <Button
                variant={filtersOpen || filterCount ? 'light' : 'default'}
                leftSection={<IconAdjustmentsHorizontal size={16} aria-hidden />}
                rightSection={
                  filterCount ? (
                    <Badge size="sm" circle>
                      {filterCount}
                    </Badge>
                  ) : undefined
                }
                onClick={filtersPanel.toggle}
                aria-expanded={filtersOpen}
              >
                {t('clients.filters.button')}
              </Button>
              <ColumnChooser
                columns={allColumns}
                visible={prefs.visible}
                onChange={prefs.setVisible}
                onReset={prefs.reset}
              />
            </Group>
          </Group>
          {filtersOpen ? <FiltersPanel value={filters} onChange={setFilters} /> : null}
          <ActiveFilters value={filters} onChange={setFilters} />
          <SelectionBar
            selection={selection}
            onChange={setSelection}
            loadedIds={(clients.data?.items ?? []).map((client) => client.id)}
            total={total}
            bulkSelection={selection.all ? selectionOfListParams(params) : { client_ids: [...selection.ids] }}
            archived={archivedView}
          />
          <Box style={{ borderTop: '1px solid var(--mantine-color-default-border)' }}>
            {clients.data && total === 0 && archivedView && !debounced && !filterCount ? (
              <EmptyState
                icon={IconArchive}
                title={t('clients.archivedEmpty.title')}
                description={t('clients.archivedEmpty.text')}
              >
                <Button variant="light" onClick={() => setArchivedView(false)}>
                  {t('clients.archivedEmpty.back')}
                </Button>
              </EmptyState>
            ) : clients.data && total === 0 ? (
              <EmptyState
                icon={IconSearch}
                title={t('clients.noMatchTitle')}
                description={
                  debounced ? t('clients.noMatchText', { search: debounced }) : t('clients.noMatchFilters')
                }
              >
                <Button
                  variant="light"
                  onClick={() => {
                    setSearch('');
                    setFilters(NO_FILTERS);
                  }}
                >
                  {t('clients.resetSearch')}
                </Button>
              </EmptyState>
            ) : (
              <ClientsTable
                columns={columns}
                rows={clients.data?.items}
                loading={clients.isPending}
                sort={sort}
                onSort={setSort}
                selection={selection}
                onSelectionChange={setSelection}
                hasMore={clients.hasNextPage}
                loadingMore={clients.isFetchingNextPage}
                onLoadMore={() => void clients.fetchNextPage()}
                activeId={openId}
              />
            )}
            {listError && clients.data ? (
              <Box p="md">
                <QueryError error={listError} onRetry={() => void clients.refetch()} />
              </Box>
            ) : null}
          </Box>
        </Paper>
      )}
      <ClientFormModal
        opened={creating}
        onClose={createModal.close}
        onCreated={(client) => navigate(`/clients/${client.id}`)}
      />
      <ClientDrawer clientId={openId} onClose={() => navigate('/clients')} />
      {exporting ? (
        <ExportDialog
          opened
          onClose={exportModal.close}
          selection={
            selection.ids.size && !selection.all
              ? { kind: 'ids', ids: [...selection.ids] }
              : { kind: 'filter', query: exportQuery(params) }
          }
          count={selection.ids.size && !selection.all ? selection.ids.size : total}
        />
      ) : null}
    </>
  );
}

/** The list's filters as the export's query (strings only, no sort). */
function exportQuery(params: object): Record<string, string> {
  return Object.fromEntries(
    Object.entries(params).filter(
      ([key, value]) => key !== 'sort' && typeof value === 'string' && value !== '',
    ),
  ) as Record<string, string>;
}
