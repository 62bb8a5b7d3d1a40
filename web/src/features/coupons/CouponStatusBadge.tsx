import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { CouponStatus } from '../../api/coupons';

const COLORS: Record<CouponStatus, string> = {
  active: 'teal',
  redeemed: 'blue',
  expired: 'gray',
  revoked: 'red',
};

export function CouponStatusBadge({ status }: { status: CouponStatus }) {
  const { t } = useTranslation();
  return (
    <Badge variant="light" color={COLORS[status]}>
      {t(`coupons.status.${status}`)}
    </Badge>
  );
}
