import fc from 'fast-check';
import { encode as nodemailerEncode, wrap as nodemailerWrap } from 'nodemailer/lib/qp';
import { describe, expect, it } from 'vitest';
import { encodeQuotedPrintable } from './quoted-printable.ts';

/** RFC 2045 decoding, strict: soft breaks removed, `=XX` turned into bytes, CRLF read as a line break. */
function decode(encoded: string): string {
  const bytes: number[] = [];
  const text = encoded.replace(/=\r\n/g, '');
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '=') {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) throw new Error(`a bad escape at ${i}: =${hex}`);
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else bytes.push(c.charCodeAt(0));
  }
  return Buffer.from(bytes).toString('utf8').replace(/\r\n/g, '\n');
}

/** The rules a receiving server and reader rely on, whatever the text. */
function expectWellFormed(encoded: string) {
  expect(encoded).toMatch(/^[\x20-\x7e\r\n\t]*$/);
  expect(encoded).not.toMatch(/[^\r]\n|\r[^\n]|\r$/);
  for (const line of encoded.split('\r\n')) {
    expect(line.length).toBeLessThanOrEqual(76);
    // Whitespace never ends a line (a transport may strip it).
    expect(line).not.toMatch(/[ \t]$/);
  }
  // A soft break never falls inside an escape or inside one UTF-8 character's escapes.
  for (const [, before, after] of encoded.matchAll(/(=[0-9A-F]{2}|.{0,2})=\r\n(=[0-9A-F]{2})?/g)) {
    if (!before?.startsWith('=') || !after) continue;
    const next = Number.parseInt(after.slice(1), 16);
    expect(next >= 0x80 && next <= 0xbf, `a character split at ${before}=\\r\\n${after}`).toBe(false);
  }
}

const normalised = (text: string) => text.replace(/\r\n|\r|\n/g, '\n');

describe('quoted-printable', () => {
  const samples: Record<string, string> = {
    'accents and emoji on a long line': `Hola Ana — ${'áéíóú ñ 😀 '.repeat(30)}fin`,
    'an HTML line longer than a line': `<p style="color:#333">${'<a href="https://clinic.example/t/c/abc?u=x%3Dy">oferta</a> '.repeat(8)}</p>`,
    'equals signs, escapes that are not': '=3D a=b ==c =?utf-8?q?x?= =\n=',
    'whitespace before line ends and at the end': 'space   \ntab\t\r\nboth \t\rlast ',
    'line ends of every kind': 'a\r\nb\nc\rd\n\n\r\ne',
    'a 4-byte character at every column': Array.from({ length: 80 }, (_, n) => `${'x'.repeat(n)}🦷`).join(
      '\n',
    ),
    'only escapes': 'ñ'.repeat(200),
    empty: '',
  };
  for (const [name, text] of Object.entries(samples)) {
    it(`decodes back to the text: ${name}`, () => {
      const encoded = encodeQuotedPrintable(text);
      expectWellFormed(encoded);
      expect(decode(encoded)).toBe(normalised(text));
      // nodemailer's encoder (what was used before) decodes to the same text.
      expect(decode(encoded)).toBe(
        decode(nodemailerWrap(nodemailerEncode(text.replace(/\r?\n|\r/g, '\r\n')), 76)),
      );
    });
  }

  it('decodes back to any text, well formed (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ unit: 'grapheme', maxLength: 40 }),
            fc.constantFrom(' ', '\t', '\n', '\r', '\r\n', '=', '.', 'ñ', '😀', '\u00a0', '\uffff'),
          ),
          { maxLength: 60 },
        ),
        (parts) => {
          const text = parts.join('');
          const encoded = encodeQuotedPrintable(text);
          expectWellFormed(encoded);
          expect(decode(encoded)).toBe(normalised(text));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('writes plain ASCII as it is, with soft breaks only where a line is too long', () => {
    expect(encodeQuotedPrintable('Hola Ana,\nhasta pronto.')).toBe('Hola Ana,\r\nhasta pronto.');
    const encoded = encodeQuotedPrintable('y'.repeat(100));
    expect(encoded).toBe(`${'y'.repeat(75)}=\r\n${'y'.repeat(25)}`);
    // A line of exactly 76 needs no soft break.
    expect(encodeQuotedPrintable('z'.repeat(76))).toBe('z'.repeat(76));
  });

  it('keeps a lone surrogate readable (as U+FFFD, like Buffer.from)', () => {
    expect(decode(encodeQuotedPrintable('a\ud800b'))).toBe('a\ufffdb');
  });
});
