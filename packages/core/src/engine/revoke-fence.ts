import { ConflictError } from '../errors.js';
import type { Store } from '../ports/store.js';

/**
 * Revoke wins (DESIGN.md invariant 9): while a grant provisions, each privileged directory request is preceded by
 * a read of the grant from the store. Once a revoke (a break glass, a deactivation's revoke, anything that took the
 * grant out of `provisioning`) is stored, the next read sees it, the fence trips, and no further request of the
 * run leaves. A revoke written by this process trips the fence at once (`RunningGrants`), so a call waiting on
 * replication delay or on an answer is abandoned without waiting for its next attempt.
 *
 * Why a store read and not only an in-process signal: the revoke may come from another replica, or from a process
 * that started after this one claimed the grant; the store is the one thing every writer shares. The lease does not
 * help: a revoke is written without waiting for it (and keeps it), so the worker holding the lease has to look.
 * What a read cannot stop is a request that left between the read and the revoke: it may still take effect, which
 * is why deprovisioning after a revoke lists what the account really holds and reads it back at the end.
 */
export class RevokeFence {
  private readonly controller = new AbortController();
  /** The read callers may still join: it has not started, so it will see everything stored before they called. */
  private next: Promise<void> | null = null;
  /** The read under way (started before later callers arrived, so they wait for the one after it). */
  private current: Promise<void> | null = null;
  /** Reads made (tests and metrics). */
  reads = 0;

  constructor(
    private readonly store: Store,
    readonly providerId: string,
    readonly grantId: string,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get tripped(): boolean {
    return this.controller.signal.aborted;
  }

  /** Stops the run's privileged calls: those waiting fail at once, later ones are not sent. */
  trip(why = 'revoked'): void {
    if (this.tripped) return;
    this.controller.abort(
      new ConflictError('VERSION_CONFLICT', `The grant was ${why} while it was provisioning; no further privileged call is made`, {
        details: { grantId: this.grantId },
      }),
    );
  }

  /**
   * Resolves once a read of the grant that started after this call found it still provisioning; rejects with the
   * fence's reason otherwise. Callers arriving together share one read.
   */
  check = (): Promise<void> => {
    if (this.tripped) return Promise.reject(this.signal.reason as Error);
    if (this.next) return this.next;
    const after = this.current;
    const read: Promise<void> = (after ? after.then(noop, noop) : Promise.resolve()).then(async () => {
      // From here on the read has started: later callers need the one after it.
      if (this.next === read) this.next = null;
      this.current = read;
      try {
        await this.read();
      } finally {
        if (this.current === read) this.current = null;
      }
    });
    this.next = read;
    return read;
  };

  private async read(): Promise<void> {
    if (this.tripped) throw this.signal.reason as Error;
    this.reads++;
    const stored = await this.store.getGrant(this.providerId, this.grantId);
    if (!stored) this.trip('removed');
    else if (stored.state !== 'provisioning') this.trip(stored.endReason === 'break_glass' ? 'ended by break glass' : stored.endReason === 'revoked' ? 'revoked' : `moved to ${stored.state}`);
    if (this.tripped) throw this.signal.reason as Error;
  }
}

const noop = (): void => {};

/**
 * The grants this process is provisioning right now, so a revoke written here stops their calls at once instead
 * of at their next request. Only a shortcut: the fence's own store read is what makes a revoke from anywhere win.
 */
export class RunningGrants {
  private readonly fences = new Map<string, Set<RevokeFence>>();

  add(fence: RevokeFence): () => void {
    const key = `${fence.providerId}\n${fence.grantId}`;
    let set = this.fences.get(key);
    if (!set) this.fences.set(key, (set = new Set()));
    set.add(fence);
    return () => {
      set.delete(fence);
      if (set.size === 0 && this.fences.get(key) === set) this.fences.delete(key);
    };
  }

  /** A revoke of this grant was stored: trip its fences. */
  revoked(providerId: string, grantId: string, why = 'revoked'): void {
    for (const fence of this.fences.get(`${providerId}\n${grantId}`) ?? []) fence.trip(why);
  }
}
