import { Command, Option } from 'commander';
import { CONFIG_DOC, type Config, ConfigError, loadConfig } from './config.ts';
import { systemContext } from './platform/auth/context.ts';
import { isRole, ROLES, type Role } from './platform/auth/roles.ts';
import { AppError } from './platform/errors.ts';

// Commands import what they use when they run: `--help` stays instant, and the CLI's one-shot
// commands don't load the HTTP stack.
const server = () => import('./server.ts');
const workspaces = () => import('./modules/workspaces/workspaces.service.ts');
const users = () => import('./platform/auth/users.ts');
const withDatabase: typeof import('./platform/db/database.ts').withDatabase = async (...args) =>
  (await import('./platform/db/database.ts')).withDatabase(...args);

/**
 * `clientela` — every command has --help and --json. With --json, stdout carries exactly one JSON
 * document and everything else (progress, PostgreSQL start-up) goes to stderr.
 */

interface GlobalOptions {
  json?: boolean;
}

function config(): Config {
  return loadConfig();
}

function print(json: boolean | undefined, data: unknown, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(data)}\n` : `${text}\n`);
}

function role(value: string): Role {
  if (!isRole(value)) throw new AppError('VALIDATION_FAILED', `--role must be one of ${ROLES.join(', ')}`);
  return value;
}

const program = new Command()
  .name('clientela')
  .description('Clientela: client database, segments and bulk messaging.')
  .option('--json', 'machine-readable output on stdout')
  .showHelpAfterError()
  .addHelpText(
    'after',
    `\nEnvironment:\n${CONFIG_DOC.map((c) => `  ${c.name.padEnd(22)} ${c.description} (default ${c.default})`).join('\n')}`,
  );

const globals = (): GlobalOptions => program.opts<GlobalOptions>();

program
  .command('serve')
  .description('Run the API, the dashboard and (unless --no-worker) a job worker')
  .option('--no-worker', 'do not run jobs in this process')
  .action(async (options: { worker: boolean }) => {
    await (await server()).serve(config(), { worker: options.worker });
  });

program
  .command('worker')
  .description('Run job workers only (scale out: start more on other machines with the same DATABASE_URL)')
  .action(async () => {
    await (await server()).workerOnly(config());
  });

program
  .command('migrate')
  .description('Apply database migrations and exit')
  .action(async () => {
    await withDatabase(config(), async () => {});
    print(globals().json, { migrated: true }, 'Migrations applied.');
  });

const workspace = program.command('workspace').description('Manage workspaces');
workspace
  .command('create')
  .description('Create a workspace and print its id')
  .requiredOption('--name <name>', 'workspace name')
  .option('--country <code>', 'default country (ISO 3166-1 alpha-2)')
  .option('--timezone <zone>', 'default IANA time zone')
  .option('--locale <locale>', 'default language: en, es or fr')
  .action(async (options: { name: string; country?: string; timezone?: string; locale?: string }) => {
    const { createWorkspace } = await workspaces();
    const created = await withDatabase(config(), ({ db }) =>
      createWorkspace(db, {
        name: options.name,
        default_country: options.country,
        default_timezone: options.timezone,
        default_locale: options.locale,
      }),
    );
    print(globals().json, { id: created.id, name: created.name }, created.id);
  });

const user = program.command('user').description('Manage dashboard users');
user
  .command('create')
  .description('Create a user who signs in with email and password, optionally in a workspace')
  .requiredOption('--email <email>', 'email address (the login)')
  .requiredOption('--password <password>', 'at least 10 characters')
  .option('--name <name>', 'display name')
  .option('--workspace <id>', 'add the user to this workspace')
  .addOption(new Option('--role <role>', 'role in --workspace').choices([...ROLES]).default('viewer'))
  .action(
    async (options: { email: string; password: string; name?: string; workspace?: string; role: string }) => {
      const { findUserByEmail, createPasswordUser } = await users();
      const { addMember, getWorkspace } = await workspaces();
      const result = await withDatabase(config(), async ({ db }) => {
        const existing = await findUserByEmail(db, options.email);
        if (existing && !options.workspace)
          throw new AppError('EMAIL_TAKEN', `A user with email ${options.email} already exists`);
        const created = existing ?? (await createPasswordUser(db, options));
        if (options.workspace) {
          await getWorkspace(db, options.workspace);
          await addMember(db, systemContext(options.workspace, 'cli'), created, role(options.role));
        }
        return {
          id: created.id,
          email: created.email,
          created: !existing,
          workspace: options.workspace ?? null,
        };
      });
      print(globals().json, result, `${result.created ? 'Created' : 'Added'} ${result.email} (${result.id})`);
    },
  );

user
  .command('set-password')
  .description("Set a user's password (for a forgotten password)")
  .requiredOption('--email <email>', 'the user')
  .requiredOption('--password <password>', 'at least 10 characters')
  .action(async (options: { email: string; password: string }) => {
    const { findUserByEmail, setPassword } = await users();
    await withDatabase(config(), async ({ db }) => {
      const found = await findUserByEmail(db, options.email);
      if (!found) throw AppError.notFound('User');
      await setPassword(db, found.id, options.password);
    });
    print(globals().json, { email: options.email, updated: true }, 'Password updated.');
  });

const apiKey = program.command('api-key').description('Manage API keys');
apiKey
  .command('create')
  .description('Create an API key and print it (only this once; it is stored hashed)')
  .requiredOption('--workspace <id>', 'workspace id')
  .requiredOption('--name <label>', 'what the key is for, e.g. "booking system"')
  .addOption(new Option('--role <role>', 'role of the key').choices([...ROLES]).default('agent'))
  .action(async (options: { workspace: string; name: string; role: string }) => {
    const { getWorkspace } = await workspaces();
    const { createApiKey } = await import('./modules/api-keys/api-keys.service.ts');
    const created = await withDatabase(config(), async ({ db }) => {
      await getWorkspace(db, options.workspace);
      return createApiKey(db, systemContext(options.workspace, 'cli'), {
        name: options.name,
        role: role(options.role),
      });
    });
    print(
      globals().json,
      { id: created.id, key: created.key, role: created.role, name: created.name },
      created.key,
    );
  });

program
  .command('seed-demo')
  .description(
    'Fill a workspace with a realistic demo (members, roles, API key, and the data of every module)',
  )
  .option('--workspace <id>', 'seed this workspace (default: a new "Demo" workspace)')
  .option('--clients <n>', 'how many clients', '2000')
  .action(async (options: { workspace?: string; clients: string }) => {
    const clients = Number(options.clients);
    if (!Number.isInteger(clients) || clients < 0 || clients > 2_000_000) {
      throw new AppError('VALIDATION_FAILED', '--clients must be an integer between 0 and 2000000');
    }
    const json = globals().json;
    const { runSeedDemo } = await import('./seed/seed-demo.ts');
    const summary = await withDatabase(config(), ({ db }) =>
      runSeedDemo(db, {
        workspaceId: options.workspace ?? null,
        clients,
        progress: (m) => process.stderr.write(`${m}\n`),
      }),
    );
    print(json, summary, `Seeded workspace ${summary.workspace.name} (${summary.workspace.id}).`);
  });

const segment = program.command('segment').description('Segments from the command line');
segment
  .command('count')
  .description(
    "Count (and list the first) clients matching a one-line query, e.g. 'tag:vip city:Madrid ltv>500' (docs/SEGMENT-QUERY.md)",
  )
  .argument('<query>', 'the one-line segment query')
  .requiredOption('--workspace <id>', 'the workspace')
  .option('--limit <n>', 'also list the first n clients (0–200)', '0')
  .action(async (query: string, options: { workspace: string; limit: string }) => {
    const limit = Number(options.limit);
    if (!Number.isInteger(limit) || limit < 0 || limit > 200)
      throw AppError.validation([{ path: '/limit', message: 'an integer from 0 to 200' }]);
    const { parseQuery, evaluateSegment } = await import('./modules/segments/segments.service.ts');
    const cfg = config();
    const result = await withDatabase(cfg, async ({ db }) => {
      const ctx = systemContext(options.workspace, 'cli');
      try {
        const parsed = await parseQuery(db, ctx, query);
        const evaluated = await evaluateSegment(
          db,
          ctx,
          { definition: parsed.definition, limit },
          { timeoutMs: cfg.segmentTimeoutMs },
        );
        return { query: parsed.query, definition: parsed.definition, ...evaluated };
      } catch (error) {
        // A syntax error points at its column under the query, as the dashboard does.
        const detail =
          error instanceof AppError ? (error.details[0] as { column?: number } | undefined) : undefined;
        if (detail?.column && !globals().json)
          process.stderr.write(`  ${query}\n  ${' '.repeat(detail.column - 1)}^\n`);
        throw error;
      }
    });
    const lines = [
      `${result.count} clients match ${result.query ?? query}`,
      ...result.clients.map((c) => `  ${c.id}  ${c.name}${c.email ? `  ${c.email}` : ''}`),
    ];
    print(globals().json, result, lines.join('\n'));
  });

program
  .command('import')
  .description('Import clients from a CSV, TSV, XLSX, JSON or NDJSON file (progress on stderr)')
  .argument('<file>', 'the file to import')
  .requiredOption('--workspace <id>', 'the workspace')
  .option('--dry-run', 'show the first rows as they would be stored and the counts; write nothing')
  .option(
    '--map <pairs>',
    'column=target pairs, comma separated, over the proposed mapping (targets: first_name, last_name, full_name, email, phone, city, country, external_id, birthday, tags, custom.<key>, new.<key>, ignore…)',
  )
  .addOption(
    new Option('--on-duplicate <policy>', 'a row matching a client (external_id, email, phone)')
      .choices(['skip', 'update', 'overwrite', 'create'])
      .default('skip'),
  )
  .option('--sheet <name>', 'XLSX: the sheet to read (default the first)')
  .option('--tag <names>', 'tags added to every imported client, comma separated')
  .action(
    async (
      file: string,
      options: {
        workspace: string;
        dryRun?: boolean;
        map?: string;
        onDuplicate: string;
        sheet?: string;
        tag?: string;
      },
    ) => {
      const { importFromCli } = await import('./modules/imports/imports.cli.ts');
      const cfg = config();
      const { resolveSecretKey } = await import('./platform/db/database.ts');
      const secretKey = await resolveSecretKey(cfg);
      const json = globals().json;
      const result = await withDatabase(cfg, ({ db }) =>
        importFromCli(db, {
          file,
          workspaceId: options.workspace,
          dryRun: options.dryRun === true,
          map: options.map,
          onDuplicate: options.onDuplicate,
          sheet: options.sheet,
          tags: options.tag,
          secretKey,
          progress: !json && process.stderr.isTTY !== false,
        }),
      );
      print(json, result.json, result.text);
    },
  );

function explain(error: unknown): string {
  if (error instanceof AppError) {
    return [error.message, ...error.details.map((d) => `  ${d.path}: ${d.message}`)].join('\n');
  }
  if (error instanceof ConfigError) return `Configuration: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

const LONG_RUNNING = new Set(['serve', 'worker']);

program
  .parseAsync(process.argv)
  .then(() => {
    // One-shot commands end here even if a library left a timer behind.
    if (!LONG_RUNNING.has(program.args[0] ?? '')) process.exit(0);
  })
  .catch((error: unknown) => {
    const json = program.opts<GlobalOptions>().json;
    if (json) {
      const code = error instanceof AppError ? error.code : error instanceof ConfigError ? 'CONFIG' : 'ERROR';
      process.stdout.write(`${JSON.stringify({ error: { code, message: explain(error) } })}\n`);
    } else {
      process.stderr.write(`clientela: ${explain(error)}\n`);
    }
    process.exit(1);
  });
