/**
 * Memory: runs `memory-child.ts` in a fresh Node process with `--expose-gc` and reads its JSON line. The child
 * is bundled first (esbuild, which tsx already brings; npm packages stay external), so it runs on plain Node
 * as a deployed server would: under `tsx` the loader's own worker thread adds some 80 MB of resident set that
 * is not ours. Without esbuild it falls back to `node --import tsx` and says so.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runJsonChild } from './child.js';
import type { StoreKind } from './stores.js';

export interface MemoryReading {
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
}

export interface MemoryFigure {
  store: StoreKind;
  grants: number;
  auditEventsPerGrant: number;
  loadSeconds: number;
  /** Node alone, before our modules load. */
  nodeOnly: MemoryReading;
  /** Service, scheduler (started), Entra adapter and store, nothing connected, no fake: a deployment at rest. */
  idleNoFake: MemoryReading;
  /** The same with the fake Entra ID over msw, 100 connected customers and 100 technicians. */
  idle: MemoryReading;
  /** Then holding `grants` live grants. */
  live: MemoryReading;
  runner: 'node (bundled)' | 'node --import tsx';
}

// Under node_modules (ignored by git and lint), so the bundle's bare imports resolve from the repository's packages.
const OUT_DIR = fileURLToPath(new URL('../node_modules/.cache/jitadmin-bench/', import.meta.url));
const OUT = `${OUT_DIR}memory-child.mjs`;

async function bundle(): Promise<boolean> {
  try {
    const esbuild = (await import('esbuild' as string)) as {
      build(o: Record<string, unknown>): Promise<unknown>;
    };
    rmSync(OUT_DIR, { recursive: true, force: true });
    mkdirSync(OUT_DIR, { recursive: true });
    await esbuild.build({
      entryPoints: [fileURLToPath(new URL('./memory-child.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      tsconfig: fileURLToPath(new URL('./tsconfig.json', import.meta.url)),
      // Split at the child's dynamic imports, so npm packages load when the child imports them, not up front.
      splitting: true,
      outdir: OUT_DIR,
      outExtension: { '.js': '.mjs' },
      logLevel: 'silent',
    });
    return true;
  } catch {
    return false;
  }
}

export async function runMemory(store: StoreKind, grants: number): Promise<MemoryFigure> {
  const bundled = await bundle();
  const args = bundled
    ? ['--expose-gc', OUT]
    : ['--expose-gc', '--import', 'tsx', fileURLToPath(new URL('./memory-child.ts', import.meta.url))];
  // PGlite keeps its data in a new directory, as the example server does (`DATA_DIR/pglite`): in memory it
  // would also hold the whole database and PostgreSQL's files in this process (about 100 MB more at rest).
  const scratch = store === 'pglite' ? mkdtempSync(join(tmpdir(), 'jitadmin-bench-memory-')) : null;
  try {
    return await runChild([...args, '--store', store, '--grants', String(grants), ...(scratch ? ['--data-dir', join(scratch, 'pglite')] : [])], bundled);
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

async function runChild(args: string[], bundled: boolean): Promise<MemoryFigure> {
  const figure = await runJsonChild<Omit<MemoryFigure, 'runner'>>('memory child', args);
  return { ...figure, runner: bundled ? 'node (bundled)' : 'node --import tsx' };
}
