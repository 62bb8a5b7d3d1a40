import { describe, expect, it } from 'vitest';
import { newApiKey, newUser, newWorkspace, setupTestApp, withKey } from '../../../test/support/app.ts';

const t = setupTestApp({ BODY_LIMIT_BYTES: '4096' });

describe('API conventions', () => {
  it('answers an unknown route with 404 in the error envelope', async () => {
    const response = await t.inject({ method: 'GET', url: '/api/v1/no-such-thing' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'No route GET /api/v1/no-such-thing', details: [] },
    });
  });

  it('reports every bad field at once with its JSON path', async () => {
    const owner = await newUser(t);
    const workspace = await newWorkspace(t, owner);
    const call = withKey(t, await newApiKey(t, workspace.id));
    const response = await call('POST', '/api/v1/api-keys', {
      role: 'boss',
      expires_at: 'tomorrow',
      extra: 1,
    });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.error.code).toBe('VALIDATION_FAILED');
    const paths = body.error.details.map((d: { path: string }) => d.path).sort();
    expect(paths).toEqual(['/expires_at', '/extra', '/name', '/role']);
    expect(body.error.details.find((d: { path: string }) => d.path === '/role').message).toMatch(
      /one of viewer/,
    );
  });

  it('rejects malformed JSON and oversized bodies with clear codes', async () => {
    const workspace = await newWorkspace(t);
    const key = await newApiKey(t, workspace.id);
    const malformed = await t.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: '{"name": "x",',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error.code).toBe('VALIDATION_FAILED');
    const huge = await t.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(10_000), role: 'viewer' }),
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('validates query strings and path ids', async () => {
    const workspace = await newWorkspace(t);
    const call = withKey(t, await newApiKey(t, workspace.id));
    const badLimit = await call('GET', '/api/v1/api-keys?limit=5000');
    expect(badLimit.statusCode).toBe(400);
    expect(badLimit.json().error.details[0].path).toBe('/query/limit');
    const badId = await call('DELETE', '/api/v1/api-keys/not-a-uuid');
    expect(badId.statusCode).toBe(400);
    expect(badId.json().error.details[0].path).toBe('/params/id');
    const badCursor = await call('GET', '/api/v1/audit-log?cursor=garbage');
    expect(badCursor.statusCode).toBe(400);
    expect(badCursor.json().error.details[0].path).toBe('/cursor');
  });

  it('gives every response a request id, and echoes a sane incoming one', async () => {
    const generated = await t.inject({ method: 'GET', url: '/healthz' });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await t.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'trace-12345678' },
    });
    expect(echoed.headers['x-request-id']).toBe('trace-12345678');
  });

  it('serves the OpenAPI 3.1 document with every /api/v1 route declaring its least role', async () => {
    const response = await t.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(response.statusCode).toBe(200);
    const doc = response.json();
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(
      doc.paths as Record<string, Record<string, Record<string, unknown>>>,
    ).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
    expect(operations.length).toBeGreaterThan(10);
    for (const { path, op } of operations.filter((o) => o.path.startsWith('/api/v1'))) {
      expect(op['x-min-role'], path).toBeDefined();
    }
    const docs = await t.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });
});

describe('health and metrics', () => {
  it('/healthz is ok once ready and the database answers', async () => {
    const response = await t.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('/metrics exposes HTTP latency, queue depth and pool gauges in Prometheus format', async () => {
    await t.inject({ method: 'GET', url: '/healthz' });
    const response = await t.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.body).toContain('clientela_http_request_duration_seconds_bucket{');
    expect(response.body).toContain('route="/healthz"');
    expect(response.body).toContain('clientela_db_pool_connections{state="total"}');
    expect(response.body).toContain('# TYPE clientela_job_queue_depth gauge');
  });
});
