/**
 * Quoted-printable (RFC 2045 §6.7) in one pass over the UTF-8 bytes, for the body parts of campaign
 * emails (email-mime.ts).
 *
 * nodemailer's encoder escapes into a string and then soft-wraps that string with a loop of regular
 * expressions; at a campaign's rate the two were the largest single CPU cost of building a message
 * (bench/campaigns-send.ts profile: 5 % of the sending process). This writes each byte once into a
 * buffer, line ends normalised to CRLF, and breaks lines itself:
 * - every line, its soft break `=` included, is at most 76 characters;
 * - an `=XX` escape and the bytes of one UTF-8 character are never split across a soft break (a
 *   decoder would join them, but some clients show the halves);
 * - a space or tab before a line break, or at the very end, is escaped (`=20`, `=09`), so a
 *   transport that strips trailing whitespace cannot change the text.
 */

const MAX_LINE = 76;
const HEX = Buffer.from('0123456789ABCDEF', 'latin1');
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;

/**
 * Per byte: 2 for printable ASCII but `=` and space (written as it is wherever it stands), 1 for
 * space and tab (as they are, unless they end a line), 0 for the rest (escaped, or a line break).
 */
const KIND = new Uint8Array(256);
for (let b = 0x21; b <= 0x7e; b++) KIND[b] = b === 0x3d ? 0 : 2;
KIND[SPACE] = 1;
KIND[TAB] = 1;

/** Bytes in the UTF-8 character that starts with `lead` (1 for ASCII and for a stray continuation byte). */
function characterLength(lead: number): number {
  if (lead >= 0xf0 && lead <= 0xf7) return 4;
  if (lead >= 0xe0) return lead <= 0xef ? 3 : 1;
  if (lead >= 0xc0) return 2;
  return 1;
}

export function encodeQuotedPrintable(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const length = bytes.length;
  // At worst every byte is escaped (3 characters), plus a soft break (3) for every 24 bytes of that.
  const out = Buffer.allocUnsafe(length * 3 + Math.ceil(length / 24) * 3 + 3);
  let at = 0;
  let column = 0;
  let i = 0;
  while (i < length) {
    const byte = bytes[i]!;
    // The common case, most of any message: a plain character with room left on its line.
    if (KIND[byte] === 2 && column < MAX_LINE - 1) {
      out[at++] = byte;
      column++;
      i++;
      continue;
    }
    if (byte === CR || byte === LF) {
      // CRLF, a lone CR and a lone LF are each one line break.
      out[at++] = CR;
      out[at++] = LF;
      column = 0;
      i += byte === CR && bytes[i + 1] === LF ? 2 : 1;
      continue;
    }
    let count = byte < 0x80 ? 1 : characterLength(byte);
    if (i + count > length) count = length - i;
    // A multi-byte character whose continuation bytes are wrong is written byte by byte.
    for (let k = 1; k < count; k++) {
      const continuation = bytes[i + k]!;
      if (continuation < 0x80 || continuation > 0xbf) {
        count = 1;
        break;
      }
    }
    // Whether this character ends its line (then it needs no room for a soft break after it).
    const endsLine = i + count >= length || bytes[i + count] === CR || bytes[i + count] === LF;
    let width: number;
    if (count > 1) width = 3 * count;
    else if (KIND[byte] === 0) width = 3;
    else if (KIND[byte] === 1) width = endsLine ? 3 : 1;
    else width = 1;
    // The line must keep room for its soft break `=` unless this character ends the line anyway.
    if (column + width > (endsLine ? MAX_LINE : MAX_LINE - 1)) {
      out[at++] = 0x3d;
      out[at++] = CR;
      out[at++] = LF;
      column = 0;
    }
    if (width === 1) {
      out[at++] = byte;
    } else {
      for (let k = 0; k < count; k++) {
        const b = bytes[i + k]!;
        out[at++] = 0x3d;
        out[at++] = HEX[b >> 4]!;
        out[at++] = HEX[b & 15]!;
      }
    }
    column += width;
    i += count;
  }
  return out.toString('latin1', 0, at);
}
