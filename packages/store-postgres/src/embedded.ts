/**
 * Opens the embedded PGlite with settings sized for jitadmin rather than PostgreSQL's defaults.
 *
 * Why: PGlite runs PostgreSQL inside this process's WebAssembly heap, and PostgreSQL's default
 * `shared_buffers` (its page cache) is 128 MB, which PGlite allocates and touches at start-up. With it, a
 * PGlite process sits at 300–400 MB resident at rest; the store's working set (grants, secrets, the audit
 * trail of a few thousand grants) is a few megabytes. A smaller cache keeps the hot pages; the rest come from
 * the data directory through the operating system's page cache (or, in memory, from PGlite's in-memory file
 * system), which is not counted in this process's resident set. Measured on PGlite 0.5.16: 16 MB of
 * `shared_buffers` saves about 110 MB of resident set with no measurable change in per-statement time.
 * docs/operations.md has the figures and what else to plan for.
 *
 * PGlite 0.4 and newer take start-up settings (`startParams`); 0.3 fixed `shared_buffers` at 128 MB.
 *
 * A new data directory is created (initdb) in a short-lived child process: PGlite runs initdb in a second
 * WebAssembly instance, and what that leaves behind (freed memory the allocator keeps, about 120 MB) would
 * stay in this process's resident set until it restarts. The child's memory goes back to the system when it
 * exits. If the child cannot run (no `node` to start, a bundle without PGlite's files on disk), the directory
 * is created here as PGlite does by itself. Missing parent directories are created.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StoreError } from '@jitadmin/core';
import type { PGliteLike } from './drivers/driver.js';
import { STORE_NAME } from './errors.js';

/** PostgreSQL's `shared_buffers` in the embedded store unless told otherwise. */
export const EMBEDDED_SHARED_BUFFERS = '16MB';

export interface EmbeddedOptions {
  /**
   * PostgreSQL's page cache inside the WASM heap (`shared_buffers`), e.g. `'16MB'`; it costs about as much
   * resident set. Default {@link EMBEDDED_SHARED_BUFFERS}. PostgreSQL's own minimum is `'128kB'`.
   */
  sharedBuffers?: string;
  /**
   * Further PostgreSQL settings, applied at start-up after ours (`name: value`, as `-c name=value`), e.g.
   * `{ work_mem: '1MB' }`.
   */
  settings?: Readonly<Record<string, string | number>>;
  /**
   * Create a new data directory in a child process (default true; see the top of this file). Ignored in
   * memory, where PGlite always creates the database in this process.
   */
  initInChildProcess?: boolean;
}

/** The part of the PGlite class this file uses (structural, so PGlite stays an optional peer dependency). */
interface PGliteClass {
  readonly defaultStartParams?: readonly string[];
  create(dataDir?: string, options?: { startParams?: string[] }): Promise<PGliteLike>;
}

const SIZE = /^[0-9]+(kB|MB|GB)?$/;
const NAME = /^[a-z_][a-z0-9_.]*$/;

function startSetting(name: string, value: string | number): string[] {
  const text = String(value);
  if (!NAME.test(name)) throw new StoreError('INTERNAL', `${STORE_NAME}: openEmbedded: "${name}" is not a setting name`);
  if (/[\0\r\n]/.test(text)) throw new StoreError('INTERNAL', `${STORE_NAME}: openEmbedded: the value of ${name} has a control character`);
  return ['-c', `${name}=${text}`];
}

/** The major version of PostgreSQL that made `dataDir`, from its `PG_VERSION` file, or null. */
function dataDirVersion(dataDir: string): string | null {
  try {
    const file = join(dataDir, 'PG_VERSION');
    return existsSync(file) ? readFileSync(file, 'utf8').trim() : null;
  } catch {
    return null;
  }
}

/** How long the child may take to create a data directory before it is stopped and this process does it. */
const CHILD_INIT_TIMEOUT_MS = 120_000;

/** The script the child runs: create the data directory with the same settings, then close it cleanly. */
const CHILD_SCRIPT = [
  'const m = await import(process.env.JITADMIN_PGLITE_ENTRY);',
  'const PGlite = m.PGlite ?? m.default?.PGlite;',
  'const db = await PGlite.create(process.env.JITADMIN_PGLITE_DIR, { startParams: JSON.parse(process.env.JITADMIN_PGLITE_PARAMS) });',
  'await db.close();',
].join('\n');

/** Where this process loads PGlite from, so that the child runs the very same copy; null if unknown. */
function pgliteEntry(): string | null {
  try {
    // Resolved from this file: `__filename` in the CommonJS build, `import.meta.url` in the ES module build.
    const here = typeof __filename === 'string' ? __filename : import.meta.url;
    return pathToFileURL(createRequire(here).resolve('@electric-sql/pglite')).href;
  } catch {
    return null;
  }
}

/** Whether `dir` is missing or an empty directory (nothing PGlite or anyone else would lose). */
function missingOrEmpty(dir: string): boolean {
  try {
    return readdirSync(dir).length === 0;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * Creates the data directory `dataDir` (missing or empty) in a child process: into a sibling directory
 * first, renamed into place only when the child succeeded, so a child that fails half-way leaves nothing.
 * Resolves true when `dataDir` is ready, false when this process should create it itself.
 */
export async function initDataDirInChild(dataDir: string, startParams: readonly string[]): Promise<boolean> {
  const entry = pgliteEntry();
  if (entry === null || !missingOrEmpty(dataDir)) return false;
  const staging = join(dirname(dataDir), `.${basename(dataDir)}.init-${process.pid}-${Date.now().toString(36)}`);
  const ok = await new Promise<boolean>((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT], {
        env: { ...process.env, JITADMIN_PGLITE_ENTRY: entry, JITADMIN_PGLITE_DIR: staging, JITADMIN_PGLITE_PARAMS: JSON.stringify(startParams) },
        stdio: 'ignore',
      });
    } catch {
      resolve(false);
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_INIT_TIMEOUT_MS);
    child.on('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0 && existsSync(join(staging, 'PG_VERSION')));
    });
  });
  try {
    if (!ok) return false;
    if (existsSync(dataDir)) rmdirSync(dataDir); // empty (checked above); rename needs it gone
    renameSync(staging, dataDir);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Creates a PGlite (in `dataDir`, or in memory without one) with jitadmin's settings, and resolves when it
 * is ready; hand it to `postgresStore({ db })`, which closes it on `close()`. A new `dataDir` is created
 * (with its parents) in a child process, see the top of this file.
 *
 * ```ts
 * const store = await postgresStore({ db: await openEmbedded('./data/pglite') });
 * ```
 *
 * A data directory made by another major version of PostgreSQL (PGlite 0.3 ran PostgreSQL 17; 0.5 runs 18)
 * cannot be opened in place: that rejects with a `StoreError` that says so (docs/operations.md, moving an
 * embedded store). Any other failure to start rejects with `STORE_UNAVAILABLE` naming the directory.
 */
export async function openEmbedded(dataDir?: string, options: EmbeddedOptions = {}): Promise<PGliteLike> {
  const sharedBuffers = options.sharedBuffers ?? EMBEDDED_SHARED_BUFFERS;
  if (!SIZE.test(sharedBuffers)) throw new StoreError('INTERNAL', `${STORE_NAME}: openEmbedded: sharedBuffers "${sharedBuffers}" is not a size like 16MB`);
  const extra = [startSetting('shared_buffers', sharedBuffers), ...Object.entries(options.settings ?? {}).map(([k, v]) => startSetting(k, v))].flat();

  const { PGlite } = (await import('@electric-sql/pglite')) as unknown as { PGlite: PGliteClass };
  const defaults = PGlite.defaultStartParams;
  // Without them, PGlite would ignore startParams (0.3) or start without its own required flags.
  if (!Array.isArray(defaults)) throw new StoreError('INTERNAL', `${STORE_NAME}: openEmbedded needs @electric-sql/pglite 0.5 or newer (this one takes no start-up settings)`);

  const startParams = [...defaults, ...extra];
  const where = `pglite:${dataDir ?? 'memory'}`;
  try {
    if (dataDir !== undefined) {
      // PGlite creates the directory itself, but not its parents.
      mkdirSync(dirname(dataDir), { recursive: true });
      if ((options.initInChildProcess ?? true) && dataDirVersion(dataDir) === null) await initDataDirInChild(dataDir, startParams);
    }
    return await PGlite.create(dataDir, { startParams });
  } catch (error) {
    const made = dataDir === undefined ? null : dataDirVersion(dataDir);
    if (made !== null && !made.startsWith('18')) {
      throw new StoreError(
        'INTERNAL',
        `${STORE_NAME}: ${where} was made by PostgreSQL ${made} (PGlite 0.3 or older); this PGlite runs PostgreSQL 18 and cannot open it in place. Move its data with a dump (docs/operations.md), or keep the older PGlite`,
        { cause: error, details: { store: STORE_NAME, dataDirVersion: made } },
      );
    }
    throw new StoreError('STORE_UNAVAILABLE', `${STORE_NAME}: PGlite could not start on ${where}`, { cause: error, details: { store: STORE_NAME } });
  }
}
