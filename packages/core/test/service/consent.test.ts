import { describe, expect, it } from 'vitest';
import { consentStateId, createMemoryStore, type Actor, type AuditEvent } from '@jitadmin/core';
import { createWorld, PROVIDER, type World } from '../support/world.js';

const SESSION = 'binding-of-session-1';

async function world(): Promise<World & { customerId: string; tenant: { tenantId: string; domain: string }; attacker: { tenantId: string; domain: string } }> {
  const w = await createWorld();
  await w.jit.createCustomer(w.admin, { id: 'cust-new', name: 'Litware' });
  const t = w.directory.addTenant({ displayName: 'Litware Inc', defaultDomain: 'litware.example', connected: false });
  // Another tenant that has consented to the app (any tenant can: the app is multi-tenant).
  const a = w.directory.addTenant({ displayName: 'Attacker Ltd', defaultDomain: 'attacker.example', connected: true });
  return { ...w, customerId: 'cust-new', tenant: { tenantId: t.tenantId, domain: 'litware.example' }, attacker: { tenantId: a.tenantId, domain: 'attacker.example' } };
}

/** What Microsoft would do once the tenant admin consents: the app gets a token for the tenant. */
function consentIn(w: World, tenantId: string): void {
  w.directory.updateTenant(tenantId, { connected: true });
}

const refusals = async (w: World): Promise<AuditEvent[]> =>
  (await w.store.listAudit(PROVIDER, { limit: 1000 })).filter((e) => e.action === 'customer.consent_refused');

describe('connecting by admin consent, bound to the expected tenant (invariant 10)', () => {
  it('resolves the domain, binds the link to that tenant and connects it once', async () => {
    const w = await world();
    const link = await w.jit.startConsent(w.admin, w.customerId, { domain: 'LITWARE.example', sessionBinding: SESSION });
    expect(link.expectedTenant).toEqual({ tenantId: w.tenant.tenantId, lookup: 'litware.example', cloud: 'microsoftonline.com' });
    expect(link.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(link.expiresAt) - w.clock.now()).toBe(15 * 60_000);
    consentIn(w, w.tenant.tenantId);

    const check = await w.jit.checkConsent(w.admin, { state: link.state, tenantId: w.tenant.tenantId, sessionBinding: SESSION });
    expect(check.tenant).toMatchObject({ tenantId: w.tenant.tenantId, displayName: 'Litware Inc', defaultDomain: 'litware.example' });
    const customer = await w.jit.finishConsent(w.admin, { state: link.state, tenantId: w.tenant.tenantId.toUpperCase(), sessionBinding: SESSION });
    expect(customer.connection).toMatchObject({ tenantId: w.tenant.tenantId, status: 'connected', displayName: 'Litware Inc' });

    const events = await w.store.listAudit(PROVIDER, { limit: 1000 });
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['customer.consent_started', 'customer.consent_used', 'customer.connected']));
    // Neither the state nor its hash is in the audit trail.
    expect(JSON.stringify(events)).not.toContain(link.state);
  });

  it('refuses the forged callback that names another consented tenant, and connects nothing', async () => {
    const w = await world();
    const link = await w.jit.startConsent(w.admin, w.customerId, { domain: w.tenant.domain, sessionBinding: SESSION });
    const forged = { state: link.state, tenantId: w.attacker.tenantId, sessionBinding: SESSION };
    await expect(w.jit.finishConsent(w.admin, forged)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'tenant', details: { reason: 'other_tenant' } });
    expect((await w.jit.getCustomer(w.admin, w.customerId)).connection).toBeNull();
    const [refused] = await refusals(w);
    expect(refused).toMatchObject({ customerId: w.customerId, details: { reason: 'other_tenant', expectedTenantId: w.tenant.tenantId, tenantId: w.attacker.tenantId } });
    // The link met a forged callback: it is spent, even for the right tenant.
    consentIn(w, w.tenant.tenantId);
    await expect(w.jit.finishConsent(w.admin, { ...forged, tenantId: w.tenant.tenantId })).rejects.toMatchObject({ details: { reason: 'replayed' } });
    expect((await w.jit.getCustomer(w.admin, w.customerId)).connection).toBeNull();
  });

  it('the confirmation check refuses another tenant too, and spends the link', async () => {
    const w = await world();
    const link = await w.jit.startConsent(w.admin, w.customerId, { domain: w.tenant.domain, sessionBinding: SESSION });
    await expect(w.jit.checkConsent(w.admin, { state: link.state, tenantId: w.attacker.tenantId, sessionBinding: SESSION })).rejects.toMatchObject({
      details: { reason: 'other_tenant' },
    });
    await expect(w.jit.finishConsent(w.admin, { state: link.state, tenantId: w.tenant.tenantId, sessionBinding: SESSION })).rejects.toMatchObject({
      details: { reason: 'replayed' },
    });
  });

  it('refuses a replay, also by a new service over the same store (a restart or another replica)', async () => {
    const w = await world();
    const link = await w.jit.startConsent(w.admin, w.customerId, { domain: w.tenant.domain, sessionBinding: SESSION });
    consentIn(w, w.tenant.tenantId);
    const callback = { state: link.state, tenantId: w.tenant.tenantId, sessionBinding: SESSION };
    await w.jit.finishConsent(w.admin, callback);
    await w.jit.disconnectCustomer(w.admin, w.customerId);
    const restarted = w.restart();
    await expect(restarted.finishConsent(w.admin, callback)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'state', details: { reason: 'replayed' } });
    expect((await w.jit.getCustomer(w.admin, w.customerId)).connection).toBeNull();
  });

  it('of two callbacks at once, one connects and the other is refused as a replay', async () => {
    const w = await world();
    const link = await w.jit.startConsent(w.admin, w.customerId, { domain: w.tenant.domain, sessionBinding: SESSION });
    consentIn(w, w.tenant.tenantId);
    const callback = { state: link.state, tenantId: w.tenant.tenantId, sessionBinding: SESSION };
    const results = await Promise.allSettled([w.jit.finishConsent(w.admin, callback), w.restart().finishConsent(w.admin, callback)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { details: { reason: 'replayed' } } });
  });

  it('refuses an expired link (test clock), and uses it up', async () => {
    const w = await world();
    const link = await w.jit.startConsent(w.admin, w.customerId, { domain: w.tenant.domain, sessionBinding: SESSION });
    consentIn(w, w.tenant.tenantId);
    await w.clock.advance(15 * 60_000);
    await expect(w.jit.finishConsent(w.admin, { state: link.state, tenantId: w.tenant.tenantId, sessionBinding: SESSION })).rejects.toMatchObject({
      field: 'state',
      details: { reason: 'expired' },
    });
    expect((await w.jit.getCustomer(w.admin, w.customerId)).connection).toBeNull();
    expect((await refusals(w)).map((e) => e.details.reason)).toEqual(['expired']);
  });

  it("refuses another admin's session, another admin, and a non-admin", async () => {
    const w = await world();
    const admin2: Actor = { kind: 'person', providerId: PROVIDER, technicianId: 'approver', appRoles: ['admin'], groups: [] };
    const link = await w.jit.startConsent(w.admin, w.customerId, { domain: w.tenant.domain, sessionBinding: SESSION });
    consentIn(w, w.tenant.tenantId);
    const callback = { state: link.state, tenantId: w.tenant.tenantId };
    await expect(w.jit.finishConsent(w.tech, { ...callback, sessionBinding: SESSION })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(w.jit.checkConsent(admin2, { ...callback, sessionBinding: 'binding-of-admin2' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'other_admin' },
    });
    const link2 = await w.jit.startConsent(w.admin, w.customerId, { domain: w.tenant.domain, sessionBinding: SESSION });
    await expect(w.jit.finishConsent(w.admin, { state: link2.state, tenantId: w.tenant.tenantId, sessionBinding: 'another-session' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'other_session' },
    });
    await expect(w.jit.finishConsent(w.admin, { state: link2.state, tenantId: w.tenant.tenantId })).rejects.toMatchObject({ details: { reason: 'replayed' } });
    expect((await w.jit.getCustomer(w.admin, w.customerId)).connection).toBeNull();
    expect((await refusals(w)).map((e) => e.details.reason)).toEqual(['other_admin', 'other_session', 'replayed']);
  });

  it("refuses another provider's link and a made-up state as unknown, audited in the caller's trail", async () => {
    const w = await world();
    const link = await w.jit.startConsent(w.admin, w.customerId, { domain: w.tenant.domain, sessionBinding: SESSION });
    await w.jit.upsertProvider({ id: 'msp-2', name: 'Other MSP' });
    const otherAdmin: Actor = { kind: 'person', providerId: 'msp-2', technicianId: 'admin', appRoles: ['admin'], groups: [] };
    await expect(w.jit.finishConsent(otherAdmin, { state: link.state, tenantId: w.tenant.tenantId, sessionBinding: SESSION })).rejects.toMatchObject({
      field: 'state',
      details: { reason: 'unknown_state' },
    });
    expect((await w.store.listAudit('msp-2', { limit: 100 })).map((e) => e.action)).toContain('customer.consent_refused');
    await expect(w.jit.finishConsent(w.admin, { state: 'x'.repeat(43), tenantId: w.tenant.tenantId, sessionBinding: SESSION })).rejects.toMatchObject({
      details: { reason: 'unknown_state' },
    });
    await expect(w.jit.finishConsent(w.admin, { state: 'not a state', tenantId: null })).rejects.toMatchObject({ details: { reason: 'unknown_state' } });
    // The provider's own link is still good.
    consentIn(w, w.tenant.tenantId);
    expect((await w.jit.finishConsent(w.admin, { state: link.state, tenantId: w.tenant.tenantId, sessionBinding: SESSION })).connection?.status).toBe('connected');
  });

  it("records Microsoft's refusal as denied and spends the link", async () => {
    const w = await world();
    const link = await w.jit.startConsent(w.admin, w.customerId, { domain: w.tenant.domain, sessionBinding: SESSION });
    await expect(
      w.jit.finishConsent(w.admin, { state: link.state, tenantId: null, sessionBinding: SESSION, denied: 'access_denied — AADSTS65004: User declined' }),
    ).rejects.toMatchObject({ code: 'CONNECTION_BROKEN', message: expect.stringContaining('AADSTS65004') });
    expect((await refusals(w)).map((e) => e.details.reason)).toEqual(['denied']);
  });

  it('refuses to start for an unknown domain, a domain of a tenant connected elsewhere, a non-admin, and a store without consent links', async () => {
    const w = await world();
    await expect(w.jit.startConsent(w.admin, w.customerId, { domain: 'nobody.example' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'domain' });
    await expect(w.jit.startConsent(w.admin, w.customerId, { domain: 'has space' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', field: 'domain' });
    await expect(w.jit.startConsent(w.admin, w.customerId, { domain: w.domain })).rejects.toMatchObject({ code: 'CONFLICT', field: 'domain' });
    await expect(w.jit.startConsent(w.tech, w.customerId, { domain: w.tenant.domain })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(w.jit.startConsent(w.admin, 'nope', { domain: w.tenant.domain })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    // By tenant id works as well as by domain.
    expect((await w.jit.startConsent(w.admin, w.customerId, { domain: w.tenant.tenantId })).expectedTenant.tenantId).toBe(w.tenant.tenantId);

    const plain = createMemoryStore();
    const bare = { ...plain, capabilities: { atomicClaim: false, durable: false } };
    delete (bare as { getConsentState?: unknown }).getConsentState;
    const w2 = await createWorld({ store: bare });
    await expect(w2.jit.startConsent(w2.admin, 'cust-1', { domain: w2.domain })).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('consentStates') });
  });

  it('forgets links a day after they expired, when the next one is made; a late callback is then unknown', async () => {
    const w = await world();
    const old = await w.jit.startConsent(w.admin, w.customerId, { domain: w.tenant.domain, sessionBinding: SESSION });
    await w.clock.advance(15 * 60_000 + 23 * 3_600_000);
    await w.jit.startConsent(w.admin, w.customerId, { domain: w.tenant.domain, sessionBinding: SESSION });
    expect(await w.store.getConsentState!(PROVIDER, consentStateId(old.state))).not.toBeNull();
    await w.clock.advance(2 * 3_600_000);
    const kept = await w.jit.startConsent(w.admin, w.customerId, { domain: w.tenant.domain, sessionBinding: SESSION });
    expect(await w.store.getConsentState!(PROVIDER, consentStateId(old.state))).toBeNull();
    expect(await w.store.getConsentState!(PROVIDER, consentStateId(kept.state))).not.toBeNull();
    await expect(w.jit.finishConsent(w.admin, { state: old.state, tenantId: w.tenant.tenantId, sessionBinding: SESSION })).rejects.toMatchObject({
      details: { reason: 'unknown_state' },
    });
  });

  it('a link made without a session (API token) is bound to its admin only', async () => {
    const w = await world();
    const link = await w.jit.startConsent(w.admin, w.customerId, { domain: w.tenant.domain });
    consentIn(w, w.tenant.tenantId);
    expect((await w.jit.finishConsent(w.admin, { state: link.state, tenantId: w.tenant.tenantId, sessionBinding: 'any-session' })).connection?.tenantId).toBe(w.tenant.tenantId);
  });
});
