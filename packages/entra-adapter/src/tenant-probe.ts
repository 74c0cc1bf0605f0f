/**
 * What a tenant is and allows: organization and default domain, the preflight (token, consented permissions,
 * P2, TAP policy), and the role catalogue. Preflight never throws for a missing capability: a probe Graph
 * refuses (403, 404 …) reads as "no"; only throttling, outages and broken tokens are errors.
 */
import { DirectoryError, type Logger, type RoleDefinition, type TenantCapabilities, type TenantInfo } from '@jitadmin/core';
import type { TenantCapabilityStore } from './capabilities.js';
import { GraphFailure } from './errors.js';
import type { GraphHttp } from './graph-http.js';
import type {
  OrganizationDetails,
  SubscribedSku,
  TemporaryAccessPassAuthenticationMethodConfiguration,
  UnifiedRoleDefinition,
} from './graph-types.js';
import { PERMISSION_FOR, PRIVILEGED_ROLE_TEMPLATE_IDS, REQUIRED_PERMISSIONS, missingPermissions } from './markers.js';
import { ROLE_MANAGEMENT } from './odata.js';
import type { TokenProvider } from './token-provider.js';

/** The service plan that means Entra ID P2 in `GET /subscribedSkus`. */
const P2_SERVICE_PLAN = 'AAD_PREMIUM_P2';

export class TenantProbe {
  constructor(
    private readonly http: GraphHttp,
    private readonly tokens: TokenProvider,
    private readonly caps: TenantCapabilityStore,
    private readonly logger: Logger,
  ) {}

  async tenantInfo(tenantId: string): Promise<TenantInfo> {
    const org = await this.organization(tenantId, 'getTenantInfo');
    return { tenantId: org.id ?? tenantId, displayName: org.displayName ?? '', defaultDomain: defaultDomainOf(org) };
  }

  async preflight(tenantId: string): Promise<TenantCapabilities> {
    let roles: readonly string[];
    try {
      roles = (await this.tokens.get(tenantId)).roles;
    } catch (error) {
      if (!(error instanceof DirectoryError && error.code === 'CONNECTION_BROKEN')) throw error;
      this.logger.warn({ tenantId, reason: error.details.reason, aadsts: error.details.aadsts }, 'entra: preflight could not get a token');
      return { tokenOk: false, permissions: [], missingPermissions: [...REQUIRED_PERMISSIONS], p2: false, tapPolicy: false, defaultDomain: null };
    }
    const [defaultDomain, p2, tapPolicy] = await Promise.all([
      this.soft('preflight.organization', tenantId, null, async () => defaultDomainOf(await this.organization(tenantId, 'preflight.organization'))),
      this.detectP2(tenantId),
      this.soft('preflight.tapPolicy', tenantId, false, () => this.tapPolicyOn(tenantId)),
    ]);
    this.caps.set(tenantId, { p2, tapPolicy });
    return { tokenOk: true, permissions: [...roles].sort(), missingPermissions: missingPermissions(roles), p2, tapPolicy, defaultDomain };
  }

  async roleDefinitions(tenantId: string): Promise<RoleDefinition[]> {
    // `isPrivileged` is beta-only; read it if a service sends it, else use the list of privileged templates.
    const defs = await this.http.getAll<UnifiedRoleDefinition & { isPrivileged?: boolean }>({
      tenantId,
      path: `${ROLE_MANAGEMENT}/roleDefinitions?$select=id,templateId,displayName,description,isBuiltIn,isEnabled`,
      operation: 'listRoleDefinitions',
      permission: PERMISSION_FOR.roles,
    });
    return defs
      .filter((d) => d.isEnabled !== false)
      .map((d) => {
        const id = (d.templateId ?? d.id ?? '').toLowerCase();
        return { id, displayName: d.displayName ?? id, description: d.description ?? '', privileged: d.isPrivileged ?? PRIVILEGED_ROLE_TEMPLATE_IDS.has(id) };
      })
      .filter((d) => d.id !== '');
  }

  private async organization(tenantId: string, operation: string): Promise<OrganizationDetails> {
    const res = await this.http.request<{ value?: OrganizationDetails[] }>({
      tenantId,
      method: 'GET',
      path: '/organization?$select=id,displayName,verifiedDomains',
      operation,
      permission: PERMISSION_FOR.readDirectory,
    });
    const org = res.body.value?.[0];
    if (!org) throw new DirectoryError('DIRECTORY_REJECTED', `entra: tenant ${tenantId} returned no organization`, { details: { tenantId } });
    return org;
  }

  /** P2 from the licences; where they cannot be read, by asking PIM, which answers AadPremiumLicenseRequired without it. */
  private async detectP2(tenantId: string): Promise<boolean> {
    try {
      const skus = await this.http.getAll<SubscribedSku>({
        tenantId,
        path: '/subscribedSkus?$select=skuPartNumber,capabilityStatus,servicePlans',
        operation: 'preflight.subscribedSkus',
        permission: PERMISSION_FOR.readDirectory,
      });
      return skus.some(
        (s) =>
          (s.capabilityStatus ?? 'Enabled') === 'Enabled' &&
          (s.servicePlans ?? []).some((p) => p.servicePlanName === P2_SERVICE_PLAN && p.provisioningStatus !== 'Disabled'),
      );
    } catch (error) {
      if (!(error instanceof GraphFailure) || error.status !== 403) throw error;
    }
    try {
      await this.http.request({
        tenantId,
        method: 'GET',
        path: `${ROLE_MANAGEMENT}/roleAssignmentScheduleRequests?$top=1`,
        operation: 'preflight.pim',
        permission: PERMISSION_FOR.roleSchedules,
      });
      return true;
    } catch (error) {
      if (!(error instanceof GraphFailure)) throw error;
      if (error.licenseRequired) return false;
      this.logger.warn({ tenantId, status: error.status, graphCode: error.code }, 'entra: could not tell whether the tenant has P2');
      return this.caps.get(tenantId).p2 ?? false;
    }
  }

  private async tapPolicyOn(tenantId: string): Promise<boolean> {
    const res = await this.http.request<TemporaryAccessPassAuthenticationMethodConfiguration>({
      tenantId,
      method: 'GET',
      path: '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass',
      operation: 'preflight.tapPolicy',
      permission: PERMISSION_FOR.authMethodPolicy,
    });
    return res.body.state === 'enabled';
  }

  /** A probe whose refusal (403, 404 …) means "no"; throttling, outages and a refused token still throw. */
  private async soft<T>(operation: string, tenantId: string, fallback: T, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof GraphFailure && error.status < 500 && error.status !== 429 && error.status !== 401) {
        this.logger.warn({ tenantId, operation, status: error.status, graphCode: error.code, requestId: error.requestId }, 'entra: preflight probe refused');
        return fallback;
      }
      throw error;
    }
  }
}

function defaultDomainOf(org: OrganizationDetails): string | null {
  return org.verifiedDomains?.find((d) => d.isDefault)?.name ?? null;
}
