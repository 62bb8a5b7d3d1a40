import { betterAuth } from 'better-auth';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import type { Database } from '../db/db.ts';
import { accounts, sessions, users, verifications } from './auth.schema.ts';
import { hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from './password.ts';

export const AUTH_BASE_PATH = '/api/auth';

export interface AuthOptions {
  db: Database;
  secret: string;
  publicUrl: string | null;
  sessionDays: number;
  trustProxy: boolean;
}

/**
 * better-auth owns dashboard sign-in, sessions and password changes. Sign-up is closed: accounts
 * come from the first start, the CLI and workspace invitations. Its own rate limiter is off
 * because ours (auth-rate-limit.ts) counts failures per account and per IP across all processes.
 */
export function createAuth(options: AuthOptions) {
  const secureCookies = options.publicUrl?.startsWith('https://') ?? false;
  return betterAuth({
    appName: 'Clientela',
    basePath: AUTH_BASE_PATH,
    baseURL: options.publicUrl ?? { allowedHosts: ['*'], protocol: 'auto' },
    secret: options.secret,
    database: drizzleAdapter(options.db, {
      provider: 'pg',
      schema: { user: users, session: sessions, account: accounts, verification: verifications },
    }),
    emailAndPassword: {
      enabled: true,
      disableSignUp: true,
      minPasswordLength: MIN_PASSWORD_LENGTH,
      maxPasswordLength: 256,
      password: { hash: hashPassword, verify: ({ hash, password }) => verifyPassword(hash, password) },
    },
    session: {
      expiresIn: options.sessionDays * 24 * 3600,
      updateAge: 24 * 3600,
      // No cookie cache: sign-out and "revoke other sessions" must take effect at once.
      cookieCache: { enabled: false },
    },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    advanced: {
      cookiePrefix: 'clientela',
      useSecureCookies: secureCookies,
      trustedProxyHeaders: options.trustProxy,
      database: { generateId: 'uuid' },
      ipAddress: { ipAddressHeaders: options.trustProxy ? ['x-forwarded-for'] : [] },
    },
  });
}

export type Auth = ReturnType<typeof createAuth>;
