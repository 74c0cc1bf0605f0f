import type { Actor } from '../domain/provider.js';
import type { AuditEvent } from '../domain/audit.js';
import { GrantEngine } from '../engine/grant-engine.js';
import { RunningGrants } from '../engine/revoke-fence.js';
import { guardDirectory, makeEmitter, resolveOptions, type Context, type JitAdminOptions } from '../engine/context.js';
import { Reconciler } from '../reconciler/reconciler.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { DirectoryAdapter } from '../ports/directory.js';
import { silentLogger, type EventSink, type Logger } from '../ports/events.js';
import type { SecretBox } from '../ports/secret-box.js';
import type { Store } from '../ports/store.js';
import { ConsentService } from './consent.js';
import { GrantService } from './grants.js';
import { PeopleService } from './people.js';
import { SetupService } from './setup.js';
import type { JitAdminService, ReconcileReport } from './types.js';

export interface CreateJitAdminConfig {
  store: Store;
  directory: DirectoryAdapter;
  secretBox: SecretBox;
  clock?: Clock;
  events?: EventSink;
  logger?: Logger;
  options?: Partial<JitAdminOptions>;
  /**
   * Whether `close()` also closes the store: true when the store was opened for this instance alone, so one
   * call ends everything (with `postgresStore`, the pool or PGlite as well). Default false, for a store that
   * outlives the instance (shared by several, reopened by a test).
   */
  closeStore?: boolean;
}

/** The service plus the machinery that runs grants in the background. */
export interface JitAdmin extends JitAdminService {
  readonly scheduler: Scheduler;
  /** Removes orphan accounts and role drift in every connected tenant (the scheduler also runs it periodically). */
  reconcile(): Promise<ReconcileReport>;
  /**
   * Stops the scheduler, finishing the step in hand; then closes the store if `closeStore` was set (else the
   * store stays open: close it yourself, after this).
   */
  close(): Promise<void>;
  readonly options: Readonly<JitAdminOptions>;
}

/**
 * Builds jitadmin over a store, a directory adapter and a secret box.
 *
 * ```ts
 * const jit = createJitAdmin({ store: createMemoryStore(), directory, secretBox: createAesGcmSecretBox(key) });
 * jit.scheduler.start();
 * ```
 */
export function createJitAdmin(config: CreateJitAdminConfig): JitAdmin {
  if (!config.store || !config.directory || !config.secretBox) {
    throw new TypeError('createJitAdmin needs a store, a directory adapter and a secret box');
  }
  const clock = config.clock ?? systemClock;
  const logger = config.logger ?? silentLogger;
  const options = resolveOptions(config.options);
  const ctx: Context = {
    store: config.store,
    directory: guardDirectory(config.directory),
    secretBox: config.secretBox,
    clock,
    logger,
    options,
    emit: makeEmitter(config.events, clock, logger),
    nowIso: () => new Date(clock.now()).toISOString(),
    running: new RunningGrants(),
  };
  const engine = new GrantEngine(ctx);
  // A grant the reconciler ends (its account is gone) is due at once: wake the scheduler rather than wait a sweep.
  const reconciler = new Reconciler(ctx, () => scheduler.poke());
  const scheduler = new Scheduler(ctx, engine, () => reconciler.run());
  const setup = new SetupService(ctx);
  const grants = new GrantService(ctx, scheduler);
  const consent = new ConsentService(ctx, setup);
  const people = new PeopleService(ctx, grants);

  return {
    scheduler,
    options,
    reconcile: () => reconciler.run(),
    close: async () => {
      await scheduler.stop();
      if (config.closeStore) await config.store.close();
    },
    upsertProvider: (input) => setup.upsertProvider(input),
    getProvider: (id) => setup.getProvider(id),
    upsertTechnician: (actor, input) => setup.upsertTechnician(actor, input),
    createTechnician: (actor, input) => setup.createTechnician(actor, input),
    updateTechnician: (actor, id, input) => setup.updateTechnician(actor, id, input),
    rebindTechnicianSubject: (actor, id, input) => setup.rebindTechnicianSubject(actor, id, input),
    listTechnicians: (actor) => setup.listTechnicians(actor),
    getTechnician: (actor, id) => setup.getTechnician(actor, id),
    createCustomer: (actor, input) => setup.createCustomer(actor, input),
    listCustomers: (actor) => setup.listCustomers(actor),
    getCustomer: (actor, id) => setup.getCustomer(actor, id),
    connectCustomer: (actor, id, input) => setup.connectCustomer(actor, id, input),
    startConsent: (actor, id, input) => consent.startConsent(actor, id, input),
    checkConsent: (actor, input) => consent.checkConsent(actor, input),
    finishConsent: (actor, input) => consent.finishConsent(actor, input),
    checkConnection: (actor, id) => setup.checkConnection(actor, id),
    connectionHealth: (actor, id) => setup.connectionHealth(actor, id),
    disconnectCustomer: (actor, id) => setup.disconnectCustomer(actor, id),
    createRule: (actor, input) => setup.createRule(actor, input),
    updateRule: (actor, id, input) => setup.updateRule(actor, id, input),
    deleteRule: (actor, id) => setup.deleteRule(actor, id),
    listRules: (actor) => setup.listRules(actor),
    getRule: (actor, id) => setup.getRule(actor, id),
    listAudit: (actor: Actor, input): Promise<AuditEvent[]> => setup.listAudit(actor, input),
    verifyAuditChain: (actor) => setup.verifyAuditChain(actor),
    whatMayIRequest: (actor) => grants.whatMayIRequest(actor),
    requestAccess: (actor, input) => grants.requestAccess(actor, input),
    approve: (actor, id, input) => grants.approve(actor, id, input),
    deny: (actor, id, input) => grants.deny(actor, id, input),
    cancel: (actor, id) => grants.cancel(actor, id),
    extend: (actor, id, input) => grants.extend(actor, id, input),
    approveExtension: (actor, id, input) => grants.approveExtension(actor, id, input),
    denyExtension: (actor, id, input) => grants.denyExtension(actor, id, input),
    reissueCredential: (actor, id) => grants.reissueCredential(actor, id),
    revoke: (actor, id, input) => grants.revoke(actor, id, input),
    revokeAllForCustomer: (actor, id, input) => grants.revokeAllForCustomer(actor, id, input),
    revealCredential: (actor, id) => grants.revealCredential(actor, id),
    getGrant: (actor, id) => grants.getGrant(actor, id),
    listGrants: (actor, input) => grants.listGrants(actor, input),
    deactivateTechnician: (actor, id, input, cause) => people.deactivateTechnician(actor, id, input, cause),
    sweepLeavers: (actor) => people.sweepLeavers(actor),
    createApiToken: (actor, input, seal) => people.createApiToken(actor, input, seal),
    listApiTokens: (actor, technicianId) => people.listApiTokens(actor, technicianId),
    revokeApiToken: (actor, id, technicianId) => people.revokeApiToken(actor, id, technicianId),
    listSessions: (actor, technicianId) => people.listSessions(actor, technicianId),
    endSession: (actor, id, technicianId) => people.endSession(actor, id, technicianId),
  };
}
