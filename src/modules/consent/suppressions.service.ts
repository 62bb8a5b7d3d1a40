import { createHash, createHmac } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { DbOrTx } from '../../platform/db/db.ts';
import { AppError } from '../../platform/errors.ts';
import { iso } from '../../platform/http/json.ts';
import { decodeCursor, page } from '../../platform/pagination.ts';
import { getWorkspace } from '../workspaces/workspaces.service.ts';
import { suppressions } from './consent.schema.ts';
import {
  findSuppressionRows,
  insertSuppression,
  listSuppressionRows,
  type SuppressionRow,
  suppressedHashes,
} from './suppressions.repo.ts';

export const SUPPRESSION_KINDS = ['email', 'phone'] as const;
export type SuppressionKind = (typeof SUPPRESSION_KINDS)[number];

export interface Identity {
  email?: string | null;
  phone?: string | null;
}

export function normalizeSuppressedEmail(value: string): string {
  return value.trim().toLowerCase();
}

/** E.164 when libphonenumber can read it (with the workspace's country for national numbers), else its digits. */
export function normalizeSuppressedPhone(value: string, defaultCountry?: string | null): string {
  const trimmed = value.trim();
  const parsed = parsePhoneNumberFromString(
    trimmed,
    (defaultCountry ?? undefined) as CountryCode | undefined,
  );
  if (parsed?.isPossible()) return parsed.number;
  const digits = trimmed.replace(/\D/g, '');
  return trimmed.startsWith('+') ? `+${digits}` : digits;
}

function normalize(kind: SuppressionKind, value: string, defaultCountry?: string | null): string {
  return kind === 'email' ? normalizeSuppressedEmail(value) : normalizeSuppressedPhone(value, defaultCountry);
}

/**
 * The keyed hash that stands for an address: HMAC-SHA256(secret key, kind + ':' + normalized
 * value). Without the server's secret key the list reveals nothing and cannot be brute-forced.
 */
export function suppressionHash(
  secretKey: string,
  kind: SuppressionKind,
  value: string,
  defaultCountry?: string | null,
): string | null {
  const normalized = normalize(kind, value, defaultCountry);
  if (!normalized || normalized === '+') return null;
  return createHmac('sha256', secretKey).update(`${kind}:${normalized}`).digest('hex');
}

export interface SuppressionList {
  /** Adds the address to the workspace's list (no-op when already there); true when newly added. */
  suppress(
    tx: DbOrTx,
    workspaceId: string,
    kind: SuppressionKind,
    value: string,
    reason: string,
  ): Promise<boolean>;
  /** Whether the email or the phone is on the list. Phones without a country code need `defaultCountry`. */
  isSuppressed(
    db: DbOrTx,
    workspaceId: string,
    identity: Identity,
    options?: { defaultCountry?: string | null },
  ): Promise<boolean>;
  /** Set-based check for imports and sends: which of these values of one kind are suppressed. */
  suppressedValues(
    db: DbOrTx,
    workspaceId: string,
    kind: SuppressionKind,
    values: string[],
  ): Promise<Set<string>>;
  hash(kind: SuppressionKind, value: string, defaultCountry?: string | null): string | null;
  /**
   * A boolean SQL expression: whether `normalizedValue` (an SQL expression holding an address
   * already normalized as the clients module stores it: lower-case email, E.164 phone) is on the
   * workspace's list. The same HMAC as `hash`, computed by PostgreSQL (built-in sha256, no
   * extension), so a campaign's million recipients are checked in one set-based query.
   */
  suppressedSql(workspaceId: string, kind: SuppressionKind, normalizedValue: SQL): SQL;
  /** The hash of `hash` as an SQL expression over an already normalized address (see `suppressedSql`). */
  hashSql(kind: SuppressionKind, normalizedValue: SQL): SQL;
}

/** HMAC-SHA256 as RFC 2104 defines it, split so PostgreSQL can finish it: the padded key's two halves. */
function hmacPads(secretKey: string): { inner: Buffer; outer: Buffer } {
  const raw = Buffer.from(secretKey, 'utf8');
  const key = raw.length > 64 ? createHash('sha256').update(raw).digest() : raw;
  const block = Buffer.alloc(64);
  key.copy(block);
  return { inner: block.map((b) => b ^ 0x36) as Buffer, outer: block.map((b) => b ^ 0x5c) as Buffer };
}

/** Built once by the composition root with the app's secret key and handed to whoever needs it. */
export function createSuppressionList(secretKey: string): SuppressionList {
  if (!secretKey) throw new Error('The suppression list needs the secret key');
  const hash = (kind: SuppressionKind, value: string, defaultCountry?: string | null) =>
    suppressionHash(secretKey, kind, value, defaultCountry);
  const pads = hmacPads(secretKey);
  const hashSql = (kind: SuppressionKind, normalizedValue: SQL) =>
    sql`encode(sha256(${pads.outer}::bytea || sha256(${pads.inner}::bytea || convert_to(${`${kind}:`} || ${normalizedValue}, 'UTF8'))), 'hex')`;
  return {
    hash,
    hashSql,
    suppressedSql(workspaceId, kind, normalizedValue) {
      const mac = hashSql(kind, normalizedValue);
      return sql`exists (select 1 from ${suppressions} s where s.workspace_id = ${workspaceId} and s.kind = ${kind} and s.value_hash = ${mac})`;
    },
    async suppress(tx, workspaceId, kind, value, reason) {
      const valueHash = hash(kind, value);
      if (!valueHash) return false;
      return insertSuppression(tx, { workspaceId, kind, valueHash, reason });
    },
    async isSuppressed(db, workspaceId, identity, options = {}) {
      const keys: { kind: SuppressionKind; valueHash: string }[] = [];
      if (identity.email) {
        const valueHash = hash('email', identity.email);
        if (valueHash) keys.push({ kind: 'email', valueHash });
      }
      if (identity.phone) {
        const valueHash = hash('phone', identity.phone, options.defaultCountry);
        if (valueHash) keys.push({ kind: 'phone', valueHash });
      }
      return (await findSuppressionRows(db, workspaceId, keys)).length > 0;
    },
    async suppressedValues(db, workspaceId, kind, values) {
      const byHash = new Map<string, string[]>();
      for (const value of values) {
        const h = hash(kind, value);
        if (h) byHash.set(h, [...(byHash.get(h) ?? []), value]);
      }
      const found = new Set<string>();
      const hashes = [...byHash.keys()];
      for (let i = 0; i < hashes.length; i += 5000) {
        for (const h of await suppressedHashes(db, workspaceId, kind, hashes.slice(i, i + 5000)))
          for (const value of byHash.get(h) ?? []) found.add(value);
      }
      return found;
    },
  };
}

export function toSuppressionJson(row: SuppressionRow) {
  return {
    id: row.id,
    kind: row.kind as SuppressionKind,
    reason: row.reason,
    created_at: iso(row.createdAt),
  };
}

export async function listSuppressions(
  db: DbOrTx,
  workspaceId: string,
  filter: { kind?: SuppressionKind; reason?: string },
  options: { cursor?: string; limit: number },
) {
  const rows = await listSuppressionRows(
    db,
    workspaceId,
    filter,
    decodeCursor(options.cursor),
    options.limit,
  );
  const { items, nextCursor } = page(rows, options.limit, (r) => [r.createdAt, r.id]);
  return { suppressions: items.map(toSuppressionJson), next_cursor: nextCursor };
}

/** POST /suppressions/check: national phone numbers are read with the workspace's default country. */
export async function checkSuppressed(
  db: DbOrTx,
  list: SuppressionList,
  workspaceId: string,
  identity: Identity,
): Promise<{ suppressed: boolean }> {
  if (!identity.email?.trim() && !identity.phone?.trim())
    throw AppError.validation([{ path: '/email', message: 'give an email, a phone or both' }]);
  const workspace = await getWorkspace(db, workspaceId);
  return {
    suppressed: await list.isSuppressed(db, workspaceId, identity, {
      defaultCountry: workspace.defaultCountry,
    }),
  };
}
