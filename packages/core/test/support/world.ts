import { createAesGcmSecretBox, createJitAdmin, createMemoryStore, type Actor, type JitAdmin, type JitAdminOptions, type JitEvent, type Store } from '@jitadmin/core';
import { createFakeDirectory, createTestClock, type FakeDirectory, type TestClock } from '@jitadmin/core/testing';

export const ROLES = {
  globalAdmin: '62e90394-69f5-4237-9190-012177145e10',
  userAdmin: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  exchangeAdmin: '29232cdf-9323-42fd-ade2-1d097af3e4de',
  helpdesk: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
} as const;

export const KEY = Buffer.alloc(32, 7).toString('base64');
export const PROVIDER = 'msp-1';

export interface World {
  jit: JitAdmin;
  store: Store;
  directory: FakeDirectory;
  clock: TestClock;
  events: JitEvent[];
  tenantId: string;
  domain: string;
  admin: Actor;
  tech: Actor;
  approver: Actor;
  approver2: Actor;
  outsider: Actor;
  /** Builds a fresh service + scheduler over the same store and directory: what a restart after a crash gets. */
  restart(): JitAdmin;
}

const person = (technicianId: string, appRoles: ('technician' | 'approver' | 'admin')[], groups: string[] = []): Actor => ({
  kind: 'person',
  providerId: PROVIDER,
  technicianId,
  appRoles,
  groups,
});

export interface WorldOptions {
  store?: Store;
  options?: Partial<JitAdminOptions>;
  p2?: boolean;
  tap?: boolean;
  privilegedTargetsDenied?: boolean;
}

/** A provider with an admin, a technician, two approvers, one connected customer and three rules. */
export async function createWorld(opts: WorldOptions = {}): Promise<World> {
  const clock = createTestClock();
  const store = opts.store ?? createMemoryStore();
  const directory = createFakeDirectory({ clock });
  const { tenantId, defaultDomain } = directory.addTenant({
    p2: opts.p2 ?? false,
    tap: opts.tap ?? true,
    privilegedTargetsDenied: opts.privilegedTargetsDenied ?? true,
  });
  const events: JitEvent[] = [];
  const secretBox = createAesGcmSecretBox(KEY);
  const build = () =>
    createJitAdmin({
      store,
      directory,
      secretBox,
      clock,
      events: { emit: (e) => void events.push(e) },
      options: { baseRetryMs: 1000, maxRetryMs: 60_000, reconcileGraceMs: 0, random: () => 0.5, ...opts.options },
    });
  const jit = build();
  const setup: Actor = { kind: 'system', providerId: PROVIDER, name: 'setup' };
  await jit.upsertProvider({ id: PROVIDER, name: 'Contoso MSP' });
  for (const [id, roles, groups] of [
    ['admin', ['admin'], []],
    ['tech', ['technician'], ['helpdesk-l2']],
    ['approver', ['approver', 'technician'], []],
    ['approver2', ['approver'], []],
    ['outsider', ['technician'], []],
  ] as const) {
    await jit.upsertTechnician(setup, {
      id,
      subject: `sub-${id}`,
      email: `${id}@msp.example`,
      displayName: id,
      groups: [...groups],
      appRoles: [...roles],
    });
  }
  const admin = person('admin', ['admin']);
  await jit.createCustomer(admin, { id: 'cust-1', name: 'Fabrikam' });
  await jit.connectCustomer(admin, 'cust-1', { tenantId });
  await jit.createRule(admin, {
    id: 'rule-helpdesk',
    name: 'Helpdesk, no approval',
    subjects: { groups: ['helpdesk-l2'] },
    customers: 'all',
    roles: [ROLES.helpdesk, ROLES.userAdmin],
    defaultDurationMinutes: 60,
    maxDurationMinutes: 240,
    credential: 'both',
  });
  await jit.createRule(admin, {
    id: 'rule-ga',
    name: 'Global admin with two approvals',
    subjects: { technicianIds: ['tech'] },
    customers: ['cust-1'],
    roles: [ROLES.globalAdmin],
    defaultDurationMinutes: 30,
    maxDurationMinutes: 60,
    approval: { required: 2, approvers: ['approver', 'approver2'] },
    requireJustification: true,
    requireTicket: true,
  });
  return {
    jit,
    store,
    directory,
    clock,
    events,
    tenantId,
    domain: defaultDomain!,
    admin,
    tech: person('tech', ['technician'], ['helpdesk-l2']),
    approver: person('approver', ['approver', 'technician']),
    approver2: person('approver2', ['approver']),
    outsider: person('outsider', ['technician']),
    restart: build,
  };
}

/** Runs scheduler passes, moving the clock to each next due time, until `until` or nothing is due. */
export async function runUntil(world: Pick<World, 'store' | 'clock'>, jit: JitAdmin, untilMs: number): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    const ran = await jit.scheduler.drain();
    const next = await world.store.nextDueAt();
    if (next === null || next > untilMs) break;
    if (next > world.clock.now()) await world.clock.set(next);
    // Due but leased (a crashed worker's lease): let time pass until the lease lapses.
    else if (ran === 0) await world.clock.advance(1000);
  }
  if (world.clock.now() < untilMs) await world.clock.set(untilMs);
  await jit.scheduler.drain();
}
