import type { SecretBox } from '../../platform/crypto.ts';

/** What an unsubscribe / preferences link stands for: never a raw id in the URL, only this signed payload. */
export interface UnsubscribeClaims {
  /** workspace */
  w: string;
  /** client */
  c: string;
  /** the channel the message went out on */
  ch: 'email' | 'sms' | 'whatsapp';
  /** the campaign, when the message belonged to one */
  cp?: string;
}

export const UNSUBSCRIBE_PURPOSE = 'unsubscribe';

export function unsubscribeToken(secrets: SecretBox, claims: UnsubscribeClaims): string {
  return secrets.sign(UNSUBSCRIBE_PURPOSE, claims);
}

export function readUnsubscribeToken(secrets: SecretBox, token: string): UnsubscribeClaims | null {
  const claims = secrets.verify<UnsubscribeClaims>(UNSUBSCRIBE_PURPOSE, token);
  if (!claims || typeof claims.w !== 'string' || typeof claims.c !== 'string') return null;
  if (!['email', 'sms', 'whatsapp'].includes(claims.ch)) return null;
  return claims;
}

/** `GET` shows the preference page, `POST List-Unsubscribe=One-Click` unsubscribes (RFC 8058). */
export function unsubscribeUrl(baseUrl: string, token: string): string {
  return `${baseUrl}/u/${token}`;
}

/** The same page, opened on its preference choices rather than on the unsubscribe button. */
export function preferencesUrl(baseUrl: string, token: string): string {
  return `${baseUrl}/u/${token}?view=preferences`;
}
