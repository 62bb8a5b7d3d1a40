import type { SecretBox } from '../../platform/crypto.ts';

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
