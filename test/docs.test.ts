import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_DOC } from '../src/config.ts';

describe('README', () => {
  it('documents every environment variable the product reads', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const documented = new Set([...readme.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]));
    expect(CONFIG_DOC.map((c) => c.name).filter((name) => !documented.has(name))).toEqual([]);
  });
});
