/**
 * The fake WhatsApp Cloud API (test/peers/meta-graph.ts) in its own process, so that the arrival
 * time of each message is taken by an event loop that does nothing else: in the sender's process
 * the peer's handler waits for the sender's own work, which bunches arrivals that were sent apart.
 *   fork('bin/run-ts.mjs', ['bench/lib/meta-peer-process.ts'])
 * IPC: sends the peer's settings ({ baseUrl, phoneNumberId, … }) when listening; answers
 * { type: 'arrivals' } with { arrivals } (ms since the epoch, sub-millisecond, in arrival order) and
 * { type: 'reset' } by forgetting them.
 */
import { startMetaPeer } from '../../test/peers/meta-graph.ts';

const peer = await startMetaPeer();
process.send?.({
  baseUrl: peer.baseUrl,
  phoneNumberId: peer.phoneNumberId,
  businessAccountId: peer.businessAccountId,
  accessToken: peer.accessToken,
  appSecret: peer.appSecret,
});
process.on('message', (message: { type: string }) => {
  if (message.type === 'arrivals') process.send?.({ arrivals: peer.sent.map((m) => m.at) });
  if (message.type === 'reset') {
    peer.sent.length = 0;
    peer.requests.length = 0;
    process.send?.({ reset: true });
  }
});
process.on('disconnect', () => {
  void peer.close().finally(() => process.exit(0));
});
