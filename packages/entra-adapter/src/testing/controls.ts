import type { FakeControls, FakeFault, FakeThrottleLimit, FakeTokenFault } from './types.js';

interface Window {
  start: number;
  count: number;
}

/** The knobs tests turn: latency, throttling, injected faults, replication delay and token faults. */
export class Controls implements FakeControls {
  latencyMs: number;
  replicationDelayMs = 0;
  replicationHidesFromQueries = false;
  strictQueries: boolean;
  private readonly limits = new Map<string, FakeThrottleLimit>();
  private readonly windows = new Map<string, Window>();
  private faults: { fault: FakeFault; left: number }[] = [];
  private readonly tokenFaults = new Map<string, FakeTokenFault>();

  constructor(
    private readonly now: () => number,
    private readonly initialLatencyMs: number,
    private readonly initialStrictQueries = true,
  ) {
    this.latencyMs = initialLatencyMs;
    this.strictQueries = initialStrictQueries;
  }

  throttle(tenantId: string, limit: FakeThrottleLimit | null): void {
    if (limit && (!(limit.requests >= 0) || !(limit.windowMs > 0))) {
      throw new TypeError('fake-entra: throttle needs requests >= 0 and windowMs > 0');
    }
    if (limit) this.limits.set(tenantId, { ...limit });
    else this.limits.delete(tenantId);
    this.windows.clear();
  }

  inject(fault: FakeFault): void {
    this.faults.push({ fault: { ...fault }, left: fault.times ?? Number.POSITIVE_INFINITY });
  }

  tokenFault(tenantId: string, fault: FakeTokenFault | null): void {
    if (fault) this.tokenFaults.set(tenantId, { ...fault });
    else this.tokenFaults.delete(tenantId);
  }

  clear(): void {
    this.limits.clear();
    this.windows.clear();
    this.faults = [];
    this.tokenFaults.clear();
    this.latencyMs = 0;
    this.replicationDelayMs = 0;
    this.replicationHidesFromQueries = false;
  }

  /** Back to the options the fake was created with. */
  reset(): void {
    this.clear();
    this.latencyMs = this.initialLatencyMs;
    this.strictQueries = this.initialStrictQueries;
  }

  tokenFaultFor(tenantId: string): FakeTokenFault | undefined {
    return this.tokenFaults.get(tenantId) ?? this.tokenFaults.get('*');
  }

  /** The first matching fault with calls left, counted as used; `statusOnly` inside `$batch`. */
  takeFault(
    call: { tenantId: string | null; method: string; path: string; target?: 'graph' | 'login' },
    statusOnly: boolean,
  ): FakeFault | null {
    for (const f of this.faults) {
      const { fault } = f;
      if (f.left <= 0) continue;
      if ((fault.target ?? 'graph') !== (call.target ?? 'graph')) continue;
      if (statusOnly && fault.kind !== 'status') continue;
      if (fault.tenantId !== undefined && fault.tenantId !== call.tenantId) continue;
      if (fault.method !== undefined && fault.method.toUpperCase() !== call.method) continue;
      if (fault.path !== undefined) {
        const ok = typeof fault.path === 'string' ? call.path.startsWith(fault.path) : fault.path.test(call.path);
        if (!ok) continue;
      }
      f.left--;
      return fault;
    }
    return null;
  }

  /** Counts one call against the tenant's budget; the Retry-After seconds when it is over, else null. */
  spend(tenantId: string, method: string): number | null {
    const limit = this.limits.get(tenantId) ?? this.limits.get('*');
    if (!limit) return null;
    if (limit.methods && !limit.methods.some((m) => m.toUpperCase() === method)) return null;
    const now = this.now();
    let w = this.windows.get(tenantId);
    if (!w || now >= w.start + limit.windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(tenantId, w);
    }
    w.count++;
    if (w.count <= limit.requests) return null;
    return limit.retryAfterSeconds ?? Math.max(1, Math.ceil((w.start + limit.windowMs - now) / 1000));
  }
}
