import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, expect } from 'vitest';
import type { DirectoryCapability } from '../../ports/directory.js';
import type {
  DirectoryConformanceContext,
  DirectoryConformanceOptions,
  DirectoryConformanceSetupOptions,
  DirectoryInspector,
  UseDirectoryContext,
} from './conformance-types.js';
import { ROLE_IDS } from './roles.js';

/** Roles the suite assigns; every directory under test must know these template ids. */
export const CONFORMANCE_ROLE_IDS = [
  ROLE_IDS.globalReader,
  ROLE_IDS.helpdeskAdministrator,
  ROLE_IDS.securityReader,
  ROLE_IDS.userAdministrator,
] as const;

export const ALL_TENANT_COMBINATIONS: readonly DirectoryConformanceSetupOptions[] = [
  { p2: true, tap: true },
  { p2: true, tap: false },
  { p2: false, tap: true },
  { p2: false, tap: false },
];

export const describeCombination = (o: DirectoryConformanceSetupOptions) =>
  `tenant with P2 ${o.p2 ? 'on' : 'off'}, TAP policy ${o.tap ? 'on' : 'off'}`;

/** A fresh context per test: `setup` before, `teardown` after. */
export function makeUseContext(options: DirectoryConformanceOptions): UseDirectoryContext {
  return (requested = {}) => {
    let ctx: DirectoryConformanceContext | undefined;
    beforeEach(async () => {
      ctx = await options.setup({ p2: true, tap: true, ...requested });
      if (!ctx.tenant.defaultDomain) throw new Error('directory conformance: setup must return a tenant with a default domain');
    });
    afterEach(async () => {
      const done = ctx;
      ctx = undefined;
      await done?.teardown();
    });
    return () => {
      if (!ctx) throw new Error('directory conformance: no context (used outside a test?)');
      return ctx;
    };
  };
}

/** A UPN no earlier test used, on the tenant's default domain. */
export function uniqueUpn(ctx: DirectoryConformanceContext, purpose: string): string {
  return `jit-${purpose}-${randomBytes(5).toString('hex')}@${ctx.tenant.defaultDomain}`;
}

/** A password that meets Entra's complexity rules (4 character classes, 20+ characters). */
export function strongPassword(): string {
  return `Jt-${randomBytes(12).toString('base64url')}-9aZ!`;
}

/** An object id no directory holds. */
export const missingObjectId = (): string => randomUUID();

/** The directory's notion of now: `ctx.now` when the setup gave one, else the wall clock. */
export const nowOf = (ctx: DirectoryConformanceContext): number => ctx.now?.() ?? Date.now();

export const iso = (ms: number): string => new Date(ms).toISOString();

/** A new account through the port, checked to be new. */
export async function createAccount(ctx: DirectoryConformanceContext, purpose: string) {
  const userPrincipalName = uniqueUpn(ctx, purpose);
  const password = strongPassword();
  const { account, created } = await ctx.directory.createAccount(ctx.tenant, {
    userPrincipalName,
    displayName: `JIT ${purpose}`,
    password,
  });
  expect(created).toBe(true);
  return { account, password, userPrincipalName };
}

/**
 * Awaits `promise` and checks it failed with a `DirectoryError` of `code` whose message starts with the adapter's
 * name and carries none of `secrets`. Checks `name`, not `instanceof`, so a bundled copy of core still matches.
 */
export async function expectDirectoryError(
  ctx: DirectoryConformanceContext,
  promise: Promise<unknown>,
  code: string,
  secrets: readonly string[] = [],
): Promise<void> {
  let caught: unknown;
  let failed = false;
  try {
    await promise;
  } catch (error) {
    caught = error;
    failed = true;
  }
  expect(failed, `expected the call to fail with ${code}`).toBe(true);
  expect(caught).toMatchObject({ name: 'DirectoryError', code });
  const message = (caught as Error).message;
  expect(message.startsWith(ctx.directory.name), `message should start with "${ctx.directory.name}": ${message}`).toBe(true);
  for (const secret of secrets) expect(message).not.toContain(secret);
}

/** Skips the running test with an explanation when the adapter lacks `capability`. */
export function requireCapability(
  skip: (condition: boolean, note?: string) => void,
  ctx: DirectoryConformanceContext,
  capability: DirectoryCapability,
): void {
  skip(!ctx.directory.capabilities[capability], `adapter "${ctx.directory.name}" declares ${capability}: false`);
}

type OptionalInspection = 'passwordMatches' | 'tapMatches' | 'assignmentOf';
type Annotate = (message: string, type?: string) => Promise<unknown>;

/**
 * An optional back-door method, bound, or undefined when the inspector lacks it; then the test notes (as a test
 * annotation) which check it could not make, and still runs the rest.
 */
export function optionalInspector<K extends OptionalInspection>(
  ctx: DirectoryConformanceContext,
  method: K,
  annotate: Annotate,
): NonNullable<DirectoryInspector[K]> | undefined {
  const fn = ctx.inspect[method] as ((...args: unknown[]) => unknown) | undefined;
  if (!fn) {
    void annotate(`not checked: the inspector has no ${method}()`, 'notice');
    return undefined;
  }
  return ((...args: unknown[]) => fn.apply(ctx.inspect, args)) as NonNullable<DirectoryInspector[K]>;
}
