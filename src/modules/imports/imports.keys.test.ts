import { describe, expect, it } from 'vitest';
import { WrittenKeys } from './imports.keys.ts';

describe('written identity keys', () => {
  it('never forgets a key it was given, and rarely claims one it was not', () => {
    const keys = new WrittenKeys();
    for (let i = 0; i < 200_000; i++) keys.add(`e:person.${i}@example.com`);
    keys.add('e:person.7@example.com'); // again: counted once
    expect(keys.size).toBeLessThanOrEqual(200_000);
    expect(keys.size).toBeGreaterThan(199_990); // distinct keys rarely share a 32-bit hash
    let forgotten = 0;
    for (let i = 0; i < 200_000; i++) if (!keys.mayHave(`e:person.${i}@example.com`)) forgotten++;
    expect(forgotten).toBe(0);
    let falsePositives = 0;
    for (let i = 0; i < 200_000; i++) if (keys.mayHave(`e:someone.${i}@example.com`)) falsePositives++;
    expect(falsePositives).toBeLessThan(100);
    expect(new WrittenKeys().mayHave('p:+34600111222')).toBe(false);
  });
});
