/**
 * The `Store` port on PostgreSQL: a real server through a `pg` Pool, or embedded PGlite, with one SQL code
 * path for both (see `drivers/`). Concurrency is the database's: optimistic grant writes
 * (`UPDATE … WHERE version = $expected`), a unique partial index for live grants, `FOR UPDATE SKIP LOCKED`
 * leases for the scheduler's queue, and a locked chain head per provider for the audit log.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  applyGrantWrite,
  ConflictError,
  NotFoundError,
  StoreError,
  ValidationError,
  chainAuditEvent,
  decodeGrantCursor,
  encodeGrantCursor,
  type AuditEvent,
  type ConsentState,
  type Grant,
  type GrantPage,
  type Store,
  type StoreCapabilities,
  type StoreReader,
  type StoreTx,
} from '@jitadmin/core';
import { isPGlite, isPgPool, type Driver, type PGliteLike, type PgPoolLike, type Queryable, type Row } from './drivers/driver.js';
import { pgDriver } from './drivers/pg-driver.js';
import { pgliteDriver } from './drivers/pglite-driver.js';
import { STORE_NAME, TransactionRetryError } from './errors.js';
import { runMigrations, SCHEMA_VERSION, type MigrationResult } from './migrations/index.js';
import { postgresSessions } from './sessions.js';
import { statements, type Statements } from './statements.js';

export interface PostgresStoreOptions {
  /** A `pg` Pool (a PostgreSQL server) or a PGlite instance (embedded, no server). */
  db: PgPoolLike | PGliteLike;
  /** The schema holding the tables (default `public`); created if missing. Letters, digits and `_`. */
  schema?: string;
  /** Longest a statement may run, on the server and as seen by the client (default 15000 ms; pg only). */
  statementTimeoutMs?: number;
  /** Longest a connection checkout may take (default 5000 ms; pg only). */
  connectTimeoutMs?: number;
  /** Whether `close()` ends the pool / closes PGlite (default true). */
  closeDb?: boolean;
  /**
   * pg only: send statements as named prepared statements, parsed and planned once per connection (default
   * true). Turn off behind a pooler in transaction mode (PgBouncer before 1.21) that cannot keep them.
   */
  prepareStatements?: boolean;
  /** Times a transaction rolled back by a serialization failure or deadlock is run again (default 3). */
  retries?: number;
}

export interface PostgresStore extends Store {
  readonly driver: 'pg' | 'pglite';
  readonly schema: string;
  /** What opening the store did to the schema. */
  readonly migration: MigrationResult;
}

/** What this store can do (`atomicClaim`: several replicas may share it). */
export const capabilities: StoreCapabilities = Object.freeze({ atomicClaim: true, durable: true, consentStates: true });

const GRANT_LIST_DEFAULT = 100;
const GRANT_LIST_MAX = 1000;
const AUDIT_LIST_DEFAULT = 100;
const AUDIT_LIST_MAX = 10000;

function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.min(Math.max(Math.trunc(limit), 1), max);
}

/** The role set as the live-grant index sees it: lower-case, unique, sorted. */
export function rolesKey(roles: readonly string[]): string {
  return [...new Set(roles.map((r) => r.toLowerCase()))].sort().join(',');
}

const iso = (ms: number): string => new Date(ms).toISOString();
const json = (value: unknown): string => JSON.stringify(value);

/** $1…$12 of the grant statements. */
function grantParams(grant: Grant, version: number): unknown[] {
  return [
    grant.providerId,
    grant.id,
    grant.technicianId,
    grant.customerId,
    grant.state,
    rolesKey(grant.roles),
    grant.dueAt,
    grant.lease?.until ?? null,
    grant.lease?.owner ?? null,
    version,
    grant.requestedAt,
    json({ ...grant, version }),
  ];
}

function dataOf<T>(rows: Row[]): T | null {
  const row = rows[0];
  return row === undefined ? null : (row.data as T);
}
const allData = <T>(rows: Row[]): T[] => rows.map((r) => r.data as T);

function createReader(sql: Statements, q: () => Queryable): StoreReader {
  return {
    async getProvider(id) {
      return dataOf(await q().query(sql.getProvider, [id]));
    },
    async listProviders() {
      return allData(await q().query(sql.listProviders));
    },
    async getTechnician(providerId, id) {
      return dataOf(await q().query(sql.getTechnician, [providerId, id]));
    },
    async findTechnicianBySubject(providerId, subject) {
      return dataOf(await q().query(sql.findTechnicianBySubject, [providerId, subject]));
    },
    async listTechnicians(providerId) {
      return allData(await q().query(sql.listTechnicians, [providerId]));
    },
    async getCustomer(providerId, id) {
      return dataOf(await q().query(sql.getCustomer, [providerId, id]));
    },
    async listCustomers(providerId) {
      return allData(await q().query(sql.listCustomers, [providerId]));
    },
    async getRule(providerId, id) {
      return dataOf(await q().query(sql.getRule, [providerId, id]));
    },
    async listRules(providerId) {
      return allData(await q().query(sql.listRules, [providerId]));
    },
    async getGrant(providerId, id) {
      return dataOf(await q().query(sql.getGrant, [providerId, id]));
    },
    async listGrants(providerId, filter = {}): Promise<GrantPage> {
      const limit = clampLimit(filter.limit, GRANT_LIST_DEFAULT, GRANT_LIST_MAX);
      const cursor = filter.cursor ? decodeGrantCursor(filter.cursor) : null;
      const params: unknown[] = [providerId];
      const where = ['provider_id = $1'];
      if (filter.technicianId !== undefined) {
        params.push(filter.technicianId);
        where.push(`technician_id = $${params.length}`);
      }
      if (filter.customerId !== undefined) {
        params.push(filter.customerId);
        where.push(`customer_id = $${params.length}`);
      }
      if (filter.states !== undefined) {
        params.push([...filter.states]);
        where.push(`state = ANY($${params.length}::text[])`);
      }
      if (cursor) {
        params.push(cursor.requestedAt, cursor.id);
        where.push(`(requested_at, id) < ($${params.length - 1}::timestamptz, $${params.length})`);
      }
      // One more than the page, to know whether a next page exists.
      params.push(limit + 1);
      const rows = await q().query(
        `SELECT data FROM ${sql.tables.grants} WHERE ${where.join(' AND ')} ORDER BY requested_at DESC, id DESC LIMIT $${params.length}`,
        params,
      );
      const items = allData<Grant>(rows).slice(0, limit);
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > limit && last ? encodeGrantCursor(last) : null };
    },
    async getSecret(providerId, grantId, name) {
      const [row] = await q().query<{ sealed: string }>(sql.getSecret, [providerId, grantId, name]);
      return row?.sealed ?? null;
    },
    async getTechnicianAccount(providerId, customerId, technicianId) {
      return dataOf(await q().query(sql.getTechnicianAccount, [providerId, customerId, technicianId]));
    },
    async listTechnicianAccounts(providerId, customerId) {
      return allData(await q().query(sql.listTechnicianAccounts, [providerId, customerId]));
    },
    async listAudit(providerId, query = {}) {
      const limit = clampLimit(query.limit, AUDIT_LIST_DEFAULT, AUDIT_LIST_MAX);
      const after = Math.max(0, Math.trunc(query.afterSeq ?? 0)) || 0;
      const rows =
        query.grantId === undefined
          ? await q().query(sql.listAudit, [providerId, after, limit])
          : await q().query(sql.listAuditByGrant, [providerId, after, limit, query.grantId]);
      return rows.map((r) => r.event as AuditEvent);
    },
    async getConsentState(providerId, id) {
      return dataOf<ConsentState>(await q().query(sql.getConsentState, [providerId, id]));
    },
  };
}

/** The last chain head this process wrote or read, per provider: a guess the append checks, never trusted. */
type HeadCache = Map<string, { seq: number; hash: string }>;
/** Providers whose head we remember; beyond this the oldest are forgotten (a miss costs one round trip). */
const HEAD_CACHE_MAX = 10_000;

function rememberHead(heads: HeadCache, providerId: string, seq: number, hash: string): void {
  heads.delete(providerId);
  heads.set(providerId, { seq, hash });
  if (heads.size > HEAD_CACHE_MAX) heads.delete(heads.keys().next().value!);
}

function auditParams(event: AuditEvent): unknown[] {
  return [
    event.providerId,
    event.seq,
    event.at,
    event.actor,
    event.action,
    event.grantId,
    event.customerId,
    event.prevHash,
    event.hash,
    json(event),
  ];
}

function createTx(sql: Statements, conn: Queryable, isOpen: () => boolean, heads: HeadCache): StoreTx {
  const q = (): Queryable => {
    if (!isOpen()) {
      throw new StoreError('INTERNAL', `${STORE_NAME}: this transaction has ended; use the store, or a new transaction`);
    }
    return conn;
  };

  async function duplicateError(grant: Grant): Promise<ConflictError> {
    const [holder] = await q().query<{ id: string }>(sql.liveHolder, [
      grant.providerId,
      grant.id,
      grant.technicianId,
      grant.customerId,
      rolesKey(grant.roles),
    ]);
    return new ConflictError(
      'DUPLICATE_GRANT',
      `${STORE_NAME}: a live grant for this technician, customer and roles exists already${holder ? ` (${holder.id})` : ''}`,
      { details: holder ? { grantId: holder.id } : {} },
    );
  }

  /** A unique violation of the live-grant index that slipped past the checks (a concurrent writer). */
  function liveKeyRace(error: unknown, grant: Grant): never {
    const e = error as { details?: { sqlState?: string }; cause?: { constraint?: string } };
    if (e?.details?.sqlState === '23505' && e.cause?.constraint === 'grants_live_key') {
      throw new ConflictError('DUPLICATE_GRANT', `${STORE_NAME}: a live grant for this technician, customer and roles was just created`, {
        cause: error,
        details: { grantId: grant.id },
      });
    }
    throw error;
  }

  return {
    ...createReader(sql, q),

    async putProvider(provider) {
      await q().query(sql.putProvider, [provider.id, json(provider)]);
    },
    async putTechnician(technician) {
      const params = [technician.providerId, technician.id, technician.subject, json(technician)];
      let rows: Row[];
      try {
        rows = await q().query(sql.putTechnician, params);
      } catch (error) {
        const e = error as { cause?: { constraint?: string } };
        if (e.cause?.constraint !== 'technicians_subject_key') throw error;
        rows = [];
      }
      if (rows.length === 0) {
        const [other] = await q()
          .query<{ id: string }>(sql.subjectHolder, [technician.providerId, technician.subject, technician.id])
          .catch(() => []);
        throw new ConflictError('CONFLICT', `${STORE_NAME}: another technician${other ? ` (${other.id})` : ''} has this subject`, {
          field: 'subject',
          details: other ? { technicianId: other.id } : {},
        });
      }
    },
    async putCustomer(customer) {
      await q().query(sql.putCustomer, [customer.providerId, customer.id, json(customer)]);
    },
    async deleteCustomer(providerId, id) {
      return (await q().query(sql.deleteCustomer, [providerId, id])).length > 0;
    },
    async putRule(rule) {
      await q().query(sql.putRule, [rule.providerId, rule.id, json(rule)]);
    },
    async deleteRule(providerId, id) {
      return (await q().query(sql.deleteRule, [providerId, id])).length > 0;
    },

    async insertGrant(grant) {
      if (grant.version !== 0) {
        throw new ValidationError(`${STORE_NAME}: a new grant must have version 0, not ${grant.version}`, { field: 'version' });
      }
      const rows = await q().query(sql.insertGrant, grantParams(grant, 0));
      if (rows.length === 0) {
        if ((await q().query(sql.grantVersion, [grant.providerId, grant.id])).length > 0) {
          throw new ConflictError('CONFLICT', `${STORE_NAME}: grant ${grant.id} exists already`, { details: { grantId: grant.id } });
        }
        throw await duplicateError(grant);
      }
      return { ...structuredClone(grant), version: 0 };
    },
    async updateGrant(grant, expectedVersion) {
      const params = [...grantParams(grant, expectedVersion + 1), expectedVersion];
      let rows: Row[];
      try {
        rows = await q().query(sql.updateGrant, params);
      } catch (error) {
        liveKeyRace(error, grant);
      }
      if (rows.length === 0) {
        const [row] = await q().query<{ version: number }>(sql.grantVersion, [grant.providerId, grant.id]);
        if (row === undefined) throw new NotFoundError(`${STORE_NAME}: no grant ${grant.id}`, { details: { grantId: grant.id } });
        if (row.version !== expectedVersion) {
          throw new ConflictError(
            'VERSION_CONFLICT',
            `${STORE_NAME}: grant ${grant.id} is at version ${row.version}, not ${expectedVersion}; read it again`,
            { details: { grantId: grant.id, version: row.version, expectedVersion } },
          );
        }
        throw await duplicateError(grant);
      }
      return { ...structuredClone(grant), version: expectedVersion + 1 };
    },

    async putSecret(providerId, grantId, name, sealed) {
      await q().query(sql.putSecret, [providerId, grantId, name, sealed]);
    },
    async deleteSecrets(providerId, grantId) {
      const [row] = await q().query<{ n: number }>(sql.deleteSecrets, [providerId, grantId]);
      return Number(row?.n ?? 0);
    },

    async putTechnicianAccount(account) {
      await q().query(sql.putTechnicianAccount, [account.providerId, account.customerId, account.technicianId, json(account)]);
    },

    async insertConsentState(state) {
      if (state.consumedAt !== null) {
        throw new ValidationError(`${STORE_NAME}: a new consent link must not be consumed`, { field: 'consumedAt' });
      }
      const rows = await q().query(sql.insertConsentState, [state.providerId, state.id, state.expiresAt, json(state)]);
      if (rows.length === 0) throw new ConflictError('CONFLICT', `${STORE_NAME}: this consent link exists already`);
    },
    async consumeConsentState(providerId, id, now) {
      // The UPDATE takes the row lock: a concurrent consumer waits here, then finds consumed_at set.
      const [used] = await q().query(sql.consumeConsentState, [providerId, id, now, now]);
      if (used !== undefined) return { state: { ...(used.data as ConsentState), consumedAt: null }, consumedNow: true };
      const before = dataOf<ConsentState>(await q().query(sql.getConsentState, [providerId, id]));
      return before === null ? null : { state: before, consumedNow: false };
    },

    async deleteExpiredConsentStates(providerId, before) {
      const [row] = await q().query<{ n: number }>(sql.deleteExpiredConsentStates, [providerId, before]);
      return Number(row?.n ?? 0);
    },

    async appendAudit(draft) {
      const c = q();
      const known = heads.get(draft.providerId);
      if (known) {
        const guess = chainAuditEvent(known.seq === 0 ? null : known, structuredClone(draft));
        if ((await c.query(sql.appendAuditAtHead, auditParams(guess))).length > 0) {
          rememberHead(heads, guess.providerId, guess.seq, guess.hash);
          return guess;
        }
      }
      let [head] = await c.query<{ seq: number | string; hash: string }>(sql.lockHead, [draft.providerId]);
      if (head === undefined) {
        // The provider's first event: create its head row (a concurrent first appender waits on it), then lock it.
        await c.query(sql.createHead, [draft.providerId]);
        [head] = await c.query<{ seq: number | string; hash: string }>(sql.lockHead, [draft.providerId]);
      }
      const seq = Number(head?.seq ?? 0);
      const event = chainAuditEvent(seq === 0 ? null : { seq, hash: head!.hash }, structuredClone(draft));
      await c.query(sql.appendAudit, auditParams(event));
      rememberHead(heads, event.providerId, event.seq, event.hash);
      return event;
    },
  };
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** `jit_write_grant` found another head than the one we chained after (migration 3). */
const HEAD_MOVED = 'JA001';
/**
 * Failures of the one-statement write that the transaction path turns into the right outcome: a live-key race
 * (unique violation: DUPLICATE_GRANT), a serialization failure or deadlock (retried there).
 */
const RETRY_AS_TRANSACTION = new Set(['23505', '40001', '40P01']);

/**
 * Opens the store: checks the options, applies pending migrations (refusing a schema newer than this code:
 * `SCHEMA_TOO_NEW`), and resolves when it is ready. A database that cannot be reached rejects with
 * `STORE_UNAVAILABLE` naming `host:port/database`, within `connectTimeoutMs`.
 */
export async function postgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const schema = options.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) {
    throw new ValidationError(`${STORE_NAME}: schema must be letters, digits and "_" (at most 63), not ${JSON.stringify(schema)}`, {
      field: 'schema',
    });
  }
  const closeDb = options.closeDb ?? true;
  let driver: Driver;
  if (isPgPool(options.db)) {
    driver = pgDriver(options.db, {
      closeDb,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      statementTimeoutMs: options.statementTimeoutMs ?? 15000,
      prepare: options.prepareStatements ?? true,
    });
  } else if (isPGlite(options.db)) {
    driver = pgliteDriver(options.db, { closeDb });
  } else {
    throw new ValidationError(`${STORE_NAME}: db must be a pg Pool or a PGlite instance`, { field: 'db' });
  }
  const retries = Math.max(0, Math.trunc(options.retries ?? 3));
  const sql = statements(schema);
  const migration = await runMigrations(driver, schema);

  /** The transaction running in the current async context, if any (PGlite: store reads go through it). */
  const current = new AsyncLocalStorage<{ open: boolean; conn: Queryable }>();
  let closed = false;
  const heads: HeadCache = new Map();

  const outside = (): Queryable => {
    if (closed) throw new StoreError('STORE_UNAVAILABLE', `${STORE_NAME}: the store is closed`);
    // PGlite has a single session: a store read from inside a transaction would wait for that transaction
    // forever. It reads through the transaction instead (so it also sees the transaction's own writes).
    const tx = current.getStore();
    if (driver.kind === 'pglite' && tx?.open) return tx.conn;
    return driver;
  };

  async function transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    if (closed) throw new StoreError('STORE_UNAVAILABLE', `${STORE_NAME}: the store is closed`);
    if (current.getStore()?.open) {
      throw new StoreError('INTERNAL', `${STORE_NAME}: transaction() was called inside a transaction; use the tx it gave you`);
    }
    for (let attempt = 0; ; attempt++) {
      try {
        return await driver.transaction(async (conn) => {
          const state = { open: true, conn };
          try {
            return await current.run(state, () => fn(createTx(sql, conn, () => state.open, heads)));
          } finally {
            state.open = false;
          }
        });
      } catch (error) {
        if (error instanceof TransactionRetryError && attempt < retries) {
          // Back off a little, with jitter, so the transactions that collided do not collide again.
          await new Promise((resolve) => setTimeout(resolve, 5 * 2 ** attempt + Math.random() * 10));
          continue;
        }
        // The drivers translated their own failures; what `fn` threw is rethrown as it is.
        throw error;
      }
    }
  }

  const store: PostgresStore = {
    ...createReader(sql, outside),
    name: STORE_NAME,
    capabilities,
    driver: driver.kind,
    schema,
    migration,
    transaction,
    sessions: postgresSessions(schema, outside),

    async writeGrant(write) {
      const { grant, expectedVersion } = write;
      const known = heads.get(grant.providerId);
      const oneChain = write.audit.every((d) => d.providerId === grant.providerId);
      // One statement when the events can be chained here (the head is known) and we are not inside a
      // transaction; otherwise, and whenever the statement declines, the transaction it stands for.
      if (oneChain && (known || write.audit.length === 0) && !current.getStore()?.open && !closed) {
        const events: AuditEvent[] = [];
        let previous = known ?? null;
        for (const draft of write.audit) {
          const event = chainAuditEvent(previous && previous.seq > 0 ? previous : null, structuredClone(draft));
          events.push(event);
          previous = event;
        }
        const names = Object.keys(write.putSecrets ?? {});
        const params = [
          ...grantParams(grant, expectedVersion + 1),
          expectedVersion,
          names,
          names.map((n) => write.putSecrets![n]),
          write.destroySecrets ?? false,
          json(events),
        ];
        try {
          const [row] = await driver.query<{ status: string }>(sql.writeGrant, params);
          if (row?.status === 'ok') {
            const last = events[events.length - 1];
            if (last) rememberHead(heads, last.providerId, last.seq, last.hash);
            return { grant: { ...structuredClone(grant), version: expectedVersion + 1 }, events };
          }
        } catch (error) {
          const state = (error as { details?: { sqlState?: string } }).details?.sqlState;
          if (state === HEAD_MOVED) heads.delete(grant.providerId);
          else if (!state || !RETRY_AS_TRANSACTION.has(state)) throw error;
        }
      }
      return transaction((tx) => applyGrantWrite(tx, write));
    },

    async claimDue(now, limit, leaseMs, owner) {
      if (!Number.isFinite(now) || !Number.isFinite(limit) || !Number.isFinite(leaseMs) || leaseMs < 0) {
        throw new ValidationError(`${STORE_NAME}: claimDue needs a finite now, limit and a non-negative leaseMs`);
      }
      const max = Math.max(0, Math.trunc(limit));
      if (max === 0) return [];
      const until = iso(now + leaseMs);
      const rows = await outside().query(sql.claimDue, [iso(now), max, owner, until, until]);
      const grants = allData<Grant>(rows);
      const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
      return grants.sort(
        (a, b) => Date.parse(a.dueAt!) - Date.parse(b.dueAt!) || cmp(a.providerId, b.providerId) || cmp(a.id, b.id),
      );
    },

    async nextDueAt() {
      const [row] = await outside().query<{ due: number | string | null }>(sql.nextDueAt);
      return row?.due === null || row?.due === undefined ? null : Math.round(Number(row.due));
    },

    async close() {
      if (closed) return;
      closed = true;
      await driver.close();
    },
  };
  return store;
}

/** The schema version this code writes (the last migration). */
export { SCHEMA_VERSION };
