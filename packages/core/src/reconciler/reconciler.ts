import { isJitError } from '../errors.js';
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
}

/**
 * Finds what the directory holds that no live grant explains, and removes it: accounts marked as ours with no
 * owner (after a grace period, since a grant may be about to record the account it just made), and role
 * assignments on our accounts that no grant asked for (drift). Tenants shared by several providers are judged
 * against all of their grants, so one provider's reconciler never removes another's accounts.
 */
export class Reconciler {
  constructor(private readonly ctx: Context) {}

  async run(): Promise<ReconcileReport> {
    const report: ReconcileReport = { tenants: 0, orphansRemoved: [], driftRemoved: [], errors: [] };
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
          view = { tenant: { tenantId: c.tenantId, defaultDomain: c.defaultDomain }, customers: [], owners: new Map(), kept: new Map() };
          views.set(c.tenantId, view);
        }
        view.customers.push(customer);
        for (const grant of await this.liveGrants(provider.id, customer.id)) {
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
        if (account.enabled) await directory.disableAccount(view.tenant, account.objectId);
        continue;
      }
      const keptByRule = await this.closedGrantKeeping(view, account);
      if (keptByRule) {
        // A rule whose expiration action is "disable" keeps the account: it must stay disabled and bare.
        await this.removeDrift(view, account, new Set(), report, keptByRule);
        if (account.enabled) await directory.disableAccount(view.tenant, account.objectId);
        continue;
      }
      const age = account.createdAt ? clock.now() - Date.parse(account.createdAt) : Number.POSITIVE_INFINITY;
      if (age < options.reconcileGraceMs) continue;
      await this.removeOrphan(view, account);
      report.orphansRemoved.push(account.objectId);
    }
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
