import { Anchor, Button, Card, Group, Loader, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import {
  IconArrowDownRight,
  IconArrowUpRight,
  IconChartLine,
  IconFilter,
  IconMessages,
  IconSend,
  IconUsers,
} from '@tabler/icons-react';
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { type HomeFigures, useHomeFigures } from '../../api/home';
import { EmptyState } from '../../ui/EmptyState';
import { QueryError } from '../../ui/QueryError';
import { CampaignStatusBadge } from '../campaigns/CampaignStatusBadge';
import { useFormatters } from '../clients/shared/format';

const ClientsChart = lazy(() => import('./HomeCharts').then((m) => ({ default: m.ClientsChart })));
const MessagesChart = lazy(() => import('./HomeCharts').then((m) => ({ default: m.MessagesChart })));

const CHANNELS = ['email', 'sms', 'whatsapp'] as const;

/** The landing figures: clients, messages, the last campaigns and the segments that moved. */
export function HomeDashboard() {
  const { t } = useTranslation();
  const figures = useHomeFigures(12);
  if (figures.error) return <QueryError error={figures.error} onRetry={() => void figures.refetch()} />;
  if (!figures.data) return <Loader aria-label={t('home.dashboard.loading')} mb="xl" />;
  const data = figures.data;
  return (
    <Stack gap="lg" mb="xl" data-testid="home-dashboard">
      <Numbers data={data} />
      <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="lg">
        <ClientsCard data={data} />
        <MessagesCard data={data} />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="lg">
        <CampaignsCard data={data} />
        <SegmentsCard data={data} />
      </SimpleGrid>
    </Stack>
  );
}

function weekLabel(week: string, language: string) {
  return new Intl.DateTimeFormat(language, { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(
    new Date(`${week}T00:00:00Z`),
  );
}

const percent = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 1000) / 10} %`);

function Numbers({ data }: { data: HomeFigures }) {
  const { t } = useTranslation();
  const { number } = useFormatters();
  const thisWeek = data.messages.weekly.at(-1)?.channels.reduce((n, c) => n + c.sent, 0) ?? 0;
  const newThisWeek = data.clients.weekly.at(-1)?.new ?? 0;
  const items = [
    { key: 'clients', value: data.clients.total, icon: IconUsers },
    { key: 'newThisWeek', value: newThisWeek, icon: IconArrowUpRight },
    { key: 'atRisk', value: data.clients.at_risk, icon: IconArrowDownRight },
    { key: 'messagesThisWeek', value: thisWeek, icon: IconMessages },
  ] as const;
  return (
    <SimpleGrid cols={{ base: 2, md: 4 }}>
      {items.map((item) => (
        <Card withBorder key={item.key} p="md" data-testid={`home-number-${item.key}`}>
          <Group justify="space-between" wrap="nowrap">
            <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
              {t(`home.dashboard.numbers.${item.key}`)}
            </Text>
            <item.icon size={18} aria-hidden />
          </Group>
          <Text fw={700} size="xl">
            {number(item.value)}
          </Text>
        </Card>
      ))}
    </SimpleGrid>
  );
}

function ClientsCard({ data }: { data: HomeFigures }) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'en';
  const empty = data.clients.weekly.every((w) => !w.new && !w.active && !w.at_risk);
  // The at-risk line is read from one reading a day, kept from the first day anyone looked (or the
  // hourly job ran): until a past week has one, only this week has a point.
  const noRiskHistory = data.clients.weekly.slice(0, -1).every((w) => w.at_risk === null);
  return (
    <Card withBorder data-testid="home-clients">
      <Title order={2} size="h4" mb="xs">
        {t('home.dashboard.clientsTitle')}
      </Title>
      {empty ? (
        <EmptyState
          icon={IconUsers}
          title={t('home.dashboard.clientsEmpty')}
          description={t('home.dashboard.clientsEmptyText')}
        >
          <Button component={Link} to="/clients" variant="light">
            {t('home.steps.clients.link')}
          </Button>
        </EmptyState>
      ) : (
        <>
          <Suspense fallback={<Loader size="sm" />}>
            <ClientsChart
              data={data.clients.weekly.map((w) => ({ ...w, week: weekLabel(w.week, language) }))}
              labels={{
                new: t('home.dashboard.new'),
                active: t('home.dashboard.active'),
                atRisk: t('home.dashboard.atRiskSeries'),
              }}
            />
          </Suspense>
          {noRiskHistory ? (
            <Text size="sm" c="dimmed" mt="xs" data-testid="home-risk-no-history">
              {t('home.dashboard.atRiskNoHistory')}
            </Text>
          ) : null}
          <Text size="sm" c="dimmed" mt="xs">
            {t('home.dashboard.atRiskNote', { count: data.clients.at_risk })}{' '}
            <Anchor component={Link} to="/segments/new?preset=atRisk" size="sm">
              {t('home.dashboard.atRiskLink')}
            </Anchor>
          </Text>
        </>
      )}
    </Card>
  );
}

function MessagesCard({ data }: { data: HomeFigures }) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'en';
  const totals = CHANNELS.map((channel) => {
    const rows = data.messages.weekly.map((w) => w.channels.find((c) => c.channel === channel)!);
    const sent = rows.reduce((n, r) => n + r.sent, 0);
    const delivered = rows.reduce((n, r) => n + r.delivered, 0);
    const read = rows.reduce((n, r) => n + r.read, 0);
    return { channel, sent, delivery: sent ? delivered / sent : null, read: sent ? read / sent : null };
  });
  const empty = totals.every((c) => c.sent === 0);
  return (
    <Card withBorder data-testid="home-messages">
      <Title order={2} size="h4" mb="xs">
        {t('home.dashboard.messagesTitle')}
      </Title>
      {empty ? (
        <EmptyState
          icon={IconSend}
          title={t('home.dashboard.messagesEmpty')}
          description={t('home.dashboard.messagesEmptyText')}
        >
          <Button component={Link} to="/campaigns/new" variant="light">
            {t('home.dashboard.newCampaign')}
          </Button>
        </EmptyState>
      ) : (
        <>
          <Suspense fallback={<Loader size="sm" />}>
            <MessagesChart
              data={data.messages.weekly.map((w) => ({
                week: weekLabel(w.week, language),
                email: w.channels.find((c) => c.channel === 'email')?.sent ?? 0,
                sms: w.channels.find((c) => c.channel === 'sms')?.sent ?? 0,
                whatsapp: w.channels.find((c) => c.channel === 'whatsapp')?.sent ?? 0,
              }))}
              labels={{
                email: t('campaigns.channels.email'),
                sms: t('campaigns.channels.sms'),
                whatsapp: t('campaigns.channels.whatsapp'),
              }}
            />
          </Suspense>
          <Table mt="sm" verticalSpacing={4} data-testid="home-rates">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('campaigns.columns.channel')}</Table.Th>
                <Table.Th>{t('home.dashboard.sent')}</Table.Th>
                <Table.Th>{t('home.dashboard.deliveryRate')}</Table.Th>
                <Table.Th>{t('home.dashboard.readRate')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {totals.map((c) => (
                <Table.Tr key={c.channel}>
                  <Table.Td>{t(`campaigns.channels.${c.channel}`)}</Table.Td>
                  <Table.Td>{c.sent}</Table.Td>
                  <Table.Td>{percent(c.delivery)}</Table.Td>
                  <Table.Td>{percent(c.read)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </>
      )}
    </Card>
  );
}

function CampaignsCard({ data }: { data: HomeFigures }) {
  const { t } = useTranslation();
  return (
    <Card withBorder data-testid="home-campaigns">
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4">
          {t('home.dashboard.campaignsTitle')}
        </Title>
        {data.last_campaigns.length ? (
          <Anchor component={Link} to="/campaigns" size="sm">
            {t('home.dashboard.allCampaigns')}
          </Anchor>
        ) : null}
      </Group>
      {data.last_campaigns.length ? (
        <Table verticalSpacing={6}>
          <Table.Tbody>
            {data.last_campaigns.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/campaigns/${c.id}`} fw={600} size="sm">
                    {c.name}
                  </Anchor>
                  <Text size="xs" c="dimmed">
                    {t(`campaigns.channels.${c.channel}`)}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <CampaignStatusBadge status={c.status} />
                </Table.Td>
                <Table.Td>
                  <Text size="sm">
                    {t('home.dashboard.campaignFigures', { sent: c.sent, opened: c.opened })}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : (
        <EmptyState
          icon={IconSend}
          title={t('home.dashboard.campaignsEmpty')}
          description={t('home.dashboard.campaignsEmptyText')}
        >
          <Button component={Link} to="/campaigns/new" variant="light">
            {t('home.dashboard.newCampaign')}
          </Button>
        </EmptyState>
      )}
    </Card>
  );
}

function SegmentsCard({ data }: { data: HomeFigures }) {
  const { t } = useTranslation();
  return (
    <Card withBorder data-testid="home-segments">
      <Title order={2} size="h4" mb="xs">
        {t('home.dashboard.segmentsTitle')}
      </Title>
      {data.segments_moved.length ? (
        <Table verticalSpacing={6}>
          <Table.Tbody>
            {data.segments_moved.map((s) => (
              <Table.Tr key={s.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/segments/${s.id}`} fw={600} size="sm">
                    {s.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <Text size="sm">
                    {t('home.dashboard.segmentCounts', { before: s.count_before, now: s.count_now })}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Group gap={4} c={s.change > 0 ? 'teal' : 'red'} wrap="nowrap">
                    {s.change > 0 ? (
                      <IconArrowUpRight size={16} aria-hidden />
                    ) : (
                      <IconArrowDownRight size={16} aria-hidden />
                    )}
                    <Text size="sm" fw={700}>
                      {s.change > 0 ? `+${s.change}` : s.change}
                    </Text>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : (
        <EmptyState
          icon={IconFilter}
          title={t('home.dashboard.segmentsEmpty')}
          description={t('home.dashboard.segmentsEmptyText')}
        >
          <Button component={Link} to="/segments" variant="light" leftSection={<IconChartLine size={16} />}>
            {t('home.steps.segments.link')}
          </Button>
        </EmptyState>
      )}
    </Card>
  );
}
