import {
  Alert,
  Anchor,
  Avatar,
  Badge,
  Box,
  Group,
  Loader,
  Paper,
  Progress,
  Skeleton,
  Stack,
  Table,
  Text,
  Title,
} from '@mantine/core';
import { IconAlertTriangle, IconExternalLink, IconUserSearch, IconUsers } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { isApiError } from '../../../api/client';
import type { Client } from '../../../api/clients';
import { DateTime } from '../../../ui/DateTime';
import { EmptyState } from '../../../ui/EmptyState';
import { QueryError } from '../../../ui/QueryError';
import { useFormatters } from '../../clients/shared/format';
import { TagChips } from '../../clients/shared/TagChips';

interface CountProps {
  count: number | undefined;
  /** Every client of the workspace, for the share. */
  total: number | undefined;
  /** A newer answer is on its way. */
  fetching: boolean;
  error: unknown;
  onRetry: () => void;
  /** Unfinished conditions the count leaves out. */
  skipped: number;
  sentence: string;
  /** Label above the number (saved static segments say "members"). */
  title?: string;
  /** Words under the number, for this count ("clients match" by default). */
  unit?: (count: number) => string;
}

/** The live count, its share of all clients, and the tree in one sentence. */
export function LiveCount({
  count,
  total,
  fetching,
  error,
  onRetry,
  skipped,
  sentence,
  title,
  unit,
}: CountProps) {
  const { t } = useTranslation();
  const format = useFormatters();
  const invalid = isApiError(error) && error.code === 'INVALID_SEGMENT';
  const timeout = isApiError(error) && error.code === 'SEGMENT_TIMEOUT';
  const share = count !== undefined && total ? Math.min(100, (count / total) * 100) : null;
  const shareText =
    share === null ? null : share > 0 && share < 0.1 ? '<0.1' : format.number(Math.round(share * 10) / 10);

  return (
    <Stack gap="sm">
      <Group justify="space-between" align="center" gap="xs">
        <Text size="sm" fw={600} c="dimmed" tt="uppercase" style={{ letterSpacing: '0.04em' }}>
          {title ?? t('segments.live.title')}
        </Text>
        {fetching ? (
          <Group gap={6} aria-live="polite">
            <Loader size={14} />
            <Text size="xs" c="dimmed">
              {t('segments.live.counting')}
            </Text>
          </Group>
        ) : null}
      </Group>
      <Group gap="sm" align="center" wrap="nowrap" aria-live="polite" aria-atomic>
        <IconUsers size={30} stroke={1.6} color="var(--mantine-primary-color-filled)" aria-hidden />
        {count === undefined ? (
          error ? (
            <Text fz={34} fw={700} lh={1.1} c="dimmed">
              —
            </Text>
          ) : (
            <Skeleton height={38} width={120} radius="sm" />
          )
        ) : (
          <Box style={{ opacity: fetching || error ? 0.55 : 1, transition: 'opacity 120ms' }}>
            <Text fz={34} fw={700} lh={1.1} data-testid="segment-count">
              {format.number(count)}
            </Text>
            <Text size="sm" c="dimmed">
              {unit ? unit(count) : t('segments.live.clientsMatch', { count })}
            </Text>
          </Box>
        )}
      </Group>
      {share !== null && !error ? (
        <Stack gap={4}>
          <Progress value={share} size="sm" aria-hidden />
          <Text size="xs" c="dimmed">
            {t('segments.live.share', {
              share: shareText,
              total: format.number(total ?? 0),
              count: total ?? 0,
            })}
          </Text>
        </Stack>
      ) : null}
      {invalid ? (
        <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} aria-hidden />} p="xs">
          <Text size="sm">{t('segments.live.invalid')}</Text>
        </Alert>
      ) : timeout ? (
        <Alert color="orange" variant="light" icon={<IconAlertTriangle size={18} aria-hidden />} p="xs">
          <Text size="sm">{t('segments.live.timeout')}</Text>
        </Alert>
      ) : error ? (
        <QueryError error={error} onRetry={onRetry} title={t('segments.live.failed')} />
      ) : null}
      <Box
        p="sm"
        style={{
          borderRadius: 'var(--mantine-radius-md)',
          background: 'var(--mantine-color-default-hover)',
        }}
      >
        <Text size="xs" c="dimmed" fw={600} mb={4}>
          {t('segments.live.inWords')}
        </Text>
        <Text size="sm" data-testid="segment-sentence" style={{ lineHeight: 1.55 }}>
          {sentence}
        </Text>
      </Box>
      {skipped ? (
        <Text size="xs" c="dimmed">
          {t('segments.live.skipped', { count: skipped })}
        </Text>
      ) : null}
    </Stack>
  );
}

interface PreviewProps {
  clients: Client[] | undefined;
  count: number | undefined;
  loading: boolean;
  title?: string;
  /** Extra rows (a static segment's "Load more"). */
  footer?: React.ReactNode;
}

/** The first clients who match: enough to check the tree means what you think. */
export function PreviewTable({ clients, count, loading, title, footer }: PreviewProps) {
  const { t } = useTranslation();
  const format = useFormatters();
  const shown = clients?.length ?? 0;

  return (
    <Paper withBorder radius="md">
      <Group justify="space-between" p="md" gap="xs">
        <Title order={2} size="h4">
          {title ?? t('segments.preview.title')}
        </Title>
        {count !== undefined && clients && count > 0 ? (
          <Text size="sm" c="dimmed">
            {count > shown
              ? t('segments.preview.firstOf', {
                  shown: format.number(shown),
                  count,
                  total: format.number(count),
                })
              : t('segments.preview.all', { count })}
          </Text>
        ) : null}
      </Group>
      {clients && clients.length === 0 && !loading ? (
        <Box style={{ borderTop: '1px solid var(--mantine-color-default-border)' }}>
          <EmptyState
            icon={IconUserSearch}
            title={t('segments.preview.emptyTitle')}
            description={t('segments.preview.emptyText')}
          />
        </Box>
      ) : (
        <Table.ScrollContainer minWidth={720} type="native">
          <Table
            verticalSpacing="xs"
            horizontalSpacing="md"
            highlightOnHover
            aria-label={title ?? t('segments.preview.title')}
            aria-busy={loading}
            style={{ borderTop: '1px solid var(--mantine-color-default-border)' }}
          >
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('clients.columns.name')}</Table.Th>
                <Table.Th>{t('clients.columns.phone')}</Table.Th>
                <Table.Th>{t('clients.columns.city')}</Table.Th>
                <Table.Th>{t('clients.columns.tags')}</Table.Th>
                <Table.Th ta="right">{t('clients.columns.lifetimeValue')}</Table.Th>
                <Table.Th>{t('clients.columns.lastActivity')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {!clients
                ? Array.from({ length: 4 }, (_, index) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: placeholder rows have no identity
                    <Table.Tr key={index}>
                      {Array.from({ length: 6 }, (_, cell) => (
                        // biome-ignore lint/suspicious/noArrayIndexKey: placeholder cells
                        <Table.Td key={cell}>
                          <Skeleton height={14} radius="sm" />
                        </Table.Td>
                      ))}
                    </Table.Tr>
                  ))
                : clients.map((client) => (
                    <Table.Tr key={client.id} data-testid="segment-preview-row">
                      <Table.Td>
                        <Group gap={10} wrap="nowrap">
                          <Avatar name={client.name} color="initials" size={28} radius="xl" aria-hidden />
                          <Stack gap={0} style={{ minWidth: 0 }}>
                            <Anchor
                              href={`/clients/${client.id}`}
                              target="_blank"
                              rel="noopener"
                              size="sm"
                              fw={600}
                              c="var(--mantine-color-text)"
                              truncate="end"
                              maw={220}
                              aria-label={t('segments.preview.openClient', { name: client.name })}
                            >
                              {client.name}
                              <IconExternalLink
                                size={12}
                                aria-hidden
                                style={{ marginLeft: 4, verticalAlign: 'middle', opacity: 0.5 }}
                              />
                            </Anchor>
                            {client.email ? (
                              <Text size="xs" c="dimmed" truncate="end" maw={220}>
                                {client.email}
                              </Text>
                            ) : null}
                          </Stack>
                        </Group>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
                          {client.phone ?? '—'}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{client.city ?? '—'}</Text>
                      </Table.Td>
                      <Table.Td>
                        {client.tags?.length ? (
                          <TagChips tags={client.tags} max={3} budget={24} />
                        ) : (
                          <Text size="sm" c="dimmed">
                            —
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td ta="right">
                        <Text size="sm" style={{ fontVariantNumeric: 'tabular-nums' }}>
                          {format.money(client.lifetime_value ?? 0)}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <DateTime value={client.last_activity_at} />
                      </Table.Td>
                    </Table.Tr>
                  ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {footer}
    </Paper>
  );
}

export function KindBadge({ kind }: { kind: 'dynamic' | 'static' }) {
  const { t } = useTranslation();
  return (
    <Badge
      variant="light"
      color={kind === 'static' ? 'grape' : 'teal'}
      radius="sm"
      tt="none"
      style={{ flexShrink: 0, minWidth: 'max-content' }}
    >
      {t(`segments.kinds.${kind}`)}
    </Badge>
  );
}
