/**
 * The in-memory `Store`: everything in this process's memory, gone on restart. For tests, demos and a single
 * process that can afford to lose its state. It passes the store conformance suite of `@jitadmin/core/testing`.
 *
 * Transactions run one at a time (an async mutex), so they are serialisable; their writes sit in an overlay
 * until commit, so reads outside a transaction never see uncommitted data, and a transaction that throws leaves
 * nothing behind. Records are copied in and out (`structuredClone`).
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { chainAuditEvent } from '../audit/chain.js';
import type { AuditDraft, AuditEvent } from '../domain/audit.js';
import type { ConsentState } from '../domain/consent.js';
import { ISO, ms } from '../domain/common.js';
import type { Customer } from '../domain/customer.js';
import type { Grant, TechnicianAccount } from '../domain/grant.js';
import type { Provider, Technician } from '../domain/provider.js';
import type { EntitlementRule } from '../domain/rule.js';
import { ConflictError, NotFoundError, StoreError, ValidationError } from '../errors.js';
import { applyGrantWrite } from './grant-write.js';
import type { AuditQuery, GrantFilter, GrantPage, Store, StoreReader, StoreTx } from '../ports/store.js';
import {
  clampLimit,
  compareGrantsNewestFirst,
  decodeGrantCursor,
  encodeGrantCursor,
  isAfterCursor,
  liveGrantKey,
} from './grant-order.js';
import { createMemorySessions, createMemorySessionTables, type MemorySessionTables } from './memory-sessions.js';
import { Mutex } from './mutex.js';
import { type Rows, Table, TableTx } from './table.js';

export interface MemoryStoreOptions {
  /** Used in error messages (default `memory`). */
  name?: string;
}

/** A secret as the memory store holds it. */
export interface MemorySecretRow {
  grantId: string;
  name: string;
  sealed: string;
}

/**
 * The memory store's raw state, for test inspectors only (see `inspectMemoryStore` in
 * `@jitadmin/core/testing`). Rows are partitioned by provider id (`''` for providers). Not a stable API.
 */
export interface MemoryStoreInternals extends MemorySessionTables {
  providers: Table<Provider>;
  technicians: Table<Technician>;
  customers: Table<Customer>;
  rules: Table<EntitlementRule>;
  grants: Table<Grant>;
  /** Keyed by `grantId \0 name`. */
  secrets: Table<MemorySecretRow>;
  /** Keyed by `customerId \0 technicianId`. */
  technicianAccounts: Table<TechnicianAccount>;
  /** Committed audit events per provider, in `seq` order. */
  audit: Map<string, AuditEvent[]>;
  /** Consent links, keyed by their id (the hash of the state). */
  consentStates: Table<ConsentState>;
}

/**
 * The test hook: `store[MEMORY_STORE_INTERNALS]` is the store's `MemoryStoreInternals`. Only test inspectors
 * read it, so a conformance test can check what is really stored without going through the store's methods.
 */
export const MEMORY_STORE_INTERNALS: unique symbol = Symbol.for('jitadmin.memoryStore.internals');

export type MemoryStore = Store & { readonly [MEMORY_STORE_INTERNALS]: MemoryStoreInternals };

const PROVIDERS = '';
const GRANT_LIST_DEFAULT = 100;
const GRANT_LIST_MAX = 1000;
const AUDIT_LIST_DEFAULT = 100;
const AUDIT_LIST_MAX = 10000;

const copy = <T>(value: T): T => structuredClone(value);
const sep = (...parts: string[]) => parts.join('\u0000');

/** What readers read from: the committed tables, or a transaction's overlay over them. */
interface View {
  providers: Rows<Provider>;
  technicians: Rows<Technician>;
  customers: Rows<Customer>;
  rules: Rows<EntitlementRule>;
  grants: Rows<Grant>;
  secrets: Rows<MemorySecretRow>;
  technicianAccounts: Rows<TechnicianAccount>;
  consentStates: Rows<ConsentState>;
  audit(providerId: string): readonly AuditEvent[];
}

function createInternals(): MemoryStoreInternals {
  return {
    providers: new Table<Provider>(),
    technicians: new Table<Technician>({ unique: (t) => t.subject }),
    customers: new Table<Customer>(),
    rules: new Table<EntitlementRule>(),
    grants: new Table<Grant>({ unique: liveGrantKey, track: (g) => g.dueAt !== null }),
    secrets: new Table<MemorySecretRow>(),
    technicianAccounts: new Table<TechnicianAccount>(),
    audit: new Map(),
    consentStates: new Table<ConsentState>(),
    ...createMemorySessionTables(),
  };
}

function createReader(view: () => View): StoreReader {
  return {
    async getProvider(id) {
      return copy(view().providers.get(PROVIDERS, id) ?? null);
    },
    async listProviders() {
      return copy(view().providers.list(PROVIDERS).sort(byId));
    },
    async getTechnician(providerId, id) {
      return copy(view().technicians.get(providerId, id) ?? null);
    },
    async findTechnicianBySubject(providerId, subject) {
      return copy(view().technicians.list(providerId).find((t) => t.subject === subject) ?? null);
    },
    async listTechnicians(providerId) {
      return copy(view().technicians.list(providerId).sort(byId));
    },
    async getCustomer(providerId, id) {
      return copy(view().customers.get(providerId, id) ?? null);
    },
    async listCustomers(providerId) {
      return copy(view().customers.list(providerId).sort(byId));
    },
    async getRule(providerId, id) {
      return copy(view().rules.get(providerId, id) ?? null);
    },
    async listRules(providerId) {
      return copy(view().rules.list(providerId).sort(byId));
    },
    async getGrant(providerId, id) {
      return copy(view().grants.get(providerId, id) ?? null);
    },
    async listGrants(providerId, filter = {}) {
      return copy(listGrants(view().grants.list(providerId), filter));
    },
    async getSecret(providerId, grantId, name) {
      return view().secrets.get(providerId, sep(grantId, name))?.sealed ?? null;
    },
    async getTechnicianAccount(providerId, customerId, technicianId) {
      return copy(view().technicianAccounts.get(providerId, sep(customerId, technicianId)) ?? null);
    },
    async listTechnicianAccounts(providerId, customerId) {
      const accounts = view()
        .technicianAccounts.list(providerId)
        .filter((a) => a.customerId === customerId)
        .sort((a, b) => compareText(a.technicianId, b.technicianId));
      return copy(accounts);
    },
    async listAudit(providerId, query = {}) {
      return copy(listAudit(view().audit(providerId), query));
    },
    async getConsentState(providerId, id) {
      return copy(view().consentStates.get(providerId, id) ?? null);
    },
  };
}

function listGrants(grants: Grant[], filter: GrantFilter): GrantPage {
  const limit = clampLimit(filter.limit, GRANT_LIST_DEFAULT, GRANT_LIST_MAX);
  const cursor = filter.cursor ? decodeGrantCursor(filter.cursor) : null;
  const states = filter.states ? new Set(filter.states) : null;
  const matching = grants
    .filter(
      (g) =>
        (filter.technicianId === undefined || g.technicianId === filter.technicianId) &&
        (filter.customerId === undefined || g.customerId === filter.customerId) &&
        (states === null || states.has(g.state)) &&
        (cursor === null || isAfterCursor(g, cursor)),
    )
    .sort(compareGrantsNewestFirst);
  const items = matching.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: matching.length > limit && last ? encodeGrantCursor(last) : null };
}

function listAudit(events: readonly AuditEvent[], query: AuditQuery): AuditEvent[] {
  const limit = clampLimit(query.limit, AUDIT_LIST_DEFAULT, AUDIT_LIST_MAX);
  // seq n sits at index n - 1: start right after `afterSeq` without scanning what comes before.
  const start = Math.max(0, Math.trunc(query.afterSeq ?? 0));
  const out: AuditEvent[] = [];
  for (let i = start; i < events.length && out.length < limit; i++) {
    const event = events[i]!;
    if (query.grantId === undefined || event.grantId === query.grantId) out.push(event);
  }
  return out;
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byId = (a: { id: string }, b: { id: string }) => compareText(a.id, b.id);

/** One open transaction: overlays over every table, plus the audit events it appended. */
class MemoryTransaction {
  open = true;
  readonly providers: TableTx<Provider>;
  readonly technicians: TableTx<Technician>;
  readonly customers: TableTx<Customer>;
  readonly rules: TableTx<EntitlementRule>;
  readonly grants: TableTx<Grant>;
  readonly secrets: TableTx<MemorySecretRow>;
  readonly technicianAccounts: TableTx<TechnicianAccount>;
  readonly consentStates: TableTx<ConsentState>;
  private readonly appended = new Map<string, AuditEvent[]>();

  constructor(private readonly data: MemoryStoreInternals) {
    this.providers = new TableTx(data.providers);
    this.technicians = new TableTx(data.technicians);
    this.customers = new TableTx(data.customers);
    this.rules = new TableTx(data.rules);
    this.grants = new TableTx(data.grants);
    this.secrets = new TableTx(data.secrets);
    this.technicianAccounts = new TableTx(data.technicianAccounts);
    this.consentStates = new TableTx(data.consentStates);
  }

  audit(providerId: string): readonly AuditEvent[] {
    const committed = this.data.audit.get(providerId) ?? [];
    const appended = this.appended.get(providerId);
    return appended ? [...committed, ...appended] : committed;
  }

  appendAudit(event: AuditEvent): void {
    const list = this.appended.get(event.providerId) ?? [];
    list.push(event);
    this.appended.set(event.providerId, list);
  }

  lastAudit(providerId: string): AuditEvent | null {
    const appended = this.appended.get(providerId);
    if (appended?.length) return appended[appended.length - 1]!;
    const committed = this.data.audit.get(providerId);
    return committed?.length ? committed[committed.length - 1]! : null;
  }

  commit(): void {
    this.providers.commit();
    this.technicians.commit();
    this.customers.commit();
    this.rules.commit();
    this.grants.commit();
    this.secrets.commit();
    this.technicianAccounts.commit();
    this.consentStates.commit();
    for (const [providerId, events] of this.appended) {
      const committed = this.data.audit.get(providerId) ?? [];
      committed.push(...events);
      this.data.audit.set(providerId, committed);
    }
    this.appended.clear();
  }
}

/** Creates an empty in-memory store. */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const name = options.name ?? 'memory';
  const data = createInternals();
  const mutex = new Mutex();
  const current = new AsyncLocalStorage<MemoryTransaction>();
  let closed = false;

  const committedView: View = {
    ...data,
    audit: (providerId) => data.audit.get(providerId) ?? [],
  };

  function ensureOpen(): void {
    if (closed) throw new StoreError('STORE_UNAVAILABLE', `${name}: the store is closed`);
  }

  const committedReader = createReader(() => {
    ensureOpen();
    return committedView;
  });

  function createTx(tx: MemoryTransaction): StoreTx {
    const live = (): MemoryTransaction => {
      if (!tx.open) {
        throw new StoreError('INTERNAL', `${name}: this transaction has ended; use the store, or a new transaction`);
      }
      return tx;
    };
    const checkLiveDuplicate = (grant: Grant) => {
      const key = liveGrantKey(grant);
      if (key === null) return;
      const other = tx.grants.findUnique(grant.providerId, key, grant.id);
      if (other !== undefined) {
        throw new ConflictError(
          'DUPLICATE_GRANT',
          `${name}: a live grant for this technician, customer and roles exists already (${other})`,
          { details: { grantId: other } },
        );
      }
    };

    return {
      ...createReader(live),

      async putProvider(provider) {
        live().providers.set(PROVIDERS, provider.id, copy(provider));
      },
      async putTechnician(technician) {
        const t = live();
        const other = t.technicians.findUnique(technician.providerId, technician.subject, technician.id);
        if (other !== undefined) {
          throw new ConflictError('CONFLICT', `${name}: another technician (${other}) has this subject`, {
            field: 'subject',
            details: { technicianId: other },
          });
        }
        t.technicians.set(technician.providerId, technician.id, copy(technician));
      },
      async putCustomer(customer) {
        live().customers.set(customer.providerId, customer.id, copy(customer));
      },
      async deleteCustomer(providerId, id) {
        return live().customers.delete(providerId, id);
      },
      async putRule(rule) {
        live().rules.set(rule.providerId, rule.id, copy(rule));
      },
      async deleteRule(providerId, id) {
        return live().rules.delete(providerId, id);
      },

      async insertGrant(grant) {
        const t = live();
        if (grant.version !== 0) {
          throw new ValidationError(`${name}: a new grant must have version 0, not ${grant.version}`, { field: 'version' });
        }
        if (t.grants.get(grant.providerId, grant.id) !== undefined) {
          throw new ConflictError('CONFLICT', `${name}: grant ${grant.id} exists already`, { details: { grantId: grant.id } });
        }
        checkLiveDuplicate(grant);
        const stored = copy(grant);
        t.grants.set(grant.providerId, grant.id, stored);
        return copy(stored);
      },
      async updateGrant(grant, expectedVersion) {
        const t = live();
        const existing = t.grants.get(grant.providerId, grant.id);
        if (existing === undefined) throw new NotFoundError(`${name}: no grant ${grant.id}`, { details: { grantId: grant.id } });
        if (existing.version !== expectedVersion) {
          throw new ConflictError(
            'VERSION_CONFLICT',
            `${name}: grant ${grant.id} is at version ${existing.version}, not ${expectedVersion}; read it again`,
            { details: { grantId: grant.id, version: existing.version, expectedVersion } },
          );
        }
        checkLiveDuplicate(grant);
        const stored = { ...copy(grant), version: expectedVersion + 1 };
        t.grants.set(grant.providerId, grant.id, stored);
        return copy(stored);
      },

      async putSecret(providerId, grantId, secretName, sealed) {
        live().secrets.set(providerId, sep(grantId, secretName), { grantId, name: secretName, sealed });
      },
      async deleteSecrets(providerId, grantId) {
        const t = live();
        let count = 0;
        for (const row of t.secrets.list(providerId)) {
          if (row.grantId === grantId && t.secrets.delete(providerId, sep(row.grantId, row.name))) count++;
        }
        return count;
      },

      async putTechnicianAccount(account) {
        live().technicianAccounts.set(account.providerId, sep(account.customerId, account.technicianId), copy(account));
      },

      async insertConsentState(state) {
        const t = live();
        if (state.consumedAt !== null) throw new ValidationError(`${name}: a new consent link must not be consumed`, { field: 'consumedAt' });
        if (t.consentStates.get(state.providerId, state.id) !== undefined) {
          throw new ConflictError('CONFLICT', `${name}: this consent link exists already`);
        }
        t.consentStates.set(state.providerId, state.id, copy(state));
      },
      async consumeConsentState(providerId, id, now) {
        const t = live();
        const existing = t.consentStates.get(providerId, id);
        if (existing === undefined) return null;
        // Transactions run one at a time: nobody else can consume it between this read and the write.
        if (existing.consumedAt === null) t.consentStates.set(providerId, id, { ...copy(existing), consumedAt: now });
        return { state: copy(existing), consumedNow: existing.consumedAt === null };
      },

      async deleteExpiredConsentStates(providerId, before) {
        const t = live();
        const cutoff = ms(before);
        let count = 0;
        for (const s of t.consentStates.list(providerId)) {
          if (ms(s.expiresAt) < cutoff && t.consentStates.delete(providerId, s.id)) count++;
        }
        return count;
      },

      async appendAudit(draft: AuditDraft) {
        const t = live();
        const event = chainAuditEvent(t.lastAudit(draft.providerId), copy(draft));
        t.appendAudit(event);
        return copy(event);
      },
    };
  }

  async function transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    ensureOpen();
    // Waiting for the lock from inside the transaction that holds it would hang forever: fail loudly instead.
    if (current.getStore()?.open) {
      throw new StoreError('INTERNAL', `${name}: transaction() was called inside a transaction; use the tx it gave you`);
    }
    const release = await mutex.lock();
    const tx = new MemoryTransaction(data);
    try {
      ensureOpen();
      const result = await current.run(tx, () => fn(createTx(tx)));
      tx.commit();
      return result;
    } finally {
      // On a throw the overlays are simply dropped: nothing was written to the committed tables.
      tx.open = false;
      release();
    }
  }

  const store: MemoryStore = {
    ...committedReader,
    name,
    capabilities: { atomicClaim: false, durable: false, consentStates: true },
    transaction,
    sessions: createMemorySessions(name, data, ensureOpen),
    // The reference semantics, as one transaction (the memory store has no round trips to save).
    writeGrant: (write) => transaction((tx) => applyGrantWrite(tx, write)),

    async claimDue(now, limit, leaseMs, owner) {
      if (!Number.isFinite(now) || !Number.isFinite(limit) || !Number.isFinite(leaseMs) || leaseMs < 0) {
        throw new ValidationError(`${name}: claimDue needs a finite now, limit and a non-negative leaseMs`);
      }
      const max = Math.max(0, Math.trunc(limit));
      if (max === 0) return [];
      return transaction(async () => {
        // Dates parsed once per grant, not per comparison: this runs on every scheduler pass.
        const due: { at: number; grant: Grant }[] = [];
        for (const grant of data.grants.tracked.values()) {
          if (grant.dueAt === null) continue;
          const at = ms(grant.dueAt);
          if (at <= now && (grant.lease === null || ms(grant.lease.until) <= now)) due.push({ at, grant });
        }
        due.sort((a, b) => a.at - b.at || compareText(a.grant.providerId, b.grant.providerId) || compareText(a.grant.id, b.grant.id));
        const claimed = due.slice(0, max).map(({ grant: g }) => ({
          ...g,
          lease: { owner, until: ISO(now + leaseMs) },
          version: g.version + 1,
        }));
        // Written straight to the committed table: the mutex is held and nothing here can throw half-way.
        for (const g of claimed) data.grants.apply(g.providerId, g.id, g);
        return copy(claimed);
      });
    },

    async nextDueAt() {
      ensureOpen();
      let next: number | null = null;
      for (const grant of data.grants.tracked.values()) {
        const due = Math.max(ms(grant.dueAt!), grant.lease ? ms(grant.lease.until) : -Infinity);
        if (next === null || due < next) next = due;
      }
      return next;
    },

    async close() {
      closed = true;
    },

    [MEMORY_STORE_INTERNALS]: data,
  };
  return store;
}
