import { and, eq, lt, or, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { AppError } from './errors.ts';

/** Keyset cursors: opaque base64url of the last row's sort key, so pages never skip or repeat. */
export interface Cursor {
  at: string;
  id: string;
}

export function encodeCursor(at: Date | string, id: string): string {
  const iso = typeof at === 'string' ? at : at.toISOString();
  return Buffer.from(JSON.stringify([iso, id])).toString('base64url');
}

export function decodeCursor(raw: string | undefined): Cursor | null {
  if (!raw) return null;
  try {
    const [at, id] = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as [string, string];
    if (typeof at !== 'string' || typeof id !== 'string' || Number.isNaN(Date.parse(at))) throw new Error();
    return { at, id };
  } catch {
    throw AppError.validation([{ path: '/cursor', message: 'cursor is not one this API returned' }]);
  }
}

/** Fetch limit+1 rows, return the page and the next cursor (null on the last page). */
export function page<T>(rows: T[], limit: number, key: (row: T) => [Date | string, string]) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const next = rows.length > limit && last ? encodeCursor(...key(last)) : null;
  return { items, nextCursor: next };
}

/**
 * The rows after a cursor in `createdAt desc, id desc` order (a Drizzle condition), or undefined
 * on the first page: what every newest-first list of one table filters by.
 */
export function afterCursor(createdAt: AnyPgColumn, id: AnyPgColumn, cursor: Cursor | null): SQL | undefined {
  if (!cursor) return undefined;
  const at = new Date(cursor.at);
  return or(lt(createdAt, at), and(eq(createdAt, at), lt(id, cursor.id)));
}
