import v8 from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived the last full collection before it
 * collects again, for the long-running server and worker processes: 50 % (V8's default on a
 * machine with more than 2 GB of heap limit is up to 300 %).
 *
 * A campaign send allocates fast (rendered messages, MIME bytes, ledger rows) but holds little:
 * with `--trace-gc` at 20,000 recipients, about 70 MB was live after every full collection while
 * the heap grew to 255 MB of garbage between them, and the process's peak RSS was 496 MiB, against
 * the issue's 400 MB. At 50 % the same run peaked at 273 MiB with the same throughput (a full
 * collection of this heap takes 10–20 ms; bench/campaigns-send.ts, bench/RESULTS.md).
 *
 * A flag given on the command line or in NODE_OPTIONS wins.
 */
export const HEAP_GROWING_PERCENT = 50;

const HEAP_FLAGS = /--(heap-growing-percent|heap_growing_percent|max-old-space-size|max_old_space_size)\b/;

export function boundHeapGrowth(): void {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) => HEAP_FLAGS.test(arg));
  if (!given) v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
