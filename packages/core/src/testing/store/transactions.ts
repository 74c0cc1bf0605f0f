import { beforeEach, expect, it } from 'vitest';
import type { Store } from '../../ports/store.js';
import {
  PROVIDER_A,
  PROVIDER_B,
  at,
  makeAuditDraft,
  makeCustomer,
  makeGrant,
  makeProvider,
  makeRule,
  makeTechnician,
  makeTechnicianAccount,
} from './factories.js';
import { type SuiteContext, deferred, expectCode, section } from './helpers.js';
import type { StoreInspector } from './types.js';

/** Transactions (all or nothing, own writes visible), READ COMMITTED, provider isolation, copies in and out. */
export function transactionTests(ctx: SuiteContext): void {
  let store: Store;
  let inspect: StoreInspector;
  beforeEach(() => {
    ({ store, inspect } = ctx.h());
  });

  section(ctx, 'transactions', 'transactions', () => {
    it('returns what fn resolves to, and fn sees its own writes before commit', async () => {
      const g = makeGrant({ dueAt: at(1) });
      const result = await store.transaction(async (tx) => {
        await tx.insertGrant(g);
        await tx.putSecret(PROVIDER_A, g.id, 'password', 'SEALED-OWN');
        await tx.appendAudit(makeAuditDraft({ grantId: g.id }));
        const updated = await tx.updateGrant({ ...g, state: 'provisioning' }, 0);
        expect(await tx.getGrant(PROVIDER_A, g.id)).toEqual(updated);
        expect((await tx.listGrants(PROVIDER_A)).items).toEqual([updated]);
        expect(await tx.getSecret(PROVIDER_A, g.id, 'password')).toBe('SEALED-OWN');
        expect((await tx.listAudit(PROVIDER_A)).map((e) => e.seq)).toEqual([1]);
        return 'done';
      });
      expect(result).toBe('done');
      expect((await store.getGrant(PROVIDER_A, g.id))!.state).toBe('provisioning');
    });

    it('rolls back every write when fn throws, and rethrows the same error', async () => {
      const existing = await store.transaction((tx) => tx.insertGrant(makeGrant()));
      const customer = makeCustomer({ name: 'MARKER-CUSTOMER' });
      const grant = makeGrant();
      const boom = new Error('boom');
      await expect(
        store.transaction(async (tx) => {
          await tx.putProvider(makeProvider({ id: 'prov-doomed' }));
          await tx.putTechnician(makeTechnician({ displayName: 'MARKER-TECH' }));
          await tx.putCustomer(customer);
          await tx.putRule(makeRule({ name: 'MARKER-RULE' }));
          await tx.insertGrant(grant);
          await tx.updateGrant({ ...existing, state: 'provisioning' }, 0);
          await tx.putSecret(PROVIDER_A, grant.id, 'password', 'MARKER-SECRET');
          await tx.putTechnicianAccount(makeTechnicianAccount({ userPrincipalName: 'marker-upn@fabrikam.example' }));
          await tx.appendAudit(makeAuditDraft({ action: 'MARKER-AUDIT' }));
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await store.getProvider('prov-doomed')).toBeNull();
      expect(await store.listTechnicians(PROVIDER_A)).toEqual([]);
      expect(await store.getCustomer(PROVIDER_A, customer.id)).toBeNull();
      expect(await store.listRules(PROVIDER_A)).toEqual([]);
      expect(await store.getGrant(PROVIDER_A, grant.id)).toBeNull();
      expect(await store.getGrant(PROVIDER_A, existing.id)).toEqual(existing);
      expect(await store.getSecret(PROVIDER_A, grant.id, 'password')).toBeNull();
      expect(await store.listTechnicianAccounts(PROVIDER_A, 'cust-1')).toEqual([]);
      expect(await store.listAudit(PROVIDER_A)).toEqual([]);
      // And in storage itself, not only through the store's reads.
      expect(await inspect.rawGrant(PROVIDER_A, grant.id)).toBeNull();
      expect(Number((await inspect.rawGrant(PROVIDER_A, existing.id))!.version)).toBe(0);
      expect(await inspect.rawAudit(PROVIDER_A)).toEqual([]);
      expect(await inspect.allText()).not.toMatch(/MARKER-/);
    });

    it('a store error half-way (DUPLICATE_GRANT) undoes the writes before it', async () => {
      await store.transaction((tx) => tx.insertGrant(makeGrant({ technicianId: 'tech-dup' })));
      const customer = makeCustomer();
      await expectCode(
        store.transaction(async (tx) => {
          await tx.putCustomer(customer);
          await tx.appendAudit(makeAuditDraft());
          await tx.insertGrant(makeGrant({ technicianId: 'tech-dup' }));
        }),
        'DUPLICATE_GRANT',
      );
      expect(await store.getCustomer(PROVIDER_A, customer.id)).toBeNull();
      expect(await inspect.rawAudit(PROVIDER_A)).toEqual([]);
    });
  });

  section(ctx, 'readCommitted', 'read committed', () => {
    it('reads outside a transaction do not see its writes until it commits', async () => {
      const customer = makeCustomer();
      const gate = deferred();
      const written = deferred();
      const running = store.transaction(async (tx) => {
        await tx.putCustomer(customer);
        await tx.appendAudit(makeAuditDraft());
        written.resolve();
        await gate.promise;
      });
      await written.promise;
      expect(await store.getCustomer(PROVIDER_A, customer.id)).toBeNull();
      expect(await store.listAudit(PROVIDER_A)).toEqual([]);
      gate.resolve();
      await running;
      expect(await store.getCustomer(PROVIDER_A, customer.id)).toEqual(customer);
      expect(await store.listAudit(PROVIDER_A)).toHaveLength(1);
    });
  });

  section(ctx, 'providerIsolation', 'provider isolation', () => {
    it("reads another provider's ids as null, never lists across, and cannot change them", async () => {
      const tech = makeTechnician();
      const customer = makeCustomer();
      const rule = makeRule();
      const grant = makeGrant({ technicianId: tech.id, customerId: customer.id, dueAt: at(1) });
      const account = makeTechnicianAccount({ customerId: customer.id, technicianId: tech.id });
      await store.transaction(async (tx) => {
        await tx.putProvider(makeProvider({ id: PROVIDER_A }));
        await tx.putProvider(makeProvider({ id: PROVIDER_B }));
        await tx.putTechnician(tech);
        await tx.putCustomer(customer);
        await tx.putRule(rule);
        await tx.insertGrant(grant);
        await tx.putSecret(PROVIDER_A, grant.id, 'password', 'SEALED-A');
        await tx.putTechnicianAccount(account);
        await tx.appendAudit(makeAuditDraft({ grantId: grant.id }));
      });
      const B = PROVIDER_B;
      expect(await store.getTechnician(B, tech.id)).toBeNull();
      expect(await store.findTechnicianBySubject(B, tech.subject)).toBeNull();
      expect(await store.getCustomer(B, customer.id)).toBeNull();
      expect(await store.getRule(B, rule.id)).toBeNull();
      expect(await store.getGrant(B, grant.id)).toBeNull();
      expect(await store.getSecret(B, grant.id, 'password')).toBeNull();
      expect(await store.getTechnicianAccount(B, customer.id, tech.id)).toBeNull();
      expect(await store.listTechnicians(B)).toEqual([]);
      expect(await store.listCustomers(B)).toEqual([]);
      expect(await store.listRules(B)).toEqual([]);
      expect(await store.listGrants(B)).toEqual({ items: [], nextCursor: null });
      expect(await store.listGrants(B, { technicianId: tech.id })).toEqual({ items: [], nextCursor: null });
      expect(await store.listTechnicianAccounts(B, customer.id)).toEqual([]);
      expect(await store.listAudit(B)).toEqual([]);
      expect(await store.listAudit(B, { grantId: grant.id })).toEqual([]);

      await expectCode(store.transaction((tx) => tx.updateGrant({ ...grant, providerId: B, state: 'closed' }, 0)), 'NOT_FOUND');
      expect(await store.transaction((tx) => tx.deleteCustomer(B, customer.id))).toBe(false);
      expect(await store.transaction((tx) => tx.deleteRule(B, rule.id))).toBe(false);
      expect(await store.transaction((tx) => tx.deleteSecrets(B, grant.id))).toBe(0);
      // Same ids under B are B's own records.
      const bCustomer = { ...customer, providerId: B, name: 'B customer' };
      await store.transaction((tx) => tx.putCustomer(bCustomer));
      expect(await store.getCustomer(B, customer.id)).toEqual(bCustomer);
      expect(await store.getCustomer(PROVIDER_A, customer.id)).toEqual(customer);
      expect(await store.getGrant(PROVIDER_A, grant.id)).toEqual(grant);
      expect(await store.getSecret(PROVIDER_A, grant.id, 'password')).toBe('SEALED-A');
      expect(await store.getRule(PROVIDER_A, rule.id)).toEqual(rule);
    });
  });

  section(ctx, 'copies', 'copies in and out', () => {
    it('returned records are copies: mutating one changes nothing stored', async () => {
      const grant = makeGrant({ dueAt: at(1) });
      const customer = makeCustomer();
      const tech = makeTechnician();
      const inserted = await store.transaction(async (tx) => {
        await tx.putCustomer(customer);
        await tx.putTechnician(tech);
        await tx.appendAudit(makeAuditDraft());
        return tx.insertGrant(grant);
      });
      inserted.roles.push('mutated');
      inserted.policy.approvers.push('mutated');
      const read = (await store.getGrant(PROVIDER_A, grant.id))!;
      read.state = 'closed';
      read.policy.maxDurationMinutes = 1;
      const listed = (await store.listGrants(PROVIDER_A)).items[0]!;
      listed.justification = 'mutated';
      const [claimed] = await store.claimDue(Date.parse(at(1)), 1, 1000, 'w');
      claimed!.lease!.owner = 'mutated';
      const c = (await store.getCustomer(PROVIDER_A, customer.id))!;
      c.connection!.status = 'broken';
      (await store.listCustomers(PROVIDER_A))[0]!.name = 'mutated';
      (await store.getTechnician(PROVIDER_A, tech.id))!.groups.push('mutated');
      const [event] = await store.listAudit(PROVIDER_A);
      event!.details.from = 'mutated';
      const stored = (await store.getGrant(PROVIDER_A, grant.id))!;
      expect(stored).toEqual({ ...grant, lease: { owner: 'w', until: stored.lease!.until }, version: 1 });
      expect(await store.getCustomer(PROVIDER_A, customer.id)).toEqual(customer);
      expect(await store.getTechnician(PROVIDER_A, tech.id)).toEqual(tech);
      expect((await store.listAudit(PROVIDER_A))[0]!.details.from).toBe('approved');
    });

    it('records passed in are copied: mutating them after the write changes nothing stored', async () => {
      const grant = makeGrant();
      const customer = makeCustomer();
      const snapshot = structuredClone({ grant, customer });
      const draft = makeAuditDraft();
      await store.transaction(async (tx) => {
        await tx.insertGrant(grant);
        await tx.putCustomer(customer);
        await tx.appendAudit(draft);
        grant.roles.push('mutated-in-tx');
        customer.name = 'mutated-in-tx';
        draft.details.from = 'mutated-in-tx';
      });
      grant.state = 'closed';
      customer.connection = null;
      expect(await store.getGrant(PROVIDER_A, grant.id)).toEqual(snapshot.grant);
      expect(await store.getCustomer(PROVIDER_A, customer.id)).toEqual(snapshot.customer);
      expect((await store.listAudit(PROVIDER_A))[0]!.details.from).toBe('approved');
    });
  });
}
