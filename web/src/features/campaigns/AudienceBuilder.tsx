import { Button, Paper, Stack, Text } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconPlus } from '@tabler/icons-react';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type SegmentNode, useSegmentCount } from '../../api/segments';
import { BuilderContext, type BuilderState } from '../segments/builder/context';
import { useBuilderActions, useDescribe, useLiveErrors } from '../segments/builder/editing';
import { GroupEditor } from '../segments/builder/GroupEditor';
import { LiveCount } from '../segments/builder/LivePreview';
import { useFieldCatalog } from '../segments/fields';
import { type EditorGroup, fromDefinition, toDefinition } from '../segments/model';

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
  const { t } = useTranslation();
  const catalog = useFieldCatalog();
  const describe = useDescribe();
  const [root, setRoot] = useState<EditorGroup>(() => fromDefinition(initial));
  const [focusId, setFocusId] = useState<string | null>(null);
  const compiled = useMemo(() => toDefinition(root, { skipIncomplete: true }), [root]);
  const [settledRoot] = useDebouncedValue(root, 300);
  const settled = useMemo(() => toDefinition(settledRoot, { skipIncomplete: true }), [settledRoot]);
  const evaluation = useSegmentCount(settled.definition);
  const everyone = useSegmentCount({ all: [] });
  const errors = useLiveErrors(evaluation.error, settled, settledRoot.id);

  useEffect(() => {
    onChange(settled.definition, settled.skipped.size === 0);
  }, [settled, onChange]);

  const actions = useBuilderActions(setRoot, setFocusId);
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
