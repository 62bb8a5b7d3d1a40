import { Box, Skeleton, Table } from '@mantine/core';
import { Fragment, type ReactNode } from 'react';
import { LoadMore } from './LoadMore';
import { QueryError } from './QueryError';

export interface Column<Row> {
  key: string;
  header: ReactNode;
  render: (row: Row) => ReactNode;
  width?: number | string;
  align?: 'left' | 'right';
}

interface DataTableProps<Row> {
  /** Accessible name of the table. */
  label: string;
  columns: Column<Row>[];
  rows: Row[] | undefined;
  rowKey: (row: Row) => string;
  loading: boolean;
  error: unknown;
  onRetry?: () => void;
  /** Shown when the list is empty. */
  empty: ReactNode;
  /** Extra full-width content under a row (e.g. details), or null. */
  renderExpansion?: (row: Row) => ReactNode;
  hasMore?: boolean;
  loadingMore?: boolean;
  onLoadMore?: () => void;
  minWidth?: number;
  /** Rows are being changed (e.g. reordered): marked busy for assistive technology, without placeholders. */
  busy?: boolean;
  /** data-testid of every row, for tests. */
  rowTestId?: string;
}

const SKELETON_ROWS = 3;

/** The one table every settings list uses: loading, error, empty, rows, "Load more". */
export function DataTable<Row>(props: DataTableProps<Row>) {
  const { label, columns, rows, rowKey, loading, error, onRetry, empty, renderExpansion } = props;

  if (error && !rows) {
    return (
      <Box p="md">
        <QueryError error={error} onRetry={onRetry} />
      </Box>
    );
  }
  if (!loading && rows && rows.length === 0) return <Box>{empty}</Box>;

  return (
    <>
      <Table.ScrollContainer minWidth={props.minWidth ?? 640} type="native">
        <Table
          verticalSpacing="sm"
          horizontalSpacing="md"
          highlightOnHover
          aria-label={label}
          aria-busy={loading || props.busy}
        >
          <Table.Thead>
            <Table.Tr>
              {columns.map((column) => (
                <Table.Th key={column.key} w={column.width} ta={column.align}>
                  {column.header}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {loading || !rows
              ? Array.from({ length: SKELETON_ROWS }, (_, index) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: placeholder rows have no identity
                  <Table.Tr key={index}>
                    {columns.map((column) => (
                      <Table.Td key={column.key}>
                        <Skeleton height={14} radius="sm" />
                      </Table.Td>
                    ))}
                  </Table.Tr>
                ))
              : rows.map((row) => {
                  const expansion = renderExpansion?.(row);
                  return (
                    <Fragment key={rowKey(row)}>
                      <Table.Tr data-testid={props.rowTestId}>
                        {columns.map((column) => (
                          <Table.Td key={column.key} ta={column.align}>
                            {column.render(row)}
                          </Table.Td>
                        ))}
                      </Table.Tr>
                      {expansion ? (
                        <Table.Tr>
                          <Table.Td colSpan={columns.length} bg="var(--mantine-color-default-hover)">
                            {expansion}
                          </Table.Td>
                        </Table.Tr>
                      ) : null}
                    </Fragment>
                  );
                })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {error && rows ? (
        <Box p="md">
          <QueryError error={error} onRetry={onRetry} />
        </Box>
      ) : null}
      {props.onLoadMore ? (
        <LoadMore
          p="md"
          hasMore={!!props.hasMore}
          loading={!!props.loadingMore}
          onLoadMore={props.onLoadMore}
        />
      ) : null}
    </>
  );
}
