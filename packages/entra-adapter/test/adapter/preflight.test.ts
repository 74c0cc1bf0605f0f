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
    expect(caps).toEqual({
      tokenOk: true,
      permissions: [...REQUIRED_PERMISSIONS].sort(),
      missingPermissions: [],
      p2,
      tapPolicy,
      defaultDomain: tenant.domain,
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
    expect(caps.tapPolicy).toBe(false);
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
    expect(caps.missingPermissions).toHaveLength(REQUIRED_PERMISSIONS.length);
    await expect(directory.getTenantInfo(tenant.tenantId)).rejects.toMatchObject({
      code: 'CONNECTION_BROKEN',
      details: { tenantId: tenant.tenantId, reason: 'app_not_in_tenant' },
    });
  });

  it('throttling during preflight is an error to retry, not a missing capability', async () => {
    const tenant = fake.addTenant({ p2: true });
    fake.controls.inject({ tenantId: tenant.tenantId, path: '/subscribedSkus', kind: 'status', status: 429, code: 'TooManyRequests', retryAfterSeconds: 600 });
    const { directory } = adapterOverFake();
    await expect(directory.preflight(tenant.tenantId)).rejects.toMatchObject({ code: 'THROTTLED', retryAfterMs: 600_000 });
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
