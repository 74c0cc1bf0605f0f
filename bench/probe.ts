/**
 * What one Graph call costs this process when it goes to the in-process fake: msw's interception, the
 * Request/Response objects, the fake's routing and schema checks. In production these calls leave the
 * process; here their CPU is spent next to ours, so the bench measures it to tell the two apart.
 */
import type { FakeEntra } from '@jitadmin/entra-adapter/testing';

export interface FakeCallCost {
  calls: number;
  cpuMsPerCall: number;
  wallMsPerCall: number;
}

/** `pairs` × (POST /users, DELETE /users/{id}) straight through `fetch`, with the fake's latency at 0. */
export async function fakeCallCost(fake: FakeEntra, pairs = 100): Promise<FakeCallCost> {
  const tenant = fake.addTenant({ p2: false, tapPolicy: true });
  const token = fake.issueToken(tenant.tenantId);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const latency = fake.controls.latencyMs;
  fake.controls.latencyMs = 0;
  const once = async (i: number): Promise<void> => {
    const created = await fetch('https://graph.microsoft.com/v1.0/users', {
      method: 'POST',
      headers,
      body: JSON.stringify({
        accountEnabled: true,
        displayName: `probe ${i}`,
        mailNickname: `probe${i}`,
        userPrincipalName: `probe-${i}@${tenant.domain}`,
        passwordProfile: { password: 'Probe-Password-123!', forceChangePasswordNextSignIn: false },
      }),
    });
    const { id } = (await created.json()) as { id: string };
    const deleted = await fetch(`https://graph.microsoft.com/v1.0/users/${id}`, { method: 'DELETE', headers });
    if (created.status !== 201 || deleted.status !== 204) throw new Error(`probe: fake answered ${created.status}/${deleted.status}`);
  };
  try {
    for (let i = 0; i < 10; i++) await once(-1 - i); // warm-up
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < pairs; i++) await once(i);
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { calls: pairs * 2, cpuMsPerCall: (cpu.user + cpu.system) / 1000 / (pairs * 2), wallMsPerCall: wall / (pairs * 2) };
  } finally {
    fake.controls.latencyMs = latency;
  }
}
