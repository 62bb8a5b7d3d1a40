import { readFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpSink, startSmtpSink } from '../../../../test/peers/smtp-sink.ts';
import { dataBody, SmtpError, SmtpPool } from './smtp-client.ts';

let sink: SmtpSink;
let authSink: SmtpSink;
beforeAll(async () => {
  [sink, authSink] = await Promise.all([
    startSmtpSink(),
    startSmtpSink({ requireAuth: { user: 'desk', pass: 's3cret' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([sink.close(), authSink.close()]);
});

const options = (port: number, extra: Partial<ConstructorParameters<typeof SmtpPool>[0]> = {}) => ({
  host: '127.0.0.1',
  port,
  secure: false,
  connectionTimeoutMs: 5000,
  socketTimeoutMs: 5000,
  maxConnections: 3,
  ...extra,
});

const message = (subject: string, body: string) =>
  Buffer.from(`From: desk@clinic.example\r\nTo: ana@example.com\r\nSubject: ${subject}\r\n\r\n${body}`);

/**
 * A relay speaking just enough SMTP with PIPELINING to see how the client groups its commands. It
 * answers the end of a message's DATA only once the next message's MAIL FROM has arrived (or after
 * `holdMs`), and notes which: a client that waits for that answer before sending the next envelope
 * gets every answer late. `dropAfterBodies`: the connection is closed without answering once it got
 * that many bodies.
 */
async function startHoldingRelay(holdMs: number, dropAfterBodies = 0) {
  const answered: Array<{ to: string; by: 'next envelope' | 'timeout' }> = [];
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    let buffer = '';
    let inData = false;
    let bodies = 0;
    let rcpt = '';
    let held: { to: string; timer: NodeJS.Timeout } | null = null;
    const answerHeld = (by: 'next envelope' | 'timeout') => {
      if (!held) return;
      clearTimeout(held.timer);
      answered.push({ to: held.to, by });
      held = null;
      socket.write('250 Queued\r\n');
    };
    socket.write('220 holding relay\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('latin1');
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (inData) {
          if (line !== '.') continue;
          inData = false;
          bodies++;
          if (dropAfterBodies && bodies >= dropAfterBodies) {
            socket.destroy();
            return;
          }
          const to = rcpt;
          held = { to, timer: setTimeout(() => answerHeld('timeout'), holdMs) };
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') socket.write('250-holding relay\r\n250 PIPELINING\r\n');
        else if (verb === 'MAIL') {
          answerHeld('next envelope');
          socket.write('250 OK\r\n');
        } else if (verb === 'RCPT') {
          rcpt = line.slice(line.indexOf('<') + 1, line.indexOf('>'));
          socket.write('250 OK\r\n');
        } else if (verb === 'DATA') {
          inData = true;
          socket.write('354 Go on\r\n');
        } else if (verb === 'QUIT') {
          answerHeld('next envelope');
          socket.end('221 Bye\r\n');
        } else socket.write('250 OK\r\n');
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => held && clearTimeout(held.timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    answered,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('smtp client', () => {
  it('dot-stuffs lines that start with a dot and ends the body once', () => {
    const [body, end] = dataBody(Buffer.from('.first\r\nmiddle\r\n.\r\n..two\r\nlast'));
    expect(body.toString()).toBe('..first\r\nmiddle\r\n..\r\n...two\r\nlast');
    expect(end.toString()).toBe('\r\n.\r\n');
    expect(dataBody(Buffer.from('a\r\n'))[1].toString()).toBe('.\r\n');
  });

  it('delivers many messages over a few pipelined connections, byte for byte', async () => {
    const pool = new SmtpPool(options(sink.port));
    const before = sink.messages.length;
    const sends = Array.from({ length: 30 }, (_, i) =>
      pool.send(
        'desk@clinic.example',
        `client${i}@example.com`,
        message(`n${i}`, `.dot line ${i}\r\nHola 🌸\r\n`),
      ),
    );
    await Promise.all(sends);
    const got = (await sink.waitFor(before + 30)).slice(before);
    expect(got.map((m) => m.to[0]).sort()).toEqual(
      Array.from({ length: 30 }, (_, i) => `client${i}@example.com`).sort(),
    );
    const first = got.find((m) => m.headers.subject === 'n0')!;
    expect(first.raw).toContain('\r\n.dot line 0\r\nHola 🌸');
    pool.close();
  });

  it('reports a refused recipient with its reply code and sends the next message on a reset session', async () => {
    const pool = new SmtpPool(options(sink.port, { maxConnections: 1 }));
    const before = sink.messages.length;
    sink.failNext(550, 'No such user here');
    const refused = await pool
      .send('desk@clinic.example', 'nobody@example.com', message('refused', 'x'))
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SmtpError);
    expect(refused).toMatchObject({ responseCode: 550, command: 'RCPT TO' });
    sink.failNext(451, 'Try again later');
    await expect(
      pool.send('desk@clinic.example', 'later@example.com', message('later', 'x')),
    ).rejects.toMatchObject({
      responseCode: 451,
    });
    await pool.send('desk@clinic.example', 'ana@example.com', message('after', 'x'));
    const got = (await sink.waitFor(before + 1)).slice(before);
    expect(got.map((m) => m.headers.subject)).toEqual(['after']);
    pool.close();
  });

  it("sends the next message's envelope with the body before it: one round trip a message", async () => {
    const relay = await startHoldingRelay(1500);
    const pool = new SmtpPool(options(relay.port, { maxConnections: 1 }));
    const started = performance.now();
    await Promise.all(
      [1, 2, 3, 4].map((n) => pool.send('desk@clinic.example', `c${n}@example.com`, message(`${n}`, 'x'))),
    );
    // Only the last message, with nothing behind it, waited for the relay's patience.
    expect(relay.answered).toEqual([
      { to: 'c1@example.com', by: 'next envelope' },
      { to: 'c2@example.com', by: 'next envelope' },
      { to: 'c3@example.com', by: 'next envelope' },
      { to: 'c4@example.com', by: 'timeout' },
    ]);
    expect(performance.now() - started).toBeLessThan(3000);
    pool.close();
    await relay.close();
  });

  it("takes no message past a connection's allowance, and a message whose envelope went to a dropped connection goes out on a new one", async () => {
    const limited = await startHoldingRelay(300);
    const pool = new SmtpPool(options(limited.port, { maxConnections: 1, maxMessages: 2 }));
    await Promise.all(
      [1, 2, 3].map((n) => pool.send('desk@clinic.example', `m${n}@example.com`, message(`${n}`, 'x'))),
    );
    // The second message is its connection's last: the third did not ride on it.
    expect(limited.answered.map((a) => a.by)).toEqual(['next envelope', 'timeout', 'timeout']);
    expect(limited.connections()).toBe(2);
    pool.close();
    await limited.close();

    // The relay drops the connection after the first body, which carried the second's envelope.
    const dropping = await startHoldingRelay(300, 1);
    const second = new SmtpPool(options(dropping.port, { maxConnections: 1 }));
    const [first, next] = await Promise.allSettled(
      [1, 2].map((n) => second.send('desk@clinic.example', `d${n}@example.com`, message(`${n}`, 'x'))),
    );
    // The first body went out: the relay may have it (not "nothing handed over").
    expect(first).toMatchObject({ status: 'rejected', reason: { code: 'ESOCKET' } });
    // Only the second's envelope went out on the dropped connection: it is sent again on a new one
    // (and dropped there too after its body, which this relay does to every connection).
    expect(next).toMatchObject({ status: 'rejected', reason: { code: 'ESOCKET' } });
    expect(dropping.connections()).toBe(2);
    second.close();
    await dropping.close();
  });

  it('logs in with AUTH PLAIN, and a wrong password is EAUTH with the reply code', async () => {
    const good = new SmtpPool(options(authSink.port, { user: 'desk', password: 's3cret' }));
    const before = authSink.messages.length;
    await good.send('desk@clinic.example', 'ana@example.com', message('authed', 'x'));
    expect((await authSink.waitFor(before + 1)).at(-1)!.headers.subject).toBe('authed');
    good.close();
    const bad = new SmtpPool(options(authSink.port, { user: 'desk', password: 'wrong' }));
    await expect(
      bad.send('desk@clinic.example', 'ana@example.com', message('no', 'x')),
    ).rejects.toMatchObject({
      code: 'EAUTH',
      responseCode: 535,
    });
    bad.close();
  });

  it('talks one command at a time to a relay without PIPELINING', async () => {
    const seen: string[] = [];
    const server = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      hidePIPELINING: true,
      logger: false,
      closeTimeout: 200,
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () => {
          seen.push(session.envelope.rcptTo[0]!.address);
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const pool = new SmtpPool(options((server.server.address() as AddressInfo).port));
    await pool.send('desk@clinic.example', 'one@example.com', message('1', 'x'));
    await pool.send('desk@clinic.example', 'two@example.com', message('2', 'x'));
    expect(seen).toEqual(['one@example.com', 'two@example.com']);
    pool.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('upgrades with STARTTLS when the relay offers it, and refuses a certificate it cannot trust', async () => {
    const secure: boolean[] = [];
    // A self-signed certificate for "localhost" (test/fixtures/tls, valid for 100 years).
    const key = readFileSync(new URL('../../../../test/fixtures/tls/localhost.key', import.meta.url));
    const ca = readFileSync(new URL('../../../../test/fixtures/tls/localhost.crt', import.meta.url));
    const server = new SMTPServer({
      key,
      cert: ca,
      disabledCommands: ['AUTH'],
      authOptional: true,
      logger: false,
      closeTimeout: 200,
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () => {
          secure.push(session.secure);
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as AddressInfo).port;
    const trusted = new SmtpPool(options(port, { host: 'localhost', ca }));
    await trusted.send('desk@clinic.example', 'ana@example.com', message('tls', 'x'));
    expect(secure).toEqual([true]);
    trusted.close();
    const untrusted = new SmtpPool(options(port, { host: 'localhost' }));
    await expect(
      untrusted.send('desk@clinic.example', 'ana@example.com', message('tls', 'x')),
    ).rejects.toMatchObject({ code: 'ECONNECTION' });
    expect(secure).toEqual([true]);
    untrusted.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('says nothing was handed over when the relay cannot be reached', async () => {
    const server = new SMTPServer({ logger: false });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const pool = new SmtpPool(options(port));
    await expect(
      pool.send('desk@clinic.example', 'ana@example.com', message('x', 'x')),
    ).rejects.toMatchObject({
      code: 'ECONNECTION',
    });
    pool.close();
  });
});
