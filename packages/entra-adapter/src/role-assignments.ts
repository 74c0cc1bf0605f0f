/**
 * Directory role assignments: time-bound through PIM (`roleAssignmentScheduleRequests`) where the tenant has
 * Entra ID P2, direct (`roleAssignments`) otherwise. Each assignment is one POST on the happy path (no lookups),
 * so all of an account's roles can be assigned in parallel right after it is created.
 */
import { DirectoryError, type Logger, type RoleAssignmentRef, type RoleAssignmentRequest, type TenantRef } from '@jitadmin/core';
import type { TenantCapabilityStore } from './capabilities.js';
import { GraphFailure, ignoreNotFound } from './errors.js';
import type { GraphHttp, GraphRequest } from './graph-http.js';
import type { UnifiedRoleAssignment, UnifiedRoleAssignmentSchedule, UnifiedRoleAssignmentScheduleRequest } from './graph-types.js';
import { PERMISSION_FOR } from './markers.js';
import { ROLE_MANAGEMENT, quote, segment } from './odata.js';

const PIM_JUSTIFICATION_MAX = 500;
const SCHEDULE_REQUESTS = `${ROLE_MANAGEMENT}/roleAssignmentScheduleRequests`;
const ASSIGNMENTS = `${ROLE_MANAGEMENT}/roleAssignments`;

export class RoleAssignments {
  constructor(
    private readonly http: GraphHttp,
    private readonly caps: TenantCapabilityStore,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  /**
   * Time-bound where `until` is set and the tenant has (or may have) P2; a 400 AadPremiumLicenseRequired
   * falls back to a direct assignment and is remembered. An existing assignment counts as done.
   */
  async assign(tenant: TenantRef, request: RoleAssignmentRequest, stop: Pick<GraphRequest, 'beforeSend' | 'signal'> = {}): Promise<RoleAssignmentRef> {
    const p2 = this.caps.get(tenant.tenantId).p2;
    if (request.until !== null && p2 !== false) {
      try {
        const ref = await this.assignTimeBound(tenant, request, request.until, stop);
        if (p2 === undefined) this.caps.set(tenant.tenantId, { p2: true });
        return ref;
      } catch (error) {
        if (!(error instanceof GraphFailure && error.licenseRequired)) throw error;
        // No P2 after all: remember it, and give the role directly (core ends it at expiry).
        this.caps.set(tenant.tenantId, { p2: false });
        this.logger.info({ tenantId: tenant.tenantId }, 'entra: tenant has no Entra ID P2; using direct role assignments');
      }
    }
    return this.assignDirect(tenant, request, stop);
  }

  /**
   * Every role the account holds, once each: Entra holds one assignment per principal, role and scope; a PIM
   * schedule also shows up among the direct assignments (and, in real tenants, permanent direct assignments
   * show up as schedules without an end). Time-bound where a schedule has an end, else the direct assignment.
   */
  async list(tenant: TenantRef, objectId: string, operation: string): Promise<RoleAssignmentRef[]> {
    const [direct, schedules] = await Promise.all([
      this.http.getAll<UnifiedRoleAssignment>({
        tenantId: tenant.tenantId,
        path: `${ASSIGNMENTS}?$filter=principalId eq ${quote(objectId)}`,
        operation,
        permission: PERMISSION_FOR.roles,
      }),
      this.schedulesOf(tenant, objectId, operation),
    ]);
    const refs: RoleAssignmentRef[] = [];
    const timed = new Set<string>();
    const directRoles = new Set(direct.map((a) => a.roleDefinitionId?.toLowerCase()));
    for (const s of schedules) {
      if (!s.id || !s.roleDefinitionId) continue;
      const roleId = s.roleDefinitionId.toLowerCase();
      const type = s.scheduleInfo?.expiration?.type;
      const ends = type !== undefined && type !== null && type !== 'noExpiration';
      if ((!ends && directRoles.has(roleId)) || timed.has(roleId)) continue;
      timed.add(roleId);
      refs.push({ roleId, assignmentId: s.id, kind: 'timeBound' });
    }
    for (const a of direct) {
      if (!a.id || !a.roleDefinitionId) continue;
      const roleId = a.roleDefinitionId.toLowerCase();
      if (!timed.has(roleId)) refs.push({ roleId, assignmentId: a.id, kind: 'direct' });
    }
    return refs;
  }

  /** Time-bound ones first (`adminRemove`, which also ends the assignment Entra made for the schedule), then direct. */
  async remove(tenant: TenantRef, objectId: string, assignments: readonly RoleAssignmentRef[]): Promise<void> {
    await settleAll(assignments.filter((a) => a.kind === 'timeBound').map((a) => this.removeTimeBound(tenant, objectId, a.roleId)));
    await settleAll(
      assignments
        .filter((a) => a.kind === 'direct')
        .map((a) =>
          ignoreNotFound(() =>
            this.http.request({
              tenantId: tenant.tenantId,
              method: 'DELETE',
              path: `${ASSIGNMENTS}/${segment(a.assignmentId)}`,
              operation: 'removeRoleAssignments',
              permission: PERMISSION_FOR.roles,
            }),
          ),
        ),
    );
  }

  private async assignTimeBound(
    tenant: TenantRef,
    r: RoleAssignmentRequest,
    until: string,
    stop: Pick<GraphRequest, 'beforeSend' | 'signal'>,
  ): Promise<RoleAssignmentRef> {
    const send = (action: 'adminAssign' | 'adminUpdate') => {
      const body: UnifiedRoleAssignmentScheduleRequest = {
        action,
        principalId: r.objectId,
        roleDefinitionId: r.roleId,
        directoryScopeId: '/',
        justification: (r.justification || 'jitadmin').slice(0, PIM_JUSTIFICATION_MAX),
        scheduleInfo: {
          startDateTime: new Date(this.now()).toISOString(),
          expiration: { type: 'afterDateTime', endDateTime: until },
        },
      };
      return this.http.request<UnifiedRoleAssignmentScheduleRequest>({
        tenantId: tenant.tenantId,
        method: 'POST',
        path: SCHEDULE_REQUESTS,
        body,
        operation: 'assignRole',
        permission: PERMISSION_FOR.roleSchedules,
        retryNotFound: true,
        ...stop,
      });
    };
    let res;
    try {
      res = await send('adminAssign');
    } catch (error) {
      if (!(error instanceof GraphFailure && error.conflict)) throw error;
      // Assigned already (a retry, or an extension): move its end to the new `until`.
      res = await send('adminUpdate');
    }
    const id = res.body.targetScheduleId ?? res.body.id;
    if (!id) throw new DirectoryError('DIRECTORY_REJECTED', 'entra: Graph returned a schedule request without an id');
    return { roleId: r.roleId, assignmentId: id, kind: 'timeBound' };
  }

  private async assignDirect(tenant: TenantRef, r: RoleAssignmentRequest, stop: Pick<GraphRequest, 'beforeSend' | 'signal'>): Promise<RoleAssignmentRef> {
    const body: UnifiedRoleAssignment = { principalId: r.objectId, roleDefinitionId: r.roleId, directoryScopeId: '/' };
    try {
      const res = await this.http.request<UnifiedRoleAssignment>({
        tenantId: tenant.tenantId,
        method: 'POST',
        path: ASSIGNMENTS,
        body,
        operation: 'assignRole',
        permission: PERMISSION_FOR.roles,
        retryNotFound: true,
        ...stop,
      });
      if (!res.body.id) throw new DirectoryError('DIRECTORY_REJECTED', 'entra: Graph returned a role assignment without an id');
      return { roleId: r.roleId, assignmentId: res.body.id, kind: 'direct' };
    } catch (error) {
      if (!(error instanceof GraphFailure && error.conflict)) throw error;
      const found = (await this.directOf(tenant, r.objectId, r.roleId, 'assignRole')).find((a) => a.id && (a.directoryScopeId ?? '/') === '/');
      if (!found?.id) throw error;
      return { roleId: r.roleId, assignmentId: found.id, kind: 'direct' };
    }
  }

  private async removeTimeBound(tenant: TenantRef, objectId: string, roleId: string): Promise<void> {
    const body: UnifiedRoleAssignmentScheduleRequest = {
      action: 'adminRemove',
      principalId: objectId,
      roleDefinitionId: roleId,
      directoryScopeId: '/',
      justification: 'jitadmin: access ended',
    };
    try {
      await this.http.request({
        tenantId: tenant.tenantId,
        method: 'POST',
        path: SCHEDULE_REQUESTS,
        body,
        operation: 'removeRoleAssignments',
        permission: PERMISSION_FOR.roleSchedules,
      });
    } catch (error) {
      if (error instanceof GraphFailure && isGone(error)) return;
      if (!(error instanceof GraphFailure && error.licenseRequired)) throw error;
      // PIM is not available (no P2, or it lapsed): whatever assignment of that role remains is a direct one,
      // so remove that instead of leaving privilege behind.
      this.caps.set(tenant.tenantId, { p2: false });
      for (const a of await this.directOf(tenant, objectId, roleId, 'removeRoleAssignments')) {
        if (!a.id) continue;
        const id = a.id;
        await ignoreNotFound(() =>
          this.http.request({
            tenantId: tenant.tenantId,
            method: 'DELETE',
            path: `${ASSIGNMENTS}/${segment(id)}`,
            operation: 'removeRoleAssignments',
            permission: PERMISSION_FOR.roles,
          }),
        );
      }
    }
  }

  /**
   * The account's direct assignments of one role. Role management documents `eq`/`in` on one property, not a
   * combination (a tenant may refuse `principalId eq … and roleDefinitionId eq …` with 400): ask for the
   * principal's assignments and pick the role here.
   */
  private async directOf(tenant: TenantRef, objectId: string, roleId: string, operation: string): Promise<UnifiedRoleAssignment[]> {
    const all = await this.http.getAll<UnifiedRoleAssignment>({
      tenantId: tenant.tenantId,
      path: `${ASSIGNMENTS}?$filter=principalId eq ${quote(objectId)}`,
      operation,
      permission: PERMISSION_FOR.roles,
    });
    const wanted = roleId.toLowerCase();
    return all.filter((a) => a.roleDefinitionId?.toLowerCase() === wanted);
  }

  private async schedulesOf(tenant: TenantRef, objectId: string, operation: string): Promise<UnifiedRoleAssignmentSchedule[]> {
    if (this.caps.get(tenant.tenantId).p2 === false) return [];
    try {
      return await this.http.getAll<UnifiedRoleAssignmentSchedule>({
        tenantId: tenant.tenantId,
        path: `${ROLE_MANAGEMENT}/roleAssignmentSchedules?$filter=principalId eq ${quote(objectId)}`,
        operation,
        permission: PERMISSION_FOR.roleSchedules,
      });
    } catch (error) {
      if (!(error instanceof GraphFailure && error.licenseRequired)) throw error;
      this.caps.set(tenant.tenantId, { p2: false });
      return [];
    }
  }
}

/** A removal whose target is already gone: 404, or PIM's "does not exist" 400. */
function isGone(f: GraphFailure): boolean {
  return f.notFound || /RoleAssignmentDoesNotExist|ResourceNotFound/i.test(f.code) || /role assignment (schedule )?does not exist/i.test(f.graphMessage);
}

/** Runs every task; throws the first failure after all have settled (no removal is skipped by another's error). */
async function settleAll(tasks: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
