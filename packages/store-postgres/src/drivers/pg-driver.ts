/**
 * The driver shim over a `pg` Pool. Every wait on the network is bounded: checking out a connection by
 * `connectTimeoutMs`, each statement by `statementTimeoutMs` on the server (`SET LOCAL statement_timeout` in
 * transactions) and by the same plus a grace period on the client (a black-holed socket never answers, so
 * only the client can notice). A connection that failed or timed out is destroyed, not returned to the pool.
 */
import { createHash } from 'node:crypto';
import { isConnectionFailure, timeoutError, translateError } from '../errors.js';
import type { Driver, PgClientLike, PgPoolLike, Queryable, Row } from './driver.js';

export interface PgDriverOptions {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  /** End the pool on `close()`. */
  closeDb: boolean;
  /** Use named (prepared) statements. */
  prepare: boolean;
}

/** How long the client waits past the server's statement timeout before it gives up on the socket. */
const CLIENT_GRACE_MS = 2000;

/** `host:port/database` of the pool, for messages (never the user or password). */
export function describePool(pool: PgPoolLike): string {
  const o = pool.options ?? {};
  let host = o.host ?? process.env.PGHOST ?? 'localhost';
  let port = String(o.port ?? process.env.PGPORT ?? 5432);
  let database = o.database ?? process.env.PGDATABASE ?? '';
  if (o.connectionString) {
    try {
      const url = new URL(o.connectionString);
      if (url.hostname) host = decodeURIComponent(url.hostname);
      if (url.port) port = url.port;
      const path = decodeURIComponent(url.pathname.replace(/^\//, ''));
      if (path) database = path;
    } catch {
      // A key=value connection string: keep what the separate options say.
    }
  }
  return `${host}:${port}/${database}`;
}

const names = new Map<string, string>();
/** A stable name per statement text: `pg` prepares it once per connection and reuses the plan after. */
function statementName(sql: string): string {
  let name = names.get(sql);
  if (name === undefined) {
    name = `jit_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    names.set(sql, name);
  }
  return name;
}

interface Conn {
  client: PgClientLike;
  broken: boolean;
}

export function pgDriver(pool: PgPoolLike, options: PgDriverOptions): Driver {
  const target = describePool(pool);
  // An idle connection that dies (server restart) makes the pool emit 'error'; with no listener Node would
  // crash the process. The next checkout gets a fresh connection or a STORE_UNAVAILABLE error instead.
  if (pool.listenerCount('error') === 0) pool.on('error', () => {});

  const guarded = new WeakSet<PgClientLike>();

  async function connect(): Promise<Conn> {
    const pending = pool.connect();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timeoutError(target, 'connect', options.connectTimeoutMs)), options.connectTimeoutMs);
    });
    try {
      const client = await Promise.race([pending, timeout]);
      // A connection that drops while checked out emits 'error' on the client, which would crash the
      // process without a listener; the statement that was using it fails anyway and the client is destroyed.
      if (!guarded.has(client)) {
        guarded.add(client);
        client.on('error', () => {});
      }
      return { client, broken: false };
    } catch (error) {
      // If the checkout completes after we gave up, hand the connection straight back.
      pending.then((c) => c.release(), () => {});
      throw translateError(error, target, 'connect');
    } finally {
      clearTimeout(timer);
    }
  }

  async function run(conn: Conn, sql: string, params: readonly unknown[] | undefined, operation: string): Promise<Row[]> {
    if (conn.broken) throw timeoutError(target, 'statement', options.statementTimeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const limit = options.statementTimeoutMs + CLIENT_GRACE_MS;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        conn.broken = true;
        reject(timeoutError(target, 'statement', limit));
      }, limit);
    });
    const pending =
      params === undefined || !options.prepare
        ? conn.client.query(sql, params as unknown[] | undefined)
        : conn.client.query({ name: statementName(sql), text: sql, values: params as unknown[] });
    pending.catch(() => {});
    try {
      const result = await Promise.race([pending, timeout]);
      // A multi-statement script returns one result per statement; callers of `exec` ignore rows.
      return Array.isArray(result) ? [] : result.rows;
    } catch (error) {
      if (isConnectionFailure(error)) conn.broken = true;
      throw translateError(error, target, operation);
    } finally {
      clearTimeout(timer);
    }
  }

  function release(conn: Conn): void {
    conn.client.release(conn.broken ? true : undefined);
  }

  const queryable = (conn: Conn): Queryable => ({
    query: <R extends Row>(sql: string, params?: readonly unknown[]) => run(conn, sql, params, 'query') as Promise<R[]>,
    exec: async (sql: string) => {
      await run(conn, sql, undefined, 'exec');
    },
  });

  return {
    kind: 'pg',
    target,
    async query<R extends Row>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      const conn = await connect();
      try {
        return (await run(conn, sql, params, 'query')) as R[];
      } finally {
        release(conn);
      }
    },
    async exec(sql: string): Promise<void> {
      const conn = await connect();
      try {
        await run(conn, sql, undefined, 'exec');
      } finally {
        release(conn);
      }
    },
    async transaction<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
      const conn = await connect();
      try {
        // One round trip: the server itself cancels any statement of this transaction that runs too long.
        await run(conn, `BEGIN; SET LOCAL statement_timeout = ${Math.trunc(options.statementTimeoutMs)}`, undefined, 'begin');
        let result: T;
        try {
          result = await fn(queryable(conn));
        } catch (error) {
          if (!conn.broken) await run(conn, 'ROLLBACK', undefined, 'rollback').catch(() => {});
          throw error;
        }
        await run(conn, 'COMMIT', undefined, 'commit');
        return result;
      } finally {
        release(conn);
      }
    },
    async close(): Promise<void> {
      if (!options.closeDb) return;
      // pool.end() waits for every connection, also one still connecting to a silent host: bound the wait.
      let timer: NodeJS.Timeout | undefined;
      const limit = options.connectTimeoutMs + options.statementTimeoutMs;
      await Promise.race([
        pool.end().catch(() => {}),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, limit);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
    },
  };
}
