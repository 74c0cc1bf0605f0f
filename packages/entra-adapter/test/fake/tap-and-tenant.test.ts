import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AAD_PREMIUM_P2_PLAN, TAP_POLICY_MESSAGE } from '@jitadmin/entra-adapter/testing';
import { expectGraphError, tenantWith, useFake } from './support.js';

const { fake, clock } = useFake();
const taps = (id: string) => `/users/${id}/authentication/temporaryAccessPassMethods`;

describe('Temporary Access Pass', () => {
  it('the policy reads enabled/disabled per tapPolicy', async () => {
    for (const on of [true, false]) {
      const { graph } = tenantWith(fake, { tapPolicy: on });
      const r = await graph('GET', '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration',
        id: 'TemporaryAccessPass',
        state: on ? 'enabled' : 'disabled',
        minimumLifetimeInMinutes: 10,
        maximumLifetimeInMinutes: 43200,
      });
    }
  });

  it('refused with the Converged UserCredentialPolicy message when the policy is off', async () => {
    const { tenant, graph } = tenantWith(fake, { tapPolicy: false });
    const uid = tenant.addUser({ userPrincipalName: `t@${tenant.domain}` }).id;
    const err = expectGraphError(await graph('POST', taps(uid), { lifetimeInMinutes: 60, isUsableOnce: true }), 400, 'badRequest');
    expect(err.message).toContain(TAP_POLICY_MESSAGE);
    expect(tenant.taps.size).toBe(0);
  });

  it('refused the same way for a user out of the policy scope', async () => {
    const { tenant, graph } = tenantWith(fake, { tapPolicy: true });
    const inScope = tenant.addUser({ userPrincipalName: `in@${tenant.domain}` }).id;
    const excluded = tenant.addUser({ userPrincipalName: `out@${tenant.domain}` }).id;
    tenant.settings.tapExcludedUserIds.push(excluded);
    expect((await graph('POST', taps(inScope), { lifetimeInMinutes: 60 })).status).toBe(201);
    const err = expectGraphError(await graph('POST', taps(excluded), { lifetimeInMinutes: 60 }), 400, 'badRequest');
    expect(err.message).toContain(TAP_POLICY_MESSAGE);
  });

  it('accepts lifetimes of 10 to 43200 minutes and nothing else', async () => {
    const { tenant, graph } = tenantWith(fake, { tapPolicy: true });
    const uid = tenant.addUser({ userPrincipalName: `l@${tenant.domain}` }).id;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.integer({ min: -5, max: 60 }), fc.integer({ min: 43150, max: 43250 }), fc.constantFrom(10, 43200, 9, 43201)), async (lifetime) => {
        const r = await graph('POST', taps(uid), { lifetimeInMinutes: lifetime, isUsableOnce: false });
        if (lifetime >= 10 && lifetime <= 43200) expect(r.status).toBe(201);
        else expectGraphError(r, 400, 'badRequest', 'Invalid LifetimeInMinutes specified. The valid range between 10 and 43200.');
      }),
      { numRuns: 30 },
    );
  });

  it("the policy's range can be narrowed, e.g. to Entra's default policy of 60 to 480 minutes", async () => {
    const { tenant, graph } = tenantWith(fake, { tapPolicy: true });
    Object.assign(tenant.settings, { tapMinimumLifetimeInMinutes: 60, tapMaximumLifetimeInMinutes: 480 });
    const uid = tenant.addUser({ userPrincipalName: `n@${tenant.domain}` }).id;
    expectGraphError(await graph('POST', taps(uid), { lifetimeInMinutes: 481 }), 400, 'badRequest', 'Invalid LifetimeInMinutes specified. The valid range between 60 and 480.');
    expect((await graph('POST', taps(uid), { lifetimeInMinutes: 480 })).status).toBe(201);
    const policy = await graph('GET', '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass');
    expect(policy.body).toMatchObject({ minimumLifetimeInMinutes: 60, maximumLifetimeInMinutes: 480 });
  });

  it('returns the pass only on creation; a new pass replaces the old; delete by id; expiry shows in isUsable', async () => {
    const { tenant, graph } = tenantWith(fake, { tapPolicy: true });
    const uid = tenant.addUser({ userPrincipalName: `m@${tenant.domain}` }).id;
    const first = await graph('POST', taps(uid), { lifetimeInMinutes: 60, isUsableOnce: true });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ lifetimeInMinutes: 60, isUsableOnce: true, isUsable: true, methodUsabilityReason: 'EnabledByPolicy' });
    expect(String(first.body.temporaryAccessPass)).toHaveLength(8);
    expect(tenant.taps.get(uid)?.temporaryAccessPass).toBe(first.body.temporaryAccessPass);
    const second = await graph('POST', taps(uid), { lifetimeInMinutes: 120 });
    const listed = await graph<{ value: Record<string, unknown>[] }>('GET', taps(uid));
    expect(listed.body.value).toHaveLength(1);
    expect(listed.body.value[0]).toMatchObject({ id: second.body.id, temporaryAccessPass: null, lifetimeInMinutes: 120 });
    clock.advance(120 * 60_000);
    expect((await graph('GET', `${taps(uid)}/${String(second.body.id)}`)).body).toMatchObject({ isUsable: false, methodUsabilityReason: 'Expired' });
    expectGraphError(await graph('DELETE', `${taps(uid)}/${String(first.body.id)}`), 404, 'Request_ResourceNotFound');
    expect((await graph('DELETE', `${taps(uid)}/${String(second.body.id)}`)).status).toBe(204);
    expect(tenant.taps.size).toBe(0);
    expectGraphError(await graph('POST', taps(uid), { lifetimeInMinutes: 60, temporaryAccessPass: 'Mine1234' }), 400, 'Request_BadRequest', /read-only/);
  });
});

describe('tenant information', () => {
  it('GET /organization: id, displayName, verifiedDomains with the default', async () => {
    const { tenant, graph } = tenantWith(fake, { displayName: 'Contoso', domain: 'contoso.example', extraDomains: [{ id: 'unverified.example', isVerified: false }] });
    const r = await graph<{ value: Record<string, unknown>[] }>('GET', '/organization');
    expect(r.body.value).toHaveLength(1);
    const org = r.body.value[0] as { id: string; displayName: string; verifiedDomains: { name: string; isDefault: boolean; isInitial: boolean }[] };
    expect(org.id).toBe(tenant.tenantId);
    expect(org.displayName).toBe('Contoso');
    expect(org.verifiedDomains.find((d) => d.isDefault)?.name).toBe('contoso.example');
    expect(org.verifiedDomains.find((d) => d.isInitial)?.name).toMatch(/\.onmicrosoft\.com$/);
    expect(org.verifiedDomains.map((d) => d.name)).not.toContain('unverified.example');
    const domains = await graph<{ value: { id: string; isVerified: boolean; isDefault: boolean }[] }>('GET', '/domains');
    expect(domains.body.value.map((d) => [d.id, d.isVerified, d.isDefault])).toEqual([
      ['contoso.example', true, true],
      [expect.stringMatching(/\.onmicrosoft\.com$/), true, false],
      ['unverified.example', false, false],
    ]);
  });

  it('GET /subscribedSkus shows AAD_PREMIUM_P2 as a service plan only with P2', async () => {
    for (const p2 of [true, false]) {
      const { graph } = tenantWith(fake, { p2 });
      const r = await graph<{ value: { skuPartNumber: string; servicePlans: { servicePlanName: string; servicePlanId: string }[] }[] }>('GET', '/subscribedSkus');
      const plans = r.body.value.flatMap((s) => s.servicePlans);
      expect(plans.some((p) => p.servicePlanName === 'AAD_PREMIUM_P2' && p.servicePlanId === AAD_PREMIUM_P2_PLAN.servicePlanId)).toBe(p2);
    }
  });

  it('unknown paths and methods answer as Graph does', async () => {
    const { graph } = tenantWith(fake);
    expectGraphError(await graph('GET', '/groupz'), 400, 'BadRequest', "Resource not found for the segment 'groupz'.");
    expect((await graph('PUT', '/organization')).status).toBe(405);
  });
});
