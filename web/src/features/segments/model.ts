import {
  COMPARE_OPS,
  type CompareOp,
  type Engagement,
  type EngagementChannel,
  type FieldOp,
  type FieldType,
  type FieldValue,
  isAllNode,
  isAnyNode,
  isEngagementNode,
  isEventNode,
  isFieldNode,
  isNotNode,
  OPS_BY_TYPE,
  SEGMENT_LIMITS,
  type SegmentNode,
} from '../../api/segments';

/**
 * The builder's own copy of a condition tree: every node has a stable id (React keys, focus, errors),
 * `not` is a flag on the node it wraps, and conditions may be unfinished while someone is typing.
 * `toDefinition` turns it back into the contract's JSON and says where each node landed (its JSON
 * Pointer), so the server's validation messages find their way back to the right row.
 */

export type GroupMode = 'all' | 'any';

export interface EditorGroup {
  id: string;
  kind: 'group';
  mode: GroupMode;
  negated: boolean;
  children: EditorNode[];
}

export interface FieldDraft {
  type: 'field';
  field: string | null;
  op: FieldOp | null;
  /** string | number | boolean | list | [from, to] | null while empty. */
  value: DraftValue;
}

export type DraftScalar = string | number | boolean | null;
export type DraftValue = DraftScalar | DraftScalar[];

export interface PropertyDraft {
  key: string;
  value: string | number | boolean;
}

export interface EventDraft {
  type: 'event';
  event: string;
  measure: 'count' | 'sum';
  op: CompareOp;
  value: number | null;
  within_days: number | null;
  location_id: string | null;
  properties: PropertyDraft[];
}

export interface EngagementDraft {
  type: 'engagement';
  engagement: Engagement;
  op: 'has' | 'has_not';
  channel: EngagementChannel | null;
  campaign_id: string | null;
  within_days: number | null;
}

export type ConditionDraft = FieldDraft | EventDraft | EngagementDraft;

export interface EditorCondition {
  id: string;
  kind: 'condition';
  negated: boolean;
  condition: ConditionDraft;
}

export type EditorNode = EditorGroup | EditorCondition;

let sequence = 0;
export const newId = () => `n${++sequence}`;

export function emptyGroup(mode: GroupMode = 'all'): EditorGroup {
  return { id: newId(), kind: 'group', mode, negated: false, children: [] };
}

export function newCondition(condition: ConditionDraft = emptyFieldDraft()): EditorCondition {
  return { id: newId(), kind: 'condition', negated: false, condition };
}

export function emptyFieldDraft(): FieldDraft {
  return { type: 'field', field: null, op: null, value: null };
}

export function newEventDraft(event = 'booking'): EventDraft {
  return {
    type: 'event',
    event,
    measure: 'count',
    op: 'gte',
    value: 1,
    within_days: null,
    location_id: null,
    properties: [],
  };
}

export function newEngagementDraft(): EngagementDraft {
  return {
    type: 'engagement',
    engagement: 'opened',
    op: 'has',
    channel: null,
    campaign_id: null,
    within_days: 30,
  };
}

// ---- operators and values ----------------------------------------------------------------------

export const LIST_OPS = new Set<string>(['in', 'not_in', 'has_any', 'has_all', 'has_none']);
export const NO_VALUE_OPS = new Set<string>(['is_set', 'is_not_set']);
export const DAYS_OPS = new Set<string>(['within_last_days', 'more_than_days_ago']);

export type ValueShape = 'none' | 'single' | 'list' | 'range' | 'days';

export function valueShape(op: string | null): ValueShape {
  if (!op || NO_VALUE_OPS.has(op)) return 'none';
  if (LIST_OPS.has(op)) return 'list';
  if (op === 'between') return 'range';
  if (DAYS_OPS.has(op)) return 'days';
  return 'single';
}

export function opsFor(type: FieldType): readonly FieldOp[] {
  return OPS_BY_TYPE[type];
}

/** The operator a new condition on a field of this type starts with. */
export function defaultOp(type: FieldType): FieldOp {
  switch (type) {
    case 'number':
      return 'gte';
    case 'date':
      return 'within_last_days';
    case 'boolean':
      return 'is';
    case 'multi_select':
    case 'tags':
      return 'has';
    default:
      return 'eq';
  }
}

function defaultValue(type: FieldType, op: FieldOp): DraftValue {
  const shape = valueShape(op);
  if (shape === 'none') return null;
  if (shape === 'list') return [];
  if (shape === 'range') return [null, null];
  if (shape === 'days') return 30;
  if (type === 'boolean') return true;
  return null;
}

/** Keeps what can be kept of a value when the operator changes (one city ↔ a list of cities, …). */
export function convertValue(
  type: FieldType,
  from: FieldOp | null,
  to: FieldOp,
  value: DraftValue,
): DraftValue {
  const before = valueShape(from);
  const after = valueShape(to);
  if (before === after && from !== null) return value;
  const first = Array.isArray(value) ? (value.find((item) => item !== null && item !== '') ?? null) : value;
  if (after === 'none') return null;
  if (after === 'list') {
    if (before === 'list') return value;
    return first !== null && first !== '' && typeof first !== 'boolean' ? [first] : [];
  }
  if (after === 'range') return [typeof first === 'number' || typeof first === 'string' ? first : null, null];
  if (after === 'days')
    return typeof first === 'number' && Number.isInteger(first) && first >= 0 ? first : 30;
  if (before === 'days' || before === 'none') return defaultValue(type, to);
  if (type === 'boolean') return typeof first === 'boolean' ? first : true;
  return first;
}

/**
 * A field condition after choosing another field: a field of the same type keeps the operator and value
 * (city → country), any other starts from its type's usual operator.
 */
export function withField(
  draft: FieldDraft,
  field: string,
  type: FieldType,
  previousType?: FieldType,
): FieldDraft {
  const ops = opsFor(type) as readonly string[];
  if (draft.field && draft.op && previousType === type && ops.includes(draft.op)) {
    return { type: 'field', field, op: draft.op, value: draft.value };
  }
  const op = defaultOp(type);
  return { type: 'field', field, op, value: defaultValue(type, op) };
}

const isBlank = (value: DraftScalar) => value === null || (typeof value === 'string' && value.trim() === '');

/** Whether a condition can be sent: a field, an operator and a value of the right shape. */
export function isComplete(draft: ConditionDraft): boolean {
  if (draft.type === 'event') return /^[a-z][a-z0-9_]{0,39}$/.test(draft.event) && draft.value !== null;
  if (draft.type === 'engagement') return true;
  if (!draft.field || !draft.op) return false;
  const shape = valueShape(draft.op);
  const value = draft.value;
  switch (shape) {
    case 'none':
      return true;
    case 'list':
      return Array.isArray(value) && value.length > 0 && value.every((item) => !isBlank(item));
    case 'range':
      return (
        Array.isArray(value) && value.length === 2 && !isBlank(value[0] ?? null) && !isBlank(value[1] ?? null)
      );
    case 'days':
      return typeof value === 'number';
    default:
      return !Array.isArray(value) && !isBlank(value);
  }
}

function draftToCondition(draft: ConditionDraft): SegmentNode {
  if (draft.type === 'event') {
    const node: SegmentNode = {
      event: draft.event,
      measure: draft.measure,
      op: draft.op,
      value: draft.value ?? 0,
    };
    if (draft.within_days !== null) node.within_days = draft.within_days;
    if (draft.location_id) node.location_id = draft.location_id;
    const properties = draft.properties.filter((property) => property.key.trim());
    if (properties.length)
      node.properties = Object.fromEntries(
        properties.map((property) => [property.key.trim(), property.value]),
      );
    return node;
  }
  if (draft.type === 'engagement') {
    const node: SegmentNode = { engagement: draft.engagement, op: draft.op };
    if (draft.channel) node.channel = draft.channel;
    if (draft.campaign_id) node.campaign_id = draft.campaign_id;
    if (draft.within_days !== null) node.within_days = draft.within_days;
    return node;
  }
  const op = draft.op as FieldOp;
  if (valueShape(op) === 'none') return { field: draft.field as string, op };
  const value = draft.value;
  const clean = (item: DraftScalar) => (typeof item === 'string' ? item.trim() : item);
  const wire = (Array.isArray(value) ? value.map(clean) : clean(value)) as FieldValue;
  return { field: draft.field as string, op, value: wire };
}

// ---- to and from the contract's JSON -----------------------------------------------------------

export interface Placement {
  /** Pointer of the node as sent ("" for the root): the `not` wrapper when negated. */
  outer: string;
  /** Pointer of the group or condition itself (outer + "/not" when negated). */
  inner: string;
}

export interface Compiled {
  definition: SegmentNode;
  /** Where each sent node is, by editor id. Nodes left out (unfinished) have none. */
  placements: Map<string, Placement>;
  /** Unfinished conditions left out of a preview. */
  skipped: Set<string>;
}

/**
 * The contract's JSON of the builder's tree. With `skipIncomplete`, unfinished conditions (and the groups
 * they leave empty) are left out so the live preview keeps working while someone types; saving sends
 * everything.
 */
export function toDefinition(root: EditorGroup, options: { skipIncomplete?: boolean } = {}): Compiled {
  const placements = new Map<string, Placement>();
  const skipped = new Set<string>();

  const walk = (node: EditorNode, outer: string): SegmentNode | null => {
    const inner = node.negated ? `${outer}/not` : outer;
    let built: SegmentNode | null;
    if (node.kind === 'condition') {
      if (options.skipIncomplete && !isComplete(node.condition)) {
        skipped.add(node.id);
        return null;
      }
      built = draftToCondition(node.condition);
    } else {
      const children: SegmentNode[] = [];
      for (const child of node.children) {
        const next = walk(child, `${inner}/${node.mode}/${children.length}`);
        if (next) children.push(next);
      }
      if (options.skipIncomplete && node !== root && children.length === 0 && node.children.length > 0) {
        skipped.add(node.id);
        return null;
      }
      built = node.mode === 'all' ? { all: children } : { any: children };
    }
    placements.set(node.id, { outer, inner });
    return node.negated ? { not: built } : built;
  };

  let definition = walk(root, '') ?? { all: [] };
  // An "any" left without conditions while typing would match nobody (and is invalid): preview everyone.
  if (options.skipIncomplete && isAnyNode(definition) && definition.any.length === 0)
    definition = { all: [] };
  if (
    options.skipIncomplete &&
    isNotNode(definition) &&
    isAnyNode(definition.not) &&
    !definition.not.any.length
  )
    definition = { all: [] };
  return { definition, placements, skipped };
}

function draftValueOf(value: unknown): DraftValue {
  if (Array.isArray(value))
    return value.map((item) =>
      typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean' ? item : null,
    );
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return null;
}

function fromCondition(node: SegmentNode): ConditionDraft {
  if (isEventNode(node)) {
    return {
      type: 'event',
      event: node.event,
      measure: node.measure === 'sum' ? 'sum' : 'count',
      op: (COMPARE_OPS as readonly string[]).includes(node.op) ? node.op : 'gte',
      value: typeof node.value === 'number' ? node.value : null,
      within_days: typeof node.within_days === 'number' ? node.within_days : null,
      location_id: node.location_id ?? null,
      properties: Object.entries(node.properties ?? {}).map(([key, value]) => ({ key, value })),
    };
  }
  if (isEngagementNode(node)) {
    return {
      type: 'engagement',
      engagement: node.engagement,
      op: node.op === 'has_not' ? 'has_not' : 'has',
      channel: node.channel ?? null,
      campaign_id: node.campaign_id ?? null,
      within_days: typeof node.within_days === 'number' ? node.within_days : null,
    };
  }
  if (isFieldNode(node)) {
    return { type: 'field', field: node.field, op: node.op, value: draftValueOf(node.value) };
  }
  return emptyFieldDraft();
}

/** The builder's tree of a definition; the root is always a group (a lone condition gets an "all" around it). */
export function fromDefinition(definition: SegmentNode | null | undefined): EditorGroup {
  const build = (node: SegmentNode, negated: boolean): EditorNode => {
    if (isNotNode(node)) return build(node.not, !negated);
    if (isAllNode(node) || isAnyNode(node)) {
      const mode: GroupMode = isAllNode(node) ? 'all' : 'any';
      const children = isAllNode(node) ? node.all : (node as { any: SegmentNode[] }).any;
      return {
        id: newId(),
        kind: 'group',
        mode,
        negated,
        children: children.map((child) => build(child, false)),
      };
    }
    return { id: newId(), kind: 'condition', negated, condition: fromCondition(node) };
  };
  if (!definition) return emptyGroup();
  const root = build(definition, false);
  if (root.kind === 'group') return root;
  return { ...emptyGroup(), children: [root] };
}

// ---- limits ------------------------------------------------------------------------------------

/** The level of a node's own group or condition: the root group is level 1, a `not` adds one. */
export function levelOf(root: EditorGroup, id: string): number | null {
  const walk = (node: EditorNode, outerLevel: number): number | null => {
    const level = outerLevel + (node.negated ? 1 : 0);
    if (node.id === id) return level;
    if (node.kind === 'group') {
      for (const child of node.children) {
        const found = walk(child, level + 1);
        if (found !== null) return found;
      }
    }
    return null;
  };
  return walk(root, 1);
}

/** How many levels a subtree takes, itself included. */
export function heightOf(node: EditorNode): number {
  const own = node.negated ? 2 : 1;
  if (node.kind === 'condition') return own;
  return own + Math.max(0, ...node.children.map(heightOf));
}

export function countConditions(node: EditorNode): number {
  if (node.kind === 'condition') return 1;
  return node.children.reduce((sum, child) => sum + countConditions(child), 0);
}

export type LimitReason = 'depth' | 'conditions' | 'children' | null;

/** Why a condition or group can't be added to a group, or null when it can. */
export function addLimit(root: EditorGroup, group: EditorGroup, what: 'condition' | 'group'): LimitReason {
  if (countConditions(root) >= SEGMENT_LIMITS.conditions) return 'conditions';
  if (group.children.length >= SEGMENT_LIMITS.children) return 'children';
  const level = levelOf(root, group.id) ?? 1;
  // A new group must hold at least one condition: two more levels.
  const needed = what === 'condition' ? level + 1 : level + 2;
  return needed > SEGMENT_LIMITS.depth ? 'depth' : null;
}

/** The level a node starts at (its `not` wrapper when negated). */
function outerLevelOf(root: EditorGroup, node: EditorNode): number {
  return (levelOf(root, node.id) ?? 1) - (node.negated ? 1 : 0);
}

/** Whether a node may be negated (a `not` around it adds a level to everything inside). */
export function negateLimit(root: EditorGroup, node: EditorNode): LimitReason {
  if (node.negated) return null;
  return outerLevelOf(root, node) + heightOf(node) > SEGMENT_LIMITS.depth ? 'depth' : null;
}

/** Whether a node may be wrapped in a new group of its own (one more level for everything inside). */
export function wrapLimit(root: EditorGroup, node: EditorNode): LimitReason {
  return outerLevelOf(root, node) + heightOf(node) > SEGMENT_LIMITS.depth ? 'depth' : null;
}

// ---- edits (immutable) -------------------------------------------------------------------------

function mapNode(
  node: EditorNode,
  id: string,
  update: (node: EditorNode) => EditorNode | null,
): EditorNode | null {
  if (node.id === id) return update(node);
  if (node.kind === 'condition') return node;
  let changed = false;
  const children: EditorNode[] = [];
  for (const child of node.children) {
    const next = mapNode(child, id, update);
    if (next !== child) changed = true;
    if (next) children.push(next);
  }
  return changed ? { ...node, children } : node;
}

export function updateNode(
  root: EditorGroup,
  id: string,
  update: (node: EditorNode) => EditorNode,
): EditorGroup {
  return mapNode(root, id, update) as EditorGroup;
}

export function removeNode(root: EditorGroup, id: string): EditorGroup {
  if (root.id === id) return { ...root, children: [] };
  return mapNode(root, id, () => null) as EditorGroup;
}

export function appendChild(root: EditorGroup, groupId: string, child: EditorNode): EditorGroup {
  return updateNode(root, groupId, (node) =>
    node.kind === 'group' ? { ...node, children: [...node.children, child] } : node,
  );
}

function cloneNode(node: EditorNode): EditorNode {
  if (node.kind === 'condition')
    return { ...node, id: newId(), condition: structuredClone(node.condition) as ConditionDraft };
  return { ...node, id: newId(), children: node.children.map(cloneNode) };
}

/** Puts a copy right after the node; returns the new tree and the copy's id. */
export function duplicateNode(root: EditorGroup, id: string): { root: EditorGroup; id: string | null } {
  let copyId: string | null = null;
  const walk = (node: EditorNode): EditorNode => {
    if (node.kind === 'condition') return node;
    const index = node.children.findIndex((child) => child.id === id);
    if (index >= 0) {
      const copy = cloneNode(node.children[index] as EditorNode);
      copyId = copy.id;
      const children = [...node.children];
      children.splice(index + 1, 0, copy);
      return { ...node, children };
    }
    const children = node.children.map(walk);
    return children.some((child, i) => child !== node.children[i]) ? { ...node, children } : node;
  };
  return { root: walk(root) as EditorGroup, id: copyId };
}

/** Replaces a node with a group holding it ("all" inside "any" and the other way round). */
export function wrapInGroup(root: EditorGroup, id: string, parentMode: GroupMode): EditorGroup {
  return updateNode(root, id, (node) => ({
    id: newId(),
    kind: 'group',
    mode: parentMode === 'all' ? 'any' : 'all',
    negated: false,
    children: [node],
  }));
}

export function findParent(root: EditorGroup, id: string): EditorGroup | null {
  for (const child of root.children) {
    if (child.id === id) return root;
    if (child.kind === 'group') {
      const found = findParent(child, id);
      if (found) return found;
    }
  }
  return null;
}

export function findNode(root: EditorNode, id: string): EditorNode | null {
  if (root.id === id) return root;
  if (root.kind === 'group') {
    for (const child of root.children) {
      const found = findNode(child, id);
      if (found) return found;
    }
  }
  return null;
}

// ---- server errors → nodes --------------------------------------------------------------------

export interface NodeError {
  /** What the message is about inside the node: "" (the node), "op", "value", "value/1", "within_days"… */
  part: string;
  message: string;
}

/**
 * Places each `{ path, message }` of an INVALID_SEGMENT answer on the deepest node whose pointer starts
 * it; messages about the whole tree ("/") come back under the root's id.
 */
export function errorsByNode(
  compiled: Compiled,
  rootId: string,
  details: Array<{ path: string; message: string; code?: string; params?: Record<string, string | number> }>,
  /** The text shown for a problem (the dashboard's: in the reader's language from its code). */
  text: (detail: { message: string; code?: string; params?: Record<string, string | number> }) => string = (
    detail,
  ) => detail.message,
): Map<string, NodeError[]> {
  const byNode = new Map<string, NodeError[]>();
  const entries = [...compiled.placements.entries()];
  for (const detail of details) {
    const path = detail.path === '/' ? '' : detail.path;
    let best: { id: string; inner: string } | null = null;
    for (const [id, placement] of entries) {
      for (const pointer of [placement.inner, placement.outer]) {
        const matches = path === pointer || path.startsWith(`${pointer}/`);
        if (matches && (!best || pointer.length > best.inner.length)) best = { id, inner: pointer };
      }
    }
    const id = best?.id ?? rootId;
    const rest = best ? path.slice(best.inner.length).replace(/^\//, '') : '';
    // A group's own list ("/any") is about the group itself.
    const part = /^(all|any|not)$/.test(rest) ? '' : rest;
    const list = byNode.get(id) ?? [];
    list.push({ part, message: text(detail) });
    byNode.set(id, list);
  }
  return byNode;
}
