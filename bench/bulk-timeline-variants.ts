/**
 * What each change to a bulk tag's write path saves (issue 8, bench/bulk.ts): the product's
 * `addTagsToClients` on 100,000 clients in chunks of 10,000 as it was before migration 0023 (the
 * workspace foreign keys of client_history and client_tags re-created here), then each change
 * added on top, alternating, in one run. Prints medians; bench/RESULTS.md quotes them by hand.
 * The one-tag statement and 50,000-client chunks were measured and not kept (no gain).
 *
 *   node bin/run-ts.mjs bench/bulk-timeline-variants.ts [--runs 3] [--clients 100000] [--plain | --refs]
 *
 * --refs compares how client_tags and client_history reference clients and tags: the per-row
 * foreign keys migration 0026 dropped (re-created here), nothing at all (the floor), and the
 * statement triggers of 0026 (read from drizzle/0026_bulktag.sql, dropped and re-created per variant).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { addTagsToClients } from '../src/modules/clients/clients.bulk-actions.ts';
import { ensureTags } from '../src/modules/tags/tags.service.ts';
import { createWorkspace } from '../src/modules/workspaces/workspaces.service.ts';
import { systemContext } from '../src/platform/auth/context.ts';
import { createDb, migrateDatabase, type Tx } from '../src/platform/db/db.ts';
import { startEmbeddedPostgres } from '../src/platform/db/embedded.ts';
import { latency, ms1 } from './lib/clients-util.ts';

const arg = (name: string, fallback: number) =>
  process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : fallback;
const runs = arg('--runs', 3);
const CLIENTS = arg('--clients', 100_000);

const dataDir = await mkdtemp(path.join(tmpdir(), 'clientela-bench-timeline-'));
const handle = await startEmbeddedPostgres({ dataDir, log: () => {}, database: 'clientela_bench' });
await migrateDatabase(handle.url);
const { db, pool } = createDb(handle.url, { max: 2 });
const raw = new pg.Pool({ connectionString: handle.url, max: 2 });

try {
  const workspace = await createWorkspace(db, { name: 'Timeline bench' }, { user: null });
  const ws = workspace.id;
  const ctx = systemContext(ws, 'bench');
  await raw.query(
    `insert into clients (workspace_id, first_name, search_text)
     select $1, 'Name' || i, 'name' || i from generate_series(1, $2) as i`,
    [ws, CLIENTS],
  );
  await raw.query('analyze');
  const ids = (
    await raw.query<{ id: string }>('select id from clients where workspace_id = $1 order by id', [ws])
  ).rows.map((r) => r.id);

  /** The product's statement with one tag and its timeline data built once (no per-client aggregate). */
  const oneTag = async (tx: Tx, chunk: string[], name: string) => {
    const [tag] = await ensureTags(tx, ws, [name]);
    const r = await tx.execute<{ n: number }>(sql`with added as (
        insert into client_tags (client_id, tag_id, workspace_id)
        select c.id, ${tag!.id}::uuid, ${ws} from clients c
        where c.workspace_id = ${ws} and c.erased_at is null and c.id = any(${`{${chunk.join(',')}}`}::uuid[])
        on conflict do nothing
        returning client_id),
      history as (insert into client_history (workspace_id, client_id, kind, actor_type, actor_id, actor_label, data)
        select ${ws}, added.client_id, 'tags', 'system', null, 'bench',
          ${JSON.stringify({ added: [tag!.name], removed: [] })}::jsonb from added)
      select count(*)::int as n from added`);
    return Number(r.rows[0]!.n);
  };
  /** The product's statement with a plain insert of the pairs not there yet instead of ON CONFLICT. */
  const plainInsert = async (tx: Tx, chunk: string[], name: string) => {
    const [tag] = await ensureTags(tx, ws, [name]);
    const r = await tx.execute<{ n: number }>(sql`with added as (
        insert into client_tags (client_id, tag_id, workspace_id)
        select c.id, t.id, ${ws} from clients c cross join unnest(${`{${tag!.id}}`}::uuid[]) as t(id)
        where c.workspace_id = ${ws} and c.erased_at is null and c.id = any(${`{${chunk.join(',')}}`}::uuid[])
          and not exists (select 1 from client_tags x where x.client_id = c.id and x.tag_id = t.id)
        returning client_id, tag_id),
      changed as (
        select a.client_id as id, jsonb_agg(tg.name order by tg.name_key) as names
        from added a join tags tg on tg.id = a.tag_id group by a.client_id),
      history as (insert into client_history (workspace_id, client_id, kind, actor_type, actor_id, actor_label, data)
        select ${ws}, changed.id, 'tags', 'system', null, 'bench',
          jsonb_build_object('added', changed.names, 'removed', '[]'::jsonb) from changed)
      select count(*)::int as n from changed`);
    return Number(r.rows[0]!.n);
  };
  type Variant = {
    historyWorkspaceFk: boolean;
    tagsWorkspaceFk: boolean;
    chunk: number;
    single: boolean;
    plain?: boolean;
    /** How client_tags and client_history reference clients and tags (--refs). */
    refs?: 'keys' | 'none' | 'triggers';
  };
  const v3 = process.argv.includes('--plain');
  const refs = process.argv.includes('--refs');
  const variants: Record<string, Variant> = refs
    ? {
        'foreign keys (per row, as before 0026)': {
          historyWorkspaceFk: false,
          tagsWorkspaceFk: false,
          chunk: 10_000,
          single: false,
          refs: 'keys',
        },
        'no keys, no triggers (no integrity: the floor)': {
          historyWorkspaceFk: false,
          tagsWorkspaceFk: false,
          chunk: 10_000,
          single: false,
          refs: 'none',
        },
        'set-based statement triggers (0026)': {
          historyWorkspaceFk: false,
          tagsWorkspaceFk: false,
          chunk: 10_000,
          single: false,
          refs: 'triggers',
        },
      }
    : v3
      ? {
          'with migration 0023': {
            historyWorkspaceFk: false,
            tagsWorkspaceFk: false,
            chunk: 10_000,
            single: false,
          },
          '+ plain insert (not exists) instead of on conflict': {
            historyWorkspaceFk: false,
            tagsWorkspaceFk: false,
            chunk: 10_000,
            single: false,
            plain: true,
          },
        }
      : {
          'as is': { historyWorkspaceFk: true, tagsWorkspaceFk: true, chunk: 10_000, single: false },
          'history without workspace FK': {
            historyWorkspaceFk: false,
            tagsWorkspaceFk: true,
            chunk: 10_000,
            single: false,
          },
          '+ one-tag statement': {
            historyWorkspaceFk: false,
            tagsWorkspaceFk: true,
            chunk: 10_000,
            single: true,
          },
          '+ chunks of 50,000': {
            historyWorkspaceFk: false,
            tagsWorkspaceFk: true,
            chunk: 50_000,
            single: true,
          },
          '+ client_tags without workspace FK': {
            historyWorkspaceFk: false,
            tagsWorkspaceFk: false,
            chunk: 50_000,
            single: true,
          },
        };
  const fk = async (table: string, on: boolean) => {
    await raw.query(`alter table ${table} drop constraint if exists ${table}_workspace_id_workspaces_id_fk`);
    if (on)
      await raw.query(`alter table ${table} add constraint ${table}_workspace_id_workspaces_id_fk
        foreign key (workspace_id) references workspaces(id) on delete cascade`);
  };
  // --refs: the triggers as migration 0026 creates them, dropped or re-created per variant, and
  // the three foreign keys 0026 dropped re-created for the 'keys' variant.
  const triggers = readFileSync(new URL('../drizzle/0026_bulktag.sql', import.meta.url), 'utf8')
    .split('--> statement-breakpoint')
    .map((statement) => statement.replace(/^--.*$/gm, '').trim())
    .filter((statement) => statement.startsWith('CREATE TRIGGER'));
  const triggerNames = triggers.map((t) => {
    const m = /CREATE TRIGGER "(\w+)" .*? ON "(\w+)"/s.exec(t)!;
    return `drop trigger if exists ${m[1]} on ${m[2]}`;
  });
  const keys = [
    ['client_tags', 'client_tags_client_id_clients_id_fk', 'client_id', 'clients'],
    ['client_tags', 'client_tags_tag_id_tags_id_fk', 'tag_id', 'tags'],
    ['client_history', 'client_history_client_id_clients_id_fk', 'client_id', 'clients'],
  ];
  const setRefs = async (mode: 'keys' | 'none' | 'triggers') => {
    for (const drop of triggerNames) await raw.query(drop);
    for (const [table, name] of keys)
      await raw.query(`alter table ${table} drop constraint if exists ${name}`);
    if (mode === 'triggers') for (const create of triggers) await raw.query(create);
    if (mode === 'keys')
      for (const [table, name, column, target] of keys)
        await raw.query(`alter table ${table} add constraint ${name} foreign key (${column})
          references ${target}(id) on delete cascade`);
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  let n = 0;
  for (let run = 0; run < runs; run++) {
    for (const [name, v] of Object.entries(variants)) {
      await fk('client_history', v.historyWorkspaceFk);
      await fk('client_tags', v.tagsWorkspaceFk);
      if (v.refs) await setRefs(v.refs);
      await raw.query('checkpoint');
      const tagName = `t${n++}`;
      const t0 = performance.now();
      let done = 0;
      for (let at = 0; at < ids.length; at += v.chunk) {
        const chunk = ids.slice(at, at + v.chunk);
        done += await db.transaction((tx) =>
          v.plain
            ? plainInsert(tx, chunk, tagName)
            : v.single
              ? oneTag(tx, chunk, tagName)
              : addTagsToClients(tx, ctx, chunk, [tagName]),
        );
      }
      const ms = performance.now() - t0;
      times[name]!.push(ms);
      console.log(`run ${run + 1} ${name}: ${ms1(ms)} ms (${done} clients)`);
    }
  }
  for (const [name, list] of Object.entries(times))
    console.log(`median ${name}: ${ms1(latency(list).p50)} ms (${list.map(ms1).join(', ')})`);
} finally {
  await raw.end();
  await pool.end();
  if (handle.owned) await handle.stop();
  await rm(dataDir, { recursive: true, force: true });
}
