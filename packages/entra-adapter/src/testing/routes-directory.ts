import { AAD_PREMIUM_P1_PLAN, AAD_PREMIUM_P2_PLAN } from './constants.js';
import { context, type GraphAnswer, type GraphCall, type Route } from './graph-call.js';
import { notFound } from './graph-error.js';
import type { TenantState } from './tenant.js';

const ORG_READ = ['Organization.Read.All', 'Organization.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const DOMAIN_READ = ['Domain.Read.All', 'Domain.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];
const SKU_READ = ['LicenseAssignment.Read.All', 'Organization.Read.All', 'Directory.Read.All', 'Organization.ReadWrite.All', 'Directory.ReadWrite.All'];
const POLICY_READ = ['Policy.Read.AuthenticationMethod', 'Policy.ReadWrite.AuthenticationMethod'];

const P2_SKU = { skuId: '84a661c4-e949-4bd2-a560-ed7766fcaf2b', skuPartNumber: 'AAD_PREMIUM_P2' };
const BASIC_SKU = { skuId: '3b555118-da6a-4418-894f-7df1e2096870', skuPartNumber: 'O365_BUSINESS_ESSENTIALS' };
const EXCHANGE_PLAN = { servicePlanId: '9aaf7827-d63c-4b61-89c3-182f06f82e5c', servicePlanName: 'EXCHANGE_S_STANDARD' };

export function organizationView(t: TenantState): Record<string, unknown> {
  const plans = [
    { assignedDateTime: t.createdDateTime, capabilityStatus: 'Enabled', service: 'exchange', servicePlanId: EXCHANGE_PLAN.servicePlanId },
  ];
  if (t.settings.p2) {
    plans.push({ assignedDateTime: t.createdDateTime, capabilityStatus: 'Enabled', service: 'AADPremiumService', servicePlanId: AAD_PREMIUM_P2_PLAN.servicePlanId });
  }
  return {
    id: t.tenantId,
    deletedDateTime: null,
    businessPhones: [],
    city: null,
    country: null,
    countryLetterCode: 'US',
    createdDateTime: t.createdDateTime,
    defaultUsageLocation: null,
    displayName: t.displayName,
    marketingNotificationEmails: [],
    onPremisesLastSyncDateTime: null,
    onPremisesSyncEnabled: null,
    partnerTenantType: null,
    postalCode: null,
    preferredLanguage: 'en',
    securityComplianceNotificationMails: [],
    securityComplianceNotificationPhones: [],
    state: null,
    street: null,
    technicalNotificationMails: [],
    tenantType: 'AAD',
    assignedPlans: plans,
    privacyProfile: null,
    provisionedPlans: [],
    verifiedDomains: t.domains
      .filter((d) => d.isVerified)
      .map((d) => ({
        capabilities: d.isInitial ? 'Email, OfficeCommunicationsOnline' : 'Email',
        isDefault: d.isDefault,
        isInitial: d.isInitial,
        name: d.id,
        type: 'Managed',
      })),
  };
}

export function domainView(d: TenantState['domains'][number]): Record<string, unknown> {
  return {
    id: d.id,
    authenticationType: 'Managed',
    availabilityStatus: null,
    isAdminManaged: true,
    isDefault: d.isDefault,
    isInitial: d.isInitial,
    isRoot: true,
    isVerified: d.isVerified,
    manufacturer: null,
    model: null,
    passwordNotificationWindowInDays: 14,
    passwordValidityPeriodInDays: 2147483647,
    state: null,
    supportedServices: d.isVerified ? ['Email', 'OfficeCommunicationsOnline'] : [],
  };
}

function subscribedSkus(call: GraphCall): GraphAnswer {
  const t = call.tenant;
  const sku = (s: { skuId: string; skuPartNumber: string }, plans: { servicePlanId: string; servicePlanName: string }[]) => ({
    id: `${t.tenantId}_${s.skuId}`,
    accountId: t.tenantId,
    accountName: t.displayName,
    appliesTo: 'User',
    capabilityStatus: 'Enabled',
    consumedUnits: 1,
    skuId: s.skuId,
    skuPartNumber: s.skuPartNumber,
    subscriptionIds: [`${s.skuId.slice(0, 8)}-0000-4000-8000-${t.tenantId.replace(/-/g, '').slice(0, 12).padEnd(12, '0')}`],
    prepaidUnits: { enabled: 25, lockedOut: 0, suspended: 0, warning: 0 },
    servicePlans: plans.map((p) => ({ ...p, appliesTo: 'User', provisioningStatus: 'Success' })),
  });
  const value = [sku(BASIC_SKU, [EXCHANGE_PLAN])];
  if (t.settings.p2) value.push(sku(P2_SKU, [AAD_PREMIUM_P2_PLAN, AAD_PREMIUM_P1_PLAN]));
  return { status: 200, body: { '@odata.context': context('subscribedSkus'), value } };
}

function tapPolicy(call: GraphCall, id: string): GraphAnswer {
  if (id.toLowerCase() !== 'temporaryaccesspass') throw notFound(id);
  const s = call.tenant.settings;
  return {
    status: 200,
    body: {
      '@odata.context': context('policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity'),
      '@odata.type': '#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration',
      id: 'TemporaryAccessPass',
      state: s.tapPolicy ? 'enabled' : 'disabled',
      defaultLifetimeInMinutes: s.tapDefaultLifetimeInMinutes,
      defaultLength: 8,
      minimumLifetimeInMinutes: s.tapMinimumLifetimeInMinutes,
      maximumLifetimeInMinutes: s.tapMaximumLifetimeInMinutes,
      isUsableOnce: false,
      excludeTargets: [],
      'includeTargets@odata.context': context(
        "policies/authenticationMethodsPolicy/authenticationMethodConfigurations('TemporaryAccessPass')/microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration/includeTargets",
      ),
      includeTargets: [{ targetType: 'group', id: 'all_users', isRegistrationRequired: false }],
    },
  };
}

export const directoryRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/organization',
    permissions: ORG_READ,
    handle: (c) => ({ status: 200, body: { '@odata.context': context('organization'), value: [organizationView(c.tenant)] } }),
  },
  {
    method: 'GET',
    pattern: '/organization/:id',
    permissions: ORG_READ,
    handle: (c, p) => {
      if (p.id !== c.tenant.tenantId) throw notFound(p.id as string);
      return { status: 200, body: { '@odata.context': context('organization/$entity'), ...organizationView(c.tenant) } };
    },
  },
  {
    method: 'GET',
    pattern: '/domains',
    permissions: DOMAIN_READ,
    handle: (c) => ({ status: 200, body: { '@odata.context': context('domains'), value: c.tenant.domains.map(domainView) } }),
  },
  {
    method: 'GET',
    pattern: '/domains/:id',
    permissions: DOMAIN_READ,
    handle: (c, p) => {
      const d = c.tenant.domains.find((x) => x.id.toLowerCase() === (p.id as string).toLowerCase());
      if (!d) throw notFound(p.id as string);
      return { status: 200, body: { '@odata.context': context('domains/$entity'), ...domainView(d) } };
    },
  },
  { method: 'GET', pattern: '/subscribedSkus', permissions: SKU_READ, handle: (c) => subscribedSkus(c) },
  {
    method: 'GET',
    pattern: '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/:id',
    permissions: POLICY_READ,
    handle: (c, p) => tapPolicy(c, p.id as string),
  },
];
