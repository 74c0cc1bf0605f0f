/**
 * What the parent test and its replica processes share: a clock that runs fast (so minute-long grants
 * take seconds) and agrees across processes, and a DirectoryAdapter that forwards every call to the one
 * fake directory in the parent over HTTP (so all replicas act on one directory, as on one real tenant).
 *
 * Relative imports to core's sources: the replicas run under plain `node --import tsx`, outside vitest.
 */
import { DIRECTORY_ERROR_CODES, DirectoryError, JitError, systemClock, type Clock, type DirectoryAdapter, type ErrorCode } from '../../../core/src/index.js';
import { DIRECTORY_METHODS } from '../../../core/src/testing/directory/fake-faults.js';

/** Logical time = origin + (wall time − origin) × speed, identical in every process given the same origin. */
export function fastClock(originMs: number, speed: number): Clock {
  return {
    now: () => Math.floor(originMs + (Date.now() - originMs) * speed),
    sleep: (ms, signal) => systemClock.sleep(ms / speed, signal),
  };
}

export const DIRECTORY_METHOD_NAMES = DIRECTORY_METHODS;

export interface RpcError {
  code: ErrorCode;
  message: string;
  retryAfterMs?: number;
}

const DIRECTORY_CODES = new Set<string>(DIRECTORY_ERROR_CODES);

/** A DirectoryAdapter whose every call runs in the parent's fake directory. */
export async function remoteDirectory(baseUrl: string): Promise<DirectoryAdapter> {
  const meta = (await (await fetch(`${baseUrl}/meta`)).json()) as Pick<DirectoryAdapter, 'name' | 'capabilities'>;
  const call = async (method: string, args: unknown[]): Promise<unknown> => {
    const response = await fetch(`${baseUrl}/call/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // Core's revoke fence (functions, an AbortSignal) cannot cross the wire: leave it out.
      body: JSON.stringify(args.filter((a) => !(a && typeof a === 'object' && ('beforeSend' in a || 'signal' in a)))),
    });
    const body = (await response.json()) as { ok: true; value: unknown } | { ok: false; error: RpcError };
    if (body.ok) return body.value;
    const { code, message, retryAfterMs } = body.error;
    const options = retryAfterMs === undefined ? {} : { retryAfterMs };
    throw DIRECTORY_CODES.has(code) ? new DirectoryError(code as never, message, options) : new JitError(code, message, options);
  };
  // Calls cannot be stopped part-way over this wire: core checks for a revoke before each call instead.
  const adapter: Record<string, unknown> = { name: meta.name, capabilities: { ...meta.capabilities, abortableCalls: false } };
  for (const method of DIRECTORY_METHOD_NAMES) adapter[method] = (...args: unknown[]) => call(method, args);
  return adapter as unknown as DirectoryAdapter;
}
