import { Button, Chip, Group, Skeleton, Stack, Text, ThemeIcon, Timeline, Title } from '@mantine/core';
import { IconDownload, IconFileExport, IconHistory } from '@tabler/icons-react';
import dayjs from 'dayjs';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Client } from '../../../api/clients';
import { useCustomFields } from '../../../api/custom-fields';
import { useLabels } from '../../../api/labels';
import { useLocations } from '../../../api/locations';
import { useMe } from '../../../api/me';
import { useMembers } from '../../../api/members';
import {
  downloadTimelineCsv,
  TIMELINE_KINDS,
  type TimelineItem,
  timelineTypes,
  useTimeline,
} from '../../../api/timeline';
import { EmptyState } from '../../../ui/EmptyState';
import { useErrorMessage } from '../../../ui/errors';
import { LoadMore } from '../../../ui/LoadMore';
import { notifyError } from '../../../ui/notify';
import { QueryError } from '../../../ui/QueryError';
import { RecordsExportDialog } from '../../imports/RecordsExportDialog';
import { useDescribe } from './timeline-items';

function dayTitle(
  day: string,
  language: string,
  t: (key: 'timeline.today' | 'timeline.yesterday') => string,
) {
  const date = dayjs(day);
  if (date.isSame(dayjs(), 'day')) return t('timeline.today');
  if (date.isSame(dayjs().subtract(1, 'day'), 'day')) return t('timeline.yesterday');
  const text = date.locale(language).format(date.isSame(dayjs(), 'year') ? 'dddd, D MMMM' : 'dddd, LL');
  return text.charAt(0).toLocaleUpperCase(language) + text.slice(1);
}

/** Everything that happened to the client, newest first, grouped by day, filterable by kind. */
export function TimelineTab({ client }: { client: Client }) {
  const { t, i18n } = useTranslation();
  const language = i18n.resolvedLanguage ?? 'en';
  const [kinds, setKinds] = useState<string[]>([...TIMELINE_KINDS]);
  const types = timelineTypes(kinds);
  const timeline = useTimeline(client.id, types, kinds.length > 0);
  const { data: me } = useMe();
  const fields = useCustomFields(true);
  const labels = useLabels();
  const locations = useLocations(true);
  const members = useMembers();
  const lookups = useMemo(
    () => ({
      fields: fields.data ?? [],
      role: me?.role,
      labels: new Map((labels.data ?? []).map((label) => [label.key, label.name])),
      locations: new Map((locations.data ?? []).map((location) => [location.id, location.name])),
      members: new Map((members.data ?? []).map((member) => [member.user_id, member.name || member.email])),
      // Campaign names the message items carry, so an open or click of the same campaign can say it too.
      campaigns: new Map(
        (timeline.data ?? [])
          .filter((item) => item.kind === 'message' && typeof item.data.campaign_name === 'string')
          .map((item) => [String(item.data.campaign_id), String(item.data.campaign_name)]),
      ),
    }),
    [fields.data, me?.role, labels.data, locations.data, members.data, timeline.data],
  );
  const describe = useDescribe(lookups);
  const errorMessage = useErrorMessage();
  const [downloading, setDownloading] = useState(false);
  const [exporting, setExporting] = useState(false);

  const days = useMemo(() => {
    const groups: Array<{ day: string; items: TimelineItem[] }> = [];
    for (const item of timeline.data ?? []) {
      const day = dayjs(item.occurred_at).format('YYYY-MM-DD');
      const last = groups.at(-1);
      if (last?.day === day) last.items.push(item);
      else groups.push({ day, items: [item] });
    }
    return groups;
  }, [timeline.data]);

  const download = async () => {
    setDownloading(true);
    try {
      await downloadTimelineCsv(client.id, types);
    } catch (error) {
      notifyError(errorMessage(error));
    } finally {
      setDownloading(false);
    }
  };

  return (
    <Stack gap="md">
      <Group justify="space-between" gap="sm" align="center">
        <Chip.Group multiple value={kinds} onChange={setKinds}>
          <Group gap={6} role="group" aria-label={t('timeline.filterLabel')}>
            {TIMELINE_KINDS.map((kind) => (
              <Chip key={kind} value={kind} size="sm" variant="light">
                {t(`timeline.kinds.${kind}`)}
              </Chip>
            ))}
          </Group>
        </Chip.Group>
        <Button
          variant="default"
          size="xs"
          leftSection={<IconDownload size={14} aria-hidden />}
          onClick={() => void download()}
          loading={downloading}
        >
          {t('timeline.csv')}
        </Button>
        <Button
          variant="default"
          size="xs"
          leftSection={<IconFileExport size={14} aria-hidden />}
          onClick={() => setExporting(true)}
        >
          {t('exports.exportTimeline')}
        </Button>
      </Group>
      <RecordsExportDialog
        opened={exporting}
        onClose={() => setExporting(false)}
        selection={{ kind: 'client_timeline', client_id: client.id }}
      />

      {!kinds.length ? (
        <Text size="sm" c="dimmed">
          {t('timeline.noKinds')}
        </Text>
      ) : timeline.error && !timeline.data ? (
        <QueryError error={timeline.error} onRetry={() => void timeline.refetch()} />
      ) : !timeline.data ? (
        <Stack gap="sm" aria-busy="true">
          {[0, 1, 2, 3].map((index) => (
            <Group key={index} gap="sm" wrap="nowrap" align="flex-start">
              <Skeleton circle h={28} w={28} />
              <Stack gap={6} style={{ flex: 1 }}>
                <Skeleton h={14} w="40%" />
                <Skeleton h={12} w="70%" />
              </Stack>
            </Group>
          ))}
        </Stack>
      ) : !days.length ? (
        <EmptyState
          icon={IconHistory}
          title={types ? t('timeline.emptyFilteredTitle') : t('timeline.emptyTitle')}
          description={types ? t('timeline.emptyFilteredText') : t('timeline.emptyText')}
        />
      ) : (
        <Stack gap="lg">
          {days.map(({ day, items }) => (
            <section key={day} aria-label={dayTitle(day, language, t)}>
              <Title order={3} size="h6" c="dimmed" mb="sm" tt="uppercase" style={{ letterSpacing: 0.4 }}>
                {dayTitle(day, language, t)}
              </Title>
              <Timeline bulletSize={28} lineWidth={2}>
                {items.map((item) => {
                  const described = describe(item);
                  const ItemIcon = described.icon;
                  return (
                    <Timeline.Item
                      key={`${item.kind}:${item.id}`}
                      bullet={
                        <ThemeIcon size={28} radius="xl" variant="light" color={described.color}>
                          <ItemIcon size={16} aria-hidden />
                        </ThemeIcon>
                      }
                      title={
                        <Group justify="space-between" gap="xs" wrap="nowrap" align="flex-start">
                          <Text size="sm" fw={600} component="div">
                            {described.title}
                          </Text>
                          <Text
                            size="xs"
                            c="dimmed"
                            style={{ whiteSpace: 'nowrap' }}
                            component="time"
                            dateTime={item.occurred_at}
                          >
                            {dayjs(item.occurred_at).locale(language).format('LT')}
                          </Text>
                        </Group>
                      }
                      data-testid="timeline-item"
                    >
                      <Stack gap={2}>
                        {described.body}
                        {item.actor?.label ? (
                          <Text size="xs" c="dimmed">
                            {t('timeline.by', { actor: item.actor.label })}
                          </Text>
                        ) : null}
                      </Stack>
                    </Timeline.Item>
                  );
                })}
              </Timeline>
            </section>
          ))}
          <LoadMore
            hasMore={timeline.hasNextPage}
            loading={timeline.isFetchingNextPage}
            onLoadMore={() => void timeline.fetchNextPage()}
          />
        </Stack>
      )}
    </Stack>
  );
}
