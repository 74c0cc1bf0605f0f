/**
 * The thin shim between the store's SQL and the two drivers it runs on: a `pg` Pool (a real server) or a
 * PGlite instance (embedded). The store speaks only this interface, so both run the same SQL.
 */

/** A row as a driver returns it. */
export type Row = Record<string, unknown>;

/** Something that runs SQL: the pool/instance itself, or one transaction's connection. */
export interface Queryable {
  /** One statement with `$1…` parameters; returns its rows. */
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** A script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Driver extends Queryable {
  readonly kind: 'pg' | 'pglite';
  /** Where the data lives, for messages: `host:port/database` or `pglite:<dataDir>`. Never a password. */
  readonly target: string;
  /** Runs `fn` in one transaction on one dedicated connection: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(fn: (q: Queryable) => Promise<T>): Promise<T>;
  /** Releases connections (ends the pool / closes PGlite when the store owns it). */
  close(): Promise<void>;
}

/** The part of a `pg` PoolClient the store uses (structural, so `pg` stays an optional peer dependency). */
export interface PgClientLike {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[] }>;
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: Row[] }>;
  release(destroy?: boolean | Error): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** The part of a `pg` Pool the store uses. */
export interface PgPoolLike {
  connect(): Promise<PgClientLike>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  listenerCount(event: 'error'): number;
  /** The options the pool was built with (`pg` exposes them); read for the host:port/database of messages. */
  options?: {
    connectionString?: string;
    host?: string;
    port?: number | string;
    database?: string;
  };
}

/** The part of a PGlite instance the store uses. */
export interface PGliteLike {
  query<R = Row>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  exec(sql: string): Promise<unknown>;
  transaction<T>(fn: (tx: PGliteTxLike) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  readonly dataDir?: string;
}

export interface PGliteTxLike {
  query<R = Row>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  exec(sql: string): Promise<unknown>;
}

export function isPgPool(db: unknown): db is PgPoolLike {
  return typeof db === 'object' && db !== null && typeof (db as PgPoolLike).connect === 'function' && 'totalCount' in db;
}

export function isPGlite(db: unknown): db is PGliteLike {
  const d = db as PGliteLike;
  return typeof db === 'object' && db !== null && typeof d.transaction === 'function' && typeof d.exec === 'function' && typeof d.query === 'function';
}
