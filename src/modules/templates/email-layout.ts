import { randomBytes } from 'node:crypto';
import { compile } from 'html-to-text';
import juice from 'juice';
import type { Locale } from '../../platform/locale.ts';

const FOOTER: Record<
  Locale,
  { why: (workspace: string) => string; unsubscribe: string; preferences: string }
> = {
  en: {
    why: (w) => `You are receiving this email because you agreed to hear from ${w}.`,
    unsubscribe: 'Unsubscribe',
    preferences: 'Manage preferences',
  },
  es: {
    why: (w) => `Recibes este correo porque aceptaste recibir comunicaciones de ${w}.`,
    unsubscribe: 'Darse de baja',
    preferences: 'Gestionar preferencias',
  },
  fr: {
    why: (w) => `Vous recevez cet e-mail car vous avez accepté de recevoir des messages de ${w}.`,
    unsubscribe: 'Se désabonner',
    preferences: 'Gérer mes préférences',
  },
};

export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

export interface EmailLayoutInput {
  /** The rendered body (HTML from the editor). */
  content: string;
  subject: string;
  workspaceName: string;
  brandColor: string;
  logoUrl: string | null;
  locale: Locale;
  /** Marketing email always carries the unsubscribe footer; transactional email does not. */
  marketing: boolean;
  unsubscribeUrl: string;
  preferencesUrl: string;
}

// Per-recipient values go into the inlined shell through these markers (plain text, which juice keeps);
// the per-process nonce means no workspace name can spell one.
const NONCE = randomBytes(6).toString('hex');
const MARK = {
  subject: `@@${NONCE}:SUBJECT@@`,
  content: `@@${NONCE}:CONTENT@@`,
  unsubscribe: `@@${NONCE}:UNSUBSCRIBE@@`,
  preferences: `@@${NONCE}:PREFERENCES@@`,
};
const MARKS = new RegExp(`@@${NONCE}:[A-Z]+@@`, 'g');

type ShellKey = Pick<EmailLayoutInput, 'workspaceName' | 'brandColor' | 'logoUrl' | 'locale' | 'marketing'>;

/** The layout with its CSS inlined, per look (workspace colour, logo, language, marketing or not). */
function buildShell(input: ShellKey): string {
  const colour = input.brandColor;
  const footer = FOOTER[input.locale];
  const logo = input.logoUrl
    ? `<img class="logo" src="${escapeHtml(input.logoUrl)}" alt="${escapeHtml(input.workspaceName)}" height="40">`
    : `<span class="brand">${escapeHtml(input.workspaceName)}</span>`;
  const footerHtml = input.marketing
    ? `<tr><td class="footer">
<p>${escapeHtml(footer.why(input.workspaceName))}</p>
<p><a href="${MARK.unsubscribe}" data-unsubscribe="1">${footer.unsubscribe}</a> · <a href="${MARK.preferences}" data-unsubscribe="1">${footer.preferences}</a></p>
</td></tr>`
    : '';
  const html = `<!doctype html>
<html lang="${input.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<title>${MARK.subject}</title>
<style>
body { margin: 0; padding: 0; background: #f1f3f5; font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; color: #212529; }
.wrapper { width: 100%; background: #f1f3f5; }
.container { width: 600px; max-width: 600px; margin: 0 auto; background: #ffffff; border-radius: 8px; }
.header { padding: 20px 32px; border-top: 4px solid ${colour}; }
.brand { font-size: 20px; font-weight: bold; color: ${colour}; }
.content { padding: 8px 32px 32px 32px; font-size: 16px; line-height: 1.5; }
.footer { padding: 16px 32px 24px 32px; font-size: 12px; line-height: 1.5; color: #868e96; border-top: 1px solid #e9ecef; }
.footer a { color: #868e96; text-decoration: underline; }
@media only screen and (max-width: 620px) {
  .container { width: 100% !important; border-radius: 0 !important; }
  .header, .content, .footer { padding-left: 16px !important; padding-right: 16px !important; }
}
</style>
</head>
<body>
<table role="presentation" class="wrapper" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding: 24px 0;">
<table role="presentation" class="container" cellpadding="0" cellspacing="0">
<tr><td class="header">${logo}</td></tr>
<tr><td class="content">${MARK.content}</td></tr>
${footerHtml}
</table>
</td></tr></table>
</body>
</html>`;
  return juice(html, { preserveMediaQueries: true, removeStyleTags: true });
}

const shells = new Map<string, string>();
const SHELLS_MAX = 500;

function shellFor(input: ShellKey): string {
  const key = JSON.stringify([
    input.workspaceName,
    input.brandColor,
    input.logoUrl,
    input.locale,
    input.marketing,
  ]);
  let shell = shells.get(key);
  if (shell === undefined) {
    shell = buildShell(input);
    if (shells.size >= SHELLS_MAX) shells.delete(shells.keys().next().value!);
    shells.set(key, shell);
  }
  return shell;
}

/**
 * One responsive column (600px, full width on phones) with the logo on top, a brand-coloured bar,
 * the content and, for marketing, the unsubscribe footer. CSS is inlined (many mail clients drop
 * <style>; the phone media query stays in it). The layout is inlined once per look and cached; each
 * message inlines only its own content's few rules, which keeps a campaign's render cheap.
 */
export function layoutEmail(input: EmailLayoutInput, options: { contentInlined?: boolean } = {}): string {
  const content = options.contentInlined ? input.content : inlineContentCss(input.content, input.brandColor);
  const values: Record<string, string> = {
    [MARK.subject]: escapeHtml(input.subject),
    [MARK.content]: content,
    [MARK.unsubscribe]: escapeHtml(input.unsubscribeUrl),
    [MARK.preferences]: escapeHtml(input.preferencesUrl),
  };
  return shellFor(input).replace(MARKS, (mark) => values[mark] ?? '');
}

/**
 * The content's own CSS (links in the brand colour, images no wider than the column) inlined. A
 * campaign may run this once on its template's source instead of on every rendered message
 * (`layoutEmail(…, { contentInlined: true })`): the rules select tags, never the client's data.
 */
export function inlineContentCss(content: string, brandColor: string): string {
  return juice
    .inlineContent(
      `<div>${content}</div>`,
      `a { color: ${brandColor}; } img { max-width: 100%; height: auto; }`,
    )
    .replace(/^<div>|<\/div>$/g, '');
}

/**
 * The text alternative of a laid-out email: the content converted (links as "text [url]", images
 * dropped), then the footer's sentence and links written out. Converting only the content keeps it
 * cheap; the layout's header and tables carry no text a reader needs.
 */
export function emailText(input: EmailLayoutInput): string {
  const footer = FOOTER[input.locale];
  const body = textVersion(input.content);
  if (!input.marketing) return body;
  return `${body}\n\n--\n${footer.why(input.workspaceName)}\n${footer.unsubscribe}: ${input.unsubscribeUrl}\n${footer.preferences}: ${input.preferencesUrl}`;
}

/**
 * HTML to text: links as "text [url]", images dropped, tables flattened. Compiled once: building
 * the converter (its selectors and formatters) cost ten times the conversion of a short email.
 */
const htmlToText = compile({
  wordwrap: 78,
  selectors: [
    { selector: 'img', format: 'skip' },
    { selector: 'table', format: 'block' },
    { selector: 'tr', format: 'block' },
    { selector: 'td', format: 'block' },
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    { selector: 'title', format: 'skip' },
  ],
});

export function textVersion(html: string): string {
  return htmlToText(html).trim();
}

const TRACKABLE = /^https?:\/\//i;

/**
 * Tracking: every http(s) link of the content goes through a signed click URL that carries the
 * original address (so only addresses that were in the message can be redirected to), and a
 * 1×1 pixel is added at the end. Unsubscribe links are left as they are.
 */
export function addTracking(
  html: string,
  links: { click(url: string): string; open: string },
): { html: string; links: number } {
  let count = 0;
  const rewritten = html.replace(/<a\b([^>]*?)\bhref="([^"]*)"([^>]*)>/gi, (whole, before, href, after) => {
    if (/data-unsubscribe=/.test(whole)) return whole;
    const url = decodeEntities(href);
    if (!TRACKABLE.test(url)) return whole;
    count++;
    return `<a${before}href="${escapeHtml(links.click(url))}"${after}>`;
  });
  const pixel = `<img src="${escapeHtml(links.open)}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px;">`;
  const withPixel = rewritten.includes('</body>')
    ? rewritten.replace('</body>', `${pixel}</body>`)
    : rewritten + pixel;
  return { html: withPixel, links: count };
}

function decodeEntities(value: string): string {
  return value
    .replaceAll('&amp;', '&')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>');
}
