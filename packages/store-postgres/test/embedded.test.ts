import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeGrant, PROVIDER_A } from '@jitadmin/core/testing';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { initDataDirInChild } from '../src/embedded.js';
import { EMBEDDED_SHARED_BUFFERS, openEmbedded, postgresStore, type PGliteLike } from '../src/index.js';
import { rejectionOf } from './support.js';

async function show(db: PGliteLike, name: string): Promise<string> {
  const rows = (await db.query<Record<string, string>>(`SHOW ${name}`)).rows;
  return rows[0]![name]!;
}

describe('openEmbedded', () => {
  const dirs: string[] = [];
  const freshDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'jitadmin-embedded-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('starts PGlite in memory with the small page cache and keeps PGlite’s own start-up settings; the store runs on it', { timeout: 60_000 }, async () => {
    const db = await openEmbedded();
    const store = await postgresStore({ db });
    try {
      expect(EMBEDDED_SHARED_BUFFERS).toBe('16MB');
      expect(await show(db, 'shared_buffers')).toBe('16MB');
      // From PGlite's defaults, which must still be passed along with ours (PostgreSQL's own default is 8).
      expect(await show(db, 'max_worker_processes')).toBe('0');
      expect(store.driver).toBe('pglite');
      const grant = makeGrant();
      await store.transaction((tx) => tx.insertGrant(grant));
      expect(await store.getGrant(PROVIDER_A, grant.id)).toEqual(grant);
    } finally {
      await store.close();
    }
  });

  it('applies sharedBuffers and further settings, in a data directory, again after a reopen', { timeout: 60_000 }, async () => {
    const dir = await freshDir();
    const grant = makeGrant();
    const firstDb = await openEmbedded(dir, { sharedBuffers: '4MB', settings: { work_mem: '1MB' } });
    const first = await postgresStore({ db: firstDb });
    expect(await show(firstDb, 'shared_buffers')).toBe('4MB');
    expect(await show(firstDb, 'work_mem')).toBe('1MB');
    await first.transaction((tx) => tx.insertGrant(grant));
    await first.close();

    // Start-up settings are not written into the directory: the next open has its own.

    const db = await openEmbedded(dir, { sharedBuffers: '8MB' });
    const again = await postgresStore({ db });
    try {
      expect(await show(db, 'shared_buffers')).toBe('8MB');
      expect(await show(db, 'work_mem')).toBe('4MB');
      expect(await again.getGrant(PROVIDER_A, grant.id)).toEqual(grant);
    } finally {
      await again.close();
    }
  });

  it('checks its settings before starting anything', async () => {
    const size = await rejectionOf(openEmbedded(undefined, { sharedBuffers: '16MB -c fsync=off' }));
    expect(size.message).toContain('sharedBuffers');
    const name = await rejectionOf(openEmbedded(undefined, { settings: { 'work_mem=1MB -c fsync': 'off' } }));
    expect(name.message).toContain('not a setting name');
    const value = await rejectionOf(openEmbedded(undefined, { settings: { work_mem: '1MB\nfsync=off' } }));
    expect(value.message).toContain('control character');
  });

  it('says a data directory of PostgreSQL 17 (PGlite 0.3) cannot be opened in place, and leaves it as it was', { timeout: 60_000 }, async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'PG_VERSION'), '17\n');
    const error = await rejectionOf(openEmbedded(dir));
    expect(error.code).toBe('INTERNAL');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(`pglite:${dir} was made by PostgreSQL 17`);
    expect(error.details).toMatchObject({ dataDirVersion: '17' });
    expect(await readdir(dir)).toEqual(['PG_VERSION']);
  });

  it('reports any other failure to start as STORE_UNAVAILABLE naming the directory', { timeout: 60_000 }, async () => {
    const dir = await freshDir();
    // Claims to be PostgreSQL 18 but holds nothing else: PostgreSQL cannot start on it.
    await writeFile(join(dir, 'PG_VERSION'), '18\n');
    const error = await rejectionOf(openEmbedded(dir));
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.message).toContain(`pglite:${dir}`);
    expect(error.message).not.toContain('PostgreSQL 18 and cannot');
  });

  it('creates a new data directory in a child process: this process starts PGlite once, not a second instance for initdb', { timeout: 120_000 }, async () => {
    const parent = await freshDir();
    const dir = join(parent, 'nested', 'pglite');
    const create = vi.spyOn(PGlite, 'create');
    const db = await openEmbedded(dir);
    try {
      // PGlite runs initdb through a second PGlite.create; here only ours ran.
      expect(create).toHaveBeenCalledTimes(1);
      expect(await show(db, 'shared_buffers')).toBe('16MB');
    } finally {
      await db.close();
    }
    // Its missing parent was made; the child's staging directory is gone.
    expect(await readdir(join(parent, 'nested'))).toEqual(['pglite']);

    // The same without the child: PGlite creates the directory in this process (two instances).
    create.mockClear();
    const inProcess = await openEmbedded(join(parent, 'here'), { initInChildProcess: false });
    await inProcess.close();
    expect(create).toHaveBeenCalledTimes(2);
  });

  it('leaves nothing behind when the child cannot create the directory, so this process can', { timeout: 120_000 }, async () => {
    const parent = await freshDir();
    const dir = join(parent, 'pglite');
    expect(await initDataDirInChild(dir, ['--no-such-option'])).toBe(false);
    expect(await readdir(parent)).toEqual([]);
    // A directory that already holds something is not the child's to create.
    await writeFile(join(parent, 'other'), 'x');
    expect(await initDataDirInChild(parent, [...PGlite.defaultStartParams])).toBe(false);
    expect(await readdir(parent)).toEqual(['other']);
  });
});
