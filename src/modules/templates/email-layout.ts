import { convert } from 'html-to-text';
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

/**
 * One responsive column (600px, full width on phones) with the logo on top, a brand-coloured bar,
 * the content and, for marketing, the unsubscribe footer. The CSS is written once in <style> and
 * inlined by juice, because many mail clients drop <style>; the phone media query stays in <style>.
 */
export function layoutEmail(input: EmailLayoutInput): string {
  const colour = input.brandColor;
  const footer = FOOTER[input.locale];
  const logo = input.logoUrl
    ? `<img class="logo" src="${escapeHtml(input.logoUrl)}" alt="${escapeHtml(input.workspaceName)}" height="40">`
    : `<span class="brand">${escapeHtml(input.workspaceName)}</span>`;
  const footerHtml = input.marketing
    ? `<tr><td class="footer">
<p>${escapeHtml(footer.why(input.workspaceName))}</p>
<p><a href="${escapeHtml(input.unsubscribeUrl)}" data-unsubscribe="1">${footer.unsubscribe}</a> · <a href="${escapeHtml(input.preferencesUrl)}" data-unsubscribe="1">${footer.preferences}</a></p>
</td></tr>`
    : '';
  const html = `<!doctype html>
<html lang="${input.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<title>${escapeHtml(input.subject)}</title>
<style>
body { margin: 0; padding: 0; background: #f1f3f5; font-family: -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif; color: #212529; }
.wrapper { width: 100%; background: #f1f3f5; }
.container { width: 600px; max-width: 600px; margin: 0 auto; background: #ffffff; border-radius: 8px; }
.header { padding: 20px 32px; border-top: 4px solid ${colour}; }
.brand { font-size: 20px; font-weight: bold; color: ${colour}; }
.content { padding: 8px 32px 32px 32px; font-size: 16px; line-height: 1.5; }
.content a { color: ${colour}; }
.content img { max-width: 100%; height: auto; }
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
<tr><td class="content">${input.content}</td></tr>
${footerHtml}
</table>
</td></tr></table>
</body>
</html>`;
  return juice(html, { preserveMediaQueries: true, removeStyleTags: true });
}

/** The text alternative: links as "text [url]", images dropped, the layout's tables flattened. */
export function textVersion(html: string): string {
  return convert(html, {
    wordwrap: 78,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'table', format: 'block' },
      { selector: 'tr', format: 'block' },
      { selector: 'td', format: 'block' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      { selector: 'title', format: 'skip' },
    ],
  }).trim();
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
