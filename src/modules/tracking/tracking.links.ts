import type { SecretBox } from '../../platform/crypto.ts';
import { escapeHtml } from '../templates/email-layout.ts';

export interface OpenClaims {
  w: string;
  c: string;
  cp?: string;
}

/** A click carries the destination itself: only addresses we signed (the ones in the message) redirect. */
export interface ClickClaims extends OpenClaims {
  u: string;
}

const OPEN = 'track-open';
const CLICK = 'track-click';

export function openPixelUrl(secrets: SecretBox, baseUrl: string, claims: OpenClaims): string {
  return `${baseUrl}/t/o/${secrets.sign(OPEN, claims)}.gif`;
}

export function clickUrl(secrets: SecretBox, baseUrl: string, claims: ClickClaims): string {
  return `${baseUrl}/t/c/${secrets.sign(CLICK, claims)}`;
}

export function readOpenToken(secrets: SecretBox, token: string): OpenClaims | null {
  const claims = secrets.verify<OpenClaims>(OPEN, token);
  return claims && typeof claims.w === 'string' && typeof claims.c === 'string' ? claims : null;
}

export function readClickToken(secrets: SecretBox, token: string): ClickClaims | null {
  const claims = secrets.verify<ClickClaims>(CLICK, token);
  if (!claims || typeof claims.w !== 'string' || typeof claims.c !== 'string') return null;
  if (typeof claims.u !== 'string' || !/^https?:\/\//i.test(claims.u)) return null;
  return claims;
}

/**
 * A sent email's HTML for a person to look at (the dashboard's Outbox): our open pixel left out and
 * each of our tracked links pointing straight at its destination. Shown as sent, the pixel loads as
 * soon as the message is on screen and records the recipient as having opened it (and a click on a
 * link, a click). Only what our secret signed is changed; the rest is left as it is.
 */
export function untrackedHtml(secrets: SecretBox, html: string): string {
  return html
    .replace(/<img\b[^>]*?\bsrc="[^"]*\/t\/o\/([A-Za-z0-9_.-]+)\.gif"[^>]*>/gi, (whole, token: string) =>
      readOpenToken(secrets, token) ? '' : whole,
    )
    .replace(/\bhref="[^"]*\/t\/c\/([A-Za-z0-9_.-]+)"/gi, (whole, token: string) => {
      const claims = readClickToken(secrets, token);
      return claims ? `href="${escapeHtml(claims.u)}"` : whole;
    });
}
