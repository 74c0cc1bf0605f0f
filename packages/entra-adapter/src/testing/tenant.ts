import { FAKE_ALL_PERMISSIONS } from './constants.js';
import type { SeededRandom } from './random.js';
import type {
  FakeDeletedUser,
  FakeDirectoryAudit,
  FakeSignIn,
  FakeRoleAssignment,
  FakeRoleSchedule,
  FakeScheduleRequest,
  FakeSessionRevocation,
  FakeTemporaryAccessPass,
  FakeTenant,
  FakeTenantOptions,
  FakeTenantSettings,
  FakeUser,
} from './types.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A GUID's bytes in .NET order (first three groups little-endian), as Entra encodes them. */
function guidBytes(id: string): Buffer {
  if (!GUID.test(id)) return Buffer.from(id, 'utf8');
  const hex = id.replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  return Buffer.concat([
    Buffer.from(b.subarray(0, 4)).reverse(),
    Buffer.from(b.subarray(4, 6)).reverse(),
    Buffer.from(b.subarray(6, 8)).reverse(),
    b.subarray(8),
  ]);
}

/** Entra's id for a directory-wide role assignment: base64url(role template id, principal id) + "-1". */
export function roleAssignmentId(roleDefinitionId: string, principalId: string): string {
  return `${Buffer.concat([guidBytes(roleDefinitionId), guidBytes(principalId)]).toString('base64url')}-1`;
}

export interface TenantContext {
  now: () => number;
  rng: SeededRandom;
}

/** One fake tenant: the directory state and the back door tests read and change. */
export class TenantState implements FakeTenant {
  readonly tenantId: string;
  displayName: string;
  domain: string;
  domains: { id: string; isVerified: boolean; isDefault: boolean; isInitial: boolean }[];
  readonly users = new Map<string, FakeUser>();
  private readonly assignments = new Map<string, FakeRoleAssignment>();
  private readonly scheduleMap = new Map<string, FakeRoleSchedule>();
  readonly scheduleRequests: FakeScheduleRequest[] = [];
  readonly deletedItems = new Map<string, FakeDeletedUser>();
  readonly taps = new Map<string, FakeTemporaryAccessPass>();
  readonly sessionRevocations: FakeSessionRevocation[] = [];
  readonly directoryAudits: FakeDirectoryAudit[] = [];
  readonly signIns: FakeSignIn[] = [];
  readonly settings: FakeTenantSettings;
  /** Object id → epoch ms until which calls naming it answer 404 (replication delay). */
  readonly replicatingUntil = new Map<string, number>();
  /** Our app's service principal in this tenant. */
  readonly servicePrincipalId: string;
  readonly createdDateTime: string;

  constructor(
    private readonly ctx: TenantContext,
    options: FakeTenantOptions = {},
  ) {
    this.tenantId = options.tenantId ?? ctx.rng.guid();
    const slug = `fake${this.tenantId.replace(/[^0-9a-z]/gi, '').slice(0, 8).toLowerCase()}`;
    this.displayName = options.displayName ?? `Fake tenant ${this.tenantId.slice(0, 8)}`;
    const initial = `${slug}.onmicrosoft.com`;
    this.domain = options.domain ?? initial;
    this.domains = [{ id: this.domain, isVerified: true, isDefault: true, isInitial: this.domain === initial }];
    if (this.domain !== initial) this.domains.push({ id: initial, isVerified: true, isDefault: false, isInitial: true });
    for (const d of options.extraDomains ?? []) {
      if (!this.domains.some((x) => x.id.toLowerCase() === d.id.toLowerCase())) {
        this.domains.push({ id: d.id, isVerified: d.isVerified, isDefault: false, isInitial: false });
      }
    }
    this.settings = {
      p2: options.p2 ?? false,
      tapPolicy: options.tapPolicy ?? false,
      permissions: [...(options.permissions ?? FAKE_ALL_PERMISSIONS)],
      appHasPrivilegedRole: options.appHasPrivilegedRole ?? true,
      consented: options.consented ?? true,
      tapMinimumLifetimeInMinutes: 10,
      tapMaximumLifetimeInMinutes: 43200,
      tapDefaultLifetimeInMinutes: 60,
      tapExcludedUserIds: [],
      pimRequireJustification: true,
    };
    this.servicePrincipalId = ctx.rng.guid();
    this.createdDateTime = new Date(ctx.now() - 400 * 86_400_000).toISOString();
  }

  get roleAssignments(): Map<string, FakeRoleAssignment> {
    this.sweep();
    return this.assignments;
  }

  get schedules(): Map<string, FakeRoleSchedule> {
    this.sweep();
    return this.scheduleMap;
  }

  /** Entra ends PIM schedules at their end and starts them at their start: applied lazily on every read. */
  sweep(): void {
    const now = this.ctx.now();
    for (const s of [...this.scheduleMap.values()]) {
      const id = roleAssignmentId(s.roleDefinitionId, s.principalId);
      if (s.endDateTime !== null && Date.parse(s.endDateTime) <= now) {
        this.scheduleMap.delete(s.id);
        if (this.assignments.get(id)?.scheduleId === s.id) this.assignments.delete(id);
      } else if (Date.parse(s.startDateTime) <= now && !this.assignments.has(id)) {
        this.assignments.set(id, {
          id,
          principalId: s.principalId,
          roleDefinitionId: s.roleDefinitionId,
          directoryScopeId: s.directoryScopeId,
          createdDateTime: s.startDateTime,
          scheduleId: s.id,
        });
      }
    }
  }

  /** The verified domain a UPN is on, or undefined. */
  verifiedDomain(upn: string): string | undefined {
    const at = upn.lastIndexOf('@');
    const d = upn.slice(at + 1).toLowerCase();
    return this.domains.find((x) => x.isVerified && x.id.toLowerCase() === d)?.id;
  }

  findUser(idOrUpn: string): FakeUser | undefined {
    const byId = this.users.get(idOrUpn);
    if (byId) return byId;
    const lower = idOrUpn.toLowerCase();
    for (const u of this.users.values()) {
      if (u.id.toLowerCase() === lower || u.userPrincipalName.toLowerCase() === lower) return u;
    }
    return undefined;
  }

  addUser(u: Partial<FakeUser> & { userPrincipalName: string }): FakeUser {
    if (this.findUser(u.userPrincipalName)) {
      throw new Error(`fake-entra: a user with UPN ${u.userPrincipalName} exists already in ${this.tenantId}`);
    }
    const nick = u.userPrincipalName.split('@')[0] ?? u.userPrincipalName;
    const user: FakeUser = {
      id: u.id ?? this.ctx.rng.guid(),
      userPrincipalName: u.userPrincipalName,
      displayName: u.displayName ?? nick,
      mailNickname: u.mailNickname ?? nick,
      accountEnabled: u.accountEnabled ?? true,
      employeeType: u.employeeType ?? null,
      createdDateTime: u.createdDateTime ?? new Date(this.ctx.now()).toISOString(),
      password: u.password ?? null,
      forceChangePasswordNextSignIn: u.forceChangePasswordNextSignIn ?? false,
      signInSessionsValidFromDateTime: u.signInSessionsValidFromDateTime ?? u.createdDateTime ?? new Date(this.ctx.now()).toISOString(),
      extra: { ...(u.extra ?? {}) },
    };
    this.users.set(user.id, user);
    return user;
  }

  assignRoleByHand(objectId: string, roleTemplateId: string): FakeRoleAssignment {
    const id = roleAssignmentId(roleTemplateId, objectId);
    const existing = this.roleAssignments.get(id);
    if (existing) return existing;
    const a: FakeRoleAssignment = {
      id,
      principalId: objectId,
      roleDefinitionId: roleTemplateId,
      directoryScopeId: '/',
      createdDateTime: new Date(this.ctx.now()).toISOString(),
      scheduleId: null,
    };
    this.assignments.set(id, a);
    return a;
  }

  addSignIn(s: { userId: string; createdDateTime?: string; errorCode?: number; appDisplayName?: string; ipAddress?: string }): FakeSignIn {
    const user = this.users.get(s.userId) ?? this.deletedItems.get(s.userId);
    const entry: FakeSignIn = {
      id: this.ctx.rng.guid(),
      userId: s.userId,
      userPrincipalName: user?.userPrincipalName ?? '',
      createdDateTime: s.createdDateTime ?? new Date(this.ctx.now()).toISOString(),
      errorCode: s.errorCode ?? 0,
      appDisplayName: s.appDisplayName ?? 'Microsoft Azure Portal',
      ipAddress: s.ipAddress ?? '203.0.113.7',
    };
    this.signIns.push(entry);
    return entry;
  }

  rolesOf(objectId: string): string[] {
    return [...this.roleAssignments.values()].filter((a) => a.principalId === objectId).map((a) => a.roleDefinitionId);
  }

  /** Removes a user's assignments and schedules (Entra does so when the user is deleted). */
  dropPrincipal(objectId: string): void {
    for (const [id, a] of this.assignments) if (a.principalId === objectId) this.assignments.delete(id);
    for (const [id, s] of this.scheduleMap) if (s.principalId === objectId) this.scheduleMap.delete(id);
    this.taps.delete(objectId);
  }

  /** Raw access for the PIM routes. */
  rawAssignments(): Map<string, FakeRoleAssignment> {
    this.sweep();
    return this.assignments;
  }

  rawSchedules(): Map<string, FakeRoleSchedule> {
    this.sweep();
    return this.scheduleMap;
  }
}
