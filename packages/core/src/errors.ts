/**
 * The closed set of errors jitadmin raises. Every error has a stable `code` that callers branch on
 * (HTTP maps it to a status), a message that never carries a secret, and a `docs` anchor.
 *
 * @module
 */

/** The codes a `DirectoryError` may carry. */
export const DIRECTORY_ERROR_CODES = [
  'DIRECTORY_NOT_FOUND',
  'DIRECTORY_CONFLICT',
  'THROTTLED',
  'TRANSIENT',
  'PERMISSION_MISSING',
  'LICENSE_MISSING',
  'TAP_POLICY_OFF',
  'CONNECTION_BROKEN',
  'DIRECTORY_REJECTED',
  'ADAPTER_FAILED',
] as const;

export type DirectoryErrorCode = (typeof DIRECTORY_ERROR_CODES)[number];

/** Every code any jitadmin error can carry. Adding one is a breaking change. */
export const ERROR_CODES = [
  // Bad input
  'VALIDATION_FAILED',
  // Identity and permission of the caller
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'SELF_APPROVAL',
  'NOT_AN_APPROVER',
  // Entitlement policy refusals
  'NOT_ENTITLED',
  'ROLE_NOT_ALLOWED',
  'DURATION_TOO_LONG',
  'JUSTIFICATION_REQUIRED',
  'TICKET_REQUIRED',
  'CUSTOMER_NOT_CONNECTED',
  // Records
  'NOT_FOUND',
  'CONFLICT',
  'VERSION_CONFLICT',
  'DUPLICATE_GRANT',
  'INVALID_TRANSITION',
  'CREDENTIAL_UNAVAILABLE',
  'RATE_LIMITED',
  // Directory (Entra ID) failures, translated by adapters, and what an adapter threw untranslated
  ...DIRECTORY_ERROR_CODES,
  // Store failures
  'STORE_UNAVAILABLE',
  'SCHEMA_TOO_NEW',
  // Configuration: a sealed secret names a key the keyring no longer holds
  'SECRET_KEY_UNKNOWN',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface JitErrorOptions {
  cause?: unknown;
  /** The input field at fault, as a dotted path (`roles.0`). */
  field?: string;
  /** Milliseconds the caller should wait before trying again (throttling). */
  retryAfterMs?: number;
  /** Structured, secret-free facts about the failure (tenant id, permission name, request id). */
  details?: Record<string, string | number | boolean | undefined>;
}

/**
 * The brand every jitadmin error carries, registered globally (`Symbol.for`) so that two copies of
 * `@jitadmin/core` in one process (npm nests one when an adapter's range and the app's core disagree) still
 * recognise each other's errors. Recognition never rests on class identity.
 */
export const JIT_ERROR_BRAND: symbol = Symbol.for('jitadmin.error');

function hasBrand(value: unknown): value is JitError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[JIT_ERROR_BRAND] === true &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

/**
 * Base of every jitadmin error. Branch on `code`, never on the message.
 *
 * `instanceof JitError` (and `instanceof DirectoryError`, …) is answered by the brand and the error's `name`,
 * not by the prototype chain, so it also holds for an error made by another copy of core.
 */
export class JitError extends Error {
  static override [Symbol.hasInstance]<T>(this: abstract new (...args: never[]) => T, value: unknown): value is T {
    if (!hasBrand(value)) return false;
    if ((this as unknown) === JitError) return true;
    // A subclass: the same class in this copy, or an error another copy made under the same name.
    // Only a class that names itself (its own `errorName`) matches by name: a further subclass without one
    // (an adapter's own error) is recognised by its prototype alone.
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    return Object.hasOwn(this, 'errorName') && value.name === (this as unknown as { errorName: string }).errorName;
  }

  override readonly name: string = 'JitError';
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly details: Readonly<Record<string, string | number | boolean | undefined>>;

  constructor(code: ErrorCode, message: string, options: JitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.retryAfterMs = options.retryAfterMs;
    this.details = Object.freeze({ ...options.details });
  }

  /** Where the code is explained. */
  get docs(): string {
    return `https://github.com/jitadmin/jitadmin/blob/main/docs/errors.md#${this.code.toLowerCase()}`;
  }

  /** Whether running the same step again later may succeed. */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }

  toJSON(): { code: ErrorCode; message: string; field?: string } {
    return { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) };
  }
}

// On the prototype, not enumerable: it does not show in JSON or in a logged error's own properties.
Object.defineProperty(JitError.prototype, JIT_ERROR_BRAND, { value: true });

const RETRYABLE = new Set<ErrorCode>([
  'THROTTLED',
  'TRANSIENT',
  'STORE_UNAVAILABLE',
  'ADAPTER_FAILED',
  'DIRECTORY_NOT_FOUND',
  'VERSION_CONFLICT',
]);

/** Input that fails validation. `field` names the offending input. */
export class ValidationError extends JitError {
  /** The `name` its instances carry: how `instanceof` recognises one made by another copy of core. */
  static readonly errorName = 'ValidationError';
  override readonly name = 'ValidationError';
  constructor(message: string, options: JitErrorOptions = {}) {
    super('VALIDATION_FAILED', message, options);
  }
}

/** The caller may not do this (identity, role, self-approval, entitlement). */
export class ForbiddenError extends JitError {
  /** The `name` its instances carry: how `instanceof` recognises one made by another copy of core. */
  static readonly errorName = 'ForbiddenError';
  override readonly name = 'ForbiddenError';
  constructor(
    code:
      | 'UNAUTHENTICATED'
      | 'FORBIDDEN'
      | 'SELF_APPROVAL'
      | 'NOT_AN_APPROVER'
      | 'NOT_ENTITLED'
      | 'ROLE_NOT_ALLOWED'
      | 'DURATION_TOO_LONG'
      | 'JUSTIFICATION_REQUIRED'
      | 'TICKET_REQUIRED'
      | 'CUSTOMER_NOT_CONNECTED'
      | 'RATE_LIMITED',
    message: string,
    options: JitErrorOptions = {},
  ) {
    super(code, message, options);
  }
}

/** The record does not exist for this provider. Another provider's ids get this too. */
export class NotFoundError extends JitError {
  /** The `name` its instances carry: how `instanceof` recognises one made by another copy of core. */
  static readonly errorName = 'NotFoundError';
  override readonly name = 'NotFoundError';
  constructor(message: string, options: JitErrorOptions = {}) {
    super('NOT_FOUND', message, options);
  }
}

/** The request conflicts with the record's current state or version. */
export class ConflictError extends JitError {
  /** The `name` its instances carry: how `instanceof` recognises one made by another copy of core. */
  static readonly errorName = 'ConflictError';
  override readonly name = 'ConflictError';
  constructor(
    code: 'CONFLICT' | 'VERSION_CONFLICT' | 'DUPLICATE_GRANT' | 'INVALID_TRANSITION' | 'CREDENTIAL_UNAVAILABLE',
    message: string,
    options: JitErrorOptions = {},
  ) {
    super(code, message, options);
  }
}



/** A directory (Entra ID) call failed. Adapters translate their failures into this. */
export class DirectoryError extends JitError {
  /** The `name` its instances carry: how `instanceof` recognises one made by another copy of core. */
  static readonly errorName = 'DirectoryError';
  override readonly name = 'DirectoryError';
  constructor(code: DirectoryErrorCode, message: string, options: JitErrorOptions = {}) {
    super(code, message, options);
  }
}

/** The store failed (down, unreachable, schema newer than the code). */
export class StoreError extends JitError {
  /** The `name` its instances carry: how `instanceof` recognises one made by another copy of core. */
  static readonly errorName = 'StoreError';
  override readonly name = 'StoreError';
  constructor(code: 'STORE_UNAVAILABLE' | 'SCHEMA_TOO_NEW' | 'INTERNAL', message: string, options: JitErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A sealed secret names a key id the SecretBox does not hold: the key was removed before its secrets were re-sealed. */
export class SecretKeyError extends JitError {
  /** The `name` its instances carry: how `instanceof` recognises one made by another copy of core. */
  static readonly errorName = 'SecretKeyError';
  override readonly name = 'SecretKeyError';
  constructor(message: string, options: JitErrorOptions = {}) {
    super('SECRET_KEY_UNKNOWN', message, options);
  }
}

/**
 * Whether `value` is a jitadmin error, from this copy of core or any other (by its brand, not its class).
 * Prefer it to `instanceof` in code that may meet errors from elsewhere; read `code` and `retryable` off it.
 */
export function isJitError(value: unknown): value is JitError {
  return hasBrand(value);
}

/**
 * Wraps whatever an adapter threw. Deliberate jitadmin errors pass through; anything else becomes an
 * `ADAPTER_FAILED` error naming the adapter and method, with the original as `cause` (never in the message,
 * which could carry a secret).
 */
export function wrapAdapterError(adapter: string, method: string, error: unknown): JitError {
  if (isJitError(error)) return error;
  const kind = error instanceof Error ? error.name : typeof error;
  return new DirectoryError('ADAPTER_FAILED', `${adapter}.${method} failed unexpectedly (${kind})`, {
    cause: error,
    details: { adapter, method },
  });
}

/** Wraps the same for a store call. */
export function wrapStoreError(store: string, method: string, error: unknown): JitError {
  if (isJitError(error)) return error;
  const kind = error instanceof Error ? error.name : typeof error;
  return new StoreError('STORE_UNAVAILABLE', `${store}.${method} failed (${kind})`, {
    cause: error,
    details: { store, method },
  });
}

/** HTTP status for an error code: 4xx for what the caller can fix, 5xx for what they cannot. */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'VALIDATION_FAILED':
      return 400;
    case 'UNAUTHENTICATED':
      return 401;
    case 'FORBIDDEN':
    case 'SELF_APPROVAL':
    case 'NOT_AN_APPROVER':
    case 'NOT_ENTITLED':
    case 'ROLE_NOT_ALLOWED':
    case 'DURATION_TOO_LONG':
    case 'JUSTIFICATION_REQUIRED':
    case 'TICKET_REQUIRED':
    case 'CUSTOMER_NOT_CONNECTED':
      return 403;
    // Refused at request time: the tenant does not allow what the rule needs (the message says what to change).
    case 'TAP_POLICY_OFF':
    case 'LICENSE_MISSING':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'CONFLICT':
    case 'VERSION_CONFLICT':
    case 'DUPLICATE_GRANT':
    case 'INVALID_TRANSITION':
    case 'CREDENTIAL_UNAVAILABLE':
      return 409;
    case 'RATE_LIMITED':
      return 429;
    case 'THROTTLED':
    case 'TRANSIENT':
    case 'STORE_UNAVAILABLE':
      return 503;
    case 'DIRECTORY_NOT_FOUND':
    case 'DIRECTORY_CONFLICT':
    case 'PERMISSION_MISSING':
    case 'CONNECTION_BROKEN':
    case 'DIRECTORY_REJECTED':
    case 'ADAPTER_FAILED':
      return 502;
    case 'SCHEMA_TOO_NEW':
    case 'SECRET_KEY_UNKNOWN':
    case 'INTERNAL':
      return 500;
  }
}
