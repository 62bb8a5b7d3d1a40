import { Badge } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import type { CampaignStatus } from '../../api/campaigns';

const COLORS: Record<CampaignStatus, string> = {
  draft: 'gray',
  scheduled: 'blue',
  sending: 'yellow',
  paused: 'orange',
  sent: 'green',
  cancelled: 'dark',
  failed: 'red',
};

export function CampaignStatusBadge({ status }: { status: CampaignStatus }) {
  const { t } = useTranslation();
  return (
    <Badge color={COLORS[status]} variant="light" data-testid="campaign-status">
      {t(`campaigns.status.${status}`)}
    </Badge>
  );
}
