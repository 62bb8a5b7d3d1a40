import { Anchor, Button, Skeleton, Stack, Table, Text } from '@mantine/core';
import { IconPlus, IconSend } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { type Campaign, useCampaigns } from '../../api/campaigns';
import { DateTime } from '../../ui/DateTime';
import { EmptyState } from '../../ui/EmptyState';
import { PageHeader } from '../../ui/PageHeader';
import { QueryError } from '../../ui/QueryError';
import { CampaignStatusBadge } from './CampaignStatusBadge';

/** Where a campaign row leads: a draft back into its wizard, the others to their page. */
export function campaignHref(campaign: Pick<Campaign, 'id' | 'status'>) {
  return campaign.status === 'draft' ? `/campaigns/${campaign.id}/edit` : `/campaigns/${campaign.id}`;
}

export function CampaignsPage() {
  const { t } = useTranslation();
  const campaigns = useCampaigns();
  const rows = campaigns.data ?? [];
  const newButton = (
    <Button component={Link} to="/campaigns/new" leftSection={<IconPlus size={16} />}>
      {t('campaigns.new')}
    </Button>
  );
  return (
    <>
      <PageHeader
        title={t('modules.campaigns.title')}
        description={t('modules.campaigns.description')}
        actions={rows.length ? newButton : null}
      />
      {campaigns.error && !campaigns.data ? (
        <QueryError error={campaigns.error} onRetry={() => void campaigns.refetch()} />
      ) : null}
      {campaigns.isPending ? (
        <Stack>
          <Skeleton height={40} />
          <Skeleton height={40} />
        </Stack>
      ) : null}
      {campaigns.isSuccess && rows.length === 0 ? (
        <EmptyState
          icon={IconSend}
          title={t('campaigns.emptyTitle')}
          description={t('campaigns.emptyText')}
          framed
        >
          {newButton}
        </EmptyState>
      ) : null}
      {rows.length ? (
        <Table.ScrollContainer minWidth={720}>
          <Table highlightOnHover verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('campaigns.columns.name')}</Table.Th>
                <Table.Th>{t('campaigns.columns.status')}</Table.Th>
                <Table.Th>{t('campaigns.columns.channel')}</Table.Th>
                <Table.Th ta="right">{t('campaigns.columns.recipients')}</Table.Th>
                <Table.Th>{t('campaigns.columns.created')}</Table.Th>
                <Table.Th>{t('campaigns.columns.scheduled')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((campaign) => (
                <Table.Tr key={campaign.id} data-testid="campaign-row">
                  <Table.Td>
                    <Anchor component={Link} to={campaignHref(campaign)} fw={600}>
                      {campaign.name}
                    </Anchor>
                    {campaign.objective ? (
                      <Text size="xs" c="dimmed" lineClamp={1}>
                        {campaign.objective}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>
                    <CampaignStatusBadge status={campaign.status} />
                    {/* Stopped by itself (a person pausing gives no reason): say so before anyone opens it. */}
                    {campaign.status_reason &&
                    (campaign.status === 'failed' || campaign.status === 'paused') ? (
                      <Text size="xs" c={campaign.status === 'failed' ? 'red' : 'orange'} mt={4}>
                        {t(`campaigns.stoppedByItself.${campaign.status}`)}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>{t(`campaigns.channels.${campaign.channel}`)}</Table.Td>
                  <Table.Td ta="right">{campaign.audience_count ?? '—'}</Table.Td>
                  <Table.Td>
                    <DateTime value={campaign.created_at} />
                  </Table.Td>
                  <Table.Td>
                    <DateTime value={campaign.scheduled_at} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      ) : null}
    </>
  );
}
