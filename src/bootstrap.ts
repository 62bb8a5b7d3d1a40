import { sql } from 'drizzle-orm';
import { createWorkspace } from './modules/workspaces/workspaces.service.ts';
import { generatePassword } from './platform/auth/password.ts';
import { createPasswordUser } from './platform/auth/users.ts';
import type { Database } from './platform/db/db.ts';

export interface FirstOwner {
  email: string;
  password: string;
  workspaceId: string;
}

/**
 * On the very first start (no user at all), create an owner and a first workspace. Serialized by
 * an advisory lock so two processes starting together create one owner, not two.
 */
export async function ensureFirstOwner(db: Database, email: string): Promise<FirstOwner | null> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(727217002)`);
    const existing = await tx.execute<{ n: number }>(sql`select count(*)::int as n from users`);
    if ((existing.rows[0]?.n ?? 0) > 0) return null;
    const password = generatePassword();
    const user = await createPasswordUser(tx, { email, password, name: 'Owner' });
    const workspace = await createWorkspace(tx as unknown as Database, { name: 'My business' }, { user });
    return { email, password, workspaceId: workspace.id };
  });
}

export function printFirstLogin(owner: FirstOwner, url: string): void {
  const lines = [
    'Clientela is ready. This is the first start, so an owner account was created:',
    '',
    `  Open      ${url}`,
    `  Email     ${owner.email}`,
    `  Password  ${owner.password}`,
    '',
    'The password is shown only this once. Change it in the dashboard (user menu › Change password)',
    'or with: clientela user set-password --email <email> --password <new password>',
  ];
  const width = Math.max(...lines.map((l) => l.length)) + 4;
  const bar = '═'.repeat(width);
  process.stdout.write(
    `\n╔${bar}╗\n${lines.map((l) => `║  ${l.padEnd(width - 2)}║`).join('\n')}\n╚${bar}╝\n\n`,
  );
}
