import type { Grant } from '../domain/grant.js';
import type { Context } from '../engine/context.js';
import type { GrantEngine, KnownRecords, PreparedStart, RunScope } from '../engine/grant-engine.js';
import type { ReconcileReport } from '../service/types.js';

/**
 * A slot in this process's scheduler for a grant that a caller is about to write as due now: the caller writes
 * the grant with `lease` (in the same transaction as its change), then calls `start`, and the grant runs at once,
 * without a claim or a wake-up in between. `cancel` gives the slot back when the write failed.
 */
export interface Reservation {
  readonly lease: { owner: string; until: string };
  /**
   * For an approved grant: the start of provisioning, to write in the same transaction (then pass it to
   * `start`). Null when the grant cannot start now.
   */
  prepareStart(grant: Grant, known?: KnownRecords): Promise<PreparedStart | null>;
  /** Runs the grant as stored by the write that carried `lease` (and `prepared`, if it was written too). */
  start(grant: Grant, prepared?: PreparedStart | null): void;
  cancel(): void;
}

export interface SchedulerStats {
  passes: number;
  stepsRun: number;
  failures: number;
  /** How late the last claimed grant was, against its `dueAt` (ms). */
  lastLagMs: number;
  maxLagMs: number;
}

/**
 * The worker loop. The store is the queue: each pass claims due grants with a lease and runs them. Between
 * passes it sleeps until the nearest `dueAt` (so expiry lag stays low) but never longer than the sweep
 * interval (which also catches whatever fell due while the process was down). `poke()` wakes it early.
 */
export class Scheduler {
  readonly stats: SchedulerStats = { passes: 0, stepsRun: 0, failures: 0, lastLagMs: 0, maxLagMs: 0 };
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: AbortController = new AbortController();
  private pass: Promise<number> | null = null;
  private lastReconcile = 0;
  private readonly inFlight = new Set<Promise<void>>();
  /** Slots promised to callers of `reserve` that have not started their grant yet. */
  private reserved = 0;

  constructor(
    private readonly ctx: Context,
    private readonly engine: GrantEngine,
    private readonly reconcile: () => Promise<ReconcileReport>,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts the loop in the background. Calling it twice does nothing. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastReconcile = this.ctx.clock.now();
    this.loop = this.runLoop();
  }

  /** Stops taking work and waits for the step in hand to finish. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake.abort();
    await this.loop;
    // A grant reserved before the stop starts when its write lands (or the slot is given back): wait for both.
    while (this.inFlight.size > 0 || this.reserved > 0) {
      if (this.inFlight.size > 0) await Promise.all(this.inFlight);
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
    this.loop = null;
  }

  /**
   * A slot to run a grant now, for a caller (approve, revoke) that is making it due: null when the loop is not
   * running in this process or every slot is taken (then write the grant unleased and `poke()`).
   */
  reserve(): Reservation | null {
    const { options, clock } = this.ctx;
    if (!this.running || this.inFlight.size + this.reserved >= options.concurrency) return null;
    this.reserved++;
    let open = true;
    const close = (): boolean => {
      if (!open) return false;
      open = false;
      this.reserved--;
      return true;
    };
    const scope = this.engine.newScope();
    return {
      lease: { owner: options.workerId, until: new Date(clock.now() + options.leaseMs).toISOString() },
      prepareStart: (grant, known) => this.engine.prepareStart(grant, scope, known),
      start: (grant, prepared) => {
        if (!close()) return;
        if (prepared) scope.password = prepared.password;
        this.startTask(grant, clock.now(), scope);
      },
      cancel: () => {
        close();
      },
    };
  }

  /** Wakes the loop now (new work was just made due). */
  poke(): void {
    this.wake.abort();
  }

  /** One pass: claims due grants, runs them, and waits for them; returns how many were claimed. */
  runOnce(): Promise<number> {
    // One pass at a time per scheduler: a poke during a pass is picked up by the next one.
    const pass = (this.pass ?? Promise.resolve(0)).then(async () => {
      const { claimed } = await this.claimAndStart();
      await Promise.all(this.inFlight);
      return claimed;
    });
    this.pass = pass.catch(() => 0);
    return pass;
  }

  /** Passes until nothing is due now (tests and shutdown drains). Returns how many grants were run. */
  async drain(maxPasses = 1000): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxPasses; i++) {
      const n = await this.runOnce();
      total += n;
      if (n === 0) break;
    }
    return total;
  }

  /**
   * Claims as many due grants as there are free slots and starts each as its own task. A grant that waits
   * (a Retry-After, a slow tenant) holds one slot, never the others: each finished task frees its slot and
   * wakes the loop.
   */
  private async claimAndStart(): Promise<{ claimed: number; full: boolean; at: number }> {
    const { store, clock, options } = this.ctx;
    const free = options.concurrency - this.inFlight.size - this.reserved;
    const now = clock.now();
    if (free <= 0) return { claimed: 0, full: false, at: now };
    const wanted = Math.min(free, options.claimBatch);
    const claimed = await store.claimDue(now, wanted, options.leaseMs, options.workerId);
    this.stats.passes++;
    for (const grant of claimed) this.startTask(grant, now);
    return { claimed: claimed.length, full: claimed.length === wanted, at: now };
  }

  private startTask(grant: Grant, claimedAt: number, scope?: RunScope): void {
    const task: Promise<void> = this.runGrant(grant, claimedAt, scope).finally(() => {
      this.inFlight.delete(task);
      this.poke();
    });
    this.inFlight.add(task);
  }

  private async runGrant(grant: Grant, claimedAt: number, scope?: RunScope): Promise<void> {
    const lag = grant.dueAt ? Math.max(0, claimedAt - Date.parse(grant.dueAt)) : 0;
    this.stats.lastLagMs = lag;
    this.stats.maxLagMs = Math.max(this.stats.maxLagMs, lag);
    try {
      await this.engine.run(grant, scope);
      this.stats.stepsRun++;
    } catch (error) {
      this.stats.failures++;
      // The lease lapses and another pass retries the grant.
      this.ctx.logger.error(
        { grantId: grant.id, providerId: grant.providerId, code: (error as { code?: string }).code ?? 'UNKNOWN' },
        'scheduler could not run a grant',
      );
    }
  }

  private async runLoop(): Promise<void> {
    const { clock, store, options, logger } = this.ctx;
    while (this.running) {
      let claimed = 0;
      let full = false;
      let claimedAt = clock.now();
      try {
        ({ claimed, full, at: claimedAt } = await this.claimAndStart());
        if (options.reconcileIntervalMs > 0 && clock.now() - this.lastReconcile >= options.reconcileIntervalMs) {
          this.lastReconcile = clock.now();
          await this.reconcile().catch((error: unknown) =>
            logger.error({ code: (error as { code?: string }).code ?? 'UNKNOWN' }, 'reconcile failed'),
          );
        }
      } catch (error) {
        logger.error({ code: (error as { code?: string }).code ?? 'UNKNOWN' }, 'scheduler pass failed');
      }
      if (!this.running) break;
      const slotsLeft = this.inFlight.size + this.reserved < options.concurrency;
      // A full batch: more may be due, claim again at once. A short one emptied what was due; asking again
      // now would only compete with the grants just started (on PGlite, for its one connection).
      if (full && slotsLeft) continue;
      let waitMs = options.sweepIntervalMs;
      let due: number | null = null;
      try {
        due = await store.nextDueAt();
        if (due !== null && slotsLeft) waitMs = Math.min(waitMs, Math.max(0, due - clock.now()));
      } catch {
        // The store is down: sleep the sweep interval and try again.
      }
      // Due already when we asked, yet nothing claimed (leased by another worker): poll gently rather than
      // spin. Work that fell due just after the claim's instant is claimed at once instead.
      if (claimed === 0 && due !== null && due <= claimedAt) waitMs = Math.max(waitMs, 50);
      if (options.reconcileIntervalMs > 0) {
        waitMs = Math.min(waitMs, Math.max(0, this.lastReconcile + options.reconcileIntervalMs - clock.now()));
      }
      if (this.wake.signal.aborted) this.wake = new AbortController();
      else if (waitMs > 0) {
        await clock.sleep(waitMs, this.wake.signal);
        if (this.wake.signal.aborted) this.wake = new AbortController();
      }
    }
  }
}
