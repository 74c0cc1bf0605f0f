import { DirectoryError, type DirectoryErrorCode } from '../../errors.js';
import type { DirectoryAdapter } from '../../ports/directory.js';
import type { SeededRandom } from './rng.js';

/** The names of `DirectoryAdapter`'s methods (not `name` or `capabilities`). */
/** The port's required methods (optional ones such as `resolveTenant` are not scripted through faults). */
export type DirectoryMethod = Exclude<
  { [K in keyof DirectoryAdapter]: DirectoryAdapter[K] extends (...args: never[]) => unknown ? K : never }[keyof DirectoryAdapter],
  undefined
>;

export const DIRECTORY_METHODS: readonly DirectoryMethod[] = Object.freeze([
  'getTenantInfo',
  'preflight',
  'listRoleDefinitions',
  'createAccount',
  'findAccount',
  'enableAccount',
  'assignRole',
  'createTemporaryAccessPass',
  'listRoleAssignments',
  'removeRoleAssignments',
  'revokeSessions',
  'disableAccount',
  'deleteAccount',
  'readAccount',
  'listManagedAccounts',
] satisfies DirectoryMethod[]);

/** The kinds of failure a fault can simulate; each maps to one `DirectoryError` code (`FAULT_ERROR_CODES`). */
export type FaultKind =
  | 'transient'
  | 'throttled'
  | 'not_found'
  | 'permanent'
  | 'permission'
  | 'license'
  | 'connection_broken';

export const FAULT_ERROR_CODES: Readonly<Record<FaultKind, DirectoryErrorCode>> = Object.freeze({
  transient: 'TRANSIENT',
  throttled: 'THROTTLED',
  not_found: 'DIRECTORY_NOT_FOUND',
  permanent: 'DIRECTORY_REJECTED',
  permission: 'PERMISSION_MISSING',
  license: 'LICENSE_MISSING',
  connection_broken: 'CONNECTION_BROKEN',
});

export interface FaultRule {
  /** Which method fails; `'*'` or absent: every method. */
  method?: DirectoryMethod | '*';
  /** Only calls for this tenant; absent: every tenant. */
  tenantId?: string;
  /** Only calls whose secret-free argument summary (as in the call log) passes this test. */
  where?: (args: Readonly<Record<string, unknown>>) => boolean;
  /** Let this many matching calls through before the fault starts firing ("fail the third assignRole"). */
  skip?: number;
  /** How many times the fault fires before it is spent; absent: until removed or cleared. */
  times?: number;
  /** Chance (0 to 1) that a matching call fails, rolled on the fake's seeded RNG; absent: 1. */
  probability?: number;
  error: FaultKind;
  /** For `throttled`: the Retry-After the error carries (default 1000). */
  retryAfterMs?: number;
  /**
   * `'before'` (default): the call fails and changes nothing. `'after'`: the call does its work and then
   * fails — the answer is lost, which is why every step must be idempotent.
   */
  when?: 'before' | 'after';
}

/** What `faults.inject` returns: how often the fault fired, and a way to remove it. */
export interface FaultHandle {
  readonly rule: Readonly<FaultRule>;
  /** Times this fault made a call fail. */
  readonly fired: number;
  /** Whether it can still fire (not spent, not removed). */
  readonly active: boolean;
  remove(): void;
}

export interface FaultController {
  inject(rule: FaultRule): FaultHandle;
  /** Removes every fault. */
  clear(): void;
  /** Faults that can still fire. */
  active(): FaultHandle[];
}

interface Entry {
  rule: Readonly<FaultRule>;
  /** Matching calls let through because of `skip`. */
  skipped: number;
  fired: number;
  removed: boolean;
}

/** A fault that matched a call: throw `error` before or after the call's work, then `consume()`. */
export interface FaultHit {
  when: 'before' | 'after';
  error: DirectoryError;
  consume(): void;
}

/** Permission named in `PERMISSION_MISSING` errors, by method (what Graph would want for the call). */
const PERMISSION_FOR: Record<DirectoryMethod, string> = {
  getTenantInfo: 'Directory.Read.All',
  preflight: 'Directory.Read.All',
  listRoleDefinitions: 'RoleManagement.ReadWrite.Directory',
  createAccount: 'User.ReadWrite.All',
  findAccount: 'User.ReadWrite.All',
  enableAccount: 'User.ReadWrite.All',
  assignRole: 'RoleManagement.ReadWrite.Directory',
  createTemporaryAccessPass: 'UserAuthenticationMethod.ReadWrite.All',
  listRoleAssignments: 'RoleManagement.ReadWrite.Directory',
  removeRoleAssignments: 'RoleManagement.ReadWrite.Directory',
  revokeSessions: 'User.ReadWrite.All',
  disableAccount: 'User.ReadWrite.All',
  deleteAccount: 'User.ReadWrite.All',
  readAccount: 'User.ReadWrite.All',
  listManagedAccounts: 'User.ReadWrite.All',
};

/** The `DirectoryError` an injected fault throws. */
export function faultError(adapter: string, kind: FaultKind, method: DirectoryMethod, tenantId: string, retryAfterMs?: number): DirectoryError {
  const code = FAULT_ERROR_CODES[kind];
  const message = `${adapter}: injected ${kind} fault on ${method}`;
  const details = { tenantId, method, injected: true };
  switch (kind) {
    case 'throttled':
      return new DirectoryError(code, message, { retryAfterMs: retryAfterMs ?? 1000, details });
    case 'permission':
      return new DirectoryError(code, message, { details: { ...details, permission: PERMISSION_FOR[method] } });
    default:
      return new DirectoryError(code, message, { details });
  }
}

export function createFaultController(adapter: string, random: SeededRandom) {
  const entries: Entry[] = [];

  const isActive = (e: Entry) => !e.removed && (e.rule.times === undefined || e.fired < e.rule.times);

  function handle(entry: Entry): FaultHandle {
    return {
      rule: entry.rule,
      get fired() {
        return entry.fired;
      },
      get active() {
        return isActive(entry);
      },
      remove() {
        entry.removed = true;
      },
    };
  }

  const controller: FaultController = {
    inject(rule) {
      for (const key of ['times', 'skip'] as const) {
        const n = rule[key];
        if (n !== undefined && !(Number.isInteger(n) && n >= 0)) {
          throw new RangeError(`${adapter}: fault ${key} must be a non-negative integer`);
        }
      }
      if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) {
        throw new RangeError(`${adapter}: fault probability must be within [0, 1]`);
      }
      const entry: Entry = { rule: Object.freeze({ ...rule }), skipped: 0, fired: 0, removed: false };
      entries.push(entry);
      return handle(entry);
    },
    clear() {
      for (const e of entries) e.removed = true;
      entries.length = 0;
    },
    active: () => entries.filter(isActive).map(handle),
  };

  /** The first active fault matching the call whose probability roll succeeds, if any. */
  function match(method: DirectoryMethod, tenantId: string, args: Readonly<Record<string, unknown>>): FaultHit | null {
    for (const entry of entries) {
      if (!isActive(entry)) continue;
      const { rule } = entry;
      if (rule.method !== undefined && rule.method !== '*' && rule.method !== method) continue;
      if (rule.tenantId !== undefined && rule.tenantId !== tenantId) continue;
      if (rule.where && !rule.where(args)) continue;
      if (entry.skipped < (rule.skip ?? 0)) {
        entry.skipped += 1;
        continue;
      }
      if (rule.probability !== undefined && !(random.next() < rule.probability)) continue;
      return {
        when: rule.when ?? 'before',
        error: faultError(adapter, rule.error, method, tenantId, rule.retryAfterMs),
        consume: () => {
          entry.fired += 1;
        },
      };
    }
    return null;
  }

  return { controller, match };
}
