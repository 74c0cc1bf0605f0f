/**
 * The adapter over the fake Entra ID: one fake and msw server per test file, a fresh adapter (fresh MSAL
 * client) per test, a recording `fetch` that keeps the bodies the adapter sends (the fake's own log keeps
 * no bodies), and the back door the conformance suite reads.
 */
import { afterAll, beforeAll } from 'vitest';
import type { DirectoryInspector } from '@jitadmin/core/testing';
import { createFakeEntra, setupFakeEntraServer, type FakeEntra, type FakeTenant } from '@jitadmin/entra-adapter/testing';
import { entraDirectory, type EntraDirectoryOptions } from '../../../src/index.js';
import { memoryLogger } from './mini-graph.js';

export const CLIENT_ID = '0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b';
export const CLIENT_SECRET = 'fake-client-secret-NEVER-SHOWN-8c1b2a';

export interface SentBody {
  method: string;
  path: string;
  body: unknown;
  /** The bearer token sent (to check it never leaks). */
  token: string;
}

/** Starts a fake Entra ID (and its msw server) for the test file. */
export function useFakeEntra(options: { now?: () => number } = {}): FakeEntra {
  const fake = createFakeEntra(options.now ? { now: options.now } : {});
  const server = setupFakeEntraServer(fake);
  fake.registerApp({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  beforeAll(() => server.listen());
  afterAll(() => server.close());
  return fake;
}

/** A fresh adapter over the fake, recording bodies, with fast retries. */
export function adapterOverFake(overrides: Partial<EntraDirectoryOptions> = {}) {
  const { fetch: inner = (...args: Parameters<typeof fetch>) => globalThis.fetch(...args), ...rest } = overrides;
  const sent: SentBody[] = [];
  const logger = memoryLogger();
  const recordingFetch: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
    if (url.startsWith('https://graph.microsoft.com/')) {
      sent.push({
        method: init?.method ?? 'GET',
        path: new URL(url).pathname.replace(/^\/v1\.0/, ''),
        body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
        token: (new Headers(init?.headers).get('authorization') ?? '').replace(/^Bearer /, ''),
      });
    }
    return inner(input, init);
  };
  const directory = entraDirectory({
    clientId: CLIENT_ID,
    credential: { clientSecret: CLIENT_SECRET },
    retry: { maxAttempts: 4, baseDelayMs: 2, maxDelayMs: 20, deadlineMs: 5_000 },
    replicationRetry: { deadlineMs: 5_000 },
    requestTimeoutMs: 10_000,
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 5))),
    fetch: recordingFetch,
    logger,
    ...rest,
  });
  return { directory, sent, logger };
}

/** The back door onto a fake tenant: its real state, not Graph through the adapter. */
export function inspectorFor(fake: FakeEntra, tenant: FakeTenant, now: () => number = Date.now): DirectoryInspector {
  return {
    async user(key) {
      const live = tenant.findUser(key);
      if (live) {
        return { objectId: live.id, userPrincipalName: live.userPrincipalName, enabled: live.accountEnabled, managed: live.employeeType === 'jitadmin', deleted: false };
      }
      const gone = [...tenant.deletedItems.values()].find((u) => u.id === key || u.userPrincipalName.toLowerCase() === key.toLowerCase());
      return gone
        ? { objectId: gone.id, userPrincipalName: gone.userPrincipalName, enabled: gone.accountEnabled, managed: gone.employeeType === 'jitadmin', deleted: true }
        : null;
    },
    async roleIds(objectId) {
      return tenant.rolesOf(objectId);
    },
    async hasTap(objectId) {
      const tap = tenant.taps.get(objectId);
      return !!tap && Date.parse(tap.startDateTime) + tap.lifetimeInMinutes * 60_000 > now();
    },
    async sessionsRevoked(objectId) {
      return tenant.sessionRevocations.filter((r) => r.userId === objectId).length;
    },
    async createUnmanagedUser(upn) {
      return { objectId: tenant.addUser({ userPrincipalName: upn }).id };
    },
    async addRoleByHand(objectId, roleId) {
      tenant.assignRoleByHand(objectId, roleId);
    },
    async passwordMatches(objectId, password) {
      return (tenant.findUser(objectId) ?? tenant.deletedItems.get(objectId))?.password === password;
    },
    async tapMatches(objectId, pass) {
      return tenant.taps.get(objectId)?.temporaryAccessPass === pass;
    },
    async assignmentOf(objectId, roleId) {
      const rid = roleId.toLowerCase();
      const schedule = [...tenant.schedules.values()].find((s) => s.principalId === objectId && s.roleDefinitionId.toLowerCase() === rid);
      if (schedule) return { kind: 'timeBound', until: schedule.endDateTime };
      const direct = [...tenant.roleAssignments.values()].find((a) => a.principalId === objectId && a.roleDefinitionId.toLowerCase() === rid);
      return direct ? { kind: 'direct', until: null } : null;
    },
  };
}
