/**
 * The path a consumer takes: `npm pack` the three packages, install the tarballs into a scratch project
 * outside the repository, and run the docs' examples with plain `node`, as ESM and as CommonJS. Also checks
 * what the tarballs hold, and two copies of core in one process. Needs the packages built (`npm run build`;
 * `.ci/run` builds before `npm test`); without a build, or with one older than the sources, it is skipped,
 * saying so. It takes minutes (an npm install, PGlite): `npm run test:consumer` builds and runs it alone.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../../', import.meta.url));
const PACKAGES = ['core', 'entra-adapter', 'store-postgres'] as const;
const EXAMPLES = { embedding: 'main', offline: 'offline' } as const;
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const versionOf = (dep: string) => (JSON.parse(readFileSync(join(repo, 'node_modules', dep, 'package.json'), 'utf8')) as { version: string }).version;

/** Newest (or oldest) modification time of the files under `dir`. */
function mtimes(dir: string): number[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => statSync(join(e.parentPath, e.name)).mtimeMs);
}
// A dist older than its sources would test yesterday's code: skip, saying so, rather than fail on it.
const unbuilt = PACKAGES.filter((p) => {
  const dist = join(repo, 'packages', p, 'dist');
  if (!existsSync(join(dist, 'index.js'))) return true;
  return Math.max(...mtimes(join(repo, 'packages', p, 'src'))) > Math.min(...mtimes(dist));
});
if (unbuilt.length > 0) {
  console.warn(`consumer.test.ts skipped: ${unbuilt.join(', ')} not built, or built before its sources last changed; run \`npm run build\` first (.ci/run does)`);
}

/** npm's own variables (set by `npm test`) would point the scratch install back at this repository. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));

interface Packed {
  name: string;
  filename: string;
  files: { path: string }[];
}

describe.skipIf(unbuilt.length > 0)('the packed packages, installed into a scratch project', () => {
  let scratch = '';
  const packed: Record<string, Packed> = {};

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'jitadmin-consumer-'));
    const tarballs = join(scratch, 'tarballs');
    mkdirSync(tarballs);
    for (const p of PACKAGES) {
      const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs], { cwd: join(repo, 'packages', p), env });
      const [info] = JSON.parse(stdout) as Packed[];
      packed[p] = info!;
    }
    const app = join(scratch, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '0.0.0', private: true, type: 'module' }));
    await run(
      'npm',
      [
        'install',
        ...PACKAGES.map((p) => join(tarballs, packed[p]!.filename)),
        `msw@${versionOf('msw')}`,
        `@electric-sql/pglite@${versionOf('@electric-sql/pglite')}`,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--loglevel=error',
      ],
      { cwd: app, env },
    );
    // The docs' examples, types stripped, as ESM and as CommonJS.
    for (const name of Object.keys(EXAMPLES)) {
      const source = readFileSync(join(repo, 'docs', 'examples', `${name}.ts`), 'utf8');
      writeFileSync(join(app, `${name}.ts`), source);
      for (const [ext, module] of [['mjs', ts.ModuleKind.ESNext], ['cjs', ts.ModuleKind.CommonJS]] as const) {
        const js = ts.transpileModule(source, { compilerOptions: { module, target: ts.ScriptTarget.ES2022 } }).outputText;
        writeFileSync(join(app, `${name}.${ext}`), js);
      }
    }
    cpSync(fixture('run-example.mjs'), join(app, 'run-example.mjs'));
    cpSync(fixture('nested-core.mjs'), join(app, 'nested-core.mjs'));
  }, 300_000);

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const app = () => join(scratch, 'app');
  const node = async (...args: string[]) => (await run(process.execPath, args, { cwd: app(), env, timeout: 230_000 })).stdout;

  describe('the tarballs', () => {
    const license = readFileSync(join(repo, 'LICENSE'), 'utf8');

    it.each(PACKAGES)('%s holds LICENSE, README, package.json and every file its exports name, and no sources or maps', (p) => {
      const files = new Set(packed[p]!.files.map((f) => f.path));
      expect(files).toContain('LICENSE');
      expect(files).toContain('README.md');
      expect(readFileSync(join(repo, 'packages', p, 'LICENSE'), 'utf8')).toBe(license);
      expect([...files].filter((f) => f.endsWith('.map') || f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);

      const manifest = JSON.parse(readFileSync(join(repo, 'packages', p, 'package.json'), 'utf8')) as {
        exports: Record<string, unknown>;
        repository: { directory: string };
        homepage: string;
        bugs: { url: string };
        keywords: string[];
      };
      expect(manifest.repository.directory).toBe(`packages/${p}`);
      expect(manifest.homepage).toMatch(/^https:\/\/github\.com\/jitadmin\/jitadmin/);
      expect(manifest.bugs.url).toMatch(/^https:\/\//);
      expect(manifest.keywords.length).toBeGreaterThan(3);
      for (const [entry, target] of Object.entries(manifest.exports)) {
        if (entry === './package.json') continue;
        const leaves = JSON.stringify(target).match(/"\.\/[^"]+"/g)!.map((s) => s.slice(3, -1));
        for (const leaf of leaves) expect(files, `${p} ${entry} → ${leaf}`).toContain(leaf);
        expect(leaves.some((l) => l.endsWith('.d.ts')), `${p} ${entry} has types`).toBe(true);
        // Types in files of stable names: no hashed chunk for go-to-definition to land in.
        expect([...files].filter((f) => /-[A-Za-z0-9_]{8}\.d\.c?ts$/.test(f))).toEqual([]);
      }
    });

    it('core ships no CommonJS build of the conformance suites (vitest cannot be required)', () => {
      const files = packed.core!.files.map((f) => f.path);
      expect(files).toContain('dist/testing/index.js');
      expect(files.filter((f) => f.startsWith('dist/testing/') && f.endsWith('.cjs'))).toEqual([]);
    });

    it('READMEs link to absolute URLs, which work on npm', () => {
      for (const p of PACKAGES) {
        const readme = readFileSync(join(repo, 'packages', p, 'README.md'), 'utf8');
        const links = [...readme.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]!);
        expect(links.length, p).toBeGreaterThan(0);
        expect(links.filter((l) => !/^https:\/\//.test(l)), p).toEqual([]);
      }
    });
  });

  // The offline recipe starts PGlite (slow on a busy machine): once, as ESM; CommonJS loading of every entry is
  // covered by the lifecycle example and the require test below.
  const runs = [['embedding', 'main', 'mjs'], ['embedding', 'main', 'cjs'], ['offline', 'offline', 'mjs']] as const;
  it.each(runs)(
    'docs/examples/%s.ts runs with plain node (%s, as .%s) and leaves nothing open',
    async (name, fn, ext) => {
      const out = JSON.parse(await node('run-example.mjs', join(app(), `${name}.${ext}`), fn)) as { result: Record<string, unknown>; alive: string[] };
      expect(out.result.upn).toMatch(/^jitadmin-/);
      if (name === 'embedding') expect(out.result).toMatchObject({ state: 'closed', account: { deleted: true, enabled: false } });
      else expect(out.result).toMatchObject({ connection: 'connected', roles: ['729827e3-9c14-49f7-bb1b-9608f156bbb8'], state: 'closed' });
      expect(out.alive).toEqual([]);
    },
    240_000,
  );

  it('the main entries load under require, and @jitadmin/core/testing says it is import-only', async () => {
    const script = `
      const core = require('@jitadmin/core'); const fakes = require('@jitadmin/core/fakes');
      const entra = require('@jitadmin/entra-adapter'); const fake = require('@jitadmin/entra-adapter/testing');
      const store = require('@jitadmin/store-postgres');
      let testing; try { require('@jitadmin/core/testing'); testing = 'loaded'; } catch (e) { testing = e.code; }
      console.log(JSON.stringify({ core: typeof core.createJitAdmin, fakes: typeof fakes.createFakeDirectory, entra: typeof entra.entraDirectory,
        fake: typeof fake.createFakeEntra, store: typeof store.postgresStore, testing }));`;
    expect(JSON.parse(await node('-e', script))).toEqual({
      core: 'function',
      fakes: 'function',
      entra: 'function',
      fake: 'function',
      store: 'function',
      testing: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    });
  });

  it('two copies of core agree on errors: copy B’s transient error is TRANSIENT to copy A and its engine', async () => {
    const nested = join(app(), 'node_modules', 'some-adapter', 'node_modules', '@jitadmin', 'core');
    cpSync(join(app(), 'node_modules', '@jitadmin', 'core'), nested, { recursive: true });
    const out = JSON.parse(await node('nested-core.mjs', join(nested, 'dist', 'index.js'))) as Record<string, unknown>;
    expect(out).toEqual({
      distinctClasses: true,
      isJitError: true,
      instanceofJitError: true,
      instanceofDirectoryError: true,
      instanceofStoreError: false,
      retryable: true,
      passesThrough: true,
      engineRecorded: 'TRANSIENT',
    });
  });

  it('the examples typecheck against the installed types (strict, NodeNext)', async () => {
    writeFileSync(
      join(app(), 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, skipLibCheck: true, types: [] },
        files: ['embedding.ts', 'offline.ts'],
      }),
    );
    const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app(), env }).catch((e: { stdout: string }) => e);
    expect(result.stdout).toBe('');
  }, 120_000);
});
