/** Preflight over the fake Entra ID: token, permissions from `roles`, P2, TAP policy and default domain. */
import { afterEach, describe, expect, it } from 'vitest';
import { REQUIRED_PERMISSIONS } from '../../src/index.js';
import { adapterOverFake, useFakeEntra } from './support/fake-env.js';

const fake = useFakeEntra();
afterEach(() => fake.controls.clear());

describe('preflight', () => {
  it.each([
    [true, true],
    [true, false],
    [false, true],
    [false, false],
  ])('reports P2 %s and TAP policy %s as the tenant has them, and remembers P2', async (p2, tapPolicy) => {
    const tenant = fake.addTenant({ p2, tapPolicy, domain: `t${p2 ? 1 : 0}${tapPolicy ? 1 : 0}.example.com` });
    const { directory } = adapterOverFake();
    const caps = await directory.preflight(tenant.tenantId);
    const at = expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) as unknown as string;
    expect(caps).toEqual({
      tokenOk: true,
      permissions: [...REQUIRED_PERMISSIONS].sort(),
      missingPermissions: [],
      p2,
      tapPolicy,
      defaultDomain: tenant.domain,
      probes: {
        token: { answer: 'yes', reason: 'token issued', at },
        permissions: { answer: 'yes', reason: 'every permission consented', at },
        defaultDomain: { answer: 'yes', reason: tenant.domain, at },
        p2: { answer: p2 ? 'yes' : 'no', reason: expect.stringContaining('AAD_PREMIUM_P2'), at },
        tapPolicy: { answer: tapPolicy ? 'yes' : 'no', reason: expect.stringMatching(/^the Temporary Access Pass method policy is (enabled|disabled)$/), at },
      },
    });
    expect(directory.tenantCapabilities(tenant.tenantId)).toEqual({ p2, tapPolicy });
  });

  it('lists the permissions the consent lacks, and without the read ones still answers', async () => {
    const tenant = fake.addTenant({
      p2: true,
      tapPolicy: true,
      permissions: ['User.ReadWrite.All', 'RoleManagement.ReadWrite.Directory', 'RoleAssignmentSchedule.ReadWrite.Directory'],
    });
    const { directory } = adapterOverFake();
    const caps = await directory.preflight(tenant.tenantId);
    expect(caps.tokenOk).toBe(true);
    expect(caps.missingPermissions.sort()).toEqual(
      ['UserAuthenticationMethod.ReadWrite.All', 'User.DeleteRestore.All', 'AuditLog.Read.All', 'Directory.Read.All', 'Policy.Read.AuthenticationMethod'].sort(),
    );
    // Licences unreadable without Directory.Read.All: P2 is learnt by asking PIM itself.
    expect(caps.p2).toBe(true);
    expect(caps.probes?.p2).toMatchObject({ answer: 'yes', reason: expect.stringContaining('PIM answered') });
    // The TAP policy cannot be read without Policy.Read.AuthenticationMethod: unknown, not "off".
    expect(caps.tapPolicy).toBe(false);
    expect(caps.probes?.tapPolicy).toMatchObject({ answer: 'unknown', reason: expect.stringContaining('Policy.Read.AuthenticationMethod') });
    expect(caps.probes?.permissions).toMatchObject({ answer: 'no', reason: expect.stringContaining('Directory.Read.All') });
  });

  it('learns a missing P2 by trying PIM when the licences cannot be read', async () => {
    const tenant = fake.addTenant({ p2: false, permissions: ['RoleAssignmentSchedule.ReadWrite.Directory', 'User.ReadWrite.All'] });
    const { directory } = adapterOverFake();
    expect((await directory.preflight(tenant.tenantId)).p2).toBe(false);
  });

  it('a tenant that never consented gives tokenOk false with everything missing', async () => {
    const tenant = fake.addTenant({ consented: false });
    const { directory } = adapterOverFake();
    const caps = await directory.preflight(tenant.tenantId);
    expect(caps).toMatchObject({ tokenOk: false, p2: false, tapPolicy: false, defaultDomain: null });
    expect(caps.probes?.token).toMatchObject({ answer: 'no', reason: expect.stringContaining('AADSTS700016') });
    expect(caps.probes?.p2.answer).toBe('unknown');
    expect(caps.missingPermissions).toHaveLength(REQUIRED_PERMISSIONS.length);
    await expect(directory.getTenantInfo(tenant.tenantId)).rejects.toMatchObject({
      code: 'CONNECTION_BROKEN',
      details: { tenantId: tenant.tenantId, reason: 'app_not_in_tenant' },
    });
  });

  // Issue 12, finding 5: one failed probe made the whole preflight throw, and the tenant connected as broken.
  it('a 500 from /subscribedSkus is not an error: P2 is learnt from PIM instead', async () => {
    const tenant = fake.addTenant({ p2: true, tapPolicy: true });
    fake.controls.inject({ tenantId: tenant.tenantId, path: '/subscribedSkus', kind: 'status', status: 500, code: 'generalException' });
    const { directory } = adapterOverFake();
    const caps = await directory.preflight(tenant.tenantId);
    expect(caps).toMatchObject({ tokenOk: true, p2: true, tapPolicy: true, defaultDomain: tenant.domain });
    expect(caps.probes?.p2).toMatchObject({ answer: 'yes', reason: expect.stringContaining('Graph 500 generalException') });
  });

  it('a probe that gets no answer at all (500 and throttling) is unknown, keeps what was known, and the rest still answer', async () => {
    const tenant = fake.addTenant({ p2: true, tapPolicy: true });
    const { directory } = adapterOverFake();
    expect((await directory.preflight(tenant.tenantId)).p2).toBe(true);
    fake.controls.inject({ tenantId: tenant.tenantId, path: '/subscribedSkus', kind: 'status', status: 500, code: 'generalException' });
    fake.controls.inject({ tenantId: tenant.tenantId, path: '/roleManagement/directory/roleAssignmentScheduleRequests', kind: 'status', status: 429, code: 'TooManyRequests', retryAfterSeconds: 600 });
    fake.controls.inject({ tenantId: tenant.tenantId, path: '/policies/', kind: 'status', status: 503, code: 'serviceNotAvailable', retryAfterSeconds: 600 });
    const caps = await directory.preflight(tenant.tenantId);
    expect(caps).toMatchObject({ tokenOk: true, p2: true, tapPolicy: true, missingPermissions: [] });
    expect(caps.probes?.p2).toMatchObject({ answer: 'unknown', reason: expect.stringMatching(/subscribed SKUs: .*500.*PIM: .*429/) });
    expect(caps.probes?.tapPolicy).toMatchObject({ answer: 'unknown' });
    expect(caps.probes?.token.answer).toBe('yes');
    expect(caps.probes?.defaultDomain.answer).toBe('yes');
  });

  it('getTenantInfo gives the organization name and default verified domain', async () => {
    const tenant = fake.addTenant({ displayName: 'Fabrikam', domain: 'fabrikam.example' });
    const { directory } = adapterOverFake();
    expect(await directory.getTenantInfo(tenant.tenantId)).toEqual({ tenantId: tenant.tenantId, displayName: 'Fabrikam', defaultDomain: 'fabrikam.example' });
  });

  it('listRoleDefinitions gives template ids and marks privileged roles', async () => {
    const tenant = fake.addTenant({});
    const { directory } = adapterOverFake();
    const defs = await directory.listRoleDefinitions({ tenantId: tenant.tenantId, defaultDomain: tenant.domain });
    const byId = new Map(defs.map((d) => [d.id, d]));
    expect(byId.get('62e90394-69f5-4237-9190-012177145e10')).toMatchObject({ displayName: 'Global Administrator', privileged: true });
    expect(byId.get('29232cdf-9323-42fd-ade2-1d097af3e4de')).toMatchObject({ displayName: 'Exchange Administrator', privileged: false });
  });
});
