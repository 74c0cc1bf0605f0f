/**
 * One jitadmin "process" that can die: a `createJitAdmin` service with its scheduler, a fresh `entraDirectory`
 * adapter (fresh MSAL client), a view of the shared store and a `fetch` that both die with the process. A
 * restart throws the whole process away and builds a new one over the same store and the same fake Entra ID,
 * which is all a real restart keeps.
 *
 * Ways to die, all deterministic:
 * - `transactionsLeft: n`: n store transactions commit, the next one throws (the process died before that
 *   write reached the store);
 * - `crashAt: { match, point: 'before-send' }`: dies when it is about to send the first matching Graph call
 *   (after the previous write committed, before the call);
 * - `crashAt: { match, point: 'after-send' }`: sends the first matching call, the fake applies it, and the
 *   process dies before the answer is read (the answer is lost, nothing of it is recorded).
 *
 * @module
 */
import {
  createJitAdmin,
  type Clock,
  type JitAdmin,
  type JitAdminOptions,
  type Logger,
  type SecretBox,
  type Store,
} from '@jitadmin/core';
import { entraDirectory, type EntraDirectoryAdapter, type EntraDirectoryOptions } from '@jitadmin/entra-adapter';

export class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

export const GRAPH_V1 = 'https://graph.microsoft.com/v1.0';

/** A Graph call as the process sends it. */
export interface GraphCallInfo {
  method: string;
  /** Path after `/v1.0`, without the query. */
  path: string;
  /** The `action` of a PIM schedule request (`adminAssign`, `adminRemove` …), else undefined. */
  action: string | undefined;
  /** The parsed JSON body, if any (never logged: it may hold a password). */
  body: unknown;
}

/** What happened to one Graph call, kept across processes so a case can count effects. */
export interface CallRecord extends Omit<GraphCallInfo, 'body'> {
  /** HTTP status; 0 for a network error; -1 when the answer was dropped by a crash after the call. */
  status: number;
  /** The UPN of a `POST /users`. */
  upn?: string;
  /** The `principalId` of a role assignment (direct or PIM) the call asks for. */
  principalId?: string;
  /** A `PATCH /users/{id}` that turns the account on. */
  enables?: boolean;
  process: number;
}

export type CrashPoint = 'before-send' | 'after-send';

export interface DeathPlan {
  transactionsLeft?: number;
  crashAt?: { match: (call: GraphCallInfo) => boolean; point: CrashPoint };
  /** Dies at the n-th Graph call (1-based), at the given point (random crashes of the chaos run). */
  crashAtCall?: { n: number; point: CrashPoint };
}

/** The life of one process: whether it is dead, and what it did before dying. */
export class Life {
  dead = false;
  /** Store transactions started. */
  transactions = 0;
  /** Graph calls started. */
  graphCalls = 0;
  /** `transactions` when the first call matching `watch` was about to be sent (dry runs). */
  transactionsBeforeWatched: Map<string, number> = new Map();
  private readonly onDeath: (() => void)[] = [];

  constructor(readonly id: number) {}

  kill(): void {
    if (this.dead) return;
    this.dead = true;
    for (const f of this.onDeath) f();
  }

  whenDead(f: () => void): void {
    this.onDeath.push(f);
  }

  guard(): void {
    if (this.dead) throw new SimulatedCrash(`process ${this.id} is dead`);
  }
}

/** A view of `store` that dies with `life` (and kills it after `transactionsLeft` transactions). */
export function mortalStore(store: Store, life: Life, transactionsLeft?: number): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'close') return async () => {};
      return async (...args: unknown[]) => {
        life.guard();
        if (prop === 'transaction' || prop === 'writeGrant') {
          life.transactions++;
          if (transactionsLeft !== undefined && life.transactions > transactionsLeft) {
            life.kill();
            life.guard();
          }
        }
        const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        // A process that died while the store call was in flight never sees its answer.
        life.guard();
        return result;
      };
    },
  });
}

function describeCall(input: Parameters<typeof fetch>[0], init: Parameters<typeof fetch>[1]): { url: string; info: GraphCallInfo } {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
  const u = new URL(url);
  const method = (init?.method ?? (typeof input === 'object' && 'method' in input ? input.method : 'GET')).toUpperCase();
  let body: unknown;
  if (typeof init?.body === 'string') {
    try {
      body = JSON.parse(init.body);
    } catch {
      body = undefined;
    }
  }
  const action = body && typeof body === 'object' && typeof (body as { action?: unknown }).action === 'string' ? (body as { action: string }).action : undefined;
  return { url, info: { method, path: u.pathname.replace(/^\/v1\.0/, '') || '/', action, body } };
}

/**
 * A `fetch` that dies with `life`: a dead process sends nothing (Graph or login). Graph calls are recorded in
 * `log` with what came back, and the plan's crash points are applied.
 */
export function mortalFetch(
  life: Life,
  plan: DeathPlan,
  log: CallRecord[] | null,
  watch: Record<string, (c: GraphCallInfo) => boolean> = {},
  onCall?: (r: CallRecord) => void,
  transport: typeof fetch = (...args) => globalThis.fetch(...args),
): typeof fetch {
  let crashUsed = false;
  return async (input, init) => {
    life.guard();
    const { url, info } = describeCall(input, init);
    if (!url.startsWith(GRAPH_V1)) return transport(input, init);
    life.graphCalls++;
    for (const [name, match] of Object.entries(watch)) {
      if (!life.transactionsBeforeWatched.has(name) && match(info)) life.transactionsBeforeWatched.set(name, life.transactions);
    }
    let point: CrashPoint | null = null;
    if (!crashUsed && plan.crashAt && plan.crashAt.match(info)) point = plan.crashAt.point;
    if (!crashUsed && plan.crashAtCall && life.graphCalls === plan.crashAtCall.n) point = plan.crashAtCall.point;
    const record: CallRecord = {
      method: info.method,
      path: info.path,
      action: info.action,
      status: 0,
      process: life.id,
      ...(info.method === 'POST' && info.path === '/users' ? { upn: String((info.body as { userPrincipalName?: unknown })?.userPrincipalName ?? '') } : {}),
      ...(info.method === 'POST' && typeof (info.body as { principalId?: unknown } | undefined)?.principalId === 'string'
        ? { principalId: (info.body as { principalId: string }).principalId }
        : {}),
      ...(info.method === 'PATCH' && (info.body as { accountEnabled?: unknown } | undefined)?.accountEnabled === true ? { enables: true } : {}),
    };
    if (point === 'before-send') {
      crashUsed = true;
      life.kill();
      life.guard();
    }
    log?.push(record);
    let res: Response;
    try {
      res = await transport(input, init);
    } catch (error) {
      record.status = 0;
      onCall?.(record);
      throw error;
    }
    record.status = res.status;
    if (point === 'after-send') {
      crashUsed = true;
      record.status = -1;
      onCall?.(record);
      life.kill();
      life.guard();
    }
    onCall?.(record);
    life.guard();
    return res;
  };
}

export interface ProcessConfig {
  store: Store;
  clock: Clock;
  secretBox: SecretBox;
  clientId: string;
  clientSecret: string;
  jitOptions: Partial<JitAdminOptions>;
  adapterOptions: Partial<EntraDirectoryOptions>;
  logger?: Logger;
  /** Graph calls of every process, kept across restarts. */
  callLog?: CallRecord[];
  /** Told of every Graph call when it ends (status 0: network error, -1: answer lost in a crash). */
  onCall?: (r: CallRecord) => void;
  /** How requests are sent (default: the global `fetch`, which msw intercepts). */
  transport?: typeof fetch;
}

export interface JitProcess {
  life: Life;
  jit: JitAdmin;
  directory: EntraDirectoryAdapter;
  store: Store;
}

let processCounter = 0;

/**
 * Starts a process over the shared store. The adapter is told what each connected tenant's preflight found
 * (P2, TAP policy), as a server does after a restart.
 */
export async function startProcess(
  config: ProcessConfig,
  plan: DeathPlan = {},
  watch: Record<string, (c: GraphCallInfo) => boolean> = {},
): Promise<JitProcess> {
  const life = new Life(++processCounter);
  const store = mortalStore(config.store, life, plan.transactionsLeft);
  const directory = entraDirectory({
    clientId: config.clientId,
    credential: { clientSecret: config.clientSecret },
    // The test clock alone: the adapter's deadlines count the waits it asked for (`sleep`), never real time, so
    // how a run goes does not depend on how fast the machine is.
    now: () => config.clock.now(),
    ...config.adapterOptions,
    ...(config.logger ? { logger: config.logger } : {}),
    fetch: mortalFetch(life, plan, config.callLog ?? null, watch, config.onCall, config.transport),
  });
  for (const provider of await config.store.listProviders()) {
    for (const customer of await config.store.listCustomers(provider.id)) {
      const caps = customer.connection?.capabilities;
      if (customer.connection && caps) directory.setTenantCapabilities(customer.connection.tenantId, { p2: caps.p2, tapPolicy: caps.tapPolicy });
    }
  }
  const jit = createJitAdmin({
    store,
    directory,
    secretBox: config.secretBox,
    clock: config.clock,
    ...(config.logger ? { logger: config.logger } : {}),
    options: { ...config.jitOptions, workerId: `proc-${life.id}` },
  });
  return { life, jit, directory, store };
}

/** Runs `fn`; a crash of the process (or any error once it is dead) is swallowed, anything else is thrown. */
export async function survive<T>(life: Life, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (error) {
    if (life.dead || error instanceof SimulatedCrash) return undefined;
    throw error;
  }
}
