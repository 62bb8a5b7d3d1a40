import type { ErrorDetail } from '../../platform/errors.ts';
import { checkTemplate, SEED_VARIABLES, TEMPLATE_VARIABLES } from '../templates/liquid.ts';
import { smsLength } from '../templates/sms.ts';
import { SUBJECT_MAX, type TemplateChannel } from '../templates/templates.service.ts';

/**
 * What the assistant checks on every text a model writes, before anyone sees it: the template
 * validator's verdict (a variable the product does not know is mapped to one it knows, or
 * flagged), the workspace's forbidden claims (the sentence and where it is), and the channel's
 * limits (SMS parts, WhatsApp template body rules, the length asked for). Pure: no I/O.
 */

export interface Repair {
  field: 'subject' | 'body';
  from: string;
  to: string;
}

export interface ClaimHit {
  field: 'subject' | 'body';
  claim: string;
  /** The whole offending sentence and its offsets in the field's text (UTF-16, end exclusive). */
  sentence: string;
  start: number;
  end: number;
}

export interface Warning {
  code: 'sms_segments' | 'too_long' | 'whatsapp_body' | 'subject_length';
  message: string;
}

export interface CheckedVariant {
  subject: string | null;
  body: string | null;
  /** True when the template validator accepts it as it is (after repairs). */
  valid: boolean;
  /** Mistakes the validator still finds: unknown variables that could not be mapped, syntax. */
  problems: ErrorDetail[];
  repairs: Repair[];
  claims: ClaimHit[];
  warnings: Warning[];
  characters: number;
  sms: { segments: number; encoding: string; units: number } | null;
}

/** Concrete variables (no `*`) a repair may map to. */
const CONCRETE = TEMPLATE_VARIABLES.filter((v) => !v.includes('*'));

/** What models (and people) call our variables. Keys are folded: lower case, `_` between words. */
const SYNONYMS: Record<string, string> = {
  first_name: 'client.first_name',
  firstname: 'client.first_name',
  first: 'client.first_name',
  fname: 'client.first_name',
  given_name: 'client.first_name',
  nombre: 'client.first_name',
  prenom: 'client.first_name',
  last_name: 'client.last_name',
  lastname: 'client.last_name',
  surname: 'client.last_name',
  family_name: 'client.last_name',
  apellido: 'client.last_name',
  name: 'client.name',
  full_name: 'client.name',
  fullname: 'client.name',
  display_name: 'client.name',
  nombre_completo: 'client.name',
  email: 'client.email',
  email_address: 'client.email',
  correo: 'client.email',
  phone: 'client.phone',
  phone_number: 'client.phone',
  mobile: 'client.phone',
  telephone: 'client.phone',
  telefono: 'client.phone',
  city: 'client.city',
  ciudad: 'client.city',
  ville: 'client.city',
  town: 'client.city',
  country: 'client.country',
  pais: 'client.country',
  tags: 'client.tags',
  sender: 'sender.name',
  sender_name: 'sender.name',
  agent: 'sender.name',
  agent_name: 'sender.name',
  advisor: 'sender.name',
  advisor_name: 'sender.name',
  asesor: 'sender.name',
  staff_name: 'sender.name',
  your_name: 'sender.name',
  business: 'sender.workspace',
  business_name: 'sender.workspace',
  company: 'sender.workspace',
  company_name: 'sender.workspace',
  brand: 'sender.workspace',
  shop: 'sender.workspace',
  store: 'sender.workspace',
  clinic: 'sender.workspace',
  clinic_name: 'sender.workspace',
  workspace: 'sender.workspace',
  location: 'location.name',
  location_name: 'location.name',
  branch: 'location.name',
  address: 'location.address',
  location_address: 'location.address',
  coupon: 'coupon.code',
  coupon_code: 'coupon.code',
  discount_code: 'coupon.code',
  promo_code: 'coupon.code',
  code: 'coupon.code',
  discount: 'coupon.value',
  discount_value: 'coupon.value',
  coupon_value: 'coupon.value',
  expiry: 'coupon.expires_at',
  expires_at: 'coupon.expires_at',
  expiration_date: 'coupon.expires_at',
  date: 'today',
  today: 'today',
  now: 'now',
  time: 'now',
  unsubscribe: 'unsubscribe_url',
  unsubscribe_link: 'unsubscribe_url',
  unsubscribe_url: 'unsubscribe_url',
  preferences: 'preferences_url',
  preferences_link: 'preferences_url',
};

/** Object names a model puts in front of a client's fields. */
const CLIENT_PREFIXES = new Set([
  'client',
  'customer',
  'contact',
  'recipient',
  'user',
  'cliente',
  'person',
  'member',
]);

function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/** Edit distance where swapping two neighbouring letters (ctiy → city) counts as one edit. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/** The known variable an unknown one most likely means, or null when none is close enough. */
export function mapVariable(name: string, customKeys: readonly string[] = []): string | null {
  const folded = fold(name).replace(/\[["']?([^"'\]]+)["']?\]/g, '.$1');
  const parts = folded.split('.').filter(Boolean);
  if (parts.length > 1 && CLIENT_PREFIXES.has(parts[0]!)) parts.shift();
  const key = parts.join('_').replace(/[\s-]+/g, '_');
  if (SYNONYMS[key]) return SYNONYMS[key]!;
  const leaf = parts.at(-1)?.replace(/[\s-]+/g, '_') ?? '';
  if (customKeys.includes(leaf)) return `client.custom.${leaf}`;
  if (SYNONYMS[leaf] && parts.length <= 2) return SYNONYMS[leaf]!;
  // A typo of a real variable (client.frist_name) or of its last part; short names must match closely.
  const allowed = key.length >= 6 ? 2 : key.length >= 4 ? 1 : 0;
  let best: { variable: string; distance: number } | null = null;
  for (const variable of CONCRETE) {
    const distance = Math.min(editDistance(folded, variable), editDistance(key, variable.split('.').at(-1)!));
    if (distance <= allowed && (!best || distance < best.distance)) best = { variable, distance };
  }
  return best?.variable ?? null;
}

const SEED_NAMES = new Set(Object.keys(SEED_VARIABLES));

const UNKNOWN_VARIABLE = /^unknown variable "([^"]+)"/;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replaces a variable path inside Liquid's `{{ }}` and `{% %}` only, never in the text around them. */
function replaceVariable(source: string, from: string, to: string): string {
  const pattern = new RegExp(`(?<![\\w.])${escapeRegExp(from)}(?![\\w])`, 'g');
  return source.replace(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g, (block) => block.replace(pattern, to));
}

/** `{first_name}` or `[First name]`-style single-brace placeholders a model writes instead of Liquid. */
const SINGLE_BRACE = /(?<!\{)\{\s*([A-Za-z_][\w.]*)\s*\}(?!\})/g;

/**
 * Checks a field with the template validator and repairs what can be repaired: single-brace
 * placeholders and unknown variables mapped to known ones. What is still wrong is returned as
 * problems (line and column as the validator gives them).
 */
export function repairField(
  source: string,
  field: 'subject' | 'body',
  options: { html: boolean; customKeys?: readonly string[] },
): { text: string; problems: ErrorDetail[]; repairs: Repair[] } {
  const path = `/${field}`;
  const repairs: Repair[] = [];
  const placeholders: ErrorDetail[] = [];
  let text = source.replace(SINGLE_BRACE, (whole, name: string, offset: number) => {
    // The advisor seed's own `{nombre_cliente}` is a variable the validator translates.
    if (SEED_NAMES.has(name)) return whole;
    const target = mapVariable(name, options.customKeys);
    if (!target) {
      const before = source.slice(0, offset).split('\n');
      placeholders.push({
        path,
        message: `"${whole}" is not a template variable; write a known one in {{ }}`,
        line: before.length,
        column: before.at(-1)!.length + 1,
      });
      return whole;
    }
    repairs.push({ field, from: whole, to: `{{ ${target} }}` });
    return `{{ ${target} }}`;
  });
  for (let pass = 0; pass < 5; pass++) {
    const { problems } = checkTemplate(text, path, { html: options.html });
    const unknown = problems
      .map((p) => UNKNOWN_VARIABLE.exec(p.message)?.[1])
      .filter((name): name is string => Boolean(name));
    let changed = false;
    for (const name of new Set(unknown)) {
      const target = mapVariable(name, options.customKeys);
      if (!target || target === name) continue;
      const next = replaceVariable(text, name, target);
      if (next !== text) {
        repairs.push({ field, from: name, to: target });
        text = next;
        changed = true;
      }
    }
    if (!changed) return { text, problems: [...placeholders, ...problems], repairs };
  }
  return {
    text,
    problems: [...placeholders, ...checkTemplate(text, path, { html: options.html }).problems],
    repairs,
  };
}

// ---- forbidden claims -----------------------------------------------------------------------------

/** The text folded character by character (accents off, lower case) with each character's source offset. */
function foldWithOffsets(text: string): { folded: string; offsets: number[] } {
  let folded = '';
  const offsets: number[] = [];
  let index = 0;
  for (const char of text) {
    const base = fold(char);
    for (const unit of base) {
      folded += unit;
      offsets.push(index);
    }
    index += char.length;
  }
  offsets.push(text.length);
  return { folded, offsets };
}

/** The sentence around `at`: from after the previous . ! ? …, line break or HTML tag to the next one, trimmed. */
function sentenceAround(text: string, at: number, until: number): { start: number; end: number } {
  let start = at;
  // In an email's HTML a tag ends a sentence too: `</p><p>` is a paragraph break.
  while (start > 0 && !/[.!?…\n>]/.test(text[start - 1]!)) start--;
  let end = until;
  while (end < text.length && !/[.!?…\n<]/.test(text[end]!)) end++;
  if (end < text.length && /[.!?…]/.test(text[end]!)) end++;
  while (start < end && /\s/.test(text[start]!)) start++;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return { start, end };
}

/** Every sentence of the text that makes one of the forbidden claims (case and accents ignored). */
export function findClaims(text: string, field: 'subject' | 'body', claims: readonly string[]): ClaimHit[] {
  const hits: ClaimHit[] = [];
  if (!text || claims.length === 0) return hits;
  const { folded, offsets } = foldWithOffsets(text);
  for (const claim of claims) {
    const needle = fold(claim.trim());
    if (!needle) continue;
    const pattern = new RegExp(
      `(?<![\\p{L}\\p{N}])${escapeRegExp(needle).replace(/\s+/g, '\\s+')}(?![\\p{L}\\p{N}])`,
      'gu',
    );
    for (const match of folded.matchAll(pattern)) {
      const from = offsets[match.index]!;
      const to = offsets[match.index + match[0].length]!;
      const { start, end } = sentenceAround(text, from, to);
      if (hits.some((h) => h.start === start && h.claim === claim)) continue;
      hits.push({ field, claim, sentence: text.slice(start, end), start, end });
    }
  }
  return hits.sort((a, b) => a.start - b.start);
}

// ---- channel limits -------------------------------------------------------------------------------

/** Meta's limit for a template body. */
export const WHATSAPP_BODY_MAX = 1024;
/** A variable's value is unknown until sending: its length is estimated at this many characters. */
export const VARIABLE_ESTIMATE = 12;

function withVariablesEstimated(text: string): string {
  return text.replace(/\{\{[\s\S]*?\}\}/g, 'x'.repeat(VARIABLE_ESTIMATE)).replace(/\{%[\s\S]*?%\}/g, '');
}

function channelWarnings(
  channel: TemplateChannel,
  subject: string | null,
  body: string,
  limits: { maxLength?: number; smsSegments?: number },
): { warnings: Warning[]; characters: number; sms: CheckedVariant['sms'] } {
  const warnings: Warning[] = [];
  const estimated = withVariablesEstimated(channel === 'email' ? body.replace(/<[^>]+>/g, '') : body);
  const characters = estimated.length;
  let sms: CheckedVariant['sms'] = null;
  if (limits.maxLength !== undefined && characters > limits.maxLength)
    warnings.push({
      code: 'too_long',
      message: `about ${characters} characters, more than the ${limits.maxLength} asked for`,
    });
  if (channel === 'sms') {
    const length = smsLength(estimated);
    sms = { segments: length.segments, encoding: length.encoding, units: length.units };
    const allowed = limits.smsSegments ?? 1;
    if (length.segments > allowed)
      warnings.push({
        code: 'sms_segments',
        message: `${length.segments} SMS parts (${length.encoding}, variables counted as ${VARIABLE_ESTIMATE} characters); ${allowed} asked for`,
      });
  }
  if (channel === 'whatsapp') {
    if (characters > WHATSAPP_BODY_MAX)
      warnings.push({
        code: 'whatsapp_body',
        message: `about ${characters} characters; a WhatsApp template body holds at most ${WHATSAPP_BODY_MAX}`,
      });
    const trimmed = body.trim();
    if (/^\{\{/.test(trimmed) || /\}\}[.!?]?$/.test(trimmed))
      warnings.push({
        code: 'whatsapp_body',
        message: 'a WhatsApp template body may not start or end with a variable',
      });
    if (/\}\}\s*\{\{/.test(body))
      warnings.push({
        code: 'whatsapp_body',
        message: 'WhatsApp does not accept two variables side by side',
      });
    if (/\n\s*\n\s*\n/.test(body))
      warnings.push({
        code: 'whatsapp_body',
        message: 'WhatsApp template bodies allow at most one empty line in a row',
      });
  }
  if (subject && subject.length > SUBJECT_MAX)
    warnings.push({
      code: 'subject_length',
      message: `the subject is longer than ${SUBJECT_MAX} characters`,
    });
  return { warnings, characters, sms };
}

/** The whole verdict on one variant the model wrote. */
export function checkVariant(
  raw: { subject: string | null; body: string | null },
  options: {
    channel: TemplateChannel;
    claims: readonly string[];
    customKeys?: readonly string[];
    maxLength?: number;
    smsSegments?: number;
  },
): CheckedVariant {
  const problems: ErrorDetail[] = [];
  const repairs: Repair[] = [];
  let subject = raw.subject?.trim() ? raw.subject.trim() : null;
  let body = raw.body ?? null;
  if (options.channel !== 'email' && body !== null) subject = null;
  if (subject !== null) {
    const fixed = repairField(subject, 'subject', { html: false, customKeys: options.customKeys });
    subject = fixed.text;
    problems.push(...fixed.problems);
    repairs.push(...fixed.repairs);
  }
  if (body !== null) {
    const fixed = repairField(body, 'body', {
      html: options.channel === 'email',
      customKeys: options.customKeys,
    });
    body = fixed.text;
    problems.push(...fixed.problems);
    repairs.push(...fixed.repairs);
    if (!body.trim()) problems.push({ path: '/body', message: 'the model wrote an empty body' });
  }
  const claims = [
    ...(subject ? findClaims(subject, 'subject', options.claims) : []),
    ...(body ? findClaims(body, 'body', options.claims) : []),
  ];
  const limits =
    body !== null
      ? channelWarnings(options.channel, subject, body, {
          maxLength: options.maxLength,
          smsSegments: options.smsSegments,
        })
      : {
          warnings:
            subject && subject.length > SUBJECT_MAX ? channelWarnings('email', subject, '', {}).warnings : [],
          characters: subject?.length ?? 0,
          sms: null,
        };
  return {
    subject,
    body,
    valid: problems.length === 0,
    problems,
    repairs,
    claims,
    warnings: limits.warnings,
    characters: limits.characters,
    sms: limits.sms,
  };
}
