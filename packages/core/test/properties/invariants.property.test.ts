import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createAesGcmSecretBox,
  createJitAdmin,
  createMemoryStore,
  TERMINAL_STATES,
  verifyProviderChain,
  type Actor,
  type DirectoryAdapter,
  type Grant,
  type JitAdmin,
  type Store,
} from '@jitadmin/core';
import { createFakeDirectory, createTestClock, type FakeDirectory, type FaultKind } from '@jitadmin/core/testing';
import { crashAfterWrites } from '../support/crashing-store.js';
import { KEY, PROVIDER, ROLES } from '../support/world.js';

const MIN = 60_000;
const person = (technicianId: string, appRoles: ('technician' | 'approver' | 'admin')[] = ['technician']): Actor => ({
  kind: 'person',
  providerId: PROVIDER,
  technicianId,
  appRoles,
});
const PEOPLE = ['t1', 't2', 'a1', 'a2'];
const ROLE_SETS = [[ROLES.helpdesk], [ROLES.userAdmin], [ROLES.helpdesk, ROLES.userAdmin], [ROLES.globalAdmin], [ROLES.exchangeAdmin], [ROLES.globalAdmin, ROLES.helpdesk]];

type Command =
  | { kind: 'request'; who: number; roles: number; minutes: number; customer: number; startIn: number }
  | { kind: 'approve'; grant: number; who: number }
  | { kind: 'deny'; grant: number; who: number }
  | { kind: 'extend'; grant: number; who: number; minutes: number }
  | { kind: 'revoke'; grant: number; who: number }
  | { kind: 'reveal'; grant: number; who: number }
  | { kind: 'approveExtension'; grant: number; who: number }
  | { kind: 'reissue'; grant: number; who: number }
  | { kind: 'tick'; ms: number }
  | { kind: 'pass' }
  | { kind: 'fault'; method: number; error: FaultKind; after: boolean; times: number }
  | { kind: 'crash'; afterWrites: number }
  | { kind: 'revokeDuring'; method: number; after: boolean };

/** The calls that give privilege (DESIGN.md invariant 9: none after a revoke is written). */
const PRIVILEGED = ['createAccount', 'enableAccount', 'assignRole', 'createTemporaryAccessPass'] as const;
const METHODS = ['createAccount', 'enableAccount', 'assignRole', 'createTemporaryAccessPass', 'removeRoleAssignments', 'revokeSessions', 'disableAccount', 'deleteAccount', 'readAccount', 'findAccount'] as const;

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 7, arbitrary: fc.record({ kind: fc.constant('request' as const), who: fc.nat(3), roles: fc.nat(ROLE_SETS.length - 1), minutes: fc.integer({ min: 5, max: 200 }), customer: fc.nat(2), startIn: fc.constantFrom(0, 0, 0, 7 * MIN) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('approve' as const), grant: fc.nat(20), who: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deny' as const), grant: fc.nat(20), who: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('extend' as const), grant: fc.nat(20), who: fc.nat(3), minutes: fc.integer({ min: 1, max: 200 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revoke' as const), grant: fc.nat(20), who: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reveal' as const), grant: fc.nat(20), who: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('approveExtension' as const), grant: fc.nat(20), who: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reissue' as const), grant: fc.nat(20), who: fc.nat(3) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1000, max: 90 * MIN }) }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'pass' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('fault' as const),
      method: fc.nat(METHODS.length - 1),
      error: fc.constantFrom<FaultKind>('transient', 'throttled', 'not_found', 'permanent', 'permission'),
      after: fc.boolean(),
      times: fc.integer({ min: 1, max: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), afterWrites: fc.integer({ min: 0, max: 6 }) }) },
  // Revoke every provisioning grant when the next call of a privileged method is about to be sent, or has been
  // sent and its answer is on the way.
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('revokeDuring' as const), method: fc.nat(PRIVILEGED.length - 1), after: fc.boolean() }) },
);

/** A revoke written during a privileged call: which grants, and how many directory calls had been sent by then. */
interface RevokeMark {
  grantIds: string[];
  callsBefore: number;
}

/**
 * The fake seen through a hook that, once armed, revokes every grant in `provisioning` at the chosen moment of
 * the next call of one privileged method (through `revoker()`, the live process of the moment).
 */
function revokeHook(fake: FakeDirectory, store: () => Store, revoker: () => JitAdmin) {
  let armed: { method: string; after: boolean } | null = null;
  const marks: RevokeMark[] = [];
  const revokeAll = async () => {
    const provisioning = (await store().listGrants(PROVIDER, { states: ['provisioning'], limit: 1000 })).items;
    const grantIds: string[] = [];
    for (const g of provisioning) {
      try {
        await revoker().revoke(person('a1', ['technician', 'approver']), g.id, { reason: 'property: revoke during a call' });
        grantIds.push(g.id);
      } catch {
        // Raced with its own end: nothing to hold it to.
      }
    }
    marks.push({ grantIds, callsBefore: fake.calls.length });
  };
  const directory = new Proxy(fake, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const call = () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        const hook = armed;
        if (!hook || hook.method !== prop) return call();
        armed = null;
        if (!hook.after) {
          await revokeAll();
          return call();
        }
        try {
          return await call();
        } finally {
          await revokeAll();
        }
      };
    },
  }) as DirectoryAdapter;
  return { directory, marks, arm: (method: string, after: boolean) => void (armed = { method, after }) };
}

async function setup() {
  const clock = createTestClock();
  const store = createMemoryStore();
  const directory = createFakeDirectory({ clock, seed: 1 });
  const tenants = [
    directory.addTenant({ p2: true, tap: true, privilegedTargetsDenied: true }),
    directory.addTenant({ p2: false, tap: true, privilegedTargetsDenied: true }),
    directory.addTenant({ p2: false, tap: false }),
  ];
  const logs: string[] = [];
  const logger = {
    debug: (o: object, m: string) => void logs.push(JSON.stringify(o) + m),
    info: (o: object, m: string) => void logs.push(JSON.stringify(o) + m),
    warn: (o: object, m: string) => void logs.push(JSON.stringify(o) + m),
    error: (o: object, m: string) => void logs.push(JSON.stringify(o) + m),
  };
  const events: string[] = [];
  let live: JitAdmin | null = null;
  const hook = revokeHook(directory, () => store, () => live!);
  const build = (s: Store) =>
    createJitAdmin({
      store: s,
      directory: hook.directory,
      secretBox: createAesGcmSecretBox(KEY),
      clock,
      logger,
      events: { emit: (e) => void events.push(JSON.stringify(e)) },
      options: { leaseMs: 2 * MIN, maxAttempts: 4, baseRetryMs: 1000, maxRetryMs: 30_000, attentionRetryMs: 5 * MIN, reconcileGraceMs: 0, random: () => 0.5 },
    });
  const jit = build(store);
  live = jit;
  const setupActor: Actor = { kind: 'system', providerId: PROVIDER, name: 'setup' };
  await jit.upsertProvider({ id: PROVIDER, name: 'MSP' });
  for (const id of PEOPLE) {
    await jit.upsertTechnician(setupActor, { id, subject: id, email: `${id}@x.example`, displayName: id, groups: id.startsWith('t') ? ['techs'] : [], appRoles: id.startsWith('a') ? ['approver', 'technician'] : ['technician'] });
  }
  for (const [i, t] of tenants.entries()) {
    await jit.createCustomer(setupActor, { id: `c${i}`, name: `Customer ${i}` });
    await jit.connectCustomer(setupActor, `c${i}`, { tenantId: t.tenantId });
  }
  await jit.createRule(setupActor, { id: 'r-free', name: 'free', subjects: { groups: ['techs'] }, customers: 'all', roles: [ROLES.helpdesk, ROLES.userAdmin], defaultDurationMinutes: 30, maxDurationMinutes: 180, credential: 'password' });
  await jit.createRule(setupActor, { id: 'r-tap', name: 'tap', subjects: { technicianIds: ['a1', 'a2'] }, customers: ['c0', 'c1'], roles: [ROLES.helpdesk], defaultDurationMinutes: 30, maxDurationMinutes: 60, credential: 'both', accountModel: 'perTechnician' });
  await jit.createRule(setupActor, { id: 'r-ga', name: 'ga', subjects: { groups: ['techs'] }, customers: ['c0', 'c1'], roles: [ROLES.globalAdmin], defaultDurationMinutes: 20, maxDurationMinutes: 60, approval: { required: 1, approvers: ['a1', 'a2'], requestWindowMinutes: 120 }, selfServiceExtensionMinutes: 10, credential: 'both', expirationAction: 'disable' });
  return { clock, store, directory, tenants, jit, build, logs, events, hook, setLive: (j: JitAdmin) => void (live = j) };
}

describe('invariants under random requests, decisions, faults and crashes', () => {
  it('every grant ends closed, nothing is left in the directory, secrets never leak, the chain verifies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 10, maxLength: 60 }), async (commands) => {
        const w = await setup();
        let jit: JitAdmin = w.jit;
        const ids: string[] = [];
        const revealed: string[] = [];
        const pick = (i: number) => ids[i % Math.max(1, ids.length)];
        const attempt = async (p: Promise<unknown>) => {
          try {
            return await p;
          } catch (error) {
            // Refusals are typed errors; a crash of the doomed process is expected; anything else fails the run.
            const e = error as { code?: string; name?: string };
            if (!e.code && e.name !== "SimulatedCrash") throw error;
            return null;
          }
        };
        for (const c of commands) {
          switch (c.kind) {
            case 'request': {
              const g = (await attempt(
                jit.requestAccess(person(PEOPLE[c.who]!), {
                  customerId: `c${c.customer}`,
                  roles: ROLE_SETS[c.roles]!,
                  durationMinutes: c.minutes,
                  justification: 'property',
                  ...(c.startIn ? { startAt: new Date(w.clock.now() + c.startIn).toISOString() } : {}),
                }),
              )) as Grant | null;
              if (g) ids.push(g.id);
              break;
            }
            case 'approve':
              if (ids.length) await attempt(jit.approve(person(PEOPLE[c.who]!), pick(c.grant)!));
              break;
            case 'deny':
              if (ids.length) await attempt(jit.deny(person(PEOPLE[c.who]!), pick(c.grant)!));
              break;
            case 'extend':
              if (ids.length) await attempt(jit.extend(person(PEOPLE[c.who]!), pick(c.grant)!, { minutes: c.minutes }));
              break;
            case 'revoke':
              if (ids.length) await attempt(jit.revoke(person(PEOPLE[c.who]!, ['technician', 'approver']), pick(c.grant)!));
              break;
            case 'reveal': {
              if (!ids.length) break;
              const cred = (await attempt(jit.revealCredential(person(PEOPLE[c.who]!), pick(c.grant)!))) as { password: string | null; temporaryAccessPass: string | null } | null;
              if (cred?.password) revealed.push(cred.password);
              if (cred?.temporaryAccessPass) revealed.push(cred.temporaryAccessPass);
              break;
            }
            case 'approveExtension':
              if (ids.length) await attempt(jit.approveExtension(person(PEOPLE[c.who]!), pick(c.grant)!));
              break;
            case 'reissue':
              if (ids.length) await attempt(jit.reissueCredential(person(PEOPLE[c.who]!), pick(c.grant)!));
              break;
            case 'tick':
              await w.clock.advance(c.ms);
              break;
            case 'pass':
              await attempt(jit.scheduler.drain(50));
              break;
            case 'fault':
              w.directory.faults.inject({ method: METHODS[c.method]!, error: c.error, times: c.times, when: c.after ? 'after' : 'before' });
              break;
            case 'crash': {
              // A process that dies part-way through its work; then a fresh one over the same store.
              const doomed = crashAfterWrites(w.store, c.afterWrites);
              await attempt(w.build(doomed.store).scheduler.drain(50));
              jit = w.build(w.store);
              w.setLive(jit);
              break;
            }
            case 'revokeDuring':
              w.hook.arm(PRIVILEGED[c.method]!, c.after);
              break;
          }
        }
        // Recovery: faults clear, time passes beyond every window and lease, the scheduler and reconciler run.
        w.directory.faults.clear();
        w.hook.arm('none', false);
        jit = w.build(w.store);
        w.setLive(jit);
        for (let i = 0; i < 40; i++) {
          await w.clock.advance(30 * MIN);
          await jit.scheduler.drain();
        }
        // Grants are judged before the reconciler runs: it would mask a grant that left its account behind.
        const grants = (await w.store.listGrants(PROVIDER, { limit: 1000 })).items;
        for (const g of grants) {
          expect(TERMINAL_STATES, `${g.id} ${g.state} ${g.lastError?.code}`).toContain(g.state);
          expect(await w.store.getSecret(PROVIDER, g.id, 'password')).toBeNull();
          expect(await w.store.getSecret(PROVIDER, g.id, 'tap')).toBeNull();
          // Invariant 1: an ephemeral account whose rule says delete is gone; any other is disabled.
          const tenantId = w.tenants[Number(g.customerId.slice(1))]!.tenantId;
          const upn = g.account?.userPrincipalName;
          const user = upn ? w.directory.inspect.user(tenantId, g.account?.objectId ?? upn) : null;
          if (user && g.policy.accountModel === 'ephemeral' && g.policy.expirationAction === 'delete') {
            expect(user.deleted, `${g.id} account left behind`).toBe(true);
          }
          if (user) expect(user.enabled).toBe(false);
          // Invariant 3: only what the rules it relied on allowed (each role by one of them, the window within
          // the shortest maximum), approved by approvers listed on each of them that needs approval, never the
          // requester; extended past the self-service minutes only with approval.
          if (g.activatedAt) {
            const requested = (await w.store.listAudit(PROVIDER, { grantId: g.id, limit: 1000 })).find((e) => e.action === 'grant.requested')!;
            const rules = await Promise.all((requested.details.ruleIds as string[]).map(async (id) => (await w.store.getRule(PROVIDER, id))!));
            expect(g.roles.every((r) => rules.some((rule) => rule.roles.includes(r)))).toBe(true);
            for (const rule of rules) expect(g.durationMinutes).toBeLessThanOrEqual(rule.maxDurationMinutes);
            expect(g.approvals.length).toBeGreaterThanOrEqual(g.policy.approvalsRequired);
            for (const a of g.approvals) {
              expect(a.approverId).not.toBe(g.technicianId);
              for (const rule of rules.filter((r) => r.approval.required > 0)) expect(rule.approval.approvers).toContain(a.approverId);
            }
            const extensions = (await w.store.listAudit(PROVIDER, { grantId: g.id, limit: 1000 })).filter((e) => e.action === 'grant.extended');
            for (const e of extensions) {
              if (g.policy.approvalsRequired > 0 && !e.details.selfService) expect(e.details.approvedBy, `${g.id} extended without approval`).toBeTruthy();
            }
            expect(g.selfExtendedMinutes).toBeLessThanOrEqual(g.policy.selfServiceExtensionMinutes);
          }
          expect(g.endedAt, `${g.id} ended without endedAt`).not.toBeNull();
          if (g.endReason === 'failed') expect(g.failure, `${g.id} failed without its failure`).not.toBeNull();
        }
        // Invariant 9: once a revoke is written, no call that gives privilege is sent for that grant's account (a
        // kept account serves its technician's next grant once this one has closed).
        for (const mark of w.hook.marks) {
          for (const id of mark.grantIds) {
            const g = grants.find((x) => x.id === id)!;
            const tenantId = w.tenants[Number(g.customerId.slice(1))]!.tenantId;
            const upn = g.account?.userPrincipalName.toLowerCase();
            const objectId = g.account?.objectId ?? w.directory.inspect.user(tenantId, upn ?? '-')?.objectId;
            const closedAt = g.closedAt ? Date.parse(g.closedAt) : Number.POSITIVE_INFINITY;
            const late = w.directory.calls.slice(mark.callsBefore).filter(
              (c) =>
                (PRIVILEGED as readonly string[]).includes(c.method) &&
                c.tenantId === tenantId &&
                ((objectId !== undefined && c.args.objectId === objectId) || (upn !== undefined && String(c.args.userPrincipalName ?? '').toLowerCase() === upn)) &&
                (g.policy.accountModel === 'ephemeral' || c.at < closedAt),
            );
            expect(late.map((c) => c.method), `privileged calls after the revoke of ${g.id}`).toEqual([]);
            expect(g.activatedAt, `${g.id} revoked while provisioning never became active`).toBeNull();
          }
        }
        const report = await jit.reconcile();
        expect(report.orphansRemoved).toEqual([]);
        // Invariant 1 and 2: nothing of ours is left enabled or holding a role; ephemeral-delete accounts are gone.
        for (const t of w.tenants) {
          for (const u of w.directory.inspect.users(t.tenantId)) {
            if (!u.managed) continue;
            expect(u.enabled, u.userPrincipalName).toBe(false);
            expect(w.directory.inspect.assignments(t.tenantId, u.objectId)).toEqual([]);
            expect(w.directory.inspect.createdCount(t.tenantId, u.userPrincipalName)).toBeLessThanOrEqual(1);
          }
        }
        // Invariant 6: the chain verifies and every grant's end is audited.
        expect((await verifyProviderChain({ store: w.store }, PROVIDER)).ok).toBe(true);
        const audit = await w.store.listAudit(PROVIDER, { limit: 10_000 });
        for (const g of grants.filter((x) => x.state === 'closed')) {
          expect(audit.some((e) => e.grantId === g.id && e.action === 'grant.closed')).toBe(true);
        }
        // Invariant 5: secrets never in audit details, events or logs.
        const text = JSON.stringify(audit) + w.events.join('\n') + w.logs.join('\n');
        for (const secret of revealed) expect(text.includes(secret)).toBe(false);
      }),
      { numRuns: Number(process.env.JITADMIN_PROPERTY_RUNS ?? 60), seed: process.env.JITADMIN_PROPERTY_SEED ? Number(process.env.JITADMIN_PROPERTY_SEED) : undefined },
    );
  }, 240_000);
});
