/** Options of `entraDirectory`, their defaults and their validation (a misconfiguration fails at construction). */
import { ValidationError, silentLogger, type Logger } from '@jitadmin/core';
import type { RetrySettings } from './graph-http.js';
import type { EntraCredential } from './token-provider.js';

export interface EntraDirectoryOptions {
  /** Application (client) id of the multi-tenant jitadmin app registration. */
  clientId: string;
  /** A client secret, or a certificate: its private key (PEM) and SHA-1 (`thumbprint`) or SHA-256 thumbprint (hex). */
  credential: EntraCredential;
  /** Default `https://login.microsoftonline.com`. */
  authorityHost?: string;
  /** Default `https://graph.microsoft.com/v1.0`. */
  graphBaseUrl?: string;
  /** Graph requests in flight per tenant (default 8). */
  maxConcurrencyPerTenant?: number;
  /** One HTTP attempt's time limit (default 15000 ms). */
  requestTimeoutMs?: number;
  /** Throttling and transport retries (defaults: 5 attempts, 500 ms base, 30 s max wait, 60 s deadline). */
  retry?: Partial<RetrySettings>;
  /** How long to keep retrying 404s for objects just created (default 120 s). */
  replicationRetry?: { deadlineMs?: number };
  logger?: Logger;
  /** Used for every Graph and token request (default: the global `fetch`). */
  fetch?: typeof fetch;
  /** For tests: how retries wait (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** For tests: jitter source in [0, 1) (default `Math.random`). */
  random?: () => number;
  /** For tests: the clock deadlines are measured on (default `Date.now`). */
  now?: () => number;
}

export interface ResolvedOptions {
  clientId: string;
  credential: EntraCredential;
  authorityHost: string;
  graphBaseUrl: string;
  maxConcurrencyPerTenant: number;
  requestTimeoutMs: number;
  retry: RetrySettings;
  replicationDeadlineMs: number;
  logger: Logger;
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  now: () => number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function url(value: string, field: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ValidationError(`entra: ${field} must be an absolute URL`, { field });
  }
  // Tokens and client credentials travel to these hosts: never in clear (MSAL refuses http authorities too).
  if (parsed.protocol !== 'https:') {
    throw new ValidationError(`entra: ${field} must be an https URL`, { field });
  }
  return value.replace(/\/+$/, '');
}

function positive(value: number | undefined, fallback: number, field: string, integer = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new ValidationError(`entra: ${field} must be a positive ${integer ? 'integer' : 'number'}`, { field });
  }
  return value;
}

function credential(c: EntraCredential | undefined): EntraCredential {
  if (!c || typeof c !== 'object') throw new ValidationError('entra: credential is required', { field: 'credential' });
  if ('clientSecret' in c) {
    if (typeof c.clientSecret !== 'string' || c.clientSecret.length === 0) {
      throw new ValidationError('entra: credential.clientSecret must not be empty', { field: 'credential.clientSecret' });
    }
    return { clientSecret: c.clientSecret };
  }
  if (!('privateKeyPem' in c) || typeof c.privateKeyPem !== 'string' || !c.privateKeyPem.includes('PRIVATE KEY')) {
    throw new ValidationError('entra: credential needs clientSecret, or privateKeyPem (PEM) with a thumbprint', {
      field: 'credential.privateKeyPem',
    });
  }
  if ('thumbprintSha256' in c && c.thumbprintSha256) {
    if (!/^[0-9a-fA-F]{64}$/.test(c.thumbprintSha256)) {
      throw new ValidationError('entra: credential.thumbprintSha256 must be 64 hex digits', { field: 'credential.thumbprintSha256' });
    }
    return { privateKeyPem: c.privateKeyPem, thumbprintSha256: c.thumbprintSha256 };
  }
  const thumb = (c as { thumbprint?: string }).thumbprint;
  if (typeof thumb !== 'string' || !/^[0-9a-fA-F]{40}$/.test(thumb)) {
    throw new ValidationError('entra: credential.thumbprint must be the SHA-1 thumbprint (40 hex digits)', {
      field: 'credential.thumbprint',
    });
  }
  return { privateKeyPem: c.privateKeyPem, thumbprint: thumb };
}

export function resolveOptions(o: EntraDirectoryOptions): ResolvedOptions {
  if (typeof o?.clientId !== 'string' || o.clientId.trim() === '') {
    throw new ValidationError('entra: clientId is required', { field: 'clientId' });
  }
  const retry: RetrySettings = {
    maxAttempts: positive(o.retry?.maxAttempts, 5, 'retry.maxAttempts', true),
    baseDelayMs: positive(o.retry?.baseDelayMs, 500, 'retry.baseDelayMs'),
    maxDelayMs: positive(o.retry?.maxDelayMs, 30_000, 'retry.maxDelayMs'),
    deadlineMs: positive(o.retry?.deadlineMs, 60_000, 'retry.deadlineMs'),
  };
  const fetchFn = o.fetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args));
  return {
    clientId: o.clientId.trim(),
    credential: credential(o.credential),
    authorityHost: url(o.authorityHost ?? 'https://login.microsoftonline.com', 'authorityHost'),
    graphBaseUrl: url(o.graphBaseUrl ?? 'https://graph.microsoft.com/v1.0', 'graphBaseUrl'),
    maxConcurrencyPerTenant: positive(o.maxConcurrencyPerTenant, 8, 'maxConcurrencyPerTenant', true),
    requestTimeoutMs: positive(o.requestTimeoutMs, 15_000, 'requestTimeoutMs'),
    retry,
    replicationDeadlineMs: positive(o.replicationRetry?.deadlineMs, 120_000, 'replicationRetry.deadlineMs'),
    logger: o.logger ?? silentLogger,
    fetch: fetchFn,
    sleep: o.sleep ?? realSleep,
    random: o.random ?? Math.random,
    now: o.now ?? Date.now,
  };
}
