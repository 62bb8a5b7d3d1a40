import { describe, expect, it } from 'vitest';
import { createSecretBox } from './crypto.ts';

const KEY = 'k'.repeat(40);

describe('secret box', () => {
  it('round-trips secrets, with a fresh IV each time, and refuses another key or an altered value', () => {
    const box = createSecretBox(KEY);
    const a = box.encrypt('tok€n ✓');
    const b = box.encrypt('tok€n ✓');
    expect(a).not.toBe(b);
    expect(a).not.toContain('tok');
    expect(box.decrypt(a)).toBe('tok€n ✓');
    expect(() => createSecretBox('x'.repeat(40)).decrypt(a)).toThrow();
    const parts = a.split('.');
    parts[3] = `A${parts[3]?.slice(1)}`;
    expect(() => box.decrypt(parts.join('.'))).toThrow();
    expect(() => box.decrypt('plain')).toThrow('Not a sealed secret');
  });

  it('signs tokens per purpose: verified with the same purpose and key only, never when altered', () => {
    const box = createSecretBox(KEY);
    const token = box.sign('unsubscribe', { c: 'client-1', ch: 'email' });
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(box.verify('unsubscribe', token)).toEqual({ c: 'client-1', ch: 'email' });
    expect(box.verify('tracking', token)).toBeNull();
    expect(createSecretBox('y'.repeat(40)).verify('unsubscribe', token)).toBeNull();
    const forged = `${Buffer.from('{"c":"client-2","ch":"email"}').toString('base64url')}.${token.split('.')[1]}`;
    expect(box.verify('unsubscribe', forged)).toBeNull();
    expect(box.verify('unsubscribe', 'garbage')).toBeNull();
    expect(box.verify('unsubscribe', '.')).toBeNull();
  });
});
