#!/usr/bin/env node
// `node bin/run-ts.mjs file.ts args…` — run a TypeScript script (benchmarks, generators) with tsx.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const [, , script, ...rest] = process.argv;
process.argv = [process.argv[0], script, ...rest];
await import(pathToFileURL(path.resolve(script)).href);
