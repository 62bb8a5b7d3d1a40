/**
 * The baseline for the throughput benchmark: a bare Fastify 5 (no plugins, no hooks, no logger,
 * no database) answering GET /api/v1/me with a fixed JSON body taken from a real /me response.
 *   PORT=… BENCH_BODY='{…}' node bin/run-ts.mjs bench/lib/bare-fastify.ts
 */
import fastify from 'fastify';

const body = JSON.parse(process.env.BENCH_BODY ?? '{}') as Record<string, unknown>;
const app = fastify({ logger: false });
app.get('/api/v1/me', async () => body);
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });

const stop = () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
