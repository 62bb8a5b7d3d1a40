import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAiPeer, startOpenAiPeer } from '../../../test/peers/openai.ts';
import { newApiKey, newWorkspace, setupTestApp, withKey } from '../../../test/support/app.ts';

// The app's env is read when its beforeAll runs: the peer starts first (hooks run in order).
const env: Record<string, string> = { AI_TIMEOUT_MS: '1500' };
let peer: OpenAiPeer;
const API_KEY = 'sk-test-workspace-key-1234567890';
beforeAll(async () => {
  peer = await startOpenAiPeer({ apiKey: API_KEY });
});
afterAll(async () => {
  await peer?.close();
});
const t = setupTestApp(env);

type Api = ReturnType<typeof withKey>;

async function workspace(configured = true) {
  const ws = await newWorkspace(t);
  const key = await newApiKey(t, ws.id, 'owner');
  const api = withKey(t, key);
  if (configured) {
    const set = await api('PATCH', '/api/v1/ai/settings', {
      base_url: peer.url,
      model: 'fake-model',
      api_key: API_KEY,
    });
    expect(set.statusCode, set.body).toBe(200);
  }
  return { ws, api, key };
}

function stream(key: string, url: string, payload: Record<string, unknown>) {
  return t.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' },
    payload,
  });
}

async function client(api: Api, fields: Record<string, unknown>) {
  const response = await api('POST', '/api/v1/clients', fields);
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id as string;
}

/** Reads an SSE answer (inject gives the whole body) into its events. */
function events(body: string): Array<{ event: string; data: Record<string, unknown> }> {
  return body
    .split('\n\n')
    .filter(Boolean)
    .map((block) => ({
      event: /^event: (.*)$/m.exec(block)?.[1] ?? '',
      data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null'),
    }));
}

const compose = (api: Api, body: Record<string, unknown> = {}) =>
  api('POST', '/api/v1/ai/compose', {
    channel: 'email',
    objective: 'Bring back clients who have not booked in 3 months',
    tone: 'friendly',
    language: 'es',
    variants: 2,
    ...body,
  });

describe('AI assistant: not configured', () => {
  it('answers 409 AI_NOT_CONFIGURED and says so in the settings', async () => {
    const { api } = await workspace(false);
    const settings = await api('GET', '/api/v1/ai/settings');
    expect(settings.json()).toMatchObject({ configured: false, source: null, api_key: null });
    const composed = await compose(api);
    expect(composed.statusCode).toBe(409);
    expect(composed.json().error.code).toBe('AI_NOT_CONFIGURED');
    const rewritten = await api('POST', '/api/v1/ai/rewrite', {
      operation: 'improve',
      channel: 'sms',
      body: 'Hola',
    });
    expect(rewritten.statusCode).toBe(409);
    expect(rewritten.json().error.code).toBe('AI_NOT_CONFIGURED');
    // Asked for a stream, a refusal before the model is called is still a plain JSON error.
    const { key } = await workspace(false);
    const streamed = await stream(key, '/api/v1/ai/compose', {
      channel: 'sms',
      objective: 'x',
      language: 'en',
    });
    expect(streamed.statusCode).toBe(409);
    expect(streamed.json().error.code).toBe('AI_NOT_CONFIGURED');
  });
});

describe('AI settings', () => {
  it('seals the key, masks it, audits the change without it, and checks the fields', async () => {
    const { ws, api } = await workspace();
    const settings = (await api('GET', '/api/v1/ai/settings')).json();
    expect(settings).toMatchObject({
      configured: true,
      source: 'workspace',
      base_url: peer.url,
      model: 'fake-model',
      api_key: '••••••••',
      share_client_details: false,
    });
    expect(JSON.stringify(settings)).not.toContain(API_KEY);
    const stored = await t.app.dbHandle.db.execute(
      sql`select * from ai_settings where workspace_id = ${ws.id}`,
    );
    expect(JSON.stringify(stored.rows)).not.toContain(API_KEY);

    // Sending the mask back keeps the key; the other fields change and are audited.
    const patched = await api('PATCH', '/api/v1/ai/settings', {
      api_key: '••••••••',
      forbidden_claims: [' cures ', 'guaranteed results', 'Cures'],
      share_client_details: true,
      monthly_token_budget: 5000,
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      forbidden_claims: ['cures', 'guaranteed results'],
      api_key: '••••••••',
    });
    await api('PATCH', '/api/v1/ai/settings', { api_key: 'sk-another-one' });
    const audit = (await api('GET', '/api/v1/audit-log?entity_type=ai_settings')).json();
    const entries = (audit.entries ?? audit.items ?? audit.events ?? []) as Array<{
      action: string;
      changes: unknown;
    }>;
    const ai = entries.filter((e) => e.action === 'ai.settings_updated');
    expect(ai.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(ai)).not.toContain(API_KEY);
    expect(JSON.stringify(ai)).not.toContain('sk-another-one');
    expect(JSON.stringify(ai)).toContain('guaranteed results');
    expect(ai.some((e) => JSON.stringify(e.changes).includes('"api_key"'))).toBe(true);

    const bad = await api('PATCH', '/api/v1/ai/settings', { base_url: 'ftp://x', model: null });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .error.details.map((d: { path: string }) => d.path)
        .sort(),
    ).toEqual(['/base_url', '/model']);
    const blankClaim = await api('PATCH', '/api/v1/ai/settings', { forbidden_claims: ['ok', '  '] });
    expect(blankClaim.json().error.details).toEqual([
      { path: '/forbidden_claims/1', message: 'must not be empty' },
    ]);
  });

  it('lets a marketer read but not change them, and hides them from viewers', async () => {
    const { ws } = await workspace();
    const marketer = withKey(t, await newApiKey(t, ws.id, 'marketer'));
    const viewer = withKey(t, await newApiKey(t, ws.id, 'viewer'));
    expect((await marketer('GET', '/api/v1/ai/settings')).statusCode).toBe(200);
    expect((await marketer('PATCH', '/api/v1/ai/settings', { model: 'x' })).statusCode).toBe(403);
    expect((await viewer('GET', '/api/v1/ai/settings')).statusCode).toBe(403);
    expect((await compose(viewer)).statusCode).toBe(403);
  });
});

describe('AI compose', () => {
  it('writes checked variants with the workspace key and sends only aggregated audience facts', async () => {
    const { api } = await workspace();
    for (let i = 0; i < 6; i++)
      await client(api, {
        first_name: `Secretname${i}`,
        last_name: 'Zuloaga',
        email: `hidden${i}@example.com`,
        phone: `+3460011122${i}`,
        city: i < 5 ? 'Sevilla' : 'Cádiz',
        locale: 'es',
      });
    const segment = await api('POST', '/api/v1/segments', {
      name: 'Everyone',
      definition: { all: [] },
    });
    expect(segment.statusCode, segment.body).toBe(201);
    const before = peer.requests.length;
    const response = await compose(api, { audience: { segment_id: segment.json().id } });
    expect(response.statusCode, response.body).toBe(200);
    const result = response.json();
    expect(result.variants).toHaveLength(2);
    for (const variant of result.variants) {
      expect(variant).toMatchObject({ valid: true, problems: [], claims: [] });
      expect(variant.subject).toContain('{{ client.first_name }}');
    }
    expect(result.sent_to_model.audience).toMatchObject({
      count: 6,
      top_cities: [{ city: 'Sevilla', clients: 5 }],
      languages: [{ language: 'es', clients: 6 }],
    });
    expect(result.sent_to_model.clients).toBeNull();
    expect(result.usage.prompt_tokens).toBeGreaterThan(0);

    const sent = peer.requests[before]!;
    expect(sent.authorization).toBe(`Bearer ${API_KEY}`);
    expect(sent.body.model).toBe('fake-model');
    expect(sent.text).toContain('"count":6');
    expect(sent.text).toContain('Spanish');
    // Nothing that names a person leaves the machine; a city of one client is left out too.
    expect(sent.text).not.toMatch(/Secretname|Zuloaga|hidden\d@|\+3460011122|Cádiz/);
  });

  it('streams the answer as server-sent events: start, deltas, result', async () => {
    const { key } = await workspace();
    const response = await stream(key, '/api/v1/ai/compose', {
      channel: 'sms',
      objective: 'Remind of the spring offer',
      language: 'en',
      variants: 3,
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/event-stream');
    const list = events(response.body);
    expect(list[0]!.event).toBe('start');
    expect(list.filter((e) => e.event === 'delta').length).toBeGreaterThan(3);
    const result = list.at(-1)!;
    expect(result.event).toBe('result');
    const variants = (result.data as { variants: Array<{ sms: { segments: number }; subject: unknown }> })
      .variants;
    expect(variants).toHaveLength(3);
    expect(variants[0]!.sms.segments).toBe(1);
    expect(variants[0]!.subject).toBeNull();
    // The streamed pieces are the model's text.
    const text = list
      .filter((e) => e.event === 'delta')
      .map((e) => e.data.text)
      .join('');
    expect(JSON.parse(text).variants).toHaveLength(3);
  });

  it('repairs invented variables and flags the ones it cannot map', async () => {
    const { api } = await workspace();
    peer.inject({
      content: JSON.stringify({
        variants: [
          {
            subject: 'Hola {first_name}',
            body: '<p>Hola {{ customer.firstname }},</p>\n<p>Tu color: {{ client.favourite_colour }} en {{ client.ctiy }}</p>',
          },
        ],
      }),
    });
    const response = await compose(api, { variants: 1 });
    expect(response.statusCode, response.body).toBe(200);
    const [variant] = response.json().variants;
    expect(variant.subject).toBe('Hola {{ client.first_name }}');
    expect(variant.body).toContain('{{ client.first_name }}');
    expect(variant.body).toContain('{{ client.city }}');
    expect(variant.repairs).toEqual([
      { field: 'subject', from: '{first_name}', to: '{{ client.first_name }}' },
      { field: 'body', from: 'customer.firstname', to: 'client.first_name' },
      { field: 'body', from: 'client.ctiy', to: 'client.city' },
    ]);
    expect(variant.valid).toBe(false);
    expect(variant.problems).toEqual([
      expect.objectContaining({
        path: '/body',
        line: 2,
        message: expect.stringContaining('client.favourite_colour'),
      }),
    ]);
  });

  it('finds forbidden claims and returns the offending sentence with its offsets', async () => {
    const { api } = await workspace();
    await api('PATCH', '/api/v1/ai/settings', { forbidden_claims: ['cura', 'resultados garantizados'] });
    const body =
      'Hola {{ client.first_name }}. Nuestro tratamiento CURA el dolor de espalda para siempre! Ven a vernos.\nResultados  garantizados en una sesión';
    peer.inject({ content: JSON.stringify({ variants: [{ subject: 'Sin promesas', body }] }) });
    const response = await compose(api, { variants: 1, channel: 'whatsapp' });
    const [variant] = response.json().variants;
    expect(variant.claims).toEqual([
      {
        field: 'body',
        claim: 'cura',
        sentence: 'Nuestro tratamiento CURA el dolor de espalda para siempre!',
        start: body.indexOf('Nuestro'),
        end: body.indexOf('!') + 1,
      },
      {
        field: 'body',
        claim: 'resultados garantizados',
        sentence: 'Resultados  garantizados en una sesión',
        start: body.indexOf('Resultados'),
        end: body.length,
      },
    ]);
    for (const claim of variant.claims) expect(body.slice(claim.start, claim.end)).toBe(claim.sentence);
    // The claims are also put to the model up front.
    expect(peer.requests.at(-1)!.text).toContain('"resultados garantizados"');
  });

  it('ends a call that gets no answer with AI_TIMEOUT, as JSON and mid-stream, never a hang', async () => {
    const { api, key } = await workspace();
    peer.inject({ hang: true });
    const started = Date.now();
    const response = await compose(api);
    expect(response.statusCode).toBe(504);
    expect(response.json().error.code).toBe('AI_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(6000);

    peer.inject({ hangMidStream: true });
    const streamed = await stream(key, '/api/v1/ai/compose', {
      channel: 'email',
      objective: 'x',
      language: 'en',
    });
    const list = events(streamed.body);
    expect(list.some((e) => e.event === 'delta')).toBe(true);
    expect(list.at(-1), JSON.stringify(list.at(-1))).toMatchObject({
      event: 'error',
      data: { error: { code: 'AI_TIMEOUT' } },
    });
  });

  it("turns the provider's 429 and invalid JSON into clear errors", async () => {
    const { api, key } = await workspace();
    peer.inject({ status: 429, headers: { 'retry-after': '7' } });
    const limited = await compose(api);
    expect(limited.statusCode).toBe(502);
    expect(limited.json().error).toMatchObject({
      code: 'AI_PROVIDER_ERROR',
      provider_status: 429,
      retry_after: 7,
    });
    expect(limited.json().error.message).toContain('429');

    peer.inject({ content: 'Sure! Here are your variants: variant 1 - Hello there' });
    const invalid = await compose(api);
    expect(invalid.statusCode).toBe(502);
    expect(invalid.json().error.message).toMatch(/did not answer with the JSON/);

    peer.inject({ content: '{"variants": [ {"subject": "x", "body": ' });
    const streamed = await stream(key, '/api/v1/ai/compose', {
      channel: 'email',
      objective: 'x',
      language: 'en',
    });
    expect(events(streamed.body).at(-1)).toMatchObject({
      event: 'error',
      data: { error: { code: 'AI_PROVIDER_ERROR' } },
    });

    // Not even the HTTP answer is JSON (a proxy's error page, a cut connection).
    peer.inject({ raw: '{"id":"chatcmpl-1","choices":[{"message":' });
    const broken = await compose(api);
    expect(broken.statusCode).toBe(502);
    expect(broken.json().error.code).toBe('AI_PROVIDER_ERROR');
    peer.inject({ raw: 'data: {"choices":[{"delta":{"content":"{\\"variants\\""}}]}\n\ndata: {broken\n\n' });
    const brokenStream = await stream(key, '/api/v1/ai/compose', {
      channel: 'email',
      objective: 'x',
      language: 'en',
    });
    expect(events(brokenStream.body).at(-1)).toMatchObject({
      event: 'error',
      data: { error: { code: 'AI_PROVIDER_ERROR' } },
    });

    // Failed calls are counted in the usage.
    const usage = (await api('GET', '/api/v1/ai/settings')).json().usage;
    expect(usage).toMatchObject({ requests: 5, failed_requests: 5 });
  });

  it('refuses calls once the monthly token budget is spent', async () => {
    const { api } = await workspace();
    await api('PATCH', '/api/v1/ai/settings', { monthly_token_budget: 100 });
    const first = await compose(api);
    expect(first.statusCode, first.body).toBe(200);
    const usage = (await api('GET', '/api/v1/ai/settings')).json().usage;
    expect(usage.tokens_used).toBeGreaterThan(100);
    expect(usage.remaining).toBe(0);
    const calls = peer.requests.length;
    const second = await compose(api);
    expect(second.statusCode).toBe(429);
    expect(second.json().error.code).toBe('AI_BUDGET_EXHAUSTED');
    expect(second.json().error.renews_at).toMatch(/^\d{4}-\d{2}-01T00:00:00/);
    expect(peer.requests.length).toBe(calls);
    // Raising the budget opens it again.
    await api('PATCH', '/api/v1/ai/settings', { monthly_token_budget: 1_000_000 });
    expect((await compose(api)).statusCode).toBe(200);
  });

  it('limits requests per minute per workspace', async () => {
    const { api } = await workspace();
    const other = await workspace();
    await api('PATCH', '/api/v1/ai/settings', { requests_per_minute: 2 });
    const answers = await Promise.all([compose(api), compose(api), compose(api)]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 200, 429]);
    const refused = answers.find((a) => a.statusCode === 429)!.json().error;
    expect(refused.code).toBe('RATE_LIMITED');
    expect(refused.retry_after).toBeGreaterThan(0);
    // Another workspace has its own allowance.
    expect((await compose(other.api)).statusCode).toBe(200);
  });

  it("keeps workspaces apart: another workspace's segment, clients and settings are out of reach", async () => {
    const a = await workspace();
    const b = await workspace(false);
    const segment = (
      await a.api('POST', '/api/v1/segments', { name: 'A only', definition: { all: [] } })
    ).json();
    const clientOfA = await client(a.api, { first_name: 'Ana', email: 'ana@a.example.com' });
    // B has no provider of its own: A's does not leak to it.
    expect((await b.api('GET', '/api/v1/ai/settings')).json()).toMatchObject({
      configured: false,
      base_url: null,
    });
    await b.api('PATCH', '/api/v1/ai/settings', {
      base_url: peer.url,
      model: 'fake-model',
      api_key: API_KEY,
    });
    const bySegment = await compose(b.api, { audience: { segment_id: segment.id } });
    expect(bySegment.statusCode).toBe(404);
    const byClients = await compose(b.api, { audience: { client_ids: [clientOfA] } });
    expect(byClients.statusCode).toBe(404);
    const preview = await b.api('POST', '/api/v1/ai/audience-preview', {
      audience: { client_ids: [clientOfA] },
    });
    expect(preview.statusCode).toBe(404);
    // B's usage is its own.
    await compose(a.api);
    expect((await b.api('GET', '/api/v1/ai/settings')).json().usage.requests).toBe(0);
  });

  it("sends a client's notes and history only when the workspace switch is on, and says so", async () => {
    const { api } = await workspace();
    const id = await client(api, {
      first_name: 'Marisol',
      last_name: 'Quintanilla',
      email: 'marisol@example.com',
      phone: '+34611222333',
      city: 'Granada',
    });
    const note = await api('POST', `/api/v1/clients/${id}/notes`, {
      body: 'Prefers morning appointments, allergic to latex',
    });
    expect(note.statusCode, note.body).toBe(201);

    const off = await api('POST', '/api/v1/ai/audience-preview', { audience: { client_ids: [id] } });
    expect(off.json()).toMatchObject({ clients: null, audience: { count: 1, top_cities: [] } });
    expect(off.json().summary.join(' ')).toMatch(/not sent/);
    await compose(api, { audience: { client_ids: [id] } });
    expect(peer.requests.at(-1)!.text).not.toMatch(/latex|Marisol|Granada/);

    await api('PATCH', '/api/v1/ai/settings', { share_client_details: true });
    const on = (await api('POST', '/api/v1/ai/audience-preview', { audience: { client_ids: [id] } })).json();
    expect(on.clients).toEqual([
      expect.objectContaining({
        first_name: 'Marisol',
        city: 'Granada',
        notes: ['Prefers morning appointments, allergic to latex'],
      }),
    ]);
    const composed = await compose(api, { audience: { client_ids: [id] } });
    expect(composed.json().sent_to_model.clients).toHaveLength(1);
    const sent = peer.requests.at(-1)!.text;
    expect(sent).toContain('allergic to latex');
    expect(sent).toContain('Marisol');
    // Never the surname, email or phone.
    expect(sent).not.toMatch(/Quintanilla|marisol@example\.com|\+34611222333/);
  });
});

describe('AI rewrite', () => {
  it('translates, adapts an email to SMS within its parts, and suggests subject lines', async () => {
    const { api } = await workspace();
    const missing = await api('POST', '/api/v1/ai/rewrite', {
      operation: 'translate',
      channel: 'email',
      body: '<p>Hi</p>',
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.details).toEqual([{ path: '/language', message: expect.any(String) }]);

    const translated = await api('POST', '/api/v1/ai/rewrite', {
      operation: 'translate',
      channel: 'email',
      language: 'fr',
      subject: 'We miss you',
      body: '<p>Hello {{ client.first_name }}</p>',
    });
    expect(translated.statusCode, translated.body).toBe(200);
    expect(peer.requests.at(-1)!.text).toContain('Translate the message into French (fr)');
    expect(translated.json().variants[0].subject).toContain('Vous nous manquez');

    peer.inject({
      content: JSON.stringify({
        variants: [{ subject: null, body: `Hola {{ client.first_name }}! ${'Ven a vernos. '.repeat(20)}` }],
      }),
    });
    const adapted = await api('POST', '/api/v1/ai/rewrite', {
      operation: 'adapt',
      channel: 'email',
      target_channel: 'sms',
      subject: 'Spring',
      body: '<p>Long email</p>',
    });
    expect(adapted.statusCode, adapted.body).toBe(200);
    const sms = adapted.json();
    expect(sms.channel).toBe('sms');
    expect(sms.variants[0].sms.segments).toBe(2);
    expect(sms.variants[0].warnings).toEqual([expect.objectContaining({ code: 'sms_segments' })]);
    expect(peer.requests.at(-1)!.text).toContain('Channel: SMS');

    const subjects = await api('POST', '/api/v1/ai/rewrite', {
      operation: 'subject_lines',
      channel: 'email',
      body: '<p>Spring offer</p>',
      variants: 4,
    });
    expect(subjects.json().variants).toHaveLength(4);
    for (const v of subjects.json().variants) {
      expect(v.body).toBeNull();
      expect(v.subject).toMatch(/client\.first_name/);
    }
    const notEmail = await api('POST', '/api/v1/ai/rewrite', {
      operation: 'subject_lines',
      channel: 'sms',
      body: 'x',
    });
    expect(notEmail.statusCode).toBe(400);
  });
});
