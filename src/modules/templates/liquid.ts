import { Liquid, LiquidError, type Template } from 'liquidjs';
import type { ErrorDetail } from '../../platform/errors.ts';

/**
 * Liquid as templates use it. No file system (`templates: {}`: include/render/layout find
 * nothing), limits against templates that loop forever or build huge strings, unknown filters
 * refused when parsing, and dates keep the offset of the value they are given, so `now` rendered
 * with the client's offset shows the client's clock.
 */
function engine(escapeOutput: boolean): Liquid {
  return new Liquid({
    templates: {},
    strictFilters: true,
    strictVariables: false,
    preserveTimezones: true,
    parseLimit: 200_000,
    renderLimit: 2_000,
    memoryLimit: 10_000_000,
    ...(escapeOutput ? { outputEscape: 'escape' as const } : {}),
  });
}

/** Email bodies are HTML: every value is escaped. Subjects, SMS and WhatsApp are plain text. */
const htmlLiquid = engine(true);
const textLiquid = engine(false);

/** The advisor seed's single-brace variables and what they mean in Liquid. */
export const SEED_VARIABLES: Record<string, string> = {
  nombre_cliente: '{{ client.name }}',
  nombre_asesor: '{{ sender.name }}',
  telefono: '{{ client.phone }}',
  fecha_actual: '{{ now | date: "%d/%m/%Y" }}',
  hora_actual: '{{ now | date: "%H:%M" }}',
};

const SEED_PATTERN = new RegExp(`(?<!\\{)\\{(${Object.keys(SEED_VARIABLES).join('|')})\\}(?!\\})`, 'g');

/** `{nombre_cliente}` → `{{ client.name }}`; Liquid's own `{{ … }}` is left alone. */
export function translateSeedVariables(body: string): string {
  return body.replace(SEED_PATTERN, (_match, name: string) => SEED_VARIABLES[name]!);
}

/**
 * The variables a template may use: each entry is a path; `*` accepts any one further segment
 * (custom fields are the workspace's own keys).
 */
export const TEMPLATE_VARIABLES = [
  'client.first_name',
  'client.last_name',
  'client.name',
  'client.email',
  'client.phone',
  'client.city',
  'client.country',
  'client.tags',
  'client.custom.*',
  'sender.name',
  'sender.workspace',
  'location.name',
  'location.address',
  'coupon.code',
  'coupon.value',
  'coupon.expires_at',
  'today',
  'now',
  'unsubscribe_url',
  'preferences_url',
] as const;

/** Things a loop or `size` may read off a list or string: `client.tags.size`, `client.tags.first`. */
const COLLECTION_PROPERTIES = new Set(['size', 'first', 'last']);

function knownPath(segments: unknown[]): boolean {
  const names = segments.map((s) => (typeof s === 'string' || typeof s === 'number' ? String(s) : '*'));
  return TEMPLATE_VARIABLES.some((allowed) => {
    const parts = allowed.split('.');
    // A prefix (`coupon` in an `if`, `client.custom` in a loop) names an object that exists.
    if (names.length < parts.length)
      return parts.slice(0, names.length).every((p, i) => p === '*' || p === names[i]);
    const rest = names.slice(parts.length);
    const head = names.slice(0, parts.length);
    if (!parts.every((p, i) => p === '*' || p === head[i])) return false;
    return rest.length === 0 || (rest.length === 1 && COLLECTION_PROPERTIES.has(rest[0]!));
  });
}

function detailOf(error: unknown, path: string): ErrorDetail {
  if (error instanceof LiquidError) {
    // The message ends with ", line:L, col:C"; the position is the token's, the text before is what's wrong.
    const match = /^(.*?), line:(\d+), col:(\d+)/s.exec(error.message);
    if (match) return { path, message: match[1]!, line: Number(match[2]), column: Number(match[3]) };
    return { path, message: error.message };
  }
  return { path, message: error instanceof Error ? error.message : String(error) };
}

export interface CheckedTemplate {
  templates: Template[];
  problems: ErrorDetail[];
}

/**
 * Parses a template and lists every problem with its line and column: syntax, unknown filters,
 * unknown variables. `path` names the field (/body, /subject) in the error details.
 */
export function checkTemplate(source: string, path: string, options: { html: boolean }): CheckedTemplate {
  // A campaign renders the same few sources thousands of times: parse and check each once.
  const key = `${options.html ? 'h' : 't'}${path}\u0000${source}`;
  const cached = compiled.get(key);
  if (cached) return cached;
  const checked = parseAndCheck(source, path, options);
  if (compiled.size >= COMPILED_MAX) compiled.delete(compiled.keys().next().value!);
  compiled.set(key, checked);
  return checked;
}

const compiled = new Map<string, CheckedTemplate>();
const COMPILED_MAX = 1000;

function parseAndCheck(source: string, path: string, options: { html: boolean }): CheckedTemplate {
  const liquid = options.html ? htmlLiquid : textLiquid;
  const translated = translateSeedVariables(source);
  let templates: Template[];
  try {
    templates = liquid.parse(translated);
  } catch (error) {
    return { templates: [], problems: [detailOf(error, path)] };
  }
  const problems: ErrorDetail[] = [];
  const analysis = liquid.analyzeSync(templates, { partials: false });
  for (const variables of Object.values(analysis.globals)) {
    for (const variable of variables) {
      if (knownPath(variable.toArray())) continue;
      problems.push({
        path,
        message: `unknown variable "${variable.toString()}"; use one of ${TEMPLATE_VARIABLES.join(', ')}`,
        line: variable.location.row,
        column: variable.location.col,
      });
    }
  }
  for (const tag of ['include', 'render', 'layout']) {
    const at = new RegExp(`\\{%-?\\s*${tag}\\b`).exec(translated);
    if (at) {
      const before = translated.slice(0, at.index).split('\n');
      problems.push({
        path,
        message: `the "${tag}" tag is not available in templates`,
        line: before.length,
        column: before.at(-1)!.length + 1,
      });
    }
  }
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return { templates, problems };
}

/** Renders a template checked by `checkTemplate`; a failure at render time reads like a save-time one. */
export async function renderTemplate(
  templates: Template[],
  context: Record<string, unknown>,
  options: { html: boolean; path: string },
): Promise<{ output: string } | { problem: ErrorDetail }> {
  const liquid = options.html ? htmlLiquid : textLiquid;
  try {
    return { output: await liquid.render(templates, context) };
  } catch (error) {
    return { problem: detailOf(error, options.path) };
  }
}
