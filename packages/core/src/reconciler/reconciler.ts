import { isJitError } from '../errors.js';
import { grantEvent, writeGrant } from '../engine/grant-writes.js';
import { transition } from '../engine/transitions.js';
import type { Customer } from '../domain/customer.js';
import { LIVE_STATES, type Grant } from '../domain/grant.js';
import type { DirectoryAccount, TenantRef } from '../ports/directory.js';
import type { Context } from '../engine/context.js';
import { ephemeralUpn, grantIdFromUpn } from '../engine/naming.js';
import type { ReconcileReport } from '../service/types.js';

const ACTOR = 'system:reconciler';

interface TenantView {
  tenant: TenantRef;
  customers: Customer[];
  /** objectId or lower-case UPN → the live grants that own it. */
  owners: Map<string, Grant[]>;
  /** Per-technician accounts at rest: objectId → customer. */
  kept: Map<string, Customer>;
  /** The tenant's live grants (every provider's). */
  grants: Grant[];
}

/**
 * Finds what the directory holds that no live grant explains, and removes it: accounts marked as ours with no
 * owner (after a grace period, since a grant may be about to record the account it just made), role assignments
 * on our accounts that no grant asked for, and accounts that must be disabled but were enabled again (drift).
 * It also walks the live grants: an active grant whose account is gone from the tenant (deleted by hand) is
 * reported (`account_missing`) and ended as `removed_outside`. Tenants shared by several providers are judged
 * against all of their grants, so one provider's reconciler never removes another's accounts.
 */
export class Reconciler {
  constructor(
    private readonly ctx: Context,
    /** Told when the reconciler made a grant due now (an account found gone). */
    private readonly onDue: () => void = () => {},
  ) {}

  async run(): Promise<ReconcileReport> {
    const report: ReconcileReport = { tenants: 0, orphansRemoved: [], driftRemoved: [], accountsMissing: [], accountsDisabledAgain: [], errors: [] };
    const views = await this.tenantViews();
    for (const view of views.values()) {
      report.tenants++;
      try {
        await this.reconcileTenant(view, report);
      } catch (error) {
        const code = isJitError(error) ? error.code : 'INTERNAL';
        const message = isJitError(error) ? error.message : 'reconcile failed';
        for (const c of view.customers) report.errors.push({ customerId: c.id, code, message });
        this.ctx.logger.warn({ tenantId: view.tenant.tenantId, code }, 'reconcile of a tenant failed');
      }
    }
    if (report.accountsMissing.length > 0) this.onDue();
    return report;
  }

  private async tenantViews(): Promise<Map<string, TenantView>> {
    const { store } = this.ctx;
    const views = new Map<string, TenantView>();
    for (const provider of await store.listProviders()) {
      for (const customer of await store.listCustomers(provider.id)) {
        const c = customer.connection;
        if (!c || c.status !== 'connected') continue;
        let view = views.get(c.tenantId);
        if (!view) {
          view = { tenant: { tenantId: c.tenantId, defaultDomain: c.defaultDomain }, customers: [], owners: new Map(), kept: new Map(), grants: [] };
          views.set(c.tenantId, view);
        }
        view.customers.push(customer);
        for (const grant of await this.liveGrants(provider.id, customer.id)) {
          view.grants.push(grant);
          const keys = [grant.account?.objectId, grant.account?.userPrincipalName?.toLowerCase()];
          if (c.defaultDomain) keys.push(ephemeralUpn(grant.id, c.defaultDomain).toLowerCase());
          for (const key of keys) if (key) view.owners.set(key, [...(view.owners.get(key) ?? []), grant]);
        }
        for (const kept of await store.listTechnicianAccounts(provider.id, customer.id)) view.kept.set(kept.objectId, customer);
      }
    }
    return views;
  }

  private async liveGrants(providerId: string, customerId: string): Promise<Grant[]> {
    const out: Grant[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.ctx.store.listGrants(providerId, { customerId, states: LIVE_STATES, limit: 1000, ...(cursor ? { cursor } : {}) });
      out.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return out;
  }

  private async reconcileTenant(view: TenantView, report: ReconcileReport): Promise<void> {
    const { directory, clock, options } = this.ctx;
    const accounts = await directory.listManagedAccounts(view.tenant);
    await this.findMissing(view, accounts, report);
    for (const account of accounts) {
      const owners = view.owners.get(account.objectId) ?? view.owners.get(account.userPrincipalName.toLowerCase()) ?? [];
      const active = owners.find((g) => g.state === 'active');
      if (owners.length > 0) {
        if (active) await this.removeDrift(view, account, new Set(owners.flatMap((g) => (g.state === 'active' ? g.roles : []))), report, active);
        continue;
      }
      const keptBy = view.kept.get(account.objectId);
      if (keptBy) {
        // A per-technician account at rest: no roles, disabled.
        await this.removeDrift(view, account, new Set(), report, null, keptBy);
        if (account.enabled) await this.disableAgain(view, account, report, null, keptBy);
        continue;
      }
      const keptByRule = await this.closedGrantKeeping(view, account);
      if (keptByRule) {
        // A rule whose expiration action is "disable" keeps the account: it must stay disabled and bare.
        await this.removeDrift(view, account, new Set(), report, keptByRule);
        if (account.enabled) await this.disableAgain(view, account, report, keptByRule);
        continue;
      }
      const age = account.createdAt ? clock.now() - Date.parse(account.createdAt) : Number.POSITIVE_INFINITY;
      if (age < options.reconcileGraceMs) continue;
      await this.removeOrphan(view, account);
      report.orphansRemoved.push(account.objectId);
    }
  }

  /**
   * Active grants whose account is not among the tenant's accounts of ours: read each back by id (a marker
   * removed by hand hides an account from the list without deleting it); one that does not exist was deleted
   * outside jitadmin (to the recycle bin or for good). Its grant is reported and ended as `removed_outside`; the
   * scheduler then finishes it in seconds (the account is gone, so there is nothing to wait for). Grants that
   * became active within the grace period are left alone: Entra may not show a new account everywhere yet.
   */
  private async findMissing(view: TenantView, accounts: readonly DirectoryAccount[], report: ReconcileReport): Promise<void> {
    const { directory, clock, options } = this.ctx;
    const listed = new Set(accounts.map((a) => a.objectId));
    const now = clock.now();
    for (const g of view.grants) {
      const objectId = g.account?.objectId;
      if (g.state !== 'active' || !objectId || listed.has(objectId) || !g.activatedAt) continue;
      if (now - Date.parse(g.activatedAt) < options.reconcileGraceMs) continue;
      if (g.lease && Date.parse(g.lease.until) > now) continue;
      if (await directory.readAccount(view.tenant, objectId)) continue;
      const removeAccount = g.policy.accountModel === 'ephemeral' && g.policy.expirationAction === 'delete';
      const details = { objectId, userPrincipalName: g.account!.userPrincipalName };
      const next: Grant = {
        ...g,
        state: transition(g.state, 'removed_outside'),
        // Gone already: purge it from the recycle bin where the rule deletes, else read back that nothing is left.
        step: removeAccount ? 'remove_account' : 'verify',
        endReason: 'removed_outside',
        endedBy: ACTOR,
        attempts: 0,
        lastError: null,
        dueAt: this.ctx.nowIso(),
        lease: null,
      };
      try {
        await writeGrant(this.ctx, ACTOR, g, {
          grant: next,
          audit: [{ action: 'grant.account_missing', details }],
          events: [grantEvent(next, 'account_missing', details)],
        });
      } catch (error) {
        // Changed meanwhile (it expired, was revoked, is being worked on): the next reconcile looks again.
        if (isJitError(error) && (error.code === 'VERSION_CONFLICT' || error.code === 'INVALID_TRANSITION')) continue;
        throw error;
      }
      report.accountsMissing.push({ grantId: g.id, objectId });
      this.ctx.logger.warn({ grantId: g.id, providerId: g.providerId, tenantId: view.tenant.tenantId, objectId }, 'account of a live grant is gone from the tenant');
    }
  }

  /** An account that must be disabled was enabled again outside jitadmin: disable it and report the drift. */
  private async disableAgain(view: TenantView, account: DirectoryAccount, report: ReconcileReport, grant: Grant | null, keptBy?: Customer): Promise<void> {
    await this.ctx.directory.disableAccount(view.tenant, account.objectId);
    const customer = (grant && view.customers.find((c) => c.id === grant.customerId && c.providerId === grant.providerId)) ?? keptBy ?? view.customers[0]!;
    report.accountsDisabledAgain.push(account.objectId);
    await this.audit(customer, grant?.id ?? null, 'reconcile.drift_removed', { objectId: account.objectId, kind: 'enabled' });
    this.ctx.emit({
      type: 'drift_found',
      providerId: customer.providerId,
      customerId: customer.id,
      ...(grant ? { grantId: grant.id, technicianId: grant.technicianId } : {}),
      details: { kind: 'enabled', objectId: account.objectId },
    });
  }

  /** The ended grant whose rule said to keep this account disabled, found through the grant id in its UPN. */
  private async closedGrantKeeping(view: TenantView, account: DirectoryAccount): Promise<Grant | null> {
    const id = grantIdFromUpn(account.userPrincipalName);
    if (!id) return null;
    for (const customer of view.customers) {
      const grant = await this.ctx.store.getGrant(customer.providerId, id);
      if (
        grant &&
        grant.customerId === customer.id &&
        grant.state === 'closed' &&
        grant.policy.accountModel === 'ephemeral' &&
        grant.policy.expirationAction === 'disable' &&
        grant.account?.userPrincipalName.toLowerCase() === account.userPrincipalName.toLowerCase()
      ) {
        return grant;
      }
    }
    return null;
  }

  private async removeOrphan(view: TenantView, account: DirectoryAccount): Promise<void> {
    const { directory, options } = this.ctx;
    const assignments = await directory.listRoleAssignments(view.tenant, account.objectId);
    await directory.removeRoleAssignments(view.tenant, account.objectId, assignments);
    await Promise.all([directory.revokeSessions(view.tenant, account.objectId), directory.disableAccount(view.tenant, account.objectId)]);
    await directory.deleteAccount(view.tenant, account.objectId, { permanent: options.permanentDelete });
    for (const customer of view.customers) {
      await this.audit(customer, null, 'reconcile.orphan_removed', {
        objectId: account.objectId,
        userPrincipalName: account.userPrincipalName,
        roles: assignments.map((a) => a.roleId),
      });
      this.ctx.emit({
        type: 'drift_found',
        providerId: customer.providerId,
        customerId: customer.id,
        details: { kind: 'orphan', objectId: account.objectId },
      });
    }
  }

  private async removeDrift(
    view: TenantView,
    account: DirectoryAccount,
    allowed: Set<string>,
    report: ReconcileReport,
    grant: Grant | null,
    keptBy?: Customer,
  ): Promise<void> {
    const { directory } = this.ctx;
    const assignments = await directory.listRoleAssignments(view.tenant, account.objectId);
    const extra = assignments.filter((a) => !allowed.has(a.roleId));
    if (extra.length === 0) return;
    await directory.removeRoleAssignments(view.tenant, account.objectId, extra);
    const customer = (grant && view.customers.find((c) => c.id === grant.customerId && c.providerId === grant.providerId)) ?? keptBy ?? view.customers[0]!;
    for (const a of extra) report.driftRemoved.push({ objectId: account.objectId, roleId: a.roleId });
    await this.audit(customer, grant?.id ?? null, 'reconcile.drift_removed', {
      objectId: account.objectId,
      roles: extra.map((a) => a.roleId),
    });
    this.ctx.emit({
      type: 'drift_found',
      providerId: customer.providerId,
      customerId: customer.id,
      ...(grant ? { grantId: grant.id, technicianId: grant.technicianId } : {}),
      details: { kind: 'roles', objectId: account.objectId, roles: extra.map((a) => a.roleId) },
    });
  }

  private async audit(customer: Customer, grantId: string | null, action: string, details: Record<string, string | string[]>): Promise<void> {
    await this.ctx.store.transaction((tx) =>
      tx.appendAudit({
        providerId: customer.providerId,
        at: this.ctx.nowIso(),
        actor: ACTOR,
        action,
        grantId,
        customerId: customer.id,
        details,
      }),
    );
  }
}
