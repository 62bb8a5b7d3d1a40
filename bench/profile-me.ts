/**
 * Where does a GET /api/v1/me request spend its time? A diagnostic, not part of `npm run bench`:
 *   node bin/run-ts.mjs bench/profile-me.ts
 *
 * Starts the product with `node --cpu-prof` (LOG_LEVEL=warn), makes a viewer key with the CLI, puts
 * the usual load on /me (100 connections, 3 s warm-up, BENCH_DURATION s measured, default 10),
 * asks PostgreSQL for EXPLAIN ANALYZE of the key lookup, stops the server (which writes the V8 CPU
 * profile) and prints the self time of the profile grouped by package / source file, plus the top
 * functions.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { runLoad } from './api-throughput.ts';
import {
  cli,
  fmtMs,
  freePort,
  installSignalCleanup,
  makeTempDir,
  postgresPids,
  ROOT,
  Scope,
  startProduct,
  stopProduct,
  waitForOk,
} from './lib/proc.ts';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function bucketOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  const clean = url.replace(/^file:\/\//, '').replace(/\?.*$/, '');
  const nm = clean.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = clean.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? clean);
  }
  if (clean.startsWith('node:')) return `node core (${clean.slice(5).split('/')[0]})`;
  if (clean.startsWith(ROOT)) return path.relative(ROOT, clean);
  return clean;
}

/** Self time per node, counting only samples taken between `fromEndUs[0]` and `fromEndUs[1]` µs before the profile's end. */
function summarizeProfile(file: string, fromEndUs: [number, number], top = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const windowStart = profile.endTime - fromEndUs[0];
  const windowEnd = profile.endTime - fromEndUs[1];
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at >= windowStart && at <= windowEnd) selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const buckets = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { url, functionName, lineNumber } = node.callFrame;
    const bucket = bucketOf(url, functionName);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${bucket}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  const rows = (map: Map<string, number>) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `  ${pct(us)}  ${k}`);
  return [
    `profile ${path.basename(file)}: ${(total / 1e6).toFixed(1)} s of samples in the measured window (idle included)`,
    'self time by package / file:',
    ...rows(buckets),
    'top functions (self time):',
    ...rows(functions),
  ].join('\n');
}

installSignalCleanup();
const scope = new Scope();
try {
  const dataDir = await makeTempDir(scope, 'clientela-bench-profile-');
  const profileDir = await makeTempDir(scope, 'clientela-bench-cpuprof-');
  const port = await freePort();
  const product = startProduct(scope, dataDir, port, { LOG_LEVEL: 'warn' }, [
    '--cpu-prof',
    '--cpu-prof-dir',
    profileDir,
    '--cpu-prof-interval',
    '200',
  ]);
  await waitForOk(product.proc, port, '/healthz', { timeoutMs: 180_000 });
  const workspace = await cli<{ id: string }>(scope, dataDir, ['workspace', 'create', '--name', 'Profile']);
  const key = await cli<{ key: string }>(scope, dataDir, [
    'api-key',
    'create',
    '--workspace',
    workspace.id,
    '--role',
    'viewer',
    '--name',
    'profile',
  ]);

  const duration = Number(process.env.BENCH_DURATION) || 10;
  const run = await runLoad(
    scope,
    'clientela (profiled)',
    {
      url: `http://127.0.0.1:${port}/api/v1/me`,
      headers: { authorization: `Bearer ${key.key}` },
      connections: 100,
      warmupSeconds: 3,
      durationSeconds: duration,
    },
    () => ({
      'clientela server (node)': [product.proc.pid],
      'PostgreSQL (all processes)': postgresPids(dataDir),
    }),
  );
  const loadEndedAt = performance.now();
  const l = run.load;
  process.stdout.write(
    `load (under --cpu-prof): ${l.reqPerSecAvg.toFixed(0)} req/s, p50 ${l.latencyMs.p50} ms, p99 ${l.latencyMs.p99} ms; CPU ${Object.entries(
      run.cpuPercent,
    )
      .map(([k, v]) => `${k} ${v.toFixed(0)}%`)
      .join(', ')}\n`,
  );
  if (l.reqPerSecAvg > 0) {
    const perReq = (key: string) => ((run.cpuPercent[key] ?? 0) / 100 / l.reqPerSecAvg) * 1000;
    process.stdout.write(
      `CPU per request: server ${perReq('clientela server (node)').toFixed(3)} ms, PostgreSQL ${perReq('PostgreSQL (all processes)').toFixed(3)} ms\n`,
    );
  }

  // The hot query, as drizzle sends it (api-keys.repo.ts findActiveKeyByHash), planned and run by PostgreSQL.
  const lines = readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n');
  const secrets = JSON.parse(readFileSync(path.join(dataDir, 'secrets.json'), 'utf8')) as {
    pgPassword: string;
  };
  const client = new pg.Client({
    connectionString: `postgres://clientela:${encodeURIComponent(secrets.pgPassword)}@127.0.0.1:${lines[3]}/clientela`,
  });
  await client.connect();
  try {
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update(key.key).digest('hex');
    const explain = await client.query(
      `explain (analyze, buffers) select "api_keys"."id", "api_keys"."name", "api_keys"."role", "api_keys"."prefix", "api_keys"."workspace_id", "workspaces"."name", "api_keys"."last_used_at" from "api_keys" inner join "workspaces" on "workspaces"."id" = "api_keys"."workspace_id" where ("api_keys"."key_hash" = $1 and "api_keys"."revoked_at" is null and ("api_keys"."expires_at" is null or "api_keys"."expires_at" > now()))`,
      [hash],
    );
    process.stdout.write(
      `EXPLAIN ANALYZE of the key lookup:\n${explain.rows.map((r) => `  ${r['QUERY PLAN']}`).join('\n')}\n`,
    );
    const settings = await client.query(
      "select name, setting from pg_settings where name in ('max_connections','shared_buffers','synchronous_commit','fsync')",
    );
    process.stdout.write(`settings: ${settings.rows.map((r) => `${r.name}=${r.setting}`).join(', ')}\n`);
    const activity = await client.query(
      "select application_name, state, count(*)::int as n from pg_stat_activity where datname = 'clientela' group by 1, 2 order by 1, 2",
    );
    process.stdout.write(
      `connections: ${activity.rows.map((r) => `${r.application_name}/${r.state}: ${r.n}`).join(', ')}\n`,
    );
  } catch (error) {
    process.stdout.write(`EXPLAIN failed (schema changed?): ${String(error)}\n`);
  } finally {
    await client.end();
  }

  const stopStartedAt = performance.now();
  const stop = await stopProduct(product);
  const exitedAt = stopStartedAt + stop.ms;
  const fromEnd: [number, number] = [
    (exitedAt - (loadEndedAt - run.windowSeconds * 1000)) * 1000,
    (exitedAt - loadEndedAt) * 1000,
  ];
  process.stdout.write(`server stopped in ${fmtMs(stop.ms)} (exit ${stop.exit.code ?? stop.exit.signal})\n`);
  const profiles = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
  if (profiles.length === 0) process.stdout.write('no CPU profile was written\n');
  for (const file of profiles)
    process.stdout.write(`${summarizeProfile(path.join(profileDir, file), fromEnd)}\n`);
} finally {
  await scope.close();
}
