import { beforeEach, expect, it } from 'vitest';
import type { Store } from '../../ports/store.js';
import {
  PROVIDER_A,
  PROVIDER_B,
  makeCustomer,
  makeProvider,
  makeRule,
  makeTechnician,
  makeTechnicianAccount,
} from './factories.js';
import { type SuiteContext, expectCode, section, sortById } from './helpers.js';

/** Providers, technicians, customers, rules and technician accounts: the plain keyed records. */
export function recordTests(ctx: SuiteContext): void {
  let store: Store;
  beforeEach(() => {
    store = ctx.h().store;
  });

  it('names itself and declares its capabilities', () => {
    expect(store.name).toMatch(/^\S+/);
    expect(typeof store.capabilities.atomicClaim).toBe('boolean');
    expect(typeof store.capabilities.durable).toBe('boolean');
  });

  section(ctx, 'providers', 'providers', () => {
    it('puts, gets, replaces by id and lists providers', async () => {
      const a = makeProvider({ id: PROVIDER_A });
      const b = makeProvider({ id: PROVIDER_B, name: 'Other MSP', branding: { name: 'Other', accentColor: '#0a7cff' } });
      expect(await store.getProvider(PROVIDER_A)).toBeNull();
      await store.transaction(async (tx) => {
        await tx.putProvider(a);
        await tx.putProvider(b);
      });
      expect(await store.getProvider(PROVIDER_A)).toEqual(a);
      expect(await store.getProvider(PROVIDER_B)).toEqual(b);
      const renamed = { ...a, name: 'Renamed MSP' };
      await store.transaction((tx) => tx.putProvider(renamed));
      expect(await store.getProvider(PROVIDER_A)).toEqual(renamed);
      expect(sortById(await store.listProviders())).toEqual(sortById([renamed, b]));
      expect(await store.getProvider('nope')).toBeNull();
    });
  });

  section(ctx, 'technicians', 'technicians', () => {
    it('puts, gets, finds by subject, replaces and lists technicians', async () => {
      const t1 = makeTechnician();
      const t2 = makeTechnician();
      await store.transaction(async (tx) => {
        await tx.putTechnician(t1);
        await tx.putTechnician(t2);
      });
      expect(await store.getTechnician(PROVIDER_A, t1.id)).toEqual(t1);
      expect(await store.findTechnicianBySubject(PROVIDER_A, t2.subject)).toEqual(t2);
      expect(await store.findTechnicianBySubject(PROVIDER_A, 'unknown-subject')).toBeNull();
      expect(sortById(await store.listTechnicians(PROVIDER_A))).toEqual(sortById([t1, t2]));

      // Replacing by id, subject included: the old subject no longer finds anyone.
      const moved = { ...t1, subject: 'https://idp.example|new', active: false, groups: [] };
      await store.transaction((tx) => tx.putTechnician(moved));
      expect(await store.getTechnician(PROVIDER_A, t1.id)).toEqual(moved);
      expect(await store.findTechnicianBySubject(PROVIDER_A, t1.subject)).toBeNull();
      expect(await store.findTechnicianBySubject(PROVIDER_A, moved.subject)).toEqual(moved);
      expect(await store.listTechnicians(PROVIDER_A)).toHaveLength(2);
    });

    it('refuses a second technician with the same subject (CONFLICT) and writes nothing', async () => {
      const t1 = makeTechnician();
      await store.transaction((tx) => tx.putTechnician(t1));
      const clash = makeTechnician({ subject: t1.subject });
      await expectCode(store.transaction((tx) => tx.putTechnician(clash)), 'CONFLICT');
      expect(await store.getTechnician(PROVIDER_A, clash.id)).toBeNull();
      expect(await store.findTechnicianBySubject(PROVIDER_A, t1.subject)).toEqual(t1);
    });

    it('two transactions binding one subject to two technicians at once: one commits, the other gets CONFLICT', async () => {
      // A re-bind is a put with the technician's new subject; two admins re-binding two people to one subject
      // must not both land (SQL: the unique index on (provider_id, subject), not only a check before the write).
      const a = makeTechnician();
      const b = makeTechnician();
      await store.transaction(async (tx) => {
        await tx.putTechnician(a);
        await tx.putTechnician(b);
      });
      const contested = 'https://idp.example|contested';
      const results = await Promise.allSettled([
        store.transaction((tx) => tx.putTechnician({ ...a, subject: contested })),
        store.transaction((tx) => tx.putTechnician({ ...b, subject: contested })),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(refused?.reason).toMatchObject({ code: 'CONFLICT' });
      const holders = (await store.listTechnicians(PROVIDER_A)).filter((t) => t.subject === contested);
      expect(holders).toHaveLength(1);
      const loser = holders[0]!.id === a.id ? b : a;
      expect(await store.getTechnician(PROVIDER_A, loser.id)).toEqual(loser);
    });

    it('lets the same subject exist once per provider', async () => {
      const a = makeTechnician({ providerId: PROVIDER_A });
      const b = makeTechnician({ providerId: PROVIDER_B, subject: a.subject });
      await store.transaction(async (tx) => {
        await tx.putTechnician(a);
        await tx.putTechnician(b);
      });
      expect(await store.findTechnicianBySubject(PROVIDER_A, a.subject)).toEqual(a);
      expect(await store.findTechnicianBySubject(PROVIDER_B, a.subject)).toEqual(b);
    });
  });

  section(ctx, 'customers', 'customers', () => {
    it('puts, gets, replaces, lists and deletes customers', async () => {
      const c1 = makeCustomer();
      const c2 = makeCustomer({ connection: null });
      await store.transaction(async (tx) => {
        await tx.putCustomer(c1);
        await tx.putCustomer(c2);
      });
      expect(await store.getCustomer(PROVIDER_A, c1.id)).toEqual(c1);
      expect(await store.getCustomer(PROVIDER_A, c2.id)).toEqual(c2);
      const broken = { ...c1, connection: { ...c1.connection!, status: 'broken' as const, lastError: 'consent revoked' } };
      await store.transaction((tx) => tx.putCustomer(broken));
      expect(await store.getCustomer(PROVIDER_A, c1.id)).toEqual(broken);
      expect(sortById(await store.listCustomers(PROVIDER_A))).toEqual(sortById([broken, c2]));

      expect(await store.transaction((tx) => tx.deleteCustomer(PROVIDER_A, c1.id))).toBe(true);
      expect(await store.transaction((tx) => tx.deleteCustomer(PROVIDER_A, c1.id))).toBe(false);
      expect(await store.getCustomer(PROVIDER_A, c1.id)).toBeNull();
      expect(await store.listCustomers(PROVIDER_A)).toEqual([c2]);
    });
  });

  section(ctx, 'rules', 'entitlement rules', () => {
    it('puts, gets, replaces, lists and deletes rules', async () => {
      const r1 = makeRule();
      const r2 = makeRule({ customers: ['cust-1', 'cust-2'], approval: { required: 1, approvers: ['tech-x'] } });
      await store.transaction(async (tx) => {
        await tx.putRule(r1);
        await tx.putRule(r2);
      });
      expect(await store.getRule(PROVIDER_A, r1.id)).toEqual(r1);
      expect(await store.getRule(PROVIDER_A, r2.id)).toEqual(r2);
      const disabled = { ...r1, enabled: false };
      await store.transaction((tx) => tx.putRule(disabled));
      expect(sortById(await store.listRules(PROVIDER_A))).toEqual(sortById([disabled, r2]));
      expect(await store.transaction((tx) => tx.deleteRule(PROVIDER_A, r2.id))).toBe(true);
      expect(await store.transaction((tx) => tx.deleteRule(PROVIDER_A, r2.id))).toBe(false);
      expect(await store.getRule(PROVIDER_A, r2.id)).toBeNull();
      expect(await store.listRules(PROVIDER_A)).toEqual([disabled]);
    });
  });

  section(ctx, 'technicianAccounts', 'technician accounts', () => {
    it('puts, replaces, gets and lists accounts per customer', async () => {
      const a1 = makeTechnicianAccount({ customerId: 'cust-1', technicianId: 'tech-1' });
      const a2 = makeTechnicianAccount({ customerId: 'cust-1', technicianId: 'tech-2' });
      const other = makeTechnicianAccount({ customerId: 'cust-2', technicianId: 'tech-1' });
      await store.transaction(async (tx) => {
        for (const a of [a1, a2, other]) await tx.putTechnicianAccount(a);
      });
      expect(await store.getTechnicianAccount(PROVIDER_A, 'cust-1', 'tech-1')).toEqual(a1);
      expect(await store.getTechnicianAccount(PROVIDER_A, 'cust-2', 'tech-1')).toEqual(other);
      expect(await store.getTechnicianAccount(PROVIDER_A, 'cust-2', 'tech-2')).toBeNull();
      const byTech = (xs: { technicianId: string }[]) => [...xs].sort((x, y) => x.technicianId.localeCompare(y.technicianId));
      expect(byTech(await store.listTechnicianAccounts(PROVIDER_A, 'cust-1'))).toEqual([a1, a2]);

      const replaced = { ...a1, objectId: 'obj-new', userPrincipalName: 'jit-new@fabrikam.example' };
      await store.transaction((tx) => tx.putTechnicianAccount(replaced));
      expect(await store.getTechnicianAccount(PROVIDER_A, 'cust-1', 'tech-1')).toEqual(replaced);
      expect(await store.listTechnicianAccounts(PROVIDER_A, 'cust-1')).toHaveLength(2);
      expect(await store.listTechnicianAccounts(PROVIDER_A, 'cust-3')).toEqual([]);
    });
  });
}
