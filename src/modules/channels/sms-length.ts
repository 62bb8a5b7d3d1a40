/**
 * SMS length as carriers count it (3GPP TS 23.038): a message that fits the GSM 7-bit alphabet
 * takes 160 septets in one part, 153 per part when split (the rest is the concatenation header);
 * characters of the extension table (€ [ ] { } ^ ~ \ | and form feed) take two septets. Anything
 * outside the alphabet forces UCS-2: 70 UTF-16 units alone, 67 per part. Pure, shared with the
 * dashboard's composer.
 */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '\f^{}\\[~]|€';

const basic = new Set(GSM_BASIC);
const extended = new Set(GSM_EXTENDED);

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsLength {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
  /** Units per segment for this message (160/153 or 70/67). */
  perSegment: number;
  /** Units left in the last segment before another one starts. */
  remaining: number;
  /** Characters that forced UCS-2 (first few), to show the author what to replace. */
  nonGsmCharacters: string[];
}

export function smsLength(text: string): SmsLength {
  let septets = 0;
  const nonGsm: string[] = [];
  for (const char of text) {
    if (basic.has(char)) septets += 1;
    else if (extended.has(char)) septets += 2;
    else if (!nonGsm.includes(char)) nonGsm.push(char);
  }
  if (nonGsm.length === 0) return measure('GSM-7', septets, 160, 153, []);
  // UCS-2 counts UTF-16 code units: an emoji outside the BMP takes two.
  return measure('UCS-2', text.length, 70, 67, nonGsm.slice(0, 10));
}

function measure(
  encoding: SmsEncoding,
  units: number,
  single: number,
  multi: number,
  nonGsmCharacters: string[],
): SmsLength {
  if (units <= single) {
    return {
      encoding,
      units,
      segments: units === 0 ? 0 : 1,
      perSegment: single,
      remaining: single - units,
      nonGsmCharacters,
    };
  }
  const segments = Math.ceil(units / multi);
  return {
    encoding,
    units,
    segments,
    perSegment: multi,
    remaining: segments * multi - units,
    nonGsmCharacters,
  };
}
