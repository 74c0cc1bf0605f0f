/**
 * The seeded chaos run: many tenants and grants on a real store and the Entra adapter over the fake Entra ID
 * (msw), random durations, approvals, denials, extensions and revocations, random Graph faults (throttling,
 * 5xx, resets, answers lost after Graph acted, replication delay) and random process deaths (mid-step included), with a test clock
 * driving time. At the end every grant must be in a terminal state with nothing left in its tenant, the
 * reconciler must find no orphan, and every provider's audit chain must verify.
 *
 * @module
 */
import {
  createAesGcmSecretBox,
  isJitError,
  TERMINAL_STATES,
  verifyProviderChain,
  type Actor,
  type Grant,
  type Store,
} from '@jitadmin/core';
import { createTestClock } from '@jitadmin/core/testing';
import { createFakeEntra, setupFakeEntraServer, type FakeTenant } from '@jitadmin/entra-adapter/testing';
import { startProcess, survive, type CallRecord, type DeathPlan, type JitProcess, type ProcessConfig } from './lib/process.js';
import { directFetch } from './lib/direct-fetch.js';
import { Rng } from './lib/rng.js';

const MIN = 60_000;
const CLIENT_ID = '3f9b7c1e-2d4a-4e8b-9f0c-5a6b7c8d9e0f';
const CLIENT_SECRET = 'chaos-client-secret-never-shown-7a1c';
const KEY = Buffer.alloc(32, 5).toString('base64');

const ROLES = {
  helpdesk: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
  userAdmin: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  exchangeAdmin: '29232cdf-9323-42fd-ade2-1d097af3e4de',
  globalAdmin: '62e90394-69f5-4237-9190-012177145e10',
  securityReader: '5d6b6bb7-de71-4623-b4af-96380a352509',
} as const;

export interface ChaosOptions {
  grants: number;
  seed: number;
  tenants: number;
  store: Store;
  storeName: string;
  /** Simulated ms between two requests (default 6 s: about 600 grants live at once). */
  arrivalMs?: number;
  /** Chance per scheduler step of a new fault (default 0.08) and of a process death (default 0.01). */
  faultRate?: number;
  crashRate?: number;
  /** Expiry lag (simulated ms) above which the run fails whatever explains it (default 30 min). */
  maxLagBoundMs?: number;
  progress?: (line: string) => void;
  /** Told of every Graph call as it ends, with the test clock's time (to compare two runs of one seed). */
  trace?: (line: string) => void;
  /** The fake's replication delay (default 3 s): calls naming an account younger than this answer 404. */
  replicationDelayMs?: number;
  /** Every tenant's Graph budget for the whole run, faults or not (default none: only injected throttling). */
  tenantBudget?: { requests: number; windowMs: number } | null;
  /**
   * Share of grants revoked 0.2–3 s after their request (default 0): with replication delay, most such revokes
   * meet the grant while it provisions, where revoke must win (invariant 9).
   */
  earlyRevokeRate?: number;
}

export interface ChaosReport {
  seed: number;
  store: string;
  grants: number;
  tenants: number;
  providers: number;
  requestsRefused: number;
  actions: { approve: number; deny: number; extend: number; revoke: number; refused: number };
  states: Record<string, number>;
  endReasons: Record<string, number>;
  faults: number;
  faultRules: number;
  crashes: number;
  graphCalls: number;
  orphans: number;
  lostGrants: number;
  duplicateAccounts: number;
  secretsLeft: number;
  maxExpiryLagMs: number;
  p99ExpiryLagMs: number;
  /**
   * Expired grants whose lag is more than their setbacks explain: each failed attempt after expiry and each
   * death of a process while the grant was in its hands may cost up to `setbackMs`; anything beyond
   * `(setbacks + 1) × setbackMs` is a lost wake-up or a stuck lease. Expected 0.
   */
  unexplainedLags: number;
  /** The longest one setback may cost (clock ms): the largest retry wait or lease of the run. */
  setbackMs: number;
  auditChainOk: boolean;
  auditEvents: number;
  simulatedMs: number;
  wallMs: number;
  /** Grants that ended `failed` (provisioning gave up). */
  failedGrants: number;
  /** Revokes accepted while their grant was provisioning. */
  revokeDuringProvisioning: number;
  /** Privileged calls (create or enable the account, assign a role, issue a pass) for such a grant's account after its revoke. Expected 0. */
  privilegeAfterRevoke: number;
  failures: string[];
  /** The audit trail of the grant that closed latest after its expiry (time, action, step, error code). */
  worstLagTrail: string[];
  ok: boolean;
}

interface Tracked {
  providerId: string;
  id: string;
  customerId: string;
  tenantId: string;
  technician: Person;
  kind: 'free' | 'tap' | 'approval' | 'kept';
}

interface Action {
  at: number;
  kind: 'approve' | 'deny' | 'extend' | 'revoke';
  grant: Tracked;
  minutes?: number;
  by?: Actor;
}

type Person = Extract<Actor, { kind: 'person' }>;

const person = (providerId: string, technicianId: string, appRoles: ('technician' | 'approver' | 'admin')[], groups: string[] = []): Person => ({
  kind: 'person',
  providerId,
  technicianId,
  appRoles,
  groups,
});

/** Fault paths: each Graph call of the sagas and the reconciler. */
const FAULT_PATHS: { method: string; path: RegExp }[] = [
  { method: 'POST', path: /^\/users$/ },
  { method: 'POST', path: /^\/roleManagement\/directory\/roleAssignments$/ },
  { method: 'POST', path: /^\/roleManagement\/directory\/roleAssignmentScheduleRequests$/ },
  { method: 'POST', path: /\/authentication\/temporaryAccessPassMethods$/ },
  { method: 'GET', path: /^\/roleManagement\/directory\/roleAssignments$/ },
  { method: 'GET', path: /^\/roleManagement\/directory\/roleAssignmentSchedules$/ },
  { method: 'DELETE', path: /^\/roleManagement\/directory\/roleAssignments\// },
  { method: 'POST', path: /\/revokeSignInSessions$/ },
  { method: 'PATCH', path: /^\/users\/[^/]+$/ },
  { method: 'DELETE', path: /^\/users\/[^/]+$/ },
  { method: 'GET', path: /^\/users\/[^/]+$/ },
  { method: 'GET', path: /^\/users$/ },
];

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const started = performance.now();
  const rng = new Rng(o.seed);
  const adapterRng = new Rng(o.seed + 0x5eed);
  // Its own stream, so runs without early revokes draw exactly as before.
  const revokeRng = new Rng(o.seed + 0x7e0);
  const idRng = new Rng(o.seed + 0x1d5);
  const faultRate = o.faultRate ?? 0.08;
  const crashRate = o.crashRate ?? 0.01;
  const arrivalMs = o.arrivalMs ?? 6_000;
  const clock = createTestClock();
  const startMs = clock.now();
  const fake = createFakeEntra({ now: () => clock.now(), seed: o.seed });
  const server = setupFakeEntraServer(fake);
  server.listen();
  fake.registerApp({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  const replicationDelayMs = o.replicationDelayMs ?? 3_000;
  fake.controls.replicationDelayMs = replicationDelayMs;

  const counters = { faults: 0, faultRules: 0, crashes: 0, graphCalls: 0, refused: 0 };
  const actionsDone = { approve: 0, deny: 0, extend: 0, revoke: 0, refused: 0 };
  // Privileged calls in the order they were sent, and revokes that met a provisioning grant (at which call).
  const privileged: { at: number; clock: number; upn?: string; principalId?: string; userId?: string }[] = [];
  const revokedWhileProvisioning: { providerId: string; id: string; atCall: number }[] = [];
  const onCall = (r: CallRecord) => {
    counters.graphCalls++;
    const tap = /^\/users\/([^/]+)\/authentication\/temporaryAccessPassMethods$/.exec(r.path);
    const patched = /^\/users\/([^/]+)$/.exec(r.path);
    if (r.upn) privileged.push({ at: counters.graphCalls, clock: clock.now(), upn: r.upn.toLowerCase() });
    else if (r.principalId && r.action !== 'adminRemove') privileged.push({ at: counters.graphCalls, clock: clock.now(), principalId: r.principalId });
    else if (r.method === 'POST' && tap) privileged.push({ at: counters.graphCalls, clock: clock.now(), userId: decodeURIComponent(tap[1]!) });
    else if (r.enables && patched) privileged.push({ at: counters.graphCalls, clock: clock.now(), userId: decodeURIComponent(patched[1]!) });
    o.trace?.(`${clock.now() - startMs} p${r.process} ${r.method} ${r.path} ${r.status}`);
    if (r.status === 0 || r.status === -1 || r.status === 429 || r.status >= 500) counters.faults++;
  };
  const config: ProcessConfig = {
    store: o.store,
    clock,
    secretBox: createAesGcmSecretBox(KEY),
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    onCall,
    transport: directFetch(fake.handlers),
    jitOptions: {
      leaseMs: MIN,
      maxAttempts: 8,
      baseRetryMs: 1_000,
      maxRetryMs: 60_000,
      attentionRetryMs: 5 * MIN,
      reconcileGraceMs: 10 * MIN,
      reconcileIntervalMs: 0,
      claimBatch: 50,
      // One grant at a time: with no real time and no second task, the order of every call, write and draw
      // from the seed's generator is fixed, so a seed replays its run exactly.
      concurrency: 1,
      random: () => rng.next(),
      newId: () => idRng.uuid(),
    },
    adapterOptions: {
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 4, deadlineMs: 2_000 },
      replicationRetry: { deadlineMs: 30 },
      // Nothing is held open in the run (a lost answer stands for a timeout), so no real timer ever fires.
      requestTimeoutMs: 30_000,
      maxConcurrencyPerTenant: 8,
      // The adapter counts what it asked to wait; the wait itself takes no time.
      sleep: async () => {},
      // Its jitter is the seed's too (a stream of its own, so the adapter's draws do not shift the run's).
      random: () => adapterRng.next(),
    },
  };

  // ---- the world: providers, tenants, people, rules --------------------------------------------------
  const setup = await startProcess(config);
  const providers = ['msp-a', 'msp-b'];
  const tenants: { providerId: string; customerId: string; tenant: FakeTenant }[] = [];
  const people = new Map<string, { techs: Person[]; approvers: Person[]; admin: Person; keptTechs: Person[] }>();
  for (const providerId of providers) {
    const sys: Actor = { kind: 'system', providerId, name: 'setup' };
    await setup.jit.upsertProvider({ id: providerId, name: `Chaos ${providerId}` });
    const techs: Person[] = [];
    const approvers: Person[] = [];
    for (let i = 0; i < 30; i++) {
      const id = `tech-${i}`;
      await setup.jit.upsertTechnician(sys, { id, subject: `${providerId}-${id}`, email: `${id}@${providerId}.example`, displayName: `Tech ${i}`, groups: ['techs'] });
      techs.push(person(providerId, id, ['technician'], ['techs']));
    }
    for (let i = 0; i < 4; i++) {
      const id = `approver-${i}`;
      await setup.jit.upsertTechnician(sys, { id, subject: `${providerId}-${id}`, email: `${id}@${providerId}.example`, displayName: `Approver ${i}`, appRoles: ['approver', 'technician'] });
      approvers.push(person(providerId, id, ['approver', 'technician']));
    }
    await setup.jit.upsertTechnician(sys, { id: 'admin', subject: `${providerId}-admin`, email: `admin@${providerId}.example`, displayName: 'Admin', appRoles: ['admin'] });
    people.set(providerId, { techs, approvers, admin: person(providerId, 'admin', ['admin']), keptTechs: techs.slice(0, 8) });
  }
  for (let i = 0; i < o.tenants; i++) {
    const providerId = providers[i % providers.length]!;
    const sys: Actor = { kind: 'system', providerId, name: 'setup' };
    const tenant = fake.addTenant({ p2: rng.next() < 0.4, tapPolicy: rng.next() < 0.7, appHasPrivilegedRole: rng.next() < 0.5 });
    const customerId = `cust-${i}`;
    await setup.jit.createCustomer(sys, { id: customerId, name: `Customer ${i}` });
    const c = await setup.jit.connectCustomer(sys, customerId, { tenantId: tenant.tenantId });
    if (c.connection?.status !== 'connected') throw new Error(`chaos: tenant ${i} did not connect`);
    tenants.push({ providerId, customerId, tenant });
    if (o.tenantBudget) fake.controls.throttle(tenant.tenantId, o.tenantBudget);
  }
  for (const providerId of providers) {
    const sys: Actor = { kind: 'system', providerId, name: 'setup' };
    const mine = tenants.filter((t) => t.providerId === providerId);
    const tapOk = mine.filter((t) => t.tenant.settings.tapPolicy).map((t) => t.customerId);
    const p = people.get(providerId)!;
    await setup.jit.createRule(sys, { id: 'free', name: 'free', subjects: { groups: ['techs'] }, customers: 'all', roles: [ROLES.helpdesk, ROLES.userAdmin, ROLES.exchangeAdmin, ROLES.securityReader], defaultDurationMinutes: 30, maxDurationMinutes: 480 });
    if (tapOk.length) {
      await setup.jit.createRule(sys, { id: 'tap', name: 'tap', subjects: { groups: ['techs'] }, customers: tapOk, roles: [ROLES.securityReader, ROLES.helpdesk], defaultDurationMinutes: 30, maxDurationMinutes: 480, credential: 'both' });
    }
    await setup.jit.createRule(sys, {
      id: 'approval',
      name: 'global admin with approval',
      subjects: { groups: ['techs'] },
      customers: 'all',
      roles: [ROLES.globalAdmin],
      defaultDurationMinutes: 30,
      maxDurationMinutes: 240,
      approval: { required: 1, approvers: p.approvers.map((a) => a.technicianId), requestWindowMinutes: 60 },
      expirationAction: 'disable',
    });
    await setup.jit.createRule(sys, {
      id: 'kept',
      name: 'kept accounts',
      subjects: { technicianIds: p.keptTechs.map((t) => t.technicianId) },
      customers: 'all',
      roles: [ROLES.userAdmin],
      defaultDurationMinutes: 30,
      maxDurationMinutes: 480,
      accountModel: 'perTechnician',
    });
  }

  // ---- the run --------------------------------------------------------------------------------------
  // When processes died (clock ms): a grant leased to a dead process waits for its lease to lapse.
  const deaths: number[] = [];
  const mortal = (p: JitProcess): JitProcess => {
    p.life.whenDead(() => deaths.push(clock.now()));
    return p;
  };
  let proc: JitProcess = mortal(await startProcess(config));
  const tracked: Tracked[] = [];
  const actions: Action[] = [];
  let nextArrival = clock.now();
  let lastReconcile = clock.now();
  let attempts = 0;
  const replace = async () => {
    counters.crashes++;
    const doomed = rng.next() < 0.5;
    const plan: DeathPlan = !doomed
      ? {}
      : rng.next() < 0.5
        ? { transactionsLeft: rng.int(0, 40) }
        : { crashAtCall: { n: rng.int(1, 60), point: rng.next() < 0.5 ? 'before-send' : 'after-send' } };
    proc = mortal(await startProcess(config, plan));
  };

  const requestOne = async () => {
    const t = rng.pick(tenants);
    const p = people.get(t.providerId)!;
    const r = rng.next();
    const kind: Tracked['kind'] = r < 0.55 ? 'free' : r < 0.7 ? 'tap' : r < 0.85 ? 'approval' : 'kept';
    const tech = kind === 'kept' ? rng.pick(p.keptTechs) : rng.pick(p.techs);
    const roles =
      kind === 'free'
        ? rng.subset([ROLES.helpdesk, ROLES.userAdmin, ROLES.exchangeAdmin, ROLES.securityReader])
        : kind === 'tap'
          ? [ROLES.securityReader]
          : kind === 'approval'
            ? [ROLES.globalAdmin]
            : [ROLES.userAdmin];
    const minutes = 5 + Math.floor(rng.next() ** 2 * 235);
    const scheduled = rng.next() < 0.1;
    const life = proc.life;
    attempts++;
    let g: Grant | undefined;
    try {
      g = await survive(life, () =>
        proc.jit.requestAccess(tech, {
          customerId: t.customerId,
          roles,
          durationMinutes: Math.min(minutes, kind === 'approval' ? 240 : 480),
          justification: `chaos ${attempts}`,
          ...(scheduled ? { startAt: new Date(clock.now() + rng.int(1, 60) * MIN).toISOString() } : {}),
        }),
      );
    } catch (error) {
      if (!isJitError(error)) throw error;
      counters.refused++;
      return;
    }
    if (!g) return;
    const tr: Tracked = { providerId: t.providerId, id: g.id, customerId: t.customerId, tenantId: t.tenant.tenantId, technician: tech, kind };
    tracked.push(tr);
    if (kind === 'approval') {
      const r2 = rng.next();
      const at = clock.now() + rng.int(0, 45) * MIN;
      if (r2 < 0.8) actions.push({ at, kind: 'approve', grant: tr, by: rng.pick(p.approvers) });
      else if (r2 < 0.9) actions.push({ at, kind: 'deny', grant: tr, by: rng.pick(p.approvers) });
    }
    if (rng.next() < 0.1) actions.push({ at: clock.now() + rng.int(1, minutes + 5) * MIN, kind: 'extend', grant: tr, minutes: rng.int(5, 60), by: tech });
    if (rng.next() < 0.1) actions.push({ at: clock.now() + rng.int(0, minutes) * MIN + rng.int(0, 59_000), kind: 'revoke', grant: tr, by: rng.next() < 0.5 ? tech : p.admin });
    if (o.earlyRevokeRate && revokeRng.next() < o.earlyRevokeRate) actions.push({ at: clock.now() + revokeRng.int(200, 3_000), kind: 'revoke', grant: tr, by: p.admin });
  };

  const act = async (a: Action) => {
    const life = proc.life;
    try {
      const done = await survive(life, async () => {
        if (a.kind === 'approve') return proc.jit.approve(a.by!, a.grant.id);
        if (a.kind === 'deny') return proc.jit.deny(a.by!, a.grant.id);
        if (a.kind === 'extend') return proc.jit.extend(a.by!, a.grant.id, { minutes: a.minutes! });
        const before = await o.store.getGrant(a.grant.providerId, a.grant.id);
        const revoked = await proc.jit.revoke(a.by!, a.grant.id, { reason: 'chaos' });
        if (before?.state === 'provisioning') revokedWhileProvisioning.push({ providerId: a.grant.providerId, id: a.grant.id, atCall: counters.graphCalls });
        return revoked;
      });
      if (done) actionsDone[a.kind]++;
    } catch (error) {
      if (!isJitError(error)) throw error;
      actionsDone.refused++;
    }
  };

  const injectFault = () => {
    const t = rng.pick(tenants).tenant;
    const target = rng.pick(FAULT_PATHS);
    const r = rng.next();
    counters.faultRules++;
    if (r < 0.08) {
      // A tenant over its budget for a while: every call beyond 20 per 10 s is throttled.
      fake.controls.throttle(t.tenantId, rng.next() < 0.5 ? { requests: 20, windowMs: 10_000 } : null);
      return;
    }
    const times = rng.int(1, 3);
    if (r < 0.35) fake.controls.inject({ tenantId: t.tenantId, method: target.method, path: target.path, times, kind: 'status', status: 429, retryAfterSeconds: rng.int(1, 30) });
    else if (r < 0.6) fake.controls.inject({ tenantId: t.tenantId, method: target.method, path: target.path, times, kind: 'status', status: rng.pick([500, 502, 503, 504]) });
    else if (r < 0.8) fake.controls.inject({ tenantId: t.tenantId, method: target.method, path: target.path, times, kind: 'reset' });
    // A call that timed out after Graph acted on it: done there, never answered here. (A timeout before Graph
    // acted is a reset to the adapter; holding a call open would tie the run to the machine's real timers.)
    else if (r < 0.85) fake.controls.inject({ tenantId: t.tenantId, method: target.method, path: target.path, times: 1, kind: 'lostAnswer' });
    else {
      // Replication lag as Graph shows it: a call naming an object another replica has not seen yet (a role
      // or a pass for a new account) answers 404. Removals and reads of old objects never see it.
      fake.controls.inject({
        tenantId: t.tenantId,
        method: 'POST',
        path: /^\/(roleManagement\/directory\/(roleAssignments|roleAssignmentScheduleRequests)|users\/[^/]+\/authentication\/temporaryAccessPassMethods)$/,
        times,
        kind: 'status',
        status: 404,
        code: 'Request_ResourceNotFound',
        message: "Resource 'x' does not exist or one of its queried reference-property objects are not present.",
      });
    }
  };

  const step = async (chaos: boolean) => {
    if (proc.life.dead) await replace();
    if (chaos && rng.next() < faultRate) injectFault();
    if (chaos && rng.next() < crashRate) await replace();
    const life = proc.life;
    await survive(life, () => proc.jit.scheduler.drain(320));
    if (clock.now() - lastReconcile >= 30 * MIN && !life.dead) {
      const report = await survive(life, () => proc.jit.reconcile());
      if (report) lastReconcile = clock.now();
    }
  };

  const advance = async (limitMs: number) => {
    const next = await o.store.nextDueAt();
    let target = Math.min(limitMs, clock.now() + 10 * MIN);
    if (next !== null) {
      // Due now but not claimed: a dead process's lease; step in small moves until it lapses.
      target = next > clock.now() ? Math.min(target, next) : Math.min(target, clock.now() + 5_000);
    }
    if (target <= clock.now()) target = clock.now() + 1_000;
    await clock.set(target);
  };

  let lastProgress = performance.now();
  while (tracked.length < o.grants) {
    while (clock.now() >= nextArrival && tracked.length < o.grants) {
      await requestOne();
      nextArrival += Math.max(1, Math.round(arrivalMs * 2 * rng.next()));
      if (attempts > o.grants * 3) throw new Error('chaos: too many refused requests');
    }
    actions.sort((a, b) => a.at - b.at);
    while (actions.length && actions[0]!.at <= clock.now()) await act(actions.shift()!);
    await step(true);
    await advance(Math.min(nextArrival, actions[0]?.at ?? Number.POSITIVE_INFINITY));
    if (performance.now() - lastProgress > 10_000) {
      lastProgress = performance.now();
      o.progress?.(`  ${tracked.length}/${o.grants} grants, ${counters.crashes} crashes, ${counters.faults} faults, sim ${((clock.now() - startMs) / 3_600_000).toFixed(1)} h`);
    }
  }
  // Outstanding decisions and revocations still happen; the chaos goes on until they have.
  while (actions.length) {
    actions.sort((a, b) => a.at - b.at);
    while (actions.length && actions[0]!.at <= clock.now()) await act(actions.shift()!);
    await step(true);
    await advance(actions[0]?.at ?? Number.POSITIVE_INFINITY);
  }

  // ---- recovery: faults end, a healthy process runs until every grant is done ------------------------
  fake.controls.clear();
  fake.controls.replicationDelayMs = replicationDelayMs;
  for (const t of tenants) fake.controls.throttle(t.tenant.tenantId, o.tenantBudget ?? null);
  proc = await startProcess(config);
  const recoveryEnd = clock.now() + 3 * 24 * 60 * MIN;
  for (;;) {
    await step(false);
    const live = await liveCount(o.store, providers);
    if (live === 0 || clock.now() > recoveryEnd) break;
    await advance(Number.POSITIVE_INFINITY);
  }
  await clock.advance(20 * MIN);
  // The last reconcile is the judge: it must see every tenant whole, so no budget cuts its listing short.
  for (const t of tenants) fake.controls.throttle(t.tenant.tenantId, null);
  const finalProc = await startProcess(config);
  const report = await finalProc.jit.reconcile();

  // ---- judging --------------------------------------------------------------------------------------
  const failures: string[] = [];
  const states: Record<string, number> = {};
  const endReasons: Record<string, number> = {};
  let lostGrants = 0;
  let secretsLeft = 0;
  const lags: number[] = [];
  const expired: { lag: number; g: Grant }[] = [];
  let worst: { lag: number; g: Grant } | null = null;
  const tenantById = new Map(tenants.map((t) => [t.tenant.tenantId, t.tenant]));
  for (const tr of tracked) {
    const g = (await o.store.getGrant(tr.providerId, tr.id))!;
    states[g.state] = (states[g.state] ?? 0) + 1;
    if (g.endReason) endReasons[g.endReason] = (endReasons[g.endReason] ?? 0) + 1;
    let lost = !TERMINAL_STATES.includes(g.state);
    const tenant = tenantById.get(tr.tenantId)!;
    const user = g.account ? (g.account.objectId ? tenant.findUser(g.account.objectId) : undefined) ?? tenant.findUser(g.account.userPrincipalName) : undefined;
    if (user && user.employeeType === 'jitadmin') {
      // Deleted, or (kept by the rule or the per-technician model) disabled and without any role.
      const keeps = g.policy.accountModel === 'perTechnician' || g.policy.expirationAction === 'disable';
      if (!keeps || user.accountEnabled || tenant.rolesOf(user.id).length > 0) lost = true;
    }
    if (lost) {
      lostGrants++;
      if (failures.length < 20) failures.push(`lost grant ${tr.providerId}/${g.id}: ${g.state}/${g.step} ${g.endReason ?? ''} ${g.lastError?.code ?? ''} account ${user ? `${user.accountEnabled ? 'enabled' : 'disabled'} roles=${tenant.rolesOf(user.id).length}` : 'none'}`);
    }
    if (TERMINAL_STATES.includes(g.state)) {
      for (const name of ['password', 'tap']) if (await o.store.getSecret(tr.providerId, g.id, name)) secretsLeft++;
    }
    if (g.endReason === 'expired' && g.closedAt && g.expiresAt) {
      const lag = Date.parse(g.closedAt) - Date.parse(g.expiresAt);
      lags.push(lag);
      expired.push({ lag, g });
      if (!worst || lag > worst.lag) worst = { lag, g };
    }
  }
  // Accounts of ours still live, enabled or holding a role after the last reconcile: orphans it missed.
  let strays = 0;
  let duplicateAccounts = 0;
  for (const { tenant } of tenants) {
    const upns = new Map<string, number>();
    for (const u of [...tenant.users.values(), ...tenant.deletedItems.values()]) {
      if (u.employeeType !== 'jitadmin') continue;
      const k = u.userPrincipalName.toLowerCase();
      upns.set(k, (upns.get(k) ?? 0) + 1);
    }
    for (const n of upns.values()) if (n > 1) duplicateAccounts += n - 1;
    for (const u of tenant.users.values()) {
      if (u.employeeType === 'jitadmin' && (u.accountEnabled || tenant.rolesOf(u.id).length > 0)) strays++;
    }
  }
  const orphans = report.orphansRemoved.length + strays;
  let privilegeAfterRevoke = 0;
  for (const r of revokedWhileProvisioning) {
    const g = (await o.store.getGrant(r.providerId, r.id))!;
    const upn = g.account?.userPrincipalName.toLowerCase();
    const objectId = g.account?.objectId ?? undefined;
    // Until the grant closed: a technician's kept account may be given roles again by a later grant.
    const closed = g.closedAt ? Date.parse(g.closedAt) : Number.POSITIVE_INFINITY;
    const late = privileged.filter(
      (c) => c.at > r.atCall && c.clock <= closed && ((upn && c.upn === upn) || (objectId && (c.principalId === objectId || c.userId === objectId))),
    );
    if (late.length > 0) {
      privilegeAfterRevoke += late.length;
      if (failures.length < 20) failures.push(`grant ${r.providerId}/${r.id}: ${late.length} privileged calls after its revoke`);
    }
  }
  const failedGrants = endReasons.failed ?? 0;
  let auditChainOk = true;
  let auditEvents = 0;
  for (const providerId of providers) {
    const chain = await verifyProviderChain({ store: o.store }, providerId);
    auditEvents += chain.events;
    if (!chain.ok) {
      auditChainOk = false;
      failures.push(`audit chain of ${providerId} broken at ${chain.brokenAt}: ${chain.reason}`);
    }
  }
  // A setback costs at most the longest wait a failed step is given (the capped backoff, or a Retry-After of
  // at most 30 s from the faults and 60 s from the token endpoint) or a dead process's lease.
  const setbackMs = Math.max(config.jitOptions.maxRetryMs ?? 0, config.jitOptions.leaseMs ?? 0, 60_000);
  let unexplainedLags = 0;
  for (const { lag, g } of expired) {
    if (lag <= setbackMs) continue;
    const from = Date.parse(g.expiresAt!);
    const to = Date.parse(g.closedAt!);
    const events = await o.store.listAudit(g.providerId, { grantId: g.id, limit: 1000 });
    const failed = events.filter((e) => (e.action === 'grant.step_failed' || e.action === 'grant.needs_attention') && Date.parse(e.at) >= from).length;
    const died = deaths.filter((t) => t >= from && t <= to).length;
    if (lag > (failed + died + 1) * setbackMs) {
      unexplainedLags++;
      if (failures.length < 20) failures.push(`grant ${g.providerId}/${g.id} closed ${lag} ms after expiry with ${failed} failed attempts and ${died} deaths to explain it`);
    }
  }
  lags.sort((a, b) => a - b);
  let worstTrail: string[] = [];
  if (worst) {
    const w: { lag: number; g: Grant } = worst;
    const events = await o.store.listAudit(w.g.providerId, { grantId: w.g.id, limit: 1000 });
    worstTrail = events.map((e) => `${e.at.slice(11, 19)} ${e.action} ${String(e.details.step ?? '')} ${String(e.details.code ?? '')}`.trim());
  }
  const maxExpiryLagMs = lags.length ? lags[lags.length - 1]! : 0;
  const p99ExpiryLagMs = lags.length ? lags[Math.min(lags.length - 1, Math.floor(lags.length * 0.99))]! : 0;
  const bound = o.maxLagBoundMs ?? 30 * MIN;
  if (orphans > 0) failures.push(`${orphans} orphan accounts (${report.orphansRemoved.length} removed by the last reconcile, ${strays} left)`);
  if (duplicateAccounts > 0) failures.push(`${duplicateAccounts} accounts created twice`);
  if (secretsLeft > 0) failures.push(`${secretsLeft} secrets held by ended grants`);
  if (report.errors.length > 0) failures.push(`last reconcile errors: ${JSON.stringify(report.errors.slice(0, 3))}`);
  if (maxExpiryLagMs > bound) failures.push(`expiry lag ${maxExpiryLagMs} ms above ${bound} ms`);
  if (lostGrants > 0 && !failures.some((f) => f.startsWith('lost'))) failures.push(`${lostGrants} lost grants`);
  server.close();
  return {
    seed: o.seed,
    store: o.storeName,
    grants: tracked.length,
    tenants: tenants.length,
    providers: providers.length,
    requestsRefused: counters.refused,
    actions: actionsDone,
    states,
    endReasons,
    faults: counters.faults,
    faultRules: counters.faultRules,
    crashes: counters.crashes,
    graphCalls: counters.graphCalls,
    orphans,
    lostGrants,
    duplicateAccounts,
    secretsLeft,
    maxExpiryLagMs,
    p99ExpiryLagMs,
    unexplainedLags,
    setbackMs,
    failedGrants,
    revokeDuringProvisioning: revokedWhileProvisioning.length,
    privilegeAfterRevoke,
    auditChainOk,
    auditEvents,
    simulatedMs: clock.now() - startMs,
    wallMs: Math.round(performance.now() - started),
    failures,
    worstLagTrail: worstTrail,
    ok: failures.length === 0 && lostGrants === 0,
  };
}

async function liveCount(store: Store, providers: string[]): Promise<number> {
  let n = 0;
  for (const providerId of providers) {
    const page = await store.listGrants(providerId, { states: ['requested', 'pending_approval', 'approved', 'provisioning', 'active', 'deprovisioning', 'needs_attention'], limit: 1 });
    n += page.items.length;
  }
  return n;
}
