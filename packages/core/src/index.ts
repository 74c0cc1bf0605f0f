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
export {
  createAesGcmSecretBox,
  generateSecretBoxKey,
  DEFAULT_SECRET_BOX_KEY_ID,
  SECRET_BOX_KEY_ID,
  type KeyedSecretBox,
  type SecretBoxKey,
} from './secret-box/aes-gcm.js';
export { resealSecrets, HELD_SECRET_NAMES, RESEAL_AUDIT_ACTION, NO_KEY_ID, type ResealOptions, type ResealReport } from './secret-box/reseal.js';
export { createJitAdmin, type CreateJitAdminConfig, type JitAdmin } from './service/create.js';
export { DEFAULT_OPTIONS, type JitAdminOptions } from './engine/context.js';
export { TRANSITIONS, transition, canTransition, type GrantEvent } from './engine/transitions.js';
export { ephemeralUpn, technicianUpn, generatePassword, ACCOUNT_PREFIX } from './engine/naming.js';
export { retryDelayMs } from './engine/backoff.js';
export { evaluateRequest, entitlementsFor, type PolicyDecision, type PolicyRequest, type PolicyRefusal } from './policy/entitlement.js';
export { planCredential, ruleWarnings, tapAnswer, p2Answer, RuleWarning, type CredentialPlan } from './policy/tenant-fit.js';
export { Scheduler, type SchedulerStats } from './scheduler/scheduler.js';
export { verifyProviderChain } from './service/setup.js';
export {
  CONSENT_LINK_TTL_MS,
  ConsentCallbackInput,
  ConsentStartInput,
  consentStateId,
  type ConsentCheck,
  type ConsentLinkStart,
} from './service/consent.js';
