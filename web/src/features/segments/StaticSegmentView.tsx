import { Anchor, Button, Grid, Group, Menu, Paper, Stack, Text } from '@mantine/core';
import {
  IconArchive,
  IconArchiveOff,
  IconArrowLeft,
  IconChevronDown,
  IconCopy,
  IconPencil,
} from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { useMe } from '../../api/me';
import {
  type Segment,
  useArchiveSegment,
  useDuplicateSegment,
  useRestoreSegment,
  useSegmentMembers,
  useUpdateSegment,
} from '../../api/segments';
import { hasRole } from '../../lib/roles';
import { DateTime } from '../../ui/DateTime';
import { useErrorMessage } from '../../ui/errors';
import { LoadMore } from '../../ui/LoadMore';
import { notifyError, notifySuccess } from '../../ui/notify';
import { PageHeader } from '../../ui/PageHeader';
import { QueryError } from '../../ui/QueryError';
import { BulkActionBar } from '../bulk/BulkActionBar';
import { DetailsModal, type SegmentDetails } from './builder/DetailsModal';
import { KindBadge, LiveCount, PreviewTable } from './builder/LivePreview';
import { SEGMENT_EDIT_ROLE } from './roles';
import { UsedByLine, useAskToArchive, useCopyName } from './usage';

/** A static segment: a fixed list of clients (frozen from a dynamic one, or given by id). */
export function StaticSegmentView({ segment }: { segment: Segment }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const errorMessage = useErrorMessage();
  const askToArchive = useAskToArchive();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, SEGMENT_EDIT_ROLE);
  const members = useSegmentMembers(segment.id);
  const update = useUpdateSegment();
  const duplicate = useDuplicateSegment();
  const copyName = useCopyName();
  const archive = useArchiveSegment();
  const restore = useRestoreSegment();
  const [detailsOpen, setDetailsOpen] = useState(false);

  const clients = members.data?.pages.flatMap((page) => page.clients);
  const count = members.data?.pages[0]?.count ?? segment.last_count ?? undefined;

  const saveDetails = async (details: SegmentDetails) => {
    try {
      await update.mutateAsync({
        id: segment.id,
        patch: { name: details.name, description: details.description || null },
      });
      setDetailsOpen(false);
      notifySuccess(t('segments.notify.detailsSaved'));
    } catch (error) {
      notifyError(errorMessage(error));
      throw error;
    }
  };

  const runArchive = () =>
    askToArchive(segment, (onError) =>
      archive.mutate(segment.id, {
        onSuccess: () => {
          notifySuccess(t('segments.notify.archived', { name: segment.name }));
          navigate('/segments');
        },
        onError,
      }),
    );

  return (
    <>
      <Anchor
        component={Link}
        to="/segments"
        size="sm"
        c="dimmed"
        mb="xs"
        display="inline-flex"
        style={{ alignItems: 'center', gap: 4 }}
      >
        <IconArrowLeft size={14} aria-hidden />
        {t('segments.backToList')}
      </Anchor>
      <PageHeader
        title={segment.name}
        description={
          <Group gap="xs" component="span">
            <KindBadge kind="static" />
            {segment.archived ? (
              <Text span size="sm" c="orange">
                {t('segments.list.archivedBadge')}
              </Text>
            ) : null}
            {segment.description ? <span>{segment.description}</span> : null}
          </Group>
        }
        actions={
          <>
            {segment.archived ? null : <BulkActionBar selection={{ segment_id: segment.id }} size="sm" />}
            {canEdit ? (
              <Menu position="bottom-end" withinPortal>
                <Menu.Target>
                  <Button variant="default" rightSection={<IconChevronDown size={16} aria-hidden />}>
                    {t('segments.builder.more')}
                  </Button>
                </Menu.Target>
                <Menu.Dropdown>
                  <Menu.Item
                    leftSection={<IconPencil size={16} aria-hidden />}
                    onClick={() => setDetailsOpen(true)}
                  >
                    {t('segments.builder.editDetails')}
                  </Menu.Item>
                  <Menu.Item
                    leftSection={<IconCopy size={16} aria-hidden />}
                    onClick={() =>
                      duplicate.mutate(
                        { id: segment.id, name: copyName(segment.name) },
                        {
                          onSuccess: (copy) => {
                            notifySuccess(t('segments.notify.duplicated', { name: copy.name }));
                            navigate(`/segments/${copy.id}`);
                          },
                          onError: (error) => notifyError(errorMessage(error)),
                        },
                      )
                    }
                  >
                    {t('segments.actions.duplicate')}
                  </Menu.Item>
                  <Menu.Divider />
                  {segment.archived ? (
                    <Menu.Item
                      leftSection={<IconArchiveOff size={16} aria-hidden />}
                      onClick={() =>
                        restore.mutate(segment.id, {
                          onSuccess: () =>
                            notifySuccess(t('segments.notify.restored', { name: segment.name })),
                          onError: (error) => notifyError(errorMessage(error)),
                        })
                      }
                    >
                      {t('segments.actions.restore')}
                    </Menu.Item>
                  ) : (
                    <Menu.Item
                      color="red"
                      leftSection={<IconArchive size={16} aria-hidden />}
                      onClick={runArchive}
                    >
                      {t('segments.actions.archive')}
                    </Menu.Item>
                  )}
                </Menu.Dropdown>
              </Menu>
            ) : null}
          </>
        }
      />
      <UsedByLine segment={segment} />
      <Grid gap="md" align="flex-start">
        <Grid.Col span={{ base: 12, md: 5, lg: 4 }}>
          <Paper withBorder radius="md" p="md">
            <LiveCount
              count={count}
              total={undefined}
              fetching={members.isFetching && !members.isFetchingNextPage}
              error={members.error}
              onRetry={() => void members.refetch()}
              skipped={0}
              sentence={t('segments.static.sentence', { count: count ?? 0 })}
              title={t('segments.static.members')}
              unit={(n) => t('segments.static.clients', { count: n })}
            />
          </Paper>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 7, lg: 8 }}>
          <Paper withBorder radius="md" p="md">
            <Stack gap={6}>
              <Text size="sm">{t('segments.static.explain')}</Text>
              <Group gap={6}>
                <Text size="sm" c="dimmed">
                  {t('segments.static.created')}
                </Text>
                <DateTime value={segment.created_at} />
              </Group>
            </Stack>
          </Paper>
        </Grid.Col>
      </Grid>
      <Stack mt="md">
        {members.error && !members.data ? (
          <QueryError error={members.error} onRetry={() => void members.refetch()} />
        ) : (
          <PreviewTable
            clients={clients}
            count={count}
            loading={members.isFetching}
            title={t('segments.static.members')}
            footer={
              <LoadMore
                p="md"
                hasMore={members.hasNextPage}
                loading={members.isFetchingNextPage}
                onLoadMore={() => void members.fetchNextPage()}
              />
            }
          />
        )}
      </Stack>
      <DetailsModal
        opened={detailsOpen}
        onClose={() => setDetailsOpen(false)}
        title={t('segments.details.editTitle')}
        submitLabel={t('common.saveChanges')}
        initial={{ name: segment.name, description: segment.description ?? '' }}
        loading={update.isPending}
        onSubmit={saveDetails}
      />
    </>
  );
}
