import { ConflictError, DirectoryError, ForbiddenError, JitError, isJitError, wrapAdapterError } from '../errors.js';
import type { Connection, Customer } from '../domain/customer.js';
import type { Grant, GrantStep } from '../domain/grant.js';
import type { Technician } from '../domain/provider.js';
import type { PrivilegedCallOptions, TenantRef } from '../ports/directory.js';
import type { StoreTx } from '../ports/store.js';
import { retryDelayMs } from './backoff.js';
import type { Context } from './context.js';
import { grantEvent, writeGrant, type GrantChange } from './grant-writes.js';
import { RevokeFence } from './revoke-fence.js';
import { accountDisplayName, ephemeralUpn, generatePassword, technicianUpn } from './naming.js';
import { reissueCredentialStep } from './reissue-credential.js';
import { transition } from './transitions.js';
import { planCredential } from '../policy/tenant-fit.js';

const ACTOR = 'system:scheduler';
/** Steps one claim may run back to back before handing the grant back to the queue. */
const MAX_STEPS_PER_CLAIM = 24;

/** What one claim's run reads or makes once and reuses across its steps (memory only, never stored). */
export interface RunScope {
  tenants: Map<string, Connection | null>;
  /** The technician, read while the first step is written (only its display name is needed, for the account). */
  technician?: Promise<Technician | null>;
  /** The password this run generated and sealed, so the next step need not read it back and open it. */
  password?: string;
  /** Stops the run's privileged calls once the grant is revoked (made by the first provisioning step). */
  fence?: RevokeFence;
  /** Takes the fence off this process's list of running grants. */
  releaseFence?: () => void;
}

/** The start of provisioning, ready to write: the change, and the password it seals (kept by the run). */
export interface PreparedStart {
  change: GrantChange;
  password: string;
}

/** Entra refused to change an account because it holds an admin role (see GRAPH.md). */
const isPrivilegedTarget = (error: unknown): error is JitError =>
  error instanceof JitError && error.code === 'PERMISSION_MISSING' && error.details.reason === 'privileged_target';

/** Records a caller of `prepareStart` has at hand. */
export interface KnownRecords {
  customer?: Customer;
  technician?: Technician;
}

const tenantKey = (g: Pick<Grant, 'providerId' | 'customerId'>): string => `${g.providerId}\n${g.customerId}`;

export const secretContext = (grant: Pick<Grant, 'providerId' | 'id'>, name: string): string =>
  `grant:${grant.providerId}:${grant.id}:${name}`;

/**
 * Runs the provisioning and deprovisioning sagas of DESIGN.md for grants the scheduler claimed. Each step is
 * written (with its audit event) before its side effect runs, and each side effect is idempotent, so running a
 * grant again after a crash at any point repairs it.
 */
export class GrantEngine {
  constructor(private readonly ctx: Context) {}

  newScope(): RunScope {
    return { tenants: new Map() };
  }

  /**
   * Works on a claimed grant until nothing more is due now, then hands it back (lease released). `scope` carries
   * what the writer of the grant already read or made (see `prepareStart`).
   */
  async run(claimed: Grant, scope: RunScope = this.newScope()): Promise<void> {
    let grant: Grant | null = claimed;
    try {
      for (let i = 0; grant && i < MAX_STEPS_PER_CLAIM; i++) {
        const current: Grant = grant;
        try {
          grant = await this.advance(current, scope);
        } catch (error) {
          grant = await this.onStepFailed(current, error);
        }
      }
      if (grant) await this.park(grant, this.ctx.nowIso());
    } finally {
      scope.releaseFence?.();
    }
  }

  private async advance(g: Grant, scope: RunScope): Promise<Grant | null> {
    const now = this.ctx.clock.now();
    switch (g.state) {
      case 'requested':
        return this.park(g, null);
      case 'pending_approval': {
        const deadline = g.policy.approvalDeadline;
        if (deadline && now >= Date.parse(deadline)) {
          const next: Grant = { ...g, state: transition(g.state, 'approval_timeout'), dueAt: null, lease: null, closedAt: this.ctx.nowIso(), endedAt: this.ctx.nowIso() };
          await this.write(g, { grant: next, audit: [{ action: 'grant.expired_unapproved' }] });
          return null;
        }
        return this.park(g, deadline);
      }
      case 'approved':
        if (g.startAt && now < Date.parse(g.startAt)) return this.park(g, g.startAt);
        return this.start(g, scope);
      case 'provisioning':
        return this.provisionStep(g, scope);
      case 'active':
        if (g.expiresAt && now < Date.parse(g.expiresAt)) {
          if (g.step === 'reissue_credential') return reissueCredentialStep(this.ctx, g, await this.tenantOf(g, scope), (before, change) => this.write(before, change));
          return this.park(g, g.expiresAt);
        }
        return this.write(g, {
          // An extension still waiting for approval lapses with the window it would have lengthened.
          grant: { ...g, state: transition(g.state, 'expire'), step: 'remove_roles', endReason: 'expired', endedBy: ACTOR, attempts: 0, lastError: null, pendingExtension: null },
          audit: [
            { action: 'grant.expired', details: { expiresAt: g.expiresAt } },
            ...(g.pendingExtension ? [{ action: 'grant.extension_lapsed', details: { minutes: g.pendingExtension.minutes } }] : []),
          ],
          events: [grantEvent({ ...g, state: 'deprovisioning' }, 'expired')],
        });
      case 'deprovisioning':
      case 'needs_attention':
        return this.deprovisionStep(g, scope);
      default:
        return g.dueAt === null && g.lease === null ? null : this.park(g, null);
    }
  }

  // ---- provisioning ----------------------------------------------------------------------------------

  private async start(g: Grant, scope: RunScope): Promise<Grant | null> {
    const now = this.ctx.clock.now();
    const expiresAt = new Date(now + g.durationMinutes * 60_000).toISOString();
    let tenant: TenantRef;
    try {
      tenant = await this.tenantOf(g, scope);
      this.credentialFor(g, scope, tenant);
    } catch (error) {
      const provisioning = await this.write(g, {
        grant: { ...g, state: transition(g.state, 'start'), step: 'ensure_account', expiresAt },
        audit: [{ action: 'grant.provisioning_started', details: { expiresAt } }],
      });
      return this.onStepFailed(provisioning, error);
    }
    const { change, password } = await this.startChange(g, tenant, scope);
    const started = await this.write(g, change);
    scope.password = password;
    return started;
  }

  /**
   * For a caller about to make an approved grant due now and run it in this process at once (the service's
   * hand-off): the start of provisioning, to write in the same transaction as the approval, so the first Graph
   * call follows that one write. Null when the grant cannot start now; then the run starts it as usual. After
   * the write, set `scope.password` and run the grant with `scope`. `known`: what the caller has read already
   * (the grant's customer and technician), so the run does not read it again.
   */
  async prepareStart(g: Grant, scope: RunScope, known: KnownRecords = {}): Promise<PreparedStart | null> {
    if (g.state !== 'approved' || (g.startAt && this.ctx.clock.now() < Date.parse(g.startAt))) return null;
    if (known.customer?.id === g.customerId) scope.tenants.set(tenantKey(g), known.customer.connection ?? null);
    if (known.technician?.id === g.technicianId) scope.technician = Promise.resolve(known.technician);
    try {
      return await this.startChange(g, await this.tenantOf(g, scope), scope);
    } catch {
      return null;
    }
  }

  private async startChange(g: Grant, tenant: TenantRef, scope: RunScope): Promise<PreparedStart> {
    const expiresAt = new Date(this.ctx.clock.now() + g.durationMinutes * 60_000).toISOString();
    const upn = this.upnFor(g, tenant);
    if (!scope.technician) {
      // Read alongside the write (another connection on a server), not after it on the critical path.
      const technician = this.ctx.store.getTechnician(g.providerId, g.technicianId);
      technician.catch(() => {}); // awaited (and its failure met) in ensureAccount
      scope.technician = technician;
    }
    const credential = this.credentialFor(g, scope, tenant);
    const password = generatePassword();
    const sealed = await this.ctx.secretBox.seal(password, secretContext(g, 'password'));
    const change: GrantChange = {
      grant: {
        ...g,
        ...(credential !== g.policy.credential ? { policy: { ...g.policy, credential } } : {}),
        state: transition(g.state, 'start'),
        step: 'ensure_account',
        expiresAt,
        attempts: 0,
        lastError: null,
        account: { objectId: null, userPrincipalName: upn, model: g.policy.accountModel, assignments: [], touched: true },
      },
      putSecrets: { password: sealed },
      audit: [
        {
          action: 'grant.provisioning_started',
          actor: ACTOR,
          details: {
            expiresAt,
            userPrincipalName: upn,
            step: 'ensure_account',
            ...(credential !== g.policy.credential ? { credential, credentialFallback: 'tap_policy_off' } : {}),
          },
        },
      ],
    };
    return { change, password };
  }

  /**
   * Capabilities before privileges: the credential this grant issues, from what the tenant's last preflight says,
   * settled before the first privileged call. A TAP-only grant in a tenant whose TAP policy is off fails here
   * (`TAP_POLICY_OFF`, nothing created); where the rule also allows a password, that is what it gets.
   */
  private credentialFor(g: Grant, scope: RunScope, tenant: TenantRef): Grant['policy']['credential'] {
    const plan = planCredential(g.policy.credential, scope.tenants.get(tenantKey(g))?.capabilities, tenant.tenantId);
    if (!plan.ok) throw new DirectoryError('TAP_POLICY_OFF', plan.message, { details: { tenantId: tenant.tenantId } });
    return plan.credential;
  }

  private upnFor(g: Grant, tenant: TenantRef): string {
    if (!tenant.defaultDomain) {
      throw new ForbiddenError('CUSTOMER_NOT_CONNECTED', 'The customer tenant has no default verified domain recorded');
    }
    return g.policy.accountModel === 'perTechnician'
      ? technicianUpn(g.providerId, g.technicianId, tenant.defaultDomain)
      : ephemeralUpn(g.id, tenant.defaultDomain);
  }

  /**
   * What every privileged call of the run carries (revoke wins, see `RevokeFence`). Where the adapter cannot check
   * before each of its requests, the fence is checked here once, before the call.
   */
  private async privileged(g: Grant, scope: RunScope): Promise<PrivilegedCallOptions> {
    if (!scope.fence) {
      scope.fence = new RevokeFence(this.ctx.store, g.providerId, g.id);
      scope.releaseFence = this.ctx.running.add(scope.fence);
    }
    const fence = scope.fence;
    if (!this.ctx.directory.capabilities.abortableCalls) await fence.check();
    return { beforeSend: fence.check, signal: fence.signal };
  }

  private async provisionStep(g: Grant, scope: RunScope): Promise<Grant | null> {
    const tenant = await this.tenantOf(g, scope);
    if (!g.account || g.account.objectId === null || g.step === 'ensure_account') return this.ensureAccount(g, tenant, scope);
    return this.grantAccess(g, tenant, scope);
  }

  private async password(g: Grant, scope: RunScope): Promise<{ password: string; sealed: string | null }> {
    // Sealed and stored by this run's `start`, in the write that the grant we hold came from.
    if (scope.password !== undefined) return { password: scope.password, sealed: null };
    const sealed = await this.ctx.store.getSecret(g.providerId, g.id, 'password');
    if (sealed) return { password: await this.ctx.secretBox.open(sealed, secretContext(g, 'password')), sealed: null };
    const password = generatePassword();
    return { password, sealed: await this.ctx.secretBox.seal(password, secretContext(g, 'password')) };
  }

  private async ensureAccount(g: Grant, tenant: TenantRef, scope: RunScope): Promise<Grant | null> {
    const { directory, store } = this.ctx;
    const upn = g.account?.userPrincipalName ?? this.upnFor(g, tenant);
    const { password, sealed } = await this.password(g, scope);
    let base = g;
    if (!g.account || sealed) {
      // The password the account will get must be on record before the call, so a retry gives the same one.
      base = await this.write(g, {
        grant: { ...g, step: 'ensure_account', account: g.account ?? { objectId: null, userPrincipalName: upn, model: g.policy.accountModel, assignments: [], touched: true } },
        ...(sealed ? { putSecrets: { password: sealed } } : {}),
        audit: [{ action: 'grant.step', details: { step: 'ensure_account', userPrincipalName: upn } }],
      });
    }
    const technician = await (scope.technician ?? store.getTechnician(g.providerId, g.technicianId));
    const displayName = accountDisplayName(technician?.displayName ?? g.technicianId, g.ticket ?? g.justification);

    let objectId: string;
    const existing = g.policy.accountModel === 'perTechnician' ? await directory.findAccount(tenant, upn) : null;
    const resumable = sealed === null;
    if (existing) {
      objectId = this.requireManaged(existing.managed, existing.objectId, upn);
      await this.enable(g, tenant, objectId, password, resumable, await this.privileged(g, scope));
    } else {
      const { account, created } = await directory.createAccount(tenant, { userPrincipalName: upn, displayName, password }, await this.privileged(g, scope));
      objectId = account.objectId;
      if (!created) {
        this.requireManaged(account.managed, objectId, upn);
        await this.enable(g, tenant, objectId, password, resumable, await this.privileged(g, scope));
      }
    }
    // Straight on to the roles and the pass, without a write between: what that write would hold (the account's
    // id) is found again from the record we have (the UPN is derived, the password sealed) if we die before
    // `active`, and a transaction here would sit between the two Graph round trips of time to access. A failure
    // records the account and the step, so the retry starts from the roles.
    const withAccount: Grant = { ...base, step: 'grant_access', account: { ...base.account!, objectId, userPrincipalName: upn } };
    try {
      return await this.grantAccess(withAccount, tenant, scope);
    } catch (error) {
      return this.onStepFailed(base, error, withAccount);
    }
  }

  /**
   * Enables an existing account of ours with the recorded password. Entra refuses to change an account that holds
   * an admin role; ours holds one only if an earlier run of this grant enabled it with this same password (on
   * record before that call; `resumable`) and went on to assign roles before it could record `active`. Then
   * the account is as that run left it: carry on to the roles and the pass.
   */
  private async enable(g: Grant, tenant: TenantRef, objectId: string, password: string, resumable: boolean, call: PrivilegedCallOptions): Promise<void> {
    const { directory } = this.ctx;
    try {
      await directory.enableAccount(tenant, objectId, password, call);
    } catch (error) {
      if (!resumable || !isPrivilegedTarget(error)) throw error;
      const state = await directory.readAccount(tenant, objectId);
      const onlyOurs = state !== null && state.assignments.length > 0 && state.assignments.every((a) => g.roles.includes(a.roleId));
      if (!state?.enabled || !onlyOurs) throw error;
    }
  }

  private async recordKeptAccount(tx: StoreTx, g: Grant, objectId: string, userPrincipalName: string): Promise<void> {
    const existing = await tx.getTechnicianAccount(g.providerId, g.customerId, g.technicianId);
    if (existing?.objectId === objectId) return;
    await tx.putTechnicianAccount({
      providerId: g.providerId,
      customerId: g.customerId,
      technicianId: g.technicianId,
      objectId,
      userPrincipalName,
      createdAt: this.ctx.nowIso(),
    });
  }

  private requireManaged(managed: boolean, objectId: string, upn: string): string {
    if (!managed) {
      throw new DirectoryError('DIRECTORY_CONFLICT', `An account jitadmin did not make already uses ${upn}; refusing to take it over`, {
        details: { objectId },
      });
    }
    return objectId;
  }

  private async grantAccess(g: Grant, tenant: TenantRef, scope: RunScope): Promise<Grant | null> {
    const { directory, secretBox, options } = this.ctx;
    const call = await this.privileged(g, scope);
    const account = g.account!;
    const objectId = account.objectId!;
    const wantsTap = g.policy.credential !== 'password';
    const justification = `jitadmin grant ${g.id}${g.ticket ? ` (ticket ${g.ticket})` : ''}`.slice(0, 500);
    const lifetime = options.tapLifetimeMinutes ?? Math.min(480, Math.max(60, g.durationMinutes));

    // Roles and the pass are independent: one round trip for all of them.
    const roleCalls = g.roles.map((roleId) =>
      directory.assignRole(tenant, { objectId, roleId, until: g.expiresAt, justification }, call),
    );
    // The policy may have been turned off since the last preflight: a rule that also allows a password falls back
    // to it rather than failing a grant whose roles are being given in this same round trip.
    const tapCall = wantsTap
      ? directory.createTemporaryAccessPass(tenant, objectId, { lifetimeMinutes: Math.min(43200, lifetime), usableOnce: false }, call).catch((error: unknown) => {
          if (g.policy.credential === 'both' && isJitError(error) && error.code === 'TAP_POLICY_OFF') return null;
          throw error;
        })
      : Promise.resolve(null);
    const [roles, tap] = await Promise.all([Promise.allSettled(roleCalls), Promise.allSettled([tapCall])]);
    const failed = [...roles, ...tap].find((r): r is PromiseRejectedResult => r.status === 'rejected');
    // A revoke met on the way wins over whatever else failed: carry on with deprovisioning, no retry.
    if (failed && scope.fence?.tripped) throw scope.fence.signal.reason;
    if (failed) throw failed.reason;

    const assignments = roles.map((r) => (r as PromiseFulfilledResult<Awaited<(typeof roleCalls)[number]>>).value);
    const issued = (tap[0] as PromiseFulfilledResult<{ pass: string } | null>).value;
    const putSecrets = issued ? { tap: await secretBox.seal(issued.pass, secretContext(g, 'tap')) } : undefined;
    const credential = wantsTap && !issued ? 'password' : g.policy.credential;
    const next: Grant = {
      ...g,
      ...(credential !== g.policy.credential ? { policy: { ...g.policy, credential } } : {}),
      state: transition(g.state, 'provisioned'),
      step: null,
      activatedAt: this.ctx.nowIso(),
      attempts: 0,
      lastError: null,
      account: { ...account, assignments },
      dueAt: g.expiresAt,
      lease: null,
    };
    const kept = g.policy.accountModel === 'perTechnician';
    await this.write(g, {
      grant: next,
      ...(putSecrets ? { putSecrets } : {}),
      ...(kept ? { alsoInTx: (tx: StoreTx) => this.recordKeptAccount(tx, g, objectId, account.userPrincipalName) } : {}),
      audit: [
        {
          action: 'grant.active',
          details: {
            objectId,
            userPrincipalName: account.userPrincipalName,
            roles: g.roles,
            timeBound: assignments.every((a) => a.kind === 'timeBound'),
            credential,
            ...(credential !== g.policy.credential ? { credentialFallback: 'tap_policy_off' } : {}),
            expiresAt: g.expiresAt,
          },
        },
      ],
      events: [grantEvent(next, 'active')],
    });
    return null;
  }

  // ---- deprovisioning --------------------------------------------------------------------------------

  private async deprovisionStep(g: Grant, scope: RunScope): Promise<Grant | null> {
    if (!g.account) return this.close(g);
    const { directory } = this.ctx;
    const tenant = await this.tenantOf(g, scope, true);
    let objectId = g.account.objectId;
    if (!objectId) {
      // A crash between "created" and "recorded" leaves the id unknown; the UPN is derived, so look it up.
      const found = await directory.findAccount(tenant, g.account.userPrincipalName);
      if (!found || !found.managed) return this.close(g);
      objectId = found.objectId;
      return this.write(g, {
        grant: { ...g, account: { ...g.account, objectId } },
        audit: [{ action: 'grant.step', details: { step: g.step ?? 'remove_roles', objectId, found: true } }],
      });
    }
    const removeAccount = g.policy.accountModel === 'ephemeral' && g.policy.expirationAction === 'delete';
    const step: GrantStep = g.step && ['remove_roles', 'end_sessions', 'remove_account', 'verify'].includes(g.step) ? g.step : 'remove_roles';
    switch (step) {
      case 'remove_roles': {
        // The refs recorded at activation cover every role on the fast path (one round trip to cut access).
        // After a partial provisioning or a failed attempt some may be unknown (a lost answer, a role added by
        // hand): then list what the account really holds, since any admin role left blocks disabling it.
        const known = g.account.assignments;
        const complete = g.activatedAt !== null && g.attempts === 0 && g.roles.every((r) => known.some((a) => a.roleId === r));
        const assignments = complete ? known : await directory.listRoleAssignments(tenant, objectId);
        await directory.removeRoleAssignments(tenant, objectId, assignments);
        // Privilege ends here: this is the end a person reads, not the planned expiry nor the clean-up's end.
        return this.toStep({ ...g, endedAt: g.endedAt ?? this.ctx.nowIso() }, 'end_sessions', { removedRoles: assignments.map((a) => a.roleId) });
      }
      case 'end_sessions': {
        const results = await Promise.allSettled([
          directory.revokeSessions(tenant, objectId),
          directory.disableAccount(tenant, objectId),
        ]);
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) return this.changeFailed(g, failed.reason);
        return this.toStep(g, removeAccount ? 'remove_account' : 'verify');
      }
      case 'remove_account':
        try {
          await directory.deleteAccount(tenant, objectId, { permanent: this.ctx.options.permanentDelete });
        } catch (error) {
          return this.changeFailed(g, error);
        }
        return this.toStep(g, 'verify');
      case 'verify': {
        const state = await directory.readAccount(tenant, objectId);
        if (state && state.assignments.length > 0) {
          return this.verifyFailed(g, 'remove_roles', 'role assignments are still present', {
            ...g,
            account: { ...g.account, assignments: state.assignments },
          });
        }
        if (state && state.enabled) return this.verifyFailed(g, 'end_sessions', 'the account is still enabled');
        if (state && removeAccount) return this.verifyFailed(g, 'remove_account', 'the account still exists');
        return this.close(g);
      }
      default:
        return this.toStep(g, 'remove_roles');
    }
  }

  /**
   * Records the next deprovisioning step. Failed attempts are kept until the grant closes: a loop back (a
   * read-back that found roles, a refusal to disable) must still run out of retries, not go round for ever.
   */
  private toStep(g: Grant, step: GrantStep, details: Record<string, string | string[]> = {}): Promise<Grant> {
    return this.write(g, {
      grant: { ...g, step },
      audit: [{ action: 'grant.step', details: { step, ...details } }],
    });
  }

  /**
   * Disabling or deleting failed. If for good (Entra refuses to change an account that still holds an admin
   * role), go back to removing roles, listing them afresh; a passing fault retries the same step.
   */
  private changeFailed(g: Grant, error: unknown): Promise<Grant | null> {
    if (isPrivilegedTarget(error)) {
      // Entra refused because the account still holds an admin role (a removal that answered "not found" too
      // early, a role added meanwhile): not a missing permission but work left to do, so retry at once-ish.
      const again = new DirectoryError('TRANSIENT', 'The account still holds an admin role; removing roles again', {
        cause: error,
        details: { ...error.details },
      });
      return this.onStepFailed(g, again, { ...g, step: 'remove_roles' });
    }
    const retryable = error instanceof JitError && error.retryable;
    return this.onStepFailed(g, error, retryable ? g : { ...g, step: 'remove_roles' });
  }

  private verifyFailed(g: Grant, backTo: GrantStep, what: string, base: Grant = g): Promise<Grant | null> {
    const error = new DirectoryError('TRANSIENT', `Read-back after deprovisioning found that ${what}`);
    return this.onStepFailed(g, error, { ...base, step: backTo });
  }

  private async close(g: Grant): Promise<null> {
    const next: Grant = {
      ...g,
      state: transition(g.state, 'cleaned'),
      step: null,
      closedAt: this.ctx.nowIso(),
      endedAt: g.endedAt ?? this.ctx.nowIso(),
      dueAt: null,
      lease: null,
      attempts: 0,
    };
    const kept = g.policy.accountModel === 'perTechnician' && g.account?.objectId ? g.account : null;
    await this.write(g, {
      grant: next,
      destroySecrets: true,
      // A kept account is recorded again at the end: a crash may have lost the record made when it was created.
      ...(kept ? { alsoInTx: (tx) => this.recordKeptAccount(tx, g, kept.objectId!, kept.userPrincipalName) } : {}),
      audit: [{ action: 'grant.closed', details: { endReason: g.endReason, objectId: g.account?.objectId ?? null } }],
      events: [grantEvent(next, 'closed', { endReason: g.endReason })],
    });
    return null;
  }

  // ---- shared ----------------------------------------------------------------------------------------

  /** The grant's tenant; read once per claim (every step of one run needs it). */
  private async tenantOf(g: Grant, scope: RunScope, allowBroken = false): Promise<TenantRef> {
    const key = tenantKey(g);
    let connection = scope.tenants.get(key);
    if (connection === undefined) {
      connection = (await this.ctx.store.getCustomer(g.providerId, g.customerId))?.connection ?? null;
      scope.tenants.set(key, connection);
    }
    if (!connection || (connection.status !== 'connected' && !(allowBroken && connection.status === 'broken'))) {
      throw new ForbiddenError('CUSTOMER_NOT_CONNECTED', `Customer ${g.customerId} has no connected Entra ID tenant`);
    }
    return { tenantId: connection.tenantId, defaultDomain: connection.defaultDomain };
  }

  /** Writes with our lease renewed; on a version conflict, re-reads and carries on from what is stored. */
  private async write(g: Grant, change: GrantChange): Promise<Grant> {
    const keepLease = change.grant.lease !== null;
    const lease = keepLease
      ? { owner: this.ctx.options.workerId, until: new Date(this.ctx.clock.now() + this.ctx.options.leaseMs).toISOString() }
      : null;
    return writeGrant(this.ctx, ACTOR, g, { ...change, grant: { ...change.grant, lease } });
  }

  /** Hands the grant back to the queue, due at `dueAt`. */
  private async park(g: Grant, dueAt: string | null): Promise<null> {
    if (g.dueAt === dueAt && g.lease === null) return null;
    try {
      await writeGrant(this.ctx, ACTOR, g, { grant: { ...g, dueAt, lease: null }, audit: [] });
    } catch (error) {
      if (!(isJitError(error) && error.code === 'VERSION_CONFLICT')) throw error;
    }
    return null;
  }

  /**
   * When a grant that needs attention tries again. Its access is still to be cut, so a failure that passes by
   * itself (throttling, a 5xx, a reset) is retried at the ordinary capped backoff, honouring Retry-After: a
   * person is told (the state says so) but the grant does not wait for them. Only a failure a person must mend
   * (a refused permission, a broken connection) waits the slow `attentionRetryMs`.
   */
  private attentionDelayMs(error: JitError, attempts: number): number {
    const { options } = this.ctx;
    if (!error.retryable) return Math.max(options.attentionRetryMs, error.retryAfterMs ?? 0);
    return retryDelayMs(attempts, { baseMs: options.baseRetryMs, maxMs: options.maxRetryMs, retryAfterMs: error.retryAfterMs, random: options.random });
  }

  private async onStepFailed(g: Grant, raw: unknown, base: Grant = g): Promise<Grant | null> {
    const error = raw instanceof JitError ? raw : wrapAdapterError(this.ctx.directory.name, 'step', raw);
    if (error.code === 'VERSION_CONFLICT') {
      // Someone changed the grant under us (a revoke, an extend): carry on from what is stored, if still ours.
      const fresh = await this.ctx.store.getGrant(g.providerId, g.id);
      if (!fresh || (fresh.lease && fresh.lease.owner !== this.ctx.options.workerId)) return null;
      // An account this run made but had not yet recorded (a revoke came between the account and the roles): record
      // its id now, since a lookup by UPN may not find it while Entra still replicates it, and the account would be
      // left behind until the reconciler found it.
      const made = base.account?.objectId;
      if (made && fresh.account && fresh.account.objectId === null && fresh.account.userPrincipalName === base.account?.userPrincipalName) {
        return this.write(fresh, {
          grant: { ...fresh, account: { ...fresh.account, objectId: made } },
          audit: [{ action: 'grant.step', details: { step: fresh.step ?? 'remove_roles', objectId: made, found: true } }],
        }).catch((writeError: unknown) => {
          if (isJitError(writeError) && writeError.code === 'VERSION_CONFLICT') return this.onStepFailed(fresh, writeError, base);
          throw writeError;
        });
      }
      return fresh;
    }
    const { options, clock } = this.ctx;
    const now = clock.now();
    const attempts = g.attempts + 1;
    const lastError = { code: error.code, message: error.message, at: new Date(now).toISOString() };
    const giveUp = !error.retryable || attempts >= options.maxAttempts;
    const step = base.step ?? 'none';
    this.ctx.logger.warn({ grantId: g.id, providerId: g.providerId, state: g.state, step, code: error.code, attempts }, 'grant step failed');
    try {
      if (g.state === 'provisioning' && giveUp) {
        const next: Grant = {
          ...base,
          state: transition(g.state, 'provision_failed'),
          step: 'remove_roles',
          endReason: 'failed',
          endedBy: ACTOR,
          attempts: 0,
          lastError,
          failure: { code: error.code, message: error.message, step },
        };
        return await this.write(g, {
          grant: next,
          audit: [{ action: 'grant.failed', details: { step, code: error.code, message: error.message, attempts } }],
          events: [grantEvent(next, 'failed', { code: error.code, step })],
        });
      }
      if (g.state === 'deprovisioning' && giveUp) {
        const next: Grant = {
          ...base,
          state: transition(g.state, 'give_up'),
          attempts,
          lastError,
          dueAt: new Date(now + this.attentionDelayMs(error, attempts)).toISOString(),
          lease: null,
        };
        await this.write(g, {
          grant: next,
          audit: [{ action: 'grant.needs_attention', details: { step, code: error.code, message: error.message, attempts } }],
          events: [grantEvent(next, 'needs_attention', { code: error.code, step })],
        });
        return null;
      }
      const delay =
        g.state === 'needs_attention'
          ? this.attentionDelayMs(error, attempts)
          : retryDelayMs(attempts, { baseMs: options.baseRetryMs, maxMs: options.maxRetryMs, retryAfterMs: error.retryAfterMs, random: options.random });
      await this.write(g, {
        grant: { ...base, attempts, lastError, dueAt: new Date(now + delay).toISOString(), lease: null },
        audit: [{ action: 'grant.step_failed', details: { step, code: error.code, message: error.message, attempts, retryInMs: delay } }],
      });
      return null;
    } catch (writeError) {
      if (isJitError(writeError) && writeError.code === 'VERSION_CONFLICT') {
        return this.onStepFailed(g, new ConflictError('VERSION_CONFLICT', 'grant changed'));
      }
      throw writeError;
    }
  }
}
