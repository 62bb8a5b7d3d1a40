import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabaseForTest } from '../../../test/support/db.ts';
import { type Clientela, createClientela } from '../../app.ts';
import { loadConfig } from '../../config.ts';

describe('/healthz before start-up finishes', () => {
  let app: Clientela;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const database = await createDatabaseForTest();
    drop = database.drop;
    app = await createClientela({
      config: loadConfig({ METRICS_TOKEN: 'scrape-secret' }),
      databaseUrl: database.url,
      secretKey: randomBytes(32).toString('hex'),
      logger: false,
      webDist: null,
    });
  });
  afterAll(async () => {
    await app.close();
    await drop();
  });

  it('answers 503 until migrations ran, then 200', async () => {
    expect((await app.http.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(503);
    app.markReady();
    expect((await app.http.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('protects /metrics with METRICS_TOKEN when set', async () => {
    expect((await app.http.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const ok = await app.http.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: 'Bearer scrape-secret' },
    });
    expect(ok.statusCode).toBe(200);
  });
});
