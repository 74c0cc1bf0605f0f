/**
 * Runs the reconciler on an interval (and records each report as metrics): accounts marked as ours that no
 * live grant owns are removed, role drift is stripped. Every replica may run it; its steps are idempotent.
 */
import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';
import type { JitRuntime } from './runtime.js';

export function startReconcileLoop(deps: { jit: JitRuntime; metrics: Metrics; logger: Logger; intervalMs: number }): { stop(): void; runNow(): Promise<void> } {
  let running: Promise<void> | null = null;
  const run = () =>
    (running ??= (async () => {
      try {
        const report = await deps.jit.reconcile();
        deps.metrics.reconcileRuns.inc({ outcome: report.errors.length === 0 ? 'ok' : 'partial' });
        deps.metrics.reconcileOrphans.inc(report.orphansRemoved.length);
        deps.metrics.reconcileDrift.inc(report.driftRemoved.length);
        deps.metrics.reconcileLastRun.set(Date.now() / 1000);
        deps.logger.info(
          { tenants: report.tenants, orphans: report.orphansRemoved.length, drift: report.driftRemoved.length, errors: report.errors.length },
          'reconcile finished',
        );
      } catch (error) {
        deps.metrics.reconcileRuns.inc({ outcome: 'failed' });
        deps.logger.error({ code: (error as { code?: unknown }).code ?? 'UNKNOWN' }, 'reconcile failed');
      } finally {
        running = null;
      }
    })());
  const timer = setInterval(() => void run(), deps.intervalMs);
  timer.unref();
  // A first pass soon after start catches what was left while the process was down.
  const first = setTimeout(() => void run(), Math.min(deps.intervalMs, 30_000));
  first.unref();
  return {
    stop: () => {
      clearInterval(timer);
      clearTimeout(first);
    },
    runNow: run,
  };
}
