import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/server';

type Tree = { [key: string]: string | Tree };

const PLURAL_SUFFIX = /_(zero|one|two|few|many|other)$/;

function load(language: string): Tree {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'web', 'src', 'i18n', `${language}.json`), 'utf8')) as Tree;
}

function entries(tree: Tree, prefix = ''): Array<[string, string]> {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'string'
      ? [[`${prefix}${key}`, value] as [string, string]]
      : entries(value, `${prefix}${key}.`),
  );
}

const keysOf = (tree: Tree) => new Set(entries(tree).map(([key]) => key.replace(PLURAL_SUFFIX, '')));
const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((match) => match[1]).sort();

/** Every visible string exists in the three languages, with the same placeholders, and none is empty. */
describe('dashboard translations', () => {
  const english = load('en');
  const englishValues = new Map(
    entries(english).map(([key, value]) => [key.replace(PLURAL_SUFFIX, ''), value]),
  );

  for (const language of ['es', 'fr']) {
    it(`${language} has exactly the English keys and placeholders`, () => {
      const translated = load(language);
      expect([...keysOf(translated)].sort()).toEqual([...keysOf(english)].sort());
      for (const [key, value] of entries(translated)) {
        expect(value.trim(), key).not.toBe('');
        const source = englishValues.get(key.replace(PLURAL_SUFFIX, '')) ?? '';
        // A singular form may say "this campaign" instead of "1 campaign"; every other form keeps the count.
        const compared = (text: string) =>
          placeholders(text).filter((name) => !key.endsWith('_one') || name !== 'count');
        expect(compared(value), key).toEqual(compared(source));
      }
    });
  }
});
