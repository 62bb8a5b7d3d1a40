import { Badge, Button, Card, Group, Loader, Progress, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { modals } from '@mantine/modals';
import { IconRefresh, IconTrophy } from '@tabler/icons-react';
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import {
  type Campaign,
  type CampaignStats,
  type Cost,
  useChooseWinner,
  useRetryCampaign,
} from '../../api/campaigns';
import { useErrorMessage } from '../../ui/errors';
import { notifyError, notifySuccess } from '../../ui/notify';
import { useFormatters } from '../clients/shared/format';

const SendsChart = lazy(() => import('./SendsChart'));

const FUNNEL = ['audience', 'eligible', 'sent', 'delivered', 'opened', 'clicked', 'replied'] as const;

/** Audience → eligible → sent → delivered → read/opened → clicked → replied, each as a share of the audience. */
export function FunnelCard({ funnel }: { funnel: CampaignStats['funnel'] }) {
  const { t } = useTranslation();
  const { number } = useFormatters();
  const base = funnel.audience || 1;
  return (
    <Card withBorder data-testid="funnel">
      <Text fw={600} mb="xs">
        {t('campaigns.figures.funnel')}
      </Text>
      <Stack gap={6}>
        {FUNNEL.map((step) => {
          const percent = Math.round((funnel[step] / base) * 1000) / 10;
          return (
            <div key={step}>
              <Group justify="space-between" gap="xs">
                <Text size="sm">{t(`campaigns.figures.steps.${step}`)}</Text>
                <Text size="sm" fw={600} data-testid={`funnel-${step}`}>
                  {number(funnel[step])}{' '}
                  <Text span c="dimmed" size="xs">
                    ({percent} %)
                  </Text>
                </Text>
              </Group>
              <Progress value={percent} size="sm" aria-label={t(`campaigns.figures.steps.${step}`)} />
            </div>
          );
        })}
      </Stack>
      <Text size="xs" c="dimmed" mt="xs">
        {t('campaigns.figures.repliedHelp')}
      </Text>
    </Card>
  );
}

export function OverTimeCard({ overTime }: { overTime: CampaignStats['over_time'] }) {
  const { t, i18n } = useTranslation();
  const format = new Intl.DateTimeFormat(
    i18n.resolvedLanguage,
    overTime.bucket === 'day'
      ? { day: 'numeric', month: 'short' }
      : overTime.bucket === 'hour'
        ? { day: 'numeric', month: 'short', hour: '2-digit' }
        : { hour: '2-digit', minute: '2-digit' },
  );
  const data = overTime.points.map((p) => ({ ...p, at: format.format(new Date(p.at)) }));
  return (
    <Card withBorder>
      <Text fw={600} mb="xs">
        {t(`campaigns.figures.overTime.${overTime.bucket}`)}
      </Text>
      {data.length ? (
        <Suspense fallback={<Loader size="sm" />}>
          <SendsChart
            data={data}
            labels={{ sent: t('campaigns.delivery.sent'), delivered: t('campaigns.delivery.delivered') }}
          />
        </Suspense>
      ) : (
        <Text size="sm" c="dimmed">
          {t('campaigns.page.chartEmpty')}
        </Text>
      )}
    </Card>
  );
}

/** Failed and unknown messages by reason, with "retry these" per status (the user's decision for unknown). */
export function FailuresCard({ campaign, stats }: { campaign: Campaign; stats: CampaignStats }) {
  const { t } = useTranslation();
  const errorMessage = useErrorMessage();
  const retry = useRetryCampaign(campaign.id);
  if (!stats.failures.length) return null;
  const canRetry = ['sending', 'paused', 'sent'].includes(stats.status);
  const confirmRetry = (status: 'failed' | 'unknown', count: number) =>
    modals.openConfirmModal({
      title: t('campaigns.figures.retryTitle', { count }),
      children: <Text size="sm">{t(`campaigns.figures.retryText.${status}`)}</Text>,
      labels: { confirm: t('campaigns.figures.retry'), cancel: t('common.cancel') },
      onConfirm: () =>
        retry.mutate([status], {
          onSuccess: (result) => notifySuccess(t('campaigns.figures.retried', { count: result.requeued })),
          onError: (error) => notifyError(errorMessage(error)),
        }),
    });
  return (
    <Card withBorder data-testid="failures">
      <Text fw={600} mb="xs">
        {t('campaigns.figures.failures')}
      </Text>
      <Table verticalSpacing={4}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{t('campaigns.columns.status')}</Table.Th>
            <Table.Th>{t('campaigns.figures.reason')}</Table.Th>
            <Table.Th>{t('campaigns.figures.count')}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {stats.failures.map((f) => (
            <Table.Tr key={`${f.status}-${f.reason}`}>
              <Table.Td>{t(`campaigns.delivery.${f.status}`)}</Table.Td>
              <Table.Td>
                <Text size="sm">{f.reason}</Text>
                {f.example && f.example !== f.reason ? (
                  <Text size="xs" c="dimmed" lineClamp={1}>
                    {f.example}
                  </Text>
                ) : null}
              </Table.Td>
              <Table.Td>{f.count}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {canRetry ? (
        <Group mt="sm" gap="xs">
          {(['failed', 'unknown'] as const).map((status) =>
            stats.counts[status] ? (
              <Button
                key={status}
                size="xs"
                variant="light"
                leftSection={<IconRefresh size={14} />}
                loading={retry.isPending}
                onClick={() => confirmRetry(status, stats.counts[status])}
              >
                {t(`campaigns.figures.retryThese.${status}`, { count: stats.counts[status] })}
              </Button>
            ) : null,
          )}
        </Group>
      ) : null}
    </Card>
  );
}

/** The A/B test: each variant's figures and rate, the decision (when, by what), and choosing by hand. */
export function AbTestCard({ campaign, stats }: { campaign: Campaign; stats: CampaignStats }) {
  const { t, i18n } = useTranslation();
  const errorMessage = useErrorMessage();
  const choose = useChooseWinner(campaign.id);
  const ab = stats.ab_test;
  if (!ab) return null;
  const decided = ab.winner !== null;
  const when = ab.decide_at ? new Date(ab.decide_at).toLocaleString(i18n.resolvedLanguage) : null;
  const pick = (variant: number) =>
    modals.openConfirmModal({
      title: t('campaigns.ab.pickTitle', { variant: letter(variant) }),
      children: <Text size="sm">{t('campaigns.ab.pickText', { count: ab.held })}</Text>,
      labels: { confirm: t('campaigns.ab.pick'), cancel: t('common.cancel') },
      onConfirm: () =>
        choose.mutate(variant, {
          onSuccess: (result) => notifySuccess(t('campaigns.ab.picked', { count: result.released })),
          onError: (error) => notifyError(errorMessage(error)),
        }),
    });
  return (
    <Card withBorder data-testid="ab-test">
      <Group justify="space-between" mb="xs">
        <Text fw={600}>{t('campaigns.ab.title')}</Text>
        <Text size="sm" c="dimmed">
          {t('campaigns.ab.summary', {
            share: ab.test_share_percent,
            criterion: t(`campaigns.ab.criteria.${ab.criterion}`),
            hours: ab.wait_hours,
          })}
        </Text>
      </Group>
      <Text size="sm" mb="sm">
        {decided
          ? t(`campaigns.ab.decided.${ab.decided_by ?? 'rate'}`, { variant: letter(ab.winner ?? 0) })
          : when
            ? t('campaigns.ab.waiting', { count: ab.held, at: when })
            : t('campaigns.ab.notStarted')}
      </Text>
      <SimpleGrid cols={{ base: 1, sm: ab.variants.length }}>
        {ab.variants.map((v) => (
          <Card key={v.variant} withBorder p="sm" data-testid={`variant-${v.variant}`}>
            <Group justify="space-between" mb={4}>
              <Text fw={700}>{t('campaigns.ab.variant', { variant: letter(v.variant) })}</Text>
              {ab.winner === v.variant ? (
                <Badge color="green" leftSection={<IconTrophy size={12} />}>
                  {t('campaigns.ab.winner')}
                </Badge>
              ) : null}
            </Group>
            <Text size="xl" fw={700}>
              {Math.round(v.rate * 1000) / 10} %
            </Text>
            <Text size="xs" c="dimmed">
              {t('campaigns.ab.rateOf', { criterion: t(`campaigns.ab.criteria.${ab.criterion}`) })}
            </Text>
            <Text size="sm" mt={4}>
              {t('campaigns.ab.counts', {
                sent: v.sent,
                opened: v.opened,
                clicked: v.clicked,
                replied: v.replied,
              })}
            </Text>
            {!decided && ab.decide_at && !['cancelled', 'failed'].includes(stats.status) ? (
              <Button
                size="xs"
                variant="light"
                mt="xs"
                onClick={() => pick(v.variant)}
                loading={choose.isPending}
              >
                {t('campaigns.ab.pickThis')}
              </Button>
            ) : null}
          </Card>
        ))}
      </SimpleGrid>
    </Card>
  );
}

export const letter = (variant: number) => String.fromCharCode(65 + variant);

/** A cost as "€12.40" with its lines ("2,000 SMS × 2 segments × €0.05"). */
export function CostView({ cost, testId }: { cost: Cost; testId?: string }) {
  const { t, i18n } = useTranslation();
  const money = (n: number) =>
    new Intl.NumberFormat(i18n.resolvedLanguage, {
      style: 'currency',
      currency: cost.currency,
      maximumFractionDigits: 4,
    }).format(n);
  return (
    <Stack gap={2} data-testid={testId}>
      <Text fw={700} size="lg">
        {money(cost.total)}
      </Text>
      {cost.lines.map((line) => (
        <Text key={line.channel} size="sm" c="dimmed">
          {line.channel === 'sms'
            ? t('campaigns.cost.smsLine', {
                count: line.messages,
                segments: line.segments_per_message ?? 1,
                price: money(line.unit_price),
                amount: money(line.amount),
              })
            : t('campaigns.cost.line', {
                count: line.messages,
                channel: t(`campaigns.channels.${line.channel}`),
                category: line.whatsapp_category
                  ? t(`campaigns.cost.categories.${line.whatsapp_category}`)
                  : '',
                price: money(line.unit_price),
                amount: money(line.amount),
              })}
        </Text>
      ))}
    </Stack>
  );
}
