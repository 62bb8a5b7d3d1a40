import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { AppError } from '../../platform/errors.ts';

/**
 * Reads any supported client file as a header row and a stream of cell rows, never holding the
 * file in memory: CSV/TSV (delimiter and encoding detected), XLSX (streaming, first or chosen
 * sheet), a JSON array (split element by element) and NDJSON.
 */
export const IMPORT_FORMATS = ['csv', 'xlsx', 'json', 'ndjson'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface FileShape {
  format: ImportFormat;
  encoding: string | null;
  delimiter: string | null;
  sheet: string | null;
  sheets: string[];
}

export interface TableRow {
  /** Where the row is in the file as a person counts it: spreadsheet row (header = 1) or array position (1-based). */
  row: number;
  cells: unknown[];
}

const SAMPLE_BYTES = 64 * 1024;
const DELIMITERS = [',', ';', '\t', '|'] as const;

async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(SAMPLE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SAMPLE_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** UTF-8 (with or without BOM), UTF-16 (BOM or the NUL pattern of ASCII text), else Windows-1252 (a superset of Latin-1). */
export function detectEncoding(head: Buffer): string {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  if (head.length >= 4) {
    let evenNul = 0;
    let oddNul = 0;
    for (let i = 0; i < Math.min(head.length, 1000); i++)
      if (head[i] === 0) i % 2 === 0 ? evenNul++ : oddNul++;
    const half = Math.min(head.length, 1000) / 2;
    if (oddNul > half * 0.6 && evenNul === 0) return 'utf-16le';
    if (evenNul > half * 0.6 && oddNul === 0) return 'utf-16be';
  }
  // A multi-byte character may be cut at the end of the sample: drop up to 3 trailing bytes.
  for (let cut = 0; cut < 4; cut++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, Math.max(0, head.length - cut)));
      return 'utf-8';
    } catch {
      // try a shorter sample
    }
  }
  return 'windows-1252';
}

function countOutsideQuotes(line: string, delimiter: string): number {
  let count = 0;
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === delimiter && !quoted) count++;
  }
  return count;
}

/** The candidate that splits the first lines into the same, largest number of columns. */
export function detectDelimiter(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .slice(0, 30)
    .filter((l) => l.trim() !== '');
  if (lines.length > 1) lines.pop(); // the last sampled line may be cut
  let best: string = ',';
  let bestScore = -1;
  for (const delimiter of DELIMITERS) {
    const counts = lines.map((l) => countOutsideQuotes(l, delimiter));
    const first = counts[0] ?? 0;
    if (first === 0) continue;
    const consistent = counts.filter((c) => c === first).length / counts.length;
    const score = consistent * 1000 + first;
    if (score > bestScore) {
      bestScore = score;
      best = delimiter;
    }
  }
  return best;
}

function looksBinary(text: string): boolean {
  const sample = text.slice(0, 4000);
  if (!sample) return false;
  let control = 0;
  for (let i = 0; i < sample.length; i++) {
    const code = sample.charCodeAt(i);
    if ((code < 32 && code !== 9 && code !== 10 && code !== 13) || code === 0xfffd) control++;
  }
  return control / sample.length > 0.02;
}

/** Looks at the first bytes (and the name) and says how to read the file; a file we cannot read is a 400 naming why. */
export async function inspectFile(path: string, fileName: string): Promise<FileShape> {
  const head = await readHead(path);
  const lower = fileName.toLowerCase();
  if (head.length === 0) throw AppError.validation([{ path: '/file', message: 'the file is empty' }]);
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    const sheets = await xlsxSheetNames(path);
    return { format: 'xlsx', encoding: null, delimiter: null, sheet: sheets[0] ?? null, sheets };
  }
  if (lower.endsWith('.xlsx') || lower.endsWith('.xls'))
    throw AppError.validation([
      { path: '/file', message: 'not an XLSX workbook (old .xls files: save as .xlsx or CSV first)' },
    ]);
  const encoding = detectEncoding(head);
  const text = iconv.decode(head, encoding).replace(/^\uFEFF/, '');
  if (looksBinary(text))
    throw AppError.validation([
      { path: '/file', message: 'this is not a text file: use CSV, TSV, XLSX, JSON or NDJSON' },
    ]);
  const start = text.trimStart()[0];
  if (start === '[' || lower.endsWith('.json'))
    return { format: 'json', encoding, delimiter: null, sheet: null, sheets: [] };
  if (start === '{' || lower.endsWith('.ndjson') || lower.endsWith('.jsonl'))
    return { format: 'ndjson', encoding, delimiter: null, sheet: null, sheets: [] };
  const delimiter = lower.endsWith('.tsv') ? '\t' : detectDelimiter(text);
  return { format: 'csv', encoding, delimiter, sheet: null, sheets: [] };
}

async function xlsxSheetNames(path: string): Promise<string[]> {
  const names: string[] = [];
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(path, {
    worksheets: 'emit',
    sharedStrings: 'ignore',
    styles: 'ignore',
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  for await (const sheet of reader) {
    names.push((sheet as unknown as { name: string }).name);
    // Drain quickly: only the names are wanted.
    for await (const _row of sheet) break;
  }
  return names;
}

function decodedStream(path: string, encoding: string): Readable {
  return createReadStream(path).pipe(iconv.decodeStream(encoding, { stripBOM: true })) as unknown as Readable;
}

async function* csvRows(path: string, shape: FileShape): AsyncGenerator<unknown[]> {
  const parser = decodedStream(path, shape.encoding ?? 'utf-8').pipe(
    parseCsv({
      delimiter: shape.delimiter ?? ',',
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      bom: true,
    }),
  );
  for await (const record of parser) yield record as unknown[];
}

/** A cell as a plain value: rich text and hyperlinks as their text, formulas as their result. */
function xlsxCell(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  if (typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  if (Array.isArray(v.richText)) return (v.richText as Array<{ text: string }>).map((r) => r.text).join('');
  if ('result' in v) return xlsxCell(v.result);
  if ('text' in v) return xlsxCell(v.text);
  if ('error' in v) return null;
  return String(value);
}

async function* xlsxRows(path: string, shape: FileShape): AsyncGenerator<unknown[]> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(path, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    // Styles tell dates from numbers.
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  let done = false;
  for await (const sheet of reader) {
    const name = (sheet as unknown as { name: string }).name;
    if (done || (shape.sheet && name !== shape.sheet)) {
      for await (const _row of sheet) {
        // skip the other sheets' rows
      }
      continue;
    }
    let expected = 1;
    for await (const row of sheet) {
      // Empty rows are absent from the stream; keep row numbers true to the sheet.
      while (expected < row.number) {
        expected++;
        yield [];
      }
      expected = row.number + 1;
      const values = (row.values as unknown[]).slice(1);
      yield Array.from(values, xlsxCell);
    }
    done = true;
  }
}

/** Splits a JSON array into its elements as they stream by (strings and nesting tracked), one JSON.parse each. */
async function* jsonArrayElements(path: string, encoding: string): AsyncGenerator<unknown> {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let current = '';
  let started = false;
  for await (const chunk of decodedStream(path, encoding)) {
    const text = chunk as string;
    let from = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (ch === '\\') escaped = true;
        else if (ch === '"') inString = false;
        continue;
      }
      if (ch === '"') inString = true;
      else if (ch === '[' || ch === '{') {
        depth++;
        if (depth === 1) {
          if (ch !== '[')
            throw AppError.validation([{ path: '/file', message: 'a JSON file must be an array' }]);
          started = true;
          from = i + 1;
        }
      } else if (ch === ']' || ch === '}') {
        depth--;
        if (depth === 0) {
          current += text.slice(from, i);
          if (current.trim()) yield JSON.parse(current);
          current = '';
          from = i + 1;
          return;
        }
      } else if (ch === ',' && depth === 1) {
        current += text.slice(from, i);
        yield JSON.parse(current);
        current = '';
        from = i + 1;
      }
    }
    if (started && depth >= 1) current += text.slice(from);
  }
}

async function* ndjsonElements(path: string, encoding: string): AsyncGenerator<unknown> {
  let rest = '';
  for await (const chunk of decodedStream(path, encoding)) {
    rest += chunk as string;
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) yield JSON.parse(line);
  }
  if (rest.trim()) yield JSON.parse(rest);
}

function objectCells(element: unknown, headers: string[], row: number): unknown[] {
  if (!element || typeof element !== 'object' || Array.isArray(element))
    throw new AppError('VALIDATION_FAILED', `Row ${row}: each element must be an object`, [
      { path: `/rows/${row}`, message: 'each element must be an object' },
    ]);
  const object = element as Record<string, unknown>;
  return headers.map((h) => object[h] ?? null);
}

/** The first header row made unique ("Phone", "Phone (2)") and never blank. */
function uniqueHeaders(raw: unknown[]): string[] {
  const seen = new Map<string, number>();
  return raw.map((cell, i) => {
    const base = String(cell ?? '').trim() || `Column ${i + 1}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base} (${n})`;
  });
}

const JSON_HEADER_SAMPLE = 200;

/**
 * The header and an iterator over data rows. For JSON the headers are the keys of the first
 * elements (in order of appearance); a key first seen later is ignored.
 */
export async function openTable(
  path: string,
  shape: FileShape,
): Promise<{ headers: string[]; rows: AsyncGenerator<TableRow> }> {
  if (shape.format === 'json' || shape.format === 'ndjson') {
    const read = () =>
      shape.format === 'json'
        ? jsonArrayElements(path, shape.encoding ?? 'utf-8')
        : ndjsonElements(path, shape.encoding ?? 'utf-8');
    const keys = new Set<string>();
    let n = 0;
    try {
      for await (const element of read()) {
        if (element && typeof element === 'object') for (const k of Object.keys(element)) keys.add(k);
        if (++n >= JSON_HEADER_SAMPLE) break;
      }
    } catch (error) {
      if (error instanceof SyntaxError)
        throw AppError.validation([{ path: '/file', message: `not valid JSON: ${error.message}` }]);
      throw error;
    }
    const headers = [...keys];
    async function* rows(): AsyncGenerator<TableRow> {
      let row = 0;
      for await (const element of read()) {
        row++;
        yield { row, cells: objectCells(element, headers, row) };
      }
    }
    return { headers, rows: rows() };
  }
  const source = shape.format === 'xlsx' ? xlsxRows(path, shape) : csvRows(path, shape);
  const first = await source.next();
  const headers = first.done ? [] : uniqueHeaders(first.value);
  async function* rows(): AsyncGenerator<TableRow> {
    let row = 1;
    for await (const cells of source) {
      row++;
      if (cells.every((c) => c === null || c === undefined || String(c).trim() === '')) continue;
      yield { row, cells };
    }
  }
  return { headers, rows: rows() };
}
