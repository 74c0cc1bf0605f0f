import { openStore } from './stores.js';
import { createBenchWorld, startFakeEntra, wall, ROLES } from './world.js';
const { fake, close } = startFakeEntra(Number(process.argv[3] ?? 50));
const opened = await openStore((process.argv[2] ?? 'memory') as any);
const w = await createBenchWorld({ store: opened.store, fake, customers: 1, technicians: Number(process.env.N ?? 8), approval: true });
w.recorder.recording = true;
const N = Number(process.env.N ?? 8);
for (let i = 0; i < N; i++) {
  const g = await w.jit.requestAccess(w.technicians[i]!, { customerId: 'cust-0', roles: [ROLES.helpdesk, ROLES.userAdmin], durationMinutes: 5, justification: 'x' });
  await new Promise((r) => setTimeout(r, 20));
  const t0 = wall();
  await w.jit.approve(w.approver, g.id);
  const t1 = wall();
  const active = await w.watch.waitFor(g.id, 'active', 30000);
  const calls = w.recorder.between(t0, active);
  console.log(`approve ${(t1 - t0).toFixed(1)} active ${(active - t0).toFixed(1)} :: ` + calls.map((c) => `${c.method} ${c.path.slice(0, 30)} ${(c.start - t0).toFixed(1)}-${(c.end - t0).toFixed(1)}`).join(' | '));
}
await w.close(); await opened.close(); close();
