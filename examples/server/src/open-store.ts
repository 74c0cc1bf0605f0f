/** The configured store: PostgreSQL at DATABASE_URL, or the embedded PGlite in DATA_DIR (demo). */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '@jitadmin/core';
import { openEmbedded, postgresStore } from '@jitadmin/store-postgres';
import pg from 'pg';
import type { ServerConfig } from './config.js';

export async function openStore(config: Pick<ServerConfig, 'databaseUrl' | 'dataDir'>): Promise<Store> {
  if (config.databaseUrl) {
    return postgresStore({ db: new pg.Pool({ connectionString: config.databaseUrl, max: 10 }) });
  }
  mkdirSync(config.dataDir, { recursive: true });
  return postgresStore({ db: await openEmbedded(join(config.dataDir, 'pglite')) });
}
