import { Button, Paper, Stack, Text } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconPlus } from '@tabler/icons-react';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isApiError } from '../../api/client';
import { type SegmentNode, useSegmentCount } from '../../api/segments';
import { type BuilderActions, BuilderContext, type BuilderState } from '../segments/builder/context';
import { GroupEditor } from '../segments/builder/GroupEditor';
import { LiveCount } from '../segments/builder/LivePreview';
import { describeSegment, type Translate } from '../segments/describe';
import { useFieldCatalog } from '../segments/fields';
import {
  appendChild,
  duplicateNode,
  type EditorGroup,
  emptyGroup,
  errorsByNode,
  findNode,
  findParent,
  fromDefinition,
  type NodeError,
  newCondition,
  removeNode,
  toDefinition,
  updateNode,
  wrapInGroup,
} from '../segments/model';

/**
 * An ad-hoc condition tree for a campaign's audience, with the segments builder's own editor and
 * live count. `onChange` gets the finished tree (unfinished conditions left out) 300 ms after edits.
 */
export function AudienceBuilder({
  initial,
  onChange,
}: {
  initial: SegmentNode | null;
  onChange(definition: SegmentNode, complete: boolean): void;
}) {
  const { t, i18n } = useTranslation();
  const catalog = useFieldCatalog();
  // The tree in one sentence, as the segment editor says it (not imported from there: that page is its own chunk).
  const describe = useCallback(
    (definition: SegmentNode) =>
      describeSegment(definition, {
        t: t as unknown as Translate,
        language: i18n.resolvedLanguage ?? 'en',
        customField: catalog.customField,
        labelName: catalog.labelName,
        locationName: catalog.locationName,
      }),
    [t, i18n.resolvedLanguage, catalog],
  );
  const [root, setRoot] = useState<EditorGroup>(() => fromDefinition(initial));
  const [focusId, setFocusId] = useState<string | null>(null);
  const compiled = useMemo(() => toDefinition(root, { skipIncomplete: true }), [root]);
  const [settledRoot] = useDebouncedValue(root, 300);
  const settled = useMemo(() => toDefinition(settledRoot, { skipIncomplete: true }), [settledRoot]);
  const evaluation = useSegmentCount(settled.definition);
  const everyone = useSegmentCount({ all: [] });
  const errors = useMemo(() => {
    const error = evaluation.error;
    if (!isApiError(error) || error.code !== 'INVALID_SEGMENT') return new Map<string, NodeError[]>();
    return errorsByNode(settled, settledRoot.id, error.details);
  }, [evaluation.error, settled, settledRoot.id]);

  useEffect(() => {
    onChange(settled.definition, settled.skipped.size === 0);
  }, [settled, onChange]);

  const actions: BuilderActions = useMemo(
    () => ({
      update: (id, change) => setRoot((current) => updateNode(current, id, change)),
      remove: (id) => setRoot((current) => removeNode(current, id)),
      addCondition: (groupId) => {
        const condition = newCondition();
        setRoot((current) => appendChild(current, groupId, condition));
        setFocusId(condition.id);
      },
      addGroup: (groupId) => {
        const condition = newCondition();
        setRoot((current) => {
          const parent = findNode(current, groupId);
          const group = {
            ...emptyGroup(parent?.kind === 'group' && parent.mode === 'all' ? 'any' : 'all'),
            children: [condition],
          };
          return appendChild(current, groupId, group);
        });
        setFocusId(condition.id);
      },
      duplicate: (id) => setRoot((current) => duplicateNode(current, id).root),
      wrap: (id) => setRoot((current) => wrapInGroup(current, id, findParent(current, id)?.mode ?? 'all')),
      toggleNegation: (id) =>
        setRoot((current) => updateNode(current, id, (node) => ({ ...node, negated: !node.negated }))),
    }),
    [],
  );
  const onFocused = useCallback(() => setFocusId(null), []);
  const state: BuilderState = {
    root,
    actions,
    catalog,
    errors,
    skipped: compiled.skipped,
    showIncomplete: false,
    focusId,
    onFocused,
    readOnly: false,
  };
  return (
    <BuilderContext.Provider value={state}>
      <Stack data-testid="audience-builder">
        <Paper withBorder radius="md" p="md">
          <GroupEditor group={root} />
          {!root.children.length ? (
            <Stack gap="xs" mt="md" align="flex-start">
              <Text size="sm" c="dimmed">
                {t('campaigns.wizard.builderEmpty')}
              </Text>
              <Button
                size="xs"
                variant="light"
                leftSection={<IconPlus size={14} />}
                onClick={() => actions.addCondition(root.id)}
              >
                {t('campaigns.wizard.addCondition')}
              </Button>
            </Stack>
          ) : null}
        </Paper>
        <LiveCount
          count={evaluation.count}
          total={everyone.count}
          fetching={evaluation.isFetching}
          error={errors.size ? null : evaluation.error}
          onRetry={() => void evaluation.refetch()}
          skipped={compiled.skipped.size}
          sentence={describe(compiled.definition)}
        />
      </Stack>
    </BuilderContext.Provider>
  );
}
