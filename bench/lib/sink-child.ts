import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'smtp-sink-process.mjs');

export interface SinkStats {
  received: number;
  /** [unix second, messages that arrived in it] */
  perSecond: Array<[number, number]>;
}

/** The counting SMTP sink of smtp-sink-process.mjs, in a child process. */
export async function startSinkChild() {
  const child: ChildProcess = fork(SCRIPT, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`the SMTP sink exited (${code})`)));
  });
  const ask = <T>(type: string) =>
    new Promise<T>((resolve) => {
      child.once('message', (m) => resolve(m as T));
      child.send({ type });
    });
  return {
    host: '127.0.0.1',
    port,
    pid: child.pid!,
    stats: () => ask<SinkStats>('stats'),
    sample: async () => (await ask<{ sample: Array<{ to: string[]; raw: string }> }>('sample')).sample,
    reset: () => ask<unknown>('reset'),
    /** Polls until `count` messages arrived; resolves with the stats. */
    async waitFor(count: number, timeoutMs: number) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const stats = await ask<SinkStats>('stats');
        if (stats.received >= count) return stats;
        if (Date.now() > deadline) throw new Error(`only ${stats.received} of ${count} messages arrived`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    close() {
      child.disconnect();
      child.kill();
    },
  };
}
