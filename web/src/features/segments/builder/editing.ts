import { type Dispatch, type SetStateAction, useCallback, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { isApiError } from '../../../api/client';
import type { SegmentNode } from '../../../api/segments';
import { describeSegment, type Translate } from '../describe';
import { useFieldCatalog } from '../fields';
import {
  appendChild,
  type Compiled,
  duplicateNode,
  type EditorGroup,
  emptyGroup,
  errorsByNode,
  findNode,
  findParent,
  type NodeError,
  newCondition,
  removeNode,
  updateNode,
  wrapInGroup,
} from '../model';
import { useProblemText } from '../problems';
import type { BuilderActions } from './context';

/**
 * What every condition-tree editor shares (the segment editor, the campaign's ad-hoc audience):
 * the tree edits, the live count's problems mapped onto rows, and the tree said in a sentence.
 * Kept apart from the segment editor's page so the campaign wizard does not load that chunk.
 */

type ChangeRoot = (change: (current: EditorGroup) => EditorGroup) => void;

/**
 * The builder's edits of the tree. A new condition (alone or in a new group) gets the focus; a
 * group added inside an `all` group starts as `any`, the usual reason to add one.
 */
export function useBuilderActions(
  changeRoot: ChangeRoot,
  setFocusId: Dispatch<SetStateAction<string | null>>,
): BuilderActions {
  return useMemo(
    () => ({
      update: (id, change) => changeRoot((current) => updateNode(current, id, change)),
      remove: (id) => changeRoot((current) => removeNode(current, id)),
      addCondition: (groupId) => {
        const condition = newCondition();
        changeRoot((current) => appendChild(current, groupId, condition));
        setFocusId(condition.id);
      },
      addGroup: (groupId) => {
        const condition = newCondition();
        changeRoot((current) => {
          const parent = findNode(current, groupId);
          const group = {
            ...emptyGroup(parent?.kind === 'group' && parent.mode === 'all' ? 'any' : 'all'),
            children: [condition],
          };
          return appendChild(current, groupId, group);
        });
        setFocusId(condition.id);
      },
      duplicate: (id) => changeRoot((current) => duplicateNode(current, id).root),
      wrap: (id) => changeRoot((current) => wrapInGroup(current, id, findParent(current, id)?.mode ?? 'all')),
      toggleNegation: (id) =>
        changeRoot((current) => updateNode(current, id, (node) => ({ ...node, negated: !node.negated }))),
    }),
    [changeRoot, setFocusId],
  );
}

/** The problems an INVALID_SEGMENT answer of the live count names, on the rows they belong to. */
export function useLiveErrors(error: unknown, settled: Compiled, rootId: string): Map<string, NodeError[]> {
  const text = useProblemText();
  return useMemo(() => {
    if (!isApiError(error) || error.code !== 'INVALID_SEGMENT') return new Map<string, NodeError[]>();
    return errorsByNode(settled, rootId, error.details, text);
  }, [error, settled, rootId, text]);
}

/** The tree in one sentence, in the reader's language ("Clients in Madrid, tagged vip, who …"). */
export function useDescribe() {
  const { t, i18n } = useTranslation();
  const catalog = useFieldCatalog();
  return useCallback(
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
}
