import { AppError } from '../../platform/errors.ts';
import type { AudienceFacts } from '../clients/clients.audience.ts';
import { TEMPLATE_VARIABLES } from '../templates/liquid.ts';
import type { TemplateChannel } from '../templates/templates.service.ts';
import { WHATSAPP_BODY_MAX } from './ai.checks.ts';
import type { ChatMessage } from './ai.provider.ts';

/**
 * The words sent to the model. The model is asked for JSON only; whatever it answers is parsed
 * leniently (code fences, text around the object) and anything else is a clear error.
 */

export const REWRITE_OPERATIONS = [
  'improve',
  'shorten',
  'lengthen',
  'translate',
  'fix_spelling',
  'subject_lines',
  'adapt',
] as const;
export type RewriteOperation = (typeof REWRITE_OPERATIONS)[number];

/** A client's own details, sent only when the workspace allows it (share_client_details). */
export interface ClientDetails {
  first_name: string | null;
  city: string | null;
  label: string | null;
  tags: string[];
  notes: string[];
  history: Array<{ type: string; at: string }>;
}

export interface PromptContext {
  workspaceName: string;
  channel: TemplateChannel;
  language: string;
  tone: string | null;
  variants: number;
  forbiddenClaims: readonly string[];
  customKeys: readonly string[];
  maxLength?: number;
  smsSegments?: number;
}

const LANGUAGE_NAMES: Record<string, string> = {
  en: 'English',
  es: 'Spanish',
  fr: 'French',
  pt: 'Portuguese',
  it: 'Italian',
  de: 'German',
  ca: 'Catalan',
  nl: 'Dutch',
};

export function languageName(code: string): string {
  return LANGUAGE_NAMES[code.toLowerCase().slice(0, 2)] && code.length <= 5
    ? `${LANGUAGE_NAMES[code.toLowerCase().slice(0, 2)]} (${code})`
    : code;
}

function channelRules(context: PromptContext): string {
  switch (context.channel) {
    case 'email':
      return 'Channel: email. Give a subject (at most 78 characters) and a body in simple HTML (<p>, <strong>, <em>, <a href>, <ul><li>); no <html>, <head> or styles. Do not write an unsubscribe line: the product adds it.';
    case 'sms':
      return `Channel: SMS. Plain text, no HTML, no emoji, no subject. Fit in ${context.smsSegments ?? 1} SMS part(s): about ${(context.smsSegments ?? 1) === 1 ? 150 : 145 * (context.smsSegments ?? 1)} characters at most counting each variable as 12 characters. Do not write an opt-out line: the product adds it.`;
    case 'whatsapp':
      return `Channel: WhatsApp. Plain text (*bold* and _italic_ allowed), no HTML, no subject, at most ${WHATSAPP_BODY_MAX} characters, at most one empty line in a row; do not start or end the text with a variable and never put two variables side by side.`;
  }
}

function systemPrompt(context: PromptContext): string {
  const variables = [
    ...TEMPLATE_VARIABLES.filter((v) => !v.includes('*')),
    ...context.customKeys.map((key) => `client.custom.${key}`),
  ];
  const lines = [
    `You write messages that the business "${context.workspaceName}" sends to its own clients. You never send anything yourself.`,
    channelRules(context),
    `Write in ${languageName(context.language)}.`,
    context.tone ? `Tone: ${context.tone}.` : '',
    context.maxLength ? `Keep the body under ${context.maxLength} characters.` : '',
    `Personalise only with Liquid variables from this list, written exactly like {{ client.first_name }}: ${variables.join(', ')}. Never invent another variable and never use placeholders like [Name] or {name}.`,
    context.forbiddenClaims.length
      ? `Never make any of these claims, not even in other words: ${context.forbiddenClaims.map((c) => `"${c}"`).join(', ')}.`
      : '',
    'Answer with one JSON object and nothing else, shaped exactly like {"variants":[{"subject":"…","body":"…"}]} (subject is null outside email).',
  ];
  return lines.filter(Boolean).join('\n');
}

export function composeMessages(
  context: PromptContext,
  input: { objective: string; audience: AudienceFacts | null; clients: ClientDetails[] | null },
): ChatMessage[] {
  const user = [
    `Write ${context.variants} different variant(s) of the message.`,
    `Objective: ${input.objective}`,
    input.audience
      ? `Who receives it (aggregated facts, no individual is named): ${JSON.stringify(input.audience)}`
      : '',
    input.clients?.length
      ? `Details of the client(s) it is for, shared with the business's permission: ${JSON.stringify(input.clients)}`
      : '',
  ];
  return [
    { role: 'system', content: systemPrompt(context) },
    { role: 'user', content: user.filter(Boolean).join('\n') },
  ];
}

const INSTRUCTIONS: Record<RewriteOperation, (context: PromptContext, from: TemplateChannel) => string> = {
  improve: () => 'Improve the message: clearer, more engaging, same meaning and same variables.',
  shorten: () => 'Make the message noticeably shorter, keeping its meaning and its variables.',
  lengthen: () => 'Make the message somewhat longer and richer, keeping its meaning and its variables.',
  translate: (context) =>
    `Translate the message into ${languageName(context.language)}, keeping every {{ variable }} exactly as it is.`,
  fix_spelling: () =>
    'Fix only spelling, grammar and punctuation; change nothing else, keep every {{ variable }} exactly as it is.',
  subject_lines: () =>
    'Suggest email subject lines for this message. Put each in "subject" and set "body" to null.',
  adapt: (context, from) =>
    `Adapt this ${from} message into a ${context.channel} message that follows the channel rules above, keeping the key point, the call to action and the variables that still make sense.`,
};

export function rewriteMessages(
  context: PromptContext,
  input: { operation: RewriteOperation; from: TemplateChannel; subject: string | null; body: string },
): ChatMessage[] {
  const user = [
    `${INSTRUCTIONS[input.operation](context, input.from)} Give ${context.variants} variant(s).`,
    `The ${input.from} message:`,
    input.subject ? `Subject: ${input.subject}` : '',
    `Body:\n${input.body}`,
  ];
  return [
    { role: 'system', content: systemPrompt(context) },
    { role: 'user', content: user.filter(Boolean).join('\n') },
  ];
}

/** The variants out of what the model wrote; a clear AI_PROVIDER_ERROR when it is not the JSON asked for. */
export function parseVariants(text: string): Array<{ subject: string | null; body: string | null }> {
  const unfenced = text.replace(/```(?:json)?/gi, '');
  const start = unfenced.indexOf('{');
  const end = unfenced.lastIndexOf('}');
  let parsed: unknown;
  try {
    if (start === -1 || end <= start) throw new Error('no object');
    parsed = JSON.parse(unfenced.slice(start, end + 1));
  } catch {
    throw new AppError(
      'AI_PROVIDER_ERROR',
      'The AI model did not answer with the JSON it was asked for; try again (a larger model follows instructions better)',
      [],
      { received: text.slice(0, 200) },
    );
  }
  const list = (parsed as { variants?: unknown }).variants;
  if (!Array.isArray(list) || list.length === 0)
    throw new AppError('AI_PROVIDER_ERROR', 'The AI model answered without any variant; try again');
  const variants = list
    .filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null)
    .map((v) => ({
      subject: typeof v.subject === 'string' ? v.subject : null,
      body: typeof v.body === 'string' ? v.body : null,
    }))
    .filter((v) => v.subject !== null || v.body !== null);
  if (variants.length === 0)
    throw new AppError(
      'AI_PROVIDER_ERROR',
      'The AI model answered with variants that hold no text; try again',
    );
  return variants;
}
