/**
 * What the server needs from core's `createJitAdmin`: the service plus its scheduler and reconciler handles.
 * Declared here so the server depends on the shape, not on how core builds it.
 */
import type { JitAdminService, ReconcileReport } from '@jitadmin/core';

export interface SchedulerHandle {
  start(): void;
  /** Stops claiming work and finishes the step in hand. */
  stop(): Promise<void>;
  runOnce(): Promise<number>;
  /** Looks for due work now (after a write that made something due). */
  poke(): void;
}

export interface JitRuntime extends JitAdminService {
  scheduler: SchedulerHandle;
  reconcile(): Promise<ReconcileReport>;
  close(): Promise<void>;
}
