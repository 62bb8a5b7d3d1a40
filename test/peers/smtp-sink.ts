import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SunkMessage {
  from: string;
  to: string[];
  raw: string;
  /** Unfolded header lines, names lower-cased (last one wins). */
  headers: Record<string, string>;
}

export interface SmtpSink {
  host: string;
  port: number;
  messages: SunkMessage[];
  /** The next message is refused at RCPT with this SMTP reply (e.g. 450 mailbox busy, 550 no such user). */
  failNext(code: number, message: string): void;
  /** The next message is read but never acknowledged (the client times out after sending DATA). */
  hangNext(): void;
  /** Runs `action` when the next message has been read, and acknowledges it once `action` is done. */
  beforeNextAnswer(action: () => Promise<unknown>): void;
  /** Waits until `count` messages arrived (or throws after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<SunkMessage[]>;
  close(): Promise<void>;
}

export function parseHeaders(raw: string): Record<string, string> {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * A real SMTP server (smtp-server) that keeps what it receives: plain SMTP on a free port, any
 * login accepted, no STARTTLS so a client needs no certificate.
 */
export async function startSmtpSink(
  options: { requireAuth?: { user: string; pass: string } } = {},
): Promise<SmtpSink> {
  const messages: SunkMessage[] = [];
  const failures: Array<{ code: number; message: string }> = [];
  let hangs = 0;
  const beforeAnswers: Array<() => Promise<unknown>> = [];
  const server = new SMTPServer({
    disabledCommands: options.requireAuth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !options.requireAuth,
    allowInsecureAuth: true,
    logger: false,
    // A pooled sender (nodemailer) keeps idle connections open; closing must not wait 30 s for them.
    closeTimeout: 200,
    onAuth(auth, _session, callback) {
      const wanted = options.requireAuth;
      if (!wanted || (auth.username === wanted.user && auth.password === wanted.pass))
        return callback(null, { user: auth.username });
      return callback(Object.assign(new Error('Invalid login'), { responseCode: 535 }));
    },
    onRcptTo(_address, _session, callback) {
      const failure = failures.shift();
      if (failure) return callback(Object.assign(new Error(failure.message), { responseCode: failure.code }));
      return callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (hangs > 0) {
          hangs--;
          return; // never answer: the message may or may not count as delivered
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          headers: parseHeaders(raw),
        });
        const action = beforeAnswers.shift();
        if (!action) return callback();
        action().then(
          () => callback(),
          (error: Error) => callback(error),
        );
      });
    },
  });
  // A sender killed mid-message (the SIGKILL tests) resets its connection: smtp-server reports it as
  // an 'error' event, which without a listener would be an uncaught exception in the test process.
  // Like a real server, the sink drops that connection and goes on.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    messages,
    failNext: (code, message) => failures.push({ code, message }),
    hangNext: () => {
      hangs++;
    },
    beforeNextAnswer: (action) => {
      beforeAnswers.push(action);
    },
    async waitFor(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        if (Date.now() > deadline)
          throw new Error(`SMTP sink: ${messages.length} of ${count} messages arrived`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return messages;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
