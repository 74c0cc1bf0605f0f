import type { Store } from '../../ports/store.js';

/**
 * An independent back door into what a store really holds, written by the adapter's author against the
 * storage itself (raw SQL, the memory store's internals) — never through the `Store` methods under test, so a
 * store cannot pass by reading back its own bug.
 */
export interface StoreInspector {
  /**
   * The stored grant row as it is in storage, or null when there is none. The suite reads only `version`
   * (a number or numeric string) and `state`; name other keys as the storage does.
   */
  rawGrant(providerId: string, id: string): Promise<Record<string, unknown> | null>;
  /** The provider's stored audit rows, any order. The suite reads only `seq` (a number or numeric string). */
  rawAudit(providerId: string): Promise<Record<string, unknown>[]>;
  /** Every stored table or value concatenated as text: the suite scans it for secrets that must be gone. */
  allText(): Promise<string>;
  /** Changes the stored `details` of the provider's event `seq` (and nothing else) so its hash no longer matches. */
  corruptAudit(providerId: string, seq: number): Promise<void>;
  /**
   * The stored consent link row, or null (needed by the `consentStates` section). The suite reads only
   * `consumedAt` / `consumed_at` (null, or an instant as a string or Date).
   */
  rawConsentState?(providerId: string, id: string): Promise<Record<string, unknown> | null>;
}

/** What `setup()` returns: a fresh, empty store, its inspector, and how to dispose of both. */
export interface StoreHarness {
  store: Store;
  inspect: StoreInspector;
  teardown(): Promise<void>;
}

/** The suite's sections, each skippable with a reason. */
export type StoreConformanceSection =
  | 'providers'
  | 'technicians'
  | 'customers'
  | 'rules'
  | 'technicianAccounts'
  | 'grants'
  | 'grantConcurrency'
  | 'listGrants'
  | 'claimDue'
  | 'claimConcurrency'
  | 'nextDueAt'
  | 'secrets'
  | 'audit'
  | 'auditConcurrency'
  | 'transactions'
  /** The optional one-step `writeGrant` (runs only when the store has it). */
  | 'writeGrant'
  /** The optional single-use consent links (runs only when the store declares `capabilities.consentStates`). */
  | 'consentStates'
  /** The optional `sessions` capability group (runs only when the store has it). */
  | 'sessions'
  /** Reads outside a transaction do not see its uncommitted writes. Needs a second connection while one transaction is open. */
  | 'readCommitted'
  | 'providerIsolation'
  | 'copies'
  | 'model';

export interface StoreConformanceOptions {
  /** Names the `describe` block: `Store conformance: <name>`. */
  name: string;
  /** A fresh, empty store for each test (also for each run of the property test). Keep it cheap. */
  setup(): Promise<StoreHarness>;
  /**
   * Sections this store cannot run, each with the reason (shown in the skipped test's name), for example
   * `{ readCommitted: 'PGlite has a single connection: a read waits for the open transaction' }`.
   */
  skip?: Partial<Record<StoreConformanceSection, string>>;
  /** The adapter's own tests, run inside the suite's `describe` with the same fresh harness per test. */
  additionalTests?: (harness: () => StoreHarness) => void;
  /** Runs of the model-based property test (default 25; each run calls `setup()` once). */
  propertyRuns?: number;
}
