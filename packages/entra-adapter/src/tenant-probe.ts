/**
 * What a tenant is and allows: organization and default domain, the preflight (token, consented permissions,
 * P2, TAP policy), and the role catalogue. Preflight never throws for a probe: each answers yes, no or unknown
 * (a refusal to let us look, an outage, throttling) with its reason; only a token that cannot be had is an error.
 */
import { DirectoryError, type Logger, type ProbeResult, type RoleDefinition, type TenantCapabilities, type TenantInfo } from '@jitadmin/core';
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
import { ROLE_MANAGEMENT, quote } from './odata.js';
import type { TokenProvider } from './token-provider.js';

/** The service plan that means Entra ID P2 in `GET /subscribedSkus`. */
const P2_SERVICE_PLAN = 'AAD_PREMIUM_P2';

export class TenantProbe {
  constructor(
    private readonly http: GraphHttp,
    private readonly tokens: TokenProvider,
    private readonly caps: TenantCapabilityStore,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  async tenantInfo(tenantId: string): Promise<TenantInfo> {
    const org = await this.organization(tenantId, 'getTenantInfo');
    return { tenantId: org.id ?? tenantId, displayName: org.displayName ?? '', defaultDomain: defaultDomainOf(org) };
  }

  /**
   * Every probe answers yes, no or unknown with its reason and time; a probe that fails (an outage, a refused
   * read, throttling past the retry budget) is `unknown`, never an error. Only a token that cannot be had makes
   * the whole preflight fail (`tokenOk: false`, or the token endpoint's error).
   */
  async preflight(tenantId: string): Promise<TenantCapabilities> {
    const at = new Date(this.now()).toISOString();
    let roles: readonly string[];
    try {
      roles = (await this.tokens.get(tenantId)).roles;
    } catch (error) {
      if (!(error instanceof DirectoryError && error.code === 'CONNECTION_BROKEN')) throw error;
      this.logger.warn({ tenantId, reason: error.details.reason, aadsts: error.details.aadsts }, 'entra: preflight could not get a token');
      const noToken = probe('unknown', 'no token for the tenant', at);
      return {
        tokenOk: false,
        permissions: [],
        missingPermissions: [...REQUIRED_PERMISSIONS],
        p2: false,
        tapPolicy: false,
        defaultDomain: null,
        probes: {
          token: probe('no', error.message, at),
          permissions: noToken,
          defaultDomain: noToken,
          p2: noToken,
          tapPolicy: noToken,
        },
      };
    }
    const missing = missingPermissions(roles);
    const known = this.caps.get(tenantId);
    const [domain, p2, tapPolicy] = await Promise.all([this.probeDefaultDomain(tenantId, at), this.probeP2(tenantId, at), this.probeTapPolicy(tenantId, at)]);
    // An unknown answer changes nothing we knew; the booleans keep the last known answer (false if none).
    this.caps.set(tenantId, { ...(p2.answer !== 'unknown' ? { p2: p2.answer === 'yes' } : {}), ...(tapPolicy.answer !== 'unknown' ? { tapPolicy: tapPolicy.answer === 'yes' } : {}) });
    return {
      tokenOk: true,
      permissions: [...roles].sort(),
      missingPermissions: missing,
      p2: p2.answer === 'unknown' ? (known.p2 ?? false) : p2.answer === 'yes',
      tapPolicy: tapPolicy.answer === 'unknown' ? (known.tapPolicy ?? false) : tapPolicy.answer === 'yes',
      defaultDomain: domain.value,
      probes: {
        token: probe('yes', 'token issued', at),
        permissions: missing.length === 0 ? probe('yes', 'every permission consented', at) : probe('no', `missing: ${missing.join(', ')}`, at),
        defaultDomain: domain.result,
        p2,
        tapPolicy,
      },
    };
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

  private async probeDefaultDomain(tenantId: string, at: string): Promise<{ value: string | null; result: ProbeResult }> {
    try {
      const domain = defaultDomainOf(await this.organization(tenantId, 'preflight.organization'));
      return { value: domain, result: domain ? probe('yes', domain, at) : probe('no', 'the organization has no default verified domain', at) };
    } catch (error) {
      return { value: null, result: probe('unknown', this.failed(tenantId, 'preflight.organization', error), at) };
    }
  }

  /**
   * P2 from the licences; where they cannot be read (403, an outage …), by asking PIM, which answers
   * AadPremiumLicenseRequired without it. Unknown when neither answers.
   */
  private async probeP2(tenantId: string, at: string): Promise<ProbeResult> {
    let skuFailure: string;
    try {
      const skus = await this.http.getAll<SubscribedSku>({
        tenantId,
        path: '/subscribedSkus?$select=skuPartNumber,capabilityStatus,servicePlans',
        operation: 'preflight.subscribedSkus',
        permission: PERMISSION_FOR.readDirectory,
      });
      const has = skus.some(
        (s) =>
          (s.capabilityStatus ?? 'Enabled') === 'Enabled' &&
          (s.servicePlans ?? []).some((p) => p.servicePlanName === P2_SERVICE_PLAN && p.provisioningStatus !== 'Disabled'),
      );
      return has
        ? probe('yes', `an enabled ${P2_SERVICE_PLAN} plan among the subscribed SKUs`, at)
        : probe('no', `no enabled ${P2_SERVICE_PLAN} plan among ${skus.length} subscribed SKU(s)`, at);
    } catch (error) {
      skuFailure = this.failed(tenantId, 'preflight.subscribedSkus', error);
    }
    try {
      // A documented query form (one `eq` clause) that matches nothing: only whether PIM answers matters.
      await this.http.request({
        tenantId,
        method: 'GET',
        path: `${ROLE_MANAGEMENT}/roleAssignmentScheduleRequests?$select=id&$filter=principalId eq ${quote(NO_PRINCIPAL)}`,
        operation: 'preflight.pim',
        permission: PERMISSION_FOR.roleSchedules,
      });
      return probe('yes', `PIM answered (subscribed SKUs unreadable: ${skuFailure})`, at);
    } catch (error) {
      if (error instanceof GraphFailure && error.licenseRequired) return probe('no', 'PIM answered AadPremiumLicenseRequired', at);
      return probe('unknown', `subscribed SKUs: ${skuFailure}; PIM: ${this.failed(tenantId, 'preflight.pim', error)}`, at);
    }
  }

  private async probeTapPolicy(tenantId: string, at: string): Promise<ProbeResult> {
    try {
      const res = await this.http.request<TemporaryAccessPassAuthenticationMethodConfiguration>({
        tenantId,
        method: 'GET',
        path: '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass',
        operation: 'preflight.tapPolicy',
        permission: PERMISSION_FOR.authMethodPolicy,
      });
      return res.body.state === 'enabled'
        ? probe('yes', 'the Temporary Access Pass method policy is enabled', at)
        : probe('no', `the Temporary Access Pass method policy is ${res.body.state ?? 'not enabled'}`, at);
    } catch (error) {
      return probe('unknown', this.failed(tenantId, 'preflight.tapPolicy', error), at);
    }
  }

  /** Logs a probe that got no answer and says why in a line for the probe's reason (secret-free: status and code). */
  private failed(tenantId: string, operation: string, error: unknown): string {
    if (error instanceof GraphFailure) {
      this.logger.warn({ tenantId, operation, status: error.status, graphCode: error.code, requestId: error.requestId }, 'entra: preflight probe got no answer');
      const what = error.status === 403 ? `the app may not read this (${error.context?.permission ?? 'permission'})` : 'Graph refused or failed';
      return `${what}: Graph ${error.status} ${error.code}`;
    }
    if (error instanceof DirectoryError) {
      const { status, graphCode } = error.details;
      this.logger.warn({ tenantId, operation, code: error.code, status, graphCode, requestId: error.details.requestId }, 'entra: preflight probe got no answer');
      return status !== undefined ? `no answer (${error.code}): Graph ${status} ${graphCode}` : `no answer (${error.code})`;
    }
    this.logger.warn({ tenantId, operation, code: error instanceof Error ? error.name : 'error' }, 'entra: preflight probe got no answer');
    return `no answer (${error instanceof Error ? error.name : 'error'})`;
  }
}

/** Matches no principal; for a probe that only asks whether a collection answers. */
const NO_PRINCIPAL = '00000000-0000-0000-0000-000000000000';

function probe(answer: ProbeResult['answer'], reason: string, at: string): ProbeResult {
  return { answer, reason: reason.slice(0, 500), at };
}

function defaultDomainOf(org: OrganizationDetails): string | null {
  return org.verifiedDomains?.find((d) => d.isDefault)?.name ?? null;
}
