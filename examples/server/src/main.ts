/**
 * Entry point: `npm start`. Reads the configuration (demo mode needs none), starts the server, prints where
 * to go, and shuts down gracefully on SIGTERM/SIGINT (finishing the step in hand).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from './config.js';
import { startServer } from './server.js';

async function main() {
  let config;
  try {
    config = loadConfig(process.env, (path) => readFileSync(path, 'utf8'));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const server = await startServer(config);
  if (server.demo) {
    console.log(`
  jitadmin demo is running: ${server.url}

  Sign in as (password for everyone: ${server.demo.password})
${server.demo.people.map((p) => `    ${p.id.padEnd(6)} ${p.name} (${p.role})`).join('\n')}

  Everything is offline: fake Entra ID tenants, a development identity provider, data in ${config.dataDir}.
`);
  } else {
    console.log(`jitadmin is running: ${server.url}`);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing the step in hand, then stopping…`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('shutdown failed', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('jitadmin failed to start:', error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
