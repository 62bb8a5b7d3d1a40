import { Affix, Anchor, Button, Chip, Grid, Group, Loader, Menu, Paper, Stack, Text } from '@mantine/core';
import {
  useDebouncedValue,
  useHotkeys,
  useIntersection,
  useMediaQuery,
  useWindowEvent,
} from '@mantine/hooks';
import { modals } from '@mantine/modals';
import {
  IconArchive,
  IconArchiveOff,
  IconArrowLeft,
  IconChevronDown,
  IconCopy,
  IconDeviceFloppy,
  IconDownload,
  IconFilter,
  IconPencil,
  IconSnowflake,
  IconUsers,
} from '@tabler/icons-react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useBlocker, useNavigate, useParams, useSearchParams } from 'react-router';
import { isApiError } from '../../api/client';
import { useMe } from '../../api/me';
import {
  parseSegmentQuery,
  type Segment,
  useArchiveSegment,
  useCreateSegment,
  useDuplicateSegment,
  useFreezeSegment,
  useRestoreSegment,
  useSegment,
  useSegmentCount,
  useSegmentPreview,
  useUpdateSegment,
} from '../../api/segments';
import { hasRole } from '../../lib/roles';
import { EmptyState } from '../../ui/EmptyState';
import { useErrorMessage } from '../../ui/errors';
import { LoadMore } from '../../ui/LoadMore';
import { notifyError, notifySuccess } from '../../ui/notify';
import { PageHeader } from '../../ui/PageHeader';
import { QueryError } from '../../ui/QueryError';
import { BulkActionBar } from '../bulk/BulkActionBar';
import { useFormatters } from '../clients/shared/format';
import { ExportDialog } from '../imports/ExportDialog';
import { AlertPanel } from './AlertPanel';
import { BuilderContext, type BuilderState } from './builder/context';
import { DetailsModal, type SegmentDetails } from './builder/DetailsModal';
import { useBuilderActions, useDescribe, useLiveErrors } from './builder/editing';
import { GroupEditor } from './builder/GroupEditor';
import { KindBadge, LiveCount, PreviewTable } from './builder/LivePreview';
import { QueryBar } from './builder/QueryBar';
import { EditorSkeleton } from './EditorSkeleton';
import { useFieldCatalog } from './fields';
import {
  type EditorGroup,
  emptyGroup,
  errorsByNode,
  findNode,
  fromDefinition,
  type NodeError,
  toDefinition,
} from './model';
import { isStarter, STARTERS, type StarterKey, starterDefinition } from './presets';
import { useProblemText } from './problems';
import { queryText } from './query-text';
import { SEGMENT_EDIT_ROLE } from './roles';
import { StaticSegmentView } from './StaticSegmentView';
import { UsedByLine, useAskToArchive, useCopyName } from './usage';

/** /segments/new and /segments/:id: the builder of a dynamic segment, or the members of a static one. */
export default function SegmentEditor() {
  const { id } = useParams();
  const { t } = useTranslation();
  const segment = useSegment(id);

  if (id && segment.isPending) return <EditorSkeleton />;
  if (id && segment.error) {
    if (isApiError(segment.error, 404))
      return (
        <EmptyState
          framed
          icon={IconFilter}
          title={t('segments.notFound.title')}
          description={t('segments.notFound.text')}
        >
          <Button component={Link} to="/segments" variant="light">
            {t('segments.backToList')}
          </Button>
        </EmptyState>
      );
    return <QueryError error={segment.error} onRetry={() => void segment.refetch()} />;
  }
  if (segment.data?.kind === 'static') return <StaticSegmentView segment={segment.data} />;
  return <DynamicBuilder key={id ?? 'new'} segment={segment.data} />;
}

const serialize = (root: EditorGroup) => JSON.stringify(toDefinition(root).definition);

function DynamicBuilder({ segment }: { segment: Segment | undefined }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [searchParams] = useSearchParams();
  const errorMessage = useErrorMessage();
  const askToArchive = useAskToArchive();
  const problemText = useProblemText();
  const { data: me } = useMe();
  const canEdit = hasRole(me?.role, SEGMENT_EDIT_ROLE);
  const readOnly = !canEdit;
  const catalog = useFieldCatalog();
  const describe = useDescribe();
  const { number: formatNumber } = useFormatters();

  const preset = searchParams.get('preset');
  const initialQuery = segment ? null : searchParams.get('q');
  const [root, setRoot] = useState<EditorGroup>(() =>
    fromDefinition(segment?.definition ?? (isStarter(preset) ? starterDefinition(preset) : null)),
  );
  const [baseline, setBaseline] = useState(() => (segment ? serialize(root) : serialize(emptyGroup())));
  const [focusId, setFocusId] = useState<string | null>(null);
  const [showIncomplete, setShowIncomplete] = useState(false);
  // Problems of the saved tree (an archived custom field, a removed label…) show on their rows until edited.
  const [saveErrors, setSaveErrors] = useState<Map<string, NodeError[]> | null>(() =>
    segment?.problems?.length
      ? errorsByNode(toDefinition(root), root.id, segment.problems, problemText)
      : null,
  );
  const [detailsOpen, setDetailsOpen] = useState(false);
  const [exportOpen, setExportOpen] = useState(false);
  // Set just before navigating away on purpose (after creating or archiving): nothing is lost then.
  const leaving = useRef(false);

  const create = useCreateSegment();
  const update = useUpdateSegment();
  const duplicate = useDuplicateSegment();
  const copyName = useCopyName();
  const freeze = useFreezeSegment();
  const archive = useArchiveSegment();
  const restore = useRestoreSegment();

  // A query in the address (/segments/new?q=tag:vip) becomes the starting tree.
  const startedFromQuery = useRef(false);
  useEffect(() => {
    if (!initialQuery || startedFromQuery.current) return;
    startedFromQuery.current = true;
    const controller = new AbortController();
    parseSegmentQuery(initialQuery, controller.signal)
      .then((result) => setRoot(fromDefinition(result.definition)))
      .catch(() => undefined);
    return () => controller.abort();
  }, [initialQuery]);

  const changeRoot = useCallback((next: EditorGroup | ((current: EditorGroup) => EditorGroup)) => {
    setRoot(next);
    setSaveErrors(null);
  }, []);

  // ---- live preview: the finished conditions, 300 ms after the last change ----
  const compiled = useMemo(() => toDefinition(root, { skipIncomplete: true }), [root]);
  const full = useMemo(() => toDefinition(root), [root]);
  const [settledRoot] = useDebouncedValue(root, 300);
  const settled = useMemo(() => toDefinition(settledRoot, { skipIncomplete: true }), [settledRoot]);
  const evaluation = useSegmentCount(settled.definition);
  const preview = useSegmentPreview(settled.definition, 20);
  const everyone = useSegmentCount({ all: [] });
  const liveErrors = useLiveErrors(evaluation.error, settled, settledRoot.id);
  const errors = saveErrors ?? liveErrors;

  const sentence = useMemo(() => describe(compiled.definition), [describe, compiled.definition]);
  const text = useMemo(() => queryText(compiled.definition), [compiled.definition]);
  const dirty = serialize(root) !== baseline;
  const saving = create.isPending || update.isPending;

  // ---- leaving with unsaved changes ----
  const blocker = useBlocker(
    ({ currentLocation, nextLocation }) =>
      dirty && !leaving.current && currentLocation.pathname !== nextLocation.pathname,
  );
  const blockerRef = useRef(blocker);
  blockerRef.current = blocker;
  useEffect(() => {
    if (blocker.state !== 'blocked') return;
    modals.openConfirmModal({
      title: t('segments.leave.title'),
      children: <Text size="sm">{t('segments.leave.text')}</Text>,
      labels: { confirm: t('segments.leave.confirm'), cancel: t('segments.leave.stay') },
      confirmProps: { color: 'red' },
      onConfirm: () => blockerRef.current.proceed?.(),
      onCancel: () => blockerRef.current.reset?.(),
      onClose: () => {
        if (blockerRef.current.state === 'blocked') blockerRef.current.reset?.();
      },
    });
  }, [blocker.state, t]);
  useWindowEvent('beforeunload', (event) => {
    if (dirty) event.preventDefault();
  });

  // ---- tree edits ----
  const actions = useBuilderActions(changeRoot, setFocusId);
  const onFocused = useCallback(() => setFocusId(null), []);

  const state: BuilderState = {
    root,
    actions,
    catalog,
    errors,
    skipped: compiled.skipped,
    showIncomplete,
    focusId,
    onFocused,
    readOnly,
  };

  // ---- save, duplicate, freeze, archive ----
  const unfinished = () => {
    const open = [...toDefinition(root, { skipIncomplete: true }).skipped];
    return open.length > 0 || (root.mode === 'any' && root.children.length === 0);
  };

  const handleSaveError = (error: unknown) => {
    if (isApiError(error) && error.code === 'INVALID_SEGMENT') {
      setSaveErrors(errorsByNode(full, root.id, error.details, problemText));
      notifyError(t('segments.notify.invalid'));
      return true;
    }
    return false;
  };

  const save = () => {
    if (readOnly || saving) return;
    if (unfinished()) {
      setShowIncomplete(true);
      notifyError(t('segments.notify.unfinished'));
      return;
    }
    if (!segment) {
      setDetailsOpen(true);
      return;
    }
    const current = serialize(root);
    update.mutate(
      { id: segment.id, patch: { definition: full.definition } },
      {
        onSuccess: () => {
          setBaseline(current);
          setShowIncomplete(false);
          notifySuccess(t('segments.notify.saved', { name: segment.name }));
        },
        onError: (error) => {
          if (!handleSaveError(error)) notifyError(errorMessage(error));
        },
      },
    );
  };

  const saveDetails = async (details: SegmentDetails) => {
    if (!segment) {
      try {
        const created = await create.mutateAsync({
          name: details.name,
          description: details.description || null,
          definition: full.definition,
        });
        leaving.current = true;
        setDetailsOpen(false);
        notifySuccess(t('segments.notify.created', { name: created.name }));
        navigate(`/segments/${created.id}`, { replace: true });
      } catch (error) {
        if (handleSaveError(error)) setDetailsOpen(false);
        else if (!(isApiError(error) && error.details.some((d) => /^\/(name|description)/.test(d.path))))
          notifyError(errorMessage(error));
        throw error;
      }
      return;
    }
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

  const runDuplicate = () => {
    if (!segment) return;
    duplicate.mutate(
      { id: segment.id, name: copyName(segment.name) },
      {
        onSuccess: (copy) => {
          notifySuccess(t('segments.notify.duplicated', { name: copy.name }));
          navigate(`/segments/${copy.id}`);
        },
        onError: (error) => notifyError(errorMessage(error)),
      },
    );
  };

  const runFreeze = () => {
    if (!segment) return;
    modals.openConfirmModal({
      title: t('segments.freeze.title'),
      children: (
        <Text size="sm">
          {t('segments.freeze.text', { count: evaluation.count ?? segment.last_count ?? 0 })}
        </Text>
      ),
      labels: { confirm: t('segments.freeze.confirm'), cancel: t('common.cancel') },
      onConfirm: () =>
        freeze.mutate(
          { id: segment.id },
          {
            onSuccess: (frozen) => {
              notifySuccess(t('segments.notify.frozen', { name: frozen.name }));
              navigate(`/segments/${frozen.id}`);
            },
            onError: (error) => notifyError(errorMessage(error)),
          },
        ),
    });
  };

  const runArchive = () => {
    if (!segment) return;
    askToArchive(segment, (onError) =>
      archive.mutate(segment.id, {
        onSuccess: () => {
          leaving.current = true;
          notifySuccess(t('segments.notify.archived', { name: segment.name }));
          navigate('/segments');
        },
        onError,
      }),
    );
  };

  useHotkeys([['mod+S', save]], []);

  // Below the wide layout the count sits under the builder: a floating pill keeps it in sight while editing.
  const narrow = useMediaQuery('(max-width: 74.99em)') ?? false;
  const panel = useIntersection<HTMLDivElement>({ threshold: 0.2 });
  const panelVisible = panel.entry?.isIntersecting ?? true;

  const applyStarter = (key: StarterKey) => changeRoot(fromDefinition(starterDefinition(key)));
  const saveFirst = dirty ? t('segments.builder.saveFirst') : null;

  const editActions = readOnly ? null : (
    <>
      {segment ? (
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
              onClick={runDuplicate}
              disabled={Boolean(saveFirst) || duplicate.isPending}
              title={saveFirst ?? undefined}
            >
              {t('segments.actions.duplicate')}
            </Menu.Item>
            <Menu.Item
              leftSection={<IconSnowflake size={16} aria-hidden />}
              onClick={runFreeze}
              disabled={Boolean(saveFirst) || freeze.isPending}
              title={saveFirst ?? undefined}
            >
              {t('segments.actions.freeze')}
            </Menu.Item>
            <Menu.Item
              leftSection={<IconDownload size={16} aria-hidden />}
              onClick={() => setExportOpen(true)}
              disabled={Boolean(saveFirst)}
              title={saveFirst ?? undefined}
            >
              {t('exports.button')}
            </Menu.Item>
            <Menu.Divider />
            {segment.archived ? (
              <Menu.Item
                leftSection={<IconArchiveOff size={16} aria-hidden />}
                onClick={() =>
                  restore.mutate(segment.id, {
                    onSuccess: () => notifySuccess(t('segments.notify.restored', { name: segment.name })),
                    onError: (error) => notifyError(errorMessage(error)),
                  })
                }
              >
                {t('segments.actions.restore')}
              </Menu.Item>
            ) : (
              <Menu.Item color="red" leftSection={<IconArchive size={16} aria-hidden />} onClick={runArchive}>
                {t('segments.actions.archive')}
              </Menu.Item>
            )}
          </Menu.Dropdown>
        </Menu>
      ) : null}
      <Button
        leftSection={<IconDeviceFloppy size={18} aria-hidden />}
        onClick={save}
        loading={saving && !detailsOpen}
        disabled={Boolean(segment) && !dirty}
      >
        {segment
          ? dirty
            ? t('segments.builder.saveChanges')
            : t('segments.builder.saved')
          : t('segments.builder.save')}
      </Button>
    </>
  );

  // Bulk actions act on the saved segment as the server evaluates it, so not while it has unsaved edits.
  const headerActions = (
    <>
      {segment && !segment.archived && !dirty ? (
        <BulkActionBar selection={{ segment_id: segment.id }} size="sm" />
      ) : null}
      {editActions}
    </>
  );

  return (
    <BuilderContext.Provider value={state}>
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
        title={segment?.name ?? t('segments.builder.newTitle')}
        description={
          segment ? (
            <Group gap="xs" component="span">
              <KindBadge kind="dynamic" />
              {segment.archived ? (
                <Text span size="sm" c="orange">
                  {t('segments.list.archivedBadge')}
                </Text>
              ) : null}
              {segment.description ? <span>{segment.description}</span> : null}
            </Group>
          ) : (
            t('segments.builder.newDescription')
          )
        }
        actions={headerActions}
      />
      {segment ? <UsedByLine segment={segment} /> : null}
      {readOnly ? (
        <Text size="sm" c="dimmed" mb="md">
          {t('segments.builder.readOnly')}
        </Text>
      ) : null}
      {segment?.auto_refresh && !dirty ? (
        <Text size="sm" c="dimmed" mb="md">
          {t('segments.builder.autoRefresh')}
        </Text>
      ) : null}
      <Grid gap="md" align="flex-start">
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Stack gap="md">
            <Paper withBorder radius="md" p="md">
              <QueryBar
                text={text}
                onApply={(definition) => changeRoot(fromDefinition(definition))}
                readOnly={readOnly}
              />
            </Paper>
            <Paper withBorder radius="md" p="md">
              <GroupEditor group={root} />
              {!root.children.length ? (
                <Stack gap="xs" mt="md">
                  <Text size="sm" c="dimmed">
                    {t('segments.builder.emptyRoot')}
                  </Text>
                  {readOnly ? null : (
                    <Group gap={6}>
                      {STARTERS.map((key) => (
                        <Chip
                          key={key}
                          checked={false}
                          variant="outline"
                          size="sm"
                          onClick={() => applyStarter(key)}
                        >
                          {t(`segments.starters.${key}`)}
                        </Chip>
                      ))}
                    </Group>
                  )}
                </Stack>
              ) : null}
            </Paper>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <Paper withBorder radius="md" p="md" style={{ position: 'sticky', top: 76 }} ref={panel.ref}>
            <LiveCount
              count={evaluation.count}
              total={everyone.count}
              fetching={evaluation.isFetching}
              error={evaluation.error}
              onRetry={() => void evaluation.refetch()}
              skipped={
                [...compiled.skipped].filter((id) => {
                  const node = findNode(root, id);
                  return (
                    node?.kind === 'condition' && (node.condition.type !== 'field' || node.condition.field)
                  );
                }).length
              }
              sentence={sentence}
            />
          </Paper>
        </Grid.Col>
      </Grid>
      <Stack mt="md">
        <PreviewTable
          clients={preview.error && !isApiError(preview.error) ? undefined : preview.clients}
          count={evaluation.count}
          loading={preview.isFetching}
          footer={
            <LoadMore
              p="md"
              hasMore={preview.hasNextPage && !preview.isPlaceholderData}
              loading={preview.isFetchingNextPage}
              onLoadMore={() => void preview.fetchNextPage()}
            />
          }
        />
        {segment ? <AlertPanel segmentId={segment.id} canEdit={canEdit} /> : null}
      </Stack>
      {segment && exportOpen ? (
        <ExportDialog
          opened
          onClose={() => setExportOpen(false)}
          selection={{ kind: 'segment', segment_id: segment.id }}
          count={evaluation.count}
        />
      ) : null}
      {narrow && !panelVisible && evaluation.count !== undefined ? (
        <Affix position={{ bottom: 16, left: '50%' }} style={{ transform: 'translateX(-50%)' }}>
          <Paper shadow="md" radius="xl" px="md" py={6} withBorder>
            <Group gap={8} wrap="nowrap" aria-hidden>
              <IconUsers size={16} color="var(--mantine-primary-color-filled)" />
              <Text size="sm" fw={600} style={{ whiteSpace: 'nowrap' }}>
                {t('segments.live.floating', {
                  count: evaluation.count,
                  total: formatNumber(evaluation.count),
                })}
              </Text>
              {evaluation.isFetching ? <Loader size={12} /> : null}
            </Group>
          </Paper>
        </Affix>
      ) : null}
      <DetailsModal
        opened={detailsOpen}
        onClose={() => setDetailsOpen(false)}
        title={segment ? t('segments.details.editTitle') : t('segments.details.saveTitle')}
        submitLabel={segment ? t('common.saveChanges') : t('segments.builder.save')}
        initial={{ name: segment?.name ?? '', description: segment?.description ?? '' }}
        sentence={sentence}
        loading={saving}
        onSubmit={saveDetails}
      />
    </BuilderContext.Provider>
  );
}
