import { type MemoryStore, MEMORY_STORE_INTERNALS } from '../../store/memory-store.js';
import type { StoreInspector } from './types.js';

/**
 * The `StoreInspector` of a memory store: reads the committed tables behind the store's
 * `MEMORY_STORE_INTERNALS` hook, not its methods.
 */
export function inspectMemoryStore(store: MemoryStore): StoreInspector {
  const data = store[MEMORY_STORE_INTERNALS];
  return {
    async rawGrant(providerId, id) {
      const row = data.grants.get(providerId, id);
      return row ? structuredClone(row) : null;
    },
    async rawAudit(providerId) {
      return structuredClone(data.audit.get(providerId) ?? []);
    },
    async allText() {
      const tables = [data.providers, data.technicians, data.customers, data.rules, data.grants, data.secrets, data.technicianAccounts, data.consentStates];
      const rows = tables.flatMap((table) => table.partitions().flatMap((p) => table.list(p) as unknown[]));
      return JSON.stringify([rows, [...data.audit.values()], [...data.sessions.values()], [...data.apiTokens.values()]]);
    },
    async rawConsentState(providerId, id) {
      const row = data.consentStates.get(providerId, id);
      return row ? structuredClone(row) : null;
    },
    async corruptAudit(providerId, seq) {
      const events = data.audit.get(providerId) ?? [];
      const index = events.findIndex((e) => e.seq === seq);
      if (index < 0) throw new Error(`no audit event ${seq} for ${providerId}`);
      const event = events[index]!;
      events[index] = { ...event, details: { ...event.details, tampered: true } };
    },
  };
}
