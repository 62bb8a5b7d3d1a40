import {
  createHmac,
  createPublicKey,
  createVerify,
  type KeyObject,
  timingSafeEqual,
  verify as verifySignature,
} from 'node:crypto';

/**
 * Signature checks of every provider's webhooks, over the raw body as received, compared in
 * constant time. Pure functions (the SNS certificate is fetched by the caller's function).
 */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const left = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const right = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  // Compare equal-length digests so neither the content nor the length leaks through timing.
  const l = createHmac('sha256', 'compare').update(left).digest();
  const r = createHmac('sha256', 'compare').update(right).digest();
  return timingSafeEqual(l, r) && left.length === right.length;
}

/** Meta: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`. */
export function metaSignature(appSecret: string, rawBody: Buffer): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

export function verifyMetaSignature(appSecret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header || !appSecret) return false;
  return constantTimeEqual(metaSignature(appSecret, rawBody), header.trim());
}

/**
 * Twilio: base64 HMAC-SHA1 (auth token) of the full URL followed by every POST parameter,
 * sorted by name, as name + value (https://www.twilio.com/docs/usage/security).
 */
export function twilioSignature(
  authToken: string,
  url: string,
  params: Record<string, string | string[]>,
): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name]!;
    for (const v of Array.isArray(value) ? [...value].sort() : [value]) data += name + v;
  }
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

export function verifyTwilioSignature(
  authToken: string,
  url: string,
  params: Record<string, string | string[]>,
  header: string | undefined,
): boolean {
  if (!header || !authToken) return false;
  return constantTimeEqual(twilioSignature(authToken, url, params), header.trim());
}

/** SendGrid Event Webhook: ECDSA P-256 / SHA-256 over timestamp + raw body, base64 DER signature. */
export function verifySendgridSignature(
  publicKey: KeyObject,
  rawBody: Buffer,
  signature: string | undefined,
  timestamp: string | undefined,
): boolean {
  if (!signature || !timestamp) return false;
  try {
    return verifySignature(
      'sha256',
      Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]),
      { key: publicKey, dsaEncoding: 'der' },
      Buffer.from(signature, 'base64'),
    );
  } catch {
    return false;
  }
}

export interface SnsMessage {
  Type: string;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  Subject?: string;
  Token?: string;
  SubscribeURL?: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
}

/** The fields SNS signs, in its documented order, each as "Name\nvalue\n". */
export function snsStringToSign(message: SnsMessage): string {
  const fields =
    message.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  let out = '';
  for (const field of fields) {
    const value = message[field as keyof SnsMessage];
    if (value === undefined) continue;
    out += `${field}\n${value}\n`;
  }
  return out;
}

const SNS_CERT_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;

/** Only certificates served by SNS itself over https may sign (no attacker-hosted certificate). */
export function isSnsCertificateUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && SNS_CERT_HOST.test(url.hostname) && url.pathname.endsWith('.pem');
  } catch {
    return false;
  }
}

export async function verifySnsMessage(
  message: SnsMessage,
  fetchCertificate: (url: string) => Promise<string>,
): Promise<boolean> {
  if (!message?.Signature || !message.SigningCertURL) return false;
  if (!isSnsCertificateUrl(message.SigningCertURL)) return false;
  const algorithm =
    message.SignatureVersion === '2' ? 'RSA-SHA256' : message.SignatureVersion === '1' ? 'RSA-SHA1' : null;
  if (!algorithm) return false;
  try {
    const pem = await fetchCertificate(message.SigningCertURL);
    const verifier = createVerify(algorithm);
    verifier.update(snsStringToSign(message), 'utf8');
    return verifier.verify(createPublicKey(pem), message.Signature, 'base64');
  } catch {
    return false;
  }
}

const certificates = new Map<string, string>();

/** A certificate already downloaded (or provisioned offline): used without fetching it again. */
export function rememberSnsCertificate(url: string, pem: string): void {
  certificates.set(url, pem);
}

/** Downloads (and caches) an SNS signing certificate. */
export async function fetchSnsCertificate(url: string): Promise<string> {
  const cached = certificates.get(url);
  if (cached) return cached;
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`SNS certificate: HTTP ${response.status}`);
  const pem = await response.text();
  certificates.set(url, pem);
  return pem;
}
