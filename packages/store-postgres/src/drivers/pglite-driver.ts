/**
 * The driver shim over PGlite (PostgreSQL compiled to WebAssembly, in this process). PGlite has one
 * connection and runs one transaction at a time (its own mutex), so there is nothing to time out or pool;
 * errors are translated like the server's.
 */
import { translateError } from '../errors.js';
import type { Driver, PGliteLike, PGliteTxLike, Queryable, Row } from './driver.js';

export interface PGliteDriverOptions {
  /** Close the instance on `close()`. */
  closeDb: boolean;
}

export function pgliteDriver(db: PGliteLike, options: PGliteDriverOptions): Driver {
  const target = `pglite:${db.dataDir && db.dataDir !== '' ? db.dataDir : 'memory'}`;

  const over = (q: PGliteLike | PGliteTxLike): Queryable => ({
    async query<R extends Row>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      try {
        return (await q.query<R>(sql, params as unknown[] | undefined)).rows;
      } catch (error) {
        throw translateError(error, target, 'query');
      }
    },
    async exec(sql: string): Promise<void> {
      try {
        await q.exec(sql);
      } catch (error) {
        throw translateError(error, target, 'exec');
      }
    },
  });

  return {
    kind: 'pglite',
    target,
    ...over(db),
    async transaction<T>(fn: (q: Queryable) => Promise<T>): Promise<T> {
      // What `fn` throws passes through as it is; only PGlite's own failures (BEGIN, COMMIT) are translated.
      let thrownByFn = false;
      try {
        return await db.transaction(async (tx) => {
          try {
            return await fn(over(tx));
          } catch (error) {
            thrownByFn = true;
            throw error;
          }
        });
      } catch (error) {
        if (thrownByFn) throw error;
        throw translateError(error, target, 'transaction');
      }
    },
    async close(): Promise<void> {
      if (options.closeDb) await db.close();
    },
  };
}
