import { getCountries } from 'libphonenumber-js';

/** Languages the dashboard and message defaults come in. */
export const LOCALES = ['en', 'es', 'fr'] as const;
export type Locale = (typeof LOCALES)[number];

const COUNTRIES = new Set<string>(getCountries());

/** ISO 3166-1 alpha-2 codes with a telephone numbering plan (libphonenumber's list). */
export function isCountryCode(value: string): boolean {
  return COUNTRIES.has(value);
}

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
