import { Button, Center, Checkbox, Skeleton, Table, UnstyledButton } from '@mantine/core';
import { IconArrowDown, IconArrowsSort, IconArrowUp } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import type { Client } from '../../../api/clients';
import classes from './ClientsTable.module.css';
import type { ClientColumn } from './columns';

export interface Selection {
  ids: Set<string>;
  /** Every client matching the search and filters, loaded or not. */
  all: boolean;
}

export const NO_SELECTION: Selection = { ids: new Set(), all: false };

interface Props {
  columns: ClientColumn[];
  rows: Client[] | undefined;
  loading: boolean;
  sort: string;
  onSort: (sort: string) => void;
  selection: Selection;
  onSelectionChange: (selection: Selection) => void;
  hasMore: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
  /** The client whose drawer is open, highlighted. */
  activeId?: string;
}

function SortHeader({
  column,
  sort,
  onSort,
}: {
  column: ClientColumn;
  sort: string;
  onSort: (sort: string) => void;
}) {
  const { t } = useTranslation();
  const key = column.sort;
  if (!key) return <>{column.headerNode ?? column.header}</>;
  const current = sort.replace(/^-/, '') === key;
  const descending = sort.startsWith('-');
  const next = current ? (descending ? key : `-${key}`) : column.descendingFirst ? `-${key}` : key;
  const Icon = current ? (descending ? IconArrowDown : IconArrowUp) : IconArrowsSort;
  return (
    <UnstyledButton
      className={classes.sort}
      data-active={current || undefined}
      onClick={() => onSort(next)}
      title={t('clients.sortBy', { column: column.header })}
      style={{ justifyContent: column.align === 'right' ? 'flex-end' : undefined }}
    >
      <span>{column.header}</span>
      <Icon size={14} aria-hidden className={classes.sortIcon} />
    </UnstyledButton>
  );
}

/** The client list: selectable rows, server-side sorting, "Load more" keyset paging. */
export function ClientsTable(props: Props) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { columns, rows, loading, sort, selection } = props;
  const loaded = rows ?? [];
  const isSelected = (id: string) => selection.all || selection.ids.has(id);
  const selectedOnPage = loaded.filter((row) => isSelected(row.id)).length;
  const pageChecked = loaded.length > 0 && selectedOnPage === loaded.length;

  const togglePage = () => {
    if (pageChecked) props.onSelectionChange(NO_SELECTION);
    else props.onSelectionChange({ ids: new Set(loaded.map((row) => row.id)), all: false });
  };
  const toggleRow = (id: string) => {
    if (selection.all) {
      const ids = new Set(loaded.map((row) => row.id));
      ids.delete(id);
      props.onSelectionChange({ ids, all: false });
      return;
    }
    const ids = new Set(selection.ids);
    if (ids.has(id)) ids.delete(id);
    else ids.add(id);
    props.onSelectionChange({ ids, all: false });
  };

  const minWidth = 48 + columns.reduce((sum, column) => sum + column.width, 0);

  return (
    <>
      <Table.ScrollContainer minWidth={minWidth} type="native">
        <Table
          verticalSpacing={8}
          horizontalSpacing="xs"
          highlightOnHover
          aria-label={t('modules.clients.title')}
          aria-busy={loading}
          className={classes.table}
        >
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={40} miw={40} scope="col" className={classes.stickyCheck}>
                <Checkbox
                  aria-label={t('clients.selection.page')}
                  checked={pageChecked}
                  indeterminate={selectedOnPage > 0 && !pageChecked}
                  onChange={togglePage}
                  disabled={!loaded.length}
                />
              </Table.Th>
              {columns.map((column) => {
                const current = column.sort && sort.replace(/^-/, '') === column.sort;
                return (
                  <Table.Th
                    key={column.id}
                    scope="col"
                    className={column.id === 'name' ? classes.stickyName : undefined}
                    ta={column.align}
                    miw={column.width}
                    aria-sort={current ? (sort.startsWith('-') ? 'descending' : 'ascending') : undefined}
                  >
                    <SortHeader column={column} sort={sort} onSort={props.onSort} />
                  </Table.Th>
                );
              })}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {loading && !rows
              ? Array.from({ length: 8 }, (_, index) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: placeholder rows have no identity
                  <Table.Tr key={index}>
                    <Table.Td>
                      <Skeleton height={18} width={18} radius="sm" />
                    </Table.Td>
                    {columns.map((column) => (
                      <Table.Td key={column.id}>
                        <Skeleton height={14} radius="sm" />
                      </Table.Td>
                    ))}
                  </Table.Tr>
                ))
              : loaded.map((client) => (
                  <Table.Tr
                    key={client.id}
                    className={classes.row}
                    data-active={props.activeId === client.id || undefined}
                    data-selected={isSelected(client.id) || undefined}
                    onClick={(event) => {
                      // Clicks on controls inside the row do their own thing.
                      if ((event.target as HTMLElement).closest('a, button, input, label')) return;
                      navigate(client.id);
                    }}
                  >
                    <Table.Td className={classes.stickyCheck}>
                      <Checkbox
                        aria-label={t('clients.selection.row', { name: client.name })}
                        checked={isSelected(client.id)}
                        onChange={() => toggleRow(client.id)}
                      />
                    </Table.Td>
                    {columns.map((column) => (
                      <Table.Td
                        key={column.id}
                        ta={column.align}
                        className={column.id === 'name' ? classes.stickyName : undefined}
                      >
                        {column.render(client)}
                      </Table.Td>
                    ))}
                  </Table.Tr>
                ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {props.hasMore ? (
        <Center p="md">
          <Button variant="default" onClick={props.onLoadMore} loading={props.loadingMore}>
            {t('clients.loadMore', { shown: loaded.length })}
          </Button>
        </Center>
      ) : null}
    </>
  );
}
