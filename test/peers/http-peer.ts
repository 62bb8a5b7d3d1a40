import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The common core of the fake providers: a real HTTP server on 127.0.0.1 with a free port, a log
 * of every request, and a queue of injected faults (an HTTP error with the provider's error body,
 * or no answer at all so the client times out). Start one per test file; `close()` when done.
 */
export interface PeerRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  raw: Buffer;
}

export type Fault =
  | { status: number; body: unknown; headers?: Record<string, string> }
  /** Reads the request, then never answers (the provider took it; the client times out). */
  | { hang: true };

export type Handler = (request: PeerRequest) => {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
};

export interface HttpPeer {
  url: string;
  requests: PeerRequest[];
  /** The next matching request gets this fault instead of a normal answer (FIFO). */
  inject(fault: Fault): void;
  close(): Promise<void>;
}

export async function startHttpPeer(handle: Handler): Promise<HttpPeer> {
  const faults: Fault[] = [];
  const requests: PeerRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://peer');
      const request: PeerRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        raw: Buffer.concat(chunks),
      };
      requests.push(request);
      const fault = faults.shift();
      if (fault && 'hang' in fault) {
        hanging.add(res);
        return;
      }
      const answer = fault ?? handle(request);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.headers ?? {}) });
      res.end(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    inject: (fault) => faults.push(fault),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** POST a webhook the way a provider does and return the receiver's answer. */
export async function postWebhook(url: string, body: string | Buffer, headers: Record<string, string>) {
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, text: await response.text() };
}
