/**
 * Imports and exports at size, on an embedded PostgreSQL in a temp dir (removed afterwards):
 *
 *   node bin/run-ts.mjs bench/imports.ts [--rows 1000000] [--xlsx-rows 100000] [--export-rows 1000000] [--no-write]
 *
 * 1. A messy CSV of --rows rows (5% invalid emails, 10% phones without a country code, 2% rows
 *    repeating an earlier row's email) is written to disk, then imported end to end through the
 *    product's own pipeline (createImport → startImport → runImport: read, normalize, suppression
 *    check, dedupe, COPY of each 10,000-row batch with its undo record), in this process, timed per
 *    stage, with this process's peak RSS sampled every 50 ms (and its RSS before the first row:
 *    what the app it holds costs on its own).
 * 2. In the same run, the clean rows (what the import stored) go into the same, emptied, table with
 *    one raw server-side COPY: once with the table's random ids, once with time-ordered ids.
 * 3. An XLSX of --xlsx-rows rows is imported the same way.
 * 4. --export-rows clients are exported to CSV by the export job in a child process (its RSS alone),
 *    against a raw COPY … TO STDOUT of the same rows and columns.
 * Writes the `<!-- bench:imports:start -->` … `<!-- bench:imports:end -->` block of bench/RESULTS.md.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ExcelJS from 'exceljs';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { type Clientela, createClientela } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createSuppressionList } from '../src/modules/consent/suppressions.service.ts';
import {
  createImport,
  emptyTimings,
  runImport,
  startImport,
} from '../src/modules/imports/imports.service.ts';
import { createWorkspace } from '../src/modules/workspaces/workspaces.service.ts';
import { systemContext } from '../src/platform/auth/context.ts';
import { createSecretBox } from '../src/platform/crypto.ts';
import { migrateDatabase } from '../src/platform/db/db.ts';
import { startEmbeddedPostgres } from '../src/platform/db/embedded.ts';
import { writeSection } from './lib/clients-util.ts';
import {
  exitAfterCleanup,
  installSignalCleanup,
  machineInfo,
  machineLine,
  makeTempDir,
  ok,
  Scope,
  utcNow,
} from './lib/proc.ts';

const RESULTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'RESULTS.md');
const log = (m: string) => process.stderr.write(`[bench:imports] ${m}\n`);

const FIRST = [
  'Lucía',
  'Marc',
  'Ana',
  'José',
  'Élodie',
  'John',
  'Begoña',
  'François',
  'Zoë',
  'Íñigo',
  'Carmen',
  'Hugo',
];
const LAST = [
  'García',
  'Dubois',
  'Martín',
  'Núñez',
  'Lefèvre',
  'Smith',
  'Ibáñez',
  'Gérard',
  'Ørsted',
  'Aguirre',
];
const CITIES = ['Madrid', 'Sevilla', 'Lyon', 'Bilbao', 'Paris', 'Valencia', 'Málaga', 'Besançon'];

/** Deterministic messy rows: row i's values depend only on i. */
function messyRow(i: number): { cells: string[]; clean: boolean } {
  const first = FIRST[i % FIRST.length]!;
  const last = LAST[(i * 7) % LAST.length]!;
  // 2%: the email of an earlier row (a duplicate inside the file)
  const duplicate = i % 50 === 49;
  const n = duplicate ? i - 25 : i;
  let email = `${first.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '')}.${n}@example.com`;
  // 5%: an invalid email
  const invalid = i % 20 === 7;
  if (invalid) email = `${first}.${n}-at-example.com`;
  // 10%: a national number without the country code (read with the workspace's ES)
  const digits = String(600_000_000 + ((n * 7919) % 99_999_999));
  const phone =
    i % 10 === 3 ? `${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6)}` : `+34 ${digits}`;
  const day = String((i % 28) + 1).padStart(2, '0');
  const month = String((i % 12) + 1).padStart(2, '0');
  return {
    cells: [first, last, email, phone, CITIES[i % CITIES.length]!, `${day}/${month}/19${70 + (i % 30)}`],
    clean: !invalid && !duplicate,
  };
}

const HEADER = ['Nombre', 'Apellidos', 'Correo electrónico', 'Teléfono', 'Ciudad', 'Fecha de nacimiento'];

async function writeCsv(file: string, rows: number) {
  const out = createWriteStream(file);
  const quote = (c: string) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  let buffer = `${HEADER.join(',')}\n`;
  for (let i = 0; i < rows; i++) {
    buffer += `${messyRow(i).cells.map(quote).join(',')}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await new Promise<void>((r) => out.once('drain', () => r()));
      buffer = '';
    }
  }
  out.end(buffer);
  await new Promise<void>((r) => out.on('finish', () => r()));
}

async function writeXlsx(file: string, rows: number) {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    filename: file,
    useSharedStrings: false,
    useStyles: true,
  });
  const sheet = workbook.addWorksheet('Clientes');
  sheet.addRow(HEADER).commit();
  for (let i = 0; i < rows; i++) {
    const { cells } = messyRow(i);
    const [d, m, y] = cells[5]!.split('/').map(Number);
    sheet.addRow([...cells.slice(0, 5), new Date(Date.UTC(y!, m! - 1, d!))]).commit();
  }
  sheet.commit();
  await workbook.commit();
}

function stagesOf(timings: Record<string, number>): string {
  return Object.entries(timings)
    .map(([k, v]) => `${k} ${Math.round(v).toLocaleString('en')}`)
    .join(', ');
}

/** Runs node with these arguments; resolves with its stdout (its stderr goes to ours). */
function runChild(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited with ${code}`))));
  });
}

/** Peak RSS of this process while `work` runs, sampled every 50 ms. */
async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakMiB: number; ms: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const started = performance.now();
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, peakMiB: peak / 1024 / 1024, ms: performance.now() - started };
  } finally {
    clearInterval(timer);
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      'xlsx-rows': { type: 'string', default: '100000' },
      'export-rows': { type: 'string', default: '1000000' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const rows = Number(values.rows);
  const xlsxRows = Number(values['xlsx-rows']);
  installSignalCleanup();
  const scope = new Scope();
  let app: Clientela | null = null;
  const machine = machineInfo();
  const startedAt = utcNow();
  try {
    const dir = await makeTempDir(scope, 'clientela-bench-imports-');
    await chmod(dir, 0o755); // the server-side COPY runs as the postgres user
    const handle = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data'), log });
    scope.defer('stop PostgreSQL', async () => {
      if (handle.owned) await handle.stop();
    });
    await migrateDatabase(handle.url);
    const secretKey = randomBytes(32).toString('hex');
    app = await createClientela({
      config: loadConfig({ CLIENTELA_DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'silent' }),
      databaseUrl: handle.url,
      secretKey,
      logger: false,
      webDist: null,
    });
    const db = app.dbHandle.db;
    const deps = { suppressions: createSuppressionList(secretKey) };

    log(`writing ${rows} messy CSV rows`);
    const csvFile = path.join(dir, 'messy.csv');
    await writeCsv(csvFile, rows);
    await chmod(csvFile, 0o644);
    const csvBytes = (await stat(csvFile)).size;

    const ws = await createWorkspace(db, { name: 'bench import' });
    const ctx = systemContext(ws.id, 'bench');
    log('importing the CSV');
    const timings = emptyTimings();
    const stats = { lookedUpKeys: 0 };
    // What this process holds before the first row: the app (Fastify, routes, the job runner's
    // task list, drizzle, pools) and the bench's own modules, after a collection.
    (globalThis as { gc?: () => void }).gc?.();
    const idleMiB = process.memoryUsage().rss / 1024 / 1024;
    const imported = await withPeakRss(async () => {
      const created = await createImport(db, ctx, {
        path: csvFile,
        fileName: 'messy.csv',
        sizeBytes: csvBytes,
      });
      await startImport(db, ctx, created.id, { on_duplicate: 'skip' }, { queue: false });
      return runImport(db, deps, ws.id, created.id, { timings, stats });
    });
    log(`import stages (ms): ${stagesOf(timings)}; identities looked up: ${stats.lookedUpKeys}`);
    log(`RSS before the first row: ${idleMiB.toFixed(0)} MiB`);
    log(
      `import: ${imported.ms.toFixed(0)} ms, peak RSS ${imported.peakMiB.toFixed(0)} MiB, ${JSON.stringify(imported.result.counts)}`,
    );

    // The floors, each into the same (then emptied) clients table with its 16 indexes: the clean rows
    // as the import stored them, one server-side COPY. (A) with time-ordered ids, as the import
    // writes them; (B) with the table's default random ids, what a naive bulk load does.
    const copyDir = path.join(dir, 'copy');
    await mkdir(copyDir, { mode: 0o777 });
    await chmod(copyDir, 0o777);
    const cleanFile = path.join(copyDir, 'clean.csv');
    const admin = new pg.Client({ connectionString: handle.url });
    await admin.connect();
    const floorWs = await createWorkspace(db, { name: 'bench copy' });
    const base = Date.now() * 4096;
    await admin.query(
      `copy (select (lpad(to_hex(${base}::bigint + row_number() over (order by id)), 16, '0') || substr(md5(random()::text), 1, 16))::uuid,
          '${floorWs.id}'::uuid, first_name, last_name, email, phone, city, birthday, search_text
        from clients where workspace_id = '${ws.id}' order by id) to '${cleanFile}' with (format csv)`,
    );
    const cleanRows = imported.result.counts.created;
    const floor = async (withIds: boolean) => {
      await admin.query('truncate clients cascade');
      await admin.query('checkpoint');
      const started = performance.now();
      await admin.query(
        withIds
          ? `copy clients (id, workspace_id, first_name, last_name, email, phone, city, birthday, search_text) from '${cleanFile}' with (format csv)`
          : `copy clients (workspace_id, first_name, last_name, email, phone, city, birthday, search_text)
              from program 'cut -d, -f2- ${cleanFile}' with (format csv)`,
      );
      const ms = performance.now() - started;
      // Statistics as a live database has them (not timed): without them the foreign-key checks of
      // the next writes into a table PostgreSQL still believes empty are planned as sequential scans.
      await admin.query('analyze clients');
      return ms;
    };
    const randomIdsMs = await floor(false);
    log(`raw COPY of ${cleanRows} clean rows, random ids: ${randomIdsMs.toFixed(0)} ms`);
    const orderedIdsMs = await floor(true);
    log(`raw COPY of ${cleanRows} clean rows, time-ordered ids: ${orderedIdsMs.toFixed(0)} ms`);

    let xlsx: Awaited<ReturnType<typeof withPeakRss<Awaited<ReturnType<typeof runImport>>>>> | null = null;
    const xlsxTimings = emptyTimings();
    if (xlsxRows > 0) {
      log(`writing ${xlsxRows} XLSX rows`);
      const xlsxFile = path.join(dir, 'clientes.xlsx');
      await writeXlsx(xlsxFile, xlsxRows);
      const xws = await createWorkspace(db, { name: 'bench xlsx' });
      const xctx = systemContext(xws.id, 'bench');
      log('importing the XLSX');
      xlsx = await withPeakRss(async () => {
        const created = await createImport(db, xctx, {
          path: xlsxFile,
          fileName: 'clientes.xlsx',
          sizeBytes: (await stat(xlsxFile)).size,
        });
        await startImport(db, xctx, created.id, {}, { queue: false });
        return runImport(db, deps, xws.id, created.id, { timings: xlsxTimings });
      });
      log(`xlsx stages (ms): ${stagesOf(xlsxTimings)}`);
      log(`xlsx: ${xlsx.ms.toFixed(0)} ms, peak RSS ${xlsx.peakMiB.toFixed(0)} MiB`);
    }

    // The export: the floor's clients (the clean rows, time-ordered ids) topped up to --export-rows,
    // exported by the export job in a process of its own (its RSS alone).
    const exportRows = Number(values['export-rows']);
    const missing = Math.max(0, exportRows - cleanRows);
    if (missing)
      await admin.query(`
        insert into clients (id, workspace_id, first_name, last_name, email, phone, city, birthday, search_text)
        select (lpad(to_hex(${base + 10_000_000}::bigint + g), 16, '0') || substr(md5(random()::text), 1, 16))::uuid,
          '${floorWs.id}', c.first_name, c.last_name, 'extra.' || g || '@example.com', c.phone, c.city, c.birthday, c.search_text
        from generate_series(1, ${missing}) g
        join lateral (select * from clients where workspace_id = '${floorWs.id}' offset (g % 1000) limit 1) c on true`);
    await admin.query('vacuum analyze clients');
    const floorCtx = systemContext(floorWs.id, 'bench');
    const exportsDir = path.join(dir, 'exports');
    const exportDeps = { secrets: createSecretBox(secretKey), exportsDir };
    const { createExport } = await import('../src/modules/exports/exports.service.ts');
    const requested = await createExport(db, exportDeps, floorCtx, {
      selection: { kind: 'all' },
      format: 'csv',
    });
    log(`exporting ${requested.total_rows} clients to CSV in a child process`);
    const child = await runChild(
      [
        'bin/run-ts.mjs',
        'bench/lib/export-child.ts',
        handle.url,
        exportsDir,
        secretKey,
        floorWs.id,
        requested.id,
      ],
      path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'),
    );
    const exported = JSON.parse(child.trim().split('\n').at(-1)!) as {
      ms: number;
      peakMiB: number;
      rows: number;
      bytes: number;
    };
    log(
      `export: ${exported.ms.toFixed(0)} ms, peak RSS ${exported.peakMiB.toFixed(0)} MiB, ${exported.bytes} bytes`,
    );
    // Its floor: the same rows and columns (tags and all) out of PostgreSQL with COPY … TO STDOUT (CSV) into a file.
    const rawExportStarted = performance.now();
    const rawOut = createWriteStream(path.join(dir, 'raw-export.csv'));
    const copyOut = admin.query(
      copyTo(`copy (select c.id, c.first_name, c.last_name, c.email, c.phone, c.city, c.country, coalesce(tg.tags, '{}'),
          c.consent_email, c.consent_sms, c.consent_whatsapp, c.lifetime_value, c.created_at
        from clients c left join (
          select ct.client_id, array_agg(t.name order by t.name_key) as tags from client_tags ct join tags t on t.id = ct.tag_id
          where ct.workspace_id = '${floorWs.id}' group by ct.client_id) tg on tg.client_id = c.id
        where c.workspace_id = '${floorWs.id}' and c.erased_at is null order by c.id) to stdout with (format csv, header)`),
    );
    await pipeline(copyOut, rawOut);
    const rawExportMs = performance.now() - rawExportStarted;
    log(`raw COPY TO STDOUT of the same rows: ${rawExportMs.toFixed(0)} ms`);
    await admin.end();

    const c = imported.result.counts;
    const importS = imported.ms / 1000;
    const s1 = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const rate = (rows: number, ms: number) => Math.round(rows / (ms / 1000)).toLocaleString('en');
    const body = `## Imports and exports (bench/imports.ts)

Run ${startedAt}. Machine: ${machineLine(machine)}.
The product's pipeline called directly, as the jobs run it, against an embedded PostgreSQL 17 (shared_buffers 256 MB)
in a temp dir. Import RSS is the bench process's; the export runs in a child process of its own, so its RSS is the
export's alone. PostgreSQL's own memory is in neither.

| what | rows | time | rows/s | peak RSS | target |
|---|---:|---:|---:|---:|---|
| messy CSV import, end to end (${(csvBytes / 1024 / 1024).toFixed(0)} MiB; 5% invalid emails, 10% national phones, 2% duplicates) | ${rows.toLocaleString('en')} | ${s1(imported.ms)} | ${rate(rows, imported.ms)} | ${imported.peakMiB.toFixed(0)} MiB | ≤ 40 s ${ok(importS <= 40)}, ≤ 600 MiB ${ok(imported.peakMiB <= 600)} |
| floor A: raw server-side COPY of the ${cleanRows.toLocaleString('en')} clean rows, time-ordered ids (as the import writes), empty table | ${cleanRows.toLocaleString('en')} | ${s1(orderedIdsMs)} | ${rate(cleanRows, orderedIdsMs)} | — | import ÷ floor A = **${(imported.ms / orderedIdsMs).toFixed(2)}×** |
| floor B: the same COPY with the table's default random ids, empty table | ${cleanRows.toLocaleString('en')} | ${s1(randomIdsMs)} | ${rate(cleanRows, randomIdsMs)} | — | import ÷ floor B = **${(imported.ms / randomIdsMs).toFixed(2)}×** |
${
  xlsx
    ? `| XLSX import (same messy rows, real dates), into the table holding the floor's rows | ${xlsxRows.toLocaleString('en')} | ${s1(xlsx.ms)} | ${rate(xlsxRows, xlsx.ms)} | ${xlsx.peakMiB.toFixed(0)} MiB | ≤ 15 s ${ok(xlsx.ms <= 15_000)} |
`
    : ''
}| CSV export job, default fields (${(exported.bytes / 1024 / 1024).toFixed(0)} MiB), own process | ${exported.rows.toLocaleString('en')} | ${s1(exported.ms)} | ${rate(exported.rows, exported.ms)} | ${exported.peakMiB.toFixed(0)} MiB | ≤ 20 s ${ok(exported.ms <= 20_000)}, ≤ 300 MiB ${ok(exported.peakMiB <= 300)} |
| floor: raw \`COPY (same select) TO STDOUT\` (CSV) into a file | ${exported.rows.toLocaleString('en')} | ${s1(rawExportMs)} | ${rate(exported.rows, rawExportMs)} | — | export ÷ floor = **${(exported.ms / rawExportMs).toFixed(2)}×** |

This process's RSS before the first row (the app and the bench, after a collection): ${idleMiB.toFixed(0)} MiB.
Identities looked up in the database: ${stats.lookedUpKeys.toLocaleString('en')} (the workspace was empty: only keys the run may have written).

Import counts: ${c.created.toLocaleString('en')} new, ${c.duplicates.toLocaleString('en')} duplicates, ${c.invalid.toLocaleString('en')} invalid, ${c.suppressed} suppressed.

Where the CSV import's time went (ms; stages overlap: the next batch is read and normalized while one commits, so
they add up to more than the wall time): ${stagesOf(timings)}.
${
  xlsx
    ? `XLSX stages (ms): ${stagesOf(xlsxTimings)}.
`
    : ''
}- read: parsing the file (csv-parse / exceljs streaming reader), including waits on the event loop;
- normalize: the API's rules per row (email, E.164 phone with libphonenumber, dates, lengths);
- suppression: the HMAC check of every email and phone, inside PostgreSQL; lookup: existing clients by external id, email, phone
  (one index probe per key; in a workspace the run alone fills, only the keys it may have written, after checking no one
  else created a client);
- dedupe: in-memory matching (external id, then email, then phone) and merge;
- copy_clients: the COPY of new clients (16 indexes, including the trigram index, maintained row by row);
- other_writes: timeline entries and error rows (COPY), the batch's undo record (one row of ids), updates and tags (set-based);
- commit: the batches' transactions end to end (suppression … other_writes plus the progress row).
`;
    if (!values['no-write']) writeSection(RESULTS, body, 'imports');
    process.stdout.write(body);
  } finally {
    await app?.close().catch(() => undefined);
    await scope.close();
  }
}

main().then(
  () => exitAfterCleanup(0),
  (error) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return exitAfterCleanup(1);
  },
);
