/**
 * `npm run reseal -w @jitadmin/example-server`: the second step of a SecretBox key rotation. With the same
 * environment as the server (JITADMIN_MODE=production, SECRET_BOX_KEYS with the new key first and the old
 * ones after it), it re-seals under the new key every credential still held under another key (or sealed
 * before key ids), one audited write per grant. Safe while servers run, and to run again. Exit codes: 0 done,
 * 75 some grants changed under it (run again), 78 configuration.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createAesGcmSecretBox, isJitError, resealSecrets, type ResealReport, type Store } from '@jitadmin/core';
import { ConfigError, loadConfig } from './config.js';
import { openStore } from './open-store.js';

/** Re-seals what `store` holds under the first of `keys`; reports one line through `log`. */
export async function reseal(options: { keys: readonly { id: string; key: string }[]; store: Store; log: (line: string) => void }): Promise<ResealReport> {
  const report = await resealSecrets({ store: options.store, secretBox: createAesGcmSecretBox(options.keys) });
  const from = Object.entries(report.fromKey).map(([k, n]) => `${k} ×${n}`);
  options.log(
    `re-sealed ${report.secretsResealed} secret(s) of ${report.grantsResealed} grant(s) under key "${report.keyId}"` +
      (from.length ? ` (they were under: ${from.join(', ')})` : '') +
      `; ${report.grantsExamined} live grant(s) examined` +
      (report.grantsSkipped ? `; ${report.grantsSkipped} changed meanwhile: run again` : ''),
  );
  return report;
}

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig(process.env, (path) => readFileSync(path, 'utf8'));
    if (config.mode !== 'production' || !config.secretBoxKeys) {
      throw new ConfigError('JITADMIN_MODE', 'must be "production": re-sealing works on the production store with its SECRET_BOX_KEYS');
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 78; // EX_CONFIG
    }
    throw error;
  }
  const store = await openStore(config);
  try {
    const report = await reseal({ keys: config.secretBoxKeys!, store, log: (line) => process.stdout.write(`${line}\n`) });
    return report.grantsSkipped > 0 ? 75 : 0; // EX_TEMPFAIL: run again
  } finally {
    await store.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      // jitadmin's messages carry no secret (SECRET_KEY_UNKNOWN names the missing key id); of anything else,
      // name and code only: a driver's message could carry a connection string.
      const e = error as { name?: string; code?: unknown };
      console.error(isJitError(error) ? `reseal failed: ${error.code}: ${error.message}` : `reseal failed: ${e.name ?? typeof error}${typeof e.code === 'string' ? ` (${e.code})` : ''}`);
      process.exit(1);
    },
  );
}
