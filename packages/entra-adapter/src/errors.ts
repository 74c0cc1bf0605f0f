/**
 * Translation of Graph and token-endpoint failures into core's `DirectoryError`s. Every message starts with
 * `entra:`, names the tenant and the operation, and carries Graph's `request-id` in `details.requestId` so a
 * support case with Microsoft can be opened. Request bodies are never quoted; Graph's own message is scrubbed
 * of the secrets the request carried before it is used.
 */
import { DirectoryError, type DirectoryErrorCode } from '@jitadmin/core';

/** The raw facts of a non-2xx Graph answer (internal; callers branch on it before it is translated). */
export class GraphFailure extends Error {
  override readonly name = 'GraphFailure';
  constructor(
    readonly status: number,
    /** `error.code` from the Graph envelope (`Request_ResourceNotFound`, `AadPremiumLicenseRequired` …). */
    readonly code: string,
    /** `error.message`, already scrubbed of secrets. */
    readonly graphMessage: string,
    readonly requestId: string | undefined,
    readonly clientRequestId: string,
    /** `error.details[].code` and `target`, plus `innerError.code` where present. */
    readonly detailCodes: readonly string[],
    readonly retryAfterMs: number | undefined,
  ) {
    super(`Graph ${status} ${code}`);
  }

  /** Set by the HTTP layer: which tenant, operation and permission the failed call was for. */
  context: FailureContext | undefined;

  /** The typed error for this failure, for a caller that does not handle it. */
  toDirectoryError(): DirectoryError {
    return translateGraphFailure(this, this.context ?? { tenantId: 'unknown', operation: 'request', permission: 'unknown' });
  }

  /** `Request_ResourceNotFound` and friends. */
  get notFound(): boolean {
    return this.status === 404;
  }

  /** A duplicate of something unique (UPN, role assignment); Graph answers 400 for most of these. */
  get conflict(): boolean {
    return (
      this.status === 409 ||
      this.detailCodes.some((c) => /conflict|exists/i.test(c)) ||
      /RoleAssignmentExists/i.test(this.code) ||
      /already exists|conflicting object/i.test(this.graphMessage)
    );
  }

  get licenseRequired(): boolean {
    return /AadPremiumLicenseRequired/i.test(this.code) || this.detailCodes.some((c) => /AadPremiumLicenseRequired/i.test(c));
  }

  get tapPolicyOff(): boolean {
    return /Converged UserCredentialPolicy/i.test(this.graphMessage);
  }
}

export interface FailureContext {
  tenantId: string;
  operation: string;
  /** The application permission this call needs. */
  permission: string;
  /** Whether the token for the tenant carries that permission (then a 403 means a privileged target). */
  permissionHeld?: boolean;
  /** A GET: a 400 refuses the query, not the grant (see `translateGraphFailure`). */
  read?: boolean;
}

const MAX_GRAPH_MESSAGE = 300;

/** Removes every occurrence of each secret (and anything after a `password` key) from a Graph message. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join('[redacted]');
  out = out.replace(/("?(?:password|temporaryAccessPass|client_secret|access_token)"?\s*[:=]\s*)("[^"]*"|\S+)/gi, '$1[redacted]');
  return out.length > MAX_GRAPH_MESSAGE ? `${out.slice(0, MAX_GRAPH_MESSAGE)}…` : out;
}

function idDetails(f: GraphFailure, ctx: FailureContext) {
  return {
    tenantId: ctx.tenantId,
    operation: ctx.operation,
    status: f.status,
    graphCode: f.code,
    requestId: f.requestId,
    clientRequestId: f.clientRequestId,
  };
}

/** The typed error for a Graph answer nobody handled on the way. */
export function translateGraphFailure(f: GraphFailure, ctx: FailureContext): DirectoryError {
  const where = `entra: ${ctx.operation} in tenant ${ctx.tenantId}`;
  const tail = `(Graph ${f.status} ${f.code}${f.requestId ? `, request-id ${f.requestId}` : ''})`;
  const details = idDetails(f, ctx);
  const make = (code: DirectoryErrorCode, what: string, extra: Record<string, string | number | boolean | undefined> = {}) =>
    new DirectoryError(code, `${where}: ${what} ${tail}`, {
      cause: f,
      details: { ...details, ...extra },
      ...(f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {}),
    });

  if (f.status === 429) return make('THROTTLED', 'throttled by Microsoft Graph');
  if (f.status >= 500) return make('TRANSIENT', 'Microsoft Graph is unavailable');
  if (f.status === 401) return make('CONNECTION_BROKEN', 'Graph refused the access token (consent revoked or app removed?)');
  if (f.status === 403) {
    if (ctx.permissionHeld) {
      return make(
        'PERMISSION_MISSING',
        `the app holds ${ctx.permission} but may not change this object (it holds a privileged admin role; remove its roles first, or give the app a privileged role)`,
        { permission: ctx.permission, reason: 'privileged_target' },
      );
    }
    return make('PERMISSION_MISSING', `the app lacks the application permission ${ctx.permission}`, {
      permission: ctx.permission,
    });
  }
  if (f.licenseRequired) return make('LICENSE_MISSING', 'the tenant needs Microsoft Entra ID P2 (or ID Governance) for this');
  if (f.tapPolicyOff) {
    return make('TAP_POLICY_OFF', 'the Temporary Access Pass method policy is off (or excludes this account) in the tenant');
  }
  if (f.status === 404) return make('DIRECTORY_NOT_FOUND', `not found: ${f.graphMessage}`);
  if (f.status === 400 && ctx.read) {
    // A read Graph would not run (a query form this collection or tenant does not take) says nothing about the
    // grant and changed nothing: retryable, so it costs an attempt of the step and is reported, never ends it alone.
    return make('TRANSIENT', `Graph refused a read (a query form it does not take): ${f.graphMessage}`, { reason: 'read_refused' });
  }
  if (f.conflict) return make('DIRECTORY_CONFLICT', `conflict: ${f.graphMessage}`);
  return make('DIRECTORY_REJECTED', `rejected: ${f.graphMessage}`);
}

/** Reads a Graph error envelope (`{error:{code,message,innerError:{request-id},details}}`) tolerantly. */
export function parseGraphError(
  status: number,
  body: unknown,
  headers: Headers,
  clientRequestId: string,
  secrets: readonly string[],
  retryAfterMs: number | undefined,
): GraphFailure {
  const err = (body && typeof body === 'object' ? (body as { error?: unknown }).error : undefined) as
    | { code?: unknown; message?: unknown; innerError?: Record<string, unknown>; innererror?: Record<string, unknown>; details?: unknown }
    | undefined;
  const inner = err?.innerError ?? err?.innererror;
  const code = typeof err?.code === 'string' ? err.code : `HTTP${status}`;
  const message = typeof err?.message === 'string' ? scrub(err.message, secrets) : '';
  const requestId =
    (typeof inner?.['request-id'] === 'string' ? (inner['request-id'] as string) : undefined) ??
    headers.get('request-id') ??
    undefined;
  const detailCodes: string[] = [];
  if (Array.isArray(err?.details)) {
    for (const d of err.details as Array<Record<string, unknown>>) {
      if (typeof d?.code === 'string') detailCodes.push(d.code);
      if (typeof d?.target === 'string') detailCodes.push(`target:${d.target}`);
    }
  }
  if (typeof inner?.code === 'string') detailCodes.push(inner.code);
  return new GraphFailure(status, code, message, requestId, clientRequestId, detailCodes, retryAfterMs);
}

/** What an AADSTS code from the token endpoint means for the connection. */
export function classifyAadsts(aadsts: string | undefined): { reason: string; what: string } {
  switch (aadsts) {
    case 'AADSTS700016':
      return { reason: 'app_not_in_tenant', what: 'the jitadmin app is not present in the tenant (not consented, or removed)' };
    case 'AADSTS7000229':
    case 'AADSTS65001':
    case 'AADSTS500011':
    case 'AADSTS650056':
      return { reason: 'consent_revoked', what: 'admin consent for the jitadmin app is missing or was revoked' };
    case 'AADSTS90002':
    case 'AADSTS900023':
    case 'AADSTS90072':
      return { reason: 'tenant_not_found', what: 'the tenant does not exist or is not reachable' };
    case 'AADSTS7000112':
    case 'AADSTS7000111':
      return { reason: 'app_disabled', what: 'the jitadmin app is disabled in the tenant' };
    case 'AADSTS7000215':
    case 'AADSTS7000222':
    case 'AADSTS700027':
    case 'AADSTS700024':
    case 'AADSTS700023':
      return { reason: 'credential_invalid', what: "the app's client secret or certificate was refused (invalid or expired)" };
    case 'AADSTS53003':
      return { reason: 'blocked_by_policy', what: 'a Conditional Access policy blocks the app' };
    default:
      return { reason: 'token_refused', what: 'the token endpoint refused the app' };
  }
}

/** `CONNECTION_BROKEN` for a token the tenant will not give us, naming the tenant (never the credential). */
export function connectionBroken(
  tenantId: string,
  aadsts: string | undefined,
  cause: unknown,
  extra: Record<string, string | number | boolean | undefined> = {},
): DirectoryError {
  const { reason, what } = classifyAadsts(aadsts);
  return new DirectoryError(
    'CONNECTION_BROKEN',
    `entra: no token for tenant ${tenantId}: ${what}${aadsts ? ` (${aadsts})` : ''}`,
    { cause, details: { tenantId, reason, aadsts, ...extra } },
  );
}

/** Runs a removal where "not found" counts as done. Resolves true when the call succeeded, false when gone. */
export async function ignoreNotFound(fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (error) {
    if (error instanceof GraphFailure && error.notFound) return false;
    throw error;
  }
}
