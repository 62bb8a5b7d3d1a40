import { createContext, useContext } from 'react';
import type { FieldCatalog } from '../fields';
import type { EditorGroup, EditorNode, NodeError } from '../model';

export type GroupChoice = 'all' | 'any' | 'none' | 'notall';

export interface BuilderActions {
  update: (id: string, change: (node: EditorNode) => EditorNode) => void;
  remove: (id: string) => void;
  addCondition: (groupId: string) => void;
  addGroup: (groupId: string) => void;
  duplicate: (id: string) => void;
  wrap: (id: string) => void;
  toggleNegation: (id: string) => void;
}

export interface BuilderState {
  root: EditorGroup;
  actions: BuilderActions;
  catalog: FieldCatalog;
  errors: Map<string, NodeError[]>;
  /** Unfinished conditions the preview leaves out. */
  skipped: Set<string>;
  /** Show "choose a value" hints on unfinished conditions (after a failed save). */
  showIncomplete: boolean;
  /** The node whose first control gets focus once rendered (just added). */
  focusId: string | null;
  onFocused: () => void;
  readOnly: boolean;
}

export const BuilderContext = createContext<BuilderState | null>(null);

export function useBuilder(): BuilderState {
  const state = useContext(BuilderContext);
  if (!state) throw new Error('useBuilder outside the segment builder');
  return state;
}
