import { type AnyColumn, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../../platform/db/db.ts';

/**
 * Modules that keep data about a client (events, notes, consent, messages, coupons…) join the
 * client's lifecycle through this contract instead of the clients module reaching into their
 * tables: a merge moves their rows, the GDPR export collects them, an erase removes them, and the
 * timeline interleaves their items. The composition root (src/app.ts) registers each participant.
 */
export interface TimelineItem {
  id: string;
  /** Which stream it comes from: event, note, consent, history, message, coupon… */
  kind: string;
  /** Finer type inside the kind, e.g. the event type ("booking") or the history kind ("fields"). */
  type: string;
  occurred_at: string;
  /** Who did it, when a person or key did. */
  actor: { type: string; id: string | null; label: string } | null;
  /** Kind-specific payload, already in API shape (snake_case, ISO dates). */
  data: Record<string, unknown>;
}

export interface TimelineWindow {
  /** Keyset position: items strictly older than this (occurred_at, id). */
  before: { at: string; id: string } | null;
  from: string | null;
  to: string | null;
  limit: number;
}

/**
 * The WHERE terms of one timeline page of a participant's table dated by `at`: strictly older than
 * the keyset position (at, id), and within from/to. Every participant pages the same way, so the
 * merged timeline never skips or repeats an item.
 */
export function timelineWindowSql(
  at: AnyColumn,
  id: AnyColumn,
  window: Omit<TimelineWindow, 'limit'>,
): SQL[] {
  const terms: SQL[] = [];
  if (window.before)
    terms.push(sql`(${at}, ${id}) < (${window.before.at}::timestamptz, ${window.before.id}::uuid)`);
  if (window.from) terms.push(sql`${at} >= ${window.from}::timestamptz`);
  if (window.to) terms.push(sql`${at} < ${window.to}::timestamptz`);
  return terms;
}

export interface ClientDataParticipant {
  name: string;
  /** Timeline kinds this participant produces (used to skip it when `types` excludes them all). */
  timelineKinds: string[];
  move(tx: Tx, workspaceId: string, fromClientId: string, toClientId: string): Promise<void>;
  exportFor(db: DbOrTx, workspaceId: string, clientId: string): Promise<unknown>;
  erase(tx: Tx, workspaceId: string, clientId: string): Promise<void>;
  timeline(
    db: DbOrTx,
    workspaceId: string,
    clientId: string,
    window: TimelineWindow,
  ): Promise<TimelineItem[]>;
}

const participants: ClientDataParticipant[] = [];

export function registerClientData(participant: ClientDataParticipant): void {
  if (!participants.some((p) => p.name === participant.name)) participants.push(participant);
}

export function clientDataParticipants(): readonly ClientDataParticipant[] {
  return participants;
}
