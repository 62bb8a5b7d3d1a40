import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/**
 * One secret key (SECRET_KEY or the generated one in the data folder) yields independent subkeys
 * per purpose, so a token signed for unsubscribe links can never pass as a tracking id and the
 * encryption key is not the signing key.
 */
function subkey(secretKey: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, 'clientela', purpose, 32));
}

/** The server's sealing and signing tools, built once by the composition root from the secret key. */
export interface SecretBox {
  /** AES-256-GCM; the output is `v1.<iv>.<tag>.<ciphertext>` in base64url, safe to store as text. */
  encrypt(plaintext: string): string;
  /** Throws when the value was not sealed with this key or was altered. */
  decrypt(sealed: string): string;
  /**
   * An opaque, URL-safe token carrying `payload` (JSON) signed with HMAC-SHA256 for one purpose.
   * Not encrypted: put ids in it, never secrets.
   */
  sign(purpose: string, payload: unknown): string;
  /** The payload, or null when the token is malformed, altered or signed for another purpose. */
  verify<T>(purpose: string, token: string): T | null;
}

export function createSecretBox(secretKey: string): SecretBox {
  if (!secretKey) throw new Error('The secret box needs the secret key');
  const encryptionKey = subkey(secretKey, 'encrypt:v1');
  // Derived once per purpose: a campaign signs several links per message.
  const signingKeys = new Map<string, Buffer>();
  const signingKey = (purpose: string) => {
    let key = signingKeys.get(purpose);
    if (!key) {
      key = subkey(secretKey, `sign:${purpose}`);
      signingKeys.set(purpose, key);
    }
    return key;
  };
  const mac = (purpose: string, body: string) =>
    createHmac('sha256', signingKey(purpose)).update(body).digest();

  return {
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', encryptionKey, iv);
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv, cipher.getAuthTag(), data]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },
    decrypt(sealed) {
      const [version, iv, tag, data] = sealed.split('.');
      if (version !== 'v1' || iv === undefined || tag === undefined || data === undefined) {
        throw new Error('Not a sealed secret');
      }
      const decipher = createDecipheriv('aes-256-gcm', encryptionKey, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    },
    sign(purpose, payload) {
      const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
      // 16 bytes of MAC keeps links short; 128 bits is far beyond guessing.
      return `${body}.${mac(purpose, body).subarray(0, 16).toString('base64url')}`;
    },
    verify<T>(purpose: string, token: string): T | null {
      const dot = token.lastIndexOf('.');
      if (dot <= 0) return null;
      const body = token.slice(0, dot);
      const given = Buffer.from(token.slice(dot + 1), 'base64url');
      const expected = mac(purpose, body).subarray(0, 16);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      try {
        return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
      } catch {
        return null;
      }
    },
  };
}
