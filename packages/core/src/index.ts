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
export type * from './service/types.js';
export { createMemoryStore, MEMORY_STORE_INTERNALS } from './store/memory-store.js';
export type { MemoryStore, MemoryStoreOptions, MemoryStoreInternals, MemorySecretRow } from './store/memory-store.js';
export { liveGrantKey, compareGrantsNewestFirst, encodeGrantCursor, decodeGrantCursor } from './store/grant-order.js';
export type { GrantCursor } from './store/grant-order.js';
export { createAesGcmSecretBox, generateSecretBoxKey } from './secret-box/aes-gcm.js';
