import { describe, expect, it } from 'vitest';
import { checkVariant, findClaims, mapVariable } from './ai.checks.ts';
import { parseVariants } from './ai.prompts.ts';

describe('what the assistant checks on model output', () => {
  it('maps invented variables to known ones, and leaves unknowable ones alone', () => {
    expect(mapVariable('customer.firstname')).toBe('client.first_name');
    expect(mapVariable('first_name')).toBe('client.first_name');
    expect(mapVariable('client.frist_name')).toBe('client.first_name');
    expect(mapVariable('client.ctiy')).toBe('client.city');
    expect(mapVariable('business_name')).toBe('sender.workspace');
    expect(mapVariable('promo_code')).toBe('coupon.code');
    expect(mapVariable('contact["Last Name"]')).toBe('client.last_name');
    expect(mapVariable('plan', ['plan'])).toBe('client.custom.plan');
    expect(mapVariable('foo')).toBeNull();
    expect(mapVariable('client.favourite_colour')).toBeNull();
  });

  it("keeps the advisor seed's single-brace variables and flags unknown placeholders with their place", () => {
    const seed = checkVariant(
      { subject: null, body: 'Hola {nombre_cliente}, soy {nombre_asesor}' },
      { channel: 'sms', claims: [] },
    );
    expect(seed).toMatchObject({ valid: true, repairs: [] });
    const unknown = checkVariant(
      { subject: null, body: 'Hi\nyour {zodiac_sign} today' },
      { channel: 'sms', claims: [] },
    );
    expect(unknown.valid).toBe(false);
    expect(unknown.problems).toEqual([expect.objectContaining({ path: '/body', line: 2, column: 6 })]);
  });

  it('finds forbidden claims ignoring case and accents, with offsets of the whole sentence', () => {
    const text = 'Bienvenida. ¡Le garantizamos la CURACIÓN total! Nada más.';
    const hits = findClaims(text, 'body', ['curacion', 'milagro']);
    expect(hits).toEqual([
      {
        field: 'body',
        claim: 'curacion',
        sentence: '¡Le garantizamos la CURACIÓN total!',
        start: 12,
        end: 47,
      },
    ]);
    expect(text.slice(hits[0]!.start, hits[0]!.end)).toBe(hits[0]!.sentence);
    // In an email's HTML, tags end sentences too.
    const html = '<p>Hola.</p><p>Our massage cures back pain</p>';
    expect(findClaims(html, 'body', ['cures'])[0]!.sentence).toBe('Our massage cures back pain');
    // A claim is a whole word or phrase, not part of another word.
    expect(findClaims('Secure your place', 'body', ['cure'])).toEqual([]);
  });

  it('applies the WhatsApp template body rules and counts SMS parts', () => {
    const whatsapp = checkVariant(
      {
        subject: 'dropped',
        body: '{{ client.first_name }}{{ client.city }} hola\n\n\nadiós {{ sender.name }}',
      },
      { channel: 'whatsapp', claims: [] },
    );
    expect(whatsapp.subject).toBeNull();
    expect(whatsapp.warnings.map((w) => w.message)).toEqual([
      'a WhatsApp template body may not start or end with a variable',
      'WhatsApp does not accept two variables side by side',
      'WhatsApp template bodies allow at most one empty line in a row',
    ]);
    const long = checkVariant({ subject: null, body: 'x'.repeat(1100) }, { channel: 'whatsapp', claims: [] });
    expect(long.warnings[0]!.code).toBe('whatsapp_body');
    const sms = checkVariant(
      { subject: null, body: 'á'.repeat(80) },
      { channel: 'sms', claims: [], smsSegments: 1 },
    );
    expect(sms.sms).toEqual({ segments: 2, encoding: 'UCS-2', units: 80 });
    expect(sms.warnings[0]!.code).toBe('sms_segments');
    const fits = checkVariant(
      { subject: null, body: 'á'.repeat(80) },
      { channel: 'sms', claims: [], smsSegments: 2, maxLength: 50 },
    );
    expect(fits.warnings.map((w) => w.code)).toEqual(['too_long']);
  });

  it('reads the JSON out of code fences and refuses anything else', () => {
    expect(parseVariants('Here:\n```json\n{"variants":[{"subject":"a","body":"b"}]}\n```')).toEqual([
      { subject: 'a', body: 'b' },
    ]);
    expect(() => parseVariants('no json')).toThrow(/did not answer with the JSON/);
    expect(() => parseVariants('{"variants": []}')).toThrow(/without any variant/);
    expect(() => parseVariants('{"variants": [{"x": 1}]}')).toThrow(/hold no text/);
  });
});
