import { randomBytes } from 'node:crypto';

/** Digits and capitals without the look-alikes 0/O, 1/I/L: 31 symbols a person reads back without doubt. */
export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
/** Two groups of five: 31^10 ≈ 2^49.5 codes, well above the 40 random bits a guesser must beat. */
export const CODE_GROUPS = [5, 5] as const;
export const CODE_RANDOM_BITS = Math.log2(CODE_ALPHABET.length) * CODE_GROUPS.reduce((a, b) => a + b, 0);
export const PREFIX_SHAPE = /^[A-Z0-9]{1,12}$/;

// The largest multiple of the alphabet's size below 256: bytes above it are dropped, so every
// symbol is equally likely (a plain `byte % 31` would favour the first symbols).
const LIMIT = 256 - (256 % CODE_ALPHABET.length);

/** `count` random codes such as `VIP-7K3QA-9MZXP` (without a prefix: `7K3QA-9MZXP`). */
export function generateCodes(count: number, prefix: string | null): string[] {
  const length = CODE_GROUPS.reduce((a, b) => a + b, 0);
  const codes: string[] = [];
  let pool = randomBytes(count * length * 2);
  let at = 0;
  for (let n = 0; n < count; n++) {
    let symbols = '';
    while (symbols.length < length) {
      if (at >= pool.length) {
        pool = randomBytes(count * length);
        at = 0;
      }
      const byte = pool[at++]!;
      if (byte < LIMIT) symbols += CODE_ALPHABET[byte % CODE_ALPHABET.length];
    }
    const groups: string[] = [];
    let offset = 0;
    for (const size of CODE_GROUPS) {
      groups.push(symbols.slice(offset, offset + size));
      offset += size;
    }
    codes.push([...(prefix ? [prefix] : []), ...groups].join('-'));
  }
  return codes;
}

/** How a person or a shop may type a code: any case, spaces around. */
export function normalizeCode(raw: string): string {
  return raw.trim().toUpperCase();
}
