import type { Config } from '../../config.ts';
import { readOrCreateSecrets, startEmbeddedPostgres } from './embedded.ts';

export interface DatabaseLocation {
  url: string;
  embedded: boolean;
  /** Stops the embedded server when this process started it; a no-op otherwise. */
  stop(): Promise<void>;
}

/** DATABASE_URL when set; otherwise the embedded cluster in the data folder (started or attached). */
export async function openDatabase(config: Config, log: (message: string) => void): Promise<DatabaseLocation> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: async () => {} };
  const handle = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPostgresPort, log });
  return { url: handle.url, embedded: true, stop: handle.stop };
}

/** SECRET_KEY when set; otherwise the key generated into the data folder on first start. */
export async function resolveSecretKey(config: Config): Promise<string> {
  return config.secretKey ?? (await readOrCreateSecrets(config.dataDir)).secretKey;
}
