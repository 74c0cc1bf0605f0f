/**
 * Turns what `pg` and PGlite throw into jitadmin's closed set of errors. Messages name the database
 * (`host:port/database`) and the SQLSTATE, never a password, a parameter value or a row.
 */
import { ConflictError, JitError, StoreError, ValidationError } from '@jitadmin/core';

/** The store's name, the prefix of its messages. */
export const STORE_NAME = 'postgres';

/**
 * A serialization failure or deadlock: PostgreSQL rolled the transaction back, and running it again may
 * succeed. `transaction` retries these a few times; past that the caller sees a retryable `STORE_UNAVAILABLE`.
 */
export class TransactionRetryError extends StoreError {
  constructor(sqlState: string, options: { cause: unknown; target: string }) {
    super(
      'STORE_UNAVAILABLE',
      `${STORE_NAME}: the transaction on ${options.target} was rolled back by ${sqlState === '40P01' ? 'a deadlock' : 'a serialization failure'} (SQLSTATE ${sqlState}); try again`,
      { cause: options.cause, details: { store: STORE_NAME, sqlState } },
    );
  }
}

/** The SQLSTATE of a database error, or null for anything else (socket errors, timeouts, bugs). */
export function sqlStateOf(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
}

/** The constraint a unique or foreign-key violation names. */
export function constraintOf(error: unknown): string | null {
  const constraint = (error as { constraint?: unknown } | null)?.constraint;
  return typeof constraint === 'string' ? constraint : null;
}

const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '53400', '3D000', '28000', '28P01', '57014']);

/** Whether the connection that raised `error` can no longer be trusted (it is dropped, not returned to the pool). */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof JitError) return error.code === 'STORE_UNAVAILABLE' && !(error instanceof TransactionRetryError);
  const state = sqlStateOf(error);
  if (state === null) return true;
  return state.startsWith('08') || state === '57P01' || state === '57P02' || state === '57P03';
}

/** Thrown when the database does not answer in time (connect or statement). */
export function timeoutError(target: string, what: 'connect' | 'statement', ms: number): StoreError {
  return new StoreError(
    'STORE_UNAVAILABLE',
    what === 'connect'
      ? `${STORE_NAME}: could not connect to ${target} within ${ms} ms`
      : `${STORE_NAME}: ${target} did not answer within ${ms} ms`,
    { details: { store: STORE_NAME, target, timeoutMs: ms } },
  );
}

/**
 * The jitadmin error for a driver error. jitadmin errors pass through. `operation` names the store method
 * (`insertGrant`), for the message.
 */
export function translateError(error: unknown, target: string, operation: string): JitError {
  if (error instanceof JitError) return error;
  const state = sqlStateOf(error);
  const details = { store: STORE_NAME, operation, target, ...(state ? { sqlState: state } : {}) };
  if (state === null) {
    const code = (error as { code?: unknown } | null)?.code;
    const kind = typeof code === 'string' ? code : error instanceof Error ? error.name : typeof error;
    return new StoreError('STORE_UNAVAILABLE', `${STORE_NAME}: cannot reach the database at ${target} (${kind})`, {
      cause: error,
      details,
    });
  }
  if (state === '40001' || state === '40P01') return new TransactionRetryError(state, { cause: error, target });
  if (state === '57014') {
    return new StoreError('STORE_UNAVAILABLE', `${STORE_NAME}: ${operation} on ${target} ran past the statement timeout (SQLSTATE 57014)`, {
      cause: error,
      details,
    });
  }
  if (state.startsWith('08') || UNAVAILABLE_STATES.has(state)) {
    const why =
      state.startsWith('28') ? 'refused the credentials' : state === '3D000' ? 'has no such database' : 'is unavailable';
    return new StoreError('STORE_UNAVAILABLE', `${STORE_NAME}: the database at ${target} ${why} (SQLSTATE ${state})`, {
      cause: error,
      details,
    });
  }
  if (state === '25P02') {
    return new StoreError(
      'INTERNAL',
      `${STORE_NAME}: ${operation} ran in a transaction that an earlier error already aborted; end it and start a new one`,
      { cause: error, details },
    );
  }
  if (state === '23505') {
    return new ConflictError('CONFLICT', `${STORE_NAME}: ${operation} would duplicate a unique key (${constraintOf(error) ?? 'unknown'})`, {
      cause: error,
      details,
    });
  }
  // Data exceptions (class 22): a value the database cannot take (a malformed timestamp, a NUL character).
  if (state.startsWith('22')) {
    return new ValidationError(`${STORE_NAME}: ${operation} got a value the database cannot store (SQLSTATE ${state})`, {
      cause: error,
      details,
    });
  }
  // Syntax and schema errors (class 42) name objects, not values: keep the message, it is what an operator needs.
  const message = state.startsWith('42') && error instanceof Error ? `: ${error.message}` : '';
  return new StoreError('INTERNAL', `${STORE_NAME}: ${operation} failed (SQLSTATE ${state})${message}`, { cause: error, details });
}
