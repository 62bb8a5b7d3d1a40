import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAiPeer, startOpenAiPeer } from '../../../test/peers/openai.ts';
import { newApiKey, newWorkspace, setupTestApp, withKey } from '../../../test/support/app.ts';

// The server-wide provider comes from the environment; the peers start before the app reads it.
const SERVER_KEY = 'sk-server-wide-secret-0000';
const env: Record<string, string> = { AI_MODEL: 'server-model', AI_API_KEY: SERVER_KEY };
let serverPeer: OpenAiPeer;
let workspacePeer: OpenAiPeer;
beforeAll(async () => {
  [serverPeer, workspacePeer] = await Promise.all([
    startOpenAiPeer({ apiKey: SERVER_KEY }),
    startOpenAiPeer(),
  ]);
  env.AI_BASE_URL = serverPeer.url;
});
afterAll(async () => {
  await Promise.all([serverPeer?.close(), workspacePeer?.close()]);
});
const t = setupTestApp(env);

describe('AI provider set server-wide', () => {
  it('serves every workspace without showing the key, and a workspace may use its own instead', async () => {
    const ws = await newWorkspace(t);
    const api = withKey(t, await newApiKey(t, ws.id, 'owner'));
    const settings = await api('GET', '/api/v1/ai/settings');
    expect(settings.json()).toMatchObject({
      configured: true,
      source: 'server',
      base_url: null,
      api_key: null,
      effective_model: 'server-model',
    });
    expect(settings.body).not.toContain(SERVER_KEY);
    const composed = await api('POST', '/api/v1/ai/compose', {
      channel: 'sms',
      objective: 'Hi',
      language: 'en',
    });
    expect(composed.statusCode, composed.body).toBe(200);
    expect(serverPeer.requests.at(-1)).toMatchObject({
      authorization: `Bearer ${SERVER_KEY}`,
      body: { model: 'server-model' },
    });

    await api('PATCH', '/api/v1/ai/settings', { base_url: workspacePeer.url, model: 'local-llama' });
    expect((await api('GET', '/api/v1/ai/settings')).json()).toMatchObject({
      source: 'workspace',
      effective_model: 'local-llama',
    });
    await api('POST', '/api/v1/ai/compose', { channel: 'sms', objective: 'Hi', language: 'en' });
    expect(workspacePeer.requests).toHaveLength(1);
    // A local server gets no key at all, certainly not the server's.
    expect(workspacePeer.requests[0]!.authorization).not.toContain(SERVER_KEY);
    expect(serverPeer.requests).toHaveLength(1);
  });
});
