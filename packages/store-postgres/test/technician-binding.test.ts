/**
 * Identity binding on the real server, where transactions run at once on several connections: two admins
 * adding a technician with one id, or re-binding one technician, at the same moment. Core takes the provider's
 * audit chain head before it checks, so the second waits for the first and then sees its row.
 */
import { createAesGcmSecretBox, createJitAdmin, type Actor, type JitAdmin } from '@jitadmin/core';
import { createFakeDirectory } from '@jitadmin/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStore, type PostgresStore } from '../src/index.js';
import { freshSchema, serverPool, serverReachable } from './support.js';

const reachable = await serverReachable();
const admin: Actor = { kind: 'person', providerId: 'p1', technicianId: 'boss', appRoles: ['admin'] };

describe.skipIf(!reachable)('technician identity binding under concurrency (PostgreSQL server)', () => {
  const schema = freshSchema('bind');
  let store: PostgresStore;
  let jit: JitAdmin;

  beforeAll(async () => {
    store = await postgresStore({ db: serverPool(8), schema });
    jit = createJitAdmin({ store, directory: createFakeDirectory(), secretBox: createAesGcmSecretBox(Buffer.alloc(32, 3).toString('base64')) });
    await jit.upsertProvider({ id: 'p1', name: 'P1' });
  });
  afterAll(async () => {
    const pool = serverPool(1);
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
    await store?.close();
  });

  it('two creates of one id at once: one is stored, the other gets CONFLICT and overwrites nothing', async () => {
    for (let round = 0; round < 5; round++) {
      const id = `twin-${round}`;
      const results = await Promise.allSettled([
        jit.createTechnician(admin, { id, subject: `${id}-a`, email: 'a@p1.example', displayName: 'A' }),
        jit.createTechnician(admin, { id, subject: `${id}-b`, email: 'b@p1.example', displayName: 'B' }),
      ]);
      const won = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<JitAdmin['createTechnician']>>> => r.status === 'fulfilled');
      expect(won, `round ${round}`).toHaveLength(1);
      expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'CONFLICT', field: 'id' } });
      expect((await store.getTechnician('p1', id))!.subject).toBe(won[0]!.value.subject);
      const created = (await store.listAudit('p1', { limit: 10_000 })).filter((e) => e.action === 'technician.created' && e.details.technicianId === id);
      expect(created).toHaveLength(1);
    }
  });

  it('two re-binds of one technician at once from the same expected subject: one lands, the other gets CONFLICT', async () => {
    await jit.createTechnician(admin, { id: 'moving', subject: 'moving-0', email: 'm@p1.example', displayName: 'M' });
    const results = await Promise.allSettled([
      jit.rebindTechnicianSubject(admin, 'moving', { subject: 'moving-a', expectedSubject: 'moving-0' }),
      jit.rebindTechnicianSubject(admin, 'moving', { subject: 'moving-b', expectedSubject: 'moving-0' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'CONFLICT' } });
    const rebound = (await store.listAudit('p1', { limit: 10_000 })).filter((e) => e.action === 'technician.subject_rebound');
    expect(rebound).toHaveLength(1);
    expect((await store.getTechnician('p1', 'moving'))!.subject).toBe(rebound[0]!.details.newSubject);
  });
});
