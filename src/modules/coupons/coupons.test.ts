import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newApiKey, runDueJobs, setupTestApp, withKey } from '../../../test/support/app.ts';
import { insertClients, segmentWorld } from '../segments/segment-test-helpers.ts';
import { createTemplate } from '../templates/templates.service.ts';
import { CODE_ALPHABET, CODE_RANDOM_BITS, generateCodes } from './coupons.codes.ts';
import type { CouponJson } from './coupons.service.ts';

type RedeemAnswer = {
  error: { code: string; reason?: string };
  replayed: boolean;
  redemption: { id: string; order_reference: string };
};

const t = setupTestApp();
let baseUrl = '';

beforeAll(async () => {
  baseUrl = await t.app.http.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await t.app.http.close();
});

const work = () => runDueJobs(t);

async function world() {
  const w = await segmentWorld(t);
  const ids = await insertClients(w.db, w.workspaceId, [
    { first_name: 'Ana', email: 'ana@example.com', locale: 'es', tags: ['vip'], consent: { email: true } },
    { first_name: 'Bruno', email: 'bruno@example.com', tags: ['vip'], consent: { email: true } },
    { first_name: 'Chloé', email: 'chloe@example.com' },
  ]);
  const issue = async (body: Record<string, unknown>) => {
    const r = await w.call('POST', '/api/v1/bulk/coupons', body);
    expect(r.statusCode, r.body).toBe(200);
    return r.json();
  };
  const couponsOf = async (batchId: string) =>
    (await w.call('GET', `/api/v1/coupons?batch_id=${batchId}`)).json().coupons as CouponJson[];
  return { ...w, ids, issue, couponsOf };
}

describe('coupon codes', () => {
  it('are readable (no 0/O, 1/I/L), carry at least 40 random bits, and do not repeat', () => {
    expect(CODE_ALPHABET).not.toMatch(/[0O1IL]/);
    expect(CODE_RANDOM_BITS).toBeGreaterThanOrEqual(40);
    const codes = generateCodes(20_000, 'VIP');
    for (const code of codes.slice(0, 200))
      expect(code).toMatch(/^VIP-[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$/);
    expect(new Set(codes).size).toBe(codes.length);
    // Every symbol is drawn about equally often (rejection sampling, no modulo bias).
    const counts = new Map<string, number>();
    for (const c of codes)
      for (const ch of c.slice(4).replace('-', '')) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    const expected = (codes.length * 10) / CODE_ALPHABET.length;
    for (const n of counts.values()) expect(Math.abs(n - expected) / expected).toBeLessThan(0.1);
  });
});

describe('personal coupons', () => {
  it('issues one coupon per selected client, with the terms, listed and checked by code', async () => {
    const w = await world();
    const action = await w.issue({
      selection: { query: { tag: 'vip' } },
      discount_type: 'percentage',
      discount_value: 15,
      valid_days: 30,
      reason: 'VIP spring',
      prefix: 'vip',
    });
    expect(action).toMatchObject({ status: 'completed', total: 2, done: 2 });
    const coupons = await w.couponsOf(action.result.batch_id);
    expect(coupons.map((c) => c.client_name).sort()).toEqual(['Ana', 'Bruno']);
    for (const c of coupons) {
      expect(c.code).toMatch(/^VIP-\w{5}-\w{5}$/);
      expect(c).toMatchObject({
        status: 'active',
        value: '15%',
        uses_left: 1,
        usage_limit: 1,
        reason: 'VIP spring',
      });
    }
    // Again on the same selection: a new batch, new codes; no code is shared.
    const second = await w.issue({
      selection: { query: { tag: 'vip' } },
      discount_type: 'fixed',
      discount_value: 10,
      currency: 'eur',
      valid_until: '2099-12-31',
    });
    const fixed = await w.couponsOf(second.result.batch_id);
    expect(fixed.find((c) => c.client_name === 'Ana')).toMatchObject({
      value: '10,00\u00a0€',
      currency: 'EUR',
    });
    expect(fixed.find((c) => c.client_name === 'Bruno')!.value).toBe('€10.00');
    expect(new Set([...coupons, ...fixed].map((c) => c.code)).size).toBe(4);

    const looked = await w.call('GET', `/api/v1/coupons/${coupons[0]!.code.toLowerCase()}`);
    expect(looked.statusCode).toBe(200);
    expect(looked.json()).toMatchObject({ valid: true, code: coupons[0]!.code, uses_left: 1 });
    expect((await w.call('GET', '/api/v1/coupons/VIP-XXXXX-XXXXX')).statusCode).toBe(404);
    // Another workspace does not find it.
    const other = await segmentWorld(t);
    expect((await other.call('GET', `/api/v1/coupons/${coupons[0]!.code}`)).statusCode).toBe(404);
    expect(
      (await other.call('POST', `/api/v1/coupons/${coupons[0]!.code}/redeem`, { order_reference: 'x' }))
        .statusCode,
    ).toBe(404);
  });

  it('refuses bad terms with the field named', async () => {
    const w = await world();
    const bad = await w.call('POST', '/api/v1/bulk/coupons', {
      selection: { client_ids: w.ids },
      discount_type: 'percentage',
      discount_value: 120,
      valid_days: 10,
      valid_until: '2099-01-01',
      prefix: 'no spaces',
    });
    expect(bad.statusCode).toBe(400);
    const paths = bad.json().error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['/discount_value', '/valid_days', '/prefix']));
    const noCurrency = await w.call('POST', '/api/v1/bulk/coupons', {
      selection: { client_ids: w.ids },
      discount_type: 'fixed',
      discount_value: 5,
      valid_days: 10,
    });
    expect(noCurrency.json().error.details[0].path).toBe('/currency');
    expect((await w.call('GET', '/api/v1/coupons/batches')).json().batches).toEqual([]);
  });

  it('redeems a single-use coupon exactly once under 100 concurrent requests, idempotently per order', async () => {
    const w = await world();
    const action = await w.issue({
      selection: { client_ids: [w.ids[0]] },
      discount_type: 'percentage',
      discount_value: 20,
      valid_days: 7,
    });
    const [coupon] = await w.couponsOf(action.result.batch_id);
    const key = await newApiKey(t, w.workspaceId, 'agent');
    const redeem = (reference: string, amount?: number) =>
      fetch(`${baseUrl}/api/v1/coupons/${coupon!.code}/redeem`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ order_reference: reference, ...(amount !== undefined ? { amount } : {}) }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as RedeemAnswer }));
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => redeem(`order-${i}`, 50)));
    const ok = answers.filter((a) => a.status === 200);
    expect(ok.length).toBe(1);
    const refused = answers.filter((a) => a.status === 422);
    expect(refused.length).toBe(99);
    expect(refused[0]!.body.error).toMatchObject({ code: 'NOT_ALLOWED_NOW', reason: 'used_up' });
    const winner = ok[0]!.body.redemption.order_reference;
    // The same order again (a retry after a timeout): the first redemption, nothing used.
    const replay = await redeem(winner, 50);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ replayed: true, redemption: { id: ok[0]!.body.redemption.id } });
    const uses = await w.db.execute<{ uses: number; n: number }>(sql`
      select k.uses, (select count(*)::int from coupon_redemptions r where r.coupon_id = k.id) as n
      from coupons k where k.code = ${coupon!.code} and k.workspace_id = ${w.workspaceId}`);
    expect(uses.rows[0]).toEqual({ uses: 1, n: 1 });
    expect((await w.call('GET', `/api/v1/coupons/${coupon!.code}`)).json()).toMatchObject({
      status: 'redeemed',
      valid: false,
      uses_left: 0,
    });

    // 100 concurrent retries of one order on a fresh coupon: one redemption, all answered 200.
    const fresh = await w.issue({
      selection: { client_ids: [w.ids[1]] },
      discount_type: 'percentage',
      discount_value: 5,
      valid_days: 7,
    });
    const [second] = await w.couponsOf(fresh.result.batch_id);
    const same = await Promise.all(
      Array.from({ length: 100 }, () =>
        fetch(`${baseUrl}/api/v1/coupons/${second!.code}/redeem`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ order_reference: 'web-77' }),
        }).then((r) => r.status),
      ),
    );
    expect(same.every((s) => s === 200)).toBe(true);
    const count = await w.db.execute<{ n: number }>(sql`
      select count(*)::int as n from coupon_redemptions r join coupons k on k.id = r.coupon_id where k.code = ${second!.code}`);
    expect(count.rows[0]!.n).toBe(1);
  });

  it('refuses expired and revoked coupons with the reason, revokes a batch, and keeps stats per batch', async () => {
    const w = await world();
    const action = await w.issue({
      selection: { client_ids: w.ids },
      discount_type: 'fixed',
      discount_value: 10,
      currency: 'EUR',
      valid_days: 30,
      usage_limit: 2,
    });
    const batchId = action.result.batch_id;
    const [a, b, c] = await w.couponsOf(batchId);
    const redeem = (code: string, order: string, amount?: number) =>
      w.call('POST', `/api/v1/coupons/${code}/redeem`, { order_reference: order, amount });
    expect((await redeem(a!.code, 'o-1', 80)).statusCode).toBe(200);
    expect((await redeem(a!.code, 'o-2', 40.5)).statusCode).toBe(200);
    const third = await redeem(a!.code, 'o-3', 10);
    expect(third.statusCode).toBe(422);
    expect(third.json().error.reason).toBe('used_up');

    const revoked = await w.call('POST', `/api/v1/coupons/${b!.code}/revoke`, { reason: 'sent by mistake' });
    expect(revoked.json()).toMatchObject({ status: 'revoked', revoked_reason: 'sent by mistake' });
    const refused = await redeem(b!.code, 'o-4');
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.reason).toBe('revoked');

    await w.db.execute(
      sql`update coupon_batches set expires_at = now() - interval '1 day' where id = ${batchId}`,
    );
    const expired = await redeem(c!.code, 'o-5');
    expect(expired.json().error.reason).toBe('expired');
    expect(
      (await w.call('GET', `/api/v1/coupons?batch_id=${batchId}&status=expired`)).json().coupons,
    ).toHaveLength(1);
    expect(
      (await w.call('GET', `/api/v1/coupons?status=revoked&client_id=${b!.client_id}`)).json().coupons,
    ).toHaveLength(1);
    expect(
      (await w.call('GET', `/api/v1/coupons?status=redeemed`))
        .json()
        .coupons.map((x: { code: string }) => x.code),
    ).toEqual([a!.code]);

    const [stats] = (await w.call('GET', '/api/v1/coupons/batches')).json().batches;
    expect(stats).toMatchObject({
      id: batchId,
      issued: 3,
      redeemed: 1,
      revoked: 1,
      redemptions: 2,
      revenue: 120.5,
    });
    expect(stats.redemption_rate).toBeCloseTo(1 / 3, 3);

    const all = await w.call('POST', `/api/v1/coupons/batches/${batchId}/revoke`, {});
    expect(all.json()).toEqual({ batch_id: batchId, revoked: 2 });
    const viewer = withKey(t, await newApiKey(t, w.workspaceId, 'viewer'));
    expect(
      (await viewer('POST', `/api/v1/coupons/${a!.code}/redeem`, { order_reference: 'v' })).statusCode,
    ).toBe(403);
    expect((await viewer('GET', `/api/v1/coupons/${a!.code}`)).statusCode).toBe(200);
  });

  it('puts issue and redemption on the client timeline', async () => {
    const w = await world();
    const action = await w.issue({
      selection: { client_ids: [w.ids[0]] },
      discount_type: 'percentage',
      discount_value: 10,
      valid_days: 5,
    });
    const [coupon] = await w.couponsOf(action.result.batch_id);
    await w.call('POST', `/api/v1/coupons/${coupon!.code}/redeem`, { order_reference: 'shop-1', amount: 30 });
    const timeline = (await w.call('GET', `/api/v1/clients/${w.ids[0]}/timeline?types=coupon`)).json();
    const items = timeline.items.filter((i: { kind: string }) => i.kind === 'coupon');
    expect(items.map((i: { type: string }) => i.type)).toEqual(['redeemed', 'issued']);
    expect(items[0].data).toMatchObject({ code: coupon!.code, order_reference: 'shop-1', amount: 30 });
  });

  it('tells each client their own code through a campaign whose template reads coupon.*', async () => {
    const w = await world();
    const template = await createTemplate(w.db, w.ctx, {
      name: 'Your coupon',
      channel: 'email',
      subject: 'Your {{ coupon.value }} off',
      body: '<p>Code {{ coupon.code }}, valid until {{ coupon.expires_at }}</p>',
    });
    const action = await w.issue({
      selection: { query: { tag: 'vip' } },
      discount_type: 'percentage',
      discount_value: 25,
      valid_until: '2099-06-30',
      notify: { channel: 'email', template_id: template.id },
    });
    expect(action.result.campaign_id).toBeTruthy();
    await work();
    const coupons = await w.couponsOf(action.result.batch_id);
    const outbox = (
      await w.call('GET', `/api/v1/outbox?campaign_id=${action.result.campaign_id}&limit=10`)
    ).json().messages as Array<{ subject: string; html: string; client_id?: string }>;
    expect(outbox.map((m) => m.subject)).toEqual(['Your 25% off', 'Your 25% off']);
    for (const c of coupons) {
      const mine = outbox.filter((m) => m.html.includes(c.code));
      expect(mine).toHaveLength(1);
      expect(mine[0]!.html).toContain('valid until 2099-06-30');
    }
    const [batch] = (await w.call('GET', '/api/v1/coupons/batches')).json().batches;
    expect(batch.campaign_id).toBe(action.result.campaign_id);
  });
});
