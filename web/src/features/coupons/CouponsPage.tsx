import { Anchor, Box, Button, Group, Paper, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconBan, IconSearch, IconTicket, IconUsers } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import {
  type Coupon,
  type CouponBatch,
  type CouponStatus,
  useCouponBatches,
  useCoupons,
  useRevokeBatch,
  useRevokeCoupon,
} from '../../api/coupons';
import { useMe } from '../../api/me';
import { hasRole } from '../../lib/roles';
import { CopyIconButton } from '../../ui/CopyValue';
import { useConfirm } from '../../ui/confirm';
import { DataTable } from '../../ui/DataTable';
import { DateTime } from '../../ui/DateTime';
import { EmptyState } from '../../ui/EmptyState';
import { useErrorMessage } from '../../ui/errors';
import { notifyError, notifySuccess } from '../../ui/notify';
import { PageHeader } from '../../ui/PageHeader';
import { CouponStatusBadge } from './CouponStatusBadge';

const STATUSES: CouponStatus[] = ['active', 'redeemed', 'expired', 'revoked'];

/**
 * Personal coupons: each batch with its figures (issued, redeemed, rate, revenue), then the codes
 * filtered by status, batch or code, with revoke. Coupons are issued from a selection of clients
 * (Clients or a segment › Actions › Issue coupons).
 */
export function CouponsPage() {
  const { t, i18n } = useTranslation();
  const { data: me } = useMe();
  const canRevoke = hasRole(me?.role, 'marketer');
  const [params, setParams] = useSearchParams();
  const batchId = params.get('batch');
  const [status, setStatus] = useState<CouponStatus | null>(null);
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search.trim(), 250);
  const batches = useCouponBatches();
  const coupons = useCoupons({
    status: status ?? undefined,
    batch_id: batchId ?? undefined,
    q: q || undefined,
  });
  const revoke = useRevokeCoupon();
  const revokeBatch = useRevokeBatch();
  const confirm = useConfirm();
  const errorMessage = useErrorMessage();
  const percent = new Intl.NumberFormat(i18n.language, { style: 'percent', maximumFractionDigits: 1 });
  const number = new Intl.NumberFormat(i18n.language, { maximumFractionDigits: 2 });
  const setBatch = (id: string | null) => {
    const next = new URLSearchParams(params);
    if (id) next.set('batch', id);
    else next.delete('batch');
    setParams(next, { replace: true });
  };
  const nothingYet = batches.data && batches.data.length === 0;

  return (
    <>
      <PageHeader title={t('modules.coupons.title')} description={t('modules.coupons.description')} />
      {nothingYet ? (
        <EmptyState
          framed
          icon={IconTicket}
          title={t('modules.coupons.emptyTitle')}
          description={t('coupons.emptyHow')}
        >
          <Button component={Link} to="/clients" leftSection={<IconUsers size={18} aria-hidden />}>
            {t('coupons.goToClients')}
          </Button>
          <Button component={Link} to="/segments" variant="light">
            {t('coupons.goToSegments')}
          </Button>
        </EmptyState>
      ) : (
        <Stack gap="lg">
          <Paper withBorder radius="md">
            <Title order={2} size="h4" p="md">
              {t('coupons.batches')}
            </Title>
            <DataTable<CouponBatch>
              label={t('coupons.batches')}
              rows={batches.data}
              rowKey={(b) => b.id}
              loading={batches.isPending}
              error={batches.error}
              onRetry={() => void batches.refetch()}
              rowTestId="coupon-batch"
              empty={null}
              columns={[
                {
                  key: 'created',
                  header: t('coupons.created'),
                  render: (b) => <DateTime value={b.created_at} />,
                },
                {
                  key: 'value',
                  header: t('coupons.discount'),
                  render: (b) => (
                    <Stack gap={0}>
                      <Text fw={600}>{b.value}</Text>
                      <Text size="xs" c="dimmed">
                        {[b.prefix, b.reason].filter(Boolean).join(' · ')}
                      </Text>
                    </Stack>
                  ),
                },
                {
                  key: 'expires',
                  header: t('coupons.expires'),
                  render: (b) => <DateTime value={b.expires_at} />,
                },
                {
                  key: 'issued',
                  header: t('coupons.issued'),
                  align: 'right',
                  render: (b) => number.format(b.issued),
                },
                {
                  key: 'redeemed',
                  header: t('coupons.redeemed'),
                  align: 'right',
                  render: (b) => `${number.format(b.redeemed)} (${percent.format(b.redemption_rate)})`,
                },
                {
                  key: 'revenue',
                  header: t('coupons.revenue'),
                  align: 'right',
                  render: (b) => number.format(b.revenue),
                },
                {
                  key: 'actions',
                  header: '',
                  render: (b) => (
                    <Group gap="xs" justify="flex-end" wrap="nowrap">
                      <Button size="compact-sm" variant="subtle" onClick={() => setBatch(b.id)}>
                        {t('coupons.showCodes')}
                      </Button>
                      {b.campaign_id ? (
                        <Anchor component={Link} to={`/campaigns/${b.campaign_id}`} size="sm">
                          {t('coupons.campaign')}
                        </Anchor>
                      ) : null}
                      {canRevoke && b.issued > b.revoked ? (
                        <Button
                          size="compact-sm"
                          variant="subtle"
                          color="red"
                          leftSection={<IconBan size={14} aria-hidden />}
                          onClick={() =>
                            confirm({
                              title: t('coupons.revokeBatchTitle'),
                              message: t('coupons.revokeBatchText', { count: b.issued - b.revoked }),
                              confirmLabel: t('coupons.revokeBatch'),
                              onConfirm: () =>
                                revokeBatch.mutate(b.id, {
                                  onSuccess: (r) =>
                                    notifySuccess(t('coupons.revokedCount', { count: r.revoked })),
                                  onError: (e) => notifyError(errorMessage(e)),
                                }),
                            })
                          }
                        >
                          {t('coupons.revokeBatch')}
                        </Button>
                      ) : null}
                    </Group>
                  ),
                },
              ]}
            />
          </Paper>
          <Paper withBorder radius="md">
            <Group p="md" gap="sm" justify="space-between">
              <Title order={2} size="h4">
                {t('coupons.codes')}
              </Title>
              <Group gap="sm">
                <TextInput
                  aria-label={t('coupons.search')}
                  placeholder={t('coupons.search')}
                  leftSection={<IconSearch size={16} aria-hidden />}
                  value={search}
                  onChange={(event) => setSearch(event.currentTarget.value)}
                />
                <Select
                  aria-label={t('coupons.statusFilter')}
                  placeholder={t('coupons.anyStatus')}
                  data={STATUSES.map((s) => ({ value: s, label: t(`coupons.status.${s}`) }))}
                  value={status}
                  onChange={(value) => setStatus(value as CouponStatus | null)}
                  clearable
                />
                <Select
                  aria-label={t('coupons.batchFilter')}
                  placeholder={t('coupons.anyBatch')}
                  data={(batches.data ?? []).map((b) => ({
                    value: b.id,
                    label: `${b.value}${b.prefix ? ` · ${b.prefix}` : ''} · ${new Date(b.created_at).toLocaleDateString(i18n.language)}`,
                  }))}
                  value={batchId}
                  onChange={setBatch}
                  clearable
                />
              </Group>
            </Group>
            <Box style={{ borderTop: '1px solid var(--mantine-color-default-border)' }}>
              <DataTable<Coupon>
                label={t('coupons.codes')}
                rows={coupons.data}
                rowKey={(c) => c.id}
                loading={coupons.isPending}
                error={coupons.error}
                onRetry={() => void coupons.refetch()}
                rowTestId="coupon-row"
                empty={
                  <EmptyState
                    icon={IconSearch}
                    title={t('coupons.noMatchTitle')}
                    description={t('coupons.noMatchText')}
                  />
                }
                columns={[
                  {
                    key: 'code',
                    header: t('coupons.code'),
                    render: (c) => (
                      <Group gap={4} wrap="nowrap">
                        <Text ff="monospace" fw={600}>
                          {c.code}
                        </Text>
                        <CopyIconButton value={c.code} label={t('coupons.copy', { code: c.code })} />
                      </Group>
                    ),
                  },
                  {
                    key: 'client',
                    header: t('coupons.client'),
                    render: (c) =>
                      c.client_id ? (
                        <Anchor component={Link} to={`/clients/${c.client_id}?tab=coupons`}>
                          {c.client_name ?? t('coupons.unnamed')}
                        </Anchor>
                      ) : (
                        '—'
                      ),
                  },
                  { key: 'value', header: t('coupons.discount'), render: (c) => c.value },
                  {
                    key: 'status',
                    header: t('coupons.statusFilter'),
                    render: (c) => <CouponStatusBadge status={c.status} />,
                  },
                  {
                    key: 'uses',
                    header: t('coupons.uses'),
                    align: 'right',
                    render: (c) => `${c.uses} / ${c.usage_limit}`,
                  },
                  {
                    key: 'expires',
                    header: t('coupons.expires'),
                    render: (c) => <DateTime value={c.expires_at} />,
                  },
                  {
                    key: 'revoke',
                    header: '',
                    render: (c) =>
                      canRevoke && c.status === 'active' ? (
                        <Button
                          size="compact-sm"
                          variant="subtle"
                          color="red"
                          onClick={() =>
                            confirm({
                              title: t('coupons.revokeTitle', { code: c.code }),
                              message: t('coupons.revokeText'),
                              confirmLabel: t('coupons.revoke'),
                              onConfirm: () =>
                                revoke.mutate(c.code, {
                                  onSuccess: () => notifySuccess(t('coupons.revokedOne', { code: c.code })),
                                  onError: (e) => notifyError(errorMessage(e)),
                                }),
                            })
                          }
                        >
                          {t('coupons.revoke')}
                        </Button>
                      ) : null,
                  },
                ]}
              />
            </Box>
          </Paper>
        </Stack>
      )}
    </>
  );
}
