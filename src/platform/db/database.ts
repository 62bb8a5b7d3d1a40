import type { Config } from '../../config.ts';
import { createDb, migrateDatabase } from './db.ts';
import { readOrCreateSecrets, startEmbeddedPostgres } from './embedded.ts';

export interface DatabaseLocation {
  url: string;
  embedded: boolean;
  /** Stops the embedded server when this process started it; a no-op otherwise. */
  stop(): Promise<void>;
}

/** DATABASE_URL when set; otherwise the embedded cluster in the data folder (started or attached). */
export async function openDatabase(
  config: Config,
  log: (message: string) => void,
): Promise<DatabaseLocation> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: async () => {} };
  const handle = await startEmbeddedPostgres({
    dataDir: config.dataDir,
    port: config.embeddedPostgresPort,
    log,
  });
  return { url: handle.url, embedded: true, stop: handle.stop };
}

/** SECRET_KEY when set; otherwise the key generated into the data folder on first start. */
export async function resolveSecretKey(config: Config): Promise<string> {
  return config.secretKey ?? (await readOrCreateSecrets(config.dataDir)).secretKey;
}

/** For CLI commands: the same database the server uses (attached or started for this run). */
export async function withDatabase<T>(
  config: Config,
  work: (handle: ReturnType<typeof createDb>) => Promise<T>,
  log: (message: string) => void = (m) => process.stderr.write(`${m}\n`),
): Promise<T> {
  const database = await openDatabase(config, log);
  try {
    await migrateDatabase(database.url);
    const handle = createDb(database.url, { max: 4, applicationName: 'clientela-cli' });
    try {
      return await work(handle);
    } finally {
      await handle.close();
    }
  } finally {
    await database.stop();
  }
}
