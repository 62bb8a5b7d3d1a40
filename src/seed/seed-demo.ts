import { asc } from 'drizzle-orm';
import { createApiKey } from '../modules/api-keys/api-keys.service.ts';
import { consentSeeder } from '../modules/consent/consent.seed.ts';
import { eventsSeeder } from '../modules/events/events.seed.ts';
import { notesSeeder } from '../modules/notes/notes.seed.ts';
import { addMember, createWorkspace, getWorkspace } from '../modules/workspaces/workspaces.service.ts';
import { users } from '../platform/auth/auth.schema.ts';
import { systemContext, type WorkspaceContext } from '../platform/auth/context.ts';
import type { Role } from '../platform/auth/roles.ts';
import { createPasswordUser, findUserByEmail } from '../platform/auth/users.ts';
import type { Database } from '../platform/db/db.ts';
import { clientsSeeder } from './clients.seed.ts';
import { DEMO_PASSWORD, demoPeople } from './people.ts';

/**
 * A seeder fills one part of the demo workspace. Each module that lands adds its own to SEEDERS
 * (clients, events, segments, campaigns…), so `clientela seed-demo` grows with the product.
 */
export interface SeedContext {
  db: Database;
  ctx: WorkspaceContext;
  clients: number;
  progress: (message: string) => void;
  summary: Record<string, unknown>;
  /** Filled by the clients seeder, for the seeders after it. */
  clientIds: string[];
  locationIds: string[];
}

export type Seeder = { name: string; run: (seed: SeedContext) => Promise<void> };

const teamSeeder: Seeder = {
  name: 'team',
  async run({ db, ctx, summary, progress }) {
    const team: { name: string; role: Role }[] = [
      { name: 'Lucía Fernández', role: 'admin' },
      { name: 'Hugo Martin', role: 'marketer' },
      { name: 'Sara Navarro', role: 'agent' },
      { name: 'James Carter', role: 'viewer' },
    ];
    const members = [];
    for (const person of team) {
      const email = `${demoPeople.slug(person.name)}@demo.clientela.local`;
      const user =
        (await findUserByEmail(db, email)) ??
        (await createPasswordUser(db, { email, name: person.name, password: DEMO_PASSWORD }));
      await addMember(db, ctx, user, person.role);
      members.push({ email, role: person.role });
    }
    const key = await createApiKey(db, ctx, { name: 'Demo booking system', role: 'agent' });
    summary.members = members;
    summary.member_password = DEMO_PASSWORD;
    summary.api_key = key.key;
    progress(`team: ${members.length} members (password ${DEMO_PASSWORD}) and an API key`);
  },
};

export const SEEDERS: Seeder[] = [teamSeeder, clientsSeeder, notesSeeder, consentSeeder, eventsSeeder];

async function firstUser(db: Database) {
  const [user] = await db.select().from(users).orderBy(asc(users.createdAt)).limit(1);
  return user ?? null;
}

export async function runSeedDemo(
  db: Database,
  options: { workspaceId: string | null; clients: number; progress: (message: string) => void },
) {
  const workspace = options.workspaceId
    ? await getWorkspace(db, options.workspaceId)
    : await createWorkspace(
        db,
        { name: 'Demo — Surf & Kayak Valencia', default_country: 'ES', default_timezone: 'Europe/Madrid' },
        // The instance's first user (the owner printed at first start) owns the demo, so it shows in their switcher.
        { user: await firstUser(db) },
      );
  const seed: SeedContext = {
    db,
    ctx: systemContext(workspace.id, 'seed-demo'),
    clients: options.clients,
    progress: options.progress,
    summary: {},
    clientIds: [],
    locationIds: [],
  };
  for (const seeder of SEEDERS) await seeder.run(seed);
  return { workspace: { id: workspace.id, name: workspace.name }, ...seed.summary };
}
