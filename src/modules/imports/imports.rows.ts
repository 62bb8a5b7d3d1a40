import { getCountries } from 'libphonenumber-js';
import { isCountryCode, isTimeZone } from '../../platform/locale.ts';
import type { ClientValues } from '../clients/clients.repo.ts';
import { normalizeEmail, normalizePhone } from '../clients/clients.service.ts';
import { type CustomField, normalizeCustomValue } from '../custom-fields/custom-fields.service.ts';
import { validateTagName } from '../tags/tags.service.ts';
import { foldHeader } from './imports.mapping.ts';

/**
 * One file row → the client values the API would store, with the same rules as the clients
 * service (lengths, email shape, E.164 phones with the workspace's or the row's country, known
 * labels, past birthdays, custom field types), plus what only files need: dates in the
 * workspace's order (03/04/2025 is 3 April in es/fr), decimal commas, country names, tag lists.
 */
export interface RowContext {
  defaultCountry: string;
  /** Day before month (es, fr) or month before day (en) for dates written with slashes. */
  dateOrder: 'dmy' | 'mdy';
  decimalComma: boolean;
  labels: Set<string>;
  customFields: Map<string, CustomField>;
}

export interface RowProblem {
  column: string | null;
  value: string | null;
  reason: string;
}

export interface NormalizedRow {
  values: ClientValues;
  custom: Record<string, unknown>;
  tags: string[];
  problems: RowProblem[];
}

/** header index → target, resolved once per import. */
export interface ColumnPlan {
  index: number;
  header: string;
  target: string;
}

let countryNames: Map<string, string> | null = null;

/** "España", "Spain", "Espagne", "es", "ESP"… → ES. */
export function countryCodeOf(value: string): string | null {
  const raw = value.trim();
  if (/^[A-Za-z]{2}$/.test(raw) && isCountryCode(raw.toUpperCase())) return raw.toUpperCase();
  if (!countryNames) {
    countryNames = new Map();
    for (const language of ['en', 'es', 'fr']) {
      const names = new Intl.DisplayNames([language], { type: 'region' });
      for (const code of getCountries()) {
        const name = names.of(code);
        if (name) countryNames.set(foldHeader(name), code);
      }
    }
    for (const [alias, code] of [
      ['usa', 'US'],
      ['united states of america', 'US'],
      ['uk', 'GB'],
      ['great britain', 'GB'],
      ['england', 'GB'],
      ['eeuu', 'US'],
      ['ee uu', 'US'],
      ['esp', 'ES'],
      ['fra', 'FR'],
    ] as const)
      countryNames.set(alias, code);
  }
  return countryNames.get(foldHeader(raw)) ?? null;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function validYmd(y: number, m: number, d: number): string | null {
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return `${y}-${pad(m)}-${pad(d)}`;
}

/**
 * A date cell as YYYY-MM-DD: an XLSX date, an Excel serial number, ISO text, or day/month/year
 * (month/day/year in English workspaces) with `/`, `-` or `.`; two-digit years pivot at 30.
 */
export function parseDate(value: unknown, order: 'dmy' | 'mdy'): string | null {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return null;
    return value.toISOString().slice(0, 10);
  }
  if (typeof value === 'number') {
    if (value < 1 || value > 100_000) return null;
    return new Date(Date.UTC(1899, 11, 30) + Math.floor(value) * 86_400_000).toISOString().slice(0, 10);
  }
  const text = String(value).trim();
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$/.exec(text);
  if (m) return validYmd(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$/.exec(text);
  if (m) return validYmd(Number(m[1]), Number(m[2]), Number(m[3]));
  m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})(?:[ T].*)?$/.exec(text);
  if (!m) return null;
  let year = Number(m[3]);
  if (m[3]!.length === 2) year += year < 30 ? 2000 : 1900;
  const [day, month] = order === 'dmy' ? [Number(m[1]), Number(m[2])] : [Number(m[2]), Number(m[1])];
  return validYmd(year, month, day);
}

/** "1.234,56" (es, fr), "1,234.56" (en), "1 234,5", "12,5": the last separator with 1–2 or 4+ digits after it is the decimal one. */
export function parseNumber(value: unknown, decimalComma: boolean): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  let text = String(value)
    .trim()
    .replace(/[\s\u00a0\u202f']/g, '')
    .replace(/[€$£%]/g, '');
  if (!/^[-+]?[\d.,]+$/.test(text)) return null;
  const comma = text.lastIndexOf(',');
  const dot = text.lastIndexOf('.');
  if (comma >= 0 && dot >= 0) {
    const decimal = comma > dot ? ',' : '.';
    const thousands = decimal === ',' ? '.' : ',';
    text = text.split(thousands).join('').replace(decimal, '.');
  } else if (comma >= 0) {
    const thousandsOnly = /^[-+]?\d{1,3}(,\d{3})+$/.test(text);
    text = thousandsOnly && !decimalComma ? text.replace(/,/g, '') : text.replace(/,/g, '.');
    if ((text.match(/\./g) ?? []).length > 1) return null;
  } else if (dot >= 0) {
    const thousandsOnly = /^[-+]?\d{1,3}(\.\d{3})+$/.test(text);
    if (thousandsOnly && decimalComma) text = text.replace(/\./g, '');
    else if ((text.match(/\./g) ?? []).length > 1) return null;
  }
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

const TRUE = new Set(['true', 'yes', 'y', 'si', 'oui', '1', 'x', 'vrai', 'verdadero']);
const FALSE = new Set(['false', 'no', 'n', 'non', '0', 'faux', 'falso']);

/**
 * Splits "vip, newsletter; 2024" into tag names. Mailchimp writes its tags quoted
 * (`"Spring promo","VIP, gold"`): a quoted name keeps its commas and loses its quotes.
 */
export function splitList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter(Boolean);
  const text = String(value);
  const names: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') {
      if (quoted && text[i + 1] === '"') {
        current += '"';
        i++;
      } else quoted = !quoted;
    } else if (!quoted && (ch === ',' || ch === ';')) {
      names.push(current);
      current = '';
    } else if (!quoted && text.startsWith(':::', i)) {
      // Google Contacts joins labels with " ::: ".
      names.push(current);
      current = '';
      i += 2;
    } else current += ch;
  }
  names.push(current);
  // Google Contacts marks its system labels with "* ".
  return names.map((v) => v.trim().replace(/^\* /, '')).filter(Boolean);
}

function cellText(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

function customValue(field: CustomField, raw: unknown, rc: RowContext): unknown {
  switch (field.type) {
    case 'number':
      return parseNumber(raw, rc.decimalComma) ?? cellText(raw);
    case 'date':
      return parseDate(raw, rc.dateOrder) ?? cellText(raw);
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const word = foldHeader(String(raw));
      return TRUE.has(word) ? true : FALSE.has(word) ? false : cellText(raw);
    }
    case 'multi_select':
      return splitList(raw);
    default:
      return typeof raw === 'number'
        ? String(raw)
        : raw instanceof Date
          ? raw.toISOString().slice(0, 10)
          : cellText(raw);
  }
}

const TEXT_MAX: Record<string, number> = {
  first_name: 200,
  last_name: 200,
  city: 200,
  source: 200,
  external_id: 200,
};
const TEXT_COLUMN = {
  first_name: 'firstName',
  last_name: 'lastName',
  city: 'city',
  source: 'source',
  external_id: 'externalId',
} as const;

function isBlank(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === 'string' && value.trim() === '');
}

export function normalizeRow(cells: unknown[], plan: ColumnPlan[], rc: RowContext): NormalizedRow {
  const values: ClientValues = {};
  const custom: Record<string, unknown> = {};
  const tags: string[] = [];
  const problems: RowProblem[] = [];
  const problem = (column: ColumnPlan, raw: unknown, reason: string) =>
    problems.push({ column: column.header, value: cellText(raw).slice(0, 500), reason });
  let phoneColumn: ColumnPlan | null = null;
  let phoneRaw: unknown = null;
  // Country first: national phone numbers are read with it.
  for (const column of plan) {
    if (column.target !== 'country') continue;
    const raw = cells[column.index];
    if (isBlank(raw)) continue;
    const code = countryCodeOf(String(raw));
    if (!code) problem(column, raw, 'not a country (use an ISO code such as ES, or its name)');
    else values.country = code;
  }
  for (const column of plan) {
    const raw = cells[column.index];
    if (isBlank(raw)) continue;
    const target = column.target;
    switch (target) {
      case 'first_name':
      case 'last_name':
      case 'city':
      case 'source':
      case 'external_id': {
        const text = cellText(raw).trim();
        if (text.length > TEXT_MAX[target]!) problem(column, raw, `at most ${TEXT_MAX[target]} characters`);
        else if (values[TEXT_COLUMN[target]] == null) values[TEXT_COLUMN[target]] = text;
        break;
      }
      case 'full_name': {
        const text = cellText(raw).trim().replace(/\s+/g, ' ');
        const space = text.indexOf(' ');
        if (values.firstName == null) values.firstName = space < 0 ? text : text.slice(0, space);
        if (values.lastName == null && space >= 0) values.lastName = text.slice(space + 1);
        break;
      }
      case 'email': {
        if (values.email) break;
        const email = normalizeEmail(cellText(raw));
        if (email.length > 254 || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email))
          problem(column, raw, 'not a valid email address');
        else values.email = email;
        break;
      }
      case 'phone':
        // The first non-empty phone column is the one; checked after the country is known.
        if (!phoneColumn) {
          phoneColumn = column;
          phoneRaw = raw;
        }
        break;
      case 'country':
        break;
      case 'locale': {
        const locale = cellText(raw).trim();
        if (!/^[a-z]{2,3}(-[A-Za-z]{2,4})?$/.test(locale))
          problem(column, raw, 'a language tag such as es, fr or en-GB');
        else values.locale = locale;
        break;
      }
      case 'timezone': {
        const tz = cellText(raw).trim();
        if (!isTimeZone(tz)) problem(column, raw, 'not an IANA time zone such as Europe/Madrid');
        else values.timezone = tz;
        break;
      }
      case 'label': {
        const label = cellText(raw).trim();
        if (!rc.labels.has(label))
          problem(column, raw, `unknown label; this workspace has ${[...rc.labels].join(', ')}`);
        else values.label = label;
        break;
      }
      case 'birthday': {
        // Outlook writes an unknown birthday as 0/0/00.
        if (/^0+[/.-]0+[/.-]0+$/.test(cellText(raw).trim())) break;
        const date = parseDate(raw, rc.dateOrder);
        const today = new Date().toISOString().slice(0, 10);
        if (!date || date < '1900-01-01' || date > today)
          problem(
            column,
            raw,
            `not a past date (${rc.dateOrder === 'dmy' ? 'DD/MM/YYYY' : 'MM/DD/YYYY'} or YYYY-MM-DD)`,
          );
        else values.birthday = date;
        break;
      }
      case 'tags':
        for (const name of splitList(raw)) {
          const bad = validateTagName(name, '/tags');
          if (bad) problem(column, name, `tag ${bad.message}`);
          else if (!tags.some((t) => t.toLowerCase() === name.toLowerCase())) tags.push(name);
        }
        break;
      default: {
        if (!target.startsWith('custom.') && !target.startsWith('new.')) break;
        const key = target.slice(target.indexOf('.') + 1);
        const field = rc.customFields.get(key);
        if (!field) {
          problem(column, raw, `unknown custom field "${key}"`);
          break;
        }
        const result = normalizeCustomValue(
          field,
          customValue(field, raw, rc),
          values.country ?? rc.defaultCountry,
        );
        if ('error' in result) problem(column, raw, result.error);
        else if (result.value !== null) custom[key] = result.value;
      }
    }
  }
  if (phoneColumn) {
    const country = values.country ?? rc.defaultCountry;
    const text = cellText(phoneRaw);
    // Exports such as Brevo's write international numbers as bare digits ("33611223344").
    const phone =
      normalizePhone(text, country) ??
      (/^\d{10,15}$/.test(text.trim()) ? normalizePhone(`+${text.trim()}`, country) : null);
    if (!phone)
      problem(
        phoneColumn,
        phoneRaw,
        `not a possible phone number (numbers without a country code are read as ${country})`,
      );
    else values.phone = phone;
  }
  if (!problems.length && !values.firstName && !values.lastName && !values.email && !values.phone)
    problems.push({
      column: null,
      value: null,
      reason: 'a client needs at least a name, an email or a phone',
    });
  return { values, custom, tags, problems };
}
