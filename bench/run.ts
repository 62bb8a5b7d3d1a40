/**
 * `npm run bench` — runs the foundation benchmarks and rewrites their section of bench/RESULTS.md.
 *   node bin/run-ts.mjs bench/run.ts              both
 *   node bin/run-ts.mjs bench/run.ts startup      start-up time and idle memory only
 *   node bin/run-ts.mjs bench/run.ts throughput   GET /api/v1/me under load only
 * Only the blocks of the benchmarks that ran are replaced; everything else in RESULTS.md (other
 * sections, the other foundation block) is kept as it is.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { optionsFromEnv, renderThroughput, runThroughput } from './api-throughput.ts';
import { abortCleanup, exitAfterCleanup, installSignalCleanup } from './lib/proc.ts';
import { renderStartup, runStartup } from './startup.ts';

const RESULTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'RESULTS.md');

const HEADER = `# Clientela benchmarks

Produced by \`npm run bench\` (\`node bin/run-ts.mjs bench/run.ts [startup|throughput]\`), which rewrites the
blocks between \`<!-- bench:… -->\` markers and leaves everything else in this file alone.

The benchmark machine is small (2 cores) and shared with other work, so absolute figures move from run to
run: compare each figure with the baseline measured in the same run, and look at the "other processes"
CPU line to see how noisy the run was.
`;

const FOUNDATION_START = '<!-- bench:foundation:start -->';
const FOUNDATION_END = '<!-- bench:foundation:end -->';

const BLOCKS = ['startup', 'throughput'] as const;
type Block = (typeof BLOCKS)[number];

const blockStart = (b: Block) => `<!-- bench:foundation:${b}:start -->`;
const blockEnd = (b: Block) => `<!-- bench:foundation:${b}:end -->`;

function between(text: string, start: string, end: string): string | null {
  const i = text.indexOf(start);
  const j = text.indexOf(end, i + start.length);
  return i >= 0 && j >= 0 ? text.slice(i + start.length, j).trim() : null;
}

function foundationSection(previous: string, fresh: Partial<Record<Block, string>>): string {
  const body = (b: Block) =>
    fresh[b] ?? between(previous, blockStart(b), blockEnd(b)) ?? `_${b}: not run yet._`;
  return [
    FOUNDATION_START,
    '## Foundation',
    '',
    'The product as it starts: embedded PostgreSQL, migrations, the Fastify app with auth, workspaces, API keys and the audit log.',
    '',
    ...BLOCKS.flatMap((b) => [blockStart(b), body(b), blockEnd(b), '']),
    FOUNDATION_END,
  ].join('\n');
}

export function updateResults(fresh: Partial<Record<Block, string>>, file = RESULTS): void {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const i = current.indexOf(FOUNDATION_START);
  const j = current.indexOf(FOUNDATION_END, i);
  let next: string;
  if (i >= 0 && j >= 0) {
    next =
      current.slice(0, i) +
      foundationSection(current.slice(i, j), fresh) +
      current.slice(j + FOUNDATION_END.length);
  } else {
    const base = current.trim() ? current.trimEnd() : HEADER.trimEnd();
    next = `${base}\n\n${foundationSection('', fresh)}\n`;
  }
  writeFileSync(file, next);
}

installSignalCleanup();
const which = process.argv[2];
if (which !== undefined && !BLOCKS.includes(which as Block)) {
  process.stderr.write(`usage: node bin/run-ts.mjs bench/run.ts [${BLOCKS.join('|')}]\n`);
  process.exit(2);
}
const selected: Block[] = which ? [which as Block] : [...BLOCKS];
const fresh: Partial<Record<Block, string>> = {};
let failed = false;

for (const block of selected) {
  if (abortCleanup) break;
  const started = performance.now();
  process.stderr.write(`[bench] ${block}…\n`);
  try {
    fresh[block] =
      block === 'startup'
        ? renderStartup(await runStartup())
        : renderThroughput(await runThroughput(optionsFromEnv()));
    process.stderr.write(`[bench] ${block} done in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  } catch (error) {
    failed = true;
    process.stderr.write(
      `[bench] ${block} FAILED (its block in RESULTS.md is left as it was):\n${error instanceof Error ? error.stack : String(error)}\n`,
    );
  }
}

if (Object.keys(fresh).length > 0 && !abortCleanup) {
  updateResults(fresh);
  process.stdout.write(
    `${Object.values(fresh).join('\n\n')}\n\nWritten to ${path.relative(process.cwd(), RESULTS)}\n`,
  );
}
await exitAfterCleanup(failed ? 1 : 0);
