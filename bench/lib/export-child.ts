/**
 * One export job run in a process of its own, so its peak RSS is the export's alone (the bench's
 * parent holds the imports' heap). Prints one JSON line: { ms, peakMiB, rows, bytes }.
 *
 *   node bin/run-ts.mjs bench/lib/export-child.ts <database url> <exports dir> <secret key> <workspace id> <export id>
 */
import { runExport } from '../../src/modules/exports/exports.service.ts';
import { createSecretBox } from '../../src/platform/crypto.ts';
import { createDb } from '../../src/platform/db/db.ts';

const [url, exportsDir, secretKey, workspaceId, exportId] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const handle = createDb(url, { max: 4, applicationName: 'bench-export' });
let peak = process.memoryUsage().rss;
const timer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 50);
const started = performance.now();
const result = await runExport(
  handle.db,
  { secrets: createSecretBox(secretKey), exportsDir },
  workspaceId,
  exportId,
);
const ms = performance.now() - started;
clearInterval(timer);
peak = Math.max(peak, process.memoryUsage().rss);
await handle.close();
process.stdout.write(
  `${JSON.stringify({ ms, peakMiB: peak / 1024 / 1024, rows: result.processed_rows, bytes: result.size_bytes, status: result.status })}\n`,
);
