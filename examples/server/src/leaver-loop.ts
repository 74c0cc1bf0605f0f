/**
 * The leaver sweep, every half minute: ends again whatever an inactive technician still holds (a grant that
 * raced with the deactivation, a revoke that failed), so a leaver holds nothing a minute after deactivation
 * (DESIGN.md invariant 8). It also purges sessions and tokens that ended more than a day ago. Every replica may
 * run it; its steps are idempotent.
 */
import type { Logger } from 'pino';
import { setupActor } from './auth/roster.js';
import type { JitRuntime } from './runtime.js';
import type { Store } from '@jitadmin/core';

const KEEP_ENDED_MS = 24 * 3_600_000;

export function startLeaverLoop(deps: { jit: JitRuntime; store: Store; providerId: string; logger: Logger; intervalMs: number; now: () => number }): {
  stop(): void;
  runNow(): Promise<void>;
} {
  let running: Promise<void> | null = null;
  const run = () =>
    (running ??= (async () => {
      try {
        const reports = await deps.jit.sweepLeavers(setupActor(deps.providerId));
        for (const r of reports) {
          deps.logger.warn(
            { technicianId: r.technician.id, revoked: r.revoked.length, cancelled: r.cancelled.length, sessions: r.sessionsEnded, tokens: r.tokensRevoked },
            'leaver sweep ended access a deactivation had left',
          );
        }
        await deps.store.sessions?.purgeEnded(new Date(deps.now() - KEEP_ENDED_MS).toISOString());
      } catch (error) {
        deps.logger.error({ code: (error as { code?: unknown }).code ?? 'UNKNOWN' }, 'leaver sweep failed');
      } finally {
        running = null;
      }
    })());
  const timer = setInterval(() => void run(), deps.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer), runNow: run };
}
