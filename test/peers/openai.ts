import { randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake OpenAI-compatible chat-completions server (POST /v1/chat/completions, as OpenAI, Ollama,
 * vLLM and LM Studio speak it), streaming (SSE `chat.completion.chunk`s, usage last, `[DONE]`) and
 * not. By default it writes plausible variants from what it is asked (channel, language, how
 * many); tests queue faults for the next calls: an HTTP error such as 429, no answer at all, an
 * answer that stops mid-stream, or any content instead of the normal one (invalid JSON, unknown
 * variables, a forbidden claim).
 */
export type OpenAiFault =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** Answers 200 with this body as it is (e.g. broken JSON), streaming or not. */
  | { raw: string }
  /** Never answers (the client must time out). */
  | { hang: true }
  /** Streams the first piece of the answer, then never goes on. */
  | { hangMidStream: true }
  /** Answers normally with this content instead of the generated one. */
  | { content: string };

export interface OpenAiRequest {
  path: string;
  authorization: string | undefined;
  body: {
    model: string;
    stream?: boolean;
    messages: Array<{ role: string; content: string }>;
    max_tokens?: number;
    stream_options?: { include_usage?: boolean };
  };
  /** Everything sent (system + user), for checking what left the machine. */
  text: string;
}

export interface OpenAiPeer {
  /** Base URL to configure, ending in /v1. */
  url: string;
  requests: OpenAiRequest[];
  inject(fault: OpenAiFault): void;
  /** Milliseconds between streamed pieces (default 10). */
  chunkDelayMs: number;
  close(): Promise<void>;
}

/** Variants like a model would write them for the request, using only known variables. */
export function fakeAnswer(request: OpenAiRequest['body']): string {
  const system = request.messages.find((m) => m.role === 'system')?.content ?? '';
  const user = request.messages.find((m) => m.role === 'user')?.content ?? '';
  const count = Number(/(?:Write|Give) (\d+)/.exec(user)?.[1] ?? 1);
  const channel = /Channel: (email|SMS|WhatsApp)/.exec(system)?.[1]?.toLowerCase() ?? 'email';
  const language = /Write in (\w+)/.exec(system)?.[1] ?? 'English';
  const subjectsOnly = /subject lines/i.test(user);
  const phrases: Record<string, string[]> = {
    Spanish: [
      'Te echamos de menos',
      'Vuelve esta semana',
      'Tenemos algo para ti',
      'Reserva tu cita',
      'Un detalle para ti',
    ],
    French: [
      'Vous nous manquez',
      'Revenez cette semaine',
      'Une attention pour vous',
      'Réservez',
      'Un cadeau pour vous',
    ],
    English: [
      'We miss you',
      'Come back this week',
      'Something for you',
      'Book your visit',
      'A little thank-you',
    ],
  };
  const lines = phrases[language] ?? phrases.English!;
  const variants = Array.from({ length: Math.min(Math.max(count, 1), 5) }, (_, i) => {
    const hook = lines[i % lines.length]!;
    if (subjectsOnly) return { subject: `{{ client.first_name }}, ${hook.toLowerCase()}`, body: null };
    if (channel === 'email')
      return {
        subject: `${hook}, {{ client.first_name }}`,
        body: `<p>Hola {{ client.first_name }},</p><p>${hook}. Reserve at {{ sender.workspace }} in {{ client.city }}.</p>`,
      };
    if (channel === 'sms')
      return { subject: null, body: `${hook} {{ client.first_name }}: book at {{ sender.workspace }}.` };
    return {
      subject: null,
      body: `Hi {{ client.first_name }} 👋 ${hook}. Reply here to book with {{ sender.name }}.`,
    };
  });
  return JSON.stringify({ variants });
}

function chunk(id: string, model: string, delta: Record<string, unknown>, finish: string | null) {
  return {
    id,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  };
}

export async function startOpenAiPeer(options: { apiKey?: string } = {}): Promise<OpenAiPeer> {
  const faults: OpenAiFault[] = [];
  const requests: OpenAiRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const peer = { chunkDelayMs: 10 } as OpenAiPeer;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const path = new URL(req.url ?? '/', 'http://peer').pathname;
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || !/\/chat\/completions$/.test(path))
        return json(404, {
          error: { message: `Unknown route ${req.method} ${path}`, type: 'invalid_request_error' },
        });
      if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`)
        return json(401, {
          error: {
            message: 'Incorrect API key provided',
            type: 'invalid_request_error',
            code: 'invalid_api_key',
          },
        });
      let body: OpenAiRequest['body'];
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return json(400, { error: { message: 'We could not parse the JSON body of your request.' } });
      }
      requests.push({
        path,
        authorization: req.headers.authorization,
        body,
        text: body.messages.map((m) => m.content).join('\n'),
      });
      const fault = faults.shift();
      if (fault && 'hang' in fault) {
        hanging.add(res);
        return;
      }
      if (fault && 'raw' in fault) {
        res.writeHead(200, { 'content-type': body.stream ? 'text/event-stream' : 'application/json' });
        res.end(fault.raw);
        return;
      }
      if (fault && 'status' in fault)
        return json(
          fault.status,
          fault.body ?? {
            error: {
              message: 'Rate limit reached for requests',
              type: 'requests',
              code: 'rate_limit_exceeded',
            },
          },
          fault.headers,
        );
      const content = fault && 'content' in fault ? fault.content : fakeAnswer(body);
      const id = `chatcmpl-${randomBytes(8).toString('hex')}`;
      const promptTokens = Math.ceil(body.messages.reduce((n, m) => n + m.content.length, 0) / 4);
      const completionTokens = Math.ceil(content.length / 4);
      const usage = {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      };
      if (!body.stream)
        return json(200, {
          id,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage,
        });
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const write = (data: unknown) =>
        res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
      write(chunk(id, body.model, { role: 'assistant', content: '' }, null));
      const pieces = content.match(/[\s\S]{1,24}/g) ?? [];
      for (const [index, piece] of pieces.entries()) {
        if (res.destroyed) return;
        write(chunk(id, body.model, { content: piece }, null));
        if (fault && 'hangMidStream' in fault && index === 0) {
          hanging.add(res);
          return;
        }
        if (peer.chunkDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, peer.chunkDelayMs));
      }
      write(chunk(id, body.model, {}, 'stop'));
      if (body.stream_options?.include_usage)
        write({ id, object: 'chat.completion.chunk', model: body.model, choices: [], usage });
      write('[DONE]');
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  peer.url = `http://127.0.0.1:${port}/v1`;
  peer.requests = requests;
  peer.inject = (fault) => faults.push(fault);
  peer.close = async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return peer;
}
