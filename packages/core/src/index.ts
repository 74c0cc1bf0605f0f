/**
 * @jitadmin/core: just-in-time admin accounts for Microsoft Entra ID, as a headless library.
 * Domain types, entitlement policy, grant state machine, provisioning and deprovisioning sagas, scheduler,
 * reconciler, audit chain, and the ports adapters implement.
 *
 * @module
 */
export * from './errors.js';
export * from './domain/index.js';
export * from './ports/index.js';
export * from './audit/chain.js';
export * from './service/inputs.js';
export * from './service/people-inputs.js';
export type * from './service/types.js';
export { createMemoryStore, MEMORY_STORE_INTERNALS } from './store/memory-store.js';
export { applyGrantWrite } from './store/grant-write.js';
export type { MemoryStore, MemoryStoreOptions, MemoryStoreInternals, MemorySecretRow } from './store/memory-store.js';
export { liveGrantKey, compareGrantsNewestFirst, encodeGrantCursor, decodeGrantCursor } from './store/grant-order.js';
export type { GrantCursor } from './store/grant-order.js';
export { createAesGcmSecretBox, generateSecretBoxKey } from './secret-box/aes-gcm.js';
export { createJitAdmin, type CreateJitAdminConfig, type JitAdmin } from './service/create.js';
export { DEFAULT_OPTIONS, type JitAdminOptions } from './engine/context.js';
export { TRANSITIONS, transition, canTransition, type GrantEvent } from './engine/transitions.js';
export { ephemeralUpn, technicianUpn, generatePassword, ACCOUNT_PREFIX } from './engine/naming.js';
export { retryDelayMs } from './engine/backoff.js';
export { evaluateRequest, entitlementsFor, type PolicyDecision, type PolicyRequest, type PolicyRefusal } from './policy/entitlement.js';
export { Scheduler, type SchedulerStats } from './scheduler/scheduler.js';
export { verifyProviderChain } from './service/setup.js';
