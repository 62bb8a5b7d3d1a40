import { defineConfig } from 'vitest/config';
import base from '../vitest.config.ts';

// `npx vitest run --config bench/channels.vitest.config.ts`: the channel send/webhook measurements
// (bench/channels.bench.test.ts) on a cloned test database, against the local peers.
export default defineConfig({
  test: { ...base.test, include: ['bench/channels.bench.test.ts'], testTimeout: 600_000 },
});
