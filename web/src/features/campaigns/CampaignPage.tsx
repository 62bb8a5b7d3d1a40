import {
  Alert,
  Anchor,
  Button,
  Card,
  Group,
  Loader,
  Progress,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { modals } from '@mantine/modals';
import {
  IconCopy,
  IconDownload,
  IconPencil,
  IconPlayerPause,
  IconPlayerPlay,
  IconSearch,
  IconSend,
  IconX,
} from '@tabler/icons-react';
import dayjs from 'dayjs';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { pauseReasonOf } from '../../../../src/modules/campaigns/campaigns.reasons.ts';
import {
  type Campaign,
  type CampaignStats,
  DELIVERY_STATUSES,
  type DeliveryStatus,
  useCampaign,
  useCampaignAction,
  useCampaignEvents,
  useCampaignRecipients,
  useCampaignStats,
  useDuplicateCampaign,
  useExcludeClients,
  useSendCampaign,
} from '../../api/campaigns';
import { DateTime } from '../../ui/DateTime';
import { useErrorMessage } from '../../ui/errors';
import { notifyError, notifySuccess } from '../../ui/notify';
import { PageHeader } from '../../ui/PageHeader';
import { QueryError } from '../../ui/QueryError';
import { RecordsExportDialog } from '../imports/RecordsExportDialog';
import { AbTestCard, CostView, FailuresCard, FunnelCard, OverTimeCard } from './CampaignFigures';
import { AudienceAsSent, FailedReason } from './CampaignLifecycle';
import { CampaignStatusBadge } from './CampaignStatusBadge';

/**
 * Where each recipient is now: one card per status (DELIVERY_STATUSES is in the order a message goes
 * through them), so the cards add up to the audience. The ones in `SOMETIMES` are shown only when
 * they have recipients (a message being handed over, opened or clicked, one held for an A/B winner).
 */
const SOMETIMES: DeliveryStatus[] = ['sending', 'read', 'clicked', 'held'];
const FILTERS: (DeliveryStatus | 'all')[] = [
  'all',
  'sent',
  'delivered',
  'read',
  'clicked',
  'failed',
  'unknown',
  'skipped',
  'queued',
  'cancelled',
  'held',
];
/** Filters offered only when some recipient has that status. */
const FILTERS_WHEN_ANY: DeliveryStatus[] = ['delivered', 'read', 'clicked'];

/** One campaign: live progress while sending, what happened to whom, and the controls. */
export function CampaignPage() {
  const { id = '' } = useParams();
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const errorMessage = useErrorMessage();
  const campaign = useCampaign(id);
  const stats = useCampaignStats(id);
  const liveStatus = stats.data?.status ?? campaign.data?.status;
  // Live progress arrives as server-sent events while the campaign can change by itself.
  const pace = useCampaignEvents(id, liveStatus === 'sending' || liveStatus === 'scheduled');
  const action = useCampaignAction(id);
  const duplicate = useDuplicateCampaign();
  const [filter, setFilter] = useState<DeliveryStatus | 'all'>('all');
  // The recipients table follows the stats: each progress event refreshes it.
  const [search, setSearch] = useState('');
  const [exporting, setExporting] = useState(false);
  const [q] = useDebouncedValue(search, 300);
  const recipients = useCampaignRecipients(id, filter === 'all' ? null : filter, q, stats.dataUpdatedAt);
  const exclude = useExcludeClients(id);
  const sendAgain = useSendCampaign(id);
  // The campaign itself (its status, the audience as sent) is read again when the live figures
  // show it changed: a new status, or the recipients just fixed.
  const fixed = stats.data ? stats.data.progress.total > 0 : null;
  const refetchCampaign = campaign.refetch;
  useEffect(() => {
    if (liveStatus !== undefined && fixed !== null) void refetchCampaign();
  }, [liveStatus, fixed, refetchCampaign]);

  if (campaign.error) return <QueryError error={campaign.error} onRetry={() => void campaign.refetch()} />;
  if (!campaign.data) return <Loader aria-label={t('campaigns.loading')} />;
  const status = stats.data?.status ?? campaign.data.status;
  // A scheduled campaign's recipients are fixed but not sent yet: one can still be taken out.
  const canExclude = status === 'scheduled';
  // A campaign that failed before fixing its recipients wrote nothing: once its problem is fixed
  // (the segment restored, another channel…) it is edited and sent like a draft.
  const canSendAgain = status === 'failed' && !campaign.data.snapshot_at;
  const confirmSendAgain = () =>
    modals.openConfirmModal({
      title: t('campaigns.failed.sendAgainTitle'),
      children: <Text size="sm">{t('campaigns.failed.sendAgainText')}</Text>,
      labels: { confirm: t('campaigns.failed.sendAgain'), cancel: t('common.cancel') },
      onConfirm: () =>
        sendAgain.mutate(
          {},
          {
            onSuccess: () => {
              void stats.refetch();
              notifySuccess(t('campaigns.failed.sendAgainDone'));
            },
            onError: (error) => notifyError(errorMessage(error)),
          },
        ),
    });
  const excludeOne = (clientId: string, name: string) =>
    modals.openConfirmModal({
      title: t('campaigns.exclusions.confirmTitle', { name }),
      children: <Text size="sm">{t('campaigns.exclusions.confirmText')}</Text>,
      labels: { confirm: t('campaigns.exclusions.exclude'), cancel: t('common.cancel') },
      onConfirm: () =>
        exclude.mutate([clientId], {
          onSuccess: () => {
            void stats.refetch();
            notifySuccess(t('campaigns.exclusions.done', { name }));
          },
          onError: (error) => notifyError(errorMessage(error)),
        }),
    });

  function confirmAction(kind: 'pause' | 'resume' | 'cancel') {
    modals.openConfirmModal({
      title: t(`campaigns.actions.${kind}Title`),
      children: <Text size="sm">{t(`campaigns.actions.${kind}Text`)}</Text>,
      labels: { confirm: t(`campaigns.actions.${kind}`), cancel: t('common.cancel') },
      confirmProps: { color: kind === 'cancel' ? 'red' : undefined },
      onConfirm: () =>
        action.mutate(kind, {
          onSuccess: () => {
            void stats.refetch();
            notifySuccess(t(`campaigns.actions.${kind}Done`));
          },
          onError: (error) => notifyError(errorMessage(error)),
        }),
    });
  }

  return (
    <>
      <PageHeader
        title={campaign.data.name}
        description={campaign.data.objective ?? undefined}
        actions={
          <>
            {status === 'sending' ? (
              <Button
                variant="default"
                leftSection={<IconPlayerPause size={16} />}
                onClick={() => confirmAction('pause')}
              >
                {t('campaigns.actions.pause')}
              </Button>
            ) : null}
            {status === 'paused' ? (
              <Button
                variant="default"
                leftSection={<IconPlayerPlay size={16} />}
                onClick={() => confirmAction('resume')}
              >
                {t('campaigns.actions.resume')}
              </Button>
            ) : null}
            {['scheduled', 'sending', 'paused'].includes(status) ? (
              <Button
                color="red"
                variant="light"
                leftSection={<IconX size={16} />}
                onClick={() => confirmAction('cancel')}
              >
                {t('campaigns.actions.cancel')}
              </Button>
            ) : null}
            {canSendAgain ? (
              <>
                <Button
                  variant="default"
                  leftSection={<IconPencil size={16} />}
                  onClick={() => navigate(`/campaigns/${id}/edit`)}
                >
                  {t('campaigns.failed.edit')}
                </Button>
                <Button
                  leftSection={<IconSend size={16} />}
                  loading={sendAgain.isPending}
                  onClick={confirmSendAgain}
                >
                  {t('campaigns.failed.sendAgain')}
                </Button>
              </>
            ) : null}
            <Button
              variant="default"
              leftSection={<IconCopy size={16} />}
              loading={duplicate.isPending}
              onClick={() =>
                duplicate.mutate(id, {
                  onSuccess: (copy) => navigate(`/campaigns/${copy.id}/edit`),
                  onError: (error) => notifyError(errorMessage(error)),
                })
              }
            >
              {t('campaigns.actions.duplicate')}
            </Button>
          </>
        }
      />
      <Group gap="sm" mb="md">
        <CampaignStatusBadge status={status} />
        <Text size="sm" c="dimmed">
          {t(`campaigns.channels.${campaign.data.channel}`)}
        </Text>
        {campaign.data.scheduled_at ? (
          <Text size="sm" c="dimmed">
            {t('campaigns.page.scheduledFor')}{' '}
            {dayjs(campaign.data.scheduled_at)
              .locale(i18n.resolvedLanguage ?? 'en')
              .format('LLL')}
          </Text>
        ) : null}
        <Anchor component={Link} to="/campaigns" size="sm">
          {t('campaigns.page.back')}
        </Anchor>
      </Group>
      {stats.data?.status_reason ? (
        stats.data.status === 'failed' ? (
          <FailedReason reason={stats.data.status_reason} canSendAgain={canSendAgain} />
        ) : (
          <StatusReason reason={stats.data.status_reason} />
        )
      ) : null}
      {campaign.data.audience_snapshot ? <AudienceAsSent snapshot={campaign.data.audience_snapshot} /> : null}
      {/* A campaign that failed before fixing its recipients has no figures and no recipients. */}
      {canSendAgain ? null : stats.data ? (
        <StatsView stats={stats.data} campaign={campaign.data} pace={pace} />
      ) : (
        <Loader aria-label={t('campaigns.loading')} />
      )}
      {canSendAgain ? null : (
        <>
          <Title order={2} size="h3" mt="xl" mb="sm">
            {t('campaigns.page.recipients')}
          </Title>
          <Group mb="sm" gap="sm" align="flex-end">
            <SegmentedControl
              value={filter}
              onChange={(v) => setFilter(v as DeliveryStatus | 'all')}
              data={FILTERS.filter(
                (f) =>
                  (f !== 'held' || campaign.data.ab_test) &&
                  (!(FILTERS_WHEN_ANY as string[]).includes(f) ||
                    (stats.data?.counts[f as DeliveryStatus] ?? 0) > 0),
              ).map((f) => ({
                value: f,
                label: f === 'all' ? t('campaigns.page.all') : t(`campaigns.delivery.${f}`),
              }))}
            />
            <TextInput
              aria-label={t('campaigns.page.search')}
              placeholder={t('campaigns.page.search')}
              leftSection={<IconSearch size={16} />}
              value={search}
              onChange={(e) => setSearch(e.currentTarget.value)}
            />
            <Button
              variant="default"
              leftSection={<IconDownload size={16} aria-hidden />}
              onClick={() => setExporting(true)}
            >
              {t('exports.exportRecipients')}
            </Button>
          </Group>
          <RecordsExportDialog
            opened={exporting}
            onClose={() => setExporting(false)}
            selection={{
              kind: 'campaign_recipients',
              campaign_id: id,
              ...(filter === 'all' ? {} : { status: filter }),
            }}
          />
          {recipients.data?.recipients.length ? (
            <Table.ScrollContainer minWidth={720}>
              <Table verticalSpacing="xs" data-testid="recipients">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('campaigns.page.client')}</Table.Th>
                    <Table.Th>{t('campaigns.page.address')}</Table.Th>
                    <Table.Th>{t('campaigns.columns.channel')}</Table.Th>
                    <Table.Th>{t('campaigns.columns.status')}</Table.Th>
                    <Table.Th>{t('campaigns.page.detail')}</Table.Th>
                    <Table.Th>{t('campaigns.page.sentAt')}</Table.Th>
                    {canExclude ? <Table.Th aria-label={t('campaigns.exclusions.exclude')} /> : null}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {recipients.data.recipients.map((r) => (
                    <Table.Tr key={r.id}>
                      <Table.Td>
                        <Anchor component={Link} to={`/clients/${r.client_id}`}>
                          {r.client_name ?? '—'}
                        </Anchor>
                      </Table.Td>
                      <Table.Td>{r.address ?? '—'}</Table.Td>
                      <Table.Td>{t(`campaigns.channels.${r.channel}`)}</Table.Td>
                      <Table.Td>{t(`campaigns.delivery.${r.status}`)}</Table.Td>
                      <Table.Td>
                        {r.skip_reason ? t(`campaigns.skipReason.${r.skip_reason}`) : (r.error ?? '')}
                      </Table.Td>
                      <Table.Td>
                        <DateTime value={r.sent_at} />
                      </Table.Td>
                      {canExclude ? (
                        <Table.Td>
                          {r.status === 'queued' || r.status === 'held' ? (
                            <Button
                              size="compact-xs"
                              variant="subtle"
                              color="red"
                              onClick={() => excludeOne(r.client_id, r.client_name ?? r.address ?? '')}
                            >
                              {t('campaigns.exclusions.exclude')}
                            </Button>
                          ) : null}
                        </Table.Td>
                      ) : null}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          ) : (
            <Text c="dimmed">{recipients.isPending ? '' : t('campaigns.page.noRecipients')}</Text>
          )}
          {recipients.data?.next_cursor ? (
            <Text size="sm" c="dimmed" mt="xs">
              {t('campaigns.page.firstHundred')}
            </Text>
          ) : null}
        </>
      )}
    </>
  );
}

function StatsView({
  stats,
  campaign,
  pace,
}: {
  stats: CampaignStats;
  campaign: Campaign;
  pace: { rate: number; eta: number | null } | null;
}) {
  const { t } = useTranslation();
  /** 4 h 05 min, 12 min, 40 s: how long is left, to the unit that matters. */
  const duration = (seconds: number) =>
    seconds >= 3600
      ? t('campaigns.page.hoursMinutes', {
          hours: Math.floor(seconds / 3600),
          minutes: String(Math.floor((seconds % 3600) / 60)).padStart(2, '0'),
        })
      : seconds >= 60
        ? t('campaigns.page.minutes', { minutes: Math.ceil(seconds / 60) })
        : t('campaigns.page.seconds', { seconds: Math.max(1, Math.round(seconds)) });
  const { done, total } = stats.progress;
  const percent = total ? Math.round((done / total) * 100) : 0;
  const shown = DELIVERY_STATUSES.filter((s) => !SOMETIMES.includes(s) || stats.counts[s] > 0);
  const problems = stats.counts.failed + stats.counts.unknown;
  return (
    <Stack>
      <Card withBorder>
        <Group justify="space-between" mb={6}>
          <Text fw={600}>{t('campaigns.page.progress')}</Text>
          <Text data-testid="progress-text">
            {t('campaigns.page.progressText', { done, total, percent })}
          </Text>
        </Group>
        <Progress
          value={percent}
          size="lg"
          animated={stats.status === 'sending'}
          aria-label={t('campaigns.page.progress')}
          data-testid="progress"
        />
        {stats.status === 'sending' && pace ? (
          <Text size="sm" c="dimmed" mt={6} data-testid="progress-pace">
            {t('campaigns.page.rate', { rate: pace.rate.toLocaleString() })}
            {pace.eta !== null ? ` · ${t('campaigns.page.eta', { time: duration(pace.eta) })}` : ''}
          </Text>
        ) : null}
      </Card>
      <SimpleGrid cols={{ base: 2, sm: 4, lg: Math.min(shown.length, 8) }}>
        {shown.map((s) => (
          <Card withBorder key={s} p="sm" data-testid={`count-${s}`}>
            <Text size="xs" c="dimmed">
              {t(`campaigns.delivery.${s}`)}
            </Text>
            <Text fw={700} size="xl">
              {stats.counts[s]}
            </Text>
          </Card>
        ))}
      </SimpleGrid>
      {problems ? (
        <Alert color="red" title={t('campaigns.page.problemsTitle', { count: problems })}>
          {t('campaigns.page.problemsText')}
        </Alert>
      ) : null}
      {stats.skipped_by_reason.length ? (
        <Card withBorder>
          <Text fw={600} mb="xs">
            {t('campaigns.page.skipped', { count: stats.counts.skipped })}
          </Text>
          {stats.skipped_by_reason.map((s) => (
            <Text key={`${s.reason}-${s.channel}`} size="sm">
              {t(`campaigns.skip.${s.reason}`, {
                count: s.count,
                channel: t(`campaigns.channels.${s.channel}`),
              })}
            </Text>
          ))}
        </Card>
      ) : null}
      <AbTestCard campaign={campaign} stats={stats} />
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <FunnelCard funnel={stats.funnel} />
        <Stack>
          <OverTimeCard overTime={stats.over_time} />
          {stats.cost_actual ? (
            <Card withBorder>
              <Text fw={600} mb="xs">
                {t('campaigns.cost.actual')}
              </Text>
              <CostView cost={stats.cost_actual} testId="cost-actual" />
            </Card>
          ) : null}
        </Stack>
      </SimpleGrid>
      <FailuresCard campaign={campaign} stats={stats} />
    </Stack>
  );
}

/** Why the campaign paused itself (or failed), in the user's language when the reason is a known one. */
function StatusReason({ reason }: { reason: string }) {
  const { t } = useTranslation();
  const known = pauseReasonOf(reason);
  return (
    <Alert
      color="orange"
      mb="md"
      data-testid="status-reason"
      title={known ? t('campaigns.page.pausedByItself') : undefined}
    >
      {known?.kind === 'failure_rate' ? (
        t('campaigns.page.reason.failureRate')
      ) : known?.kind === 'account_refused' ? (
        <>
          {t('campaigns.page.reason.accountRefused', { detail: known.detail })}{' '}
          <Anchor component={Link} to="/settings/channels">
            {t('campaigns.page.reason.openChannels')}
          </Anchor>
        </>
      ) : (
        reason
      )}
    </Alert>
  );
}
