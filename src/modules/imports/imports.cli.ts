import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { systemContext } from '../../platform/auth/context.ts';
import type { Database } from '../../platform/db/db.ts';
import { AppError } from '../../platform/errors.ts';
import { createSuppressionList } from '../consent/suppressions.service.ts';
import { getWorkspace } from '../workspaces/workspaces.service.ts';
import {
  cancelImport,
  createImport,
  dryRunImport,
  type ImportOptionsInput,
  type OnDuplicate,
  runImport,
  startImport,
} from './imports.service.ts';

/** Lines in the file: the progress bar's total for text files (quoted newlines make it an estimate). */
async function countLines(file: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(file)) {
    const buffer = chunk as Buffer;
    let at = buffer.indexOf(10);
    while (at !== -1) {
      lines++;
      at = buffer.indexOf(10, at + 1);
    }
  }
  return lines;
}

/** "Nombre=first_name,Gasto=new.gasto" → mapping; a column name may itself contain "=" before the last one. */
export function parseMapOption(raw: string | undefined): Record<string, string> {
  const mapping: Record<string, string> = {};
  if (!raw) return mapping;
  for (const pair of raw.split(',')) {
    const at = pair.lastIndexOf('=');
    if (at <= 0) throw AppError.validation([{ path: '/map', message: `"${pair}" is not column=target` }]);
    mapping[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return mapping;
}

/**
 * `clientela import <file>`: the same pipeline as the API, run in this process (no worker needed),
 * with a progress bar of rows, rows/s and ETA on stderr.
 */
export async function importFromCli(
  db: Database,
  options: {
    file: string;
    workspaceId: string;
    dryRun: boolean;
    map?: string;
    onDuplicate: string;
    sheet?: string;
    tags?: string;
    secretKey: string;
    progress: boolean;
  },
) {
  const file = path.resolve(options.file);
  const size = (await stat(file).catch(() => null))?.size;
  if (size === undefined) throw AppError.validation([{ path: '/file', message: `no such file: ${file}` }]);
  await getWorkspace(db, options.workspaceId);
  const ctx = systemContext(options.workspaceId, 'cli import');
  const deps = { suppressions: createSuppressionList(options.secretKey) };
  const created = await createImport(db, ctx, {
    path: file,
    fileName: path.basename(file),
    sizeBytes: size,
    sheet: options.sheet ?? null,
  });
  const input: ImportOptionsInput = {
    mapping: parseMapOption(options.map),
    on_duplicate: options.onDuplicate as OnDuplicate,
    tags: options.tags
      ? options.tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean)
      : [],
  };
  if (options.dryRun) {
    try {
      const dry = await dryRunImport(db, deps, ctx, created.id, input);
      const c = dry.counts;
      const lines = [
        `Dry run of ${path.basename(file)}: ${dry.total_rows} rows — ${c.created} new, ${c.updated} updated, ${c.duplicates} duplicates, ${c.invalid} invalid, ${c.suppressed} suppressed. Nothing was written.`,
        ...dry.preview.map(
          (p) =>
            `  row ${p.row}: ${p.action}${p.client ? ` ${JSON.stringify(p.client)}` : ''}${p.problems.map((x) => ` [${x.column ?? 'row'}: ${x.reason}]`).join('')}`,
        ),
      ];
      return {
        json: { import_id: created.id, mapping: created.options.mapping, ...dry },
        text: lines.join('\n'),
      };
    } finally {
      await cancelImport(db, ctx, created.id);
    }
  }
  await startImport(db, ctx, created.id, input, { queue: false });
  const total = created.format === 'csv' ? Math.max(0, (await countLines(file)) - 1) : 0;
  const bar = options.progress
    ? new cliProgress.SingleBar(
        {
          format: total
            ? 'Importing [{bar}] {percentage}% | {value}/{total} rows | {speed} rows/s | ETA {eta_formatted}'
            : 'Importing {value} rows | {speed} rows/s',
          stream: process.stderr,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  const started = Date.now();
  bar?.start(total, 0, { speed: 0 });
  const done = await runImport(db, deps, options.workspaceId, created.id, {
    onProgress: (row) => {
      const seconds = (Date.now() - started) / 1000;
      if (total && row.processed_rows > total) bar?.setTotal(row.processed_rows);
      bar?.update(row.processed_rows, { speed: Math.round(row.processed_rows / Math.max(seconds, 0.001)) });
    },
  });
  bar?.update(done.processed_rows);
  bar?.stop();
  const c = done.counts;
  const seconds = (Date.now() - started) / 1000;
  const text = [
    `Import ${done.id} ${done.status}: ${done.processed_rows} rows in ${seconds.toFixed(1)} s — ${c.created} new, ${c.updated} updated, ${c.duplicates} duplicates, ${c.invalid} invalid, ${c.suppressed} suppressed.`,
    ...(c.invalid + c.suppressed
      ? [`Rows not imported: GET /api/v1/imports/${done.id}/errors.csv (or the dashboard's Imports page).`]
      : []),
    ...(done.error ? [`Error: ${done.error}`] : []),
  ].join('\n');
  return { json: { ...done, seconds }, text };
}
