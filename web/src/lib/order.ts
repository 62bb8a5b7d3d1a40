/** A row's new place in an ordered list, as the reorder endpoints take it. */
export interface PositionMove {
  id: string;
  position: number;
}

/**
 * New positions after moving one item of an ordered list up or down: the items are renumbered
 * 0..n-1 in their new order and only the ones whose position changes are returned.
 */
export function moveItem<T extends { id: string; position: number }>(
  items: T[],
  id: string,
  direction: -1 | 1,
): PositionMove[] {
  const order = [...items];
  const index = order.findIndex((item) => item.id === id);
  const target = index + direction;
  if (index < 0 || target < 0 || target >= order.length) return [];
  [order[index], order[target]] = [order[target]!, order[index]!];
  return order
    .map((item, position) => ({ id: item.id, position, before: item.position }))
    .filter((item) => item.position !== item.before)
    .map(({ id: itemId, position }) => ({ id: itemId, position }));
}
