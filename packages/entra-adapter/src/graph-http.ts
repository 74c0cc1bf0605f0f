/**
 * The HTTP layer under every Graph call: token, per-tenant concurrency limit, timeout, `client-request-id`,
 * retries and their deadlines. One place decides each attempt, which is why this is a thin wrapper over
 * `fetch` and not `@microsoft/microsoft-graph-client` (see docs/adapters/entra.md, "Why not the Graph client").
 *
 * Retried here:
 * - 429, 503, 504: honouring `Retry-After` (seconds or a date), otherwise exponential backoff with full
 *   jitter; at most `retry.maxAttempts` attempts within `retry.deadlineMs`, then `THROTTLED` (429, with
 *   `retryAfterMs`) or `TRANSIENT`. A Retry-After beyond the deadline gives up at once: the scheduler waits.
 * - timeouts and connection resets: the same budget, then `TRANSIENT`. Every call we send is idempotent or
 *   made so by its caller (a duplicate UPN or assignment is looked up), so resending is safe.
 * - 401: once, with a new token from the token endpoint; a second 401 is `CONNECTION_BROKEN` (and the
 *   token provider forgets the refused token).
 * - 404 `Request_ResourceNotFound` on calls flagged `retryNotFound` (objects just created: Entra replicates
 *   for seconds, sometimes minutes) until `replicationDeadlineMs`.
 * Revoke wins: a request's `beforeSend` is awaited before every attempt and its `signal` ends any wait, so a
 * privileged call stops between retries once core sees its grant revoked.
 * Everything else comes back as a `GraphFailure` for the caller to handle or translate.
 */
import { randomUUID } from 'node:crypto';
import { DirectoryError, type Logger } from '@jitadmin/core';
import { KeyedLimiter } from './concurrency.js';
import { GraphFailure, parseGraphError, type FailureContext } from './errors.js';
import { holdsPermission } from './markers.js';
import { retryAfterMs as parseRetryAfter, type TokenProvider } from './token-provider.js';

export interface RetrySettings {
  /** Attempts per call for throttling and transport failures (default 5). */
  maxAttempts: number;
  /** First backoff step (default 500 ms). */
  baseDelayMs: number;
  /** Largest single wait (default 30 s). */
  maxDelayMs: number;
  /** Overall time budget of one call's retries (default 60 s). */
  deadlineMs: number;
}

export interface GraphHttpOptions {
  graphBaseUrl: string;
  requestTimeoutMs: number;
  retry: RetrySettings;
  replicationDeadlineMs: number;
  maxConcurrencyPerTenant: number;
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  now: () => number;
  logger: Logger;
  tokens: TokenProvider;
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface GraphRequest {
  tenantId: string;
  method: HttpMethod;
  /** Relative to the Graph base URL (`/users/…`), or an absolute `@odata.nextLink` on the same base. */
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Adapter operation, for messages and logs. */
  operation: string;
  /** Application permission the call needs (named in PERMISSION_MISSING). */
  permission: string;
  /** Retry 404s: the object was just created and may not have replicated yet. */
  retryNotFound?: boolean;
  /** With `retryNotFound`: no 404 retry past this instant (the object's creation plus the replication window). */
  replicationUntil?: number;
  /** Secrets in the body, scrubbed from anything Graph echoes back. */
  secrets?: readonly string[];
  /**
   * Awaited right before each attempt is sent (revoke wins: core re-reads the grant here); a rejection ends the
   * call with that error and nothing more is sent.
   */
  beforeSend?: () => Promise<void>;
  /** Once aborted, the call stops waiting (for an answer, between retries) and fails with the signal's reason. */
  signal?: AbortSignal;
}

export interface GraphResponse<T> {
  status: number;
  body: T;
  requestId: string | undefined;
}

/**
 * The caller stopped the call (its `beforeSend` rejected, or its `signal` aborted): carries the caller's own error,
 * which the adapter hands back unchanged rather than as a failure of its own.
 */
export class CallStopped extends Error {
  override readonly name = 'CallStopped';
  constructor(readonly reason: unknown) {
    super('entra: the caller stopped the call');
  }
}

const stopped = (signal: AbortSignal): CallStopped => new CallStopped(signal.reason);

/** Statuses worth resending as they are. */
const RETRY_STATUSES = new Set([429, 503, 504]);
/** Guards the replication loop even when an injected clock does not move. */
const MAX_REPLICATION_ATTEMPTS = 60;

type Attempt =
  | { kind: 'response'; res: Response; body: unknown; clientRequestId: string }
  | { kind: 'transport'; transport: 'timeout' | 'reset'; clientRequestId: string; cause: unknown };

export class GraphHttp {
  private readonly limiter: KeyedLimiter;
  private readonly base: URL;

  constructor(private readonly o: GraphHttpOptions) {
    this.limiter = new KeyedLimiter(o.maxConcurrencyPerTenant);
    this.base = new URL(o.graphBaseUrl.replace(/\/+$/, '') + '/');
  }

  async request<T>(req: GraphRequest): Promise<GraphResponse<T>> {
    const url = this.resolve(req.path);
    const ctx: FailureContext = { tenantId: req.tenantId, operation: req.operation, permission: req.permission, read: req.method === 'GET' };
    const started = this.o.now();
    let slept = 0;
    const elapsed = () => Math.max(this.o.now() - started, slept);
    let throttleAttempts = 0;
    let replicationAttempts = 0;
    let refreshed = false;
    let forceRefresh = false;

    for (;;) {
      const token = await this.o.tokens.get(req.tenantId, forceRefresh);
      forceRefresh = false;
      const attempt = await this.limiter.run(req.tenantId, async () => {
        if (req.signal?.aborted) throw stopped(req.signal);
        try {
          await req.beforeSend?.();
        } catch (error) {
          throw new CallStopped(error);
        }
        return this.once(req, url, token.token);
      });

      let wait: number | undefined;
      let giveUp: DirectoryError | GraphFailure;
      if (attempt.kind === 'transport') {
        throttleAttempts++;
        const delay = this.backoff(throttleAttempts);
        giveUp = new DirectoryError(
          'TRANSIENT',
          `entra: ${req.operation} in tenant ${req.tenantId}: ${attempt.transport === 'timeout' ? `no answer within ${this.o.requestTimeoutMs} ms` : 'connection failed'} after ${throttleAttempts} attempt(s)`,
          {
            cause: attempt.cause,
            details: { tenantId: req.tenantId, operation: req.operation, transport: attempt.transport, clientRequestId: attempt.clientRequestId },
          },
        );
        if (throttleAttempts < this.o.retry.maxAttempts && elapsed() + delay <= this.o.retry.deadlineMs) wait = delay;
      } else {
        const { res, body } = attempt;
        if (res.ok) return { status: res.status, body: body as T, requestId: res.headers.get('request-id') ?? undefined };
        const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
        // Graph could echo anything it was sent: scrub the body's secrets and our own bearer token.
        const failure = parseGraphError(res.status, body, res.headers, attempt.clientRequestId, [...(req.secrets ?? []), token.token], retryAfter);
        failure.context = { ...ctx, permissionHeld: holdsPermission(token.roles, req.permission) };
        giveUp = failure;
        if (res.status === 401 && !refreshed) {
          refreshed = true;
          forceRefresh = true;
          this.o.logger.warn(this.logFields(req, failure), 'entra: graph refused the token, fetching a new one');
          continue;
        }
        if (RETRY_STATUSES.has(res.status)) {
          throttleAttempts++;
          const delay = retryAfter ?? this.backoff(throttleAttempts);
          if (throttleAttempts < this.o.retry.maxAttempts && elapsed() + delay <= this.o.retry.deadlineMs) wait = delay;
          else if (failure.retryAfterMs === undefined) {
            // Tell the scheduler how long to stay away even when Graph did not say.
            giveUp = new GraphFailure(failure.status, failure.code, failure.graphMessage, failure.requestId, failure.clientRequestId, failure.detailCodes, delay);
            giveUp.context = failure.context;
          }
        } else if (res.status === 404 && req.retryNotFound) {
          replicationAttempts++;
          const delay = this.replicationBackoff(replicationAttempts);
          const inWindow = req.replicationUntil === undefined || this.o.now() + delay <= req.replicationUntil;
          if (replicationAttempts < MAX_REPLICATION_ATTEMPTS && elapsed() + delay <= this.o.replicationDeadlineMs && inWindow) wait = delay;
        }
      }

      if (wait === undefined) {
        // Graph refused even a freshly fetched token: do not hand it out again.
        if (giveUp instanceof GraphFailure && giveUp.status === 401) this.o.tokens.invalidate(req.tenantId);
        if (giveUp instanceof GraphFailure && (giveUp.status === 401 || giveUp.status === 429 || giveUp.status >= 500)) {
          throw giveUp.toDirectoryError();
        }
        throw giveUp;
      }
      this.o.logger.warn(
        { ...this.logFields(req, giveUp instanceof GraphFailure ? giveUp : undefined), waitMs: wait },
        'entra: retrying graph call',
      );
      slept += wait;
      await this.pause(wait, req.signal);
    }
  }

  /** Waits between attempts; an abort of the call's signal ends the wait (and the call) at once. */
  private pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (!signal) return this.o.sleep(ms);
    if (signal.aborted) return Promise.reject(stopped(signal));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(stopped(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      this.o.sleep(ms).then(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error as Error);
        },
      );
    });
  }

  /** Every item of a collection, following `@odata.nextLink` to the last page. */
  async getAll<T>(req: Omit<GraphRequest, 'method' | 'body'>): Promise<T[]> {
    const items: T[] = [];
    let next: string | undefined = req.path;
    while (next) {
      const page: GraphResponse<{ value?: T[]; '@odata.nextLink'?: string }> = await this.request({ ...req, method: 'GET', path: next });
      items.push(...(page.body.value ?? []));
      next = page.body['@odata.nextLink'];
    }
    return items;
  }

  private async once(req: GraphRequest, url: string, token: string): Promise<Attempt> {
    const clientRequestId = randomUUID();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.o.requestTimeoutMs);
    try {
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        'client-request-id': clientRequestId,
        'return-client-request-id': 'true',
        accept: 'application/json',
        ...req.headers,
      };
      if (req.body !== undefined) headers['content-type'] = 'application/json';
      const res = await this.o.fetch(url, {
        method: req.method,
        headers,
        ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
        signal: req.signal ? AbortSignal.any([controller.signal, req.signal]) : controller.signal,
      });
      const text = await res.text();
      let body: unknown = undefined;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
      }
      this.o.logger.debug(
        {
          tenantId: req.tenantId,
          operation: req.operation,
          method: req.method,
          path: new URL(url).pathname,
          status: res.status,
          requestId: res.headers.get('request-id') ?? undefined,
          clientRequestId,
        },
        'entra: graph call',
      );
      return { kind: 'response', res, body, clientRequestId };
    } catch (cause) {
      // Abandoned by the caller (a revoke): not a transport failure to retry.
      if (req.signal?.aborted) throw stopped(req.signal);
      return { kind: 'transport', transport: controller.signal.aborted ? 'timeout' : 'reset', clientRequestId, cause };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Full jitter: uniform in [0, min(max, base·2^(n-1))]. */
  private backoff(attempt: number): number {
    const cap = Math.min(this.o.retry.maxDelayMs, this.o.retry.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(this.o.random() * cap);
  }

  /** Replication waits grow more gently and never drop to zero (the object needs time, not luck). */
  private replicationBackoff(attempt: number): number {
    const cap = Math.min(this.o.retry.maxDelayMs, this.o.retry.baseDelayMs * 1.5 ** (attempt - 1));
    return Math.round(cap / 2 + this.o.random() * (cap / 2));
  }

  private resolve(path: string): string {
    if (/^https?:\/\//i.test(path)) {
      // A nextLink carries our bearer token: it must point at the same Graph we were configured with.
      const target = new URL(path);
      if (target.origin !== this.base.origin || !target.pathname.startsWith(this.base.pathname)) {
        throw new DirectoryError('DIRECTORY_REJECTED', `entra: refusing to follow a link outside ${this.base.origin}${this.base.pathname}`);
      }
      return target.toString();
    }
    return new URL(path.replace(/^\/+/, ''), this.base).toString();
  }

  private logFields(req: GraphRequest, f: GraphFailure | undefined): Record<string, unknown> {
    return {
      tenantId: req.tenantId,
      operation: req.operation,
      method: req.method,
      status: f?.status,
      graphCode: f?.code,
      requestId: f?.requestId,
      clientRequestId: f?.clientRequestId,
    };
  }
}
