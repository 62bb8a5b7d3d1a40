// A counting SMTP sink in its own process (fork this file), so that a benchmark measures the memory
// of the sender alone. Plain SMTP on a free loopback port; keeps the first 50 messages whole and only
// counts the rest, with the arrivals per second. IPC: it sends { port } when listening; answer to
// { type: 'stats' } with { received, perSecond }, to { type: 'sample' } with { sample } and to { type: 'reset' } by starting over.
import { SMTPServer } from 'smtp-server';

let received = 0;
let sample = [];
let perSecond = new Map();
const server = new SMTPServer({
  disabledCommands: ['STARTTLS', 'AUTH'],
  authOptional: true,
  logger: false,
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      received++;
      const second = Math.floor(Date.now() / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
      if (sample.length < 50)
        sample.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
      callback();
    });
  },
});
server.listen(0, '127.0.0.1', () => process.send({ port: server.server.address().port }));
process.on('message', (message) => {
  if (message.type === 'stats')
    process.send({ received, perSecond: [...perSecond.entries()].sort((a, b) => a[0] - b[0]) });
  if (message.type === 'sample') process.send({ sample });
  if (message.type === 'reset') {
    received = 0;
    sample = [];
    perSecond = new Map();
    process.send({ reset: true });
  }
});
process.on('disconnect', () => process.exit(0));
