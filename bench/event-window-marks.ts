/**
 * What the kept event windows cost event ingestion: the statement triggers of migration 0017
 * (src/modules/segments/event-windows.ts) on every write to `events`.
 *
 *   node bin/run-ts.mjs bench/event-window-marks.ts [--clients 20000] [--events 200000] [--rounds 40]
 *        [--batch 1000] [--no-write]
 *
 * On the cached dataset of bench/clients.ts, batches of `--batch` new events (booking 36 %,
 * payment 30 % with an amount, visit 24 %, support 10 %, in the last 30 days, for random live
 * clients) are written with the product's own statement (`upsertEvents`, the one ingestion runs),
 * each in a transaction rolled back afterwards (the dataset stays as generated). Three ways, in
 * turn within each round (which goes first rotates):
 *   - kept: the triggers on and every type kept in a window, so each statement also takes its
 *     (workspace, type) locks and marks the batch's clients: the product once a segment uses events;
 *   - unkept: the triggers on, no window of the workspace: the locks and an empty mark insert;
 *   - none: the window triggers disabled in that transaction (ALTER TABLE … DISABLE TRIGGER,
 *     rolled back with it): the write as it was before migration 0017, foreign keys included.
 * Only the write statement is timed. Writes the `<!-- bench:event-window-marks:… -->` block of
 * bench/RESULTS.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { type EventWrite, upsertEvents } from '../src/modules/events/events.repo.ts';
import { createDb } from '../src/platform/db/db.ts';
import { startEmbeddedPostgres } from '../src/platform/db/embedded.ts';
import { type Latency, latency, ms1, ratio, writeSection } from './lib/clients-util.ts';
import {
  exitAfterCleanup,
  installSignalCleanup,
  isMain,
  machineInfo,
  machineLine,
  Scope,
  utcNow,
  waitForQuiet,
} from './lib/proc.ts';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const RESULTS = path.join(BENCH_DIR, 'RESULTS.md');
const DATABASE = 'clientela_bench';
const WAYS = ['kept', 'unkept', 'none'] as const;
type Way = (typeof WAYS)[number];
const TYPES: Array<[string, number]> = [
  ['booking', 0.36],
  ['payment', 0.66],
  ['visit', 0.9],
  ['support', 1],
];
const TRIGGERS = [
  'events_window_changes_insert',
  'events_window_changes_update',
  'events_window_changes_delete',
];

/** Rolls the transaction back once the work is done (the dataset stays as generated). */
class RolledBack extends Error {}

async function main() {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '20000' },
      events: { type: 'string', default: '200000' },
      rounds: { type: 'string', default: '40' },
      batch: { type: 'string', default: '1000' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const rounds = Number(values.rounds);
  const batchSize = Number(values.batch);
  const log = (m: string) =>
    console.error(`[event-window-marks] ${new Date().toISOString().slice(11, 19)} ${m}`);
  installSignalCleanup();
  const scope = new Scope();
  try {
    const dataDir = path.join(BENCH_DIR, '.data', `clients-${values.clients}-${values.events}`);
    const datasetFile = path.join(dataDir, 'dataset.json');
    if (!existsSync(datasetFile))
      throw new Error(`no cached dataset in ${dataDir}: run bench/clients.ts with these sizes first`);
    const workspaceId = (JSON.parse(readFileSync(datasetFile, 'utf8')) as { result: { workspaceId: string } })
      .result.workspaceId;
    const handle = await startEmbeddedPostgres({ dataDir, log, database: DATABASE });
    scope.defer('stop PostgreSQL', async () => {
      if (handle.owned) await handle.stop();
    });
    const { db, pool } = createDb(handle.url, { max: 2, applicationName: 'bench-event-window-marks' });
    scope.defer('close the pool', () => pool.end());
    const ids = (
      await db.execute<{ id: string }>(
        sql`select id from clients where workspace_id = ${workspaceId} and erased_at is null`,
      )
    ).rows.map((r) => r.id);
    const quiet = await waitForQuiet(log);
    const loadBefore = machineInfo();

    const batch = (): EventWrite[] =>
      Array.from({ length: batchSize }, () => {
        const draw = Math.random();
        const type = TYPES.find(([, upTo]) => draw < upTo)![0];
        return {
          clientId: ids[Math.floor(Math.random() * ids.length)]!,
          type,
          occurredAt: new Date(Date.now() - Math.random() * 30 * 86_400_000),
          amount: type === 'payment' ? Math.round(Math.random() * 20_000) / 100 : null,
          currency: type === 'payment' ? 'EUR' : null,
          locationId: null,
          referenceId: null,
          properties: {},
        };
      });
    const write = async (way: Way, rows: EventWrite[]): Promise<number> => {
      let ms = 0;
      await db
        .transaction(async (tx) => {
          await tx.execute(sql`delete from event_windows where workspace_id = ${workspaceId}`);
          if (way === 'kept')
            await tx.execute(sql`insert into event_windows (workspace_id, type, window_days, computed_at)
              select ${workspaceId}::uuid, t, 30, now() from unnest(${sql.param(TYPES.map(([t]) => t))}::text[]) t`);
          if (way === 'none')
            for (const trigger of TRIGGERS)
              await tx.execute(sql.raw(`alter table events disable trigger ${trigger}`));
          const t0 = performance.now();
          await upsertEvents(tx, workspaceId, rows);
          ms = performance.now() - t0;
          throw new RolledBack();
        })
        .catch((error) => {
          if (!(error instanceof RolledBack)) throw error;
        });
      return ms;
    };

    log(`${ids.length} live clients; 5 warm-up rounds, then ${rounds} rounds of ${batchSize} events per way`);
    const samples: Record<Way, number[]> = { kept: [], unkept: [], none: [] };
    for (let round = -5; round < rounds; round++) {
      const rows = batch();
      const offset = ((round % 3) + 3) % 3;
      for (let i = 0; i < WAYS.length; i++) {
        const way = WAYS[(i + offset) % WAYS.length]!;
        const ms = await write(way, rows);
        if (round >= 0) samples[way].push(ms);
      }
    }
    const figures = Object.fromEntries(WAYS.map((w) => [w, latency(samples[w])])) as Record<Way, Latency>;
    for (const w of WAYS) log(`${w}: p50 ${ms1(figures[w].p50)} ms, p95 ${ms1(figures[w].p95)} ms`);

    const perSecond = (l: Latency) => Math.round((batchSize / l.p50) * 1000).toLocaleString('en');
    const L: string[] = [];
    L.push('## Cost of the kept event windows to event ingestion (`bench/event-window-marks.ts`)');
    L.push('');
    L.push(`- Date: ${utcNow()}; ${machineLine(loadBefore)}; ${quiet}`);
    L.push(
      `- Data: the cached dataset of \`bench/clients.ts\` (${Number(values.clients).toLocaleString('en')} clients, ${Number(values.events).toLocaleString('en')} events). ${rounds} rounds after 5 warm-up ones; in each round the same batch of ${batchSize.toLocaleString('en')} new events (booking 36 %, payment 30 %, visit 24 %, support 10 %, random live clients) written once per way by \`upsertEvents\` (the statement ingestion runs), in a transaction rolled back afterwards; the order of the ways rotates. Only the statement is timed.`,
    );
    L.push('');
    L.push('| Way | Statement p50 / p95 | Events/s at p50 | ÷ without the triggers (p50) |');
    L.push('|---|---:|---:|---:|');
    const label: Record<Way, string> = {
      kept: 'Triggers on, every type kept in a window (locks + marks of the batch’s clients)',
      unkept: 'Triggers on, no kept window (locks, nothing to mark)',
      none: 'Window triggers disabled (the write before migration 0017)',
    };
    for (const w of WAYS)
      L.push(
        `| ${label[w]} | ${ms1(figures[w].p50)} / ${ms1(figures[w].p95)} ms | ${perSecond(figures[w])} | ${ratio(figures[w].p50, figures.none.p50)} |`,
      );
    if (!values['no-write']) {
      writeSection(RESULTS, L.join('\n'), 'event-window-marks');
      log('wrote the event-window-marks section of bench/RESULTS.md');
    } else console.log(L.join('\n'));
  } finally {
    await scope.close();
  }
}

if (isMain(import.meta.url)) {
  main().then(
    () => exitAfterCleanup(0),
    (error) => {
      console.error(error);
      exitAfterCleanup(1);
    },
  );
}
