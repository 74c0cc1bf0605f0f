/**
 * Production does not load the demo: a production start-up, run in its own process, loads neither the
 * development IdP (oidc-provider), nor msw, nor the fake Entra ID, nor anything under src/demo. The same
 * probe on a demo start-up finds all of them, so the probe itself is shown to see them.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));

function loadedModules(mode: 'production' | 'demo'): string[] {
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--import', './test/fixtures/record-loads.mjs', 'test/fixtures/start-server.ts', mode], {
    cwd: SERVER_DIR,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const line = run.stdout.split('\n').find((l) => l.startsWith('{'));
  expect(line, `${run.stdout}\n${run.stderr}`).toBeDefined();
  const report = JSON.parse(line!) as { mode: string; modules: string[] };
  expect(report.mode).toBe(mode);
  return report.modules;
}

const DEMO_ONLY: [string, RegExp][] = [
  ['the development IdP (oidc-provider)', /\/node_modules\/oidc-provider\//],
  ['msw', /\/node_modules\/msw\//],
  ['the fake Entra ID', /\/packages\/entra-adapter\/src\/testing\//],
  ['the demo wiring (src/demo)', /\/examples\/server\/src\/demo\//],
];

describe('the production module graph', () => {
  it('loads none of the demo', () => {
    const modules = loadedModules('production');
    expect(modules.some((m) => m.includes('/examples/server/src/server.ts'))).toBe(true);
    for (const [what, pattern] of DEMO_ONLY) expect(modules.filter((m) => pattern.test(m)), what).toEqual([]);
  }, 180_000);

  it('while the demo loads all of it (the probe sees them)', () => {
    const modules = loadedModules('demo');
    for (const [what, pattern] of DEMO_ONLY) expect(modules.some((m) => pattern.test(m)), what).toBe(true);
  }, 180_000);
});
