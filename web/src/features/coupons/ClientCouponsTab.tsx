import { Group, Paper, Skeleton, Stack, Text } from '@mantine/core';
import { IconTicket } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../api/clients';
import { useCoupons } from '../../api/coupons';
import { CopyIconButton } from '../../ui/CopyValue';
import { DateTime } from '../../ui/DateTime';
import { EmptyState } from '../../ui/EmptyState';
import { QueryError } from '../../ui/QueryError';
import { CouponStatusBadge } from './CouponStatusBadge';

/** The Coupons tab of the client drawer: this client's codes, their value, status and uses. */
export function ClientCouponsTab({ client }: { client: Client }) {
  const { t } = useTranslation();
  const coupons = useCoupons({ client_id: client.id });
  if (coupons.isPending) return <Skeleton height={80} />;
  if (coupons.error) return <QueryError error={coupons.error} onRetry={() => void coupons.refetch()} />;
  if (!coupons.data.length)
    return (
      <EmptyState
        icon={IconTicket}
        title={t('coupons.clientEmptyTitle')}
        description={t('coupons.clientEmptyText')}
      />
    );
  return (
    <Stack gap="sm" data-testid="client-coupons">
      {coupons.data.map((coupon) => (
        <Paper key={coupon.id} withBorder p="sm" radius="md">
          <Group justify="space-between" wrap="nowrap">
            <Group gap="xs" wrap="nowrap">
              <Text ff="monospace" fw={650}>
                {coupon.code}
              </Text>
              <CopyIconButton value={coupon.code} label={t('coupons.copy', { code: coupon.code })} />
            </Group>
            <CouponStatusBadge status={coupon.status} />
          </Group>
          <Text size="sm" c="dimmed" mt={4}>
            {t('coupons.summary', { value: coupon.value, uses: coupon.uses, limit: coupon.usage_limit })}
            {' · '}
            {t('coupons.expires')} <DateTime value={coupon.expires_at} />
            {coupon.reason ? ` · ${coupon.reason}` : ''}
          </Text>
        </Paper>
      ))}
    </Stack>
  );
}
