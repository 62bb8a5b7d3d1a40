import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newApiKey, newWorkspace, setupTestApp, withKey } from '../../../test/support/app.ts';
import { systemContext } from '../../platform/auth/context.ts';
import type { Tx } from '../../platform/db/db.ts';
import { pgErrorCode } from '../../platform/errors.ts';
import { startBulkAction } from '../bulk/bulk.service.ts';
import { createSuppressionList } from '../consent/suppressions.service.ts';
import { ensureTags } from '../tags/tags.service.ts';
import { addTagsToClients } from './clients.bulk-actions.ts';
import { eraseClientInTransaction } from './clients.gdpr.ts';
import { insertClientsBulk, mergeClients } from './clients.service.ts';

/**
 * client_tags and client_history have no foreign keys since migration 0026: statement triggers
 * check what each statement references, set-based, and deleting clients or tags deletes their
 * rows. These tests hold that integrity to what the keys gave, and more: no rows for another
 * workspace's client or tag, none for an erased client, also when a delete, merge or erase runs
 * at the same moment as a bulk tag.
 */
const t = setupTestApp();
const deps = { suppressions: createSuppressionList(randomBytes(32).toString('hex')) };

async function world() {
  const db = t.app.dbHandle.db;
  const workspace = await newWorkspace(t);
  const ctx = systemContext(workspace.id, 'test');
  const ids = await insertClientsBulk(db, workspace.id, [
    { firstName: 'Ana', email: `ana-${workspace.id}@example.com` },
    { firstName: 'Bruno' },
    { firstName: 'Chloé' },
  ]);
  const rowsOf = async (clientId: string) => {
    const [row] = (
      await db.execute<{ tags: number; history: number }>(sql`select
        (select count(*)::int from client_tags where client_id = ${clientId}) as tags,
        (select count(*)::int from client_history where client_id = ${clientId}) as history`)
    ).rows;
    return row!;
  };
  const tagNames = async (clientId: string) =>
    (
      await db.execute<{ name: string }>(sql`select t.name from client_tags ct join tags t on t.id = ct.tag_id
        where ct.client_id = ${clientId} order by t.name`)
    ).rows.map((r) => r.name);
  return { db, workspace, ctx, ids, rowsOf, tagNames };
}

/** The error code a statement fails with (undefined when it succeeds). */
async function codeOf(run: () => Promise<unknown>) {
  try {
    await run();
    return undefined;
  } catch (error) {
    return pgErrorCode(error);
  }
}

/** Waits until some session of this database waits for a row lock (the racing statement). */
async function someoneWaitsForALock() {
  const db = t.app.dbHandle.db;
  for (let i = 0; i < 400; i++) {
    const { rows } = await db.execute<{ n: number }>(sql`select count(*)::int as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`);
    if (rows[0]!.n > 0) return;
    await sleep(25);
  }
  throw new Error('no session ever waited for a lock');
}

/** A transaction kept open until `release()` (to race another one against what it has locked). */
function held<T>(work: (tx: Tx) => Promise<T>) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let ready!: (value: T) => void;
  let failed!: (error: unknown) => void;
  const done = new Promise<T>((resolve, reject) => {
    ready = resolve;
    failed = reject;
  });
  const transaction = t.app.dbHandle.db.transaction(async (tx) => {
    const value = await work(tx).catch((error) => {
      failed(error);
      throw error;
    });
    ready(value);
    await gate;
    return value;
  });
  return { done, release, transaction };
}

describe('client_tags and client_history integrity (migration 0026)', () => {
  it('refuses a tag row or timeline entry for a missing, erased or other workspace client, or another workspace tag', async () => {
    const a = await world();
    const b = await world();
    const [tagA] = await ensureTags(a.db, a.workspace.id, ['vip']);
    const [tagB] = await ensureTags(b.db, b.workspace.id, ['vip']);
    const tagRow = (clientId: string, tagId: string, workspaceId: string) =>
      codeOf(() =>
        a.db.execute(sql`insert into client_tags (client_id, tag_id, workspace_id)
          values (${clientId}, ${tagId}, ${workspaceId})`),
      );
    const entry = (clientId: string, workspaceId: string) =>
      codeOf(() =>
        a.db.execute(sql`insert into client_history (workspace_id, client_id, kind, actor_type, actor_label, data)
          values (${workspaceId}, ${clientId}, 'tags', 'system', 'test', '{}')`),
      );
    // The right ones pass.
    expect(await tagRow(a.ids[0]!, tagA!.id, a.workspace.id)).toBeUndefined();
    expect(await entry(a.ids[0]!, a.workspace.id)).toBeUndefined();
    // Workspace B's client, with A's id on the row or with B's; B's tag on A's client.
    expect(await tagRow(b.ids[0]!, tagA!.id, a.workspace.id)).toBe('23503');
    expect(await tagRow(b.ids[0]!, tagA!.id, b.workspace.id)).toBe('23503');
    expect(await tagRow(a.ids[1]!, tagB!.id, a.workspace.id)).toBe('23503');
    expect(await entry(b.ids[0]!, a.workspace.id)).toBe('23503');
    // No such client.
    const nobody = '0190f0d0-0000-7000-8000-000000000000';
    expect(await tagRow(nobody, tagA!.id, a.workspace.id)).toBe('23503');
    expect(await entry(nobody, a.workspace.id)).toBe('23503');
    // One bad row among good ones fails the whole statement.
    expect(
      await codeOf(() =>
        a.db.execute(sql`insert into client_tags (client_id, tag_id, workspace_id)
          values (${a.ids[1]}, ${tagA!.id}, ${a.workspace.id}), (${b.ids[1]}, ${tagA!.id}, ${a.workspace.id})`),
      ),
    ).toBe('23503');
    expect(await a.rowsOf(a.ids[1]!)).toEqual({ tags: 0, history: 0 });
    // A merge-like move onto B's client is refused too.
    expect(
      await codeOf(() =>
        a.db.execute(sql`update client_history set client_id = ${b.ids[0]} where client_id = ${a.ids[0]}`),
      ),
    ).toBe('23503');
    // An erased client takes no new tags and no timeline.
    await a.db.execute(sql`update clients set erased_at = now() where id = ${a.ids[2]}`);
    expect(await tagRow(a.ids[2]!, tagA!.id, a.workspace.id)).toBe('23503');
    expect(await entry(a.ids[2]!, a.workspace.id)).toBe('23503');
    // The product's bulk statement leaves B's and erased clients out instead of failing.
    expect(await addTagsToClients(a.db, a.ctx, [a.ids[1]!, a.ids[2]!, b.ids[1]!], ['spring'])).toBe(1);
    expect(await b.tagNames(b.ids[1]!)).toEqual([]);
  });

  it('deleting clients or tags deletes their rows; ids and workspaces of clients and tags never change', async () => {
    const w = await world();
    await addTagsToClients(w.db, w.ctx, w.ids, ['vip', 'spring']);
    expect(await w.rowsOf(w.ids[0]!)).toEqual({ tags: 2, history: 1 });
    await w.db.execute(sql`delete from clients where id = any(${`{${w.ids[0]},${w.ids[1]}}`}::uuid[])`);
    expect(await w.rowsOf(w.ids[0]!)).toEqual({ tags: 0, history: 0 });
    expect(await w.rowsOf(w.ids[1]!)).toEqual({ tags: 0, history: 0 });
    expect(await w.rowsOf(w.ids[2]!)).toEqual({ tags: 2, history: 1 });
    await w.db.execute(sql`delete from tags where workspace_id = ${w.workspace.id} and name_key = 'vip'`);
    expect(await w.tagNames(w.ids[2]!)).toEqual(['spring']);
    const other = await newWorkspace(t);
    expect(
      await codeOf(() =>
        w.db.execute(sql`update clients set workspace_id = ${other.id} where id = ${w.ids[2]}`),
      ),
    ).toBe('23503');
    expect(
      await codeOf(() =>
        w.db.execute(sql`update tags set workspace_id = ${other.id} where workspace_id = ${w.workspace.id}`),
      ),
    ).toBe('23503');
    // Other edits of a client or a tag go through.
    await w.db.execute(
      sql`update clients set city = 'Madrid', workspace_id = workspace_id where id = ${w.ids[2]}`,
    );
  });

  it('a bulk tag that locked a client first: the erase, delete or merge waits, then removes or moves its rows', async () => {
    const w = await world();
    const [erased, deleted, merged] = w.ids as [string, string, string];
    const survivor = (await insertClientsBulk(w.db, w.workspace.id, [{ firstName: 'Dora' }]))[0]!;
    for (const race of ['erase', 'delete', 'merge'] as const) {
      const target = race === 'erase' ? erased : race === 'delete' ? deleted : merged;
      const bulk = held((tx) => addTagsToClients(tx, w.ctx, [target], [`first-${race}`]));
      expect(await bulk.done).toBe(1);
      const other =
        race === 'erase'
          ? w.db.transaction((tx) => eraseClientInTransaction(tx, w.ctx, target, deps))
          : race === 'delete'
            ? (async () => await w.db.execute(sql`delete from clients where id = ${target}`))()
            : mergeClients(w.db, w.ctx, survivor, target, {});
      await someoneWaitsForALock();
      bulk.release();
      await bulk.transaction;
      await other;
      expect(await w.rowsOf(target)).toEqual({ tags: 0, history: 0 });
    }
    // The merge moved the tag and its timeline entry to the client that stays.
    expect(await w.tagNames(survivor)).toEqual(['first-merge']);
    const { rows } = await w.db.execute<{ kind: string }>(
      sql`select kind from client_history where client_id = ${survivor} order by occurred_at`,
    );
    expect(rows.map((r) => r.kind)).toEqual(['tags', 'merged']);
  });

  it('a bulk action reaching a client an erase or delete locked first leaves it out, and finishes', async () => {
    const w = await world();
    const call = withKey(t, await newApiKey(t, w.workspace.id, 'owner'));
    const [erased, deleted, kept] = w.ids as [string, string, string];
    for (const race of ['erase', 'delete'] as const) {
      const target = race === 'erase' ? erased : deleted;
      const other = held<unknown>(async (tx) =>
        race === 'erase'
          ? eraseClientInTransaction(tx, w.ctx, target, deps)
          : tx.execute(sql`delete from clients where id = ${target}`),
      );
      await other.done;
      // Counted and read while the erase or delete is not committed: both clients are selected.
      const bulk = startBulkAction(w.db, { exports: null as never }, w.ctx, 'add_tags', {
        selection: { client_ids: [target, kept] },
        tags: [`second-${race}`],
      });
      await someoneWaitsForALock();
      other.release();
      await other.transaction;
      const { action } = await bulk;
      expect(action).toMatchObject({ status: 'completed', total: 2, done: 1, skipped: 1 });
      expect(await w.rowsOf(target)).toEqual({ tags: 0, history: 0 });
    }
    expect(await w.tagNames(kept)).toEqual(['second-delete', 'second-erase']);
    // The client that stayed shows both on its timeline.
    const timeline = await call('GET', `/api/v1/clients/${kept}/timeline?types=history`);
    expect(timeline.statusCode, timeline.body).toBe(200);
    const added = timeline
      .json()
      .items.filter((i: { type: string }) => i.type === 'tags')
      .map((i: { data: { added: string[] } }) => i.data.added[0]);
    expect(added.sort()).toEqual(['second-delete', 'second-erase']);
  });
});
