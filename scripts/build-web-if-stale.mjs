#!/usr/bin/env node
// Builds the dashboard (web/dist) when it is missing or older than its sources, so `npm start`
// on a fresh clone serves a built dashboard without a separate step, and later starts skip it.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = path.join(root, 'web', 'dist', 'index.html');

function newest(target) {
  if (!existsSync(target)) return 0;
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(target).map((name) => newest(path.join(target, name))));
}

// The dashboard also bundles the server's segment query printer (one syntax, one implementation).
const sources = [
  'web/src',
  'web/public',
  'web/index.html',
  'web/vite.config.ts',
  'package-lock.json',
  'src/modules/segments/query-syntax.ts',
  'src/modules/segments/segment-definition.ts',
].map((p) => newest(path.join(root, p)));
if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources)) process.exit(0);

process.stderr.write('Building the dashboard (first start or changed sources)…\n');
const result = spawnSync(
  process.execPath,
  [
    path.join(root, 'node_modules/vite/bin/vite.js'),
    'build',
    '--config',
    'web/vite.config.ts',
    '--logLevel',
    'warn',
  ],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
