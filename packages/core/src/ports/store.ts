import type { AuditDraft, AuditEvent } from '../domain/audit.js';
import type { ConsentState } from '../domain/consent.js';
import type { Customer } from '../domain/customer.js';
import type { Grant, GrantState, TechnicianAccount } from '../domain/grant.js';
import type { Provider, Technician } from '../domain/provider.js';
import type { EntitlementRule } from '../domain/rule.js';
import type { SessionStore } from './sessions.js';

/**
 * The `Store` port: where jitadmin keeps everything, and the queue the scheduler works from.
 *
 * Rules every store follows (the conformance suite in `@jitadmin/core/testing` checks each):
 * - Every read and write is scoped by `providerId`; another provider's ids read as `null` (not found).
 * - Returned records are copies: mutating one never changes what is stored.
 * - `null` means "not found"; errors are jitadmin errors (`VERSION_CONFLICT`, `DUPLICATE_GRANT`,
 *   `NOT_FOUND`, `STORE_UNAVAILABLE`), never a driver's own.
 * - Writes happen inside `transaction`: all of them land, or none does.
 *
 * @module
 */

export interface GrantFilter {
  technicianId?: string;
  customerId?: string;
  states?: readonly GrantState[];
  /** At most this many (default 100, at most 1000). */
  limit?: number;
  /** Opaque cursor from the previous page's `nextCursor`; one the store did not issue: `VALIDATION_FAILED` (field `cursor`). */
  cursor?: string;
}

export interface GrantPage {
  /** Newest first (by `requestedAt`, then `id`). */
  items: Grant[];
  nextCursor: string | null;
}

export interface AuditQuery {
  /** Only events with `seq` greater than this. */
  afterSeq?: number;
  grantId?: string;
  /** At most this many (default 100, at most 10000), in ascending `seq`. */
  limit?: number;
}

/** Reads, available on the store and inside a transaction (where they see the transaction's writes). */
export interface StoreReader {
  getProvider(id: string): Promise<Provider | null>;
  listProviders(): Promise<Provider[]>;

  getTechnician(providerId: string, id: string): Promise<Technician | null>;
  /** By the IdP subject; unique per provider. */
  findTechnicianBySubject(providerId: string, subject: string): Promise<Technician | null>;
  listTechnicians(providerId: string): Promise<Technician[]>;

  getCustomer(providerId: string, id: string): Promise<Customer | null>;
  listCustomers(providerId: string): Promise<Customer[]>;

  getRule(providerId: string, id: string): Promise<EntitlementRule | null>;
  listRules(providerId: string): Promise<EntitlementRule[]>;

  getGrant(providerId: string, id: string): Promise<Grant | null>;
  listGrants(providerId: string, filter?: GrantFilter): Promise<GrantPage>;

  /** A sealed secret (SecretBox output) held for a grant, by name (`password`, `tap`). */
  getSecret(providerId: string, grantId: string, name: string): Promise<string | null>;

  getTechnicianAccount(providerId: string, customerId: string, technicianId: string): Promise<TechnicianAccount | null>;
  listTechnicianAccounts(providerId: string, customerId: string): Promise<TechnicianAccount[]>;

  listAudit(providerId: string, query?: AuditQuery): Promise<AuditEvent[]>;

  /**
   * Capability `consentStates` (optional): a consent link by its id (the SHA-256 of its `state`), consumed
   * or not; null when there is none (or it is another provider's).
   */
  getConsentState?(providerId: string, id: string): Promise<ConsentState | null>;
}

/** What `consumeConsentState` found: the link as it was before the call, and whether this call used it up. */
export interface ConsentConsumption {
  /** As stored before this call: `consumedAt` is null when `consumedNow`, else the earlier use. */
  state: ConsentState;
  /** True for exactly one caller per link, ever. */
  consumedNow: boolean;
}

/** Writes; only inside `Store.transaction`. */
export interface StoreWriter {
  /** Insert or replace by id. */
  putProvider(provider: Provider): Promise<void>;
  /** Insert or replace by (providerId, id). Another technician with the same subject: `CONFLICT`. */
  putTechnician(technician: Technician): Promise<void>;
  /** Insert or replace by (providerId, id). */
  putCustomer(customer: Customer): Promise<void>;
  /** Returns whether it existed. */
  deleteCustomer(providerId: string, id: string): Promise<boolean>;
  /** Insert or replace by (providerId, id). */
  putRule(rule: EntitlementRule): Promise<void>;
  deleteRule(providerId: string, id: string): Promise<boolean>;

  /**
   * Inserts a new grant (its `version` must be 0). Throws `DUPLICATE_GRANT` when a live grant (state in
   * `LIVE_STATES`) exists for the same provider, technician, customer and role set — also when two
   * transactions insert such grants at once (SQL: a unique partial index on the live rows). A grant whose
   * (providerId, id) exists already: `CONFLICT`.
   */
  insertGrant(grant: Grant): Promise<Grant>;
  /**
   * Replaces a grant if its stored version is `expectedVersion`; stores and returns it with
   * `version = expectedVersion + 1`. Otherwise throws `VERSION_CONFLICT` (never a lost update;
   * SQL: `UPDATE … WHERE id = $1 AND version = $2`), or `NOT_FOUND` if there is no such grant.
   * Going live again under the duplicate rule of `insertGrant` throws `DUPLICATE_GRANT`.
   */
  updateGrant(grant: Grant, expectedVersion: number): Promise<Grant>;

  /** Stores a sealed secret; replaces one of the same name. */
  putSecret(providerId: string, grantId: string, name: string, sealed: string): Promise<void>;
  /** Destroys every secret of a grant; returns how many there were. */
  deleteSecrets(providerId: string, grantId: string): Promise<number>;

  /** Insert or replace by (providerId, customerId, technicianId). */
  putTechnicianAccount(account: TechnicianAccount): Promise<void>;

  /**
   * Appends an audit event to the provider's chain: assigns `seq` (previous + 1, starting at 1),
   * `prevHash` (previous `hash`, '' for the first) and `hash` with `chainAuditEvent` from core.
   * Concurrent transactions of one provider never fork the chain or leave a gap (SQL: lock the provider's
   * chain head row `FOR UPDATE` inside the transaction).
   */
  appendAudit(draft: AuditDraft): Promise<AuditEvent>;

  /**
   * Capability `consentStates` (optional): stores a new consent link (its `consumedAt` must be null). A link
   * with the same (providerId, id): `CONFLICT`.
   */
  insertConsentState?(state: ConsentState): Promise<void>;
  /**
   * Capability `consentStates` (optional): uses a consent link up. Sets `consumedAt = now` when it is not
   * consumed yet; a consumed one is left as it is. Expiry is the caller's to judge (an expired link is consumed
   * like any other). Returns null when there is no such link. Of any number of concurrent callers, in this or
   * other processes, exactly one gets `consumedNow: true`; the others wait for it and see its use once it
   * commits (SQL: `UPDATE consent_states SET consumed_at = $now WHERE provider_id = $1 AND id = $2 AND
   * consumed_at IS NULL RETURNING …`, and a plain read when no row came back). Commits or rolls back with the
   * transaction, like every write.
   */
  consumeConsentState?(providerId: string, id: string, now: string): Promise<ConsentConsumption | null>;
  /**
   * Capability `consentStates` (optional): deletes the provider's links whose `expiresAt` is before `before`
   * (used or not); returns how many. Core calls it when it makes a link, with a day's margin, so the table
   * stays as small as the links in flight (SQL: `DELETE … WHERE provider_id = $1 AND expires_at < $2`).
   */
  deleteExpiredConsentStates?(providerId: string, before: string): Promise<number>;
}

export interface StoreTx extends StoreReader, StoreWriter {}

/** One grant write with what goes with it: see `Store.writeGrant`. */
export interface GrantWrite {
  grant: Grant;
  expectedVersion: number;
  /** Sealed secrets to store (replacing any of the same name). */
  putSecrets?: Readonly<Record<string, string>>;
  /** Destroy every secret of the grant (after `putSecrets`). */
  destroySecrets?: boolean;
  /** Audit events to append, in order, after the provider's chain head. */
  audit: readonly AuditDraft[];
}

export interface StoreCapabilities {
  /** `claimDue` is safe across processes (several replicas may share the store). */
  atomicClaim: boolean;
  /** Data survives a restart of the process. */
  durable: boolean;
  /**
   * Single-use consent links kept in the store (`getConsentState`, `insertConsentState`,
   * `consumeConsentState`): connecting a customer by admin consent needs it.
   */
  consentStates?: boolean;
}

export interface Store extends StoreReader {
  /** Used in error messages: `memory`, `postgres`. */
  readonly name: string;
  readonly capabilities: StoreCapabilities;

  /**
   * Optional capability group: sessions and API tokens as records (see `SessionStore`). The conformance suite
   * checks it when present.
   */
  readonly sessions?: SessionStore;

  /**
   * Runs `fn` in one transaction: commits when it resolves, rolls back when it throws (and rethrows).
   * Transactions are isolated from each other at least as strongly as READ COMMITTED with the row locks
   * and checks described on each write. Do no slow I/O (directory calls) inside. Inside `fn`, read through
   * `tx`: on a single-connection store (PGlite) the store's own reads are not isolated from `fn`'s writes. After
   * a store error inside `fn`, end the transaction (rethrow): the database may have aborted it.
   */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;

  /**
   * Optional: a grant write as one atomic step, in fewer round trips than the transaction it stands for —
   * `transaction(tx => updateGrant(grant, expectedVersion); putSecret each; deleteSecrets if asked; appendAudit
   * each)` — with the same outcome and the same errors (`VERSION_CONFLICT`, `NOT_FOUND`, `DUPLICATE_GRANT`;
   * nothing written when it fails). Returns the stored grant and the appended events. Core uses it for every
   * grant write that needs nothing else in its transaction; without it, core runs that transaction. Not inside
   * `transaction`. The conformance suite checks it when present.
   */
  writeGrant?(write: GrantWrite): Promise<{ grant: Grant; events: AuditEvent[] }>;

  /**
   * Claims up to `limit` grants whose `dueAt <= now` and whose lease is null or ended (`lease.until <= now`),
   * oldest `dueAt` first, across all providers. Each claimed grant is stored and returned with
   * `lease = { owner, until: now + leaseMs }` and its version bumped. A grant is claimed by at most one
   * caller until its lease ends, even with many processes claiming at once. SQL shape:
   * `UPDATE grants SET lease… WHERE id IN (SELECT id … WHERE due_at <= $now AND (lease_until IS NULL OR
   * lease_until <= $now) ORDER BY due_at LIMIT $n FOR UPDATE SKIP LOCKED) RETURNING …`, on an index over
   * `due_at` of the rows that have one, so the cost does not grow with closed grants.
   */
  claimDue(now: number, limit: number, leaseMs: number, owner: string): Promise<Grant[]>;

  /**
   * The earliest instant (ms) at which `claimDue` could claim some grant, or null when nothing is due ever: the
   * least, over grants with a `dueAt`, of `dueAt` or, for a grant leased until later, `lease.until` (a leased
   * grant becomes claimable when its lease ends). For the scheduler's timer: a grant in flight, due now but
   * leased, must not make the scheduler poll. SQL: the least of the earliest unleased `due_at` (the due index)
   * and `min(greatest(due_at, lease_until))` over the leased rows (an index on the rows that hold a lease).
   */
  nextDueAt(): Promise<number | null>;

  /** Releases connections. The store is unusable afterwards. */
  close(): Promise<void>;
}
