import { createInstance } from 'i18next';
import { describe, expect, it } from 'vitest';
import {
  parseSegmentQuery,
  QUERY_ERROR_CODES,
  type QueryError,
} from '../../../../src/modules/segments/query-syntax.ts';
import {
  BAD_QUERIES,
  QUERY_TEST_CUSTOM_FIELDS,
} from '../../../../src/modules/segments/query-syntax-test-cases.ts';
import en from '../../i18n/en.json';
import es from '../../i18n/es.json';
import fr from '../../i18n/fr.json';
import { queryErrorText } from './problems';

type Translate = (key: string, options?: Record<string, unknown>) => string;
const LANGUAGES = { en, es, fr } as const;

async function translator(language: keyof typeof LANGUAGES): Promise<Translate> {
  const i18n = createInstance();
  await i18n.init({
    resources: Object.fromEntries(
      Object.entries(LANGUAGES).map(([lng, translation]) => [lng, { translation }]),
    ),
    lng: language,
    fallbackLng: 'en',
    interpolation: { escapeValue: false },
  });
  return i18n.t.bind(i18n) as unknown as Translate;
}

/** The errors the parser really gives, one query per code: the params each code really gets. */
function realErrors(): QueryError[] {
  const found: QueryError[] = [];
  for (const [text] of BAD_QUERIES) {
    const result = parseSegmentQuery(text, { customFields: QUERY_TEST_CUSTOM_FIELDS });
    if (!result.ok) found.push(...result.errors);
  }
  const notText = parseSegmentQuery(42 as unknown as string, { customFields: [] });
  if (!notText.ok) found.push(...notText.errors);
  return found;
}

const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((match) => match[1]!);

describe('query syntax errors in the reader’s language', () => {
  const errors = realErrors();

  it('every code has a wording in en, es and fr that uses only the params the parser gives it', () => {
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(QUERY_ERROR_CODES));
    for (const [language, wordings] of Object.entries(LANGUAGES)) {
      const queryErrors = wordings.segments.queryErrors as Record<string, string>;
      for (const code of QUERY_ERROR_CODES) {
        expect(queryErrors[code], `${language} ${code}`).toEqual(expect.any(String));
        const given = errors.filter((e) => e.code === code).map((e) => Object.keys(e.params ?? {}));
        for (const name of placeholders(queryErrors[code]!))
          for (const params of given) expect(params, `${language} ${code} {{${name}}}`).toContain(name);
      }
    }
  });

  it('words each real error with its params in place, and each language in its own words', async () => {
    const worded: Record<string, string[]> = {};
    for (const language of ['en', 'es', 'fr'] as const) {
      const t = await translator(language);
      worded[language] = errors.map((error) => {
        const text = queryErrorText(t, error);
        expect(text, `${language} ${error.code}`).not.toMatch(/\{\{|\}\}|segments\.query/);
        if (language !== 'en') expect(text, `${language} ${error.code}`).not.toBe(error.message);
        return text;
      });
    }
    errors.forEach((error, i) => {
      expect(worded.es![i], error.code).not.toBe(worded.en![i]);
      expect(worded.fr![i], error.code).not.toBe(worded.en![i]);
    });
  });

  it('adds "did you mean" as its own sentence, translates repeated arguments, falls back to the message', async () => {
    const es = await translator('es');
    const fr = await translator('fr');
    const parse = (text: string) => {
      const result = parseSegmentQuery(text, { customFields: QUERY_TEST_CUSTOM_FIELDS });
      if (result.ok) throw new Error(`${text} parsed`);
      return result.errors[0]!;
    };
    expect(queryErrorText(es, parse('citi:Madrid'))).toBe('No existe el campo «citi». ¿Querías decir city?');
    expect(queryErrorText(es, parse('x:1'))).toBe('No existe el campo «x»');
    expect(queryErrorText(fr, parse('opened(emial)'))).toBe(
      "opened(…) n'accepte pas « emial » : il accepte une durée (30d), un canal (email, sms, whatsapp) et campaign:<id>. Vouliez-vous dire email ?",
    );
    expect(queryErrorText(es, parse('booking.count(30d,30d)>1'))).toBe(
      'Se repite entre los paréntesis: el periodo',
    );
    expect(queryErrorText(es, parse('ltv:500..100'))).toBe('El rango está al revés: escribe ltv:100..500');
    expect(queryErrorText(es, { message: 'from a newer server', code: 'no_such_code' })).toBe(
      'from a newer server',
    );
    expect(queryErrorText(es, { message: 'no code at all' })).toBe('no code at all');
  });
});
