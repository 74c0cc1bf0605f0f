import { randomUUID } from 'node:crypto';
import { wrapAdapterError } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { DirectoryAdapter } from '../ports/directory.js';
import type { EventSink, JitEvent, Logger } from '../ports/events.js';
import type { SecretBox } from '../ports/secret-box.js';
import type { Store } from '../ports/store.js';
import type { RunningGrants } from './revoke-fence.js';

export interface JitAdminOptions {
  /** Names this process in leases (default: a random id). */
  workerId: string;
  /** How long a claimed grant stays with this worker before another may take it. */
  leaseMs: number;
  /** Grants claimed per pass. */
  claimBatch: number;
  /** Grants worked on at once by one scheduler. */
  concurrency: number;
  /** Attempts of a step before provisioning gives up (and cleans up) or deprovisioning asks for attention. */
  maxAttempts: number;
  baseRetryMs: number;
  maxRetryMs: number;
  /** Retry interval while a grant needs attention. */
  attentionRetryMs: number;
  /** The scheduler looks at the store at least this often, whatever its timer says. */
  sweepIntervalMs: number;
  /** How often `scheduler.start()` also runs the reconciler (0: never). */
  reconcileIntervalMs: number;
  /** Accounts younger than this are not treated as orphans (a grant may be about to record them). */
  reconcileGraceMs: number;
  /** Delete for good (not only to the recycle bin) at the end. */
  permanentDelete: boolean;
  /** Lifetime of a Temporary Access Pass; default: the grant's window, between 60 minutes and 8 hours (Entra's default policy range). */
  tapLifetimeMinutes: number | null;
  /** Sign-in link for a revealed credential. */
  portalUrl: (userPrincipalName: string, tenantId: string) => string;
  /** Source of randomness for jitter (tests make it fixed). */
  random: () => number;
  /**
   * Makes a new grant's id: a UUID (the account's UPN is derived from it). Default `crypto.randomUUID`; a
   * seeded simulation passes its own so that a seed replays the same ids.
   */
  newId: () => string;
  /**
   * How old a connection's preflight (its `lastCheckAt`) may be before a request for that customer runs it
   * again, so the credential and roles are planned on what the tenant allows now (default 24 hours).
   */
  capabilitiesMaxAgeMs: number;
}

export const DEFAULT_OPTIONS: Omit<JitAdminOptions, 'workerId'> = {
  leaseMs: 5 * 60_000,
  claimBatch: 25,
  concurrency: 16,
  maxAttempts: 8,
  baseRetryMs: 1_000,
  maxRetryMs: 5 * 60_000,
  attentionRetryMs: 5 * 60_000,
  sweepIntervalMs: 30_000,
  reconcileIntervalMs: 15 * 60_000,
  reconcileGraceMs: 10 * 60_000,
  permanentDelete: false,
  tapLifetimeMinutes: null,
  portalUrl: (upn, tenantId) =>
    `https://myapps.microsoft.com/?tenantId=${encodeURIComponent(tenantId)}&login_hint=${encodeURIComponent(upn)}`,
  random: Math.random,
  newId: () => randomUUID(),
  capabilitiesMaxAgeMs: 24 * 60 * 60_000,
};

/** Everything the service, the engine, the scheduler and the reconciler share. */
export interface Context {
  store: Store;
  directory: DirectoryAdapter;
  secretBox: SecretBox;
  clock: Clock;
  logger: Logger;
  options: JitAdminOptions;
  emit(event: Omit<JitEvent, 'at'>): void;
  nowIso(): string;
  /** Grants this process is provisioning, so a revoke written here stops their calls at once (revoke wins). */
  running: RunningGrants;
}

export function resolveOptions(partial: Partial<JitAdminOptions> = {}): JitAdminOptions {
  return { ...DEFAULT_OPTIONS, workerId: `worker-${randomUUID().slice(0, 8)}`, ...partial };
}

/** The adapter with every call's unknown throws turned into `ADAPTER_FAILED` errors naming the method. */
export function guardDirectory(adapter: DirectoryAdapter): DirectoryAdapter {
  return new Proxy(adapter, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } catch (error) {
          throw wrapAdapterError(target.name, String(prop), error);
        }
      };
    },
  });
}

export function makeEmitter(sink: EventSink | undefined, clock: Clock, logger: Logger): Context['emit'] {
  return (event) => {
    if (!sink) return;
    const full: JitEvent = { ...event, at: new Date(clock.now()).toISOString() };
    try {
      void Promise.resolve(sink.emit(full)).catch((error: unknown) =>
        logger.warn({ event: full.type, err: String(error instanceof Error ? error.name : error) }, 'event sink failed'),
      );
    } catch (error) {
      logger.warn({ event: full.type, err: String(error instanceof Error ? error.name : error) }, 'event sink failed');
    }
  };
}
