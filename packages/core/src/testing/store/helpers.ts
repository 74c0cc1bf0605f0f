import { describe, expect } from 'vitest';
import { ERROR_CODES, type ErrorCode, type JitError } from '../../errors.js';
import type { StoreConformanceOptions, StoreConformanceSection, StoreHarness } from './types.js';

/** What each section of the suite gets: the current test's harness and the suite's options. */
export interface SuiteContext {
  h(): StoreHarness;
  options: StoreConformanceOptions;
}

/** A `describe` block that is skipped, with its reason in its name, when the options skip the section. */
export function section(ctx: SuiteContext, key: StoreConformanceSection, title: string, body: () => void): void {
  const reason = ctx.options.skip?.[key];
  if (reason) describe.skip(`${title} [skipped: ${reason}]`, body);
  else describe(title, body);
}

/** What the promise rejected with (fails the test if it resolved). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  let outcome: { value: unknown } | undefined;
  const error = await promise.then(
    (value) => {
      outcome = { value };
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(outcome, 'expected a rejection, but the call succeeded').toBeUndefined();
  return error;
}

/**
 * Whether `value` is a jitadmin error. By shape, not `instanceof`: a store built against the package's main
 * entry may hold another copy of the class than this testing entry (CommonJS bundles do not share chunks).
 */
export function isJitErrorLike(value: unknown): value is JitError {
  return value instanceof Error && ERROR_CODES.includes((value as { code?: unknown }).code as ErrorCode);
}

/** Expects a jitadmin error with `code`, and returns it. */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<JitError> {
  const error = await rejection(promise);
  expect(isJitErrorLike(error), `expected a jitadmin error ${code}, got ${String(error)}`).toBe(true);
  expect((error as JitError).code).toBe(code);
  return error as JitError;
}

/** Sorts records by id, for comparing listings whose order the port leaves open. */
export const sortById = <T extends { id: string }>(items: readonly T[]): T[] =>
  [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** A promise and its resolver, to hold a transaction open while the test looks from outside. */
export function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Settles all, then splits them: what fulfilled and what rejected. */
export async function settle<T>(promises: readonly Promise<T>[]): Promise<{ ok: T[]; failed: unknown[] }> {
  const results = await Promise.allSettled(promises);
  return {
    ok: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    failed: results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : [])),
  };
}

export const codeOf = (error: unknown): string | undefined => (isJitErrorLike(error) ? error.code : undefined);
