import { describe, expect, it } from 'vitest';
import { ALL_TENANT_COMBINATIONS, CONFORMANCE_ROLE_IDS, describeCombination } from './conformance-harness.js';
import type { UseDirectoryContext } from './conformance-types.js';

/** Tenant-level calls: tenant info, preflight per tenant combination, role catalogue, declared capabilities. */
export function tenantTests(use: UseDirectoryContext): void {
  describe('tenant', () => {
    const get = use();

    it('declares each capability as a boolean', () => {
      const { capabilities } = get().directory;
      for (const key of ['timeBoundRoles', 'temporaryAccessPass', 'permanentDelete', 'perTechnicianAccounts'] as const) {
        expect(typeof capabilities[key], key).toBe('boolean');
      }
      expect(get().directory.name).toMatch(/\S/);
    });

    it('getTenantInfo names the tenant and its default domain', async () => {
      const { directory, tenant } = get();
      const info = await directory.getTenantInfo(tenant.tenantId);
      expect(info.tenantId.toLowerCase()).toBe(tenant.tenantId.toLowerCase());
      expect(info.defaultDomain?.toLowerCase()).toBe(tenant.defaultDomain?.toLowerCase());
      expect(typeof info.displayName).toBe('string');
    });

    it('resolveTenant (optional) finds the tenant by its default domain and by its id, and null for an unknown domain', async (test) => {
      const { directory, tenant } = get();
      if (!directory.resolveTenant) return test.skip('the directory has no resolveTenant');
      if (!tenant.defaultDomain) return test.skip('the tenant has no default domain');
      const byDomain = await directory.resolveTenant(tenant.defaultDomain.toUpperCase());
      expect(byDomain?.tenantId.toLowerCase()).toBe(tenant.tenantId.toLowerCase());
      expect((await directory.resolveTenant(tenant.tenantId))?.tenantId.toLowerCase()).toBe(tenant.tenantId.toLowerCase());
      expect(await directory.resolveTenant('no-such-tenant-jitadmin-conformance.example')).toBeNull();
      await expect(directory.resolveTenant('not a domain')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('listRoleDefinitions holds the built-in roles the suite assigns, each described', async () => {
      const { directory, tenant } = get();
      const roles = await directory.listRoleDefinitions(tenant);
      const ids = roles.map((r) => r.id.toLowerCase());
      for (const id of CONFORMANCE_ROLE_IDS) expect(ids).toContain(id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const role of roles) {
        expect(role.displayName).toMatch(/\S/);
        expect(typeof role.privileged).toBe('boolean');
        expect(typeof role.description).toBe('string');
      }
    });
  });

  for (const combination of ALL_TENANT_COMBINATIONS) {
    describe(`preflight, ${describeCombination(combination)}`, () => {
      const get = use(combination);
      it('reports a working token, P2, the TAP policy and the default domain as the tenant has them', async () => {
        const { directory, tenant } = get();
        const found = await directory.preflight(tenant.tenantId);
        expect(found.tokenOk).toBe(true);
        expect(found.p2).toBe(combination.p2);
        expect(found.tapPolicy).toBe(combination.tap);
        expect(found.defaultDomain?.toLowerCase()).toBe(tenant.defaultDomain?.toLowerCase());
        expect(Array.isArray(found.permissions)).toBe(true);
        for (const missing of found.missingPermissions) expect(found.permissions).not.toContain(missing);
      });

      it('reports each probe as yes, no or unknown with its reason and time, agreeing with the booleans', async ({ skip }) => {
        const { directory, tenant } = get();
        const found = await directory.preflight(tenant.tenantId);
        if (!found.probes) return skip(`adapter "${directory.name}" reports no probes (optional: preflight.probes)`);
        for (const [name, probe] of Object.entries(found.probes)) {
          expect(['yes', 'no', 'unknown'], name).toContain(probe.answer);
          expect(probe.reason, name).toMatch(/\S/);
          expect(Number.isNaN(Date.parse(probe.at)), name).toBe(false);
        }
        expect(found.probes.token.answer).toBe('yes');
        // A definite answer is the boolean; an unknown one leaves the boolean to the last known answer.
        if (found.probes.p2.answer !== 'unknown') expect(found.probes.p2.answer).toBe(combination.p2 ? 'yes' : 'no');
        if (found.probes.tapPolicy.answer !== 'unknown') expect(found.probes.tapPolicy.answer).toBe(combination.tap ? 'yes' : 'no');
        expect(found.probes.permissions.answer).toBe(found.missingPermissions.length === 0 ? 'yes' : 'no');
      });
    });
  }
}
