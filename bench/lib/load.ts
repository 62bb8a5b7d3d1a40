/**
 * Load generator, run as its own process so autocannon shares no event loop with anything:
 *   node bin/run-ts.mjs bench/lib/load.ts '<LoadSpec JSON>'
 * Prints `@@bench {"phase":"measure-start"}` when the warm-up is over and
 * `@@bench {"phase":"result","result":{…}}` at the end.
 */
import autocannon from 'autocannon';
import type { LoadSpec, LoadSummary } from './load-types.ts';

function emit(message: unknown): void {
  process.stdout.write(`@@bench ${JSON.stringify(message)}\n`);
}

function summarize(result: autocannon.Result): LoadSummary {
  return {
    durationS: result.duration,
    reqPerSecAvg: result.requests.average,
    reqPerSecStddev: result.requests.stddev,
    total: result.latency.totalCount ?? result.requests.total,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(
      Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]),
    ),
    latencyMs: {
      average: result.latency.average,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p97_5: result.latency.p97_5,
      p99: result.latency.p99,
      p99_9: result.latency.p99_9,
      max: result.latency.max,
    },
    bytesPerSecAvg: result.throughput.average,
  };
}

const spec = JSON.parse(process.argv[2] ?? '') as LoadSpec;
const options: autocannon.Options = {
  url: spec.url,
  connections: spec.connections,
  pipelining: 1,
  timeout: 10,
  headers: spec.headers,
};

if (spec.warmupSeconds > 0) await autocannon({ ...options, duration: spec.warmupSeconds });
emit({ phase: 'measure-start' });
const result = await autocannon({ ...options, duration: spec.durationSeconds });
emit({ phase: 'result', result: summarize(result) });
