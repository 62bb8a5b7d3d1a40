/**
 * TEST-ONLY: the browser tests' starting data in one process (run with `node bin/run-ts.mjs`):
 * "Clínica Sol" owned by Ana and "Rentals Norte" where she is admin, made by the same service
 * calls as `clientela workspace create` and `clientela user create` (test/cli.test.ts tests those
 * commands). Four CLI processes took 4–5 s of every browser test file's start; this takes one.
 * Prints `{ clinic, rentals }` as JSON on stdout.
 */
import { loadConfig } from '../../../src/config.ts';
import { addMember, createWorkspace } from '../../../src/modules/workspaces/workspaces.service.ts';
import { systemContext } from '../../../src/platform/auth/context.ts';
import { createPasswordUser } from '../../../src/platform/auth/users.ts';
import { withDatabase } from '../../../src/platform/db/database.ts';

const [email, password, name] = process.argv.slice(2);
if (!email || !password || !name) throw new Error('usage: seed.ts <email> <password> <name>');

const seeded = await withDatabase(loadConfig(), async ({ db }) => {
  const clinic = await createWorkspace(db, { name: 'Clínica Sol' });
  const rentals = await createWorkspace(db, { name: 'Rentals Norte' });
  const owner = await createPasswordUser(db, { email, password, name });
  await addMember(db, systemContext(clinic.id, 'cli'), owner, 'owner');
  await addMember(db, systemContext(rentals.id, 'cli'), owner, 'admin');
  return {
    clinic: { id: clinic.id, name: clinic.name },
    rentals: { id: rentals.id, name: rentals.name },
  };
});
process.stdout.write(`${JSON.stringify(seeded)}\n`);
