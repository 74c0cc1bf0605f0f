/**
 * Memory child: run by `bench/memory.ts` as `node --expose-gc --import tsx bench/memory-child.ts --store K
 * --grants N [--data-dir D]` (PGlite in directory D, new or not, instead of in memory). Prints, as one JSON line, the resident set (after gc) of: Node alone; the service, scheduler,
 * Entra adapter and store with nothing connected (what a deployment holds idle); the same with the fake Entra
 * ID over msw, 100 connected customers and 100 technicians (the bench's idle); and then holding N live
 * (active) grants.
 *
 * The live grants are written through the store API in the shape a real lifecycle leaves them: one grant is
 * provisioned for real (adapter → fake), and its record, its two sealed secrets (password and TAP) and its
 * audit events are the template for the others (new ids, technicians and customers). Provisioning N grants one
 * by one through msw would take minutes; what the process holds afterwards is the same. The fake's own state
 * (the directory, which in production lives at Microsoft) is not grown with them.
 */
import type { AuditEvent, Grant } from '@jitadmin/core';
import type { StoreKind } from './stores.js';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const kind = opt('store', 'memory') as StoreKind;
const grants = Number(opt('grants', '10000'));
/** PGlite's data directory (what a deployment uses); empty: in memory. */
const dataDir = opt('data-dir', '');

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('memory-child needs node --expose-gc');
const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
async function settle(): Promise<{ rssMb: number; heapUsedMb: number; externalMb: number }> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await new Promise((r) => setTimeout(r, 50));
  }
  const m = process.memoryUsage();
  return { rssMb: mb(m.rss), heapUsedMb: mb(m.heapUsed), externalMb: mb(m.external + m.arrayBuffers) };
}

// Node alone, before any of our modules is loaded (they are imported dynamically below).
const nodeOnly = await settle();

// What a deployment holds idle: the service, the scheduler (started), the Entra adapter and the store; no
// fake, no msw, nothing connected (so no Graph call is ever made).
const { createAesGcmSecretBox, createJitAdmin } = await import('@jitadmin/core');
const { entraDirectory } = await import('@jitadmin/entra-adapter');
const { openStore } = await import('./stores.js');
const bare = await openStore(kind, dataDir ? { dataDir } : {});
const bareJit = createJitAdmin({
  store: bare.store,
  directory: entraDirectory({ clientId: '00000000-0000-4000-8000-000000000001', credential: { clientSecret: 'unused' } }),
  secretBox: createAesGcmSecretBox(Buffer.alloc(32, 1).toString('base64')),
});
bareJit.scheduler.start();
const idleNoFake = await settle();
await bareJit.close();

// The bench's idle: the same plus the fake Entra ID over msw, 100 connected customers and 100 technicians.
const { createBenchWorld, PROVIDER, ROLES, startFakeEntra } = await import('./world.js');
const { randomUUID } = await import('node:crypto');
const { fake, close } = startFakeEntra(0);
// The same store (one PGlite instance: its WASM memory, once grown, is not given back).
const opened = bare;
const w = await createBenchWorld({ store: opened.store, fake, customers: 100, technicians: 100, approval: false });
// One real lifecycle to warm every code path (and as the template), then idle.
const first = await w.jit.requestAccess(w.technicians[0]!, { customerId: w.customers[0]!.id, roles: [ROLES.helpdesk, ROLES.userAdmin], durationMinutes: 60 });
await w.watch.waitFor(first.id, 'active', 60_000);
const template: Grant = (await opened.store.getGrant(PROVIDER, first.id))!;
const sealedPassword = (await opened.store.getSecret(PROVIDER, first.id, 'password'))!;
const sealedTap = (await opened.store.getSecret(PROVIDER, first.id, 'tap'))!;
const templateAudit: AuditEvent[] = await opened.store.listAudit(PROVIDER, { grantId: first.id, limit: 100 });
fake.requests.length = 0;
const idle = await settle();

const started = performance.now();
const BATCH = 100;
for (let from = 1; from < grants; from += BATCH) {
  const to = Math.min(grants, from + BATCH);
  await opened.store.transaction(async (tx) => {
    for (let i = from; i < to; i++) {
      const id = randomUUID();
      const technicianId = `tech-${i % 100}`;
      const customerId = w.customers[Math.floor(i / 100) % 100]!.id;
      const grant: Grant = {
        ...structuredClone(template),
        id,
        technicianId,
        customerId,
        version: 0,
        account: { ...template.account!, objectId: randomUUID(), userPrincipalName: `jit-${id.slice(0, 8)}@example.onmicrosoft.com` },
      };
      await tx.insertGrant(grant);
      await tx.putSecret(PROVIDER, id, 'password', sealedPassword);
      await tx.putSecret(PROVIDER, id, 'tap', sealedTap);
      for (const e of templateAudit) {
        await tx.appendAudit({ providerId: PROVIDER, at: e.at, actor: e.actor, action: e.action, grantId: id, customerId, details: e.details });
      }
    }
  });
}
const loadSeconds = (performance.now() - started) / 1000;
const live = await settle();
await w.close();
await opened.close();
close();
console.log(
  JSON.stringify({
    store: kind,
    grants,
    auditEventsPerGrant: templateAudit.length,
    loadSeconds: Math.round(loadSeconds * 10) / 10,
    nodeOnly,
    idleNoFake,
    idle,
    live,
    node: process.version,
  }),
);
