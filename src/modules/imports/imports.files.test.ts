import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../platform/errors.ts';
import { foldHeader, headerShape, proposeMapping } from './imports.mapping.ts';
import { detectDelimiter, detectEncoding, inspectFile, openTable } from './imports.reader.ts';
import {
  countryCodeOf,
  normalizeRow,
  parseDate,
  parseNumber,
  type RowContext,
  splitList,
} from './imports.rows.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/imports');
const fixture = (name: string) => path.join(FIXTURES, name);

async function readAll(name: string, sheet?: string) {
  const shape = await inspectFile(fixture(name), name);
  if (sheet) shape.sheet = sheet;
  const { headers, rows } = await openTable(fixture(name), shape);
  const all = [];
  for await (const row of rows) all.push(row);
  return { shape, headers, rows: all };
}

const rc: RowContext = {
  defaultCountry: 'ES',
  dateOrder: 'dmy',
  decimalComma: true,
  labels: new Set(['prospect', 'customer']),
  customFields: new Map(),
};

describe('reading files', () => {
  it('reads a Windows-1252 Spanish sheet with ; and day-first dates', async () => {
    const { shape, headers, rows } = await readAll('spanish-excel.csv');
    expect(shape).toMatchObject({ format: 'csv', encoding: 'windows-1252', delimiter: ';' });
    expect(headers).toEqual([
      'Nombre',
      'Apellidos',
      'Teléfono',
      'Móvil',
      'Correo electrónico',
      'Fecha de nacimiento',
      'Ciudad',
      'Etiquetas',
      'Gasto',
    ]);
    expect(rows[0]!.cells.slice(0, 2)).toEqual(['José', 'Núñez Peña']);
    expect(rows.map((r) => r.row)).toEqual([2, 3, 4]);
  });

  it('reads Latin-1 French, UTF-16 with tabs, quoted newlines with pipes', async () => {
    const latin = await readAll('latin1-fr.csv');
    expect(latin.shape.encoding).toBe('windows-1252');
    expect(latin.headers[0]).toBe('Prénom');
    expect(latin.rows[0]!.cells[0]).toBe('Élodie');
    const utf16 = await readAll('utf16-tab.txt');
    expect(utf16.shape).toMatchObject({ encoding: 'utf-16le', delimiter: '\t' });
    expect(utf16.rows[0]!.cells).toEqual(['Zoë Ørsted', 'zoe@example.dk', '+45 20 12 34 56']);
    const quoted = await readAll('quoted-newlines.csv');
    expect(quoted.shape.delimiter).toBe('|');
    expect(quoted.rows[0]!.cells[2]).toBe('first line\nsecond line');
    expect(quoted.rows[1]!.cells[2]).toBe('says "hello" | bye');
  });

  it('reads an XLSX sheet by name, with dates as dates and numbers as numbers', async () => {
    const { shape, headers, rows } = await readAll('hand-made-es.xlsx', 'Clientes');
    expect(shape.format).toBe('xlsx');
    expect(shape.sheets).toEqual(['Notas', 'Clientes']);
    expect(headers).toContain('Correo electrónico');
    expect(rows[0]!.cells[4]).toBeInstanceOf(Date);
    expect(rows[0]!.cells[6]).toBe(1234.5);
    expect(rows[1]!.cells[2]).toBe(612998877);
  });

  it('reads JSON arrays and NDJSON element by element', async () => {
    const json = await readAll('contacts.json');
    expect(json.shape.format).toBe('json');
    expect(json.headers).toEqual(['first_name', 'last_name', 'email', 'tags', 'phone', 'city']);
    expect(json.rows).toHaveLength(2);
    expect(json.rows[0]!.cells[3]).toEqual(['vip', 'json']);
    const nd = await readAll('contacts.ndjson');
    expect(nd.shape.format).toBe('ndjson');
    expect(nd.rows[1]!.cells[0]).toBe('Omar');
  });

  it('refuses empty and binary files with a reason; a header-only file has no rows', async () => {
    await expect(inspectFile(fixture('empty.csv'), 'empty.csv')).rejects.toThrow(AppError);
    await expect(inspectFile(fixture('binary.csv'), 'binary.csv')).rejects.toMatchObject({
      details: [{ path: '/file', message: expect.stringContaining('not a text file') }],
    });
    const headerOnly = await readAll('header-only.csv');
    expect(headerOnly.headers).toEqual(['first_name', 'last_name', 'email']);
    expect(headerOnly.rows).toEqual([]);
  });

  it('detects encodings and delimiters from samples', () => {
    expect(detectEncoding(Buffer.from('\uFEFFa,b', 'utf8'))).toBe('utf-8');
    expect(detectEncoding(Buffer.from('Prénom', 'latin1'))).toBe('windows-1252');
    expect(detectEncoding(Buffer.from('name,email\nJosé,a@b.c\n', 'utf8'))).toBe('utf-8');
    expect(detectDelimiter('a;b;c\n1;2,5;3\n')).toBe(';');
    expect(detectDelimiter('a\tb\n1\t2\n')).toBe('\t');
    expect(detectDelimiter('"x,y"|b\n1|2\n')).toBe('|');
  });
});

describe('mapping proposals', () => {
  it('maps English, Spanish and French headers and the export shapes', async () => {
    const google = proposeMapping((await readAll('google-contacts.csv')).headers, []);
    expect(google).toMatchObject({
      'First Name': 'first_name',
      'Last Name': 'last_name',
      'E-mail 1 - Value': 'email',
      'E-mail 1 - Label': 'ignore',
      'Phone 1 - Value': 'phone',
      Labels: 'tags',
      Birthday: 'birthday',
    });
    const spanish = proposeMapping((await readAll('spanish-excel.csv')).headers, []);
    expect(spanish).toMatchObject({
      Nombre: 'first_name',
      Apellidos: 'last_name',
      Teléfono: 'phone',
      Móvil: 'phone',
      'Correo electrónico': 'email',
      'Fecha de nacimiento': 'birthday',
      Etiquetas: 'tags',
      Gasto: 'ignore',
    });
    expect(proposeMapping(['Prénom', 'Nom', 'Courriel', 'Téléphone portable'], [])).toEqual({
      Prénom: 'first_name',
      Nom: 'last_name',
      Courriel: 'email',
      'Téléphone portable': 'phone',
    });
    expect(proposeMapping((await readAll('outlook.csv')).headers, [])).toMatchObject({
      'E-mail Address': 'email',
      'Mobile Phone': 'phone',
      Categories: 'tags',
      'Country/Region': 'country',
    });
    expect(proposeMapping((await readAll('hubspot.csv')).headers, [])).toMatchObject({
      'Record ID': 'external_id',
      Email: 'email',
    });
    expect(proposeMapping((await readAll('brevo.csv')).headers, [])).toMatchObject({
      'CONTACT ID': 'external_id',
      EMAIL: 'email',
      PRENOM: 'first_name',
      NOM: 'last_name',
      SMS: 'phone',
    });
    expect(proposeMapping((await readAll('mailchimp.csv')).headers, [])).toMatchObject({
      'Email Address': 'email',
      TAGS: 'tags',
    });
  });

  it('gives the same shape to the same headers in any order and case', () => {
    expect(headerShape(['Email', 'Nombre'])).toBe(headerShape(['nombre', 'EMAIL']));
    expect(headerShape(['Email'])).not.toBe(headerShape(['Email', 'Phone']));
    expect(foldHeader('Téléphone  portable!')).toBe('telephone portable');
  });
});

describe('row normalization', () => {
  it('reads dates in the workspace order, ISO, Excel serials and XLSX dates', () => {
    expect(parseDate('03/04/2025', 'dmy')).toBe('2025-04-03');
    expect(parseDate('03/04/2025', 'mdy')).toBe('2025-03-04');
    expect(parseDate('2025-04-03', 'mdy')).toBe('2025-04-03');
    expect(parseDate('31/02/1990', 'dmy')).toBeNull();
    expect(parseDate(45000, 'dmy')).toBe('2023-03-15');
    expect(parseDate(new Date(Date.UTC(1979, 3, 3)), 'dmy')).toBe('1979-04-03');
    expect(parseDate('3.4.85', 'dmy')).toBe('1985-04-03');
  });

  it('reads numbers with decimal commas and thousands separators', () => {
    expect(parseNumber('1.234,56', true)).toBe(1234.56);
    expect(parseNumber('1,234.56', false)).toBe(1234.56);
    expect(parseNumber('89,90', true)).toBe(89.9);
    expect(parseNumber('1 234,5 €', true)).toBe(1234.5);
    expect(parseNumber('1.234', true)).toBe(1234);
    expect(parseNumber('1.5', true)).toBe(1.5);
    expect(parseNumber('abc', true)).toBeNull();
  });

  it("splits tag lists on , ; and Google's :::, and reads Mailchimp's quoted tags without their quotes", async () => {
    expect(splitList('vip, newsletter; 2024')).toEqual(['vip', 'newsletter', '2024']);
    expect(splitList('* myContacts ::: VIP')).toEqual(['myContacts', 'VIP']);
    expect(splitList('"Spring promo","VIP, gold"')).toEqual(['Spring promo', 'VIP, gold']);
    const mailchimp = await readAll('mailchimp.csv');
    const mapping = proposeMapping(mailchimp.headers, []);
    const plan = mailchimp.headers
      .map((header, index) => ({ header, index, target: mapping[header]! }))
      .filter((c) => c.target !== 'ignore');
    const first = normalizeRow(mailchimp.rows[0]!.cells, plan, { ...rc, defaultCountry: 'FR' });
    expect(first.problems).toEqual([]);
    expect(first.tags).toEqual(['Spring promo', 'VIP']);
  });

  it('knows countries by code or name in three languages', () => {
    expect(countryCodeOf('es')).toBe('ES');
    expect(countryCodeOf('España')).toBe('ES');
    expect(countryCodeOf('Espagne')).toBe('ES');
    expect(countryCodeOf('United Kingdom')).toBe('GB');
    expect(countryCodeOf('Atlantis')).toBeNull();
  });

  it('normalizes like the API and reports each bad cell with its column and reason', () => {
    const plan = [
      { index: 0, header: 'Nombre', target: 'first_name' },
      { index: 1, header: 'Correo', target: 'email' },
      { index: 2, header: 'Móvil', target: 'phone' },
      { index: 3, header: 'Nacimiento', target: 'birthday' },
      { index: 4, header: 'País', target: 'country' },
      { index: 5, header: 'Etiquetas', target: 'tags' },
    ];
    const ok = normalizeRow(
      ['  José ', 'JOSE@Example.ES', '612 345 678', '03/04/1985', '', 'vip; Fiel'],
      plan,
      rc,
    );
    expect(ok.problems).toEqual([]);
    expect(ok.values).toEqual({
      firstName: 'José',
      email: 'jose@example.es',
      phone: '+34612345678',
      birthday: '1985-04-03',
    });
    expect(ok.tags).toEqual(['vip', 'Fiel']);
    const french = normalizeRow(['Marc', '', '06 12 34 56 78', '', 'France', ''], plan, rc);
    expect(french.values.phone).toBe('+33612345678');
    expect(french.values.country).toBe('FR');
    const bad = normalizeRow(['Ana', 'not-an-email', '12', '2999-01-01', '', ''], plan, rc);
    expect(bad.problems.map((p) => [p.column, p.value])).toEqual([
      ['Correo', 'not-an-email'],
      ['Nacimiento', '2999-01-01'],
      ['Móvil', '12'],
    ]);
    const nobody = normalizeRow(['', '', '', '', '', 'vip'], plan, rc);
    expect(nobody.problems[0]!.reason).toMatch(/at least a name, an email or a phone/);
  });
});
