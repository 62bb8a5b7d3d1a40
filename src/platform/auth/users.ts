import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/db.ts';
import { AppError } from '../errors.ts';
import { accounts, users } from './auth.schema.ts';
import { hashPassword, MIN_PASSWORD_LENGTH } from './password.ts';

export type User = typeof users.$inferSelect;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export const EMAIL_PATTERN = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export async function findUserByEmail(db: DbOrTx, email: string): Promise<User | null> {
  const [row] = await db
    .select()
    .from(users)
    .where(eq(users.email, normalizeEmail(email)));
  return row ?? null;
}

export async function getUser(db: DbOrTx, id: string): Promise<User | null> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row ?? null;
}

/**
 * A user who signs in with email and password: the same two rows better-auth's sign-up writes
 * (user + credential account), written by us because public sign-up is closed.
 */
export async function createPasswordUser(
  db: DbOrTx,
  input: { email: string; password: string; name?: string | null },
): Promise<User> {
  const email = normalizeEmail(input.email);
  const problems = [];
  if (!EMAIL_PATTERN.test(email)) problems.push({ path: '/email', message: 'not a valid email address' });
  if (input.password.length < MIN_PASSWORD_LENGTH)
    problems.push({ path: '/password', message: `must be at least ${MIN_PASSWORD_LENGTH} characters` });
  if (problems.length) throw AppError.validation(problems);
  if (await findUserByEmail(db, email))
    throw new AppError('EMAIL_TAKEN', `A user with email ${email} already exists`);
  const name = input.name?.trim() || email.split('@')[0]!;
  const [user] = await db.insert(users).values({ email, name, emailVerified: false }).returning();
  await db.insert(accounts).values({
    userId: user!.id,
    accountId: user!.id,
    providerId: 'credential',
    password: await hashPassword(input.password),
  });
  return user!;
}

export async function setPassword(db: DbOrTx, userId: string, password: string): Promise<void> {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw AppError.validation([
      { path: '/password', message: `must be at least ${MIN_PASSWORD_LENGTH} characters` },
    ]);
  await db
    .update(accounts)
    .set({ password: await hashPassword(password), updatedAt: new Date() })
    .where(eq(accounts.userId, userId));
}
