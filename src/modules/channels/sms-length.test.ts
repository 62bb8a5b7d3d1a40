import { describe, expect, it } from 'vitest';
import { smsLength } from './sms-length.ts';

describe('smsLength', () => {
  it('counts GSM-7: 160 in one part, 153 per part beyond; extension characters take two', () => {
    expect(smsLength('')).toMatchObject({ encoding: 'GSM-7', units: 0, segments: 0 });
    expect(smsLength('a'.repeat(160))).toMatchObject({ encoding: 'GSM-7', segments: 1, remaining: 0 });
    expect(smsLength('a'.repeat(161))).toMatchObject({
      encoding: 'GSM-7',
      segments: 2,
      perSegment: 153,
      remaining: 145,
    });
    expect(smsLength('a'.repeat(306))).toMatchObject({ segments: 2 });
    expect(smsLength('a'.repeat(307))).toMatchObject({ segments: 3 });
    expect(smsLength('€'.repeat(80))).toMatchObject({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(smsLength('Señora Müller, ¿vienes? ñ Ñ ü é à')).toMatchObject({ encoding: 'GSM-7' });
  });

  it('falls back to UCS-2 for any other character: 70 alone, 67 per part, emoji count two', () => {
    expect(smsLength('á'.repeat(70))).toMatchObject({
      encoding: 'UCS-2',
      segments: 1,
      nonGsmCharacters: ['á'],
    });
    expect(smsLength('á'.repeat(71))).toMatchObject({ encoding: 'UCS-2', segments: 2, perSegment: 67 });
    expect(smsLength('😊')).toMatchObject({ encoding: 'UCS-2', units: 2, segments: 1 });
    expect(smsLength(`${'a'.repeat(69)}Ç`)).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(smsLength(`${'a'.repeat(69)}ó`)).toMatchObject({ encoding: 'UCS-2', segments: 1, remaining: 0 });
  });
});
